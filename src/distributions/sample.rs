//! `Sample`: `n` iid draws of a distribution, held as one event (TFP's `tfd.Sample`).
//!
//! ```text
//! batch_shape = inner.batch_shape     event_shape = sample_shape + inner.event_shape
//! log p(x) = Σ over sample_shape of inner.log_prob      entropy = |sample_shape| · inner.entropy
//! ```

use super::distribution::{check_dtype, impl_display};
use super::{Distribution, ReparameterizationType};
use crate::error::{Error, Result};
use crate::params::{Param, Variable};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};
use std::any::Any;
use std::sync::Arc;

/// iid draws of `distribution` with shape `sample_shape`, as one event.
///
/// ```
/// use probrs::distributions::{Distribution, Normal, Sample};
/// use probrs::tensor::{DType, Tensor};
/// let d = Sample::new(Normal::new(Tensor::zeros(&[2], DType::F64)?, 1.0)?, &[3])?;
/// assert_eq!((d.batch_shape(), d.event_shape()), (vec![2], vec![3]));
/// assert_eq!(d.log_prob(&Tensor::zeros(&[2, 3], DType::F64)?)?.shape(), &[2]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Sample {
    inner: Arc<dyn Distribution>,
    sample_shape: Vec<usize>,
    name: String,
}

impl Sample {
    /// `sample_shape` i.i.d. draws of `distribution`, taken as one event.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Normal, Sample};
    /// // Three i.i.d. standard normals as one event.
    /// let d = Sample::new(Normal::new(0.0, 1.0)?, &[3])?;
    /// assert_eq!(d.event_shape(), vec![3]);
    /// let lp = d.log_prob(&Tensor::zeros(&[3], DType::F32)?)?.to_scalar()?;
    /// assert!((lp + 3.0 * 0.918_938_5).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(distribution: impl Distribution + 'static, sample_shape: &[usize]) -> Result<Self> {
        Self::from_arc(Arc::new(distribution), sample_shape)
    }
    /// As [`Sample::new`] with the distribution already behind an `Arc`.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Exponential, Sample};
    /// use std::sync::Arc;
    /// let base: Arc<dyn Distribution> = Arc::new(Exponential::new(1.0)?);
    /// assert_eq!(Sample::from_arc(base, &[2, 2])?.event_shape(), vec![2, 2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_arc(inner: Arc<dyn Distribution>, sample_shape: &[usize]) -> Result<Self> {
        let name = format!("Sample{}", inner.name());
        Ok(Sample { inner, sample_shape: sample_shape.to_vec(), name })
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Normal, Sample};
    /// assert_eq!(Sample::new(Normal::new(0.0, 1.0)?, &[2])?.with_name("noise").name(), "noise");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    /// The distribution drawn from (TFP's `Sample.distribution`).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Normal, Sample};
    /// let s = Sample::new(Normal::new(0.0, 1.0)?, &[3])?;
    /// assert_eq!(s.distribution().class_name(), "Normal");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn distribution(&self) -> &Arc<dyn Distribution> {
        &self.inner
    }
    /// The shape of the i.i.d. draws (TFP's `Sample.sample_shape`).
    ///
    /// ```
    /// use probrs::distributions::{Normal, Sample};
    /// assert_eq!(Sample::new(Normal::new(0.0, 1.0)?, &[2, 3])?.sample_shape(), &[2, 3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sample_shape(&self) -> &[usize] {
        &self.sample_shape
    }
    fn n(&self) -> usize {
        self.sample_shape.iter().product()
    }
    /// Moves axes `[from, from + k)` to position `to` (all other axes keep their order).
    fn move_axes(x: &Tensor, from: usize, k: usize, to: usize) -> Result<Tensor> {
        let r = x.rank();
        let mut rest: Vec<usize> = (0..r).filter(|a| *a < from || *a >= from + k).collect();
        let moved: Vec<usize> = (from..from + k).collect();
        let tail = rest.split_off(to.min(rest.len()));
        let order: Vec<usize> = rest.into_iter().chain(moved).chain(tail).collect();
        x.permute(&order)?.contiguous()
    }
    /// Inner per-draw values `[..., batch, n..., inner_event]`-shaped stats from `[batch, inner_event]`.
    fn expand(&self, t: Tensor) -> Result<Tensor> {
        let rb = self.inner.batch_shape().len();
        let mut u = t;
        for _ in 0..self.sample_shape.len() {
            u = u.unsqueeze(rb)?;
        }
        let mut shape = self.inner.batch_shape();
        shape.extend(&self.sample_shape);
        shape.extend(self.inner.event_shape());
        u.broadcast_to(&shape)?.contiguous()
    }
}

impl Distribution for Sample {
    fn class_name(&self) -> &'static str {
        "Sample"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dtype(&self) -> DType {
        self.inner.dtype()
    }
    fn batch_shape(&self) -> Vec<usize> {
        self.inner.batch_shape()
    }
    fn event_shape(&self) -> Vec<usize> {
        let mut e = self.sample_shape.clone();
        e.extend(self.inner.event_shape());
        e
    }
    fn reparameterization_type(&self) -> ReparameterizationType {
        self.inner.reparameterization_type()
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
    fn default_event_space_bijector(&self) -> Result<Arc<dyn crate::bijectors::Bijector>> {
        self.inner.default_event_space_bijector()
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let (rs, re) = (self.sample_shape.len(), self.inner.event_shape().len());
        let r = x.rank();
        if r < rs + re {
            return Err(Error::invalid_shape("Sample.log_prob input", x.shape(), format!("needs the event shape {:?}", self.event_shape())));
        }
        // [S..., batch..., n..., event...] -> [n..., S..., batch..., event...]
        let lead = r - rs - re;
        let moved = Self::move_axes(x, lead, rs, 0)?;
        let lp = self.inner.log_prob(&moved)?; // [n..., S..., batch...]
        lp.sum_axes(&(0..rs).collect::<Vec<_>>(), false)
    }
    fn sample(&self, sample_shape: &[usize], seed: Seed) -> Result<Tensor> {
        let mut shape = sample_shape.to_vec();
        shape.extend(&self.sample_shape);
        let s = self.inner.sample(&shape, seed)?; // [S..., n..., batch..., event...]
        Self::move_axes(&s, sample_shape.len(), self.sample_shape.len(), sample_shape.len() + self.inner.batch_shape().len())
    }
    fn mean(&self) -> Result<Tensor> {
        self.expand(self.inner.mean()?)
    }
    fn variance(&self) -> Result<Tensor> {
        self.expand(self.inner.variance()?)
    }
    fn stddev(&self) -> Result<Tensor> {
        self.expand(self.inner.stddev()?)
    }
    fn entropy(&self) -> Result<Tensor> {
        self.inner.entropy()?.mul_scalar(self.n() as f64)
    }
}

impl_display!(Sample);

