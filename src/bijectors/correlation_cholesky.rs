//! `CorrelationCholesky`: unconstrained vectors of `n(n−1)/2` reals to Cholesky factors of
//! `n × n` correlation matrices (lower triangular, positive diagonal, rows of unit norm).
//!
//! As TFP: the vector fills the strictly lower triangle in `FillTriangular`'s order (rows 1..n,
//! columns 0..n−1), the diagonal is set to 1 and each row divided by its norm:
//! `L_ij = x_ij / s_i`, `L_ii = 1 / s_i`, `s_i = √(1 + Σ_j x_ij²)`. Row `k` maps `R^k` into the
//! unit ball with `|det J| = s_k^{−(k+2)}`, so `log|det J| = Σ_k (k + 2) log L_kk`.
//!
//! ```
//! use probrs::bijectors::{Bijector, CorrelationCholesky};
//! use probrs::tensor::{DType, Tensor};
//! let b = CorrelationCholesky::new();
//! let l = b.forward(&Tensor::vector(&[2.0, 2.0, 1.0], DType::F64)?)?;
//! // TFP's docstring example: [[1, 0, 0], [0.7071, 0.7071, 0], [2/3, 2/3, 1/3]].
//! let v = l.to_vec()?;
//! assert!((v[3] - 0.5f64.sqrt()).abs() < 1e-12 && (v[8] - 1.0 / 3.0).abs() < 1e-12);
//! # Ok::<(), probrs::Error>(())
//! ```

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::{linalg::tril_rows, Tensor};

/// Unconstrained vectors to correlation-matrix Cholesky factors.
///
/// ```
/// use probrs::bijectors::{Bijector, CorrelationCholesky};
/// use probrs::tensor::{DType, Tensor};
/// // One unconstrained number fills the 2 × 2 factor; each row has unit norm.
/// let l = CorrelationCholesky::new().forward(&Tensor::vector(&[1.0], DType::F64)?)?;
/// let v = l.to_vec()?;
/// let h = 0.5f64.sqrt();
/// assert!((v[0] - 1.0).abs() < 1e-12 && v[1] == 0.0);
/// assert!((v[2] - h).abs() < 1e-12 && (v[3] - h).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct CorrelationCholesky;

impl CorrelationCholesky {
    /// The bijector from `n(n−1)/2` reals to Cholesky factors of `n × n` correlation matrices.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, CorrelationCholesky};
    /// // Three numbers make a 3 × 3 factor.
    /// let l = CorrelationCholesky::new().forward(&Tensor::vector(&[0.5, -1.0, 2.0], DType::F64)?)?;
    /// assert_eq!(l.shape(), &[3, 3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new() -> Self {
        CorrelationCholesky
    }
}

/// `Σ_k (k + 2) log L_kk` over the last two axes.
fn log_det(l: &Tensor) -> Result<Tensor> {
    let n = l.shape()[l.rank() - 1];
    let c: Vec<f64> = (0..n).map(|k| (k + 2) as f64).collect();
    l.diag_part()?.log()?.mul(&Tensor::vector(&c, l.dtype())?)?.sum_last(1)
}

impl Bijector for CorrelationCholesky {
    fn name(&self) -> &str {
        "correlation_cholesky"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn inverse_min_event_ndims(&self) -> usize {
        2
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let r = x.rank();
        if r == 0 {
            return Err(Error::invalid_shape("CorrelationCholesky input", x.shape(), "expected [..., n(n-1)/2]"));
        }
        let n = self.forward_event_shape(&x.shape()[r - 1..])?[0];
        let y = if n == 1 {
            let mut s = x.shape()[..r - 1].to_vec();
            s.extend([1, 1]);
            x.zeros_like()?.sum_last(1)?.reshape(&s)?
        } else {
            let t = x.fill_triangular()?;
            let r2 = t.rank();
            t.pad(r2 - 2, 1, 0, 0.0)?.pad(r2 - 1, 0, 1, 0.0)?
        };
        let y = y.add(&Tensor::eye(n, &[], x.dtype())?)?;
        let norm = y.square()?.sum_last(1)?.sqrt()?.unsqueeze(y.rank() - 1)?;
        y.div(&norm)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let r = y.rank();
        if r < 2 || y.shape()[r - 1] != y.shape()[r - 2] {
            return Err(Error::invalid_shape("CorrelationCholesky inverse input", y.shape(), "expected [..., n, n]"));
        }
        let n = y.shape()[r - 1];
        let d = y.diag_part()?;
        let off = y.sub(&Tensor::matrix_diag(&d)?)?.div(&d.unsqueeze(r - 1)?)?;
        if n == 1 {
            let mut s = y.shape()[..r - 2].to_vec();
            s.push(0);
            return Tensor::zeros(&s, y.dtype());
        }
        off.narrow(r - 2, 1, n - 1)?.narrow(r - 1, 0, n - 1)?.contiguous()?.fill_triangular_inverse()
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        log_det(&self.forward(x)?)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        log_det(y)?.neg()
    }
    fn forward_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        let m = *s.last().ok_or_else(|| Error::invalid_shape("CorrelationCholesky event", s, "rank must be >= 1"))?;
        let n = tril_rows(m)
            .map(|k| k + 1)
            .or(if m == 0 { Some(1) } else { None })
            .ok_or_else(|| Error::invalid_shape("CorrelationCholesky event", s, format!("{m} is not a triangular number")))?;
        let mut out = s[..s.len() - 1].to_vec();
        out.extend([n, n]);
        Ok(out)
    }
    fn inverse_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        if s.len() < 2 || s[s.len() - 1] != s[s.len() - 2] {
            return Err(Error::invalid_shape("CorrelationCholesky inverse event", s, "expected [..., n, n]"));
        }
        let n = s[s.len() - 1];
        let mut out = s[..s.len() - 2].to_vec();
        out.push(n * n.saturating_sub(1) / 2);
        Ok(out)
    }
}
