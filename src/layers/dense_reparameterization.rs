//! TFP's `DenseReparameterization`: one kernel drawn from its posterior per call,
//! `W = loc + scale ⊙ ε` (ε standard normal), shared by the whole minibatch, then
//! `activation(inputs · W + b)` (Kingma and Welling's reparameterization estimator).

use crate::error::Result;
use crate::params::Variable;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

use super::layer::Layer;
use super::variational::{variational_builders, VariationalDense};

/// A dense layer with a mean-field Normal posterior over its kernel, sampled once per call.
///
/// ```
/// use probrs::layers::{DenseReparameterization, Layer};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let layer = DenseReparameterization::new(4)?.with_seed(1);
/// let x = Tensor::ones(&[8, 3], DType::F32)?;
/// let (a, b) = (layer.call(&x, Seed::new(0))?, layer.call(&x, Seed::new(1))?);
/// assert_ne!(a.to_vec()?, b.to_vec()?); // another seed, another kernel
/// assert_eq!(layer.losses()?.len(), 1);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct DenseReparameterization {
    core: VariationalDense,
}

impl DenseReparameterization {
    /// `units` outputs, TFP's defaults (module doc of `variational.rs`): linear, float32, named
    /// `dense_reparameterization`.
    ///
    /// ```
    /// assert!(probrs::layers::DenseReparameterization::new(0).is_err());
    /// ```
    pub fn new(units: usize) -> Result<Self> {
        Ok(DenseReparameterization { core: VariationalDense::new(units, "dense_reparameterization")? })
    }
}

variational_builders!(DenseReparameterization, "DenseReparameterization");

impl Layer for DenseReparameterization {
    fn call(&self, inputs: &Tensor, seed: Seed) -> Result<Tensor> {
        let (x, loc, scale) = self.core.prepare(inputs)?;
        let [s_kernel, s_bias] = seed.split2();
        let w = loc.add(&scale.mul(&random::normal(loc.shape(), loc.dtype(), s_kernel)?)?)?;
        self.core.finish(x.matmul(&w)?, s_bias)
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
