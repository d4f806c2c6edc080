//! `DeferredTensor`: a function of a variable, evaluated at every read.
//!
//! TFP's `tfp.util.DeferredTensor(pretransformed_input, transform_fn)`: the transform runs
//! when the value is used, so gradients reach the variable.

use super::Variable;
use crate::error::Result;
use crate::tensor::{DType, Tensor};
use std::fmt;
use std::sync::Arc;

type TransformFn = Arc<dyn Fn(&Tensor) -> Result<Tensor> + Send + Sync>;

/// A tensor computed from a variable at each read.
///
/// ```
/// use probrs::params::{DeferredTensor, Variable};
/// use probrs::tensor::{DType, Tensor};
/// let raw = Variable::new(&Tensor::scalar(0.0, DType::F64)?, "raw")?;
/// let scale = DeferredTensor::new(raw.clone(), |x| x.exp());
/// assert_eq!(scale.value()?.to_scalar()?, 1.0);
/// raw.assign(&Tensor::scalar(2f64.ln(), DType::F64)?)?;
/// assert!((scale.value()?.to_scalar()? - 2.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct DeferredTensor {
    input: Variable,
    transform: TransformFn,
    shape: Vec<usize>,
}

impl DeferredTensor {
    /// `transform_fn(input)` at every read. The output shape is taken from one evaluation now.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Normal};
    /// use probrs::params::{DeferredTensor, Variable};
    /// // A scale stored as its logarithm, exponentiated at every read.
    /// let log_scale = Variable::new(&Tensor::scalar(2f64.ln(), DType::F64)?, "log_scale")?;
    /// let scale = DeferredTensor::new(log_scale.clone(), |t| t.exp());
    /// let d = Normal::new(0.0, scale)?;
    /// assert!((d.stddev()?.to_scalar()? - 2.0).abs() < 1e-12);
    /// assert_eq!(d.trainable_variables().len(), 1);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(input: Variable, transform_fn: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static) -> Self {
        let shape = transform_fn(&input.numpy()).map(|t| t.shape().to_vec()).unwrap_or_else(|_| input.shape().to_vec());
        DeferredTensor { input, transform: Arc::new(transform_fn), shape }
    }
    /// The transform applied to the variable's current value.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::{DeferredTensor, Variable};
    /// let v = Variable::new(&Tensor::vector(&[1.0, 2.0], DType::F64)?, "v")?;
    /// let d = DeferredTensor::new(v.clone(), |t| t.square());
    /// v.assign(&Tensor::vector(&[3.0, 4.0], DType::F64)?)?;
    /// assert_eq!(d.value()?.to_vec()?, vec![9.0, 16.0]); // reads the current value
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn value(&self) -> Result<Tensor> {
        (self.transform)(&self.input.value())
    }
    /// The variable the transform reads.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::{DeferredTensor, Variable};
    /// let v = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "v")?;
    /// let d = DeferredTensor::new(v.clone(), |t| t.exp());
    /// assert!(d.pretransformed_input().same_as(&v));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn pretransformed_input(&self) -> &Variable {
        &self.input
    }
    /// The shape of the value.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::{DeferredTensor, Variable};
    /// // The output shape may differ from the input's: here a sum over the vector.
    /// let v = Variable::new(&Tensor::vector(&[1.0, 2.0, 3.0], DType::F64)?, "v")?;
    /// assert_eq!(DeferredTensor::new(v, |t| t.sum_all()).shape(), &[] as &[usize]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// The dtype of the value.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::{DeferredTensor, Variable};
    /// let v = Variable::new(&Tensor::scalar(1.0, DType::F32)?, "v")?;
    /// assert_eq!(DeferredTensor::new(v, |t| t.exp()).dtype(), DType::F32);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn dtype(&self) -> DType {
        self.input.dtype()
    }
}

impl fmt::Debug for DeferredTensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<DeferredTensor: input={}, shape={:?}>", self.input.name(), self.shape)
    }
}
