//! `ScaleMatvecTriL`: `y = L x` for lower-triangular `L`; constant Jacobian,
//! `log|det J| = Σ log|L_ii|`. The inverse is a triangular solve (no explicit inverse).

use super::bijector::param_for;
use super::Bijector;
use crate::error::{Error, Result};
use crate::variables::{Param, Variable};
use crate::tensor::{linalg::triangular_solve, Tensor};

/// Multiplication of vector events by a lower-triangular matrix.
///
/// ```
/// use probrs::bijectors::{Bijector, ScaleMatvecTriL};
/// use probrs::tensor::{DType, Tensor};
/// // y = L x with L = [[2, 0], [1, 3]]; log |det L| = log 6.
/// let l = Tensor::from_slice(&[2.0, 0.0, 1.0, 3.0], &[2, 2], DType::F64)?;
/// let b = ScaleMatvecTriL::new(l)?;
/// let x = Tensor::vector(&[1.0, 1.0], DType::F64)?;
/// assert_eq!(b.forward(&x)?.to_vec()?, vec![2.0, 4.0]);
/// assert!((b.forward_log_det_jacobian(&x, 1)?.to_scalar()? - 6f64.ln()).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ScaleMatvecTriL {
    scale_tril: Param,
}

impl ScaleMatvecTriL {
    /// `scale_tril` is `[..., n, n]`; entries above the diagonal are ignored.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, ScaleMatvecTriL};
    /// // The upper triangle is ignored.
    /// let l = Tensor::from_slice(&[1.0, 99.0, 2.0, 1.0], &[2, 2], DType::F64)?;
    /// let y = ScaleMatvecTriL::new(l)?.forward(&Tensor::vector(&[1.0, 1.0], DType::F64)?)?;
    /// assert_eq!(y.to_vec()?, vec![1.0, 3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(scale_tril: impl Into<Param>) -> Result<Self> {
        let scale_tril = scale_tril.into();
        let s = scale_tril.shape();
        if s.len() < 2 || s[s.len() - 1] != s[s.len() - 2] {
            return Err(Error::invalid_shape("scale_tril", &s, "expected [..., n, n]"));
        }
        Ok(ScaleMatvecTriL { scale_tril })
    }
}

impl Bijector for ScaleMatvecTriL {
    fn name(&self) -> &str {
        "scale_matvec_tril"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        param_for(&self.scale_tril, x)?.band_lower()?.matvec(x)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let l = param_for(&self.scale_tril, y)?;
        let r = y.rank();
        triangular_solve(&l, &y.unsqueeze(r)?, false)?.squeeze(r.max(l.rank() - 1))
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        param_for(&self.scale_tril, x)?.diag_part()?.abs()?.log()?.sum_last(1)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.scale_tril.visit_variables(f)
    }
}

/// `ScaleMatvecDiag`: `y = d ⊙ x` on vector events; `log|det J| = Σ log|d_i|`.
///
/// ```
/// use probrs::bijectors::{Bijector, ScaleMatvecDiag};
/// use probrs::tensor::{DType, Tensor};
/// let b = ScaleMatvecDiag::new(Tensor::vector(&[2.0, 0.5], DType::F64)?);
/// let x = Tensor::vector(&[1.0, 4.0], DType::F64)?;
/// assert_eq!(b.forward(&x)?.to_vec()?, vec![2.0, 2.0]);
/// assert!(b.forward_log_det_jacobian(&x, 1)?.to_scalar()?.abs() < 1e-12); // log 2 + log ½
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ScaleMatvecDiag {
    scale_diag: Param,
}

impl ScaleMatvecDiag {
    /// `y = diag(scale_diag) x` on the last axis.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, ScaleMatvecDiag};
    /// let b = ScaleMatvecDiag::new(Tensor::vector(&[2.0, 4.0], DType::F64)?);
    /// assert_eq!(b.inverse(&Tensor::vector(&[2.0, 2.0], DType::F64)?)?.to_vec()?, vec![1.0, 0.5]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(scale_diag: impl Into<Param>) -> Self {
        ScaleMatvecDiag { scale_diag: scale_diag.into() }
    }
}

impl Bijector for ScaleMatvecDiag {
    fn name(&self) -> &str {
        "scale_matvec_diag"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.mul(&param_for(&self.scale_diag, x)?)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        y.div(&param_for(&self.scale_diag, y)?)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        let d = param_for(&self.scale_diag, x)?;
        if d.rank() == 0 {
            // A scalar scale acts on every entry of the event.
            let n = *x.shape().last().unwrap_or(&1) as f64;
            return d.abs()?.log()?.mul_scalar(n);
        }
        d.abs()?.log()?.sum_last(1)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.scale_diag.visit_variables(f)
    }
}

fn tril_shape(s: &[usize]) -> Vec<usize> {
    let mut v = s.to_vec();
    if let Some(&n) = s.last() {
        v.push(n);
    }
    v
}
fn fill_scale_tril(_: crate::tensor::DType) -> std::sync::Arc<dyn Bijector> {
    std::sync::Arc::new(super::FillScaleTriL::new())
}

impl super::Trainable for ScaleMatvecTriL {
    const NAME: &'static str = "ScaleMatvecTriL";
    /// `scale_tril [..., n, n]` for inputs `[..., n]`, constrained by `FillScaleTriL`.
    fn parameter_properties(_: crate::tensor::DType) -> Vec<(&'static str, super::ParameterProperties)> {
        vec![(
            "scale_tril",
            super::ParameterProperties { event_ndims: 2, shape_fn: tril_shape, default_constraining_bijector: fill_scale_tril, ..Default::default() },
        )]
    }
    fn from_parameters(mut p: crate::variables::Parameters) -> Result<Self> {
        let b = Self::new(p.take_required("scale_tril", Self::NAME)?)?;
        p.finish(Self::NAME)?;
        Ok(b)
    }
}

impl super::Trainable for ScaleMatvecDiag {
    const NAME: &'static str = "ScaleMatvecDiag";
    /// `scale_diag [..., n]` for inputs `[..., n]`, super::constraining::positive (Softplus(low = eps)).
    fn parameter_properties(_: crate::tensor::DType) -> Vec<(&'static str, super::ParameterProperties)> {
        vec![("scale_diag", super::ParameterProperties { event_ndims: 1, default_constraining_bijector: super::constraining::positive, ..Default::default() })]
    }
    fn from_parameters(mut p: crate::variables::Parameters) -> Result<Self> {
        let b = Self::new(p.take_required("scale_diag", Self::NAME)?);
        p.finish(Self::NAME)?;
        Ok(b)
    }
}
