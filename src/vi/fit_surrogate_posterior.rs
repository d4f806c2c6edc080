//! `fit_surrogate_posterior`: fit a variational posterior to an unnormalized target
//! log-density by minimizing a Monte Carlo f-divergence (TFP's `tfp.vi.fit_surrogate_posterior`
//! and its stateless form).
//!
//! Each step draws fresh samples (seed `split(seed)` per step, so a fixed seed reproduces the
//! run), evaluates [`monte_carlo_variational_loss`], sums it over any batch of surrogates, and
//! takes one optimizer step through [`minimize`]: traces, convergence criteria, non-finite
//! detection (the variables keep their last good values) are minimize's. With
//! `trainable_variables: None` the trained variables are every variable the loss reads — the
//! surrogate's and any of the target's model (TFP's gradient-tape behaviour).
//!
//! TFP's page, the Normal–Normal model (posterior N(2.5, 1/√2)):
//!
//! ```
//! use probrs::bijectors::Softplus;
//! use probrs::distributions::{Distribution, Normal};
//! use probrs::optim::{trace_loss, Adam};
//! use probrs::params::{TransformedVariable, Variable};
//! use probrs::tensor::{DType, Tensor};
//! use probrs::vi::{fit_surrogate_posterior, FitOptions};
//!
//! let log_prob = |z: &Tensor, x: f64| -> probrs::Result<Tensor> {
//!     let x = z.full_like(x)?;
//!     Normal::new(0.0, 1.0)?.log_prob(z)?.add(&Normal::new(z, 1.0)?.log_prob(&x)?)
//! };
//! let q_z = Normal::new(
//!     &Variable::new(&Tensor::scalar(0.0, DType::F32)?, "q_z_loc")?,
//!     TransformedVariable::new(&Tensor::scalar(1.0, DType::F32)?, Softplus::new(), "q_z_scale")?,
//! )?;
//! let losses = fit_surrogate_posterior(|z| log_prob(z.as_tensor()?, 5.0), &q_z, &mut Adam::new(0.1),
//!                                      1000, FitOptions { seed: 42, ..Default::default() }, trace_loss)?;
//! let (m, s) = (q_z.mean()?.to_scalar()?, q_z.stddev()?.to_scalar()?);  // ≈ [2.5, 1/√2]
//! assert!((m - 2.5).abs() < 0.1 && (s - 0.5f64.sqrt()).abs() < 0.1, "{m} {s}");
//! assert_eq!(losses.trace.len(), 1000);
//! # Ok::<(), probrs::Error>(())
//! ```

use super::csiszar::Discrepancy;
use super::monte_carlo_variational_loss::{default_estimator, monte_carlo_variational_loss, GradientEstimator, VariationalLossOptions};
use crate::joint::{Structure, SurrogatePosterior};
use crate::error::{Error, Result};
use crate::optim::{minimize, MinimizeOptions, MinimizeResult, TraceableQuantities};
use crate::optim::{ConvergenceCriterion, Optimizer};
use crate::params::Variable;
use crate::random::Seed;
use crate::tensor::Tensor;

