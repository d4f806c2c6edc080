//! Hamiltonian Monte Carlo: TFP's `UncalibratedHamiltonianMonteCarlo` and
//! `HamiltonianMonteCarlo` (the same corrected by [`MetropolisHastings`]).
//!
//! With momentum `p ~ N(0, I)` (unit mass) and `U(x) = −log π(x)`, `num_leapfrog_steps` steps of
//! the leapfrog integrator with step size `ε` (one per state part)
//!
//! ```text
//! p ← p + ε/2 ∇log π(x);   repeat L times: x ← x + ε p;  p ← p + ε ∇log π(x)  (ε/2 on the last)
//! ```
//!
//! propose `(x′, p′)`; the acceptance correction is the change of kinetic energy,
//! `½Σp² − ½Σp′²` per chain, so that Metropolis–Hastings accepts with `min(1, exp(−ΔH))`.
//! Gradients come from autodiff of the target (summed over chains, which are independent).
//! A proposal whose target or gradient is not finite is rejected, never a panic.

use super::kernel::{choose_tensor, target_at, ProposalResults, TargetLogProbFn, TransitionKernel};
use super::metropolis_hastings::{MetropolisHastings, MetropolisHastingsResults};
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::random::{self, Seed};
use crate::tensor::{Mask, Tensor};
use std::sync::Arc;

/// TFP's `UncalibratedHamiltonianMonteCarlo`: the leapfrog proposal, not calibrated on its own.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{TransitionKernel, UncalibratedHamiltonianMonteCarlo};
/// let k = UncalibratedHamiltonianMonteCarlo::new(|s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5), vec![0.1], 10)?;
/// assert!(!k.is_calibrated());
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct UncalibratedHamiltonianMonteCarlo {
    target: Arc<TargetLogProbFn>,
    step_size: Vec<f64>,
    num_leapfrog_steps: usize,
}

/// TFP's `UncalibratedHamiltonianMonteCarloKernelResults`.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{TransitionKernel, UncalibratedHamiltonianMonteCarlo};
/// use probrs::tensor::{DType, Tensor};
/// let k = UncalibratedHamiltonianMonteCarlo::new(|s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5), vec![0.1], 10)?;
/// let r = k.bootstrap_results(&Structure::Tensor(Tensor::vector(&[2.0], DType::F64)?))?;
/// assert_eq!(r.target_log_prob.to_vec()?, vec![-2.0]);
/// assert_eq!(r.grads_target_log_prob[0].to_vec()?, vec![-2.0]); // d/dx of −x²/2
/// assert_eq!((r.step_size.clone(), r.num_leapfrog_steps), (vec![0.1], 10));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct UncalibratedHamiltonianMonteCarloResults {
    /// `½Σp² − ½Σp′²` per chain (zero at bootstrap).
    pub log_acceptance_correction: Tensor,
    /// The target at the state these results belong to.
    pub target_log_prob: Tensor,
    /// Its gradient, one tensor per state part.
    pub grads_target_log_prob: Vec<Tensor>,
    /// The step size per state part.
    pub step_size: Vec<f64>,
    /// Leapfrog steps per proposal.
    pub num_leapfrog_steps: usize,
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

