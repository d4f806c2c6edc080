//! `Permute`: reorders the last axis, `y[..., i] = x[..., permutation[i]]` (TFP's
//! `tfb.Permute(permutation)`, the shuffle between the layers of an autoregressive flow).
//! Volume preserving: `log|det J| = 0`; the inverse uses the inverse permutation.

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// A permutation of the last axis.
///
/// ```
/// use probrs::bijectors::{Bijector, Permute};
/// use probrs::tensor::{DType, Tensor};
/// let b = Permute::new(vec![2, 0, 1])?;
/// let x = Tensor::vector(&[10.0, 20.0, 30.0], DType::F64)?;
/// let y = b.forward(&x)?;
/// assert_eq!(y.to_vec()?, vec![30.0, 10.0, 20.0]);
/// assert_eq!(b.inverse(&y)?.to_vec()?, vec![10.0, 20.0, 30.0]);
/// assert_eq!(b.forward_log_det_jacobian(&x, 1)?.to_scalar()?, 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Permute {
    permutation: Vec<u32>,
    inverse: Vec<u32>,
}

impl Permute {
    /// `permutation` must hold each of `0..n` once; anything else is an error naming it.
    ///
    /// ```
    /// use probrs::bijectors::Permute;
    /// assert!(Permute::new(vec![1, 0]).is_ok());
    /// assert!(Permute::new(vec![0, 0]).is_err()); // a repeat
    /// assert!(Permute::new(vec![0, 2]).is_err()); // out of range
    /// ```
    pub fn new(permutation: Vec<usize>) -> Result<Self> {
        let n = permutation.len();
        let mut inverse = vec![u32::MAX; n];
        for (i, &p) in permutation.iter().enumerate() {
            if p >= n || inverse[p] != u32::MAX {
                return Err(Error::invalid_parameter("permutation", format!("{permutation:?} is not a permutation of 0..{n}")));
            }
            inverse[p] = i as u32;
        }
        Ok(Permute { permutation: permutation.iter().map(|&p| p as u32).collect(), inverse })
    }

    fn apply(&self, t: &Tensor, order: &[u32]) -> Result<Tensor> {
        if t.rank() == 0 || t.shape()[t.rank() - 1] != order.len() {
            return Err(Error::ShapeMismatch { context: "permute: the last axis vs the permutation".into(), lhs: t.shape().to_vec(), rhs: vec![order.len()] });
        }
        t.index_select(t.rank() - 1, order)
    }
}

impl Bijector for Permute {
    fn name(&self) -> &str {
        "permute"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.apply(x, &self.permutation)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        self.apply(y, &self.inverse)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        let batch = &x.shape()[..x.rank().saturating_sub(1)];
        Tensor::zeros(batch, x.dtype())
    }
}
