//! `Ascending`: unconstrained vectors to strictly increasing ones (TFP's `tfb.Ascending`, the
//! inverse of the deprecated `tfb.Ordered`; Stan's `ordered` type):
//!
//! ```text
//! y₀ = x₀,   y_i = y_{i−1} + exp(x_i)          x₀ = y₀,   x_i = log(y_i − y_{i−1})
//! log|det J| = Σ_{i≥1} x_i
//! ```
//!
//! The running sum is a product with the upper-triangular matrix of ones, so the gradient
//! comes from the facade's matmul.

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Reals to an increasing vector.
///
/// ```
/// use probrs::bijectors::{Ascending, Bijector};
/// use probrs::tensor::{DType, Tensor};
/// let b = Ascending::new();
/// let y = b.forward(&Tensor::vector(&[1.0, 0.0, 2f64.ln()], DType::F64)?)?;
/// assert_eq!(y.to_vec()?, vec![1.0, 2.0, 4.0]);
/// let x = b.inverse(&y)?.to_vec()?;
/// assert!((x[2] - 2f64.ln()).abs() < 1e-12);
/// // log|det J| = x₁ + x₂
/// assert!((b.forward_log_det_jacobian(&Tensor::vector(&[1.0, 0.0, 2f64.ln()], DType::F64)?, 1)?.to_scalar()? - 2f64.ln()).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Ascending;

impl Ascending {
    /// The bijector (no parameters).
    ///
    /// ```
    /// use probrs::bijectors::{Ascending, Bijector};
    /// assert_eq!(Ascending::new().forward_min_event_ndims(), 1);
    /// ```
    pub fn new() -> Self {
        Ascending
    }
}

fn event_len(name: &str, t: &Tensor) -> Result<usize> {
    match t.shape().last() {
        Some(n) if *n >= 1 => Ok(*n),
        _ => Err(Error::invalid_shape(name, t.shape(), "needs a vector event")),
    }
}

impl Bijector for Ascending {
    fn name(&self) -> &str {
        "ascending"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let n = event_len("Ascending input", x)?;
        let r = x.rank();
        let steps = Tensor::concat(&[&x.narrow(r - 1, 0, 1)?, &x.narrow(r - 1, 1, n - 1)?.exp()?], r - 1)?;
        let ones: Vec<f64> = (0..n * n).map(|k| if k / n <= k % n { 1.0 } else { 0.0 }).collect();
        let upper = Tensor::from_slice(&ones, &[n, n], x.dtype())?;
        let lead: usize = x.shape()[..r - 1].iter().product();
        steps.reshape(&[lead, n])?.matmul(&upper)?.reshape(x.shape())
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let n = event_len("Ascending inverse input", y)?;
        let r = y.rank();
        let gaps = y.narrow(r - 1, 1, n - 1)?.sub(&y.narrow(r - 1, 0, n - 1)?)?;
        Tensor::concat(&[&y.narrow(r - 1, 0, 1)?, &gaps.log()?], r - 1)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        let n = event_len("Ascending input", x)?;
        x.narrow(x.rank() - 1, 1, n - 1)?.sum_last(1)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        let n = event_len("Ascending inverse input", y)?;
        let r = y.rank();
        y.narrow(r - 1, 1, n - 1)?.sub(&y.narrow(r - 1, 0, n - 1)?)?.log()?.sum_last(1)?.neg()
    }
}
