//! Keras's activations, applied elementwise (softmax over the last axis).

use crate::error::Result;
use crate::tensor::Tensor;

/// An activation function (Keras's `activation=` strings).
///
/// ```
/// use probrs::layers::Activation;
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::vector(&[-1.0, 0.5], DType::F64)?;
/// assert_eq!(Activation::Relu.apply(&x)?.to_vec()?, vec![0.0, 0.5]);
/// let p = Activation::Softmax.apply(&x)?.to_vec()?;
/// assert!((p[0] + p[1] - 1.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Activation {
    /// The identity (Keras's `None` / `"linear"`).
    #[default]
    Linear,
    /// `max(x, 0)`.
    Relu,
    /// `1 / (1 + e^−x)`.
    Sigmoid,
    /// `tanh x`.
    Tanh,
    /// `log(1 + eˣ)`.
    Softplus,
    /// `eˣ / Σ eˣ` over the last axis.
    Softmax,
}

impl Activation {
    /// The activation applied to `x`.
    ///
    /// ```
    /// use probrs::layers::Activation;
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::scalar(0.0, DType::F32)?;
    /// assert_eq!(Activation::Sigmoid.apply(&x)?.to_scalar()?, 0.5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn apply(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Linear => Ok(x.clone()),
            Activation::Relu => x.relu(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Tanh => x.tanh(),
            Activation::Softplus => x.softplus(),
            Activation::Softmax => {
                let last = x.rank().saturating_sub(1);
                x.sub(&x.logsumexp(last, true)?)?.exp()
            }
        }
    }
}
