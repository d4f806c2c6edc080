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

/// When a batch of searches stops (TFP's `stopping_condition`).
///
/// ```
/// use probrs::optim::{QuasiNewtonOptions, StoppingCondition};
/// assert_eq!(QuasiNewtonOptions::default().stopping_condition, StoppingCondition::ConvergedAll);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoppingCondition {
    /// TFP's `converged_all`: when every member has converged or failed (the default).
    ConvergedAll,
    /// TFP's `converged_any`: when any member has converged, or all have failed.
    ConvergedAny,
}

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
    /// When a batch of starting points stops (default: all converged or failed).
    pub stopping_condition: StoppingCondition,
}

impl Default for QuasiNewtonOptions {
    fn default() -> Self {
        QuasiNewtonOptions {
            tolerance: 1e-8,
            x_tolerance: 0.0,
            f_relative_tolerance: 0.0,
            f_absolute_tolerance: 0.0,
            max_iterations: 50,
            max_line_search_iterations: 50,
            stopping_condition: StoppingCondition::ConvergedAll,
        }
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

/// TFP's `BfgsOptimizerResults` / `LBfgsOptimizerResults`. For a batch of starting points
/// (`initial_position` of shape `[..., n]`) each member is searched independently, in lockstep;
/// `objective_value` has the batch shape and `converged` / `failed` summarize the members
/// (`converged_members` / `failed_members` list them, row-major).
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
/// assert!(r.objective_value.to_scalar()?.abs() < 1e-20 && r.num_iterations >= 1 && r.num_objective_evaluations >= 2);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct OptimizerResults {
    /// Whether every member met a stopping test of [`QuasiNewtonOptions`].
    pub converged: bool,
    /// Whether any member's line search found no acceptable step (its position is its last
    /// good one) or its objective was not finite at the start.
    pub failed: bool,
    /// Each member's `converged`, row-major over the batch (one entry for a vector start).
    pub converged_members: Vec<bool>,
    /// Each member's `failed`.
    pub failed_members: Vec<bool>,
    /// Iterations run (of the batch, in lockstep).
    pub num_iterations: usize,
    /// Evaluations of the objective and its gradient, summed over the members.
    pub num_objective_evaluations: usize,
    /// The final position (the input's dtype and shape).
    pub position: Tensor,
    /// The objective there: a scalar, or one value per batch member.
    pub objective_value: Tensor,
    /// Its gradient there (the input's dtype and shape).
    pub objective_gradient: Tensor,
    /// BFGS's final inverse-Hessian estimate (`[..., n, n]`); `None` for L-BFGS.
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

/// The objective as the loop sees it: member `i` at a position (f64) to its value and gradient.
type Objective<'a> = dyn FnMut(usize, &[f64]) -> Result<(f64, Vec<f64>)> + 'a;

/// Reads a position tensor (`[n]`, or a batch `[..., n]`), or a typed error naming the argument.
pub(crate) fn starts_of(initial_position: &Tensor) -> Result<(Vec<Vec<f64>>, Vec<usize>, DType)> {
    if initial_position.rank() == 0 || initial_position.elem_count() == 0 {
        return Err(Error::invalid_shape("initial_position", initial_position.shape(), "must be a non-empty vector or a batch of vectors"));
    }
    let n = initial_position.shape()[initial_position.rank() - 1];
    let v = initial_position.to_vec()?;
    Ok((v.chunks(n).map(<[f64]>::to_vec).collect(), initial_position.shape().to_vec(), initial_position.dtype()))
}

/// Wraps TFP's `value_and_gradients_function(position) -> (value, gradient)`. Batch members are
/// independent problems: member `i` is evaluated with the others at their starting points.
fn tensor_objective<'a>(f: &'a dyn Fn(&Tensor) -> Result<(Tensor, Tensor)>, shape: Vec<usize>, dtype: DType, starts: &'a [Vec<f64>]) -> impl FnMut(usize, &[f64]) -> Result<(f64, Vec<f64>)> + 'a {
    move |i: usize, x: &[f64]| {
        let n = x.len();
        let batch = shape.len() > 1;
        let flat: Vec<f64> = starts.iter().enumerate().flat_map(|(j, p)| if j == i { x.to_vec() } else { p.clone() }).collect();
        let (v, g) = f(&Tensor::from_slice(&flat, &shape, dtype)?)?;
        let members = flat.len() / n;
        if v.elem_count() != members || (!batch && v.rank() != 0 && v.elem_count() != 1) {
            return Err(Error::invalid_shape("value_and_gradients_function value", v.shape(), if batch { "must have one value per batch member" } else { "must be a scalar" }));
        }
        if g.shape() != shape.as_slice() && g.elem_count() != flat.len() {
            return Err(Error::ShapeMismatch { context: "value_and_gradients_function gradient vs position".into(), lhs: g.shape().to_vec(), rhs: shape.clone() });
        }
        let (v, g) = (v.to_vec()?, g.to_vec()?);
        Ok((v[i], g[i * n..(i + 1) * n].to_vec()))
    }
}

/// One member's search.
struct Member {
    x: Vec<f64>,
    f: f64,
    g: Vec<f64>,
    method: Box<dyn Direction>,
    converged: bool,
    failed: bool,
    evals: usize,
}

impl Member {
    fn done(&self) -> bool {
        self.converged || self.failed
    }
    /// One quasi-Newton iteration: direction, line search, stopping tests.
    fn step(&mut self, i: usize, objective: &mut Objective<'_>, first: bool, options: &QuasiNewtonOptions) -> Result<()> {
        let mut d = self.method.direction(&self.g);
        let mut df0 = dot(&self.g, &d);
        if !(df0 < 0.0) || !df0.is_finite() {
            // not a descent direction (a poor curvature estimate): steepest descent instead
            d = self.g.iter().map(|v| -v).collect();
            df0 = -dot(&self.g, &self.g);
        }
        // TFP starts every search at step 1 (the quasi-Newton step); the first, along −g, is
        // scaled so that it moves by at most 1 in the largest coordinate.
        let initial_step = if first { 1.0f64.min(1.0 / sup_norm(&d).max(1e-300)) } else { 1.0 };
        let (x, d_ref) = (&self.x, &d);
        let search = hager_zhang(
            |a: f64| {
                let xa: Vec<f64> = x.iter().zip(d_ref).map(|(xi, di)| xi + a * di).collect();
                let (fa, ga) = objective(i, &xa)?;
                let slope = if ga.iter().all(|v| v.is_finite()) { dot(&ga, d_ref) } else { f64::NAN };
                Ok((fa, slope, (xa, ga)))
            },
            self.f,
            df0,
            initial_step,
            options.max_line_search_iterations,
        )?;
        self.evals += search.num_evals;
        let Some(p) = search.point.filter(|p| search.converged || p.value < self.f) else {
            self.failed = true;
            return Ok(());
        };
        let (x_new, g_new) = p.extra;
        let s: Vec<f64> = x_new.iter().zip(&self.x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&self.g).map(|(a, b)| a - b).collect();
        let df = (p.value - self.f).abs();
        self.converged = sup_norm(&g_new) <= options.tolerance || sup_norm(&s) <= options.x_tolerance || df <= options.f_relative_tolerance * self.f.abs() || df <= options.f_absolute_tolerance;
        self.method.learn(&s, &y);
        (self.x, self.f, self.g) = (x_new, p.value, g_new);
        // The lowest point found without the Wolfe conditions: kept, and the search ends there.
        if !search.converged && !self.converged {
            self.failed = true;
        }
        Ok(())
    }
}

/// The quasi-Newton loop shared by BFGS and L-BFGS, over a batch of starting points in
/// lockstep. `shape` is the position tensor's (`[..., n]`).
fn run(objective: &mut Objective<'_>, starts: Vec<Vec<f64>>, shape: &[usize], dtype: DType, make_method: &dyn Fn(usize) -> Result<Box<dyn Direction>>, options: &QuasiNewtonOptions) -> Result<OptimizerResults> {
    options.check()?;
    let n = *shape.last().expect("a position has a last dimension");
    let methods = starts.iter().map(|_| make_method(n)).collect::<Result<Vec<_>>>()?;
    let mut members = Vec::with_capacity(starts.len());
    for (i, (x, method)) in starts.into_iter().zip(methods).enumerate() {
        let (f, g) = objective(i, &x)?;
        let failed = !f.is_finite() || g.iter().any(|v| !v.is_finite());
        let converged = !failed && sup_norm(&g) <= options.tolerance;
        members.push(Member { x, f, g, method, converged, failed, evals: 1 });
    }
    let stop = |ms: &[Member]| match options.stopping_condition {
        StoppingCondition::ConvergedAll => ms.iter().all(Member::done),
        StoppingCondition::ConvergedAny => ms.iter().any(|m| m.converged) || ms.iter().all(|m| m.failed),
    };
    let mut iterations = 0;
    while !stop(&members) && iterations < options.max_iterations {
        iterations += 1;
        for (i, m) in members.iter_mut().enumerate() {
            if !m.done() {
                m.step(i, objective, iterations == 1, options)?;
            }
        }
    }
    let batch = &shape[..shape.len() - 1];
    let flat = |f: &dyn Fn(&Member) -> Vec<f64>| members.iter().flat_map(f).collect::<Vec<f64>>();
    let hessians: Option<Vec<f64>> = members.iter().map(|m| m.method.inverse_hessian()).collect::<Option<Vec<_>>>().map(|v| v.concat());
    Ok(OptimizerResults {
        converged: members.iter().all(|m| m.converged),
        failed: members.iter().any(|m| m.failed),
        converged_members: members.iter().map(|m| m.converged).collect(),
        failed_members: members.iter().map(|m| m.failed).collect(),
        num_iterations: iterations,
        num_objective_evaluations: members.iter().map(|m| m.evals).sum(),
        position: Tensor::from_slice(&flat(&|m| m.x.clone()), shape, dtype)?,
        objective_value: Tensor::from_slice(&flat(&|m| vec![m.f]), batch, dtype)?,
        objective_gradient: Tensor::from_slice(&flat(&|m| m.g.clone()), shape, dtype)?,
        inverse_hessian_estimate: hessians.map(|h| Tensor::from_slice(&h, &[batch, &[n, n]].concat(), dtype)).transpose()?,
    })
}

/// Minimizes `f` from `initial_position` (a vector or a batch of vectors) with the method
/// `make_method` builds for each member: the shared body of `bfgs_minimize` / `lbfgs_minimize`.
pub(crate) fn minimize_tensor(f: &dyn Fn(&Tensor) -> Result<(Tensor, Tensor)>, initial_position: &Tensor, make_method: &dyn Fn(usize) -> Result<Box<dyn Direction>>, options: &QuasiNewtonOptions) -> Result<OptimizerResults> {
    let (starts, shape, dtype) = starts_of(initial_position)?;
    let mut objective = tensor_objective(f, shape.clone(), dtype, &starts);
    run(&mut objective, starts.clone(), &shape, dtype, make_method, options)
}

/// Minimizes `loss()` over `variables` (all their entries, flattened in order) with a
/// quasi-Newton `method`; the variables end at the result's position, or at their last good
/// values if the loss fails.
pub(crate) fn run_on_variables(loss: &dyn Fn() -> Result<Tensor>, variables: &[Variable], make_method: &dyn Fn(usize) -> Result<Box<dyn Direction>>, options: &QuasiNewtonOptions) -> Result<OptimizerResults> {
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
    let n = start.len();
    let mut objective = |_: usize, x: &[f64]| -> Result<(f64, Vec<f64>)> {
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
    let result = run(&mut objective, vec![start.clone()], &[n], dtype, make_method, options);
    // The variables end where the result says, or where they started if the run failed.
    match &result {
        Ok(r) => assign(&r.position.to_vec()?)?,
        Err(_) => assign(&start)?,
    }
    result
}
