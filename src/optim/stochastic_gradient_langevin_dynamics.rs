//! Stochastic gradient Langevin dynamics, TFP's `tfp.optimizer.StochasticGradientLangevinDynamics`
//! (Welling & Teh 2011), preconditioned as Li et al. (2016): an optimizer whose iterates, after
//! `burnin` steps, are (approximate) draws from the posterior the loss describes.
//!
//! With the loss a minibatch mean of negative log-likelihood terms (plus the prior's share) and
//! `N = data_size`:
//!
//! ```text
//! v ← ρ v + (1 − ρ) g²                      (ρ = preconditioner_decay_rate, v starts at 1)
//! P = 1 / √(v + λ)                          (λ = diagonal_bias)
//! x ← x − lr · ½ P N g − √(lr P) ξ,  ξ ~ N(0, I)   (no noise during the first `burnin` steps)
//! ```
//!
//! i.e. Langevin dynamics `x ← x + (lr/2) P ∇log π + √(lr P) ξ` on `log π = −N · loss`.
//!
//! Because `P` depends on the state through the current gradient, the exact drift has the extra
//! term `+ ½ lr Γ` with `Γ_i = ∂P_i/∂x_i = −(1 − ρ) g_i H_ii (v_i + λ)^{−3/2}` (`H_ii` the loss's
//! Hessian diagonal), which TFP computes by differentiating the gradient.
//! [`apply_gradients_with_hessian_diagonal`](StochasticGradientLangevinDynamics::apply_gradients_with_hessian_diagonal)
//! takes `H_ii` and applies it; `apply_gradients` (the [`Optimizer`] interface, gradients only)
//! leaves it out. Either way, a preconditioner that moves fast biases the spread, because `P`
//! also follows each minibatch's gradient noise: measured on a conjugate normal posterior
//! (minibatches of half the data), the iterates' sd is 13% wide at TFP's default ρ = 0.95
//! (10% with Γ) and within 1% at ρ = 0.999 (`tests/sgld_and_expectation.rs`). Use a decay
//! close to 1 when the draws' spread matters.

use super::optimizer::{Optimizer, Slots};
use crate::error::{Error, Result};
use crate::params::Variable;
use crate::random::Seed;
use crate::tensor::Tensor;
use rand::Rng;
use rand_distr::StandardNormal;

/// TFP's `StochasticGradientLangevinDynamics` with its defaults (decay 0.95, data size 1,
/// burn-in 25, diagonal bias 1e-8).
///
/// ```
/// use probrs::optim::{Optimizer, StochasticGradientLangevinDynamics};
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// // Posterior N(0, 1) as a loss −log π with data_size 1: the iterates sample it (a slowly
/// // moving preconditioner, as `apply_gradients` leaves out its gradient).
/// let x = Variable::new(&Tensor::scalar(3.0, DType::F64)?, "x")?;
/// let mut sgld = StochasticGradientLangevinDynamics::new(0.05);
/// sgld.preconditioner_decay_rate = 0.999;
/// let mut draws = vec![];
/// for step in 0..6000 {
///     let g = x.value().clone(); // d/dx (x²/2)
///     sgld.apply_gradients(&[(g, x.clone())])?;
///     if step >= 500 {
///         draws.push(x.numpy().to_scalar()?);
///     }
/// }
/// let mean = draws.iter().sum::<f64>() / draws.len() as f64;
/// let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / draws.len() as f64;
/// assert!(mean.abs() < 0.3 && (var - 1.0).abs() < 0.3, "{mean} {var}");
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct StochasticGradientLangevinDynamics {
    /// The step size `lr`.
    pub learning_rate: f64,
    /// ρ, the decay of the squared-gradient average (0.95).
    pub preconditioner_decay_rate: f64,
    /// N, the number of examples the loss averages over (1).
    pub data_size: f64,
    /// Steps without noise at the start (25).
    pub burnin: u64,
    /// λ, added under the square root (1e-8).
    pub diagonal_bias: f64,
    /// The seed of the injected noise; step `t` draws from `seed.fold_in(t)`.
    pub seed: Seed,
    slots: Slots,
}

