//! What TFP's `bfgs_minimize` and `lbfgs_minimize` share: their options, their result
//! (`converged`, `failed`, `num_iterations`, `num_objective_evaluations`, `position`,
//! `objective_value`, `objective_gradient`), the loop around a search direction (line search,
//! stopping tests), and the adapter that minimizes a loss over trainable variables.
//!
//! The loop, as TFP's: from `x` with gradient `g`, the method proposes a direction `d`; a
//! Hager–Zhang line search picks the step; the run has **converged** when the gradient's
//! largest entry is at most `tolerance`, or the position moved by at most `x_tolerance` in every
//! entry, or the value changed by at most `f_relative_tolerance · |f|` or `f_absolute_tolerance`;
//! it has **failed** when the line search finds no acceptable step or the objective is not
//! finite at the start. The result always holds the last good position.

use super::line_search::hager_zhang;
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};
use crate::variables::Variable;

/// Stopping tests and budgets shared by [`bfgs_minimize`](super::bfgs_minimize) and
/// [`lbfgs_minimize`](super::lbfgs_minimize), with TFP's defaults.
///
/// ```
/// use probrs::optim::QuasiNewtonOptions;
/// let o = QuasiNewtonOptions::default();
/// assert_eq!((o.tolerance, o.max_iterations, o.max_line_search_iterations), (1e-8, 50, 50));
/// let tight = QuasiNewtonOptions { tolerance: 1e-12, max_iterations: 500, ..Default::default() };
/// assert_eq!(tight.x_tolerance, 0.0);
/// ```
#[derive(Clone, Debug)]
pub struct QuasiNewtonOptions {
    /// Converged when `max |∇f| ≤ tolerance` (default 1e-8).
    pub tolerance: f64,
    /// Converged when no coordinate moved by more than this in an iteration (default 0).
    pub x_tolerance: f64,
    /// Converged when `|Δf| ≤ f_relative_tolerance · |f|` (default 0).
    pub f_relative_tolerance: f64,
    /// Converged when `|Δf| ≤ f_absolute_tolerance` (default 0).
    pub f_absolute_tolerance: f64,
    /// Iterations at most (default 50).
    pub max_iterations: usize,
    /// Objective evaluations per line search at most (default 50).
    pub max_line_search_iterations: usize,
}

impl Default for QuasiNewtonOptions {
    fn default() -> Self {
        QuasiNewtonOptions { tolerance: 1e-8, x_tolerance: 0.0, f_relative_tolerance: 0.0, f_absolute_tolerance: 0.0, max_iterations: 50, max_line_search_iterations: 50 }
    }
}

impl QuasiNewtonOptions {
    fn check(&self) -> Result<()> {
        for (name, v) in [("tolerance", self.tolerance), ("x_tolerance", self.x_tolerance), ("f_relative_tolerance", self.f_relative_tolerance), ("f_absolute_tolerance", self.f_absolute_tolerance)] {
            if !(v >= 0.0) {
                return Err(Error::invalid_parameter(name, format!("must be non-negative, got {v}")));
            }
        }
        if self.max_line_search_iterations == 0 {
            return Err(Error::invalid_parameter("max_line_search_iterations", "must be at least 1"));
        }
        Ok(())
    }
}

/// TFP's `BfgsOptimizerResults` / `LBfgsOptimizerResults`.
///
/// ```
/// use probrs::optim::{lbfgs_minimize, QuasiNewtonOptions};
/// use probrs::tensor::{DType, Tensor};
/// // f(x) = Σ (x − 1)², from 0.
/// let r = lbfgs_minimize(|x| {
///     let d = x.add_scalar(-1.0)?;
///     Ok((d.square()?.sum_all()?, d.mul_scalar(2.0)?))
/// }, &Tensor::zeros(&[3], DType::F64)?, 10, QuasiNewtonOptions::default())?;
/// assert!(r.converged && !r.failed);
/// assert_eq!(r.position.to_vec()?, vec![1.0, 1.0, 1.0]);
/// assert!(r.objective_value.abs() < 1e-20 && r.num_iterations >= 1 && r.num_objective_evaluations >= 2);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct OptimizerResults {
    /// Whether a stopping test of [`QuasiNewtonOptions`] held at the final position.
    pub converged: bool,
    /// Whether the line search found no acceptable step (the position is the last good one).
    pub failed: bool,
    /// Iterations run.
    pub num_iterations: usize,
    /// Evaluations of the objective and its gradient.
    pub num_objective_evaluations: usize,
    /// The final position (the input's dtype and shape).
    pub position: Tensor,
    /// The objective there.
    pub objective_value: f64,
    /// Its gradient there (the input's dtype and shape).
    pub objective_gradient: Tensor,
    /// BFGS's final inverse-Hessian estimate (`[n, n]`); `None` for L-BFGS.
    pub inverse_hessian_estimate: Option<Tensor>,
}

