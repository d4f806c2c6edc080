//! The Bernoulli distribution on `{0, 1}`.
//!
//! ```text
//! P(X = 1) = p = sigmoid(logits)
//! log_prob(x) = x · logits − softplus(logits)   (stable for any logits)
//! mean = p   variance = p (1 − p)   mode = [p > ½]   entropy = −p log p − (1 − p) log(1 − p)
//! cdf(x) = 0 (x < 0), 1 − p (0 ≤ x < 1), 1 (x ≥ 1)
//! ```
//! Parameterized by `logits` (preferred) or `probs`. Values are held as floats; samples are not
//! reparameterized.

use crate::params::constraining;
use super::distribution::{check_dtype, impl_display};
use super::{Distribution, ReparameterizationType};
use crate::error::{Error, Result};
use crate::params::{broadcast_batch_shape, resolve_dtype, Param, ParameterProperties, Parameters, Trainable};
use crate::random::{self, Seed};
use crate::tensor::{DType, Tensor};
use std::any::Any;

#[derive(Clone, Debug)]
enum Weight {
    Logits(Param),
    Probs(Param),
}

/// Bernoulli(logits) or Bernoulli(probs).
///
/// ```
/// use probrs::distributions::{Bernoulli, Distribution};
/// use probrs::tensor::{DType, Tensor};
/// let b = Bernoulli::from_probs(Tensor::scalar(0.8, DType::F64)?)?;
/// let lp = b.log_prob(&Tensor::scalar(1.0, DType::F64)?)?;
/// assert!((lp.to_scalar()? - 0.8f64.ln()).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Bernoulli {
    weight: Weight,
    dtype: DType,
    batch_shape: Vec<usize>,
    name: String,
    validate_args: bool,
}

impl Bernoulli {
    fn build(weight: Weight) -> Result<Self> {
        let (name, p) = match &weight {
            Weight::Logits(p) => ("logits", p),
            Weight::Probs(p) => ("probs", p),
        };
        let dtype = resolve_dtype(&[(name, p)])?;
        let batch_shape = broadcast_batch_shape(&[(name, p, 0)])?;
        let constant = p.is_constant();
        let b = Bernoulli { weight, dtype, batch_shape, name: "Bernoulli".into(), validate_args: false };
        if constant {
            b.check()?;
        }
        Ok(b)
    }
    /// Bernoulli with `P(X = 1) = sigmoid(logits)`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Bernoulli, Distribution};
    /// let b = Bernoulli::from_logits(Tensor::scalar(0.0, DType::F64)?)?;
    /// assert_eq!(b.mean()?.to_scalar()?, 0.5);
    /// // Stable for any logits: log P(1) at logits −1000 is −1000, not −inf.
    /// let far = Bernoulli::from_logits(Tensor::scalar(-1000.0, DType::F64)?)?;
    /// assert!((far.log_prob(&Tensor::scalar(1.0, DType::F64)?)?.to_scalar()? + 1000.0).abs() < 1e-9);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_logits(logits: impl Into<Param>) -> Result<Self> {
        Self::build(Weight::Logits(logits.into()))
    }
    /// Bernoulli with `P(X = 1) = probs` (in `[0, 1]`, checked when constant).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Bernoulli;
    /// assert!(Bernoulli::from_probs(Tensor::scalar(0.3, DType::F64)?).is_ok());
    /// assert!(Bernoulli::from_probs(Tensor::scalar(1.5, DType::F64)?).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_probs(probs: impl Into<Param>) -> Result<Self> {
        Self::build(Weight::Probs(probs.into()))
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::distributions::{Bernoulli, Distribution};
    /// assert_eq!(Bernoulli::from_probs(0.5)?.with_name("coin").name(), "coin");
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
    /// use probrs::distributions::{Bernoulli, Distribution};
    /// use probrs::params::Variable;
    /// let p = Variable::new(&Tensor::scalar(0.5, DType::F64)?, "p")?;
    /// let b = Bernoulli::from_probs(&p)?.with_validate_args(true)?;
    /// p.assign(&Tensor::scalar(2.0, DType::F64)?)?;
    /// assert!(b.log_prob(&Tensor::scalar(1.0, DType::F64)?).is_err()); // caught at use
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_validate_args(mut self, v: bool) -> Result<Self> {
        self.validate_args = v;
        if v {
            self.check()?;
        }
        Ok(self)
    }
    fn check(&self) -> Result<()> {
        match &self.weight {
            Weight::Probs(p) => {
                if let Some(bad) = p.values_f64(self.dtype)?.iter().find(|v| !(0.0..=1.0).contains(*v)) {
                    return Err(Error::invalid_parameter("probs", format!("must lie in [0, 1], got {bad}")));
                }
            }
            Weight::Logits(l) => {
                if l.value(self.dtype)?.any_nan()? {
                    return Err(Error::invalid_parameter("logits", "must not be NaN"));
                }
            }
        }
        Ok(())
    }
    /// Logits as given, or logit(probs).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Bernoulli;
    /// let b = Bernoulli::from_probs(Tensor::scalar(0.5, DType::F64)?)?;
    /// assert!(b.logits()?.to_scalar()?.abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn logits(&self) -> Result<Tensor> {
        if self.validate_args {
            self.check()?;
        }
        match &self.weight {
            Weight::Logits(l) => l.value(self.dtype),
            Weight::Probs(p) => {
                let p = p.value(self.dtype)?;
                p.log()?.sub(&p.neg()?.log1p()?)
            }
        }
    }
    /// P(X = 1).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Bernoulli;
    /// let b = Bernoulli::from_logits(Tensor::scalar(0.0, DType::F64)?)?;
    /// assert_eq!(b.probs()?.to_scalar()?, 0.5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn probs(&self) -> Result<Tensor> {
        if self.validate_args {
            self.check()?;
        }
        match &self.weight {
            Weight::Logits(l) => l.value(self.dtype)?.sigmoid(),
            Weight::Probs(p) => p.value(self.dtype),
        }
    }
    fn batch(&self, t: Tensor) -> Result<Tensor> {
        t.broadcast_to(&self.batch_shape)?.contiguous()
    }
}

