//! The transition-kernel interface, as TFP's `tfp.mcmc.TransitionKernel`, and what kernels
//! share: a state is a [`Structure`] of tensors whose leading dimensions index independent
//! chains; a target log-density returns one value per chain.
//!
//! A kernel turns `(current_state, previous_kernel_results, seed)` into the next state and its
//! results; `bootstrap_results` makes the first results from an initial state. Results are
//! typed structs that `trace_fn` reads. A kernel written by a user implements the trait and
//! works with every wrapper and with [`sample_chain`](super::sample_chain).

use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::random::Seed;
use crate::tensor::{Mask, Tensor};

/// A target log-density: one value per chain (the state's leading dimensions).
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::TargetLogProbFn;
/// use std::sync::Arc;
/// // N(0, 1) per coordinate, summed over the event dimension of a `[chains, d]` state.
/// let target: Arc<TargetLogProbFn> = Arc::new(|s: &Structure| s.as_tensor()?.square()?.sum_axes(&[1], false)?.mul_scalar(-0.5));
/// # let _ = target;
/// ```
pub type TargetLogProbFn = dyn Fn(&Structure) -> Result<Tensor> + Send + Sync;

/// TFP's `TransitionKernel`: one Markov step, and the results that seed the first one.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::TransitionKernel;
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// // A kernel of one's own: a deterministic drift, calibrated for nothing.
/// struct Drift;
/// impl TransitionKernel for Drift {
///     type Results = usize; // steps taken
///     fn one_step(&self, state: &Structure, steps: &usize, _seed: Seed) -> probrs::Result<(Structure, usize)> {
///         Ok((state.try_map(|t| t.add_scalar(1.0))?, steps + 1))
///     }
///     fn bootstrap_results(&self, _state: &Structure) -> probrs::Result<usize> {
///         Ok(0)
///     }
///     fn is_calibrated(&self) -> bool {
///         false
///     }
/// }
/// let (s, n) = Drift.one_step(&Structure::Tensor(Tensor::zeros(&[2], DType::F64)?), &0, Seed::new(0))?;
/// assert_eq!((s.as_tensor()?.to_vec()?, n), (vec![1.0, 1.0], 1));
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait TransitionKernel {
    /// What a step reports (TFP's kernel results).
    type Results: Clone;
    /// One step from `current_state` with the results of the step that produced it.
    fn one_step(&self, current_state: &Structure, previous_kernel_results: &Self::Results, seed: Seed) -> Result<(Structure, Self::Results)>;
    /// The results an initial state starts from.
    fn bootstrap_results(&self, init_state: &Structure) -> Result<Self::Results>;
    /// Whether the kernel leaves the target invariant on its own (false for proposals that
    /// need a Metropolis–Hastings correction).
    fn is_calibrated(&self) -> bool;
}

/// What an uncalibrated proposal reports to [`MetropolisHastings`](super::MetropolisHastings):
/// the target at the proposed state and the log of the proposal's asymmetry correction.
///
/// ```
/// use probrs::mcmc::{ProposalResults, UncalibratedRandomWalkResults};
/// use probrs::tensor::{DType, Tensor};
/// let current = UncalibratedRandomWalkResults { log_acceptance_correction: Tensor::zeros(&[2], DType::F64)?, target_log_prob: Tensor::vector(&[-1.0, -2.0], DType::F64)? };
/// let proposed = UncalibratedRandomWalkResults { log_acceptance_correction: Tensor::zeros(&[2], DType::F64)?, target_log_prob: Tensor::vector(&[-0.5, -9.0], DType::F64)? };
/// // Chain 0 accepts, chain 1 keeps its state.
/// let accept = Tensor::vector(&[1.0, 0.0], DType::F64)?.gt_scalar(0.5)?;
/// let next = UncalibratedRandomWalkResults::choose(&accept, &proposed, &current)?;
/// assert_eq!(next.target_log_prob().to_vec()?, vec![-0.5, -2.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait ProposalResults: Clone {
    /// The target log-density at the state these results belong to (one value per chain).
    fn target_log_prob(&self) -> &Tensor;
    /// `log q(current | proposed) − log q(proposed | current)` (zero for symmetric proposals).
    fn log_acceptance_correction(&self) -> &Tensor;
    /// Per chain, `proposed` where `accept` is set, else `current`.
    fn choose(accept: &Mask, proposed: &Self, current: &Self) -> Result<Self>;
}

