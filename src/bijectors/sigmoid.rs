//! `Sigmoid`: `y = low + (high − low) · sigmoid(x)`, onto `(low, high)` (default `(0, 1)`).
//!
//! `log|dy/dx| = log(high − low) + log_sigmoid(x) + log_sigmoid(−x)`;
//! `x = log(y − low) − log(high − y)`.

use super::bijector::param_for;
use super::Bijector;
use crate::error::{Error, Result};
use crate::variables::{Param, Parameters, Variable};
use super::{ParameterProperties, Trainable};
use crate::tensor::{DType, Mask, Tensor};

/// The logistic map onto `(low, high)`.
///
/// ```
/// use probrs::bijectors::{Bijector, Sigmoid};
/// use probrs::tensor::{DType, Tensor};
/// let b = Sigmoid::new();
/// assert_eq!(b.forward(&Tensor::scalar(0.0, DType::F64)?)?.to_scalar()?, 0.5);
/// assert!((b.inverse(&Tensor::scalar(0.75, DType::F64)?)?.to_scalar()? - 3f64.ln()).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Sigmoid {
    bounds: Option<(Param, Param)>,
}

impl Sigmoid {
    /// The logistic sigmoid onto `(0, 1)`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Sigmoid};
    /// let b = Sigmoid::new();
    /// // log |σ'(0)| = log ¼
    /// assert!((b.forward_log_det_jacobian(&Tensor::scalar(0.0, DType::F64)?, 0)?.to_scalar()? - 0.25f64.ln()).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new() -> Self {
        Sigmoid { bounds: None }
    }
    /// Onto `(low, high)`; both must be given (as TFP requires).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Sigmoid};
    /// let b = Sigmoid::with_bounds(-1.0, 3.0)?;
    /// assert_eq!(b.forward(&Tensor::scalar(0.0, DType::F64)?)?.to_scalar()?, 1.0); // the midpoint
    /// assert!(Sigmoid::with_bounds(3.0, -1.0).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_bounds(low: impl Into<Param>, high: impl Into<Param>) -> Result<Self> {
        let (low, high) = (low.into(), high.into());
        if let (Param::Scalar(l), Param::Scalar(h)) = (&low, &high) {
            if !(l < h) {
                return Err(Error::invalid_parameter("low", format!("low ({l}) must be below high ({h})")));
            }
        }
        Ok(Sigmoid { bounds: Some((low, high)) })
    }
}

impl Bijector for Sigmoid {
    fn name(&self) -> &str {
        "sigmoid"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let s = x.sigmoid()?;
        match &self.bounds {
            None => Ok(s),
            Some((l, h)) => {
                let (l, h) = (param_for(l, x)?, param_for(h, x)?);
                // high·σ(x) + low·σ(−x): exact at both ends.
                h.mul(&s)?.add(&l.mul(&x.neg()?.sigmoid()?)?)
            }
        }
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        match &self.bounds {
            None => y.log()?.sub(&y.neg()?.log1p()?),
            Some((l, h)) => {
                let (l, h) = (param_for(l, y)?, param_for(h, y)?);
                y.sub(&l)?.log()?.sub(&h.sub(y)?.log()?)
            }
        }
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        let base = x.log_sigmoid()?.add(&x.neg()?.log_sigmoid()?)?;
        match &self.bounds {
            None => Ok(base),
            Some((l, h)) => base.add(&param_for(h, x)?.sub(&param_for(l, x)?)?.log()?),
        }
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        if let Some((l, h)) = &self.bounds {
            l.visit_variables(f);
            h.visit_variables(f);
        }
    }
}

impl Trainable for Sigmoid {
    const NAME: &'static str = "Sigmoid";
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![("low", ParameterProperties::default()), ("high", ParameterProperties::default())]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let b = match (p.take("low"), p.take("high")) {
            (None, None) => Sigmoid::new(),
            (Some(l), Some(h)) => Sigmoid::with_bounds(l, h)?,
            _ => return Err(Error::invalid_parameter("low", "Sigmoid needs both `low` and `high`, or neither")),
        };
        p.finish(Self::NAME)?;
        Ok(b)
    }
}
