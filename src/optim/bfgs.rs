//! TFP's `tfp.optimizer.bfgs_minimize`: BFGS with a dense inverse-Hessian estimate `H`
//! (Nocedal & Wright 2006, algorithm 6.1). The direction is `−H g`; after a step `s` with
//! gradient change `y` (and `sᵀy > 0`), `H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ` with
//! `ρ = 1/(sᵀy)`. `H` starts at the identity (or the estimate given) and, as TFP's
//! `scale_initial_inverse_hessian`, is rescaled by `sᵀy / yᵀy` before the first update. Step
//! lengths from a Hager–Zhang line search; stopping tests and result as
//! [`QuasiNewtonOptions`] and [`OptimizerResults`].

use super::quasi_newton::{dot, minimize_tensor, run_on_variables, Direction, OptimizerResults, QuasiNewtonOptions};
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use crate::variables::Variable;

struct Bfgs {
    n: usize,
    h: Vec<f64>,
    scale_first: bool,
}

impl Direction for Bfgs {
    fn direction(&self, g: &[f64]) -> Vec<f64> {
        (0..self.n).map(|i| -dot(&self.h[i * self.n..(i + 1) * self.n], g)).collect()
    }
    fn learn(&mut self, s: &[f64], y: &[f64]) {
        let sy = dot(s, y);
        if !(sy > 0.0 && sy.is_finite()) {
            return;
        }
        let n = self.n;
        if self.scale_first {
            let gamma = sy / dot(y, y);
            self.h.iter_mut().for_each(|v| *v *= gamma);
            self.scale_first = false;
        }
        let rho = 1.0 / sy;
        // H y and yᵀ H y; with H symmetric, the update expands to
        // H − ρ (H y sᵀ + s yᵀ H) + (ρ² yᵀHy + ρ) s sᵀ.
        let hy: Vec<f64> = (0..n).map(|i| dot(&self.h[i * n..(i + 1) * n], y)).collect();
        let yhy = dot(y, &hy);
        let c = rho * rho * yhy + rho;
        for i in 0..n {
            for j in 0..n {
                self.h[i * n + j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + c * s[i] * s[j];
            }
        }
    }
    fn inverse_hessian(&self) -> Option<Vec<f64>> {
        Some(self.h.clone())
    }
}

fn method(initial_inverse_hessian_estimate: Option<&Tensor>) -> impl Fn(usize) -> Result<Box<dyn Direction>> + '_ {
    move |n| Ok(Box::new(bfgs(n, initial_inverse_hessian_estimate)?))
}

fn bfgs(n: usize, initial_inverse_hessian_estimate: Option<&Tensor>) -> Result<Bfgs> {
    match initial_inverse_hessian_estimate {
        None => Ok(Bfgs { n, h: (0..n * n).map(|k| if k / n == k % n { 1.0 } else { 0.0 }).collect(), scale_first: true }),
        Some(h0) => {
            if h0.shape() != [n, n] {
                return Err(Error::ShapeMismatch { context: "initial_inverse_hessian_estimate vs position".into(), lhs: h0.shape().to_vec(), rhs: vec![n, n] });
            }
            let h = h0.to_vec()?;
            if (0..n).any(|i| (0..i).any(|j| (h[i * n + j] - h[j * n + i]).abs() > 1e-12 * (h[i * n + j].abs() + h[j * n + i].abs()).max(1e-300))) || (0..n).any(|i| !(h[i * n + i] > 0.0)) {
                return Err(Error::invalid_parameter("initial_inverse_hessian_estimate", "must be symmetric with a positive diagonal"));
            }
            Ok(Bfgs { n, h, scale_first: false })
        }
    }
}

/// Minimizes a function given as TFP's `value_and_gradients_function(position) -> (value,
/// gradient)` from `initial_position` (a vector `[n]`, or a batch `[..., n]` of independent
/// starting points searched in lockstep). `initial_inverse_hessian_estimate` is a symmetric
/// positive-definite `[n, n]` matrix (shared by the members), or `None` for TFP's scaled
/// identity. The result carries the final `inverse_hessian_estimate` (`[..., n, n]`).
///
/// ```
/// use probrs::optim::{bfgs_minimize, QuasiNewtonOptions};
/// use probrs::tensor::{DType, Tensor};
/// // Rosenbrock's banana, minimum at (1, 1).
/// let f = |x: &Tensor| {
///     let v = x.to_vec()?;
///     let (a, b) = (v[0], v[1]);
///     let value = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
///     let grad = [-2.0 * (1.0 - a) - 400.0 * a * (b - a * a), 200.0 * (b - a * a)];
///     Ok((Tensor::scalar(value, DType::F64)?, Tensor::vector(&grad, DType::F64)?))
/// };
/// let opts = QuasiNewtonOptions { max_iterations: 200, ..Default::default() };
/// let r = bfgs_minimize(f, &Tensor::vector(&[-1.2, 1.0], DType::F64)?, None, opts)?;
/// assert!(r.converged);
/// let x = r.position.to_vec()?;
/// assert!((x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6);
/// // The inverse-Hessian estimate approaches the true inverse Hessian at the minimum.
/// assert_eq!(r.inverse_hessian_estimate.unwrap().shape(), &[2, 2]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn bfgs_minimize(
    value_and_gradients_function: impl Fn(&Tensor) -> Result<(Tensor, Tensor)>,
    initial_position: &Tensor,
    initial_inverse_hessian_estimate: Option<&Tensor>,
    options: QuasiNewtonOptions,
) -> Result<OptimizerResults> {
    minimize_tensor(&value_and_gradients_function, initial_position, &method(initial_inverse_hessian_estimate), &options)
}

/// BFGS on a loss over trainable variables (every entry of each, in order); the variables end
/// at the minimizer found (or keep their starting values if the loss fails).
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::optim::{bfgs_minimize_variables, QuasiNewtonOptions};
/// use probrs::params::MakeTrainable;
/// use probrs::tensor::{DType, Tensor};
/// let data = Tensor::vector(&[4.57, 6.37, 5.93, 7.98, 2.03, 3.59, 8.55, 3.45, 5.06, 6.44], DType::F64)?;
/// let model: Normal = MakeTrainable::new().parameter_dtype(DType::F64).seed(42).build()?;
/// let nll = || model.log_prob(&data)?.mean_all()?.neg();
/// let r = bfgs_minimize_variables(&nll, &model.trainable_variables(), QuasiNewtonOptions { tolerance: 1e-12, ..Default::default() })?;
/// assert!(r.converged);
/// // The maximum-likelihood estimates: the mean and the population standard deviation.
/// assert!((model.mean()?.to_scalar()? - 5.397).abs() < 1e-9);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn bfgs_minimize_variables(loss: &dyn Fn() -> Result<Tensor>, variables: &[Variable], options: QuasiNewtonOptions) -> Result<OptimizerResults> {
    run_on_variables(loss, variables, &method(None), &options)
}
