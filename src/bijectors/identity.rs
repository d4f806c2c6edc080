//! `Identity`: `y = x`, log-det-Jacobian 0.

use super::Bijector;
use crate::error::Result;
use crate::tensor::{Mask, Tensor};

/// The identity map.
///
/// ```
/// use probrs::bijectors::{Bijector, Identity};
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::vector(&[-1.0, 2.0], DType::F64)?;
/// assert_eq!(Identity::new().forward(&x)?.to_vec()?, vec![-1.0, 2.0]);
/// assert_eq!(Identity::new().forward_log_det_jacobian(&x, 1)?.to_scalar()?, 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Identity;

impl Identity {
    /// The bijector `y = x`.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Identity};
    /// assert!(Identity::new().is_constant_jacobian());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new() -> Self {
        Identity
    }
}

impl Bijector for Identity {
    fn name(&self) -> &str {
        "identity"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.clone())
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        Ok(y.clone())
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        x.scalar_like(0.0)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        y.scalar_like(0.0)
    }
}
