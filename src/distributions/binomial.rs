//! The Binomial distribution (`total_count` n, and `logits` or `probs` p).
//!
//! ```text
//! log P(k) = lchoose(n, k) + k·logits − n·softplus(logits)   (0 ≤ k ≤ n integer; −∞ otherwise)
//! cdf(x) = I_{1−p}(n − ⌊x⌋, ⌊x⌋ + 1) for 0 ≤ x < n, 1 for x ≥ n      mean = np   variance = np(1 − p)
//! ```
//! Samples are not reparameterized.

use crate::params::constraining;
use super::distribution::{check_dtype, impl_display};
use super::family::outside_support;
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

/// Binomial(total_count, logits | probs).
///
/// ```
/// use probrs::distributions::{Binomial, Distribution};
/// use probrs::tensor::Tensor;
/// // Four fair coin flips: P(2 heads) = 6/16.
/// let d = Binomial::from_probs(4.0, 0.5)?;
/// assert!((d.prob(&Tensor::scalar(2.0, d.dtype())?)?.to_scalar()? - 0.375).abs() < 1e-6);
/// assert!((d.mean()?.to_scalar()? - 2.0).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Binomial {
    total_count: Param,
    weight: Weight,
    dtype: DType,
    batch_shape: Vec<usize>,
    name: String,
    validate_args: bool,
}

impl Binomial {
    fn build(total_count: Param, weight: Weight) -> Result<Self> {
        let (wname, w) = match &weight {
            Weight::Logits(p) => ("logits", p),
            Weight::Probs(p) => ("probs", p),
        };
        let dtype = resolve_dtype(&[("total_count", &total_count), (wname, w)])?;
        let batch_shape = broadcast_batch_shape(&[("total_count", &total_count, 0), (wname, w, 0)])?;
        let constant = total_count.is_constant() && w.is_constant();
        let d = Binomial { total_count, weight, dtype, batch_shape, name: "Binomial".into(), validate_args: false };
        if constant {
            d.check()?;
        }
        Ok(d)
    }
    /// Binomial over `total_count` trials with success probability `sigmoid(logits)`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Binomial, Distribution};
    /// let b = Binomial::from_logits(Tensor::scalar(10.0, DType::F64)?, Tensor::scalar(0.0, DType::F64)?)?;
    /// assert!((b.mean()?.to_scalar()? - 5.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_logits(total_count: impl Into<Param>, logits: impl Into<Param>) -> Result<Self> {
        Self::build(total_count.into(), Weight::Logits(logits.into()))
    }
    /// Binomial over `total_count` trials with success probability `probs`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Binomial, Distribution};
    /// let b = Binomial::from_probs(Tensor::scalar(3.0, DType::F64)?, Tensor::scalar(0.5, DType::F64)?)?;
    /// assert!((b.prob(&Tensor::scalar(3.0, DType::F64)?)?.to_scalar()? - 0.125).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_probs(total_count: impl Into<Param>, probs: impl Into<Param>) -> Result<Self> {
        Self::build(total_count.into(), Weight::Probs(probs.into()))
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::distributions::{Binomial, Distribution};
    /// assert_eq!(Binomial::from_probs(3.0, 0.5)?.with_name("heads").name(), "heads");
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
    /// use probrs::distributions::{Binomial, Distribution};
    /// use probrs::params::Variable;
    /// let n = Variable::new(&Tensor::scalar(3.0, DType::F64)?, "n")?;
    /// let b = Binomial::from_probs(&n, Tensor::scalar(0.5, DType::F64)?)?.with_validate_args(true)?;
    /// n.assign(&Tensor::scalar(-1.0, DType::F64)?)?;
    /// assert!(b.mean().is_err()); // a negative count is caught at use
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_validate_args(mut self, v: bool) -> Result<Self> {
        self.validate_args = v;
        self.check()?;
        Ok(self)
    }
    fn check(&self) -> Result<()> {
        if let Some(bad) = self.total_count.values_f64(self.dtype)?.iter().find(|v| !(**v >= 0.0) || v.fract() != 0.0) {
            return Err(Error::invalid_parameter("total_count", format!("must be a non-negative integer, got {bad}")));
        }
        if let Weight::Probs(p) = &self.weight {
            if let Some(bad) = p.values_f64(self.dtype)?.iter().find(|v| !(0.0..=1.0).contains(*v)) {
                return Err(Error::invalid_parameter("probs", format!("must lie in [0, 1], got {bad}")));
            }
        }
        Ok(())
    }
    fn n(&self) -> Result<Tensor> {
        if self.validate_args {
            self.check()?;
        }
        self.total_count.value(self.dtype)
    }
    /// P(success).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Binomial;
    /// let b = Binomial::from_logits(Tensor::scalar(4.0, DType::F64)?, Tensor::scalar(0.0, DType::F64)?)?;
    /// assert_eq!(b.probs()?.to_scalar()?, 0.5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn probs(&self) -> Result<Tensor> {
        match &self.weight {
            Weight::Logits(l) => l.value(self.dtype)?.sigmoid(),
            Weight::Probs(p) => p.value(self.dtype),
        }
    }
    fn batch(&self, t: Tensor) -> Result<Tensor> {
        t.broadcast_to(&self.batch_shape)?.contiguous()
    }
}

