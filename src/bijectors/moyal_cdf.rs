//! `MoyalCDF`: the Moyal distribution's CDF, from the real line onto `(0, 1)` (TFP's
//! `tfb.MoyalCDF`).
//!
//! ```text
//! z = (x − loc)/scale
//! forward  y = erfc(e^{−z/2}/√2) = 2 Φ(−e^{−z/2})
//! inverse  x = loc − 2 scale · log(−Φ⁻¹(y/2))
//! log|dy/dx| = −(z + e^{−z})/2 − ½ log 2π − log scale      (the Moyal density)
//! ```

use super::bijector::param_for;
use super::{constraining, Bijector, ParameterProperties, Trainable};
use crate::error::Result;
use crate::tensor::{DType, Mask, Tensor};
use crate::variables::{Param, Parameters, Variable};

const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// The Moyal CDF as a bijector onto the unit interval.
///
/// ```
/// use probrs::bijectors::{Bijector, MoyalCDF};
/// use probrs::tensor::{DType, Tensor};
/// let b = MoyalCDF::new(0.0, 1.0);
/// // At z = 0: erfc(1/√2) = 2 Φ(−1).
/// let y = b.forward(&Tensor::scalar(0.0, DType::F64)?)?.to_scalar()?;
/// assert!((y - 0.31731050786291415).abs() < 1e-12);
/// assert!(b.inverse(&Tensor::scalar(y, DType::F64)?)?.to_scalar()?.abs() < 1e-9);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MoyalCDF {
    loc: Param,
    scale: Param,
}

impl MoyalCDF {
    /// The CDF of the Moyal distribution with `loc` and `scale > 0`.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, MoyalCDF};
    /// use probrs::tensor::{DType, Tensor};
    /// // Shifting x and loc together leaves y unchanged.
    /// let a = MoyalCDF::new(1.0, 2.0).forward(&Tensor::scalar(3.0, DType::F64)?)?.to_scalar()?;
    /// let b = MoyalCDF::new(0.0, 2.0).forward(&Tensor::scalar(2.0, DType::F64)?)?.to_scalar()?;
    /// assert!((a - b).abs() < 1e-15);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(loc: impl Into<Param>, scale: impl Into<Param>) -> Self {
        MoyalCDF { loc: loc.into(), scale: scale.into() }
    }
    fn z(&self, x: &Tensor) -> Result<Tensor> {
        x.sub(&param_for(&self.loc, x)?)?.div(&param_for(&self.scale, x)?)
    }
}

impl Bijector for MoyalCDF {
    fn name(&self) -> &str {
        "moyal_cdf"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.z(x)?.mul_scalar(-0.5)?.exp()?.neg()?.ndtr()?.mul_scalar(2.0)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let (loc, scale) = (param_for(&self.loc, y)?, param_for(&self.scale, y)?);
        loc.sub(&scale.mul(&y.mul_scalar(0.5)?.ndtri()?.neg()?.log()?)?.mul_scalar(2.0)?)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        let z = self.z(x)?;
        z.add(&z.neg()?.exp()?)?.affine(-0.5, -HALF_LN_2PI)?.sub(&param_for(&self.scale, x)?.log()?)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.loc.visit_variables(f);
        self.scale.visit_variables(f);
    }
}

impl Trainable for MoyalCDF {
    const NAME: &'static str = "MoyalCDF";
    /// `loc` unconstrained, `scale` positive (softplus), as TFP.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, MoyalCDF};
    /// use probrs::params::MakeTrainable;
    /// let b: MoyalCDF = MakeTrainable::new().initial_value("loc", 0.0).initial_value("scale", 1.0).build()?;
    /// assert_eq!(b.trainable_variables().len(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![("loc", ParameterProperties::default()), ("scale", ParameterProperties { default_constraining_bijector: constraining::positive, ..Default::default() })]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let b = MoyalCDF::new(p.take_required("loc", Self::NAME)?, p.take_required("scale", Self::NAME)?);
        p.finish(Self::NAME)?;
        Ok(b)
    }
}
