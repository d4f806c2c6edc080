//! The seed page's `PadEye`, written as a user type against probrs's public `Bijector` trait:
//! it prepends one fixed row — the triangle-vector of the identity matrix — to a stack of
//! triangle-vectors, so that a following `FillScaleTriL` yields a first component whose scale
//! is fixed at the identity.
//!
//! ```python
//! class PadEye(tfb.Bijector):  # TFP: forward_min_event_ndims=2, constant Jacobian
//!   def _forward(self, x): return tf.concat([self._tril_fn(eye)[..., tf.newaxis, :], x], axis=-2)
//!   def _inverse(self, y): return y[..., 1:, :]
//! ```

use probrs::bijectors::{Bijector, FillScaleTriL};
use probrs::tensor::{linalg::tril_rows, Tensor};
use probrs::{Error, Result};
use std::sync::Arc;

/// Prepends `tril_fn.inverse(I)` as a first row: `[..., m, k] -> [..., m + 1, k]`.
///
/// ```
/// use probrs::bijectors::Bijector;
/// use probrs::demo::pad_eye::PadEye;
/// use probrs::tensor::{DType, Tensor};
/// // Two packed 2 × 2 triangles (3 numbers each) gain a first row: the packed identity.
/// let b = PadEye::new(None);
/// let x = Tensor::zeros(&[2, 3], DType::F64)?;
/// let y = b.forward(&x)?;
/// assert_eq!(y.shape(), &[3, 3]);
/// assert_eq!(b.inverse(&y)?.to_vec()?, x.to_vec()?);
/// assert_eq!(b.forward_log_det_jacobian(&x, 2)?.to_scalar()?, 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct PadEye {
    tril_fn: Arc<dyn Bijector>,
}

impl PadEye {
    /// `tril_fn` is the bijector whose inverse packs the identity (default `FillScaleTriL`).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, FillScaleTriL};
    /// use probrs::demo::pad_eye::PadEye;
    /// use std::sync::Arc;
    /// // The padded row is the packed identity: FillScaleTriL maps it back to I.
    /// let b = PadEye::new(Some(Arc::new(FillScaleTriL::new())));
    /// let y = b.forward(&Tensor::zeros(&[1, 3], DType::F32)?)?;
    /// let first = FillScaleTriL::new().forward(&y.narrow(0, 0, 1)?)?.to_vec()?;
    /// assert!((first[0] - 1.0).abs() < 1e-5 && first[1] == 0.0 && (first[3] - 1.0).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(tril_fn: Option<Arc<dyn Bijector>>) -> Self {
        PadEye { tril_fn: tril_fn.unwrap_or_else(|| Arc::new(FillScaleTriL::new())) }
    }
}

impl Bijector for PadEye {
    fn name(&self) -> &str {
        "PadEye"
    }
    fn forward_min_event_ndims(&self) -> usize {
        2
    }
    fn inverse_min_event_ndims(&self) -> usize {
        2
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let r = x.rank();
        if r < 2 {
            return Err(Error::invalid_shape("PadEye input", x.shape(), "needs [..., m, k]"));
        }
        let k = x.shape()[r - 1];
        let rows = tril_rows(k).ok_or_else(|| Error::invalid_shape("PadEye input", x.shape(), "last dimension is not a triangular number"))?;
        let eye = Tensor::eye(rows, &x.shape()[..r - 2], x.dtype())?;
        let first = self.tril_fn.inverse(&eye)?.unsqueeze(r - 2)?;
        Tensor::concat(&[&first, x], r - 2)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let r = y.rank();
        if r < 2 || y.shape()[r - 2] == 0 {
            return Err(Error::invalid_shape("PadEye inverse input", y.shape(), "needs [..., m + 1, k]"));
        }
        y.narrow(r - 2, 1, y.shape()[r - 2] - 1)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        x.scalar_like(0.0)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        y.scalar_like(0.0)
    }
    fn forward_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        let mut o = s.to_vec();
        let n = o.len();
        if n < 2 {
            return Err(Error::invalid_shape("PadEye event", s, "rank must be >= 2"));
        }
        o[n - 2] += 1;
        Ok(o)
    }
    fn inverse_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        let mut o = s.to_vec();
        let n = o.len();
        if n < 2 || o[n - 2] == 0 {
            return Err(Error::invalid_shape("PadEye event", s, "needs [..., m + 1, k]"));
        }
        o[n - 2] -= 1;
        Ok(o)
    }
}
