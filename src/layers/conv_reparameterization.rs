//! TFP's `Convolution1DReparameterization`, `Convolution2DReparameterization` and
//! `Convolution3DReparameterization`: one kernel `W = loc + scale ⊙ ε` drawn from its
//! mean-field posterior per call and shared by the minibatch, then
//! `activation(conv(inputs, W) + b)`; the loss KL(q(W) ‖ N(0, 1)) (TFP's defaults, as the dense
//! layers', `variational.rs`). The window and the im2col product are `convolution.rs`'s.

use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

use super::convolution::{convolve_patches, geometry_builders, Geometry};
use super::variational::{variational_builders, VariationalCore};

/// A convolution over `R` spatial axes with a mean-field Normal kernel posterior, sampled once
/// per call; use [`Convolution1DReparameterization`], [`Convolution2DReparameterization`] or
/// [`Convolution3DReparameterization`].
///
/// ```
/// use probrs::layers::{Convolution2DReparameterization, Layer, Padding};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let layer = Convolution2DReparameterization::new(8, [5, 5])?.with_padding(Padding::Same);
/// let y = layer.call(&Tensor::ones(&[2, 8, 8, 1], DType::F32)?, Seed::new(0))?;
/// assert_eq!(y.shape(), &[2, 8, 8, 8]);
/// assert!(layer.losses()?[0].to_scalar()? > 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct ConvolutionReparameterization<const R: usize> {
    core: VariationalCore,
    geometry: Geometry,
}

/// TFP's `Convolution1DReparameterization`: inputs `[batch, steps, channels]`.
///
/// ```
/// use probrs::layers::{Layer, Convolution1DReparameterization};
/// let y = Convolution1DReparameterization::new(5, [3])?.call(&probrs::tensor::Tensor::ones(&[2, 6, 3], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
/// assert_eq!(y.shape(), &[2, 4, 5]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type Convolution1DReparameterization = ConvolutionReparameterization<1>;
/// TFP's `Convolution2DReparameterization`: inputs `[batch, height, width, channels]`.
///
/// ```
/// use probrs::layers::{Layer, Convolution2DReparameterization};
/// let y = Convolution2DReparameterization::new(5, [3, 3])?.call(&probrs::tensor::Tensor::ones(&[2, 6, 6, 3], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
/// assert_eq!(y.shape(), &[2, 4, 4, 5]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type Convolution2DReparameterization = ConvolutionReparameterization<2>;
/// TFP's `Convolution3DReparameterization`: inputs `[batch, depth, height, width, channels]`.
///
/// ```
/// use probrs::layers::{Layer, Convolution3DReparameterization};
/// let y = Convolution3DReparameterization::new(5, [3, 3, 3])?.call(&probrs::tensor::Tensor::ones(&[2, 6, 6, 6, 3], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
/// assert_eq!(y.shape(), &[2, 4, 4, 4, 5]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type Convolution3DReparameterization = ConvolutionReparameterization<3>;

impl<const R: usize> ConvolutionReparameterization<R> {
    /// `filters` outputs over windows of `kernel_size`, TFP's defaults; named
    /// `conv{R}d_reparameterization`.
    ///
    /// ```
    /// assert!(probrs::layers::Convolution1DReparameterization::new(4, [3]).is_ok());
    /// assert!(probrs::layers::Convolution1DReparameterization::new(4, [0]).is_err());
    /// ```
    pub fn new(filters: usize, kernel_size: [usize; R]) -> Result<Self> {
        let core = VariationalCore::new_conv(filters, &kernel_size, &format!("conv{R}d_reparameterization"))?;
        Ok(ConvolutionReparameterization { core, geometry: Geometry::new(&kernel_size) })
    }

    /// This estimator's draw of `conv(x, W)` for the kernel posterior `N(loc, scale)`.
    fn kernel_outputs(&self, x: &Tensor, loc: &Tensor, scale: &Tensor, seed: Seed) -> Result<Tensor> {
        let kernel = loc.add(&scale.mul(&random::normal(loc.shape(), loc.dtype(), seed)?)?)?;
        convolve_patches(&self.geometry.patches(self.core.name(), x, 0.0)?, &kernel)
    }
}

geometry_builders!(ConvolutionReparameterization<R>, "Convolution2DReparameterization::new(3, [3, 3])?");
variational_builders!([const R: usize] ConvolutionReparameterization<R>, "Convolution2DReparameterization::new(4, [3, 3])?", "[1, 3, 3, 2]");