impl UncalibratedHamiltonianMonteCarlo {
    /// HMC on `target_log_prob_fn` with `step_size` (one for every state part, or one per part)
    /// and `num_leapfrog_steps` leapfrog steps per proposal.
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::UncalibratedHamiltonianMonteCarlo;
    /// let target = |s: &Structure| s.as_tensor()?.neg();
    /// assert!(UncalibratedHamiltonianMonteCarlo::new(target, vec![0.0], 3).is_err()); // step sizes are positive
    /// assert!(UncalibratedHamiltonianMonteCarlo::new(target, vec![0.1], 0).is_err()); // at least one leapfrog step
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(target_log_prob_fn: impl Fn(&Structure) -> Result<Tensor> + Send + Sync + 'static, step_size: Vec<f64>, num_leapfrog_steps: usize) -> Result<Self> {
        if step_size.is_empty() || step_size.iter().any(|e| !(*e > 0.0 && e.is_finite())) {
            return Err(Error::invalid_parameter("step_size", format!("must be positive and finite, got {step_size:?}")));
        }
        if num_leapfrog_steps == 0 {
            return Err(Error::invalid_parameter("num_leapfrog_steps", "must be at least 1"));
        }
        Ok(UncalibratedHamiltonianMonteCarlo { target: Arc::new(target_log_prob_fn), step_size, num_leapfrog_steps })
    }
    /// The step size of each of `n` state parts.
    fn step_sizes(&self, n: usize) -> Result<Vec<f64>> {
        match self.step_size.len() {
            1 => Ok(vec![self.step_size[0]; n]),
            k if k == n => Ok(self.step_size.clone()),
            k => Err(Error::invalid_parameter("step_size", format!("{k} step sizes for a state of {n} parts"))),
        }
    }
    /// `num_leapfrog_steps` leapfrog steps from `(x, p)` with the gradient `g` at `x`: the
    /// final position, momentum, target and gradient.
    pub(crate) fn leapfrog(&self, x: &Structure, p: &[Tensor], g: &[Tensor], eps: &[f64]) -> Result<(Structure, Vec<Tensor>, Tensor, Vec<Tensor>)> {
        let half = |p: &[Tensor], g: &[Tensor], scale: f64| -> Result<Vec<Tensor>> { p.iter().zip(g).zip(eps).map(|((p, g), e)| p.add(&g.mul_scalar(scale * e)?)).collect() };
        let mut p = half(p, g, 0.5)?;
        let mut x = x.clone();
        let mut lp;
        let mut g;
        let mut step = 0;
        loop {
            let mut k = 0;
            x = x.try_map(|t| {
                let r = t.add(&p[k].mul_scalar(eps[k])?);
                k += 1;
                r
            })?;
            let (_, l, gr) = value_and_gradients(self.target.as_ref(), &x, false)?;
            lp = l;
            g = gr;
            step += 1;
            if step == self.num_leapfrog_steps {
                p = half(&p, &g, 0.5)?;
                break;
            }
            p = half(&p, &g, 1.0)?;
        }
        Ok((x, p, lp, g))
    }
}

/// ½ Σ p² per chain: each momentum summed over its dimensions after the chains' (`chain_rank`
/// leading dimensions).
fn kinetic_energy(p: &[Tensor], chain_rank: usize) -> Result<Tensor> {
    let mut total: Option<Tensor> = None;
    for part in p {
        let sq = part.square()?;
        let k = sq.rank() - chain_rank;
        let e = if k == 0 { sq } else { sq.sum_last(k)? };
        total = Some(match total {
            None => e,
            Some(t) => t.add(&e)?,
        });
    }
    total.ok_or_else(|| Error::invalid_parameter("state", "has no parts"))?.mul_scalar(0.5)
}

impl ProposalResults for UncalibratedHamiltonianMonteCarloResults {
    fn target_log_prob(&self) -> &Tensor {
        &self.target_log_prob
    }
    fn log_acceptance_correction(&self) -> &Tensor {
        &self.log_acceptance_correction
    }
    fn choose(accept: &Mask, proposed: &Self, current: &Self) -> Result<Self> {
        Ok(UncalibratedHamiltonianMonteCarloResults {
            log_acceptance_correction: choose_tensor(accept, &proposed.log_acceptance_correction, &current.log_acceptance_correction)?,
            target_log_prob: choose_tensor(accept, &proposed.target_log_prob, &current.target_log_prob)?,
            grads_target_log_prob: proposed.grads_target_log_prob.iter().zip(&current.grads_target_log_prob).map(|(a, b)| choose_tensor(accept, a, b)).collect::<Result<_>>()?,
            step_size: current.step_size.clone(),
            num_leapfrog_steps: current.num_leapfrog_steps,
        })
    }
}

impl TransitionKernel for UncalibratedHamiltonianMonteCarlo {
    type Results = UncalibratedHamiltonianMonteCarloResults;

    fn one_step(&self, current_state: &Structure, previous: &Self::Results, seed: Seed) -> Result<(Structure, Self::Results)> {
        let parts = current_state.tensors();
        // The step size lives in the results, so that adaptation can change it between steps.
        let eps = previous.step_size.clone();
        if eps.len() != parts.len() {
            return Err(Error::invalid_parameter("step_size", format!("{} step sizes for a state of {} parts", eps.len(), parts.len())));
        }
        let seeds = seed.split(parts.len());
        let p0: Vec<Tensor> = parts.iter().zip(&seeds).map(|(t, s)| random::normal(t.shape(), t.dtype(), *s)).collect::<Result<_>>()?;
        let chain_rank = previous.target_log_prob.rank();
        let (x1, p1, lp1, g1) = self.leapfrog(current_state, &p0, &previous.grads_target_log_prob, &eps)?;
        let correction = kinetic_energy(&p0, chain_rank)?.sub(&kinetic_energy(&p1, chain_rank)?)?;
        Ok((x1, UncalibratedHamiltonianMonteCarloResults { log_acceptance_correction: correction, target_log_prob: lp1, grads_target_log_prob: g1, step_size: eps, num_leapfrog_steps: self.num_leapfrog_steps }))
    }

