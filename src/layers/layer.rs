//! The [`Layer`] trait: what a model sees of a layer; and the builder methods layers share.

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

/// The builder methods every deterministic-weight layer shares, on its fields `activation`,
/// `use_bias`, `name` and `dtype` (`with_activation`, `without_bias`, `with_name`,
/// `with_dtype`); the arguments are the impl's generic parameters in brackets, the type, and a
/// constructor call for the doc examples.
macro_rules! layer_builders {
    ([$($gen:tt)*] $t:ty, $doc_new:literal) => {
        impl<$($gen)*> $t {
            /// With an activation.
            ///
            /// ```
            #[doc = concat!("let _ = probrs::layers::", $doc_new, ".with_activation(probrs::layers::Activation::Relu);")]
            /// # Ok::<(), probrs::Error>(())
            /// ```
            pub fn with_activation(mut self, activation: crate::layers::Activation) -> Self {
                self.activation = activation;
                self
            }

            /// Without a bias (Keras's `use_bias=False`).
            ///
            /// ```
            #[doc = concat!("let _ = probrs::layers::", $doc_new, ".without_bias();")]
            /// # Ok::<(), probrs::Error>(())
            /// ```
            pub fn without_bias(mut self) -> Self {
                self.use_bias = false;
                self
            }

            /// With a name (the prefix of its variables' names).
            ///
            /// ```
            /// use probrs::layers::Layer;
            #[doc = concat!("assert_eq!(probrs::layers::", $doc_new, ".with_name(\"hidden\").name(), \"hidden\");")]
            /// # Ok::<(), probrs::Error>(())
            /// ```
            pub fn with_name(mut self, name: impl Into<String>) -> Self {
                self.name = name.into();
                self
            }

            /// With the dtype of its variables (float32 by default, Keras's `floatx`).
            ///
            /// ```
            #[doc = concat!("let _ = probrs::layers::", $doc_new, ".with_dtype(probrs::tensor::DType::F64);")]
            /// # Ok::<(), probrs::Error>(())
            /// ```
            pub fn with_dtype(mut self, dtype: crate::tensor::DType) -> Self {
                self.dtype = dtype;
                self
            }
        }
    };
}
pub(super) use layer_builders;
