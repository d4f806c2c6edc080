//! `Independent`: reinterprets the rightmost `k` batch dimensions of a distribution as event
//! dimensions. `log_prob` sums the inner log-probabilities over them; so does `entropy`.
//!
//! ```text
//! batch_shape = inner.batch_shape[:-k]    event_shape = inner.batch_shape[-k:] + inner.event_shape
//! ```

use super::distribution::impl_display;
use super::{Distribution, ReparameterizationType};
use crate::error::{Error, Result};
use crate::params::{Param, Variable};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};
use std::any::Any;
use std::sync::Arc;

/// A distribution whose rightmost batch dimensions are one event.
///
/// ```
/// use probrs::distributions::{Distribution, Independent, Normal};
/// use probrs::tensor::{DType, Tensor};
/// let d = Independent::new(Normal::new(Tensor::zeros(&[4], DType::F32)?, 1.0)?, 1)?;
/// assert_eq!((d.batch_shape(), d.event_shape()), (vec![], vec![4]));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Independent {
    inner: Arc<dyn Distribution>,
    k: usize,
    name: String,
}

impl Independent {
    /// `reinterpreted_batch_ndims` must be in `0..=inner.batch_shape().len()`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Independent, Normal};
    /// let base = Normal::new(Tensor::zeros(&[2, 3], DType::F64)?, 1.0)?;
    /// let d = Independent::new(base, 1)?;
    /// assert_eq!((d.batch_shape(), d.event_shape()), (vec![2], vec![3]));
    /// assert_eq!(d.log_prob(&Tensor::zeros(&[2, 3], DType::F64)?)?.shape(), &[2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(distribution: impl Distribution + 'static, reinterpreted_batch_ndims: isize) -> Result<Self> {
        Self::from_arc(Arc::new(distribution), reinterpreted_batch_ndims)
    }
    /// As [`Independent::new`] with a shared inner distribution.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Independent, Normal};
    /// use std::sync::Arc;
    /// let base: Arc<dyn Distribution> = Arc::new(Normal::new(Tensor::zeros(&[4], DType::F64)?, 1.0)?);
    /// assert_eq!(Independent::from_arc(base.clone(), 1)?.event_shape(), vec![4]);
    /// assert!(Independent::from_arc(base, 2).is_err()); // only one batch dimension to take
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_arc(inner: Arc<dyn Distribution>, reinterpreted_batch_ndims: isize) -> Result<Self> {
        let b = inner.batch_shape();
        if reinterpreted_batch_ndims < 0 || reinterpreted_batch_ndims as usize > b.len() {
            return Err(Error::InvalidShape {
                what: "reinterpreted_batch_ndims".into(),
                shape: b,
                reason: format!("{reinterpreted_batch_ndims} is outside 0..=rank of the inner batch shape"),
            });
        }
        let name = format!("Independent{}", inner.name());
        Ok(Independent { inner, k: reinterpreted_batch_ndims as usize, name })
    }
    /// All of the inner batch dimensions (TFP's default).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Independent, Normal};
    /// let d = Independent::all_batch(Normal::new(Tensor::zeros(&[2, 3], DType::F64)?, 1.0)?)?;
    /// assert_eq!((d.batch_shape(), d.event_shape()), (vec![], vec![2, 3]));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn all_batch(distribution: impl Distribution + 'static) -> Result<Self> {
        let k = distribution.batch_shape().len() as isize;
        Self::new(distribution, k)
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Independent, Normal};
    /// let d = Independent::all_batch(Normal::new(Tensor::zeros(&[2], DType::F64)?, 1.0)?)?.with_name("weights");
    /// assert_eq!(d.name(), "weights");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    /// The underlying distribution.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Independent, Normal};
    /// let d = Independent::all_batch(Normal::new(Tensor::zeros(&[2], DType::F64)?, 1.0)?)?;
    /// assert_eq!(d.distribution().batch_shape(), vec![2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn distribution(&self) -> &Arc<dyn Distribution> {
        &self.inner
    }
    /// How many rightmost batch dimensions are read as event dimensions.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Independent, Normal};
    /// let d = Independent::new(Normal::new(Tensor::zeros(&[2, 3], DType::F64)?, 1.0)?, 2)?;
    /// assert_eq!(d.reinterpreted_batch_ndims(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn reinterpreted_batch_ndims(&self) -> usize {
        self.k
    }
}

impl Distribution for Independent {
    fn class_name(&self) -> &'static str {
        "Independent"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dtype(&self) -> DType {
        self.inner.dtype()
    }
    fn batch_shape(&self) -> Vec<usize> {
        let b = self.inner.batch_shape();
        b[..b.len() - self.k].to_vec()
    }
    fn event_shape(&self) -> Vec<usize> {
        let b = self.inner.batch_shape();
        let mut e = b[b.len() - self.k..].to_vec();
        e.extend(self.inner.event_shape());
        e
    }
    fn reparameterization_type(&self) -> ReparameterizationType {
        self.inner.reparameterization_type()
    }
    fn validate_args(&self) -> bool {
        self.inner.validate_args()
    }
    fn parameters(&self) -> Vec<(&'static str, &Param)> {
        self.inner.parameters()
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.inner.visit_variables(f)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        self.inner.log_prob(x)?.sum_last(self.k)
    }
    fn sample(&self, sample_shape: &[usize], seed: Seed) -> Result<Tensor> {
        self.inner.sample(sample_shape, seed)
    }
    fn sample_and_log_prob(&self, sample_shape: &[usize], seed: Seed) -> Result<(Tensor, Tensor)> {
        let (x, lp) = self.inner.sample_and_log_prob(sample_shape, seed)?;
        Ok((x, lp.sum_last(self.k)?))
    }
    fn mean(&self) -> Result<Tensor> {
        self.inner.mean()
    }
    fn mode(&self) -> Result<Tensor> {
        self.inner.mode()
    }
    fn variance(&self) -> Result<Tensor> {
        self.inner.variance()
    }
    fn stddev(&self) -> Result<Tensor> {
        self.inner.stddev()
    }
    fn entropy(&self) -> Result<Tensor> {
        self.inner.entropy()?.sum_last(self.k)
    }
    fn default_event_space_bijector(&self) -> Result<Arc<dyn crate::bijectors::Bijector>> {
        self.inner.default_event_space_bijector()
    }
}

impl_display!(Independent);

