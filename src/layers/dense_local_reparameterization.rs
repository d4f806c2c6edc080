//! TFP's `DenseLocalReparameterization`: instead of a kernel, each example's pre-activations
//! are drawn from the Normal the kernel's posterior induces on them (Kingma, Salimans and
//! Welling's local reparameterization):
//!
//! ```text
//! inputs · W ~ N(inputs · loc, √(inputs² · scale²))     independently per example and unit
//! ```

use crate::error::Result;
use crate::params::Variable;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

use super::layer::Layer;
use super::variational::{variational_builders, VariationalDense};

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
    core: VariationalDense,
}

impl DenseLocalReparameterization {
    /// `units` outputs, TFP's defaults; named `dense_local_reparameterization`.
    ///
    /// ```
    /// assert!(probrs::layers::DenseLocalReparameterization::new(3).is_ok());
    /// ```
    pub fn new(units: usize) -> Result<Self> {
        Ok(DenseLocalReparameterization { core: VariationalDense::new(units, "dense_local_reparameterization")? })
    }
}

variational_builders!(DenseLocalReparameterization, "DenseLocalReparameterization");

impl Layer for DenseLocalReparameterization {
    fn call(&self, inputs: &Tensor, seed: Seed) -> Result<Tensor> {
        let (x, loc, scale) = self.core.prepare(inputs)?;
        let [s_out, s_bias] = seed.split2();
        let mean = x.matmul(&loc)?;
        let sd = x.square()?.matmul(&scale.square()?)?.sqrt()?;
        let out = mean.add(&sd.mul(&random::normal(mean.shape(), mean.dtype(), s_out)?)?)?;
        self.core.finish(out, s_bias)
    }

    fn trainable_variables(&self) -> Vec<Variable> {
        self.core.variables()
    }

    fn losses(&self) -> Result<Vec<Tensor>> {
        self.core.kl()
    }

    fn name(&self) -> &str {
        self.core.name()
    }
}
