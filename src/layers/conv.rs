//! Keras's convolution layers `Conv1D`, `Conv2D`, `Conv3D` (channels last): the
//! cross-correlation `activation(conv(inputs, kernel) + bias)` of each window of the input with
//! a kernel `[k_1..k_R, in_channels, filters]`, drawn Glorot-uniform with the receptive field
//! counted in the fans (`l = √(6 / (K·in + K·filters))`, `K = k_1·…·k_R`), the bias zero; made
//! at the first call from the input's channels. The window geometry and the im2col product are
//! `convolution.rs`'s.

use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::params::Variable;
use crate::random::Seed;
use crate::tensor::{DType, Tensor};

use super::activation::Activation;
use super::initializers::{kernel_and_bias, Initializer};
use super::convolution::{check_channels, convolve_patches, geometry_builders, Geometry};
use super::layer::{layer_builders, Layer};

/// A convolution over `R` spatial axes; use [`Conv1D`], [`Conv2D`] or [`Conv3D`].
///
/// ```
/// use probrs::layers::{Conv2D, Layer, Padding};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let layer = Conv2D::new(4, [3, 3])?.with_padding(Padding::Same).with_seed(1);
/// let y = layer.call(&Tensor::ones(&[2, 8, 8, 1], DType::F32)?, Seed::new(0))?;
/// assert_eq!(y.shape(), &[2, 8, 8, 4]);
/// assert_eq!(layer.trainable_variables()[0].shape(), &[3, 3, 1, 4]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct Conv<const R: usize> {
    filters: usize,
    geometry: Geometry,
    activation: Activation,
    use_bias: bool,
    kernel_initializer: Initializer,
    name: String,
    seed: Seed,
    dtype: DType,
    built: OnceLock<(Variable, Option<Variable>)>,
}

/// Keras's `Conv1D`: inputs `[batch, steps, channels]`.
///
/// ```
/// use probrs::layers::{Layer, Conv1D};
/// let y = Conv1D::new(5, [3])?.call(&probrs::tensor::Tensor::ones(&[2, 6, 3], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
/// assert_eq!(y.shape(), &[2, 4, 5]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type Conv1D = Conv<1>;
/// Keras's `Conv2D`: inputs `[batch, height, width, channels]`.
///
/// ```
/// use probrs::layers::{Layer, Conv2D};
/// let y = Conv2D::new(5, [3, 3])?.call(&probrs::tensor::Tensor::ones(&[2, 6, 6, 3], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
/// assert_eq!(y.shape(), &[2, 4, 4, 5]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type Conv2D = Conv<2>;
/// Keras's `Conv3D`: inputs `[batch, depth, height, width, channels]`.
///
/// ```
/// use probrs::layers::{Layer, Conv3D};
/// let y = Conv3D::new(5, [3, 3, 3])?.call(&probrs::tensor::Tensor::ones(&[2, 6, 6, 6, 3], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
/// assert_eq!(y.shape(), &[2, 4, 4, 4, 5]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type Conv3D = Conv<3>;

impl<const R: usize> Conv<R> {
    /// `filters` output channels and a window of `kernel_size` (Keras's defaults: strides 1,
    /// valid padding, no dilation, linear, with a bias, float32, named `conv{R}d`, seed 0).
    ///
    /// ```
    /// assert!(probrs::layers::Conv1D::new(0, [3]).is_err());
    /// assert!(probrs::layers::Conv1D::new(2, [0]).is_err());
    /// ```
    pub fn new(filters: usize, kernel_size: [usize; R]) -> Result<Self> {
        if filters == 0 {
            return Err(Error::invalid_parameter("filters", "a convolution needs at least one filter"));
        }
        let name = format!("conv{R}d");
        let geometry = Geometry::new(&kernel_size);
        geometry.validate(&name)?;
        Ok(Conv { filters, geometry, activation: Activation::Linear, use_bias: true, kernel_initializer: Initializer::GlorotUniform, name, seed: Seed::new(0), dtype: DType::F32, built: OnceLock::new() })
    }

    /// With the seed its kernel is drawn from.
    ///
    /// ```
    /// let _ = probrs::layers::Conv2D::new(3, [3, 3])?.with_seed(4);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Seed::new(seed);
        self
    }

    /// With a kernel initializer other than Glorot-uniform (Keras's `kernel_initializer`).
    ///
    /// ```
    /// use probrs::layers::{Initializer, Conv2D};
    /// let _ = Conv2D::new(3, [3, 3])?.with_kernel_initializer(Initializer::HeNormal);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_kernel_initializer(mut self, init: Initializer) -> Self {
        self.kernel_initializer = init;
        self
    }

    fn build(&self, channels: usize) -> Result<&(Variable, Option<Variable>)> {
        if let Some(b) = self.built.get() {
            return Ok(b);
        }
        let mut shape = self.geometry.kernel.clone();
        shape.extend_from_slice(&[channels, self.filters]);
        let _ = self.built.set(kernel_and_bias(&shape, self.kernel_initializer, self.use_bias, &self.name, self.dtype, self.seed.fold_in(0))?);
        Ok(self.built.get().expect("set above"))
    }
}

geometry_builders!(Conv<R>, "Conv2D::new(3, [3, 3])?");

layer_builders!([const R: usize] Conv<R>, "Conv2D::new(3, [3, 3])?");

impl<const R: usize> Layer for Conv<R> {
    fn call(&self, inputs: &Tensor, _seed: Seed) -> Result<Tensor> {
        let channels = check_channels(&self.name, inputs, R, self.built.get().map(|(k, _)| k.shape()[R]))?;
        let (kernel, bias) = self.build(channels)?;
        let patches = self.geometry.patches(&self.name, &inputs.to_dtype(self.dtype)?, 0.0)?;
        let mut out = convolve_patches(&patches, &kernel.value())?;
        if let Some(b) = bias {
            out = out.bias_add(&b.value())?;
        }
        self.activation.apply(&out)
    }

    fn trainable_variables(&self) -> Vec<Variable> {
        self.built.get().map_or(vec![], |(k, b)| std::iter::once(k.clone()).chain(b.clone()).collect())
    }

    fn name(&self) -> &str {
        &self.name
    }
}