/// The options of [`fit_surrogate_posterior`], TFP's defaults by `Default`.
///
/// ```
/// use probrs::bijectors::Softplus;
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::optim::{trace_loss, Adam};
/// use probrs::params::{TransformedVariable, Variable};
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::{fit_surrogate_posterior, FitOptions, GradientEstimator, Structure};
/// let q = Normal::new(
///     Variable::new(&Tensor::scalar(0.0, DType::F32)?, "loc")?,
///     TransformedVariable::new(&Tensor::scalar(1.0, DType::F32)?, Softplus::new(), "scale")?,
/// )?;
/// let target = |z: &Structure| Normal::new(3.0, 1.0)?.log_prob(z.as_tensor()?);
/// // Ten draws per step, score-function gradients, a fixed seed.
/// let options = FitOptions { sample_size: 10, gradient_estimator: Some(GradientEstimator::ScoreFunction), seed: 5, ..FitOptions::default() };
/// let run = fit_surrogate_posterior(target, &q, &mut Adam::new(0.1), 300, options, trace_loss)?;
/// assert!((q.mean()?.to_scalar()? - 3.0).abs() < 0.3);
/// assert_eq!(run.trace.len(), 300);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct FitOptions {
    /// Monte Carlo draws per step (default 1).
    pub sample_size: usize,
    /// Importance-weighted bound terms per draw (default 1).
    pub importance_sample_size: usize,
    /// The Csiszar function (TFP's `discrepancy_fn`; default `kl_reverse`, the negative ELBO).
    pub discrepancy_fn: Discrepancy,
    /// `None`: reparameterization when the surrogate is fully reparameterized, else score function.
    pub gradient_estimator: Option<GradientEstimator>,
    /// Stop early when it reports convergence.
    pub convergence_criterion: Option<Box<dyn ConvergenceCriterion>>,
    /// `None`: every variable the loss reads (surrogate and model).
    pub trainable_variables: Option<Vec<Variable>>,
    /// The run's seed; step `i` uses its `i`-th split (default 0).
    pub seed: u64,
    /// Pad the trace to `num_steps` entries after early convergence.
    pub return_full_length_trace: bool,
    /// Called after every step (see [`crate::progress`]).
    pub progress: Option<crate::progress::ProgressFn>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            sample_size: 1,
            importance_sample_size: 1,
            discrepancy_fn: Discrepancy::kl_reverse(),
            gradient_estimator: None,
            convergence_criterion: None,
            trainable_variables: None,
            seed: 0,
            return_full_length_trace: false,
            progress: None,
        }
    }
}

impl FitOptions {
    fn split(self) -> (VariationalLossOptions, MinimizeOptions, u64) {
        let loss = VariationalLossOptions {
            sample_size: self.sample_size,
            importance_sample_size: self.importance_sample_size,
            discrepancy_fn: self.discrepancy_fn,
            gradient_estimator: self.gradient_estimator,
        };
        let min = MinimizeOptions {
            convergence_criterion: self.convergence_criterion,
            trainable_variables: self.trainable_variables,
            return_full_length_trace: self.return_full_length_trace,
            progress: self.progress,
        };
        (loss, min, self.seed)
    }
}

/// The loss summed over any batch of surrogates (no extra node when it is already a scalar).
fn sum_batch(loss: Tensor) -> Result<Tensor> {
    if loss.rank() == 0 {
        Ok(loss)
    } else {
        loss.sum_all()
    }
}

/// Per-step seeds: step `i` draws with the `i`-th split of the run's seed.
fn step_seeds(seed: u64, num_steps: usize) -> Vec<Seed> {
    Seed::new(seed).split(num_steps.max(1))
}

/// Fits `surrogate_posterior` to `target_log_prob_fn` for `num_steps` optimizer steps and
/// returns the trace of `trace_fn` (one entry per step).
///
/// ```
/// use probrs::bijectors::Softplus;
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::optim::{trace_loss, Adam};
/// use probrs::params::{TransformedVariable, Variable};
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::{fit_surrogate_posterior, FitOptions, Structure};
/// // Page 003: z ~ N(0, 1), x ~ N(z, 1), x = 5 observed; the posterior is N(2.5, 1/√2).
/// let q_z = Normal::new(
///     Variable::new(&Tensor::scalar(0.0, DType::F32)?, "loc")?,
///     TransformedVariable::new(&Tensor::scalar(1.0, DType::F32)?, Softplus::new(), "scale")?,
/// )?;
/// let x = Tensor::scalar(5.0, DType::F32)?;
/// let target = |z: &Structure| {
///     let z = z.as_tensor()?;
///     Normal::new(0.0, 1.0)?.log_prob(z)?.add(&Normal::new(z, 1.0)?.log_prob(&x)?)
/// };
/// // Twenty draws per step keep the Monte Carlo noise of the final values small.
/// let options = FitOptions { sample_size: 20, ..FitOptions::default() };
/// let run = fit_surrogate_posterior(target, &q_z, &mut Adam::new(0.1), 1000, options, trace_loss)?;
/// assert!((q_z.mean()?.to_scalar()? - 2.5).abs() < 0.1);
/// assert!((q_z.stddev()?.to_scalar()? - 0.5f64.sqrt()).abs() < 0.1);
/// assert!(run.trace[999] < run.trace[0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn fit_surrogate_posterior<S, T>(
    target_log_prob_fn: impl Fn(&Structure) -> Result<Tensor>,
    surrogate_posterior: &S,
    optimizer: &mut dyn Optimizer,
    num_steps: usize,
    options: FitOptions,
    trace_fn: impl FnMut(&TraceableQuantities) -> T,
) -> Result<MinimizeResult<T>>
where
    S: SurrogatePosterior + ?Sized,
    T: Clone,
{
    let (mut loss_opts, min_opts, seed) = options.split();
    // Decide the default estimator once, not at every step (a joint surrogate would run its
    // model again just to answer).
    loss_opts.gradient_estimator.get_or_insert_with(|| default_estimator(surrogate_posterior));
    let seeds = step_seeds(seed, num_steps);
    let mut step = 0usize;
    let target: &dyn Fn(&Structure) -> Result<Tensor> = &target_log_prob_fn;
    minimize(
        || {
            let s = seeds[step.min(seeds.len() - 1)];
            step += 1;
            sum_batch(monte_carlo_variational_loss(target, surrogate_posterior, &loss_opts, s)?)
        },
        num_steps,
        optimizer,
        min_opts,
        trace_fn,
    )
    .map_err(|e| match e {
        Error::InvalidParameter { name, reason } if name == "loss_fn" => {
            Error::invalid_parameter("surrogate_posterior", format!("{reason}: give the surrogate trainable variables (Variable, TransformedVariable or DeferredTensor parameters)"))
        }
        other => other,
    })
}

