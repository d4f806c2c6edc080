//! `Reshape`: changes the event shape (`event_shape_in` → `event_shape_out`), batch dims kept.
//! A relabelling of entries: log-det-Jacobian 0.

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Reshapes events.
///
/// ```
/// use probrs::bijectors::{Bijector, Reshape};
/// use probrs::tensor::{DType, Tensor};
/// // Events of shape [4] become [2, 2]; a batch dimension in front is kept.
/// let b = Reshape::new(&[2, 2], &[4])?;
/// let y = b.forward(&Tensor::zeros(&[3, 4], DType::F64)?)?;
/// assert_eq!(y.shape(), &[3, 2, 2]);
/// assert_eq!(b.inverse(&y)?.shape(), &[3, 4]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Reshape {
    out: Vec<usize>,
    inp: Vec<usize>,
}

impl Reshape {
    /// Both shapes must have the same number of elements.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Reshape};
    /// assert!(Reshape::new(&[3, 2], &[6]).is_ok());
    /// assert!(Reshape::new(&[3, 2], &[5]).is_err()); // different element counts
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(event_shape_out: &[usize], event_shape_in: &[usize]) -> Result<Self> {
        if event_shape_out.iter().product::<usize>() != event_shape_in.iter().product::<usize>() {
            return Err(Error::ShapeMismatch { context: "Reshape event shapes".into(), lhs: event_shape_in.to_vec(), rhs: event_shape_out.to_vec() });
        }
        Ok(Reshape { out: event_shape_out.to_vec(), inp: event_shape_in.to_vec() })
    }
    fn swap(x: &Tensor, from: &[usize], to: &[usize]) -> Result<Tensor> {
        let r = x.rank();
        if r < from.len() || &x.shape()[r - from.len()..] != from {
            return Err(Error::ShapeMismatch { context: "Reshape input event".into(), lhs: x.shape().to_vec(), rhs: from.to_vec() });
        }
        let mut s = x.shape()[..r - from.len()].to_vec();
        s.extend_from_slice(to);
        x.reshape(&s)
    }
}

impl Bijector for Reshape {
    fn name(&self) -> &str {
        "reshape"
    }
    fn forward_min_event_ndims(&self) -> usize {
        self.inp.len()
    }
    fn inverse_min_event_ndims(&self) -> usize {
        self.out.len()
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Self::swap(x, &self.inp, &self.out)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        Self::swap(y, &self.out, &self.inp)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        x.scalar_like(0.0)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        y.scalar_like(0.0)
    }
    fn forward_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        Ok(Self::swap(&Tensor::zeros(s, crate::tensor::DType::F32)?, &self.inp, &self.out)?.shape().to_vec())
    }
    fn inverse_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        Ok(Self::swap(&Tensor::zeros(s, crate::tensor::DType::F32)?, &self.out, &self.inp)?.shape().to_vec())
    }
}
