//! TFP's `Convolution1DFlipout`, `Convolution2DFlipout` (the seed page's CIFAR-10 model) and
//! `Convolution3DFlipout`: one kernel perturbation `ΔW = scale ⊙ ε` per call, decorrelated
//! across the minibatch by random signs per example and channel (Wen et al. 2018):
//!
//! ```text
//! outputs = conv(inputs, loc) + conv(inputs ⊙ s_in, ΔW) ⊙ s_out
//! s_in [B, 1.., in_channels], s_out [B, 1.., filters]   Rademacher, shared over positions
//! ```
//!
//! (TFP's `_ConvFlipout`: the signs are drawn per example and channel and broadcast over the
//! spatial axes.) Both convolutions use the same gathered patches; the loss is
//! KL(q(W) ‖ N(0, 1)).

use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

use super::convolution::{convolve_patches, geometry_builders, Geometry};
use super::variational::{variational_builders, VariationalCore};

/// A convolution over `R` spatial axes with the Flipout estimator; use
/// [`Convolution1DFlipout`], [`Convolution2DFlipout`] or [`Convolution3DFlipout`].
///
/// ```
/// use probrs::layers::{Activation, Convolution2DFlipout, Layer, Padding};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// // The page's layer, on 8 × 8 digits instead of 32 × 32 × 3 images.
/// let layer = Convolution2DFlipout::new(64, [5, 5])?.with_padding(Padding::Same).with_activation(Activation::Relu);
/// let y = layer.call(&Tensor::ones(&[4, 8, 8, 1], DType::F32)?, Seed::new(0))?;
/// assert_eq!(y.shape(), &[4, 8, 8, 64]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct ConvolutionFlipout<const R: usize> {
    core: VariationalCore,
    geometry: Geometry,
}

/// TFP's `Convolution1DFlipout`: inputs `[batch, steps, channels]`.
///
/// ```
/// use probrs::layers::{Layer, Convolution1DFlipout};
/// let y = Convolution1DFlipout::new(5, [3])?.call(&probrs::tensor::Tensor::ones(&[2, 6, 3], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
/// assert_eq!(y.shape(), &[2, 4, 5]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type Convolution1DFlipout = ConvolutionFlipout<1>;
/// TFP's `Convolution2DFlipout`: inputs `[batch, height, width, channels]`.
///
/// ```
/// use probrs::layers::{Layer, Convolution2DFlipout};
/// let y = Convolution2DFlipout::new(5, [3, 3])?.call(&probrs::tensor::Tensor::ones(&[2, 6, 6, 3], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
/// assert_eq!(y.shape(), &[2, 4, 4, 5]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type Convolution2DFlipout = ConvolutionFlipout<2>;
/// TFP's `Convolution3DFlipout`: inputs `[batch, depth, height, width, channels]`.
///
/// ```
/// use probrs::layers::{Layer, Convolution3DFlipout};
/// let y = Convolution3DFlipout::new(5, [3, 3, 3])?.call(&probrs::tensor::Tensor::ones(&[2, 6, 6, 6, 3], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
/// assert_eq!(y.shape(), &[2, 4, 4, 4, 5]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type Convolution3DFlipout = ConvolutionFlipout<3>;

impl<const R: usize> ConvolutionFlipout<R> {
    /// `filters` outputs over windows of `kernel_size`, TFP's defaults; named
    /// `conv{R}d_flipout`.
    ///
    /// ```
    /// assert!(probrs::layers::Convolution3DFlipout::new(2, [3, 3, 3]).is_ok());
    /// assert!(probrs::layers::Convolution3DFlipout::new(0, [3, 3, 3]).is_err());
    /// ```
    pub fn new(filters: usize, kernel_size: [usize; R]) -> Result<Self> {
        let core = VariationalCore::new_conv(filters, &kernel_size, &format!("conv{R}d_flipout"))?;
        Ok(ConvolutionFlipout { core, geometry: Geometry::new(&kernel_size) })
    }

    /// This estimator's draw of `conv(x, W)` for the kernel posterior `N(loc, scale)`.
    fn kernel_outputs(&self, x: &Tensor, loc: &Tensor, scale: &Tensor, seed: Seed) -> Result<Tensor> {
        let s = seed.split(3);
        let delta = scale.mul(&random::normal(loc.shape(), loc.dtype(), s[0])?)?;
        let patches = self.geometry.patches(self.core.name(), x, 0.0)?;
        let b = x.shape()[0];
        // Signs per example and channel, broadcast over the positions (and the window).
        let mut in_shape = vec![1usize; R + 3];
        (in_shape[0], in_shape[R + 2]) = (b, x.shape()[R + 1]);
        let sign_input = random::rademacher(&[b, x.shape()[R + 1]], x.dtype(), s[1])?.reshape(&in_shape)?;
        let mut out_shape = vec![1usize; R + 2];
        (out_shape[0], out_shape[R + 1]) = (b, self.core.units());
        let sign_output = random::rademacher(&[b, self.core.units()], x.dtype(), s[2])?.reshape(&out_shape)?;
        let perturbed = convolve_patches(&patches.mul(&sign_input)?, &delta)?.mul(&sign_output)?;
        convolve_patches(&patches, loc)?.add(&perturbed)
    }
}

geometry_builders!(ConvolutionFlipout<R>, "Convolution2DFlipout::new(3, [3, 3])?");
variational_builders!([const R: usize] ConvolutionFlipout<R>, "Convolution2DFlipout::new(4, [3, 3])?", "[1, 3, 3, 2]");
