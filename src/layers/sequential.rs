//! Keras's `Sequential`: layers applied in order. A layer that appears twice (the same `Arc`)
//! is one set of weights used twice — the seed page's `MNISTModel` applies `dense2` twice — and
//! its variables and losses count once.

use std::sync::Arc;

use crate::error::Result;
use crate::params::Variable;
use crate::random::Seed;
use crate::tensor::Tensor;

use super::layer::Layer;

/// Layers in order; itself a [`Layer`].
///
/// ```
/// use probrs::layers::{Activation, Dense, Layer, Sequential};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let model = Sequential::new(vec![Arc::new(Dense::new(8)?.with_activation(Activation::Relu)), Arc::new(Dense::new(2)?.with_seed(1))]);
/// assert_eq!(model.call(&Tensor::ones(&[5, 3], DType::F32)?, Seed::new(0))?.shape(), &[5, 2]);
/// assert_eq!(model.trainable_variables().len(), 4);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct Sequential {
    layers: Vec<Arc<dyn Layer>>,
    name: String,
}

impl Sequential {
    /// The model of `layers`, named `sequential`.
    ///
    /// ```
    /// let m = probrs::layers::Sequential::new(vec![]);
    /// assert!(m.layers().is_empty());
    /// ```
    pub fn new(layers: Vec<Arc<dyn Layer>>) -> Self {
        Sequential { layers, name: "sequential".into() }
    }

    /// Its layers, in order.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let m = probrs::layers::Sequential::new(vec![Arc::new(probrs::layers::Dense::new(2)?)]);
    /// assert_eq!(m.layers().len(), 1);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn layers(&self) -> &[Arc<dyn Layer>] {
        &self.layers
    }

    /// Each distinct layer once (by identity), in order of first appearance.
    fn distinct(&self) -> Vec<&Arc<dyn Layer>> {
        let mut seen: Vec<&Arc<dyn Layer>> = vec![];
        for l in &self.layers {
            if !seen.iter().any(|s| Arc::ptr_eq(s, l)) {
                seen.push(l);
            }
        }
        seen
    }
}

impl Layer for Sequential {
    /// Layer `i` draws with `seed.fold_in(i)`.
    fn call(&self, inputs: &Tensor, seed: Seed) -> Result<Tensor> {
        let mut x = inputs.clone();
        for (i, l) in self.layers.iter().enumerate() {
            x = l.call(&x, seed.fold_in(i as u64))?;
        }
        Ok(x)
    }

    fn trainable_variables(&self) -> Vec<Variable> {
        self.distinct().iter().flat_map(|l| l.trainable_variables()).collect()
    }

    fn losses(&self) -> Result<Vec<Tensor>> {
        let mut out = vec![];
        for l in self.distinct() {
            out.extend(l.losses()?);
        }
        Ok(out)
    }

    fn name(&self) -> &str {
        &self.name
    }
}
