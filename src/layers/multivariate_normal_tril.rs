//! TFP's `tfp.layers.MultivariateNormalTriL(event_size)`: a network's last `params_size`
//! outputs become a full-covariance Gaussian over `event_size` dimensions — the VAE encoder's
//! posterior `q(z | x)`:
//!
//! ```text
//! params = [loc (n) | raw (n(n+1)/2)]  →  MultivariateNormalTriL(loc, FillScaleTriL(raw))
//! params_size(n) = n + n(n+1)/2         FillScaleTriL: fill_triangular, diagonal softplus + 1e-5
//! ```

use crate::bijectors::{Bijector, FillScaleTriL};
use crate::distributions::MultivariateNormalTriL as Mvn;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

use super::independent::{check_params, DistributionLayer};

/// The layer (TFP's defaults: `FillScaleTriL` with a softplus diagonal shifted by 1e-5).
///
/// ```
/// use probrs::distributions::Distribution;
/// use probrs::layers::{DistributionLayer, MultivariateNormalTriL};
/// use probrs::tensor::{DType, Tensor};
/// let layer = MultivariateNormalTriL::new(2)?;
/// assert_eq!(layer.params_size(), 5);
/// let q = layer.distribution(&Tensor::zeros(&[4, 5], DType::F64)?)?;
/// assert_eq!((q.batch_shape(), q.event_shape()), (vec![4], vec![2]));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MultivariateNormalTriL {
    event_size: usize,
}

impl MultivariateNormalTriL {
    /// The layer for `event_size`-dimensional Gaussians.
    ///
    /// ```
    /// assert!(probrs::layers::MultivariateNormalTriL::new(0).is_err());
    /// ```
    pub fn new(event_size: usize) -> Result<Self> {
        if event_size == 0 {
            return Err(Error::invalid_parameter("event_size", "MultivariateNormalTriL needs at least one dimension"));
        }
        Ok(MultivariateNormalTriL { event_size })
    }
}

impl DistributionLayer for MultivariateNormalTriL {
    type Output = Mvn;

    fn params_size(&self) -> usize {
        let n = self.event_size;
        n + n * (n + 1) / 2
    }

    fn distribution(&self, params: &Tensor) -> Result<Mvn> {
        let (n, size) = (self.event_size, self.params_size());
        check_params(&format!("MultivariateNormalTriL({n})"), params, size)?;
        let axis = params.rank() - 1;
        let loc = params.narrow(axis, 0, n)?;
        let scale_tril = FillScaleTriL::new().forward(&params.narrow(axis, n, size - n)?)?;
        Mvn::new(loc, scale_tril)
    }
}
