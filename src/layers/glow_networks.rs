//! TFP's default networks for `bijectors::Glow`: `GlowDefaultNetwork` (the couplings': a
//! `kernel_shape` convolution to `num_hidden` relu channels, a 1×1 convolution to `num_hidden`
//! relu channels, both He-normal, then a `kernel_shape` convolution to twice the transformed
//! channels with zero kernel and bias) and `GlowDefaultExitNetwork` (the exits': one zero
//! `kernel_shape` convolution to twice the leaving channels). All "same"-padded, so the image
//! size is kept; the zero last layers start every coupling at `y = x · sigmoid(2)` and every
//! exit at `y = x · e²`.

use std::sync::Arc;

use rand::RngCore;

use crate::bijectors::{GlowNetwork, GlowNetworkFn};
use crate::error::{Error, Result};
use crate::params::Variable;
use crate::random::Seed;
use crate::tensor::{DType, Tensor};

use super::activation::Activation;
use super::conv::Conv2D;
use super::convolution::Padding;
use super::initializers::Initializer;
use super::layer::Layer;
use super::sequential::Sequential;

/// TFP's `GlowDefaultNetwork(input_shape, num_hidden=400, kernel_shape=3)` as a builder of
/// Glow's coupling networks (module doc).
///
/// ```
/// use probrs::bijectors::GlowNetworkFn;
/// use probrs::layers::GlowDefaultNetwork;
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let net = GlowDefaultNetwork::new(16, 3).build([4, 4, 2], 2, DType::F32, Seed::new(0), "coupling")?;
/// let y = net.call(&Tensor::ones(&[5, 4, 4, 2], DType::F32)?)?;
/// assert_eq!(y.shape(), &[5, 4, 4, 4]); // scale logits and shifts of 2 channels
/// assert!(y.to_vec()?.iter().all(|v| *v == 0.0)); // the last layer starts at zero
/// assert_eq!(net.trainable_variables().len(), 6);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct GlowDefaultNetwork {
    num_hidden: usize,
    kernel_shape: usize,
}

impl GlowDefaultNetwork {
    /// `num_hidden` channels in the two hidden convolutions, `kernel_shape × kernel_shape`
    /// windows in the first and last (TFP's defaults: 400 and 3).
    ///
    /// ```
    /// let _ = probrs::layers::GlowDefaultNetwork::new(400, 3);
    /// ```
    pub fn new(num_hidden: usize, kernel_shape: usize) -> Self {
        GlowDefaultNetwork { num_hidden, kernel_shape }
    }
}

/// TFP's `GlowDefaultExitNetwork(input_shape, output_chan, kernel_shape=3)` as a builder of
/// Glow's exit networks (module doc).
///
/// ```
/// use probrs::bijectors::GlowNetworkFn;
/// use probrs::layers::GlowDefaultExitNetwork;
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let net = GlowDefaultExitNetwork::new(3).build([4, 4, 2], 2, DType::F32, Seed::new(0), "exit")?;
/// assert_eq!(net.call(&Tensor::ones(&[1, 4, 4, 2], DType::F32)?)?.shape(), &[1, 4, 4, 4]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct GlowDefaultExitNetwork {
    kernel_shape: usize,
}

impl GlowDefaultExitNetwork {
    /// One zero-initialized convolution with `kernel_shape × kernel_shape` windows (TFP: 3).
    ///
    /// ```
    /// let _ = probrs::layers::GlowDefaultExitNetwork::new(3);
    /// ```
    pub fn new(kernel_shape: usize) -> Self {
        GlowDefaultExitNetwork { kernel_shape }
    }
}

/// A "same"-padded 2-D convolution with a seed drawn from `seed`.
fn conv(filters: usize, kernel: usize, init: Initializer, activation: Activation, dtype: DType, seed: Seed, name: String) -> Result<Arc<dyn Layer>> {
    let layer = Conv2D::new(filters, [kernel, kernel])?
        .with_padding(Padding::Same)
        .with_kernel_initializer(init)
        .with_activation(activation)
        .with_dtype(dtype)
        .with_seed(seed.rng().next_u64())
        .with_name(name);
    Ok(Arc::new(layer))
}

impl GlowNetworkFn for GlowDefaultNetwork {
    fn build(&self, input_shape: [usize; 3], output_channels: usize, dtype: DType, seed: Seed, name: &str) -> Result<Arc<dyn GlowNetwork>> {
        let layers = vec![
            conv(self.num_hidden, self.kernel_shape, Initializer::HeNormal, Activation::Relu, dtype, seed.fold_in(0), format!("{name}/conv0"))?,
            conv(self.num_hidden, 1, Initializer::HeNormal, Activation::Relu, dtype, seed.fold_in(1), format!("{name}/conv1"))?,
            conv(2 * output_channels, self.kernel_shape, Initializer::Zeros, Activation::Linear, dtype, seed.fold_in(2), format!("{name}/conv2"))?,
        ];
        ConvNetwork::built(Sequential::new(layers), input_shape, dtype)
    }
}

impl GlowNetworkFn for GlowDefaultExitNetwork {
    fn build(&self, input_shape: [usize; 3], output_channels: usize, dtype: DType, seed: Seed, name: &str) -> Result<Arc<dyn GlowNetwork>> {
        let layers = vec![conv(2 * output_channels, self.kernel_shape, Initializer::Zeros, Activation::Linear, dtype, seed, format!("{name}/conv"))?];
        ConvNetwork::built(Sequential::new(layers), input_shape, dtype)
    }
}

/// A convolutional network on `[..., h, w, c]` images: the leading axes flattened into one
/// batch axis for the convolutions and restored after.
struct ConvNetwork {
    net: Sequential,
    input_shape: [usize; 3],
}

impl ConvNetwork {
    /// The network with its variables made (one call on a zero image), so a fit sees them
    /// before the first step.
    fn built(net: Sequential, input_shape: [usize; 3], dtype: DType) -> Result<Arc<dyn GlowNetwork>> {
        let n = ConvNetwork { net, input_shape };
        n.call(&Tensor::zeros(&[1, input_shape[0], input_shape[1], input_shape[2]], dtype)?)?;
        Ok(Arc::new(n))
    }
}

impl GlowNetwork for ConvNetwork {
    fn call(&self, x: &Tensor) -> Result<Tensor> {
        let r = x.rank();
        if r < 3 || x.shape()[r - 3..] != self.input_shape {
            return Err(Error::ShapeMismatch { context: "glow network input images".into(), lhs: x.shape().to_vec(), rhs: self.input_shape.to_vec() });
        }
        let batch: usize = x.shape()[..r - 3].iter().product();
        let [h, w, c] = self.input_shape;
        let y = self.net.call(&x.reshape(&[batch, h, w, c])?, Seed::new(0))?;
        let mut shape = x.shape()[..r - 3].to_vec();
        shape.extend_from_slice(&y.shape()[1..]);
        y.reshape(&shape)
    }
    fn trainable_variables(&self) -> Vec<Variable> {
        self.net.trainable_variables()
    }
}
