//! Keras's `MaxPooling1D`, `MaxPooling2D`, `MaxPooling3D` (channels last): the largest value of
//! each channel in each window, the windows `pool_size` wide and, by default, `pool_size` apart.
//! With `same` padding the padded positions are `−∞`, so they never win (TensorFlow's rule);
//! the gradient goes whole to the first maximal entry of a window, as TensorFlow's `max_pool`.
//! Windows are `convolution.rs`'s; the reduction is `Tensor::window_max`, which never
//! materializes them.

use crate::error::{Error, Result};
use crate::params::Variable;
use crate::random::Seed;
use crate::tensor::Tensor;

use super::convolution::{Geometry, Padding};
use super::layer::Layer;

/// Max pooling over `R` spatial axes; use [`MaxPooling1D`], [`MaxPooling2D`] or
/// [`MaxPooling3D`].
///
/// ```
/// use probrs::layers::{Layer, MaxPooling2D};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::from_slice(&(0..16).map(f64::from).collect::<Vec<_>>(), &[1, 4, 4, 1], DType::F64)?;
/// let y = MaxPooling2D::new([2, 2])?.call(&x, Seed::new(0))?;
/// assert_eq!(y.to_vec()?, vec![5.0, 7.0, 13.0, 15.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct MaxPooling<const R: usize> {
    geometry: Geometry,
    name: String,
}

/// Keras's `MaxPooling1D`.
///
/// ```
/// use probrs::layers::{Layer, MaxPooling1D};
/// let y = MaxPooling1D::new([2])?.call(&probrs::tensor::Tensor::ones(&[1, 4, 2], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
/// assert_eq!(y.shape(), &[1, 2, 2]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type MaxPooling1D = MaxPooling<1>;
/// Keras's `MaxPooling2D`.
///
/// ```
/// use probrs::layers::{Layer, MaxPooling2D};
/// let y = MaxPooling2D::new([2, 2])?.call(&probrs::tensor::Tensor::ones(&[1, 4, 4, 2], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
/// assert_eq!(y.shape(), &[1, 2, 2, 2]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type MaxPooling2D = MaxPooling<2>;
/// Keras's `MaxPooling3D`.
///
/// ```
/// use probrs::layers::{Layer, MaxPooling3D};
/// let y = MaxPooling3D::new([2, 2, 2])?.call(&probrs::tensor::Tensor::ones(&[1, 4, 4, 4, 2], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
/// assert_eq!(y.shape(), &[1, 2, 2, 2, 2]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type MaxPooling3D = MaxPooling<3>;

impl<const R: usize> MaxPooling<R> {
    /// Windows of `pool_size`, strides `pool_size`, valid padding (Keras's defaults), named
    /// `max_pooling{R}d`.
    ///
    /// ```
    /// assert!(probrs::layers::MaxPooling2D::new([2, 0]).is_err());
    /// ```
    pub fn new(pool_size: [usize; R]) -> Result<Self> {
        let mut geometry = Geometry::new(&pool_size);
        geometry.strides = pool_size.to_vec();
        let name = format!("max_pooling{R}d");
        geometry.validate(&name)?;
        Ok(MaxPooling { geometry, name })
    }

    /// With other strides.
    ///
    /// ```
    /// use probrs::layers::{Layer, MaxPooling1D};
    /// let x = probrs::tensor::Tensor::from_slice(&[1.0, 3.0, 2.0, 5.0], &[1, 4, 1], probrs::tensor::DType::F64)?;
    /// assert_eq!(MaxPooling1D::new([2])?.with_strides([1]).call(&x, probrs::random::Seed::new(0))?.to_vec()?, vec![3.0, 3.0, 5.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_strides(mut self, strides: [usize; R]) -> Self {
        self.geometry.strides = strides.to_vec();
        self
    }

    /// With a padding mode (the page's model pools with `same`).
    ///
    /// ```
    /// use probrs::layers::{Layer, MaxPooling1D, Padding};
    /// let x = probrs::tensor::Tensor::from_slice(&[-1.0, -3.0, -2.0], &[1, 3, 1], probrs::tensor::DType::F64)?;
    /// // The padded position is −∞, not 0: the last window's maximum is −2.
    /// assert_eq!(MaxPooling1D::new([2])?.with_padding(Padding::Same).call(&x, probrs::random::Seed::new(0))?.to_vec()?, vec![-1.0, -2.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_padding(mut self, padding: Padding) -> Self {
        self.geometry.padding = padding;
        self
    }
}

impl<const R: usize> Layer for MaxPooling<R> {
    fn call(&self, inputs: &Tensor, _seed: Seed) -> Result<Tensor> {
        let w = self.geometry.windows(&self.name, inputs, f64::NEG_INFINITY)?;
        if w.grid.elem_count() == 0 || w.positions.is_empty() {
            return Err(Error::InvalidShape { what: format!("layer `{}`'s input", self.name), shape: inputs.shape().to_vec(), reason: "is empty".into() });
        }
        w.grid.window_max(&w.positions, w.k)?.reshape(&w.out_shape(inputs.shape()[0]))
    }

    fn trainable_variables(&self) -> Vec<Variable> {
        vec![]
    }

    fn name(&self) -> &str {
        &self.name
    }
}
