//! `MetropolisHastings`: TFP's `tfp.mcmc.MetropolisHastings`, the accept/reject step that makes
//! an uncalibrated proposal leave its target invariant.
//!
//! ```text
//! log α = log π(x′) − log π(x) + log_acceptance_correction
//! accept (per chain) when log U < log α,  U ~ Uniform(0, 1)
//! ```
//! A proposal where the target is NaN or −∞ is rejected (NaN compares false), never a panic.

use super::kernel::{choose_structure, ProposalResults, TransitionKernel};
use crate::error::Result;
use crate::joint::Structure;
use crate::random::{self, Seed};
use crate::tensor::{Mask, Tensor};

/// The accept/reject step over an uncalibrated kernel (whose results are
/// [`ProposalResults`]).
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{random_walk_normal_fn, MetropolisHastings, TransitionKernel, UncalibratedRandomWalk};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let target = |s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5);
/// let kernel = MetropolisHastings::new(UncalibratedRandomWalk::new(target, random_walk_normal_fn(1.0)));
/// let x0 = Structure::Tensor(Tensor::zeros(&[3], DType::F64)?); // three chains
/// let r0 = kernel.bootstrap_results(&x0)?;
/// let (x1, r1) = kernel.one_step(&x0, &r0, Seed::new(7))?;
/// assert_eq!(x1.as_tensor()?.shape(), &[3]);
/// assert_eq!(r1.log_accept_ratio.shape(), &[3]);
/// assert!(kernel.is_calibrated());
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct MetropolisHastings<K> {
    inner: K,
}

/// TFP's `MetropolisHastingsKernelResults`.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{random_walk_normal_fn, RandomWalkMetropolis, TransitionKernel};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let k = RandomWalkMetropolis::new(|s: &Structure| s.as_tensor()?.square()?.neg(), random_walk_normal_fn(0.5));
/// let x = Structure::Tensor(Tensor::zeros(&[2], DType::F64)?);
/// let (_, r) = k.one_step(&x, &k.bootstrap_results(&x)?, Seed::new(1))?;
/// // The proposal, its ratio and the decision, per chain.
/// assert_eq!(r.proposed_state.as_tensor()?.shape(), &[2]);
/// assert_eq!(r.log_accept_ratio.shape(), &[2]);
/// let _accepted_any = r.is_accepted.any()?;
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MetropolisHastingsResults<R> {
    /// The inner kernel's results at the current (accepted) state.
    pub accepted_results: R,
    /// Per chain, whether the last proposal was accepted.
    pub is_accepted: Mask,
    /// Per chain, the log acceptance ratio of the last proposal.
    pub log_accept_ratio: Tensor,
    /// The last proposed state.
    pub proposed_state: Structure,
    /// The inner kernel's results at the proposed state.
    pub proposed_results: R,
}

impl<K> MetropolisHastings<K> {
    /// Wraps an uncalibrated kernel.
    ///
    /// ```
    /// use probrs::mcmc::{random_walk_uniform_fn, MetropolisHastings, TransitionKernel, UncalibratedRandomWalk};
    /// let inner = UncalibratedRandomWalk::new(|s: &probrs::joint::Structure| s.as_tensor()?.neg(), random_walk_uniform_fn(0.5));
    /// assert!(!inner.is_calibrated());
    /// assert!(MetropolisHastings::new(inner).is_calibrated());
    /// ```
    pub fn new(inner_kernel: K) -> Self {
        MetropolisHastings { inner: inner_kernel }
    }
    /// The wrapped kernel.
    ///
    /// ```
    /// use probrs::mcmc::{random_walk_normal_fn, MetropolisHastings, TransitionKernel, UncalibratedRandomWalk};
    /// let mh = MetropolisHastings::new(UncalibratedRandomWalk::new(|s: &probrs::joint::Structure| s.as_tensor()?.neg(), random_walk_normal_fn(1.0)));
    /// assert!(!mh.inner_kernel().is_calibrated());
    /// ```
    pub fn inner_kernel(&self) -> &K {
        &self.inner
    }
}

impl<K> TransitionKernel for MetropolisHastings<K>
where
    K: TransitionKernel,
    K::Results: ProposalResults,
{
    type Results = MetropolisHastingsResults<K::Results>;

    fn one_step(&self, current_state: &Structure, previous: &Self::Results, seed: Seed) -> Result<(Structure, Self::Results)> {
        let [proposal_seed, accept_seed] = seed.split2();
        let (proposed_state, proposed_results) = self.inner.one_step(current_state, &previous.accepted_results, proposal_seed)?;
        let current_lp = previous.accepted_results.target_log_prob();
        let log_accept_ratio = proposed_results.target_log_prob().sub(current_lp)?.add(proposed_results.log_acceptance_correction())?;
        let log_uniform = random::uniform(log_accept_ratio.shape(), log_accept_ratio.dtype(), accept_seed)?.log()?;
        // NaN ratios compare false: rejected.
        let is_accepted = log_uniform.lt(&log_accept_ratio)?;
        let next_state = choose_structure(&is_accepted, &proposed_state, current_state)?;
        let accepted_results = K::Results::choose(&is_accepted, &proposed_results, &previous.accepted_results)?;
        Ok((next_state, MetropolisHastingsResults { accepted_results, is_accepted, log_accept_ratio, proposed_state, proposed_results }))
    }

    fn bootstrap_results(&self, init_state: &Structure) -> Result<Self::Results> {
        let r = self.inner.bootstrap_results(init_state)?;
        let zeros = r.target_log_prob().zeros_like()?;
        Ok(MetropolisHastingsResults { is_accepted: zeros.gt_scalar(1.0)?, log_accept_ratio: zeros, proposed_state: init_state.clone(), proposed_results: r.clone(), accepted_results: r })
    }

    fn is_calibrated(&self) -> bool {
        true
    }
}
