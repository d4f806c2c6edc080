//! `Masked`: a distribution whose batch members outside `validity_mask` contribute nothing
//! (TFP's `tfd.Masked`): `log_prob` and `entropy` are 0 there, and their samples come from the
//! base distribution with a fixed seed (TFP's default `safe_sample_fn`), so they are valid but
//! carry no randomness.

use super::distribution::{check_dtype, impl_display};
use super::{Distribution, ReparameterizationType};
use crate::error::{Error, Result};
use crate::params::{Param, Variable};
use crate::random::Seed;
use crate::tensor::{broadcast_shapes, DType, Tensor};
use std::any::Any;
use std::sync::Arc;

/// A distribution with some batch members masked out.
///
/// ```
/// use probrs::distributions::{Distribution, Masked, Normal};
/// use probrs::tensor::{DType, Tensor};
/// let base = Normal::new(Tensor::zeros(&[3], DType::F64)?, 1.0)?;
/// let d = Masked::new(base, &[true, false, true])?;
/// let lp = d.log_prob(&Tensor::zeros(&[3], DType::F64)?)?.to_vec()?;
/// assert_eq!(lp[1], 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Masked {
    inner: Arc<dyn Distribution>,
    /// 1 where valid, 0 where masked, shaped like (a broadcast of) the batch.
    mask: Tensor,
    batch_shape: Vec<usize>,
    name: String,
}

impl Masked {
    /// `validity_mask` has the base distribution's batch shape (flattened, row-major).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Masked, Normal};
    /// let base = Normal::new(Tensor::zeros(&[2], DType::F64)?, 1.0)?;
    /// assert!(Masked::new(base.clone(), &[true, false]).is_ok());
    /// assert!(Masked::new(base, &[true]).is_err()); // one flag per batch member
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(distribution: impl Distribution + 'static, validity_mask: &[bool]) -> Result<Self> {
        Self::from_arc(Arc::new(distribution), validity_mask)
    }
    /// As [`Masked::new`], from a shared distribution.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Masked, Normal};
    /// use std::sync::Arc;
    /// let d: Arc<dyn Distribution> = Arc::new(Normal::new(Tensor::zeros(&[2], DType::F64)?, 1.0)?);
    /// let m = Masked::from_arc(d, &[false, true])?;
    /// assert_eq!(m.log_prob(&Tensor::vector(&[0.0, 0.0], DType::F64)?)?.to_vec()?[0], 0.0); // masked out
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_arc(inner: Arc<dyn Distribution>, validity_mask: &[bool]) -> Result<Self> {
        let b = inner.batch_shape();
        if validity_mask.len() != b.iter().product::<usize>() {
            return Err(Error::ShapeMismatch { context: "Masked validity_mask vs batch shape".into(), lhs: vec![validity_mask.len()], rhs: b });
        }
        let vals: Vec<f64> = validity_mask.iter().map(|v| if *v { 1.0 } else { 0.0 }).collect();
        let mask = Tensor::from_slice(&vals, &b, inner.dtype())?;
        let batch_shape = broadcast_shapes(&b, mask.shape())?;
        let name = format!("Masked{}", inner.name());
        Ok(Masked { inner, mask, batch_shape, name })
    }
    fn valid(&self) -> Result<crate::tensor::Mask> {
        self.mask.gt_scalar(0.5)
    }
}

impl Distribution for Masked {
    fn class_name(&self) -> &'static str {
        "Masked"
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
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let lp = self.inner.log_prob(x)?;
        Tensor::where_(&self.valid()?, &lp, &lp.zeros_like()?)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let drawn = self.inner.sample(shape, seed)?;
        let safe = self.inner.sample(shape, Seed::new(0))?;
        let mut m = self.mask.clone();
        for _ in 0..self.inner.event_shape().len() {
            m = m.unsqueeze(m.rank())?;
        }
        Tensor::where_(&m.gt_scalar(0.5)?, &drawn, &safe)
    }
    fn entropy(&self) -> Result<Tensor> {
        let h = self.inner.entropy()?;
        Tensor::where_(&self.valid()?, &h, &h.zeros_like()?)
    }
}

impl_display!(Masked);