/// A quasi-Newton method: the search direction from the gradient, and what it learns from a
/// step `s` with gradient change `y`.
pub(crate) trait Direction {
    fn direction(&self, g: &[f64]) -> Vec<f64>;
    fn learn(&mut self, s: &[f64], y: &[f64]);
    fn inverse_hessian(&self) -> Option<Vec<f64>> {
        None
    }
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn sup_norm(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

/// The objective as the loop sees it: a position in f64 to its value and gradient.
type Objective<'a> = dyn FnMut(&[f64]) -> Result<(f64, Vec<f64>)> + 'a;

/// Reads a position tensor, or a typed error naming the argument.
pub(crate) fn position_of(initial_position: &Tensor) -> Result<(Vec<f64>, DType)> {
    if initial_position.rank() != 1 || initial_position.elem_count() == 0 {
        return Err(Error::invalid_shape("initial_position", initial_position.shape(), "must be a non-empty vector (batches of starting points are not supported)"));
    }
    Ok((initial_position.to_vec()?, initial_position.dtype()))
}

/// Wraps TFP's `value_and_gradients_function(position) -> (value, gradient)` as an
/// [`Objective`] over f64 slices, checking shapes.
pub(crate) fn tensor_objective<'a>(f: &'a dyn Fn(&Tensor) -> Result<(Tensor, Tensor)>, dtype: DType) -> impl FnMut(&[f64]) -> Result<(f64, Vec<f64>)> + 'a {
    move |x: &[f64]| {
        let (v, g) = f(&Tensor::vector(x, dtype)?)?;
        if v.elem_count() != 1 {
            return Err(Error::invalid_shape("value_and_gradients_function value", v.shape(), "must be a scalar"));
        }
        if g.elem_count() != x.len() {
            return Err(Error::ShapeMismatch { context: "value_and_gradients_function gradient vs position".into(), lhs: g.shape().to_vec(), rhs: vec![x.len()] });
        }
        Ok((v.to_scalar()?, g.to_vec()?))
    }
}

