//! `FillTriangular`: a vector of `n(n+1)/2` entries packed into an `n × n` triangular matrix,
//! in TFP's order (`[1, 2, 3, 4, 5, 6]` → `[[4, 0, 0], [6, 5, 0], [3, 2, 1]]`).
//!
//! A permutation of entries, so the log-det-Jacobian is 0. Vector events map to matrix events:
//! `forward_min_event_ndims = 1`, `inverse_min_event_ndims = 2`.

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::{linalg::tril_rows, Tensor};

/// Packs vectors into triangular matrices.
///
/// ```
/// use probrs::bijectors::{Bijector, FillTriangular};
/// use probrs::tensor::{DType, Tensor};
/// // Three numbers fill a 2 × 2 lower triangle (TFP's packing order); the inverse unpacks them.
/// let b = FillTriangular::new();
/// let x = Tensor::vector(&[1.0, 2.0, 3.0], DType::F64)?;
/// let m = b.forward(&x)?;
/// assert_eq!(m.shape(), &[2, 2]);
/// assert_eq!(m.to_vec()?[1], 0.0);
/// assert_eq!(b.inverse(&m)?.to_vec()?, vec![1.0, 2.0, 3.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct FillTriangular {
    upper: bool,
}

impl FillTriangular {
    /// Lower-triangular output.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, FillTriangular};
    /// let m = FillTriangular::new().forward(&Tensor::vector(&[1.0, 2.0, 3.0], DType::F64)?)?;
    /// assert_eq!(m.to_vec()?[1], 0.0); // above the diagonal
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new() -> Self {
        FillTriangular { upper: false }
    }
    /// Upper-triangular output.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, FillTriangular};
    /// let m = FillTriangular::upper().forward(&Tensor::vector(&[1.0, 2.0, 3.0], DType::F64)?)?;
    /// assert_eq!(m.to_vec()?[2], 0.0); // below the diagonal
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn upper() -> Self {
        FillTriangular { upper: true }
    }
}

impl Bijector for FillTriangular {
    fn name(&self) -> &str {
        "fill_triangular"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn inverse_min_event_ndims(&self) -> usize {
        2
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.fill_triangular_ext(self.upper)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        y.fill_triangular_inverse_ext(self.upper)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        x.scalar_like(0.0)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        y.scalar_like(0.0)
    }
    fn forward_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        let m = *s.last().ok_or_else(|| Error::invalid_shape("FillTriangular event", s, "rank must be >= 1"))?;
        let n = tril_rows(m).ok_or_else(|| Error::invalid_shape("FillTriangular event", s, format!("{m} is not a triangular number")))?;
        let mut out = s[..s.len() - 1].to_vec();
        out.extend([n, n]);
        Ok(out)
    }
    fn inverse_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        if s.len() < 2 || s[s.len() - 1] != s[s.len() - 2] {
            return Err(Error::invalid_shape("FillTriangular inverse event", s, "expected [..., n, n]"));
        }
        let n = s[s.len() - 1];
        let mut out = s[..s.len() - 2].to_vec();
        out.push(n * (n + 1) / 2);
        Ok(out)
    }
}
