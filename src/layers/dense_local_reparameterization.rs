//! TFP's `DenseLocalReparameterization`: instead of a kernel, each example's pre-activations
//! are drawn from the Normal the kernel's posterior induces on them (Kingma, Salimans and
//! Welling's local reparameterization):
//!
//! ```text
//! inputs · W ~ N(inputs · loc, √(inputs² · scale²))     independently per example and unit
//! ```

use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

use super::variational::{variational_builders, VariationalCore};

/// A dense layer whose pre-activations are sampled per example from the kernel posterior's
/// induced Normal.
///
/// ```
/// use probrs::layers::{DenseLocalReparameterization, Layer};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let layer = DenseLocalReparameterization::new(2)?.with_seed(4);
/// // Two identical rows get different noise.
/// let y = layer.call(&Tensor::ones(&[2, 3], DType::F32)?, Seed::new(0))?.to_vec()?;
/// assert_ne!(y[0], y[2]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct DenseLocalReparameterization {
    core: VariationalCore,
}

impl DenseLocalReparameterization {
    /// `units` outputs, TFP's defaults; named `dense_local_reparameterization`.
    ///
    /// ```
    /// assert!(probrs::layers::DenseLocalReparameterization::new(3).is_ok());
    /// ```
    pub fn new(units: usize) -> Result<Self> {
        Ok(DenseLocalReparameterization { core: VariationalCore::new(units, "dense_local_reparameterization")? })
    }
}

variational_builders!([] DenseLocalReparameterization, "DenseLocalReparameterization::new(4)?", "[1, 2]");

impl DenseLocalReparameterization {
    /// This estimator's draw of `x · W` for the kernel posterior `N(loc, scale)`.
    fn kernel_outputs(&self, x: &Tensor, loc: &Tensor, scale: &Tensor, seed: Seed) -> Result<Tensor> {
        let mean = x.matmul(loc)?;
        let sd = x.square()?.matmul(&scale.square()?)?.sqrt()?;
        mean.add(&sd.mul(&random::normal(mean.shape(), mean.dtype(), seed)?)?)
    }
}
