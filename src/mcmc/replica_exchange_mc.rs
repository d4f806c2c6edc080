//! Replica exchange (parallel tempering): TFP's `tfp.mcmc.ReplicaExchangeMC`.
//!
//! Replica `k` runs its own kernel on the tempered target `β_k log π(x)` with inverse
//! temperatures `1 = β₀ > β₁ > ... ` (hot replicas cross between modes). After each step,
//! adjacent pairs — the even pairs `(0, 1), (2, 3), ...` or the odd ones `(1, 2), (3, 4), ...`,
//! one set chosen at random each step, TFP's `even_odd_swap_proposal_fn` — propose to swap
//! their states, accepted per chain with probability `min(1, exp((β_i − β_j)(log π(x_j) −
//! log π(x_i))))`. The chain's state is replica 0's. A replica whose state changed by a swap has
//! its kernel results recomputed at the new state (`bootstrap_results`), so kernels whose
//! results carry adaptation state should adapt outside the exchange (or use fixed step sizes,
//! as TFP's examples do).

use super::kernel::{choose_structure, TargetLogProbFn, TransitionKernel};
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::random::{self, Seed};
use crate::tensor::Tensor;
use std::sync::Arc;

/// TFP's `ReplicaExchangeMC` over kernels made by `make_kernel_fn`.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{random_walk_normal_fn, sample_chain, RandomWalkMetropolis, ReplicaExchangeMC, SampleChainOptions};
/// use probrs::tensor::{DType, Tensor};
/// // Two well-separated modes at ±4 (sd 0.5): a lone random walk stays in one.
/// let target = |s: &Structure| {
///     let x = s.as_tensor()?;
///     let a = x.add_scalar(4.0)?.square()?.mul_scalar(-2.0)?.unsqueeze(0)?;
///     let b = x.add_scalar(-4.0)?.square()?.mul_scalar(-2.0)?.unsqueeze(0)?;
///     probrs::tensor::Tensor::concat(&[&a, &b], 0)?.logsumexp(0, false)
/// };
/// let remc = ReplicaExchangeMC::new(target, vec![1.0, 0.3, 0.1, 0.03], |t: std::sync::Arc<probrs::mcmc::TargetLogProbFn>, _| Ok(RandomWalkMetropolis::new(move |s: &Structure| t(s), random_walk_normal_fn(1.0))))?;
/// let run = sample_chain(3000, &Structure::Tensor(Tensor::vector(&[-4.0], DType::F64)?), None, &remc, &SampleChainOptions::default(), |_, _| ())?;
/// let v = run.all_states.as_tensor()?.to_vec()?;
/// let right = v.iter().filter(|x| **x > 0.0).count() as f64 / v.len() as f64;
/// assert!((right - 0.5).abs() < 0.15, "{right}");
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct ReplicaExchangeMC<K> {
    target: Arc<TargetLogProbFn>,
    inverse_temperatures: Vec<f64>,
    kernels: Vec<K>,
}

/// TFP's `ReplicaExchangeMCKernelResults`.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{random_walk_normal_fn, RandomWalkMetropolis, ReplicaExchangeMC, TransitionKernel};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let remc = ReplicaExchangeMC::new(|s: &Structure| s.as_tensor()?.square()?.neg(), vec![1.0, 0.5], |t: std::sync::Arc<probrs::mcmc::TargetLogProbFn>, _| Ok(RandomWalkMetropolis::new(move |s: &Structure| t(s), random_walk_normal_fn(0.5))))?;
/// let x = Structure::Tensor(Tensor::zeros(&[3], DType::F64)?);
/// let (_, r) = remc.one_step(&x, &remc.bootstrap_results(&x)?, Seed::new(1))?;
/// assert_eq!(r.replica_states.len(), 2);
/// assert_eq!(r.is_swap_accepted.len(), 1); // one adjacent pair
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ReplicaExchangeMCResults<R> {
    /// Each replica's state (replica 0 is the chain's).
    pub replica_states: Vec<Structure>,
    /// Each replica's kernel results.
    pub replica_results: Vec<R>,
    /// Each replica's untempered target `log π` at its state, per chain.
    pub replica_target_log_prob: Vec<Tensor>,
    /// Per adjacent pair `(k, k+1)`: whether a swap was proposed this step.
    pub is_swap_proposed: Vec<bool>,
    /// Per adjacent pair, per chain: whether the swap was accepted.
    pub is_swap_accepted: Vec<Vec<bool>>,
    /// Steps taken (the parity chooses the pairs).
    pub step: usize,
}

