//! The [`Layer`] trait: what a model sees of a layer.

use crate::error::Result;
use crate::params::Variable;
use crate::random::Seed;
use crate::tensor::Tensor;

/// A layer: called on a batch of inputs `[batch..., features]`, it returns `[batch..., units]`.
/// A stochastic layer draws its noise from `seed` (the same seed, the same output); a
/// deterministic one ignores it.
///
/// ```
/// use probrs::layers::{Dense, Layer};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let layer = Dense::new(3)?.with_seed(7);
/// assert!(layer.trainable_variables().is_empty()); // built at the first call, as Keras
/// let y = layer.call(&Tensor::ones(&[4, 5], DType::F32)?, Seed::new(0))?;
/// assert_eq!((y.shape(), layer.trainable_variables().len()), (&[4usize, 3][..], 2));
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait Layer: Send + Sync {
    /// The layer applied to `inputs`; errors name the layer and the shapes.
    fn call(&self, inputs: &Tensor, seed: Seed) -> Result<Tensor>;
    /// Its trainable variables, named by layer path (`dense_flipout/kernel_posterior_loc`);
    /// empty before the first call.
    fn trainable_variables(&self) -> Vec<Variable>;
    /// The losses it adds to the model's (Keras's `layer.losses`): a variational layer's KL
    /// divergences from its posteriors to its priors, as computed by its latest call (empty
    /// before the first).
    fn losses(&self) -> Result<Vec<Tensor>> {
        Ok(vec![])
    }
    /// Its name.
    fn name(&self) -> &str;
}
