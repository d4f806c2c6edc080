//! `Pad`: pads event dimensions with a constant; the inverse slices the padding off.
//!
//! `Pad(paddings=[(1, 0)])` maps `[a, b]` to `[0, a, b]`. With `axis` (negative, counted from the
//! right) it pads other event dimensions: `axis = [-2]` adds rows. The map is a projection onto
//! its range, so its log-det-Jacobian is 0 (TFP's convention). `forward_min_event_ndims` is
//! `-min(axis)`.

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Constant padding of event dimensions.
///
/// ```
/// use probrs::bijectors::{Bijector, Pad};
/// use probrs::tensor::{DType, Tensor};
/// let pad = Pad::new(vec![(1, 0)])?;
/// let y = pad.forward(&Tensor::vector(&[-0.4054651, -0.8109302], DType::F32)?)?;
/// assert_eq!(y.shape(), &[3]);
/// assert_eq!(y.to_vec()?[0], 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Pad {
    paddings: Vec<(usize, usize)>,
    axes: Vec<isize>,
    constant_values: f64,
}

impl Pad {
    /// Pads the last `paddings.len()` dimensions with zeros.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Pad};
    /// let b = Pad::new(vec![(0, 2)])?;
    /// assert_eq!(b.forward(&Tensor::vector(&[1.0], DType::F64)?)?.to_vec()?, vec![1.0, 0.0, 0.0]);
    /// assert_eq!(b.inverse(&Tensor::vector(&[1.0, 0.0, 0.0], DType::F64)?)?.to_vec()?, vec![1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(paddings: Vec<(usize, usize)>) -> Result<Self> {
        let k = paddings.len() as isize;
        Self::with_axes(paddings, (-k..0).collect())
    }
    /// Pads the given (negative) axes.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Pad};
    /// // Pad the second-to-last axis of [2, 2] matrices: one row on top.
    /// let b = Pad::with_axes(vec![(1, 0)], vec![-2])?;
    /// assert_eq!(b.forward(&Tensor::ones(&[2, 2], DType::F64)?)?.shape(), &[3, 2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_axes(paddings: Vec<(usize, usize)>, axes: Vec<isize>) -> Result<Self> {
        if paddings.is_empty() || paddings.len() != axes.len() {
            return Err(Error::invalid_parameter("paddings", format!("{} paddings for {} axes", paddings.len(), axes.len())));
        }
        if let Some(a) = axes.iter().find(|a| **a >= 0) {
            return Err(Error::invalid_parameter("axis", format!("axes must be negative (counted from the right), got {a}")));
        }
        Ok(Pad { paddings, axes, constant_values: 0.0 })
    }
    /// The padding value (default 0).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Pad};
    /// let b = Pad::new(vec![(1, 0)])?.with_constant_values(-1.0);
    /// assert_eq!(b.forward(&Tensor::vector(&[5.0], DType::F64)?)?.to_vec()?, vec![-1.0, 5.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_constant_values(mut self, v: f64) -> Self {
        self.constant_values = v;
        self
    }
    fn axis(&self, rank: usize, a: isize, shape: &[usize]) -> Result<usize> {
        let i = rank as isize + a;
        if i < 0 {
            return Err(Error::invalid_shape("Pad input", shape, format!("has no axis {a}")));
        }
        Ok(i as usize)
    }
    fn map_shape(&self, s: &[usize], grow: bool) -> Result<Vec<usize>> {
        let mut out = s.to_vec();
        for (&a, &(l, r)) in self.axes.iter().zip(&self.paddings) {
            let i = self.axis(s.len(), a, s)?;
            out[i] = if grow {
                out[i] + l + r
            } else {
                out[i].checked_sub(l + r).ok_or_else(|| Error::invalid_shape("Pad inverse input", s, "smaller than the padding"))?
            };
        }
        Ok(out)
    }
}

impl Bijector for Pad {
    fn name(&self) -> &str {
        "pad"
    }
    fn forward_min_event_ndims(&self) -> usize {
        (-self.axes.iter().min().copied().unwrap_or(-1)) as usize
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut y = x.clone();
        for (&a, &(l, r)) in self.axes.iter().zip(&self.paddings) {
            let i = self.axis(x.rank(), a, x.shape())?;
            y = y.pad(i, l, r, self.constant_values)?;
        }
        Ok(y)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let mut x = y.clone();
        for (&a, &(l, r)) in self.axes.iter().zip(&self.paddings) {
            let i = self.axis(y.rank(), a, y.shape())?;
            let len = x.shape()[i].checked_sub(l + r).ok_or_else(|| Error::invalid_shape("Pad inverse input", y.shape(), "smaller than the padding"))?;
            x = x.narrow(i, l, len)?;
        }
        Ok(x)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        x.scalar_like(0.0)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        y.scalar_like(0.0)
    }
    fn forward_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        self.map_shape(s, true)
    }
    fn inverse_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        self.map_shape(s, false)
    }
}
