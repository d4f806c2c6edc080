//! `FillScaleTriL`: unconstrained vectors to lower-triangular matrices with positive diagonal
//! (Cholesky factors), TFP's
//! `Chain([TransformDiagonal(Chain([Shift(diag_shift), diag_bijector])), FillTriangular()])`.
//!
//! Defaults as TFP: `diag_bijector = Softplus()`, `diag_shift = 1e-5`. So the inverse of
//! `10·I` (4 × 4) is `[9.999945, 0, 0, 0, 9.999945, 9.999945, 0, 0, 0, 9.999945]` in float32.

use super::{Bijector, Chain, FillTriangular, IntoArcBijector, Shift, Softplus, TransformDiagonal};
use crate::error::Result;
use crate::variables::Variable;
use crate::tensor::Tensor;
use std::sync::Arc;

/// Vectors of `n(n+1)/2` reals to `n × n` lower-triangular matrices with positive diagonal.
///
/// ```
/// use probrs::bijectors::{Bijector, FillScaleTriL};
/// use probrs::tensor::{DType, Tensor};
/// let b = FillScaleTriL::new();
/// let raw = b.inverse(&Tensor::eye(4, &[], DType::F32)?.mul_scalar(10.0)?)?;
/// assert_eq!(raw.shape(), &[10]);
/// assert!((raw.to_vec()?[0] - 9.999945).abs() < 1e-5);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct FillScaleTriL {
    chain: Chain,
}

impl Default for FillScaleTriL {
    fn default() -> Self {
        Self::new()
    }
}

impl FillScaleTriL {
    /// Softplus diagonal, shift 1e-5.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, FillScaleTriL};
    /// // Zeros map to a diagonal of softplus(0) + 1e-5.
    /// let l = FillScaleTriL::new().forward(&Tensor::zeros(&[3], DType::F64)?)?.to_vec()?;
    /// assert!((l[0] - (2f64.ln() + 1e-5)).abs() < 1e-12 && l[1] == 0.0 && l[2] == 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::with_options(Softplus::new().into_arc(), Some(1e-5))
    }
    /// A given diagonal bijector and shift (`None`: no shift).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Exp, FillScaleTriL};
    /// use std::sync::Arc;
    /// // An exp diagonal and no shift: zeros give the identity.
    /// let b = FillScaleTriL::with_options(Arc::new(Exp::new()), None);
    /// assert_eq!(b.forward(&Tensor::zeros(&[3], DType::F64)?)?.to_vec()?, vec![1.0, 0.0, 0.0, 1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_options(diag_bijector: Arc<dyn Bijector>, diag_shift: Option<f64>) -> Self {
        let diag: Arc<dyn Bijector> = match diag_shift {
            Some(s) => Chain::new(vec![Shift::new(s).into_arc(), diag_bijector]).into_arc(),
            None => diag_bijector,
        };
        FillScaleTriL { chain: Chain::new(vec![TransformDiagonal::new(diag).into_arc(), FillTriangular::new().into_arc()]) }
    }
}

impl Bijector for FillScaleTriL {
    fn name(&self) -> &str {
        "fill_scale_tril"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn inverse_min_event_ndims(&self) -> usize {
        2
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.chain.forward(x)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        self.chain.inverse(y)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        self.chain.forward_log_det_jacobian(x, 1)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        self.chain.inverse_log_det_jacobian(y, 2)
    }
    fn forward_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        self.chain.forward_event_shape(s)
    }
    fn inverse_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        self.chain.inverse_event_shape(s)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.chain.visit_variables(f)
    }
}
