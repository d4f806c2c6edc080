//! `GompertzCDF`: `y = 1 − exp(−c (e^{r x} − 1))`, the Gompertz CDF, from `[0, ∞)` onto
//! `[0, 1)` (TFP's `tfb.GompertzCDF`; `c` is the concentration, `r` the rate).
//!
//! ```text
//! forward  y = −expm1(−c · expm1(r x))
//! inverse  x = log1p(−log1p(−y)/c) / r
//! log|dy/dx| = log c + log r + r x − c · expm1(r x)
//! ```

use super::bijector::param_for;
use super::{constraining, Bijector, ParameterProperties, Trainable};
use crate::error::Result;
use crate::tensor::{DType, Mask, Tensor};
use crate::variables::{Param, Parameters, Variable};

/// The Gompertz CDF as a bijector onto the unit interval.
///
/// ```
/// use probrs::bijectors::{Bijector, GompertzCDF};
/// use probrs::tensor::{DType, Tensor};
/// let b = GompertzCDF::new(0.5, 2.0);
/// let x = Tensor::scalar(0.3, DType::F64)?;
/// let y = b.forward(&x)?.to_scalar()?;
/// assert!((y - (1.0 - (-0.5 * (0.6f64.exp() - 1.0)).exp())).abs() < 1e-15);
/// assert!((b.inverse(&Tensor::scalar(y, DType::F64)?)?.to_scalar()? - 0.3).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct GompertzCDF {
    concentration: Param,
    rate: Param,
}

impl GompertzCDF {
    /// `y = 1 − exp(−concentration · (exp(rate · x) − 1))`, both positive.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, GompertzCDF};
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(GompertzCDF::new(1.0, 1.0).forward(&Tensor::scalar(0.0, DType::F64)?)?.to_scalar()?, 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(concentration: impl Into<Param>, rate: impl Into<Param>) -> Self {
        GompertzCDF { concentration: concentration.into(), rate: rate.into() }
    }
}

impl Bijector for GompertzCDF {
    fn name(&self) -> &str {
        "gompertz_cdf"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (c, r) = (param_for(&self.concentration, x)?, param_for(&self.rate, x)?);
        x.mul(&r)?.expm1()?.mul(&c)?.neg()?.expm1()?.neg()
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let (c, r) = (param_for(&self.concentration, y)?, param_for(&self.rate, y)?);
        y.neg()?.log1p()?.neg()?.div(&c)?.log1p()?.div(&r)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        let (c, r) = (param_for(&self.concentration, x)?, param_for(&self.rate, x)?);
        let rx = x.mul(&r)?;
        c.log()?.add(&r.log()?)?.add(&rx)?.sub(&c.mul(&rx.expm1()?)?)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.concentration.visit_variables(f);
        self.rate.visit_variables(f);
    }
}

impl Trainable for GompertzCDF {
    const NAME: &'static str = "GompertzCDF";
    /// Both parameters positive (softplus), as TFP.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, GompertzCDF};
    /// use probrs::params::MakeTrainable;
    /// let b: GompertzCDF = MakeTrainable::new().initial_value("concentration", 0.5).initial_value("rate", 2.0).build()?;
    /// assert_eq!(b.trainable_variables().len(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![
            ("concentration", ParameterProperties { default_constraining_bijector: constraining::positive, ..Default::default() }),
            ("rate", ParameterProperties { default_constraining_bijector: constraining::positive, ..Default::default() }),
        ]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let b = GompertzCDF::new(p.take_required("concentration", Self::NAME)?, p.take_required("rate", Self::NAME)?);
        p.finish(Self::NAME)?;
        Ok(b)
    }
}
