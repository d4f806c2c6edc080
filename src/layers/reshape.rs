//! Keras's `Reshape` and `Flatten`: each example's features rearranged, the batch axis kept.
//!
//! ```text
//! Reshape(target)  [B, ...] → [B, target...]     (one −1 in target is inferred)
//! Flatten          [B, ...] → [B, Π ...]
//! ```

use crate::error::{Error, Result};
use crate::params::Variable;
use crate::random::Seed;
use crate::tensor::Tensor;

use super::layer::Layer;

/// Keras's `Reshape(target_shape)`.
///
/// ```
/// use probrs::layers::{Layer, Reshape};
/// use probrs::tensor::{DType, Tensor};
/// let images = Reshape::new(&[8, 8, 1]).call(&Tensor::zeros(&[5, 64], DType::F32)?, probrs::random::Seed::new(0))?;
/// assert_eq!(images.shape(), &[5, 8, 8, 1]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct Reshape {
    target: Vec<isize>,
    name: String,
}

impl Reshape {
    /// Each example reshaped to `target_shape` (sizes, or one `−1` to infer).
    ///
    /// ```
    /// use probrs::layers::{Layer, Reshape};
    /// let y = Reshape::new(&[-1, 2]).call(&probrs::tensor::Tensor::zeros(&[3, 8], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
    /// assert_eq!(y.shape(), &[3, 4, 2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(target_shape: &[isize]) -> Self {
        Reshape { target: target_shape.to_vec(), name: "reshape".into() }
    }
}

impl Layer for Reshape {
    fn call(&self, inputs: &Tensor, _seed: Seed) -> Result<Tensor> {
        let Some((&b, rest)) = inputs.shape().split_first() else {
            return Err(Error::InvalidShape { what: format!("layer `{}`'s input", self.name), shape: vec![], reason: "needs a batch axis".into() });
        };
        let size: usize = rest.iter().product();
        let known: isize = self.target.iter().filter(|t| **t != -1).product();
        let n_infer = self.target.iter().filter(|t| **t == -1).count();
        let bad = || Error::ShapeMismatch { context: format!("layer `{}`: each example's {size} values vs the target shape", self.name), lhs: inputs.shape().to_vec(), rhs: self.target.iter().map(|t| *t as usize).collect() };
        if self.target.iter().any(|t| *t < -1 || *t == 0) || n_infer > 1 || known <= 0 {
            return Err(bad());
        }
        let known = known as usize;
        if (n_infer == 0 && known != size) || !size.is_multiple_of(known) {
            return Err(bad());
        }
        let mut shape = vec![b];
        shape.extend(self.target.iter().map(|t| if *t == -1 { size / known } else { *t as usize }));
        inputs.reshape(&shape)
    }

    fn trainable_variables(&self) -> Vec<Variable> {
        vec![]
    }

    fn name(&self) -> &str {
        &self.name
    }
}

/// Keras's `Flatten`: `[B, ...] → [B, features]`.
///
/// ```
/// use probrs::layers::{Flatten, Layer};
/// let y = Flatten.call(&probrs::tensor::Tensor::zeros(&[2, 4, 4, 3], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
/// assert_eq!(y.shape(), &[2, 48]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Flatten;

impl Layer for Flatten {
    fn call(&self, inputs: &Tensor, _seed: Seed) -> Result<Tensor> {
        let Some((&b, rest)) = inputs.shape().split_first() else {
            return Err(Error::InvalidShape { what: "layer `flatten`'s input".into(), shape: vec![], reason: "needs a batch axis".into() });
        };
        inputs.reshape(&[b, rest.iter().product()])
    }

    fn trainable_variables(&self) -> Vec<Variable> {
        vec![]
    }

    fn name(&self) -> &str {
        "flatten"
    }
}
