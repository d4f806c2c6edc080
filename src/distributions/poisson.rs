//! The Poisson distribution (`rate` λ or `log_rate`).
//!
//! ```text
//! log P(k) = k log λ − λ − lgamma(k + 1) for integer k ≥ 0, −∞ otherwise
//! cdf(x) = Q(⌊x⌋ + 1, λ) = 1 − P(⌊x⌋ + 1, λ) for x ≥ 0      mean = variance = λ
//! ```
//! Samples are not reparameterized.

use crate::params::constraining;
use super::distribution::{check_dtype, impl_display};
use super::family::{outside_support, sample_shape};
use super::{Distribution, ReparameterizationType};
use crate::error::{Error, Result};
use crate::params::{broadcast_batch_shape, resolve_dtype, Param, ParameterProperties, Parameters, Trainable};
use crate::random::{self, Seed};
use crate::tensor::{DType, Tensor};
use std::any::Any;

#[derive(Clone, Debug)]
enum Rate {
    Rate(Param),
    LogRate(Param),
}

/// Poisson(rate) or Poisson(log_rate).
///
/// ```
/// use probrs::distributions::{Distribution, Poisson};
/// use probrs::tensor::{DType, Tensor};
/// let p = Poisson::from_rate(Tensor::scalar(3.0, DType::F64)?)?;
/// let lp = p.log_prob(&Tensor::scalar(2.0, DType::F64)?)?.to_scalar()?;
/// assert!((lp - (2.0 * 3f64.ln() - 3.0 - 2f64.ln())).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Poisson {
    rate: Rate,
    dtype: DType,
    batch_shape: Vec<usize>,
    name: String,
    validate_args: bool,
}

impl Poisson {
    fn build(rate: Rate) -> Result<Self> {
        let (name, p) = match &rate {
            Rate::Rate(p) => ("rate", p),
            Rate::LogRate(p) => ("log_rate", p),
        };
        let dtype = resolve_dtype(&[(name, p)])?;
        let batch_shape = broadcast_batch_shape(&[(name, p, 0)])?;
        let constant = p.is_constant();
        let d = Poisson { rate, dtype, batch_shape, name: "Poisson".into(), validate_args: false };
        if constant {
            d.check()?;
        }
        Ok(d)
    }
    /// λ ≥ 0.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Poisson};
    /// let d = Poisson::from_rate(Tensor::scalar(2.0, DType::F64)?)?;
    /// // P(0) = e^(−2)
    /// assert!((d.prob(&Tensor::scalar(0.0, DType::F64)?)?.to_scalar()? - (-2.0f64).exp()).abs() < 1e-12);
    /// assert!(Poisson::from_rate(Tensor::scalar(-1.0, DType::F64)?).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_rate(rate: impl Into<Param>) -> Result<Self> {
        Self::build(Rate::Rate(rate.into()))
    }
    /// log λ.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Poisson};
    /// let d = Poisson::from_log_rate(Tensor::scalar(0.0, DType::F64)?)?;
    /// assert!((d.mean()?.to_scalar()? - 1.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_log_rate(log_rate: impl Into<Param>) -> Result<Self> {
        Self::build(Rate::LogRate(log_rate.into()))
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Poisson};
    /// assert_eq!(Poisson::from_rate(3.0)?.with_name("arrivals").name(), "arrivals");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    /// Checks the parameters at every use too (they may be variables).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Poisson};
    /// use probrs::params::Variable;
    /// let rate = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "rate")?;
    /// let d = Poisson::from_rate(&rate)?.with_validate_args(true)?;
    /// rate.assign(&Tensor::scalar(-2.0, DType::F64)?)?;
    /// assert!(d.mean().is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_validate_args(mut self, v: bool) -> Result<Self> {
        self.validate_args = v;
        self.check()?;
        Ok(self)
    }
    fn check(&self) -> Result<()> {
        if let Rate::Rate(p) = &self.rate {
            if let Some(bad) = p.values_f64(self.dtype)?.iter().find(|v| !(**v >= 0.0)) {
                return Err(Error::invalid_parameter("rate", format!("must be non-negative, got {bad}")));
            }
        }
        Ok(())
    }
    /// λ.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Poisson;
    /// let d = Poisson::from_log_rate(Tensor::scalar(2f64.ln(), DType::F64)?)?;
    /// assert!((d.rate()?.to_scalar()? - 2.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn rate(&self) -> Result<Tensor> {
        if self.validate_args {
            self.check()?;
        }
        match &self.rate {
            Rate::Rate(p) => p.value(self.dtype),
            Rate::LogRate(p) => p.value(self.dtype)?.exp(),
        }
    }
    fn batch(&self, t: Tensor) -> Result<Tensor> {
        t.broadcast_to(&self.batch_shape)?.contiguous()
    }
}