impl Distribution for Bernoulli {
    fn class_name(&self) -> &'static str {
        "Bernoulli"
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
        match &self.weight {
            Weight::Logits(p) => vec![("logits", p)],
            Weight::Probs(p) => vec![("probs", p)],
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        match &self.weight {
            // x log p + (1 − x) log(1 − p), exact at p ∈ {0, 1}.
            Weight::Probs(_) => {
                let p = self.probs()?;
                x.xlogy(&p)?.add(&x.affine(-1.0, 1.0)?.xlogy(&p.affine(-1.0, 1.0)?)?)
            }
            Weight::Logits(_) => {
                Tensor::sigmoid_cross_entropy_with_logits(x, &self.logits()?)?.neg()
            }
        }
    }
    /// 0 below 0, 1 − p on [0, 1), 1 from 1 on.
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let q = self.probs()?.affine(-1.0, 1.0)?.add(&x.zeros_like()?)?;
        let c = Tensor::where_(&x.lt_scalar(0.0)?, &q.zeros_like()?, &q)?;
        Tensor::where_(&x.ge_scalar(1.0)?, &c.ones_like()?, &c)
    }
    fn sample(&self, sample_shape: &[usize], seed: Seed) -> Result<Tensor> {
        let mut shape = sample_shape.to_vec();
        shape.extend(&self.batch_shape);
        let u = random::uniform(&shape, self.dtype, seed)?;
        let hit = u.lt(&self.probs()?.detach())?;
        Tensor::where_(&hit, &Tensor::scalar(1.0, self.dtype)?, &Tensor::scalar(0.0, self.dtype)?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.probs()?)
    }
    fn variance(&self) -> Result<Tensor> {
        let p = self.probs()?;
        self.batch(p.mul(&p.affine(-1.0, 1.0)?)?)
    }
    fn mode(&self) -> Result<Tensor> {
        let p = self.probs()?;
        self.batch(Tensor::where_(&p.gt_scalar(0.5)?, &p.ones_like()?, &p.zeros_like()?)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        let p = self.probs()?;
        let q = p.affine(-1.0, 1.0)?;
        self.batch(p.xlogy(&p)?.add(&q.xlogy(&q)?)?.neg()?)
    }
}

impl_display!(Bernoulli);


impl Trainable for Bernoulli {
    const NAME: &'static str = "Bernoulli";
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![
            ("logits", ParameterProperties { default_constraining_bijector: constraining::real, ..Default::default() }),
            ("probs", ParameterProperties { default_constraining_bijector: constraining::unit_interval, is_preferred: false, ..Default::default() }),
        ]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let b = match p.take_one_of("logits", "probs", Self::NAME)? {
            crate::params::OneOf::First(l) => Bernoulli::from_logits(l)?,
            crate::params::OneOf::Second(q) => Bernoulli::from_probs(q)?,
        };
        let b = match p.name.take() {
            Some(n) => b.with_name(&n),
            None => b,
        };
        let v = p.validate_args;
        p.finish(Self::NAME)?;
        b.with_validate_args(v)
    }
}

/// KL(Bern(p) ‖ Bern(q)) = p log(p/q) + (1 − p) log((1 − p)/(1 − q)).
///
/// ```
/// use probrs::distributions::{kl_bernoulli, Bernoulli};
/// let (p, q) = (Bernoulli::from_probs(0.5)?, Bernoulli::from_probs(0.25)?);
/// // ½ log(½/¼) + ½ log(½/¾) = ½ log(4/3)
/// let kl = kl_bernoulli(&p, &q)?.to_scalar()?;
/// assert!((kl - 0.5 * (4.0f64 / 3.0).ln()).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_bernoulli(a: &Bernoulli, b: &Bernoulli) -> Result<Tensor> {
    let (p, q) = (a.probs()?, b.probs()?);
    let (pc, qc) = (p.affine(-1.0, 1.0)?, q.affine(-1.0, 1.0)?);
    p.xlogy(&p)?.sub(&p.xlogy(&q)?)?.add(&pc.xlogy(&pc)?)?.sub(&pc.xlogy(&qc)?)
}
