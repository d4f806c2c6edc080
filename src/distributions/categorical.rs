//! The Categorical distribution over `{0, …, K−1}`.
//!
//! ```text
//! P(X = k) = softmax(logits)_k = probs_k
//! mean = Σ k p_k    variance = Σ k² p_k − mean²    entropy = −Σ p_k log p_k    mode = argmax
//! ```
//! Parameterized by `logits` (preferred; any reals) or `probs` (on the simplex). Values are
//! category indices held as floats (the facade's tensors are float32/float64); an index outside
//! `0..K` has log-probability −∞. Samples are not reparameterized.

use crate::params::constraining;
use super::distribution::{check_dtype, impl_display};
use super::{Distribution, ReparameterizationType};
use crate::bijectors::Bijector;
use crate::error::{Error, Result};
use crate::params::{resolve_dtype, Param, ParameterProperties, Parameters, Trainable};
use crate::random::{self, Seed};
use crate::tensor::{DType, Tensor};
use std::any::Any;
use std::sync::Arc;

/// How the categories' weights are given.
#[derive(Clone, Debug)]
enum Weights {
    Logits(Param),
    Probs(Param),
}

/// Categorical(logits) or Categorical(probs).
///
/// ```
/// use probrs::distributions::{Categorical, Distribution};
/// use probrs::tensor::{DType, Tensor};
/// let c = Categorical::from_probs(Tensor::vector(&[0.2, 0.3, 0.5], DType::F64)?)?;
/// let lp = c.log_prob(&Tensor::vector(&[2.0], DType::F64)?)?;
/// assert!((lp.to_vec()?[0] - 0.5f64.ln()).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Categorical {
    weights: Weights,
    dtype: DType,
    batch_shape: Vec<usize>,
    num_categories: usize,
    name: String,
    validate_args: bool,
}

