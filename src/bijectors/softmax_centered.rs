//! `SoftmaxCentered`: `R^n` to the interior of the n-simplex in `R^{n+1}`:
//! `y = softmax([x, 0])`. `log|det J| = Σ log y + ½ log(n + 1)` (the volume of the simplex
//! embedding, TFP's convention); `x = log y[:n] − log y[n]`.

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Unconstrained vectors to probability vectors with one more entry.
///
/// ```
/// use probrs::bijectors::{Bijector, SoftmaxCentered};
/// use probrs::tensor::{DType, Tensor};
/// // n reals onto the (n + 1)-simplex: [0] ↦ [½, ½].
/// let b = SoftmaxCentered::new();
/// let y = b.forward(&Tensor::vector(&[0.0], DType::F64)?)?;
/// assert_eq!(y.to_vec()?, vec![0.5, 0.5]);
/// assert!(b.inverse(&y)?.to_vec()?[0].abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct SoftmaxCentered;

impl SoftmaxCentered {
    /// The bijector from `n` reals onto the interior of the `n + 1` simplex (last logit pinned to 0).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, SoftmaxCentered};
    /// let b = SoftmaxCentered::new();
    /// assert_eq!(b.forward_event_shape(&[2])?, vec![3]);
    /// let y = b.forward(&Tensor::vector(&[1.0, -1.0], DType::F64)?)?.to_vec()?;
    /// assert!((y.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new() -> Self {
        SoftmaxCentered
    }
    fn log_softmax(x: &Tensor) -> Result<Tensor> {
        let r = x.rank();
        let xp = x.pad(r - 1, 0, 1, 0.0)?;
        xp.sub(&xp.logsumexp(r - 1, true)?)
    }
}

impl Bijector for SoftmaxCentered {
    fn name(&self) -> &str {
        "softmax_centered"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if x.rank() == 0 {
            return Err(Error::invalid_shape("SoftmaxCentered input", x.shape(), "needs a vector event"));
        }
        Self::log_softmax(x)?.exp()
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let r = y.rank();
        let n1 = *y.shape().last().ok_or_else(|| Error::invalid_shape("SoftmaxCentered inverse input", y.shape(), "needs a vector event"))?;
        if n1 < 2 {
            return Err(Error::invalid_shape("SoftmaxCentered inverse input", y.shape(), "needs at least 2 entries"));
        }
        let ly = y.log()?;
        ly.narrow(r - 1, 0, n1 - 1)?.sub(&ly.narrow(r - 1, n1 - 1, 1)?)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        let n1 = (*x.shape().last().unwrap_or(&0) + 1) as f64;
        Self::log_softmax(x)?.sum_last(1)?.add_scalar(0.5 * n1.ln())
    }
    fn forward_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        let mut o = s.to_vec();
        *o.last_mut().ok_or_else(|| Error::invalid_shape("SoftmaxCentered event", s, "needs a vector event"))? += 1;
        Ok(o)
    }
    fn inverse_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        let mut o = s.to_vec();
        let last = o.last_mut().ok_or_else(|| Error::invalid_shape("SoftmaxCentered event", s, "needs a vector event"))?;
        *last = last.checked_sub(1).ok_or_else(|| Error::invalid_shape("SoftmaxCentered event", s, "empty"))?;
        Ok(o)
    }
}