impl Distribution for Binomial {
    fn class_name(&self) -> &'static str {
        "Binomial"
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
            Weight::Logits(p) => vec![("total_count", &self.total_count), ("logits", p)],
            Weight::Probs(p) => vec![("total_count", &self.total_count), ("probs", p)],
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let n = self.n()?;
        let lchoose = n.add_scalar(1.0)?.lgamma()?.sub(&x.add_scalar(1.0)?.lgamma()?)?.sub(&n.sub(x)?.add_scalar(1.0)?.lgamma()?)?;
        let body = match &self.weight {
            Weight::Logits(l) => {
                let l = l.value(self.dtype)?;
                x.mul(&l)?.sub(&n.mul(&l.softplus()?)?)?
            }
            Weight::Probs(p) => {
                let p = p.value(self.dtype)?;
                x.xlogy(&p)?.add(&n.sub(x)?.xlogy(&p.affine(-1.0, 1.0)?)?)?
            }
        };
        let lp = lchoose.add(&body)?;
        let bad = x.lt_scalar(0.0)?.not()?.and(&x.gt(&n)?.not()?)?.and(&x.eq(&x.floor()?)?)?.not()?;
        outside_support(&bad, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let n = self.n()?;
        let p = self.probs()?;
        let k = x.floor()?;
        // I_{1−p}(n − k, k + 1), evaluated where 0 ≤ k < n (safe arguments elsewhere).
        let inside = k.ge_scalar(0.0)?.and(&k.lt(&n)?)?;
        let a = Tensor::where_(&inside, &n.sub(&k)?, &k.ones_like()?)?;
        let b = Tensor::where_(&inside, &k.add_scalar(1.0)?, &k.ones_like()?)?;
        let c = Tensor::betainc(&a, &b, &p.affine(-1.0, 1.0)?.add(&k.zeros_like()?)?)?;
        let c = Tensor::where_(&k.lt_scalar(0.0)?, &c.zeros_like()?, &c)?;
        Tensor::where_(&k.ge(&n)?, &c.ones_like()?, &c)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let n = self.n()?.broadcast_to(&self.batch_shape)?.contiguous()?;
        let p = self.probs()?.detach().broadcast_to(&self.batch_shape)?.contiguous()?;
        random::binomial(shape, &n, &p, seed)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.n()?.mul(&self.probs()?)?)
    }
    fn variance(&self) -> Result<Tensor> {
        let p = self.probs()?;
        self.batch(self.n()?.mul(&p)?.mul(&p.affine(-1.0, 1.0)?)?)
    }
}

impl_display!(Binomial);


impl Trainable for Binomial {
    const NAME: &'static str = "Binomial";
    /// `total_count` is not trainable (pass it with `MakeTrainable::fixed`).
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![
            ("total_count", ParameterProperties { is_preferred: false, is_tensor: false, ..Default::default() }),
            ("logits", ParameterProperties { default_constraining_bijector: constraining::real, ..Default::default() }),
            ("probs", ParameterProperties { default_constraining_bijector: constraining::unit_interval, is_preferred: false, ..Default::default() }),
        ]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let n = p.take_required("total_count", Self::NAME)?;
        let d = match p.take_one_of("logits", "probs", Self::NAME)? {
            crate::params::OneOf::First(l) => Binomial::from_logits(n, l)?,
            crate::params::OneOf::Second(q) => Binomial::from_probs(n, q)?,
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
