//! TFP's `tfp.layers.DistributionLambda(make_distribution_fn)`: any distribution made from a
//! network's outputs by a function of them.

use crate::distributions::Distribution;
use crate::error::Result;
use crate::tensor::Tensor;

type MakeFn<D> = Box<dyn Fn(&Tensor) -> Result<D> + Send + Sync>;

/// A distribution layer from a function of the inputs.
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::layers::DistributionLambda;
/// use probrs::tensor::{DType, Tensor};
/// // TFP's regression tutorial: a Normal with a learned mean and scale 1.
/// let layer = DistributionLambda::new(|t: &Tensor| Normal::new(t.clone(), 1.0));
/// let d = layer.distribution(&Tensor::zeros(&[3, 1], DType::F64)?)?;
/// assert_eq!(d.batch_shape(), vec![3, 1]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct DistributionLambda<D> {
    make_distribution_fn: MakeFn<D>,
}

impl<D: Distribution> DistributionLambda<D> {
    /// The layer of `make_distribution_fn`.
    ///
    /// ```
    /// use probrs::distributions::Poisson;
    /// let _ = probrs::layers::DistributionLambda::new(|t: &probrs::tensor::Tensor| Poisson::from_log_rate(t.clone()));
    /// ```
    pub fn new(make_distribution_fn: impl Fn(&Tensor) -> Result<D> + Send + Sync + 'static) -> Self {
        DistributionLambda { make_distribution_fn: Box::new(make_distribution_fn) }
    }

    /// The distribution made from `inputs`.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Normal};
    /// let layer = probrs::layers::DistributionLambda::new(|t: &probrs::tensor::Tensor| Normal::new(t.clone(), t.exp()?));
    /// let d = layer.distribution(&probrs::tensor::Tensor::vector(&[0.0], probrs::tensor::DType::F64)?)?;
    /// assert_eq!(d.stddev()?.to_vec()?, vec![1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn distribution(&self, inputs: &Tensor) -> Result<D> {
        (self.make_distribution_fn)(inputs)
    }
}
