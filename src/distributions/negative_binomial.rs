//! The NegativeBinomial distribution: successes before `total_count` r failures, with success
//! probability p (`logits` or `probs`), as TFP.
//!
//! ```text
//! log P(k) = lgamma(k + r) − lgamma(k + 1) − lgamma(r) + k·logits − (k + r)·softplus(logits)
//! cdf(x) = I_{1−p}(r, ⌊x⌋ + 1)      mean = r p/(1 − p)   variance = r p/(1 − p)²
//! ```
//! Samples: Poisson(λ) with λ ~ Gamma(r, rate (1 − p)/p); not reparameterized.

use super::distribution::{check_dtype, impl_display};
use super::family::outside_support;
use super::{Distribution, ReparameterizationType};
use crate::error::{Error, Result};
use crate::params::{broadcast_batch_shape, constraining, resolve_dtype, Param, ParameterProperties, Parameters, Trainable};
use crate::random::{self, Seed};
use crate::tensor::{DType, Tensor};
use std::any::Any;

/// NegativeBinomial(total_count, logits | probs).
///
/// ```
/// use probrs::distributions::{Distribution, NegativeBinomial};
/// use probrs::tensor::Tensor;
/// // Successes before the first failure (r = 1) with success probability ¼: P(2) = ¾ · ¼².
/// let d = NegativeBinomial::from_probs(1.0, 0.25)?;
/// assert!((d.prob(&Tensor::scalar(2.0, d.dtype())?)?.to_scalar()? - 0.75 * 0.0625).abs() < 1e-6);
/// assert!((d.mean()?.to_scalar()? - 1.0 / 3.0).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct NegativeBinomial {
    total_count: Param,
    logits: Option<Param>,
    probs: Option<Param>,
    dtype: DType,
    batch_shape: Vec<usize>,
    name: String,
}

impl NegativeBinomial {
    fn build(total_count: Param, logits: Option<Param>, probs: Option<Param>) -> Result<Self> {
        let w = logits.as_ref().or(probs.as_ref()).expect("one of logits / probs");
        let dtype = resolve_dtype(&[("total_count", &total_count), ("probs", w)])?;
        let batch_shape = broadcast_batch_shape(&[("total_count", &total_count, 0), ("probs", w, 0)])?;
        if total_count.is_constant() {
            if let Some(bad) = total_count.values_f64(dtype)?.iter().find(|v| !(**v > 0.0)) {
                return Err(Error::invalid_parameter("total_count", format!("must be positive, got {bad}")));
            }
        }
        if let Some(p) = probs.as_ref().filter(|p| p.is_constant()) {
            if let Some(bad) = p.values_f64(dtype)?.iter().find(|v| !(0.0..1.0).contains(*v)) {
                return Err(Error::invalid_parameter("probs", format!("must lie in [0, 1), got {bad}")));
            }
        }
        Ok(NegativeBinomial { total_count, logits, probs, dtype, batch_shape, name: "NegativeBinomial".into() })
    }
    /// Successes before `total_count` failures, success probability `sigmoid(logits)` (TFP's convention).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, NegativeBinomial};
    /// // Even odds, 3 failures: 3 successes expected.
    /// let d = NegativeBinomial::from_logits(Tensor::scalar(3.0, DType::F64)?, Tensor::scalar(0.0, DType::F64)?)?;
    /// assert!((d.mean()?.to_scalar()? - 3.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_logits(total_count: impl Into<Param>, logits: impl Into<Param>) -> Result<Self> {
        Self::build(total_count.into(), Some(logits.into()), None)
    }
    /// Successes before `total_count` failures, success probability `probs`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, NegativeBinomial};
    /// let d = NegativeBinomial::from_probs(Tensor::scalar(2.0, DType::F64)?, Tensor::scalar(0.5, DType::F64)?)?;
    /// // variance r p/(1 − p)² = 2 · ½ / ¼
    /// assert!((d.variance()?.to_scalar()? - 4.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_probs(total_count: impl Into<Param>, probs: impl Into<Param>) -> Result<Self> {
        Self::build(total_count.into(), None, Some(probs.into()))
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, NegativeBinomial};
    /// assert_eq!(NegativeBinomial::from_probs(2.0, 0.5)?.with_name("overdispersed").name(), "overdispersed");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    fn logits(&self) -> Result<Tensor> {
        match (&self.logits, &self.probs) {
            (Some(l), _) => l.value(self.dtype),
            (None, Some(p)) => {
                let p = p.value(self.dtype)?;
                p.log()?.sub(&p.neg()?.log1p()?)
            }
            _ => unreachable!("constructed with one of them"),
        }
    }
    fn r(&self) -> Result<Tensor> {
        self.total_count.value(self.dtype)
    }
    fn batch(&self, t: Tensor) -> Result<Tensor> {
        t.broadcast_to(&self.batch_shape)?.contiguous()
    }
}

