//! `TransformDiagonal`: applies a bijector to the diagonal of square matrices, leaving the
//! other entries alone. `log|det J| = Σ diag_bijector.fldj(diag(x))`.

use super::Bijector;
use crate::error::Result;
use crate::variables::Variable;
use crate::tensor::Tensor;
use std::sync::Arc;

/// A bijector on the diagonal of `[..., n, n]` matrices.
///
/// ```
/// use probrs::bijectors::{Bijector, Exp, TransformDiagonal};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// // exp on the diagonal only: a positive-diagonal Cholesky factor from free numbers.
/// let b = TransformDiagonal::new(Arc::new(Exp::new()));
/// let x = Tensor::from_slice(&[0.0, 0.0, -2.0, 1.0], &[2, 2], DType::F64)?;
/// assert_eq!(b.forward(&x)?.to_vec()?, vec![1.0, 0.0, -2.0, 1f64.exp()]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct TransformDiagonal {
    diag: Arc<dyn Bijector>,
    name: String,
}

impl TransformDiagonal {
    /// Applies `diag_bijector` to the diagonal of each matrix, leaving the off-diagonal entries as they are.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Softplus, TransformDiagonal};
    /// use std::sync::Arc;
    /// let b = TransformDiagonal::new(Arc::new(Softplus::new()));
    /// let m = b.forward(&Tensor::zeros(&[2, 2], DType::F64)?)?.to_vec()?;
    /// assert!((m[0] - 2f64.ln()).abs() < 1e-12 && m[1] == 0.0 && m[2] == 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(diag_bijector: Arc<dyn Bijector>) -> Self {
        let name = format!("transform_diagonal_{}", diag_bijector.name());
        TransformDiagonal { diag: diag_bijector, name }
    }
}

impl Bijector for TransformDiagonal {
    fn name(&self) -> &str {
        &self.name
    }
    fn forward_min_event_ndims(&self) -> usize {
        2
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.set_diag(&self.diag.forward(&x.diag_part()?)?)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        y.set_diag(&self.diag.inverse(&y.diag_part()?)?)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        self.diag.forward_log_det_jacobian(&x.diag_part()?, 1)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        self.diag.inverse_log_det_jacobian(&y.diag_part()?, 1)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.diag.visit_variables(f)
    }
}
