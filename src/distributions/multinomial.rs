//! The Multinomial distribution: counts `[..., K]` of `total_count` n categorical draws.
//!
//! ```text
//! log p(x) = lgamma(n + 1) − Σ lgamma(x_k + 1) + Σ x_k log p_k   (Σ x_k = n, x_k ≥ 0 integers)
//! mean = n p   variance = n p (1 − p)
//! ```
//! Samples: sequential conditional binomials.

use super::distribution::{check_dtype, impl_display};
use super::family::outside_support;
use super::{Categorical, Distribution, ReparameterizationType};
use crate::error::{Error, Result};
use super::categorical::simplex;
use crate::params::{constraining, Param, ParameterProperties, Parameters, Trainable};
use crate::random::{self, Seed};
use crate::tensor::{DType, Tensor};
use std::any::Any;

/// Multinomial(total_count, logits | probs).
///
/// ```
/// use probrs::distributions::{Distribution, Multinomial};
/// use probrs::tensor::{DType, Tensor};
/// // Two draws from two equally likely categories: P(one of each) = 2 · ¼.
/// let d = Multinomial::from_probs(2.0, Tensor::vector(&[0.5, 0.5], DType::F64)?)?;
/// let x = Tensor::vector(&[1.0, 1.0], DType::F64)?;
/// assert!((d.prob(&x)?.to_scalar()? - 0.5).abs() < 1e-12);
/// assert_eq!(d.mean()?.to_vec()?, vec![1.0, 1.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Multinomial {
    total_count: Param,
    cat: Categorical,
    batch_shape: Vec<usize>,
    name: String,
}

impl Multinomial {
    fn build(total_count: Param, cat: Categorical) -> Result<Self> {
        if total_count.is_constant() {
            if let Some(bad) = total_count.values_f64(cat.dtype())?.iter().find(|v| !(**v >= 0.0) || v.fract() != 0.0) {
                return Err(Error::invalid_parameter("total_count", format!("must be a non-negative integer, got {bad}")));
            }
        }
        let batch_shape = crate::tensor::broadcast_shapes(&total_count.shape(), &cat.batch_shape())?;
        Ok(Multinomial { total_count, cat, batch_shape, name: "Multinomial".into() })
    }
    /// Multinomial over `total_count` draws with category probabilities `softmax(logits)`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Multinomial};
    /// let d = Multinomial::from_logits(Tensor::scalar(4.0, DType::F64)?, Tensor::vector(&[0.0, 0.0], DType::F64)?)?;
    /// assert_eq!(d.mean()?.to_vec()?, vec![2.0, 2.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_logits(total_count: impl Into<Param>, logits: impl Into<Param>) -> Result<Self> {
        Self::build(total_count.into(), Categorical::from_logits(logits)?)
    }
    /// Multinomial over `total_count` draws with category probabilities `probs`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Multinomial};
    /// use probrs::random::Seed;
    /// let d = Multinomial::from_probs(Tensor::scalar(10.0, DType::F64)?, Tensor::vector(&[0.2, 0.3, 0.5], DType::F64)?)?;
    /// let s = d.sample(&[4], Seed::new(0))?;
    /// assert!(s.sum_last(1)?.to_vec()?.iter().all(|&n| n == 10.0)); // every draw has 10 counts
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_probs(total_count: impl Into<Param>, probs: impl Into<Param>) -> Result<Self> {
        Self::build(total_count.into(), Categorical::from_probs(probs)?)
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Multinomial};
    /// let d = Multinomial::from_probs(3.0, Tensor::vector(&[0.5, 0.5], DType::F32)?)?.with_name("votes");
    /// assert_eq!(d.name(), "votes");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    fn n(&self) -> Result<Tensor> {
        self.total_count.value(self.cat.dtype())
    }
}

