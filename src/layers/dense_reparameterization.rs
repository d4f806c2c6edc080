//! TFP's `DenseReparameterization`: one kernel drawn from its posterior per call,
//! `W = loc + scale ⊙ ε` (ε standard normal), shared by the whole minibatch, then
//! `activation(inputs · W + b)` (Kingma and Welling's reparameterization estimator).

use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

use super::variational::{variational_builders, VariationalCore};

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
    core: VariationalCore,
}

impl DenseReparameterization {
    /// `units` outputs, TFP's defaults (module doc of `variational.rs`): linear, float32, named
    /// `dense_reparameterization`.
    ///
    /// ```
    /// assert!(probrs::layers::DenseReparameterization::new(0).is_err());
    /// ```
    pub fn new(units: usize) -> Result<Self> {
        Ok(DenseReparameterization { core: VariationalCore::new(units, "dense_reparameterization")? })
    }
}

variational_builders!([] DenseReparameterization, "DenseReparameterization::new(4)?", "[1, 2]");

impl DenseReparameterization {
    /// This estimator's draw of `x · W` for the kernel posterior `N(loc, scale)`.
    fn kernel_outputs(&self, x: &Tensor, loc: &Tensor, scale: &Tensor, seed: Seed) -> Result<Tensor> {
        let w = loc.add(&scale.mul(&random::normal(loc.shape(), loc.dtype(), seed)?)?)?;
        x.matmul(&w)
    }
}
