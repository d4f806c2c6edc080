//! `Exp`: `y = exp(x)`; `log|dy/dx| = x`.

use super::Bijector;
use crate::error::Result;
use crate::tensor::{Mask, Tensor};

/// The exponential map onto the positive reals.
///
/// ```
/// use probrs::bijectors::{Bijector, Exp};
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::vector(&[0.0, 1.0], DType::F64)?;
/// let b = Exp::new();
/// assert_eq!(b.forward(&x)?.to_vec()?, vec![1.0, 1f64.exp()]);
/// // log |d exp(x)/dx| = x
/// assert_eq!(b.forward_log_det_jacobian(&x, 0)?.to_vec()?, vec![0.0, 1.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Exp;

impl Exp {
    /// The bijector `y = exp(x)`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Exp};
    /// let y = Tensor::scalar(1.0, DType::F64)?;
    /// assert_eq!(Exp::new().inverse(&y)?.to_scalar()?, 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new() -> Self {
        Exp
    }
}

impl Bijector for Exp {
    fn name(&self) -> &str {
        "exp"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.exp()
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        y.log()
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.clone())
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        y.log()?.neg()
    }
}