impl Distribution for NegativeBinomial {
    fn class_name(&self) -> &'static str {
        "NegativeBinomial"
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
    fn parameters(&self) -> Vec<(&'static str, &Param)> {
        let mut v = vec![("total_count", &self.total_count)];
        if let Some(l) = &self.logits {
            v.push(("logits", l));
        }
        if let Some(p) = &self.probs {
            v.push(("probs", p));
        }
        v
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let (r, l) = (self.r()?, self.logits()?);
        let comb = x.add(&r)?.lgamma()?.sub(&x.add_scalar(1.0)?.lgamma()?)?.sub(&r.lgamma()?)?;
        let lp = comb.add(&x.mul(&l)?)?.sub(&x.add(&r)?.mul(&l.softplus()?)?)?;
        let bad = x.lt_scalar(0.0)?.not()?.and(&x.eq(&x.floor()?)?)?.not()?;
        outside_support(&bad, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let k = x.floor()?;
        let q = self.logits()?.neg()?.sigmoid()?; // 1 − p
        let inside = k.ge_scalar(0.0)?;
        let b = Tensor::where_(&inside, &k.add_scalar(1.0)?, &k.ones_like()?)?;
        let c = Tensor::betainc(&self.r()?.add(&k.zeros_like()?)?, &b, &q.add(&k.zeros_like()?)?)?;
        Tensor::where_(&inside, &c, &c.zeros_like()?)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let [s1, s2] = seed.split2();
        let r = self.r()?.detach().broadcast_to(&self.batch_shape)?.contiguous()?;
        let odds = self.logits()?.detach().exp()?; // p/(1 − p): Gamma(r, rate 1/odds) = odds · Gamma(r, 1)
        let lam = random::gamma(shape, &r, s1)?.mul(&odds)?;
        random::poisson(&[], &lam, s2)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.r()?.mul(&self.logits()?.exp()?)?)
    }
    fn variance(&self) -> Result<Tensor> {
        let l = self.logits()?;
        // r p/(1 − p)² = mean / (1 − p)
        self.batch(self.r()?.mul(&l.exp()?)?.div(&l.neg()?.sigmoid()?)?)
    }
}

impl_display!(NegativeBinomial);

impl Trainable for NegativeBinomial {
    const NAME: &'static str = "NegativeBinomial";
    /// `total_count` (positive, trainable: the distribution is defined for any real `r > 0`),
    /// `logits` (preferred) or `probs`.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, NegativeBinomial};
    /// use probrs::params::MakeTrainable;
    /// let d: NegativeBinomial = MakeTrainable::new().seed(0).build()?;
    /// assert_eq!(d.trainable_variables().len(), 2); // total_count and logits
    /// assert!(d.mean()?.to_scalar()? > 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![
            ("total_count", ParameterProperties { default_constraining_bijector: constraining::positive, ..Default::default() }),
            ("logits", ParameterProperties { default_constraining_bijector: constraining::real, ..Default::default() }),
            ("probs", ParameterProperties { default_constraining_bijector: constraining::unit_interval, is_preferred: false, ..Default::default() }),
        ]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let r = p.take_required("total_count", Self::NAME)?;
        let mut d = match p.take_one_of("logits", "probs", Self::NAME)? {
            crate::params::OneOf::First(l) => NegativeBinomial::from_logits(r, l)?,
            crate::params::OneOf::Second(q) => NegativeBinomial::from_probs(r, q)?,
        };
        if let Some(n) = p.name.take() {
            d = d.with_name(&n);
        }
        p.finish(Self::NAME)?;
        Ok(d)
    }
}
