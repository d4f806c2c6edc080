//! TFP's `DenseFlipout` (Wen et al. 2018): one weight perturbation `ΔW = scale ⊙ ε` per call,
//! decorrelated across the minibatch by random sign flips of each example's inputs and outputs:
//!
//! ```text
//! outputs = inputs · loc + ((inputs ⊙ s_in) · ΔW) ⊙ s_out,   s_in, s_out Rademacher per example
//! ```
//!
//! Each example sees the kernel `loc + diag(s_in) ΔW diag(s_out)`, a draw of the same posterior,
//! at about twice the reparameterization layer's cost and much lower gradient variance.

use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

use super::variational::{variational_builders, VariationalCore};

/// A dense layer with the Flipout estimator (the seed page's `tfp.layers.DenseFlipout`).
///
/// ```
/// use probrs::layers::{DenseFlipout, Layer};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let layer = DenseFlipout::new(10)?.with_seed(2);
/// let logits = layer.call(&Tensor::ones(&[16, 64], DType::F32)?, Seed::new(5))?;
/// assert_eq!(logits.shape(), &[16, 10]);
/// let kl = layer.losses()?[0].to_scalar()?;
/// assert!(kl > 0.0); // KL(q(W) ‖ N(0, 1)) of the 640 kernel entries
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct DenseFlipout {
    core: VariationalCore,
}

impl DenseFlipout {
    /// `units` outputs, TFP's defaults; named `dense_flipout`.
    ///
    /// ```
    /// assert!(probrs::layers::DenseFlipout::new(10).is_ok());
    /// ```
    pub fn new(units: usize) -> Result<Self> {
        Ok(DenseFlipout { core: VariationalCore::new(units, "dense_flipout")? })
    }
}

variational_builders!([] DenseFlipout, "DenseFlipout::new(4)?", "[1, 2]");

impl DenseFlipout {
    /// This estimator's draw of `x · W` for the kernel posterior `N(loc, scale)`.
    fn kernel_outputs(&self, x: &Tensor, loc: &Tensor, scale: &Tensor, seed: Seed) -> Result<Tensor> {
        let s = seed.split(3);
        let delta = scale.mul(&random::normal(loc.shape(), loc.dtype(), s[0])?)?;
        let sign_input = random::rademacher(x.shape(), x.dtype(), s[1])?;
        let mut out_shape = x.shape()[..x.rank() - 1].to_vec();
        out_shape.push(self.core.units());
        let sign_output = random::rademacher(&out_shape, x.dtype(), s[2])?;
        let perturbed = x.mul(&sign_input)?.matmul(&delta)?.mul(&sign_output)?;
        x.matmul(loc)?.add(&perturbed)
    }
}
