//! TFP's `tfp.monte_carlo`: [`expectation`], the Monte Carlo estimate of `E_p[f(X)]` whose
//! gradient is an unbiased estimate of the expectation's gradient.
//!
//! - Reparameterized (`use_reparameterization`): the samples are a differentiable function of
//!   the parameters, and `mean f(x_s)` is differentiated through them.
//! - Score function (REINFORCE): the samples are held fixed and the estimate is written as
//!   `mean f(x_s) · exp(log p(x_s) − stop_gradient(log p(x_s)))`, which has the value
//!   `mean f(x_s)` and the gradient `mean [f(x_s) ∇log p(x_s) + ∇f(x_s)]` (TFP's form).
//!
//! ```
//! use probrs::distributions::{Distribution, Normal};
//! use probrs::monte_carlo::expectation;
//! use probrs::params::Variable;
//! use probrs::random::Seed;
//! use probrs::tensor::{DType, Tensor};
//! // d/dμ E_{N(μ, 1)}[X²] = 2μ, by the score function with 20,000 draws.
//! let mu = Variable::new(&Tensor::scalar(1.5, DType::F64)?, "mu")?;
//! let p = Normal::new(&mu, 1.0f64)?;
//! let x = p.sample(&[20000], Seed::new(3))?;
//! let e = expectation(|x| x.square(), &x, Some(&|x: &Tensor| p.log_prob(x)), false, 0, false)?;
//! let g = e.grad(&[&mu.value()])?[0].clone().unwrap().to_scalar()?;
//! assert!((e.to_scalar()? - 3.25).abs() < 0.1 && (g - 3.0).abs() < 0.2, "{} {g}", e.to_scalar()?);
//! # Ok::<(), probrs::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// TFP's `expectation(f, samples, log_prob, use_reparameterization, axis, keepdims)`: the mean
/// of `f(samples)` over `axis`, with reparameterized gradients, or with score-function gradients
/// (which need `log_prob`).
///
/// ```
/// use probrs::monte_carlo::expectation;
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
/// // Reparameterized: a plain mean over axis 0 (kept as [1, 2] with keepdims).
/// assert_eq!(expectation(|x| Ok(x.clone()), &x, None, true, 0, true)?.to_vec()?, vec![2.0, 3.0]);
/// // The score function needs log_prob.
/// assert!(expectation(|x| Ok(x.clone()), &x, None, false, 0, false).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn expectation(
    f: impl Fn(&Tensor) -> Result<Tensor>,
    samples: &Tensor,
    log_prob: Option<&dyn Fn(&Tensor) -> Result<Tensor>>,
    use_reparameterization: bool,
    axis: usize,
    keepdims: bool,
) -> Result<Tensor> {
    if axis >= samples.rank().max(1) {
        return Err(Error::invalid_parameter("axis", format!("{axis} for samples of shape {:?}", samples.shape())));
    }
    let mean = |t: &Tensor| -> Result<Tensor> {
        let n = t.shape().get(axis).copied().ok_or_else(|| Error::invalid_parameter("axis", format!("{axis} for f(samples) of shape {:?}", t.shape())))?;
        t.sum_axes(&[axis], keepdims)?.mul_scalar(1.0 / n as f64)
    };
    if use_reparameterization {
        return mean(&f(samples)?);
    }
    let log_prob = log_prob.ok_or_else(|| Error::invalid_parameter("log_prob", "score-function gradients (use_reparameterization = false) need log_prob"))?;
    let x = samples.detach();
    let lp = log_prob(&x)?;
    let fx = f(&x)?;
    // exp(lp − stop_gradient(lp)) is 1 with gradient ∇lp.
    let weight = lp.sub(&lp.detach())?.exp()?;
    let mut w_shape = weight.shape().to_vec();
    while w_shape.len() < fx.rank() {
        w_shape.push(1);
    }
    mean(&fx.mul(&weight.reshape(&w_shape)?)?)
}
