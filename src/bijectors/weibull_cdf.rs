//! `WeibullCDF`: `y = 1 − exp(−(x/scale)^k)`, the Weibull CDF, from `[0, ∞)` onto `[0, 1)`
//! (TFP's `tfb.WeibullCDF`; `k` is the concentration).
//!
//! ```text
//! forward  y = −expm1(−(x/scale)^k)
//! inverse  x = scale · (−log1p(−y))^{1/k}
//! log|dy/dx| = log k − log scale + (k − 1) log(x/scale) − (x/scale)^k
//! ```

use super::bijector::param_for;
use super::{constraining, Bijector, ParameterProperties, Trainable};
use crate::error::Result;
use crate::tensor::{DType, Mask, Tensor};
use crate::variables::{Param, Parameters, Variable};

/// The Weibull CDF as a bijector onto the unit interval.
///
/// ```
/// use probrs::bijectors::{Bijector, WeibullCDF};
/// use probrs::tensor::{DType, Tensor};
/// // k = 1 is the exponential CDF with mean `scale`.
/// let b = WeibullCDF::new(2.0, 1.0);
/// assert!((b.forward(&Tensor::scalar(2.0, DType::F64)?)?.to_scalar()? - (1.0 - (-1f64).exp())).abs() < 1e-15);
/// assert!((b.inverse(&Tensor::scalar(1.0 - (-1f64).exp(), DType::F64)?)?.to_scalar()? - 2.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct WeibullCDF {
    scale: Param,
    concentration: Param,
}

impl WeibullCDF {
    /// `y = 1 − exp(−(x/scale)^concentration)`, both positive.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, WeibullCDF};
    /// use probrs::tensor::{DType, Tensor};
    /// // k = 2 is the Rayleigh CDF with σ = scale/√2.
    /// let y = WeibullCDF::new(1.0, 2.0).forward(&Tensor::scalar(1.0, DType::F64)?)?;
    /// assert!((y.to_scalar()? - (1.0 - (-1f64).exp())).abs() < 1e-15);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(scale: impl Into<Param>, concentration: impl Into<Param>) -> Self {
        WeibullCDF { scale: scale.into(), concentration: concentration.into() }
    }
}

impl Bijector for WeibullCDF {
    fn name(&self) -> &str {
        "weibull_cdf"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (scale, k) = (param_for(&self.scale, x)?, param_for(&self.concentration, x)?);
        x.div(&scale)?.pow(&k)?.neg()?.expm1()?.neg()
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let (scale, k) = (param_for(&self.scale, y)?, param_for(&self.concentration, y)?);
        scale.mul(&y.neg()?.log1p()?.neg()?.pow(&k.recip()?)?)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        let (scale, k) = (param_for(&self.scale, x)?, param_for(&self.concentration, x)?);
        let lz = x.div(&scale)?.log()?;
        k.log()?.sub(&scale.log()?)?.add(&k.add_scalar(-1.0)?.mul(&lz)?)?.sub(&lz.mul(&k)?.exp()?)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.scale.visit_variables(f);
        self.concentration.visit_variables(f);
    }
}

impl Trainable for WeibullCDF {
    const NAME: &'static str = "WeibullCDF";
    /// Both parameters positive (softplus), as TFP.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, WeibullCDF};
    /// use probrs::params::MakeTrainable;
    /// let b: WeibullCDF = MakeTrainable::new().initial_value("scale", 1.0).initial_value("concentration", 2.0).build()?;
    /// assert_eq!(b.trainable_variables().len(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![
            ("scale", ParameterProperties { default_constraining_bijector: constraining::positive, ..Default::default() }),
            ("concentration", ParameterProperties { default_constraining_bijector: constraining::positive, ..Default::default() }),
        ]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let b = WeibullCDF::new(p.take_required("scale", Self::NAME)?, p.take_required("concentration", Self::NAME)?);
        p.finish(Self::NAME)?;
        Ok(b)
    }
}
