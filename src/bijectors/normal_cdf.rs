//! `NormalCDF`: `y = Φ(x)`, the standard normal CDF, from the real line onto `(0, 1)` (TFP's
//! `tfb.NormalCDF`, the bijector a Gaussian copula pushes a multivariate normal through).
//!
//! ```text
//! forward  y = Φ(x) = ½ erfc(−x/√2)
//! inverse  x = Φ⁻¹(y) (ndtri)
//! log|dy/dx| = log φ(x) = −x²/2 − ½ log 2π
//! ```

use super::Bijector;
use crate::error::Result;
use crate::tensor::{Mask, Tensor};
use crate::variables::Variable;

const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// The standard normal CDF as a bijector onto the unit interval.
///
/// ```
/// use probrs::bijectors::{Bijector, NormalCDF};
/// use probrs::tensor::{DType, Tensor};
/// let b = NormalCDF::new();
/// let y = b.forward(&Tensor::vector(&[0.0, 1.959963984540054], DType::F64)?)?.to_vec()?;
/// assert!((y[0] - 0.5).abs() < 1e-15 && (y[1] - 0.975).abs() < 1e-12);
/// let x = b.inverse(&Tensor::scalar(0.975, DType::F64)?)?.to_scalar()?;
/// assert!((x - 1.959963984540054).abs() < 1e-9);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct NormalCDF;

impl NormalCDF {
    /// The bijector (no parameters).
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, NormalCDF};
    /// use probrs::tensor::{DType, Tensor};
    /// // log φ(0) = −½ log 2π.
    /// let ldj = NormalCDF::new().forward_log_det_jacobian(&Tensor::scalar(0.0, DType::F64)?, 0)?;
    /// assert!((ldj.to_scalar()? + 0.5 * (2.0 * std::f64::consts::PI).ln()).abs() < 1e-15);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new() -> Self {
        NormalCDF
    }
}

impl Bijector for NormalCDF {
    fn name(&self) -> &str {
        "normal_cdf"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.ndtr()
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        y.ndtri()
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        x.square()?.affine(-0.5, -HALF_LN_2PI)
    }
    fn visit_variables(&self, _f: &mut dyn FnMut(&Variable)) {}
}