impl Categorical {
    fn build(weights: Weights) -> Result<Self> {
        let (p, name) = match &weights {
            Weights::Logits(p) => (p, "logits"),
            Weights::Probs(p) => (p, "probs"),
        };
        let shape = p.shape();
        let Some(&k) = shape.last() else {
            return Err(Error::invalid_shape(name, &shape, "needs a last dimension of categories"));
        };
        if k == 0 {
            return Err(Error::invalid_shape(name, &shape, "needs at least one category"));
        }
        let dtype = resolve_dtype(&[(name, p)])?;
        let constant = p.is_constant();
        let c = Categorical { batch_shape: shape[..shape.len() - 1].to_vec(), num_categories: k, weights, dtype, name: "Categorical".into(), validate_args: false };
        if constant {
            c.check()?;
        }
        Ok(c)
    }
    /// Unnormalized log-probabilities `[..., K]`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Categorical, Distribution};
    /// let c = Categorical::from_logits(Tensor::vector(&[0.0, 0.0, 2f64.ln()], DType::F64)?)?;
    /// // probabilities ¼, ¼, ½
    /// assert!((c.prob(&Tensor::scalar(2.0, DType::F64)?)?.to_scalar()? - 0.5).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_logits(logits: impl Into<Param>) -> Result<Self> {
        Self::build(Weights::Logits(logits.into()))
    }
    /// Probabilities `[..., K]` (each row sums to 1).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Categorical, Distribution};
    /// let c = Categorical::from_probs(Tensor::vector(&[0.1, 0.9], DType::F64)?)?;
    /// assert!((c.log_prob(&Tensor::scalar(1.0, DType::F64)?)?.to_scalar()? - 0.9f64.ln()).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_probs(probs: impl Into<Param>) -> Result<Self> {
        Self::build(Weights::Probs(probs.into()))
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Categorical, Distribution};
    /// let c = Categorical::from_probs(Tensor::vector(&[0.5, 0.5], DType::F64)?)?.with_name("mixture");
    /// assert_eq!(c.name(), "mixture");
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
    /// use probrs::distributions::Categorical;
    /// // With constant probabilities the check runs at once: these do not sum to 1.
    /// let p = Tensor::vector(&[0.5, 0.7], DType::F64)?;
    /// assert!(Categorical::from_probs(p).and_then(|c| c.with_validate_args(true)).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_validate_args(mut self, v: bool) -> Result<Self> {
        self.validate_args = v;
        self.check()?;
        Ok(self)
    }
    /// The number of categories (the last axis of `logits`/`probs`).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Categorical;
    /// assert_eq!(Categorical::from_logits(Tensor::zeros(&[2, 5], DType::F64)?)?.num_categories(), 5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn num_categories(&self) -> usize {
        self.num_categories
    }
    fn check(&self) -> Result<()> {
        match &self.weights {
            Weights::Logits(p) => {
                if p.values_f64(self.dtype)?.iter().any(|v| v.is_nan() || *v == f64::INFINITY) {
                    return Err(Error::invalid_parameter("logits", "must not be NaN or +inf"));
                }
            }
            Weights::Probs(p) => {
                let v = p.values_f64(self.dtype)?;
                if let Some(bad) = v.iter().find(|x| !(0.0..=1.0).contains(*x)) {
                    return Err(Error::invalid_parameter("probs", format!("must lie in [0, 1], got {bad}")));
                }
                let tol = if self.dtype == DType::F32 { 1e-5 } else { 1e-10 } * self.num_categories as f64;
                for row in v.chunks(self.num_categories) {
                    let s: f64 = row.iter().sum();
                    if (s - 1.0).abs() > tol.max(1e-6) {
                        return Err(Error::invalid_parameter("probs", format!("each row must sum to 1, got {s}")));
                    }
                }
            }
        }
        Ok(())
    }
    /// Normalized log-probabilities `[..., K]`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Categorical;
    /// let c = Categorical::from_logits(Tensor::vector(&[1.0, 1.0], DType::F64)?)?;
    /// let lp = c.log_probs()?.to_vec()?;
    /// assert!(lp.iter().all(|v| (v - 0.5f64.ln()).abs() < 1e-12));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn log_probs(&self) -> Result<Tensor> {
        if self.validate_args {
            self.check()?;
        }
        match &self.weights {
            Weights::Logits(p) => {
                let l = p.value(self.dtype)?;
                let r = l.rank();
                l.sub(&l.logsumexp(r - 1, true)?)
            }
            Weights::Probs(p) => p.value(self.dtype)?.log(),
        }
    }
    /// Probabilities `[..., K]`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Categorical;
    /// let c = Categorical::from_logits(Tensor::vector(&[0.0, 3f64.ln()], DType::F64)?)?;
    /// let p = c.probs()?.to_vec()?;
    /// assert!((p[0] - 0.25).abs() < 1e-12 && (p[1] - 0.75).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn probs(&self) -> Result<Tensor> {
        self.log_probs()?.exp()
    }
    /// Logits as given, or log(probs).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Categorical;
    /// let c = Categorical::from_probs(Tensor::vector(&[0.25, 0.75], DType::F64)?)?;
    /// let l = c.logits()?.to_vec()?;
    /// assert!(((l[1] - l[0]) - 3f64.ln()).abs() < 1e-12); // logits up to a constant
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn logits(&self) -> Result<Tensor> {
        match &self.weights {
            Weights::Logits(p) => p.value(self.dtype),
            Weights::Probs(p) => p.value(self.dtype)?.log(),
        }
    }
    fn categories(&self) -> Result<Tensor> {
        Tensor::arange(0, self.num_categories, self.dtype)
    }
}