impl Distribution for Multinomial {
    fn class_name(&self) -> &'static str {
        "Multinomial"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dtype(&self) -> DType {
        self.cat.dtype()
    }
    fn batch_shape(&self) -> Vec<usize> {
        self.batch_shape.clone()
    }
    fn event_shape(&self) -> Vec<usize> {
        vec![self.cat.num_categories()]
    }
    fn reparameterization_type(&self) -> ReparameterizationType {
        ReparameterizationType::NotReparameterized
    }
    fn parameters(&self) -> Vec<(&'static str, &Param)> {
        let mut v = vec![("total_count", &self.total_count)];
        v.extend(self.cat.parameters());
        v
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let n = self.n()?;
        let lp = self.cat.log_probs()?;
        let v = n.add_scalar(1.0)?.lgamma()?.sub(&x.add_scalar(1.0)?.lgamma()?.sum_last(1)?)?.add(&x.xlogy(&lp.exp()?)?.sum_last(1)?)?;
        let bad_entry = x.lt_scalar(0.0)?.not()?.and(&x.eq(&x.floor()?)?)?.not()?;
        let any_bad = Tensor::where_(&bad_entry, &x.ones_like()?, &x.zeros_like()?)?.sum_last(1)?.gt_scalar(0.0)?;
        let wrong_total = x.sum_last(1)?.sub(&n)?.abs()?.gt_scalar(0.0)?;
        let out = any_bad.not()?.and(&wrong_total.not()?)?.not()?;
        outside_support(&out, &v)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let k = self.cat.num_categories();
        let nb: usize = self.batch_shape.iter().product();
        let n = self.n()?.broadcast_to(&self.batch_shape)?.to_vec()?;
        let pb = self.cat.probs()?.detach().broadcast_to(&self.batch_shape.iter().copied().chain([k]).collect::<Vec<_>>())?.to_vec()?;
        let ns: usize = shape.iter().product();
        let seeds = seed.split(k.max(1));
        let mut out = vec![0.0; ns * nb * k];
        // Sequential binomials: x_j ~ Bin(n − Σ_{i<j} x_i, p_j / (1 − Σ_{i<j} p_i)).
        let mut remaining: Vec<f64> = (0..ns * nb).map(|i| n[i % nb]).collect();
        let mut mass_left: Vec<f64> = vec![1.0; ns * nb];
        for j in 0..k {
            let cond: Vec<f64> = (0..ns * nb)
                .map(|i| if j + 1 == k { 1.0 } else { (pb[(i % nb) * k + j] / mass_left[i].max(1e-300)).clamp(0.0, 1.0) })
                .collect();
            let draws = random::binomial(&[], &Tensor::vector(&remaining, DType::F64)?, &Tensor::vector(&cond, DType::F64)?, seeds[j])?.to_vec()?;
            for i in 0..ns * nb {
                out[i * k + j] = draws[i];
                remaining[i] -= draws[i];
                mass_left[i] -= pb[(i % nb) * k + j];
            }
        }
        let mut full = shape.to_vec();
        full.extend(&self.batch_shape);
        full.push(k);
        Tensor::from_slice(&out, &full, self.dtype())
    }
    fn mean(&self) -> Result<Tensor> {
        let n = self.n()?;
        self.cat.probs()?.mul(&n.unsqueeze(n.rank())?)
    }
    fn variance(&self) -> Result<Tensor> {
        let n = self.n()?;
        let p = self.cat.probs()?;
        p.mul(&p.affine(-1.0, 1.0)?)?.mul(&n.unsqueeze(n.rank())?)
    }
}

impl_display!(Multinomial);

impl Trainable for Multinomial {
    const NAME: &'static str = "Multinomial";
    /// `total_count` is not trainable (pass it with `MakeTrainable::fixed`); `logits`
    /// (preferred) or `probs` over the last axis of `batch_and_event_shape`.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Multinomial};
    /// use probrs::params::MakeTrainable;
    /// let d: Multinomial = MakeTrainable::new().batch_and_event_shape(&[3]).fixed("total_count", 5.0).seed(0).build()?;
    /// assert_eq!(d.event_shape(), vec![3]);
    /// assert!((d.mean()?.sum_all()?.to_scalar()? - 5.0).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![
            ("total_count", ParameterProperties { is_preferred: false, is_tensor: false, ..Default::default() }),
            ("logits", ParameterProperties { event_ndims: 1, default_constraining_bijector: constraining::real, ..Default::default() }),
            ("probs", ParameterProperties { event_ndims: 1, default_constraining_bijector: simplex, is_preferred: false, ..Default::default() }),
        ]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let n = p.take_required("total_count", Self::NAME)?;
        let mut d = match p.take_one_of("logits", "probs", Self::NAME)? {
            crate::params::OneOf::First(l) => Multinomial::from_logits(n, l)?,
            crate::params::OneOf::Second(q) => Multinomial::from_probs(n, q)?,
        };
        if let Some(name) = p.name.take() {
            d = d.with_name(&name);
        }
        p.finish(Self::NAME)?;
        Ok(d)
    }
}
