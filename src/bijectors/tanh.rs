//! `Tanh`: `y = tanh(x)`, onto `(−1, 1)`.
//!
//! `log|dy/dx| = 2 (log 2 − x − softplus(−2x))` (stable for large `|x|`);
//! `x = atanh(y) = ½ (log1p(y) − log1p(−y))`.

use super::Bijector;
use crate::error::Result;
use crate::tensor::{Mask, Tensor};

/// The hyperbolic tangent map.
///
/// ```
/// use probrs::bijectors::{Bijector, Tanh};
/// use probrs::tensor::{DType, Tensor};
/// let b = Tanh::new();
/// let y = b.forward(&Tensor::scalar(0.5, DType::F64)?)?.to_scalar()?;
/// assert!((y - 0.5f64.tanh()).abs() < 1e-12);
/// assert!((b.inverse(&Tensor::scalar(y, DType::F64)?)?.to_scalar()? - 0.5).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Tanh;

impl Tanh {
    /// The bijector `y = tanh(x)` onto `(−1, 1)`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Tanh};
    /// assert_eq!(Tanh::new().forward(&Tensor::scalar(0.0, DType::F64)?)?.to_scalar()?, 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new() -> Self {
        Tanh
    }
}

impl Bijector for Tanh {
    fn name(&self) -> &str {
        "tanh"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.tanh()
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        y.log1p()?.sub(&y.neg()?.log1p()?)?.mul_scalar(0.5)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        x.mul_scalar(-2.0)?.softplus()?.add(x)?.affine(-2.0, 2.0 * std::f64::consts::LN_2)
    }
}
