//! `Softplus`: `y = c · log(1 + exp(x / c)) + low`, onto `(low, ∞)`.
//!
//! `c` is `hinge_softness` (default 1) and `low` the lower bound (default 0).
//! `log|dy/dx| = log_sigmoid(x / c)`. The inverse is `c · softplus⁻¹((y − low) / c)`.

use super::bijector::param_for;
use super::Bijector;
use crate::error::{Error, Result};
use crate::variables::{Param, Parameters, Variable};
use super::{ParameterProperties, Trainable};
use crate::tensor::{DType, Mask, Tensor};
use std::sync::Arc;

/// The softplus map onto `(low, ∞)`.
///
/// ```
/// use probrs::bijectors::{Bijector, Softplus};
/// use probrs::tensor::{DType, Tensor};
/// let b = Softplus::new();
/// let y = b.forward(&Tensor::vector(&[0.0], DType::F64)?)?;
/// assert!((y.to_vec()?[0] - 2f64.ln()).abs() < 1e-15);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Softplus {
    hinge_softness: Option<Param>,
    low: Option<Param>,
}

impl Softplus {
    /// `y = log(1 + exp(x))` with hinge softness 1 and no lower bound shift.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Softplus};
    /// let b = Softplus::new();
    /// assert!((b.inverse(&Tensor::scalar(2f64.ln(), DType::F64)?)?.to_scalar()?).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new() -> Self {
        Softplus { hinge_softness: None, low: None }
    }
    /// Sets `hinge_softness` (must be non-zero).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Softplus};
    /// // c · log(1 + exp(x / c)): a sharper hinge for small c.
    /// let b = Softplus::new().with_hinge_softness(0.5)?;
    /// let y = b.forward(&Tensor::scalar(0.0, DType::F64)?)?.to_scalar()?;
    /// assert!((y - 0.5 * 2f64.ln()).abs() < 1e-12);
    /// assert!(Softplus::new().with_hinge_softness(0.0).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_hinge_softness(mut self, c: impl Into<Param>) -> Result<Self> {
        let c = c.into();
        if let Param::Scalar(v) = c {
            if v == 0.0 || !v.is_finite() {
                return Err(Error::invalid_parameter("hinge_softness", format!("must be finite and non-zero, got {v}")));
            }
        }
        self.hinge_softness = Some(c);
        Ok(self)
    }
    /// Sets the lower bound `low`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Softplus};
    /// // Onto (1, ∞).
    /// let b = Softplus::new().with_low(1.0);
    /// assert!((b.forward(&Tensor::scalar(-5.0, DType::F64)?)?.to_scalar()? - (1.0 + (-5.0f64).exp().ln_1p())).abs() < 1e-15);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_low(mut self, low: impl Into<Param>) -> Self {
        self.low = Some(low.into());
        self
    }
    fn c(&self, x: &Tensor) -> Result<Option<Tensor>> {
        self.hinge_softness.as_ref().map(|c| param_for(c, x)).transpose()
    }
    fn low(&self, x: &Tensor) -> Result<Option<Tensor>> {
        self.low.as_ref().map(|l| param_for(l, x)).transpose()
    }
}

impl Bijector for Softplus {
    fn name(&self) -> &str {
        "softplus"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = match self.c(x)? {
            None => x.softplus()?,
            Some(c) => x.div(&c)?.softplus()?.mul(&c)?,
        };
        match self.low(x)? {
            None => Ok(y),
            Some(l) => y.add(&l),
        }
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let y = match self.low(y)? {
            None => y.clone(),
            Some(l) => y.sub(&l)?,
        };
        match self.c(&y)? {
            None => y.softplus_inverse(),
            Some(c) => y.div(&c)?.softplus_inverse()?.mul(&c),
        }
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        match self.c(x)? {
            None => x.log_sigmoid(),
            Some(c) => x.div(&c)?.log_sigmoid(),
        }
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        for p in [&self.hinge_softness, &self.low].into_iter().flatten() {
            p.visit_variables(f);
        }
    }
}


impl Trainable for Softplus {
    const NAME: &'static str = "Softplus";
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![("hinge_softness", ParameterProperties::constrained(softplus_with_eps_floor)), ("low", ParameterProperties::default())]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let mut b = Softplus::new();
        if let Some(c) = p.take("hinge_softness") {
            b = b.with_hinge_softness(c)?;
        }
        if let Some(l) = p.take("low") {
            b = b.with_low(l);
        }
        p.finish(Self::NAME)?;
        Ok(b)
    }
}

/// Softplus with `low = eps(dtype)`: TFP's constraint for a positive parameter
/// ([`constraining::positive`](super::constraining::positive)), defined here so that Softplus's
/// own `hinge_softness` can use it without a cycle.
pub(crate) fn softplus_with_eps_floor(dtype: DType) -> Arc<dyn Bijector> {
    Arc::new(Softplus::new().with_low(Tensor::scalar(dtype.eps(), dtype).expect("a scalar tensor is always constructible")))
}
