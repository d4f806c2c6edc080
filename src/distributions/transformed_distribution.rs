//! `TransformedDistribution`: `Y = f(X)` for a base distribution `X` and any bijector `f`
//! (including the user's own).
//!
//! ```text
//! log p_Y(y) = log p_X(f⁻¹(y)) + log|det J_{f⁻¹}(y)|   (event rank carried through f)
//! sample = f(base.sample)      event_shape = f.forward_event_shape(base.event_shape)
//! ```
//! Moments are not defined for a general bijector (as TFP); the mean is `f(E[X])` when `f` has a
//! constant Jacobian (an affine map), as TFP's `mean`.
//!
//! For a scalar bijector that is monotone ([`Bijector::is_increasing`]), the cdf family is
//! defined as TFP defines it, swapping lower and upper tails where `f` decreases:
//!
//! ```text
//! f increasing:  cdf(y) = F_X(f⁻¹(y))     survival(y) = S_X(f⁻¹(y))     quantile(p) = f(F_X⁻¹(p))
//! f decreasing:  cdf(y) = S_X(f⁻¹(y))     survival(y) = F_X(f⁻¹(y))     quantile(p) = f(F_X⁻¹(1 − p))
//! ```
//! (and `log_cdf`, `log_survival_function` likewise). Other bijectors leave them undefined.

use super::distribution::{check_dtype, impl_display};
use super::{Distribution, ReparameterizationType};
use crate::bijectors::Bijector;
use crate::error::{Error, Result};
use crate::params::{Param, Variable};
use crate::random::Seed;
use crate::tensor::{DType, Mask, Tensor};
use std::any::Any;
use std::sync::Arc;

/// A distribution pushed through a bijector.
///
/// ```
/// use probrs::bijectors::Exp;
/// use probrs::distributions::{Distribution, Normal, TransformedDistribution};
/// use probrs::tensor::{DType, Tensor};
/// let log_normal = TransformedDistribution::new(Normal::new(Tensor::scalar(0.0, DType::F64)?, 1.0)?, Exp::new())?;
/// let lp = log_normal.log_prob(&Tensor::scalar(1.0, DType::F64)?)?.to_scalar()?;
/// assert!((lp + 0.9189385332046727).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct TransformedDistribution {
    base: Arc<dyn Distribution>,
    bijector: Arc<dyn Bijector>,
    event_shape: Vec<usize>,
    name: String,
}

impl TransformedDistribution {
    /// The distribution of `bijector.forward(X)`, `X ~ distribution`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::Exp;
    /// use probrs::distributions::{Distribution, LogNormal, Normal, TransformedDistribution};
    /// // exp of a normal is a log-normal.
    /// let d = TransformedDistribution::new(Normal::new(0.0, 1.0)?, Exp::new())?;
    /// let x = Tensor::scalar(2.0, DType::F32)?;
    /// let expected = LogNormal::new(0.0, 1.0)?.log_prob(&x)?.to_scalar()?;
    /// assert!((d.log_prob(&x)?.to_scalar()? - expected).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(distribution: impl Distribution + 'static, bijector: impl Bijector + 'static) -> Result<Self> {
        Self::from_arcs(Arc::new(distribution), Arc::new(bijector))
    }
    /// As [`TransformedDistribution::new`], from shared parts.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Shift};
    /// use probrs::distributions::{Distribution, Normal, TransformedDistribution};
    /// use std::sync::Arc;
    /// let base: Arc<dyn Distribution> = Arc::new(Normal::new(0.0, 1.0)?);
    /// let shift: Arc<dyn Bijector> = Arc::new(Shift::new(3.0));
    /// let d = TransformedDistribution::from_arcs(base, shift)?;
    /// assert!((d.mean()?.to_scalar()? - 3.0).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_arcs(base: Arc<dyn Distribution>, bijector: Arc<dyn Bijector>) -> Result<Self> {
        let event_shape = bijector.forward_event_shape(&base.event_shape())?;
        let name = format!("{}{}", bijector.name(), base.name());
        Ok(TransformedDistribution { base, bijector, event_shape, name })
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::bijectors::Exp;
    /// use probrs::distributions::{Distribution, Normal, TransformedDistribution};
    /// let d = TransformedDistribution::new(Normal::new(0.0, 1.0)?, Exp::new())?.with_name("positive");
    /// assert_eq!(d.name(), "positive");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    /// The base distribution.
    ///
    /// ```
    /// use probrs::bijectors::Exp;
    /// use probrs::distributions::{Distribution, Normal, TransformedDistribution};
    /// let d = TransformedDistribution::new(Normal::new(0.0, 1.0)?, Exp::new())?;
    /// assert_eq!(d.distribution().class_name(), "Normal");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn distribution(&self) -> &Arc<dyn Distribution> {
        &self.base
    }
    /// The bijector.
    ///
    /// ```
    /// use probrs::bijectors::Exp;
    /// use probrs::distributions::{Normal, TransformedDistribution};
    /// let d = TransformedDistribution::new(Normal::new(0.0, 1.0)?, Exp::new())?;
    /// assert_eq!(d.bijector().name(), "exp");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn bijector(&self) -> &Arc<dyn Bijector> {
        &self.bijector
    }
}

