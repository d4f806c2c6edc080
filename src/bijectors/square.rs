//! `Square`: `y = x²` on `x ≥ 0`; `log|dy/dx| = log 2 + log x`.

use super::Bijector;
use crate::error::Result;
use crate::tensor::{Mask, Tensor};

/// The square map on the non-negative reals.
///
/// ```
/// use probrs::bijectors::{Bijector, Square};
/// use probrs::tensor::{DType, Tensor};
/// let b = Square::new();
/// assert_eq!(b.forward(&Tensor::scalar(3.0, DType::F64)?)?.to_scalar()?, 9.0);
/// assert_eq!(b.inverse(&Tensor::scalar(16.0, DType::F64)?)?.to_scalar()?, 4.0);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Square;

impl Square {
    /// The bijector `y = x²` on `x ≥ 0`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Square};
    /// // log |2x| at x = 3
    /// let ldj = Square::new().forward_log_det_jacobian(&Tensor::scalar(3.0, DType::F64)?, 0)?;
    /// assert!((ldj.to_scalar()? - 6f64.ln()).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new() -> Self {
        Square
    }
}

impl Bijector for Square {
    fn name(&self) -> &str {
        "square"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.square()
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        y.sqrt()
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        x.log()?.add_scalar(std::f64::consts::LN_2)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        // −log(2 √y)
        y.log()?.affine(-0.5, -std::f64::consts::LN_2)
    }
}
