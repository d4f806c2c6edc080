//! `BatchReshape`: the same distribution with its batch shape reshaped (same number of batch
//! members, same event shape).

use super::distribution::{check_dtype, impl_display};
use super::{Distribution, ReparameterizationType};
use crate::error::{Error, Result};
use crate::params::{Param, Variable};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};
use std::any::Any;
use std::sync::Arc;

/// A distribution with a reshaped batch.
///
/// ```
/// use probrs::distributions::{BatchReshape, Distribution, Normal};
/// use probrs::tensor::{DType, Tensor};
/// let d = BatchReshape::new(Normal::new(Tensor::zeros(&[6], DType::F64)?, 1.0)?, &[2, 3])?;
/// assert_eq!(d.batch_shape(), vec![2, 3]);
/// assert_eq!(d.log_prob(&Tensor::zeros(&[4, 2, 3], DType::F64)?)?.shape(), &[4, 2, 3]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct BatchReshape {
    inner: Arc<dyn Distribution>,
    batch_shape: Vec<usize>,
    name: String,
}

impl BatchReshape {
    /// Reinterprets the batch shape of `distribution` as `batch_shape` (same number of elements; a `ShapeMismatch` error otherwise).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{BatchReshape, Distribution, Normal};
    /// let d = Normal::new(Tensor::zeros(&[6], DType::F64)?, 1.0)?;
    /// let r = BatchReshape::new(d.clone(), &[2, 3])?;
    /// assert_eq!(r.batch_shape(), vec![2, 3]);
    /// assert!(BatchReshape::new(d, &[4]).is_err()); // 6 members cannot be 4
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(distribution: impl Distribution + 'static, batch_shape: &[usize]) -> Result<Self> {
        Self::from_arc(Arc::new(distribution), batch_shape)
    }
    /// As [`BatchReshape::new`], from a shared distribution.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{BatchReshape, Distribution, Normal};
    /// use std::sync::Arc;
    /// let d: Arc<dyn Distribution> = Arc::new(Normal::new(Tensor::zeros(&[4], DType::F64)?, 1.0)?);
    /// assert_eq!(BatchReshape::from_arc(d, &[2, 2])?.batch_shape(), vec![2, 2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_arc(inner: Arc<dyn Distribution>, batch_shape: &[usize]) -> Result<Self> {
        let old = inner.batch_shape();
        if old.iter().product::<usize>() != batch_shape.iter().product::<usize>() {
            return Err(Error::ShapeMismatch { context: "BatchReshape batch shapes (element counts differ)".into(), lhs: old, rhs: batch_shape.to_vec() });
        }
        let name = format!("BatchReshape{}", inner.name());
        Ok(BatchReshape { inner, batch_shape: batch_shape.to_vec(), name })
    }
    /// Reshapes the `from` batch dims of `t` (found at `[lead, lead + from.len())`) to `to`.
    fn swap(t: &Tensor, lead: usize, from: &[usize], to: &[usize]) -> Result<Tensor> {
        let s = t.shape();
        let mut shape = s[..lead].to_vec();
        shape.extend_from_slice(to);
        shape.extend_from_slice(&s[lead + from.len()..]);
        t.contiguous()?.reshape(&shape)
    }
}

impl Distribution for BatchReshape {
    fn class_name(&self) -> &'static str {
        "BatchReshape"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dtype(&self) -> DType {
        self.inner.dtype()
    }
    fn batch_shape(&self) -> Vec<usize> {
        self.batch_shape.clone()
    }
    fn event_shape(&self) -> Vec<usize> {
        self.inner.event_shape()
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
        let e = self.event_shape().len();
        let nb = self.batch_shape.len();
        if x.rank() < nb + e {
            return Err(Error::invalid_shape("BatchReshape.log_prob input", x.shape(), "needs batch and event dims"));
        }
        let lead = x.rank() - nb - e;
        let full: Vec<usize> = x.shape()[..lead].iter().copied().chain(self.batch_shape.iter().copied()).chain(self.event_shape()).collect();
        let x = x.broadcast_to(&full)?;
        let lp = self.inner.log_prob(&Self::swap(&x, lead, &self.batch_shape, &self.inner.batch_shape())?)?;
        Self::swap(&lp, lead, &self.inner.batch_shape(), &self.batch_shape)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        Self::swap(&self.inner.sample(shape, seed)?, shape.len(), &self.inner.batch_shape(), &self.batch_shape)
    }
    fn mean(&self) -> Result<Tensor> {
        Self::swap(&self.inner.mean()?, 0, &self.inner.batch_shape(), &self.batch_shape)
    }
    fn variance(&self) -> Result<Tensor> {
        Self::swap(&self.inner.variance()?, 0, &self.inner.batch_shape(), &self.batch_shape)
    }
    fn entropy(&self) -> Result<Tensor> {
        Self::swap(&self.inner.entropy()?, 0, &self.inner.batch_shape(), &self.batch_shape)
    }
}

impl_display!(BatchReshape);
