//! `OneHotCategorical`: a Categorical whose values are one-hot vectors `[..., K]`.
//!
//! ```text
//! log p(x) = Σ_k x_k log p_k   mean = p   variance = p (1 − p)   entropy = −Σ p log p
//! ```

use super::distribution::{check_dtype, impl_display};
use super::categorical::simplex;
use super::{Categorical, Distribution, ReparameterizationType};
use crate::error::Result;
use crate::params::{constraining, Param, ParameterProperties, Parameters, Trainable};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};
use std::any::Any;

/// OneHotCategorical(logits | probs).
///
/// ```
/// use probrs::distributions::{Distribution, OneHotCategorical};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let d = OneHotCategorical::from_probs(Tensor::vector(&[0.2, 0.8], DType::F64)?)?;
/// let lp = d.log_prob(&Tensor::vector(&[0.0, 1.0], DType::F64)?)?.to_scalar()?;
/// assert!((lp - 0.8f64.ln()).abs() < 1e-12);
/// // Each sample is a one-hot row.
/// let s = d.sample(&[5], Seed::new(0))?;
/// assert_eq!(s.shape(), &[5, 2]);
/// assert!(s.sum_last(1)?.to_vec()?.iter().all(|&v| v == 1.0));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct OneHotCategorical {
    cat: Categorical,
    name: String,
}

impl OneHotCategorical {
    /// One-hot categorical with probabilities `softmax(logits)` on the last axis.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, OneHotCategorical};
    /// let d = OneHotCategorical::from_logits(Tensor::vector(&[0.0, 0.0], DType::F64)?)?;
    /// assert_eq!(d.mean()?.to_vec()?, vec![0.5, 0.5]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_logits(logits: impl Into<Param>) -> Result<Self> {
        Ok(OneHotCategorical { cat: Categorical::from_logits(logits)?, name: "OneHotCategorical".into() })
    }
    /// One-hot categorical with probabilities `probs` on the last axis.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, OneHotCategorical};
    /// let d = OneHotCategorical::from_probs(Tensor::vector(&[0.3, 0.7], DType::F64)?)?;
    /// assert_eq!(d.event_shape(), vec![2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_probs(probs: impl Into<Param>) -> Result<Self> {
        Ok(OneHotCategorical { cat: Categorical::from_probs(probs)?, name: "OneHotCategorical".into() })
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, OneHotCategorical};
    /// let d = OneHotCategorical::from_probs(Tensor::vector(&[0.3, 0.7], DType::F64)?)?.with_name("choice");
    /// assert_eq!(d.name(), "choice");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    fn one_hot(&self, idx: &Tensor) -> Result<Tensor> {
        let k = Tensor::arange(0, self.cat.num_categories(), self.dtype())?;
        let hit = idx.unsqueeze(idx.rank())?.eq(&k)?;
        Tensor::where_(&hit, &Tensor::scalar(1.0, self.dtype())?, &Tensor::scalar(0.0, self.dtype())?)
    }
}

impl Distribution for OneHotCategorical {
    fn class_name(&self) -> &'static str {
        "OneHotCategorical"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dtype(&self) -> DType {
        self.cat.dtype()
    }
    fn batch_shape(&self) -> Vec<usize> {
        self.cat.batch_shape()
    }
    fn event_shape(&self) -> Vec<usize> {
        vec![self.cat.num_categories()]
    }
    fn reparameterization_type(&self) -> ReparameterizationType {
        ReparameterizationType::NotReparameterized
    }
    fn parameters(&self) -> Vec<(&'static str, &Param)> {
        self.cat.parameters()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let lp = self.cat.log_probs()?;
        // Σ x_k log p_k with 0 · log 0 = 0
        x.xlogy(&lp.exp()?)?.sum_last(1)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        self.one_hot(&self.cat.sample(shape, seed)?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.cat.probs()
    }
    fn variance(&self) -> Result<Tensor> {
        let p = self.cat.probs()?;
        p.mul(&p.affine(-1.0, 1.0)?)
    }
    fn mode(&self) -> Result<Tensor> {
        self.one_hot(&self.cat.mode()?)
    }
    fn entropy(&self) -> Result<Tensor> {
        self.cat.entropy()
    }
}

impl_display!(OneHotCategorical);

/// KL(OneHotCategorical(p) ‖ OneHotCategorical(q)) = KL of the underlying Categoricals.
///
/// ```
/// use probrs::distributions::{kl_one_hot_categorical, OneHotCategorical};
/// use probrs::tensor::{DType, Tensor};
/// let p = OneHotCategorical::from_probs(Tensor::vector(&[0.5, 0.5], DType::F64)?)?;
/// let q = OneHotCategorical::from_probs(Tensor::vector(&[0.25, 0.75], DType::F64)?)?;
/// let kl = kl_one_hot_categorical(&p, &q)?.to_scalar()?;
/// assert!((kl - (0.5 * 2f64.ln() + 0.5 * (2.0f64 / 3.0).ln())).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_one_hot_categorical(p: &OneHotCategorical, q: &OneHotCategorical) -> Result<Tensor> {
    super::categorical::kl_categorical(&p.cat, &q.cat)
}

impl Trainable for OneHotCategorical {
    const NAME: &'static str = "OneHotCategorical";
    /// `logits` (preferred) or `probs` over the last axis of `batch_and_event_shape`.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, OneHotCategorical};
    /// use probrs::params::MakeTrainable;
    /// let d: OneHotCategorical = MakeTrainable::new().batch_and_event_shape(&[4]).seed(0).build()?;
    /// assert_eq!(d.event_shape(), vec![4]);
    /// assert!((d.mean()?.sum_all()?.to_scalar()? - 1.0).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![
            ("logits", ParameterProperties { event_ndims: 1, default_constraining_bijector: constraining::real, ..Default::default() }),
            ("probs", ParameterProperties { event_ndims: 1, default_constraining_bijector: simplex, is_preferred: false, ..Default::default() }),
        ]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let mut d = match p.take_one_of("logits", "probs", Self::NAME)? {
            crate::params::OneOf::First(l) => OneHotCategorical::from_logits(l)?,
            crate::params::OneOf::Second(q) => OneHotCategorical::from_probs(q)?,
        };
        if let Some(n) = p.name.take() {
            d = d.with_name(&n);
        }
        p.finish(Self::NAME)?;
        Ok(d)
    }
}
