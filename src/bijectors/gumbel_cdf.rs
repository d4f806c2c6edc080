//! `GumbelCDF`: `y = exp(−exp(−(x − loc)/scale))`, the Gumbel CDF, from the real line onto
//! `(0, 1)` (TFP's `tfb.GumbelCDF`).
//!
//! ```text
//! z = (x − loc)/scale
//! forward  y = exp(−exp(−z))
//! inverse  x = loc − scale · log(−log y)
//! log|dy/dx| = −z − exp(−z) − log scale
//! ```

use super::bijector::param_for;
use super::{constraining, Bijector, ParameterProperties, Trainable};
use crate::error::Result;
use crate::tensor::{DType, Mask, Tensor};
use crate::variables::{Param, Parameters, Variable};

/// The Gumbel CDF as a bijector onto the unit interval.
///
/// ```
/// use probrs::bijectors::{Bijector, GumbelCDF};
/// use probrs::tensor::{DType, Tensor};
/// let b = GumbelCDF::new(1.0, 2.0);
/// // At x = loc the CDF is exp(−1).
/// assert!((b.forward(&Tensor::scalar(1.0, DType::F64)?)?.to_scalar()? - (-1f64).exp()).abs() < 1e-15);
/// assert!((b.inverse(&Tensor::scalar((-1f64).exp(), DType::F64)?)?.to_scalar()? - 1.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct GumbelCDF {
    loc: Param,
    scale: Param,
}

impl GumbelCDF {
    /// `y = exp(−exp(−(x − loc)/scale))`, `scale > 0`.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, GumbelCDF};
    /// use probrs::tensor::{DType, Tensor};
    /// let y = GumbelCDF::new(0.0, 1.0).forward(&Tensor::scalar(0.0, DType::F64)?)?;
    /// assert!((y.to_scalar()? - (-1f64).exp()).abs() < 1e-15);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(loc: impl Into<Param>, scale: impl Into<Param>) -> Self {
        GumbelCDF { loc: loc.into(), scale: scale.into() }
    }
    fn z(&self, x: &Tensor) -> Result<Tensor> {
        x.sub(&param_for(&self.loc, x)?)?.div(&param_for(&self.scale, x)?)
    }
}

impl Bijector for GumbelCDF {
    fn name(&self) -> &str {
        "gumbel_cdf"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.z(x)?.neg()?.exp()?.neg()?.exp()
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let (loc, scale) = (param_for(&self.loc, y)?, param_for(&self.scale, y)?);
        loc.sub(&scale.mul(&y.log()?.neg()?.log()?)?)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        let z = self.z(x)?;
        z.neg()?.sub(&z.neg()?.exp()?)?.sub(&param_for(&self.scale, x)?.log()?)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.loc.visit_variables(f);
        self.scale.visit_variables(f);
    }
}

impl Trainable for GumbelCDF {
    const NAME: &'static str = "GumbelCDF";
    /// `loc` unconstrained, `scale` positive (softplus), as TFP.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, GumbelCDF};
    /// use probrs::params::MakeTrainable;
    /// let b: GumbelCDF = MakeTrainable::new().initial_value("loc", 0.0).initial_value("scale", 1.0).build()?;
    /// assert_eq!(b.trainable_variables().len(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![("loc", ParameterProperties::default()), ("scale", ParameterProperties { default_constraining_bijector: constraining::positive, ..Default::default() })]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let b = GumbelCDF::new(p.take_required("loc", Self::NAME)?, p.take_required("scale", Self::NAME)?);
        p.finish(Self::NAME)?;
        Ok(b)
    }
}