    fn bootstrap_results(&self, init_state: &Structure) -> Result<Self::Results> {
        let eps = self.step_sizes(init_state.len())?;
        let (_, lp, grads) = value_and_gradients(self.target.as_ref(), init_state, true)?;
        Ok(UncalibratedHamiltonianMonteCarloResults { log_acceptance_correction: lp.zeros_like()?, target_log_prob: lp, grads_target_log_prob: grads, step_size: eps, num_leapfrog_steps: self.num_leapfrog_steps })
    }

    fn is_calibrated(&self) -> bool {
        false
    }
}

/// TFP's `HamiltonianMonteCarlo`: [`UncalibratedHamiltonianMonteCarlo`] corrected by
/// [`MetropolisHastings`].
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{sample_chain, HamiltonianMonteCarlo, SampleChainOptions};
/// use probrs::tensor::{DType, Tensor};
/// // N(0, 1), 4 chains, step size 0.5, 4 leapfrog steps.
/// let k = HamiltonianMonteCarlo::new(|s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5), vec![0.5], 4)?;
/// let run = sample_chain(1000, &Structure::Tensor(Tensor::zeros(&[4], DType::F64)?), None, &k, &SampleChainOptions::default(), |_, _| ())?;
/// let v = run.all_states.as_tensor()?.to_vec()?;
/// let var = v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64;
/// assert!((var - 1.0).abs() < 0.15);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct HamiltonianMonteCarlo(MetropolisHastings<UncalibratedHamiltonianMonteCarlo>);

impl HamiltonianMonteCarlo {
    /// HMC with `step_size` (one, or one per state part) and `num_leapfrog_steps`.
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{HamiltonianMonteCarlo, TransitionKernel};
    /// let k = HamiltonianMonteCarlo::new(|s: &Structure| s.as_tensor()?.square()?.neg(), vec![0.1, 0.2], 5)?;
    /// assert!(k.is_calibrated());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(target_log_prob_fn: impl Fn(&Structure) -> Result<Tensor> + Send + Sync + 'static, step_size: Vec<f64>, num_leapfrog_steps: usize) -> Result<Self> {
        Ok(HamiltonianMonteCarlo(MetropolisHastings::new(UncalibratedHamiltonianMonteCarlo::new(target_log_prob_fn, step_size, num_leapfrog_steps)?)))
    }
    /// The leapfrog integrator alone, `num_leapfrog_steps` steps from `(state, momentum)`:
    /// the final state, momentum and target (for checks of reversibility and energy).
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::HamiltonianMonteCarlo;
    /// use probrs::tensor::{DType, Tensor};
    /// let k = HamiltonianMonteCarlo::new(|s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5), vec![0.1], 20)?;
    /// let x = Structure::Tensor(Tensor::vector(&[1.0], DType::F64)?);
    /// let (x1, p1, _) = k.leapfrog(&x, &[Tensor::vector(&[0.5], DType::F64)?])?;
    /// // Back with the momentum negated: the start again, to rounding.
    /// let (x2, _, _) = k.leapfrog(&x1, &[p1[0].neg()?])?;
    /// assert!((x2.as_tensor()?.to_vec()?[0] - 1.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn leapfrog(&self, state: &Structure, momentum: &[Tensor]) -> Result<(Structure, Vec<Tensor>, Tensor)> {
        let inner = self.0.inner_kernel();
        let eps = inner.step_sizes(state.len())?;
        let (_, _, g) = value_and_gradients(inner.target.as_ref(), state, false)?;
        let (x, p, lp, _) = inner.leapfrog(state, momentum, &g, &eps)?;
        Ok((x, p, lp))
    }
}

impl TransitionKernel for HamiltonianMonteCarlo {
    type Results = MetropolisHastingsResults<UncalibratedHamiltonianMonteCarloResults>;
    fn one_step(&self, current_state: &Structure, previous: &Self::Results, seed: Seed) -> Result<(Structure, Self::Results)> {
        self.0.one_step(current_state, previous, seed)
    }
    fn bootstrap_results(&self, init_state: &Structure) -> Result<Self::Results> {
        self.0.bootstrap_results(init_state)
    }
    fn is_calibrated(&self) -> bool {
        true
    }
}