/// The stateless form: the surrogate is rebuilt each step by `build_surrogate_posterior` from
/// the current parameter values (started at `initial_parameters`); returns the fitted
/// parameters and the trace (TFP's `fit_surrogate_posterior_stateless`).
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::optim::{trace_loss, Adam};
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::{fit_surrogate_posterior_stateless, FitOptions, Structure};
/// // The surrogate is rebuilt from plain tensors (loc, unconstrained scale) at every step.
/// let build = |p: &[Tensor]| Normal::new(&p[0], p[1].softplus()?);
/// let init = [Tensor::scalar(0.0, DType::F32)?, Tensor::scalar(0.0, DType::F32)?];
/// let target = |z: &Structure| Normal::new(-2.0, 0.5)?.log_prob(z.as_tensor()?);
/// let options = FitOptions { sample_size: 20, ..FitOptions::default() };
/// let (params, run) = fit_surrogate_posterior_stateless(target, build, &init, &mut Adam::new(0.05), 800, options, trace_loss)?;
/// assert!((params[0].to_scalar()? + 2.0).abs() < 0.1);
/// assert!((params[1].softplus()?.to_scalar()? - 0.5).abs() < 0.1);
/// assert_eq!(run.trace.len(), 800);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn fit_surrogate_posterior_stateless<B, Q, T>(
    target_log_prob_fn: impl Fn(&Structure) -> Result<Tensor>,
    build_surrogate_posterior: B,
    initial_parameters: &[Tensor],
    optimizer: &mut dyn Optimizer,
    num_steps: usize,
    options: FitOptions,
    trace_fn: impl FnMut(&TraceableQuantities) -> T,
) -> Result<(Vec<Tensor>, MinimizeResult<T>)>
where
    B: Fn(&[Tensor]) -> Result<Q>,
    Q: SurrogatePosterior,
    T: Clone,
{
    let vars: Vec<Variable> = initial_parameters.iter().enumerate().map(|(i, t)| Variable::new(t, format!("param_{i}"))).collect::<Result<_>>()?;
    let (loss_opts, mut min_opts, seed) = options.split();
    let seeds = step_seeds(seed, num_steps);
    if min_opts.trainable_variables.is_none() {
        min_opts.trainable_variables = Some(vars.clone());
    }
    let mut step = 0usize;
    let target: &dyn Fn(&Structure) -> Result<Tensor> = &target_log_prob_fn;
    let result = minimize(
        || {
            let values: Vec<Tensor> = vars.iter().map(|v| v.value()).collect();
            let q = build_surrogate_posterior(&values)?;
            let s = seeds[step.min(seeds.len() - 1)];
            step += 1;
            sum_batch(monte_carlo_variational_loss(target, &q, &loss_opts, s)?)
        },
        num_steps,
        optimizer,
        min_opts,
        trace_fn,
    )?;
    Ok((vars.iter().map(|v| v.numpy()).collect(), result))
}
