//! `Invert`: swaps a bijector's forward and inverse.

use super::Bijector;
use crate::error::Result;
use crate::variables::Variable;
use crate::tensor::{Mask, Tensor};
use std::sync::Arc;

/// `Invert(b).forward = b.inverse` and vice versa.
///
/// ```
/// use probrs::bijectors::{Bijector, Exp, Invert};
/// use probrs::tensor::{DType, Tensor};
/// // Invert(Exp) is the logarithm.
/// let log = Invert::new(Exp::new());
/// let y = log.forward(&Tensor::scalar(std::f64::consts::E, DType::F64)?)?;
/// assert!((y.to_scalar()? - 1.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Invert {
    inner: Arc<dyn Bijector>,
    name: String,
}

impl Invert {
    /// The inverse of `b`: `forward` is `b.inverse` and the log-determinants swap.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Invert, Softplus};
    /// // softplus⁻¹ as a forward map.
    /// let b = Invert::new(Softplus::new());
    /// assert!(b.forward(&Tensor::scalar(2f64.ln(), DType::F64)?)?.to_scalar()?.abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(b: impl Bijector + 'static) -> Self {
        Self::from_arc(Arc::new(b))
    }
    /// The inverse of a bijector already behind an `Arc` (shared, not copied).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Exp, Invert};
    /// use std::sync::Arc;
    /// let exp: Arc<dyn Bijector> = Arc::new(Exp::new());
    /// let log = Invert::from_arc(exp.clone());
    /// let x = Tensor::scalar(0.7, DType::F64)?;
    /// assert!((log.forward(&exp.forward(&x)?)?.to_scalar()? - 0.7).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_arc(b: Arc<dyn Bijector>) -> Self {
        let name = format!("invert_{}", b.name());
        Invert { inner: b, name }
    }
}

impl Bijector for Invert {
    fn name(&self) -> &str {
        &self.name
    }
    fn forward_min_event_ndims(&self) -> usize {
        self.inner.inverse_min_event_ndims()
    }
    fn inverse_min_event_ndims(&self) -> usize {
        self.inner.forward_min_event_ndims()
    }
    fn is_constant_jacobian(&self) -> bool {
        self.inner.is_constant_jacobian()
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        // f⁻¹ increases where f does.
        self.inner.is_increasing()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.inner.inverse(x)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        self.inner.forward(y)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        self.inner.inverse_log_det_jacobian_min(x)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        self.inner.forward_log_det_jacobian_min(y)
    }
    fn forward_and_forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        self.inner.inverse_and_inverse_log_det_jacobian_min(x)
    }
    fn inverse_and_inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<(Tensor, Tensor)> {
        self.inner.forward_and_forward_log_det_jacobian_min(y)
    }
    fn forward_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        self.inner.inverse_event_shape(s)
    }
    fn inverse_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        self.inner.forward_event_shape(s)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.inner.visit_variables(f)
    }
}
