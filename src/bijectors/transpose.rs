//! `Transpose`: permutes the rightmost event dimensions by `perm`. Log-det-Jacobian 0.

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Permutation of the last `perm.len()` dimensions.
///
/// ```
/// use probrs::bijectors::{Bijector, Transpose};
/// use probrs::tensor::{DType, Tensor};
/// let b = Transpose::new(vec![1, 0])?;
/// let m = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3], DType::F64)?;
/// let t = b.forward(&m)?;
/// assert_eq!(t.shape(), &[3, 2]);
/// assert_eq!(t.to_vec()?, vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Transpose {
    perm: Vec<usize>,
    inv: Vec<usize>,
}

impl Transpose {
    /// `perm` must be a permutation of `0..perm.len()`.
    ///
    /// ```
    /// use probrs::bijectors::Transpose;
    /// assert!(Transpose::new(vec![2, 0, 1]).is_ok());
    /// assert!(Transpose::new(vec![0, 0]).is_err()); // not a permutation
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(perm: Vec<usize>) -> Result<Self> {
        let mut seen = vec![false; perm.len()];
        for &p in &perm {
            if p >= perm.len() || seen[p] {
                return Err(Error::invalid_parameter("perm", format!("{perm:?} is not a permutation")));
            }
            seen[p] = true;
        }
        let mut inv = vec![0; perm.len()];
        for (i, &p) in perm.iter().enumerate() {
            inv[p] = i;
        }
        Ok(Transpose { perm, inv })
    }
    fn apply(x: &Tensor, perm: &[usize]) -> Result<Tensor> {
        let r = x.rank();
        if r < perm.len() {
            return Err(Error::invalid_shape("Transpose input", x.shape(), format!("needs rank >= {}", perm.len())));
        }
        let b = r - perm.len();
        let axes: Vec<usize> = (0..b).chain(perm.iter().map(|p| p + b)).collect();
        x.permute(&axes)?.contiguous()
    }
    fn map_shape(s: &[usize], perm: &[usize]) -> Vec<usize> {
        let b = s.len() - perm.len();
        s[..b].iter().copied().chain(perm.iter().map(|p| s[b + p])).collect()
    }
}

impl Bijector for Transpose {
    fn name(&self) -> &str {
        "transpose"
    }
    fn forward_min_event_ndims(&self) -> usize {
        self.perm.len()
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Self::apply(x, &self.perm)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        Self::apply(y, &self.inv)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        x.scalar_like(0.0)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        y.scalar_like(0.0)
    }
    fn forward_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        if s.len() < self.perm.len() {
            return Err(Error::invalid_shape("Transpose event", s, "rank too small"));
        }
        Ok(Self::map_shape(s, &self.perm))
    }
    fn inverse_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        if s.len() < self.perm.len() {
            return Err(Error::invalid_shape("Transpose event", s, "rank too small"));
        }
        Ok(Self::map_shape(s, &self.inv))
    }
}
