//! `Power`: `y = x^p` on `x > 0`; `log|dy/dx| = log|p| + (p − 1) log x`.

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::{DType, Mask, Tensor};

/// The power map on the positive reals.
///
/// ```
/// use probrs::bijectors::{Bijector, Power};
/// use probrs::tensor::{DType, Tensor};
/// let b = Power::new(3.0)?;
/// let x = Tensor::scalar(2.0, DType::F64)?;
/// assert!((b.forward(&x)?.to_scalar()? - 8.0).abs() < 1e-12);
/// // log |3 x²| at x = 2
/// assert!((b.forward_log_det_jacobian(&x, 0)?.to_scalar()? - 12f64.ln()).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Power {
    power: f64,
}

impl Power {
    /// `power` must be finite and non-zero.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Power};
    /// let b = Power::new(0.5)?; // square root on x > 0
    /// assert_eq!(b.forward(&Tensor::scalar(9.0, DType::F64)?)?.to_scalar()?, 3.0);
    /// assert!(Power::new(0.0).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(power: f64) -> Result<Self> {
        if power == 0.0 || !power.is_finite() {
            return Err(Error::invalid_parameter("power", format!("must be finite and non-zero, got {power}")));
        }
        Ok(Power { power })
    }
}

impl Bijector for Power {
    fn name(&self) -> &str {
        "power"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        // x^p on x > 0: increasing for p > 0, decreasing for p < 0.
        Ok(Some(Tensor::scalar(self.power, DType::F64)?.gt_scalar(0.0)?))
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.powf(self.power)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        y.powf(1.0 / self.power)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        x.log()?.affine(self.power - 1.0, self.power.abs().ln())
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        // x = y^(1/p): log|dx/dy| = −log|p| + (1/p − 1) log y
        y.log()?.affine(1.0 / self.power - 1.0, -self.power.abs().ln())
    }
}