impl StochasticGradientLangevinDynamics {
    /// SGLD with step `learning_rate` and TFP's other defaults.
    ///
    /// ```
    /// use probrs::optim::{Optimizer, StochasticGradientLangevinDynamics};
    /// let s = StochasticGradientLangevinDynamics::new(0.01);
    /// assert_eq!((s.learning_rate(), s.preconditioner_decay_rate, s.burnin), (0.01, 0.95, 25));
    /// ```
    pub fn new(learning_rate: f64) -> Self {
        StochasticGradientLangevinDynamics { learning_rate, preconditioner_decay_rate: 0.95, data_size: 1.0, burnin: 25, diagonal_bias: 1e-8, seed: Seed::new(0), slots: Slots::default() }
    }
}

impl StochasticGradientLangevinDynamics {
    /// One update with TFP's full drift: each variable's loss gradient and the diagonal of the
    /// loss's Hessian (for `Γ = ∂P/∂x`).
    ///
    /// ```
    /// use probrs::optim::StochasticGradientLangevinDynamics;
    /// use probrs::params::Variable;
    /// use probrs::tensor::{DType, Tensor};
    /// // loss x²/2: gradient x, Hessian 1.
    /// let x = Variable::new(&Tensor::scalar(3.0, DType::F64)?, "x")?;
    /// let mut sgld = StochasticGradientLangevinDynamics::new(0.05);
    /// for _ in 0..100 {
    ///     let g = x.value().clone();
    ///     sgld.apply_gradients_with_hessian_diagonal(&[(g, Tensor::scalar(1.0, DType::F64)?, x.clone())])?;
    /// }
    /// assert!(x.numpy().to_scalar()?.abs() < 3.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn apply_gradients_with_hessian_diagonal(&mut self, items: &[(Tensor, Tensor, Variable)]) -> Result<()> {
        let mut hess = vec![];
        for (g, h, v) in items {
            if h.shape() != g.shape() {
                return Err(Error::ShapeMismatch { context: format!("Hessian diagonal of `{}` vs its gradient", v.name()), lhs: h.shape().to_vec(), rhs: g.shape().to_vec() });
            }
            hess.push(h.to_vec()?);
        }
        let grads_and_vars: Vec<(Tensor, Variable)> = items.iter().map(|(g, _, v)| (g.clone(), v.clone())).collect();
        self.update(&grads_and_vars, Some(&hess))
    }

    fn update(&mut self, grads_and_vars: &[(Tensor, Variable)], hessian_diagonal: Option<&[Vec<f64>]>) -> Result<()> {
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(Error::invalid_parameter("learning_rate", format!("must be positive and finite, got {}", self.learning_rate)));
        }
        if !(0.0..=1.0).contains(&self.preconditioner_decay_rate) {
            return Err(Error::invalid_parameter("preconditioner_decay_rate", format!("must be in [0, 1], got {}", self.preconditioner_decay_rate)));
        }
        let (lr, rho, n, bias, burnin) = (self.learning_rate, self.preconditioner_decay_rate, self.data_size, self.diagonal_bias, self.burnin);
        let mut rng = self.seed.fold_in(self.slots.iterations).rng();
        let noisy = self.slots.iterations + 1 > burnin;
        let mut k = 0;
        self.slots.apply(grads_and_vars, 1, 1.0, |_, x, g, old, s| {
            let h = hessian_diagonal.map(|h| &h[k]);
            k += 1;
            for i in 0..x.len() {
                s[0][i] = rho * old[0][i] + (1.0 - rho) * g[i] * g[i];
                let p = 1.0 / (s[0][i] + bias).sqrt();
                let gamma = h.map_or(0.0, |h| -(1.0 - rho) * g[i] * h[i] * p * p * p);
                let noise = if noisy { (lr * p).sqrt() * rng.sample::<f64, _>(StandardNormal) } else { 0.0 };
                x[i] -= 0.5 * lr * (p * n * g[i] - gamma) + noise;
            }
        })
    }
}

impl Optimizer for StochasticGradientLangevinDynamics {
    fn apply_gradients(&mut self, grads_and_vars: &[(Tensor, Variable)]) -> Result<()> {
        self.update(grads_and_vars, None)
    }
    fn iterations(&self) -> u64 {
        self.slots.iterations
    }
    fn learning_rate(&self) -> f64 {
        self.learning_rate
    }
}