impl Distribution for Poisson {
    fn class_name(&self) -> &'static str {
        "Poisson"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn batch_shape(&self) -> Vec<usize> {
        self.batch_shape.clone()
    }
    fn reparameterization_type(&self) -> ReparameterizationType {
        ReparameterizationType::NotReparameterized
    }
    fn validate_args(&self) -> bool {
        self.validate_args
    }
    fn parameters(&self) -> Vec<(&'static str, &Param)> {
        match &self.rate {
            Rate::Rate(p) => vec![("rate", p)],
            Rate::LogRate(p) => vec![("log_rate", p)],
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let rate = self.rate()?;
        let lp = x.xlogy(&rate)?.sub(&rate)?.sub(&x.add_scalar(1.0)?.lgamma()?)?;
        let bad = x.lt_scalar(0.0)?.not()?.and(&x.eq(&x.floor()?)?)?.not()?;
        outside_support(&bad, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let k = x.floor()?.maximum(&x.zeros_like()?)?.add_scalar(1.0)?;
        let c = Tensor::igamma(&k, &self.rate()?.add(&x.zeros_like()?)?)?.affine(-1.0, 1.0)?;
        Tensor::where_(&x.lt_scalar(0.0)?, &c.zeros_like()?, &c)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let r = self.rate()?.detach().broadcast_to(&self.batch_shape)?.contiguous()?;
        let s = random::poisson(shape, &r, seed)?;
        debug_assert_eq!(s.shape(), sample_shape(shape, &self.batch_shape).as_slice());
        Ok(s)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.rate()?)
    }
    fn variance(&self) -> Result<Tensor> {
        self.mean()
    }
    fn mode(&self) -> Result<Tensor> {
        self.batch(self.rate()?.floor()?)
    }
}

impl_display!(Poisson);


impl Trainable for Poisson {
    const NAME: &'static str = "Poisson";
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![
            ("rate", ParameterProperties::constrained(constraining::positive)),
            ("log_rate", ParameterProperties { default_constraining_bijector: constraining::real, is_preferred: false, ..Default::default() }),
        ]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let d = match p.take_one_of("rate", "log_rate", Self::NAME)? {
            crate::params::OneOf::First(r) => Poisson::from_rate(r)?,
            crate::params::OneOf::Second(l) => Poisson::from_log_rate(l)?,
        };
        let d = match p.name.take() {
            Some(n) => d.with_name(&n),
            None => d,
        };
        let v = p.validate_args;
        p.finish(Self::NAME)?;
        if v {
            d.with_validate_args(true)
        } else {
            Ok(d)
        }
    }
}

/// KL(Poisson(λ₁) ‖ Poisson(λ₂)) = λ₁ log(λ₁/λ₂) − λ₁ + λ₂.
///
/// ```
/// use probrs::distributions::{kl_poisson, Poisson};
/// // λ₁ log(λ₁/λ₂) − λ₁ + λ₂
/// let kl = kl_poisson(&Poisson::from_rate(2.0)?, &Poisson::from_rate(1.0)?)?.to_scalar()?;
/// assert!((kl - (2.0 * 2f64.ln() - 1.0)).abs() < 1e-5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_poisson(p: &Poisson, q: &Poisson) -> Result<Tensor> {
    let (l1, l2) = (p.rate()?, q.rate()?);
    l1.xlogy(&l1.div(&l2)?)?.sub(&l1)?.add(&l2)
}
