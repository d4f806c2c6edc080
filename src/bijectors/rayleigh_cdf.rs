//! `RayleighCDF`: `y = 1 − exp(−x²/(2σ²))`, the Rayleigh CDF, from `[0, ∞)` onto `[0, 1)`
//! (TFP's `tfb.RayleighCDF`; σ is the scale).
//!
//! ```text
//! forward  y = −expm1(−x²/(2σ²))
//! inverse  x = σ √(−2 log1p(−y))
//! log|dy/dx| = log x − 2 log σ − x²/(2σ²)
//! ```

use super::bijector::param_for;
use super::{constraining, Bijector, ParameterProperties, Trainable};
use crate::error::Result;
use crate::tensor::{DType, Mask, Tensor};
use crate::variables::{Param, Parameters, Variable};

/// The Rayleigh CDF as a bijector onto the unit interval.
///
/// ```
/// use probrs::bijectors::{Bijector, RayleighCDF};
/// use probrs::tensor::{DType, Tensor};
/// let b = RayleighCDF::new(2.0);
/// // At x = σ the CDF is 1 − e^{−1/2}.
/// let y = b.forward(&Tensor::scalar(2.0, DType::F64)?)?.to_scalar()?;
/// assert!((y - (1.0 - (-0.5f64).exp())).abs() < 1e-15);
/// assert!((b.inverse(&Tensor::scalar(y, DType::F64)?)?.to_scalar()? - 2.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RayleighCDF {
    scale: Param,
}

impl RayleighCDF {
    /// `y = 1 − exp(−x²/(2 scale²))`, `scale > 0`.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, RayleighCDF};
    /// use probrs::tensor::{DType, Tensor};
    /// let y = RayleighCDF::new(1.0).forward(&Tensor::scalar(0.0, DType::F64)?)?;
    /// assert_eq!(y.to_scalar()?, 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(scale: impl Into<Param>) -> Self {
        RayleighCDF { scale: scale.into() }
    }
}

impl Bijector for RayleighCDF {
    fn name(&self) -> &str {
        "rayleigh_cdf"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let s = param_for(&self.scale, x)?;
        x.div(&s)?.square()?.mul_scalar(-0.5)?.expm1()?.neg()
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let s = param_for(&self.scale, y)?;
        s.mul(&y.neg()?.log1p()?.mul_scalar(-2.0)?.sqrt()?)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        let s = param_for(&self.scale, x)?;
        x.log()?.sub(&s.log()?.mul_scalar(2.0)?)?.sub(&x.div(&s)?.square()?.mul_scalar(0.5)?)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.scale.visit_variables(f);
    }
}

impl Trainable for RayleighCDF {
    const NAME: &'static str = "RayleighCDF";
    /// `scale` positive (softplus), as TFP.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, RayleighCDF};
    /// use probrs::params::MakeTrainable;
    /// let b: RayleighCDF = MakeTrainable::new().initial_value("scale", 1.5).build()?;
    /// assert_eq!(b.trainable_variables().len(), 1);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![("scale", ParameterProperties { default_constraining_bijector: constraining::positive, ..Default::default() })]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let b = RayleighCDF::new(p.take_required("scale", Self::NAME)?);
        p.finish(Self::NAME)?;
        Ok(b)
    }
}
