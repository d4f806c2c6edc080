//! `minimize`: run an optimizer on a loss, with traces and convergence criteria
//! (TFP's `tfp.math.minimize`).
//!
//! Each step computes the loss, its gradients with respect to the trainable variables, applies
//! the optimizer, and records `trace_fn` of the [`TraceableQuantities`] (the loss traced at step
//! `i` is the one computed *before* update `i`, as TFP). With a convergence criterion, the run
//! stops once it reports convergence. If the loss or a gradient turns non-finite, `minimize`
//! returns [`Error::NonFinite`] naming the step (and the variable) and every variable keeps its
//! last finite value.
//!
//! With `trainable_variables: None`, the variables are the ones the loss depends on, found in
//! the autodiff graph (as TF's gradient tape watches accessed variables).
//!
//! ```
//! use probrs::distributions::{Distribution, Normal};
//! use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
//! use probrs::params::MakeTrainable;
//! use probrs::tensor::{DType, Tensor};
//! let x = Tensor::vector(&[4.57, 6.37, 5.93, 7.98, 2.03, 3.59, 8.55, 3.45, 5.06, 6.44], DType::F32)?;
//! let model: Normal = MakeTrainable::new().initial_value("loc", 0.0).initial_value("scale", 1.0).build()?;
//! let r = minimize(|| model.log_prob(&x)?.sum_all()?.neg(), 200, &mut Adam::new(0.1),
//!                  MinimizeOptions::default(), trace_loss)?;
//! assert!((r.trace[199] - 21.3573).abs() < 1e-3);
//! # Ok::<(), probrs::Error>(())
//! ```

use crate::error::{Error, Result};
use super::{ConvergenceCriterion, Optimizer};
use crate::variables::{variables_and_gradients, Variable};
use crate::tensor::Tensor;

/// What `trace_fn` may look at after each step.
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::optim::{minimize, Adam, MinimizeOptions, TraceableQuantities};
/// use probrs::params::MakeTrainable;
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::vector(&[1.0, 2.0, 3.0], DType::F32)?;
/// let model: Normal = MakeTrainable::new().seed(1).build()?;
/// // Trace the loss and the first parameter's (unconstrained) value at each step.
/// let run = minimize(|| model.log_prob(&x)?.sum_all()?.neg(), 20, &mut Adam::new(0.1), MinimizeOptions::default(),
///     |q: &TraceableQuantities| (q.loss_value, q.parameters[0].to_vec().unwrap()[0]))?;
/// assert_eq!(run.trace.len(), 20);
/// assert!(run.trace[19].0 < run.trace[0].0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct TraceableQuantities<'a> {
    /// 0-based step.
    pub step: usize,
    /// The loss before this step's update.
    pub loss: &'a Tensor,
    /// The loss as a number.
    pub loss_value: f64,
    /// Gradients, one per trainable variable.
    pub gradients: &'a [Tensor],
    /// Parameter values after the update, one per trainable variable.
    pub parameters: &'a [Tensor],
    /// The trainable variables.
    pub variables: &'a [Variable],
    /// Whether the convergence criterion reported convergence at this step.
    pub has_converged: bool,
    /// The convergence criterion's state, if one is used.
    pub convergence_criterion_state: Vec<(&'static str, f64)>,
}

/// The default `trace_fn`: the loss.
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::optim::{minimize, trace_loss, Sgd, MinimizeOptions};
/// use probrs::params::MakeTrainable;
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::vector(&[0.5], DType::F32)?;
/// let model: Normal = MakeTrainable::new().fixed("scale", 1.0).initial_value("loc", 0.0).build()?;
/// let run = minimize(|| model.log_prob(&x)?.sum_all()?.neg(), 2, &mut Sgd::new(0.5), MinimizeOptions::default(), trace_loss)?;
/// // The losses before each step: ½ (0.5 − 0)² + ½ log 2π, then with loc = 0.25.
/// let c = 0.5 * (2.0 * std::f64::consts::PI).ln();
/// assert!((run.trace[0] - (0.125 + c)).abs() < 1e-6 && (run.trace[1] - (0.03125 + c)).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn trace_loss(q: &TraceableQuantities) -> f64 {
    q.loss_value
}

/// Options of [`minimize`].
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::optim::{minimize, trace_loss, Adam, LossNotDecreasing, MinimizeOptions};
/// use probrs::params::MakeTrainable;
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::vector(&[1.0, 2.0, 3.0], DType::F32)?;
/// let model: Normal = MakeTrainable::new().seed(2).build()?;
/// let options = MinimizeOptions {
///     convergence_criterion: Some(Box::new(LossNotDecreasing::with_atol(1e-3))),
///     return_full_length_trace: true,
///     ..Default::default()
/// };
/// let run = minimize(|| model.log_prob(&x)?.sum_all()?.neg(), 2000, &mut Adam::new(0.1), options, trace_loss)?;
/// assert!(run.converged && run.num_steps_run < 2000);
/// assert_eq!(run.trace.len(), 2000); // padded with the last loss
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Default)]
pub struct MinimizeOptions {
    /// Stop early when it reports convergence.
    pub convergence_criterion: Option<Box<dyn ConvergenceCriterion>>,
    /// The variables to optimize; `None` = every variable the loss depends on.
    pub trainable_variables: Option<Vec<Variable>>,
    /// Pad the trace to `num_steps` entries (repeating the last) after early convergence.
    pub return_full_length_trace: bool,
    /// Called after every step with the step, its loss and the time so far (see
    /// [`crate::progress`]; `ProgressBar::callback` draws a terminal bar).
    pub progress: Option<crate::progress::ProgressFn>,
}