/// Per chain, `a` where `mask` is set, else `b`; the mask has the chains' shape and is
/// broadcast over each tensor's trailing (event) dimensions, as TFP's `choose`.
pub(crate) fn choose_tensor(mask: &Mask, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let m = Tensor::where_(mask, &Tensor::scalar(1.0, a.dtype())?, &Tensor::scalar(0.0, a.dtype())?)?;
    let mut shape = m.shape().to_vec();
    while shape.len() < a.rank() {
        shape.push(1);
    }
    Tensor::where_(&m.reshape(&shape)?.gt_scalar(0.5)?, a, b)
}

/// Per chain, the parts of `a` where `mask` is set, else those of `b`.
pub(crate) fn choose_structure(mask: &Mask, a: &Structure, b: &Structure) -> Result<Structure> {
    let bs = b.tensors();
    if bs.len() != a.len() {
        return Err(Error::invalid_parameter("state", format!("{} vs {}", a.describe(), b.describe())));
    }
    let mut i = 0;
    a.try_map(|t| {
        let r = choose_tensor(mask, t, bs[i]);
        i += 1;
        r
    })
}

/// The target at `state`, checked: one value per chain (the leading dimensions of every state
/// part) and, at an initial state, finite.
pub(crate) fn target_at(target: &TargetLogProbFn, state: &Structure, initial: bool) -> Result<Tensor> {
    let lp = target(state)?;
    for (k, part) in state.tensors().iter().enumerate() {
        if part.rank() < lp.rank() || part.shape()[..lp.rank()] != *lp.shape() {
            return Err(Error::ShapeMismatch { context: format!("target_log_prob_fn output vs state part {k} (chains lead every part)"), lhs: lp.shape().to_vec(), rhs: part.shape().to_vec() });
        }
    }
    if initial {
        if let Some((chain, v)) = lp.to_vec()?.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::BadInput { location: format!("initial state, chain {chain}"), reason: format!("the target log-density is {v} ({})", state.describe()) });
        }
    }
    Ok(lp)
}

/// The target and its gradient at `state`, one gradient per part.
pub(crate) fn value_and_gradients(target: &TargetLogProbFn, state: &Structure, initial: bool) -> Result<(Structure, Tensor, Vec<Tensor>)> {
    let tracked = state.try_map(|t| t.tracked())?;
    let lp = target_at(target, &tracked, initial)?;
    let parts = tracked.tensors();
    let grads = lp.sum_all()?.grad(&parts)?;
    let grads = grads.into_iter().zip(&parts).map(|(g, p)| g.map_or_else(|| p.zeros_like(), Ok)).collect::<Result<Vec<_>>>()?;
    Ok((tracked.try_map(|t| Ok(t.detach()))?, lp.detach(), grads.into_iter().map(|g| g.detach()).collect()))
}

/// Step sizes are positive and finite (a typed error on `step_size` otherwise).
pub(crate) fn check_step_size(step_size: &[f64]) -> Result<()> {
    if step_size.is_empty() || step_size.iter().any(|e| !(*e > 0.0 && e.is_finite())) {
        return Err(Error::invalid_parameter("step_size", format!("must be positive and finite, got {step_size:?}")));
    }
    Ok(())
}

/// One checked step size for each of `n` state parts: a single one serves every part.
pub(crate) fn step_size_per_part(step_size: &[f64], n: usize) -> Result<Vec<f64>> {
    check_step_size(step_size)?;
    match step_size.len() {
        1 => Ok(vec![step_size[0]; n]),
        k if k == n => Ok(step_size.to_vec()),
        k => Err(Error::invalid_parameter("step_size", format!("{k} step sizes for a state of {n} parts"))),
    }
}