impl Distribution for Categorical {
    fn class_name(&self) -> &'static str {
        "Categorical"
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
        match &self.weights {
            Weights::Logits(p) => vec![("logits", p)],
            Weights::Probs(p) => vec![("probs", p)],
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let lp = self.log_probs()?;
        let r = x.rank();
        let hit = x.unsqueeze(r)?.eq(&self.categories()?)?; // x[..., None] == k
        let picked = Tensor::where_(&hit, &lp, &lp.zeros_like()?)?.sum_last(1)?;
        let any = x.ge_scalar(0.0)?.and(&x.lt_scalar(self.num_categories as f64)?)?.and(&x.eq(&x.floor()?)?)?;
        Tensor::where_(&any, &picked, &picked.full_like(f64::NEG_INFINITY)?)
    }
    fn sample(&self, sample_shape: &[usize], seed: Seed) -> Result<Tensor> {
        let p = self.probs()?.to_vec()?;
        let k = self.num_categories;
        let nb = p.len() / k;
        let ns: usize = sample_shape.iter().product();
        let u = random::uniform(&[ns * nb], DType::F64, seed)?.to_vec()?;
        let mut out = Vec::with_capacity(ns * nb);
        for s in 0..ns {
            for b in 0..nb {
                let row = &p[b * k..(b + 1) * k];
                let target = u[s * nb + b] * row.iter().sum::<f64>();
                let mut acc = 0.0;
                let mut idx = k - 1;
                for (j, w) in row.iter().enumerate() {
                    acc += w;
                    if target < acc {
                        idx = j;
                        break;
                    }
                }
                out.push(idx as f64);
            }
        }
        let mut shape = sample_shape.to_vec();
        shape.extend(&self.batch_shape);
        Tensor::from_slice(&out, &shape, self.dtype)
    }
    fn mean(&self) -> Result<Tensor> {
        self.probs()?.mul(&self.categories()?)?.sum_last(1)
    }
    fn variance(&self) -> Result<Tensor> {
        let p = self.probs()?;
        let k = self.categories()?;
        let m = p.mul(&k)?.sum_last(1)?;
        p.mul(&k.square()?)?.sum_last(1)?.sub(&m.square()?)
    }
    fn mode(&self) -> Result<Tensor> {
        let lp = self.log_probs()?.to_vec()?;
        let k = self.num_categories;
        let idx: Vec<f64> = lp
            .chunks(k)
            .map(|row| row.iter().enumerate().fold((0, f64::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best }).0 as f64)
            .collect();
        Tensor::from_slice(&idx, &self.batch_shape, self.dtype)
    }
    fn entropy(&self) -> Result<Tensor> {
        let lp = self.log_probs()?;
        // p log p with 0 log 0 = 0
        lp.exp()?.xlogy(&lp.exp()?)?.sum_last(1)?.neg()
    }
}

impl_display!(Categorical);

/// Unconstrained vectors onto the interior of the simplex (`probs`' default bijector).
pub(crate) fn simplex(_: DType) -> Arc<dyn Bijector> {
    Arc::new(crate::bijectors::SoftmaxCentered::new())
}

impl Trainable for Categorical {
    const NAME: &'static str = "Categorical";
    /// `logits` (preferred) and `probs`, each of shape `batch_and_event_shape`, whose last
    /// dimension must therefore be the number of categories.
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![
            ("logits", ParameterProperties { event_ndims: 1, default_constraining_bijector: constraining::real, ..Default::default() }),
            ("probs", ParameterProperties { event_ndims: 1, default_constraining_bijector: simplex, is_preferred: false, ..Default::default() }),
        ]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let c = match p.take_one_of("logits", "probs", Self::NAME)? {
            crate::params::OneOf::First(l) => Categorical::from_logits(l)?,
            crate::params::OneOf::Second(q) => Categorical::from_probs(q)?,
        };
        let c = match p.name.take() {
            Some(n) => c.with_name(&n),
            None => c,
        };
        let v = p.validate_args;
        p.finish(Self::NAME)?;
        if v {
            c.with_validate_args(true)
        } else {
            Ok(c)
        }
    }
}

/// KL(Cat(p) ‖ Cat(q)) = Σ_k p_k (log p_k − log q_k).
///
/// ```
/// use probrs::distributions::{kl_categorical, Categorical};
/// use probrs::tensor::{DType, Tensor};
/// let p = Categorical::from_probs(Tensor::vector(&[0.5, 0.5], DType::F64)?)?;
/// let q = Categorical::from_probs(Tensor::vector(&[0.25, 0.75], DType::F64)?)?;
/// let kl = kl_categorical(&p, &q)?.to_scalar()?;
/// assert!((kl - (0.5 * 2f64.ln() + 0.5 * (2.0f64 / 3.0).ln())).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_categorical(a: &Categorical, b: &Categorical) -> Result<Tensor> {
    if a.num_categories != b.num_categories {
        return Err(Error::ShapeMismatch { context: "kl_divergence(Categorical, Categorical) categories".into(), lhs: vec![a.num_categories], rhs: vec![b.num_categories] });
    }
    let (la, lb) = (a.log_probs()?, b.log_probs()?);
    la.exp()?.mul(&la.sub(&lb)?)?.sum_last(1)
}