impl<K: TransitionKernel> ReplicaExchangeMC<K> {
    /// Replicas at `inverse_temperatures` (the first 1, decreasing, positive), each running
    /// `make_kernel_fn(tempered_target, k)`.
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{random_walk_normal_fn, RandomWalkMetropolis, ReplicaExchangeMC};
    /// let make = |t: std::sync::Arc<probrs::mcmc::TargetLogProbFn>, _| Ok(RandomWalkMetropolis::new(move |s: &Structure| t(s), random_walk_normal_fn(1.0)));
    /// assert!(ReplicaExchangeMC::new(|s: &Structure| s.as_tensor()?.neg(), vec![0.5, 0.25], make).is_err()); // β₀ must be 1
    /// assert!(ReplicaExchangeMC::new(|s: &Structure| s.as_tensor()?.neg(), vec![1.0, 0.0], make).is_err()); // positive
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(
        target_log_prob_fn: impl Fn(&Structure) -> Result<Tensor> + Send + Sync + 'static,
        inverse_temperatures: Vec<f64>,
        make_kernel_fn: impl Fn(Arc<TargetLogProbFn>, usize) -> Result<K>,
    ) -> Result<Self> {
        if inverse_temperatures.first() != Some(&1.0) {
            return Err(Error::invalid_parameter("inverse_temperatures", format!("must start at 1 (the target itself), got {inverse_temperatures:?}")));
        }
        if inverse_temperatures.iter().any(|b| !(*b > 0.0 && b.is_finite())) || inverse_temperatures.windows(2).any(|w| w[1] >= w[0]) {
            return Err(Error::invalid_parameter("inverse_temperatures", format!("must be positive and decreasing, got {inverse_temperatures:?}")));
        }
        let target: Arc<TargetLogProbFn> = Arc::new(target_log_prob_fn);
        let kernels = inverse_temperatures
            .iter()
            .enumerate()
            .map(|(k, beta)| {
                let (t, b) = (target.clone(), *beta);
                let tempered: Arc<TargetLogProbFn> = Arc::new(move |s: &Structure| t(s)?.mul_scalar(b));
                make_kernel_fn(tempered, k)
            })
            .collect::<Result<_>>()?;
        Ok(ReplicaExchangeMC { target, inverse_temperatures, kernels })
    }
}

impl<K: TransitionKernel> TransitionKernel for ReplicaExchangeMC<K> {
    type Results = ReplicaExchangeMCResults<K::Results>;

    fn one_step(&self, _current_state: &Structure, previous: &Self::Results, seed: Seed) -> Result<(Structure, Self::Results)> {
        let n = self.kernels.len();
        let seeds = seed.split(n + 2);
        let mut states = vec![];
        let mut results = vec![];
        for (k, kernel) in self.kernels.iter().enumerate() {
            let (s, r) = kernel.one_step(&previous.replica_states[k], &previous.replica_results[k], seeds[k])?;
            states.push(s);
            results.push(r);
        }
        let mut lps: Vec<Tensor> = states.iter().map(|s| (self.target)(s)).collect::<Result<_>>()?;
        // Even pairs on even steps' coin, odd pairs otherwise (TFP's even-odd proposal).
        let parity = usize::from(random::uniform(&[], crate::tensor::DType::F64, seeds[n])?.to_scalar()? < 0.5);
        let mut proposed = vec![false; n.saturating_sub(1)];
        let chains = lps[0].elem_count();
        let mut accepted = vec![vec![false; chains]; n.saturating_sub(1)];
        let mut changed = vec![false; n];
        let u = random::uniform(&[n.max(1), chains], crate::tensor::DType::F64, seeds[n + 1])?.to_vec()?;
        for i in (parity..n.saturating_sub(1)).step_by(2) {
            proposed[i] = true;
            let (li, lj) = (lps[i].to_vec()?, lps[i + 1].to_vec()?);
            let (bi, bj) = (self.inverse_temperatures[i], self.inverse_temperatures[i + 1]);
            let acc: Vec<bool> = (0..chains).map(|c| u[i * chains + c].ln() < (bi - bj) * (lj[c] - li[c])).collect();
            if acc.iter().any(|a| *a) {
                let mask = Tensor::from_slice(&acc.iter().map(|a| f64::from(u8::from(*a))).collect::<Vec<_>>(), lps[i].shape(), crate::tensor::DType::F64)?.gt_scalar(0.5)?;
                let si = choose_structure(&mask, &states[i + 1], &states[i])?;
                let sj = choose_structure(&mask, &states[i], &states[i + 1])?;
                states[i] = si;
                states[i + 1] = sj;
                changed[i] = true;
                changed[i + 1] = true;
            }
            accepted[i] = acc;
        }
        for k in 0..n {
            if changed[k] {
                results[k] = self.kernels[k].bootstrap_results(&states[k])?;
                lps[k] = (self.target)(&states[k])?;
            }
        }
        Ok((states[0].clone(), ReplicaExchangeMCResults { replica_states: states, replica_results: results, replica_target_log_prob: lps, is_swap_proposed: proposed, is_swap_accepted: accepted, step: previous.step + 1 }))
    }

    fn bootstrap_results(&self, init_state: &Structure) -> Result<Self::Results> {
        let lp = super::kernel::target_at(self.target.as_ref(), init_state, true)?;
        let n = self.kernels.len();
        let chains = lp.elem_count();
        Ok(ReplicaExchangeMCResults {
            replica_states: vec![init_state.clone(); n],
            replica_results: self.kernels.iter().map(|k| k.bootstrap_results(init_state)).collect::<Result<_>>()?,
            replica_target_log_prob: vec![lp; n],
            is_swap_proposed: vec![false; n.saturating_sub(1)],
            is_swap_accepted: vec![vec![false; chains]; n.saturating_sub(1)],
            step: 0,
        })
    }

    fn is_calibrated(&self) -> bool {
        true
    }
}
