//! `VectorDeterministic`: a point mass at the vector `loc [..., n]` (exact equality of every
//! entry, as TFP with `atol = rtol = 0`). log_prob 0 at `loc`, −∞ elsewhere; mean `loc`;
//! variance 0; entropy 0.

use super::distribution::{check_dtype, impl_display};
use super::{Distribution, ReparameterizationType};
use crate::error::{Error, Result};
use crate::params::{resolve_dtype, Param, ParameterProperties, Parameters, Trainable};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};
use std::any::Any;

/// VectorDeterministic(loc).
///
/// ```
/// use probrs::distributions::{Distribution, VectorDeterministic};
/// use probrs::tensor::{DType, Tensor};
/// let d = VectorDeterministic::new(Tensor::vector(&[1.0, 2.0], DType::F64)?)?;
/// assert_eq!(d.event_shape(), vec![2]);
/// assert_eq!(d.log_prob(&Tensor::vector(&[1.0, 2.0], DType::F64)?)?.to_scalar()?, 0.0);
/// assert_eq!(d.log_prob(&Tensor::vector(&[1.0, 3.0], DType::F64)?)?.to_scalar()?, f64::NEG_INFINITY);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct VectorDeterministic {
    loc: Param,
    dtype: DType,
    batch_shape: Vec<usize>,
    n: usize,
    name: String,
}

impl VectorDeterministic {
    /// All mass at the vector `loc` (its last axis is the event).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, VectorDeterministic};
    /// use probrs::random::Seed;
    /// let d = VectorDeterministic::new(Tensor::vector(&[1.0, 2.0], DType::F64)?)?;
    /// assert_eq!(d.sample(&[2], Seed::new(0))?.to_vec()?, vec![1.0, 2.0, 1.0, 2.0]);
    /// assert!(VectorDeterministic::new(Tensor::scalar(1.0, DType::F64)?).is_err()); // needs a vector
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(loc: impl Into<Param>) -> Result<Self> {
        let loc = loc.into();
        let s = loc.shape();
        let Some(&n) = s.last() else {
            return Err(Error::invalid_shape("loc", &s, "VectorDeterministic needs a vector `loc`"));
        };
        let dtype = resolve_dtype(&[("loc", &loc)])?;
        Ok(VectorDeterministic { batch_shape: s[..s.len() - 1].to_vec(), n, loc, dtype, name: "VectorDeterministic".into() })
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, VectorDeterministic};
    /// let d = VectorDeterministic::new(Tensor::vector(&[1.0], DType::F64)?)?.with_name("observed");
    /// assert_eq!(d.name(), "observed");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    fn full(&self, t: Tensor) -> Result<Tensor> {
        let mut s = self.batch_shape.clone();
        s.push(self.n);
        t.broadcast_to(&s)?.contiguous()
    }
}

impl Distribution for VectorDeterministic {
    fn class_name(&self) -> &'static str {
        "VectorDeterministic"
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
    fn event_shape(&self) -> Vec<usize> {
        vec![self.n]
    }
    fn reparameterization_type(&self) -> ReparameterizationType {
        ReparameterizationType::FullyReparameterized
    }
    fn parameters(&self) -> Vec<(&'static str, &Param)> {
        vec![("loc", &self.loc)]
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let loc = self.loc.value(self.dtype)?;
        let differ = Tensor::where_(&x.eq(&loc)?, &x.zeros_like()?, &x.ones_like()?)?.sum_last(1)?;
        Tensor::where_(&differ.gt_scalar(0.0)?, &differ.full_like(f64::NEG_INFINITY)?, &differ.zeros_like()?)
    }
    fn sample(&self, shape: &[usize], _seed: Seed) -> Result<Tensor> {
        let mut s = shape.to_vec();
        s.extend(&self.batch_shape);
        s.push(self.n);
        self.loc.value(self.dtype)?.broadcast_to(&s)?.contiguous()
    }
    fn mean(&self) -> Result<Tensor> {
        self.full(self.loc.value(self.dtype)?)
    }
    fn mode(&self) -> Result<Tensor> {
        self.mean()
    }
    fn variance(&self) -> Result<Tensor> {
        self.full(self.loc.value(self.dtype)?.zeros_like()?)
    }
    fn entropy(&self) -> Result<Tensor> {
        Tensor::zeros(&self.batch_shape, self.dtype)
    }
}

impl_display!(VectorDeterministic);

impl Trainable for VectorDeterministic {
    const NAME: &'static str = "VectorDeterministic";
    /// `loc`, whose last axis is the event.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, VectorDeterministic};
    /// use probrs::params::MakeTrainable;
    /// let d: VectorDeterministic = MakeTrainable::new().batch_and_event_shape(&[2]).initial_value("loc", 1.5).build()?;
    /// assert_eq!(d.mean()?.to_vec()?, vec![1.5, 1.5]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![("loc", ParameterProperties { event_ndims: 1, ..Default::default() })]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let mut d = Self::new(p.take_required("loc", Self::NAME)?)?;
        if let Some(n) = p.name.take() {
            d = d.with_name(&n);
        }
        p.finish(Self::NAME)?;
        Ok(d)
    }
}