/// Which tail of the base a tail of `Y = f(X)` is: where `f` increases, the same one.
enum Direction {
    Increasing,
    Decreasing,
    Mixed(Mask),
}

impl TransformedDistribution {
    fn direction(&self, what: &str) -> Result<Direction> {
        if self.bijector.forward_min_event_ndims() != 0 {
            return Err(Error::not_defined(self.class_name(), &format!("{what} (the bijector {} is not scalar)", self.bijector.name())));
        }
        let Some(inc) = self.bijector.is_increasing()? else {
            return Err(Error::not_defined(self.class_name(), &format!("{what} (the bijector {} is not known to be monotone)", self.bijector.name())));
        };
        Ok(if inc.all()? {
            Direction::Increasing
        } else if !inc.any()? {
            Direction::Decreasing
        } else {
            Direction::Mixed(inc)
        })
    }
    /// `same(x)` where `f` increases and `swapped(x)` where it decreases, at `x = f⁻¹(y)`.
    fn tail(&self, y: &Tensor, what: &str, same: impl Fn(&Tensor) -> Result<Tensor>, swapped: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
        check_dtype(self, y, what)?;
        let direction = self.direction(what)?;
        let x = self.bijector.inverse(y)?;
        match direction {
            Direction::Increasing => same(&x),
            Direction::Decreasing => swapped(&x),
            Direction::Mixed(inc) => Tensor::where_(&inc, &same(&x)?, &swapped(&x)?),
        }
    }
}

impl Distribution for TransformedDistribution {
    fn class_name(&self) -> &'static str {
        "TransformedDistribution"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dtype(&self) -> DType {
        self.base.dtype()
    }
    fn batch_shape(&self) -> Vec<usize> {
        self.base.batch_shape()
    }
    fn event_shape(&self) -> Vec<usize> {
        self.event_shape.clone()
    }
    fn reparameterization_type(&self) -> ReparameterizationType {
        self.base.reparameterization_type()
    }
    fn parameters(&self) -> Vec<(&'static str, &Param)> {
        self.base.parameters()
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.base.visit_variables(f);
        self.bijector.visit_variables(f);
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn default_event_space_bijector(&self) -> Result<Arc<dyn Bijector>> {
        Ok(Arc::new(crate::bijectors::Chain::new(vec![self.bijector.clone(), self.base.default_event_space_bijector()?])))
    }
    fn log_prob(&self, y: &Tensor) -> Result<Tensor> {
        check_dtype(self, y, "log_prob")?;
        let (x, ildj) = self.bijector.inverse_and_inverse_log_det_jacobian(y, self.event_shape.len())?;
        self.base.log_prob(&x)?.add(&ildj)
    }
    fn sample(&self, sample_shape: &[usize], seed: Seed) -> Result<Tensor> {
        self.bijector.forward(&self.base.sample(sample_shape, seed)?)
    }
    fn mean(&self) -> Result<Tensor> {
        // E[f(X)] = f(E[X]) for an affine f (a constant Jacobian); undefined otherwise, as TFP.
        if !self.bijector.is_constant_jacobian() {
            return Err(Error::not_defined(self.class_name(), "mean"));
        }
        self.bijector.forward(&self.base.mean()?)
    }
    fn cdf(&self, y: &Tensor) -> Result<Tensor> {
        self.tail(y, "cdf", |x| self.base.cdf(x), |x| self.base.survival_function(x))
    }
    fn log_cdf(&self, y: &Tensor) -> Result<Tensor> {
        self.tail(y, "log_cdf", |x| self.base.log_cdf(x), |x| self.base.log_survival_function(x))
    }
    fn survival_function(&self, y: &Tensor) -> Result<Tensor> {
        self.tail(y, "survival_function", |x| self.base.survival_function(x), |x| self.base.cdf(x))
    }
    fn log_survival_function(&self, y: &Tensor) -> Result<Tensor> {
        self.tail(y, "log_survival_function", |x| self.base.log_survival_function(x), |x| self.base.log_cdf(x))
    }
    fn quantile(&self, p: &Tensor) -> Result<Tensor> {
        check_dtype(self, p, "quantile")?;
        let x = match self.direction("quantile")? {
            Direction::Increasing => self.base.quantile(p)?,
            Direction::Decreasing => self.base.quantile(&p.affine(-1.0, 1.0)?)?,
            Direction::Mixed(inc) => Tensor::where_(&inc, &self.base.quantile(p)?, &self.base.quantile(&p.affine(-1.0, 1.0)?)?)?,
        };
        self.bijector.forward(&x)
    }
    fn sample_and_log_prob(&self, sample_shape: &[usize], seed: Seed) -> Result<(Tensor, Tensor)> {
        let (x, lp) = self.base.sample_and_log_prob(sample_shape, seed)?;
        // Forward and log-det in one pass (an IAF surrogate's network runs once per flow).
        let (y, fldj) = self.bijector.forward_and_forward_log_det_jacobian(&x, self.base.event_shape().len())?;
        Ok((y, lp.sub(&fldj)?))
    }
}

impl_display!(TransformedDistribution);