/// The quasi-Newton loop shared by BFGS and L-BFGS.
pub(crate) fn run(objective: &mut Objective<'_>, x0: Vec<f64>, dtype: DType, method: &mut dyn Direction, options: &QuasiNewtonOptions) -> Result<OptimizerResults> {
    options.check()?;
    let (mut f, mut g) = objective(&x0)?;
    let mut evals = 1;
    let mut x = x0;
    let finish = |x: &[f64], f: f64, g: &[f64], converged: bool, failed: bool, iterations: usize, evals: usize, method: &dyn Direction| -> Result<OptimizerResults> {
        let n = x.len();
        Ok(OptimizerResults {
            converged,
            failed,
            num_iterations: iterations,
            num_objective_evaluations: evals,
            position: Tensor::vector(x, dtype)?,
            objective_value: f,
            objective_gradient: Tensor::vector(g, dtype)?,
            inverse_hessian_estimate: method.inverse_hessian().map(|h| Tensor::from_slice(&h, &[n, n], dtype)).transpose()?,
        })
    };
    if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return finish(&x, f, &g, false, true, 0, evals, method);
    }
    let mut converged = sup_norm(&g) <= options.tolerance;
    let mut iterations = 0;
    while !converged && iterations < options.max_iterations {
        iterations += 1;
        let mut d = method.direction(&g);
        let mut df0 = dot(&g, &d);
        if !(df0 < 0.0) || !df0.is_finite() {
            // not a descent direction (a poor curvature estimate): steepest descent instead
            d = g.iter().map(|v| -v).collect();
            df0 = -dot(&g, &g);
        }
        // TFP starts every search at step 1 (the quasi-Newton step); the first, along −g, is
        // scaled so that it moves by at most 1 in the largest coordinate.
        let initial_step = if iterations == 1 { 1.0f64.min(1.0 / sup_norm(&d).max(1e-300)) } else { 1.0 };
        let x_ref = &x;
        let d_ref = &d;
        let search = hager_zhang(
            |a: f64| {
                let xa: Vec<f64> = x_ref.iter().zip(d_ref).map(|(xi, di)| xi + a * di).collect();
                let (fa, ga) = objective(&xa)?;
                let slope = if ga.iter().all(|v| v.is_finite()) { dot(&ga, d_ref) } else { f64::NAN };
                Ok((fa, slope, (xa, ga)))
            },
            f,
            df0,
            initial_step,
            options.max_line_search_iterations,
        )?;
        evals += search.num_evals;
        let Some(p) = search.point.filter(|p| search.converged || p.value < f) else {
            return finish(&x, f, &g, false, true, iterations, evals, method);
        };
        let (x_new, g_new) = p.extra;
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let df = (p.value - f).abs();
        converged = sup_norm(&g_new) <= options.tolerance || sup_norm(&s) <= options.x_tolerance || df <= options.f_relative_tolerance * f.abs() || df <= options.f_absolute_tolerance;
        method.learn(&s, &y);
        (x, f, g) = (x_new, p.value, g_new);
        if !search.converged {
            // the lowest point found, without the Wolfe conditions: keep it, and stop here
            return finish(&x, f, &g, converged, !converged, iterations, evals, method);
        }
    }
    finish(&x, f, &g, converged, false, iterations, evals, method)
}

/// Minimizes `loss()` over `variables` (all their entries, flattened in order) with a
/// quasi-Newton `method`; the variables end at the result's position, or at their last good
/// values if the loss fails.
pub(crate) fn run_on_variables(loss: &dyn Fn() -> Result<Tensor>, variables: &[Variable], method: &mut dyn Direction, options: &QuasiNewtonOptions) -> Result<OptimizerResults> {
    if variables.is_empty() {
        return Err(Error::invalid_parameter("variables", "nothing to minimize over"));
    }
    let dtype = variables[0].dtype();
    let shapes: Vec<Vec<usize>> = variables.iter().map(|v| v.shape().to_vec()).collect();
    let start: Vec<f64> = variables.iter().map(|v| v.numpy().to_vec()).collect::<Result<Vec<_>>>()?.concat();
    let assign = |x: &[f64]| -> Result<()> {
        let mut at = 0;
        for (v, shape) in variables.iter().zip(&shapes) {
            let k: usize = shape.iter().product();
            v.assign(&Tensor::from_slice(&x[at..at + k], shape, v.dtype())?)?;
            at += k;
        }
        Ok(())
    };
    let mut objective = |x: &[f64]| -> Result<(f64, Vec<f64>)> {
        assign(x)?;
        let l = loss()?;
        if l.elem_count() != 1 {
            return Err(Error::invalid_shape("loss", l.shape(), "must be a scalar"));
        }
        let tracked: Vec<Tensor> = variables.iter().map(|v| v.value()).collect();
        let grads = l.grad(&tracked.iter().collect::<Vec<_>>())?;
        let mut g = Vec::with_capacity(x.len());
        for (gr, v) in grads.into_iter().zip(variables) {
            match gr {
                Some(t) => g.extend(t.to_vec()?),
                None => g.extend(std::iter::repeat_n(0.0, v.shape().iter().product())),
            }
        }
        Ok((l.to_scalar()?, g))
    };
    let result = run(&mut objective, start.clone(), dtype, method, options);
    // The variables end where the result says, or where they started if the run failed.
    match &result {
        Ok(r) => assign(&r.position.to_vec()?)?,
        Err(_) => assign(&start)?,
    }
    result
}