/// The outcome of [`minimize`].
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
/// use probrs::params::MakeTrainable;
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::vector(&[1.0, 2.0, 3.0], DType::F32)?;
/// let model: Normal = MakeTrainable::new().seed(2).build()?;
/// let run = minimize(|| model.log_prob(&x)?.sum_all()?.neg(), 10, &mut Adam::new(0.1), MinimizeOptions::default(), trace_loss)?;
/// assert_eq!((run.trace.len(), run.num_steps_run, run.converged), (10, 10, false));
/// assert_eq!(run.variables.len(), 2); // loc and scale's stored values
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MinimizeResult<T> {
    /// One `trace_fn` value per step run (or `num_steps` with `return_full_length_trace`).
    pub trace: Vec<T>,
    /// Steps actually run.
    pub num_steps_run: usize,
    /// Whether the convergence criterion stopped the run early.
    pub converged: bool,
    /// The variables that were optimized.
    pub variables: Vec<Variable>,
}

fn gradients(loss: &Tensor, vars: &[Variable]) -> Result<Vec<Tensor>> {
    let store = loss.as_candle().backward()?;
    vars.iter()
        .map(|v| {
            store.get(v.value().as_candle()).map(|g| Tensor(g.clone())).ok_or_else(|| Error::NoGradient { variable: v.name().into() })
        })
        .collect()
}

/// Minimizes `loss_fn()` for `num_steps` steps of `optimizer`; returns the trace.
///
/// ```
/// use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// // Minimize (x − 3)² over a plain variable.
/// let x = Variable::new(&Tensor::scalar(0.0, DType::F64)?, "x")?;
/// let run = minimize(|| x.value().add_scalar(-3.0)?.square(), 500, &mut Adam::new(0.1), MinimizeOptions::default(), trace_loss)?;
/// assert!((x.numpy().to_scalar()? - 3.0).abs() < 1e-3);
/// assert!(run.trace[499] < 1e-5);
/// // A non-finite loss stops the run with an error naming the step; x keeps its last good value.
/// let err = minimize(|| x.value().log()?.mul_scalar(f64::NAN), 5, &mut Adam::new(0.1), MinimizeOptions::default(), trace_loss).unwrap_err();
/// assert!(err.to_string().contains("step 0"));
/// assert!((x.numpy().to_scalar()? - 3.0).abs() < 1e-3);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn minimize<T: Clone>(
    mut loss_fn: impl FnMut() -> Result<Tensor>,
    num_steps: usize,
    optimizer: &mut dyn Optimizer,
    mut options: MinimizeOptions,
    mut trace_fn: impl FnMut(&TraceableQuantities) -> T,
) -> Result<MinimizeResult<T>> {
    let mut vars = options.trainable_variables.take();
    let mut trace = Vec::with_capacity(num_steps);
    let mut converged = false;
    let mut steps_run = 0;
    let started = std::time::Instant::now();
    for step in 0..num_steps {
        let loss = loss_fn()?;
        if loss.elem_count() != 1 {
            return Err(Error::invalid_shape("loss", loss.shape(), "minimize needs a scalar loss"));
        }
        let loss_value = loss.to_scalar()?;
        if !loss_value.is_finite() {
            return Err(Error::NonFinite { what: format!("loss ({loss_value})"), step, variable: None });
        }
        let grads = match &vars {
            Some(v) => gradients(&loss, v)?,
            None => {
                let (v, g) = variables_and_gradients(&loss)?;
                if v.is_empty() {
                    return Err(Error::invalid_parameter("loss_fn", "the loss depends on no variable"));
                }
                vars = Some(v);
                g
            }
        };
        let vs = vars.as_ref().expect("set above");
        for (g, v) in grads.iter().zip(vs) {
            if !g.all_finite()? {
                return Err(Error::NonFinite { what: "gradient".into(), step, variable: Some(v.name().into()) });
            }
        }
        let pairs: Vec<(Tensor, Variable)> = grads.iter().cloned().zip(vs.iter().cloned()).collect();
        optimizer.apply_gradients(&pairs).map_err(|e| match e {
            Error::NonFinite { what, variable, .. } => Error::NonFinite { what, step, variable },
            other => other,
        })?;
        let params: Vec<Tensor> = vs.iter().map(|v| v.numpy()).collect();
        if let Some(c) = options.convergence_criterion.as_mut() {
            if step == 0 {
                c.bootstrap(loss_value, &grads, &params)?;
            } else {
                converged = c.one_step(step, loss_value, &grads, &params)? && step >= c.min_num_steps();
            }
        }
        let q = TraceableQuantities {
            step,
            loss: &loss,
            loss_value,
            gradients: &grads,
            parameters: &params,
            variables: vs,
            has_converged: converged,
            convergence_criterion_state: options.convergence_criterion.as_ref().map(|c| c.state()).unwrap_or_default(),
        };
        trace.push(trace_fn(&q));
        steps_run = step + 1;
        if let Some(report) = options.progress.as_mut() {
            report(&crate::progress::Progress { step: steps_run, num_steps, loss: Some(loss_value), elapsed: started.elapsed(), metrics: vec![] });
        }
        if converged {
            break;
        }
    }
    if options.return_full_length_trace {
        if let Some(last) = trace.last().cloned() {
            trace.resize(num_steps, last);
        }
    }
    Ok(MinimizeResult { trace, num_steps_run: steps_run, converged, variables: vars.unwrap_or_default() })
}
