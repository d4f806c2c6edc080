//! The No-U-Turn sampler as Stan, NumPyro and TFP run it today (Hoffman & Gelman 2014;
//! Betancourt 2017): TFP's `NoUTurnSampler` kernel, and the per-chain transition
//! [`sample_nuts`](super::sample_nuts) drives.
//!
//! From `(q, p)` with `p ~ N(0, M)` and `H = −log π(q) + ½ pᵀM⁻¹p`, a trajectory is doubled in a
//! random direction (forward or backward, probability ½ each) by the leapfrog integrator with
//! step `ε` until it turns back on itself, its energy error exceeds `max_energy_diff` (a
//! divergence) or its depth reaches `max_tree_depth`:
//! - **multinomial sampling**: each point is weighted by `exp(H₀ − H)`; inside a new subtree
//!   the proposal is drawn uniformly progressively (`w_new / (w_old + w_new)`), and between the
//!   old trajectory and a new subtree by *biased* progressive sampling
//!   (`min(1, w_subtree / w_old)`), which favours moving away from the start;
//! - **generalized U-turn criterion**: with `ρ` the sum of the momenta over a (sub)trajectory
//!   and `p♯ = M⁻¹p` at its ends, the trajectory continues while `p♯₋·ρ > 0` and `p♯₊·ρ > 0`.
//!   Every merge checks the merged span and, as Stan since 2.23, the two spans that join each
//!   half to the first point of the other (`ρ_left + p_right_begin`, `ρ_right + p_left_end`);
//! - a subtree that diverges or turns is discarded whole; the acceptance statistic is the mean
//!   of `min(1, exp(H₀ − H))` over every leapfrog step taken (Stan's `accept_stat__`).

use super::integrator::{dot, log_sum_exp, map_chains, per_part_step, PhasePoint};
use super::kernel::{check_step_size, step_size_per_part, value_and_gradients, TargetLogProbFn, TransitionKernel};
use super::log_density::{Layout, LogDensity, StructureLogDensity};
use super::metric::Metric;
use super::step_size_adaptation::StepSizeResults;
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::random::Seed;
use crate::tensor::{DType, Tensor};
use rand::Rng;
use std::sync::Arc;

/// What one NUTS transition reports (Stan's sampler diagnostics).
///
/// ```
/// use probrs::mcmc::NutsStats;
/// let s = NutsStats::default();
/// assert_eq!((s.tree_depth, s.n_leapfrog, s.divergent), (0, 0, false));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NutsStats {
    /// Mean of `min(1, exp(H₀ − H))` over the leapfrog steps (Stan's `accept_stat__`).
    pub accept_prob: f64,
    /// The depth of the final tree (`treedepth__`): 2^depth − 1 leapfrog steps at most.
    pub tree_depth: usize,
    /// Leapfrog steps taken, i.e. gradient evaluations (`n_leapfrog__`).
    pub n_leapfrog: usize,
    /// Whether the trajectory diverged (energy error over `max_energy_diff`; `divergent__`).
    pub divergent: bool,
    /// Whether the tree stopped at `max_tree_depth` without a U-turn.
    pub reached_max_depth: bool,
    /// The Hamiltonian at the drawn point (`energy__`).
    pub energy: f64,
    /// The step size used (`stepsize__`).
    pub step_size: f64,
}

/// `p♯₋·ρ > 0 && p♯₊·ρ > 0`.
fn criterion(p_sharp_minus: &[f64], p_sharp_plus: &[f64], rho: &[f64]) -> bool {
    dot(p_sharp_plus, rho) > 0.0 && dot(p_sharp_minus, rho) > 0.0
}

fn add(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// The state of one trajectory being built.
struct Tree<'a, R: Rng> {
    density: &'a dyn LogDensity,
    metric: &'a Metric,
    eps: f64,
    h0: f64,
    max_energy_diff: f64,
    rng: &'a mut R,
    /// The end of the trajectory being extended.
    z: PhasePoint,
    n_leapfrog: usize,
    sum_metro_prob: f64,
    divergent: bool,
}

impl<R: Rng> Tree<'_, R> {
    /// Stan's `build_tree`: extends from `self.z` by `2^depth` steps in direction `sign`;
    /// `false` when the new subtree diverged or turned (it is then discarded).
    #[allow(clippy::too_many_arguments)]
    fn build(&mut self, depth: usize, z_propose: &mut PhasePoint, p_sharp_beg: &mut Vec<f64>, p_sharp_end: &mut Vec<f64>, rho: &mut Vec<f64>, p_beg: &mut Vec<f64>, p_end: &mut Vec<f64>, sign: f64, log_sum_weight: &mut f64) -> Result<bool> {
        if depth == 0 {
            self.z.leapfrog(self.density, self.metric, sign * self.eps)?;
            self.n_leapfrog += 1;
            let h = self.z.hamiltonian();
            if h - self.h0 > self.max_energy_diff {
                self.divergent = true;
            }
            *log_sum_weight = log_sum_exp(*log_sum_weight, self.h0 - h);
            self.sum_metro_prob += if self.h0 - h > 0.0 { 1.0 } else { (self.h0 - h).exp() };
            z_propose.clone_from(&self.z);
            p_sharp_beg.clone_from(&self.z.v);
            p_sharp_end.clone_from(&self.z.v);
            rho.iter_mut().zip(&self.z.p).for_each(|(r, p)| *r += p);
            p_beg.clone_from(&self.z.p);
            p_end.clone_from(&self.z.p);
            return Ok(!self.divergent);
        }
        let d = rho.len();
        // The first half.
        let mut log_sum_weight_init = f64::NEG_INFINITY;
        let mut p_init_end = vec![0.0; d];
        let mut p_sharp_init_end = vec![0.0; d];
        let mut rho_init = vec![0.0; d];
        if !self.build(depth - 1, z_propose, p_sharp_beg, &mut p_sharp_init_end, &mut rho_init, p_beg, &mut p_init_end, sign, &mut log_sum_weight_init)? {
            return Ok(false);
        }
        // The second half.
        let mut z_propose_final = self.z.clone();
        let mut log_sum_weight_final = f64::NEG_INFINITY;
        let mut p_final_beg = vec![0.0; d];
        let mut p_sharp_final_beg = vec![0.0; d];
        let mut rho_final = vec![0.0; d];
        if !self.build(depth - 1, &mut z_propose_final, &mut p_sharp_final_beg, p_sharp_end, &mut rho_final, &mut p_final_beg, p_end, sign, &mut log_sum_weight_final)? {
            return Ok(false);
        }
        // Uniform progressive sampling between the halves.
        let log_sum_weight_subtree = log_sum_exp(log_sum_weight_init, log_sum_weight_final);
        *log_sum_weight = log_sum_exp(*log_sum_weight, log_sum_weight_subtree);
        if log_sum_weight_final > log_sum_weight_subtree || self.rng.random::<f64>() < (log_sum_weight_final - log_sum_weight_subtree).exp() {
            *z_propose = z_propose_final;
        }
        let rho_subtree = add(&rho_init, &rho_final);
        rho.iter_mut().zip(&rho_subtree).for_each(|(r, s)| *r += s);
        // The merged span, and the spans that join each half to the other's first point.
        let mut persist = criterion(p_sharp_beg, p_sharp_end, &rho_subtree);
        persist &= criterion(p_sharp_beg, &p_sharp_final_beg, &add(&rho_init, &p_final_beg));
        persist &= criterion(&p_sharp_init_end, p_sharp_end, &add(&rho_final, &p_init_end));
        Ok(persist)
    }
}

/// Options of one NUTS transition.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TransitionOptions {
    pub max_tree_depth: usize,
    pub max_energy_diff: f64,
}

/// One NUTS transition from `current` (its position, target and gradient; the momentum is
/// drawn here), Stan's `base_nuts::transition`.
pub(crate) fn transition(density: &dyn LogDensity, metric: &Metric, eps: f64, current: &PhasePoint, rng: &mut impl Rng, options: TransitionOptions) -> Result<(PhasePoint, NutsStats)> {
    let mut z = current.clone();
    z.resample_momentum(metric, rng);
    let h0 = z.hamiltonian();
    let d = z.q.len();
    let mut z_fwd = z.clone();
    let mut z_bck = z.clone();
    let mut z_sample = z.clone();
    let mut z_propose = z.clone();
    // Momenta and sharp momenta at the ends of the forward and backward subtrees.
    let mut p_fwd_fwd = z.p.clone();
    let mut p_sharp_fwd_fwd = z.v.clone();
    let mut p_fwd_bck = z.p.clone();
    let mut p_sharp_fwd_bck = z.v.clone();
    let mut p_bck_fwd = z.p.clone();
    let mut p_sharp_bck_fwd = z.v.clone();
    let mut p_bck_bck = z.p.clone();
    let mut p_sharp_bck_bck = z.v.clone();
    let mut rho = z.p.clone();
    let mut log_sum_weight = 0.0; // log exp(H₀ − H₀)
    let mut tree = Tree { density, metric, eps, h0, max_energy_diff: options.max_energy_diff, rng, z, n_leapfrog: 0, sum_metro_prob: 0.0, divergent: false };
    let mut depth = 0;
    while depth < options.max_tree_depth {
        let mut rho_fwd = vec![0.0; d];
        let mut rho_bck = vec![0.0; d];
        let mut log_sum_weight_subtree = f64::NEG_INFINITY;
        let valid = if tree.rng.random::<f64>() > 0.5 {
            tree.z.clone_from(&z_fwd);
            rho_bck.clone_from(&rho);
            p_bck_fwd.clone_from(&p_fwd_bck);
            p_sharp_bck_fwd.clone_from(&p_sharp_fwd_bck);
            let ok = tree.build(depth, &mut z_propose, &mut p_sharp_fwd_bck, &mut p_sharp_fwd_fwd, &mut rho_fwd, &mut p_fwd_bck, &mut p_fwd_fwd, 1.0, &mut log_sum_weight_subtree)?;
            z_fwd.clone_from(&tree.z);
            ok
        } else {
            tree.z.clone_from(&z_bck);
            rho_fwd.clone_from(&rho);
            p_fwd_bck.clone_from(&p_bck_fwd);
            p_sharp_fwd_bck.clone_from(&p_sharp_bck_fwd);
            let ok = tree.build(depth, &mut z_propose, &mut p_sharp_bck_fwd, &mut p_sharp_bck_bck, &mut rho_bck, &mut p_bck_fwd, &mut p_bck_bck, -1.0, &mut log_sum_weight_subtree)?;
            z_bck.clone_from(&tree.z);
            ok
        };
        if !valid {
            break;
        }
        depth += 1;
        // Biased progressive sampling: move to the new subtree with min(1, w_new / w_old).
        if log_sum_weight_subtree > log_sum_weight || tree.rng.random::<f64>() < (log_sum_weight_subtree - log_sum_weight).exp() {
            z_sample.clone_from(&z_propose);
        }
        log_sum_weight = log_sum_exp(log_sum_weight, log_sum_weight_subtree);
        rho = add(&rho_bck, &rho_fwd);
        let mut persist = criterion(&p_sharp_bck_bck, &p_sharp_fwd_fwd, &rho);
        persist &= criterion(&p_sharp_bck_bck, &p_sharp_fwd_bck, &add(&rho_bck, &p_fwd_bck));
        persist &= criterion(&p_sharp_bck_fwd, &p_sharp_fwd_fwd, &add(&rho_fwd, &p_bck_fwd));
        if !persist {
            break;
        }
    }
    let n = tree.n_leapfrog.max(1);
    let stats = NutsStats {
        accept_prob: tree.sum_metro_prob / n as f64,
        tree_depth: depth,
        n_leapfrog: tree.n_leapfrog,
        divergent: tree.divergent,
        reached_max_depth: depth == options.max_tree_depth,
        energy: z_sample.hamiltonian(),
        step_size: eps,
    };
    Ok((z_sample, stats))
}

/// Stan's step-size heuristic (`base_hmc::init_stepsize`): from `eps`, doubles (or halves) the
/// step while one leapfrog step's acceptance `exp(H₀ − H)` stays above (below) 0.8.
pub(crate) fn find_reasonable_step_size(density: &dyn LogDensity, metric: &Metric, current: &PhasePoint, eps: f64, rng: &mut impl Rng) -> Result<f64> {
    if eps == 0.0 || eps > 1e7 || eps.is_nan() {
        return Ok(eps);
    }
    let mut eps = eps;
    let delta_h = |eps: f64, rng: &mut dyn rand::RngCore| -> Result<f64> {
        let mut z = current.clone();
        z.resample_momentum(metric, &mut *rng);
        let h0 = z.hamiltonian();
        z.leapfrog(density, metric, eps)?;
        Ok(h0 - z.hamiltonian())
    };
    let up = delta_h(eps, rng)? > 0.8f64.ln();
    loop {
        let dh = delta_h(eps, rng)?;
        if (up && !(dh > 0.8f64.ln())) || (!up && !(dh < 0.8f64.ln())) {
            return Ok(eps);
        }
        eps = if up { 2.0 * eps } else { 0.5 * eps };
        if eps > 1e7 {
            return Err(Error::BadInput { location: "step-size search".into(), reason: "the step size grew past 1e7: the posterior is improper (check the model)".into() });
        }
        if eps == 0.0 {
            return Err(Error::BadInput { location: "step-size search".into(), reason: "no acceptably small step size: the log-density may not be continuous".into() });
        }
    }
}

/// TFP's `NoUTurnSampler`: NUTS over a state whose leading dimensions are independent chains;
/// each chain builds its own trajectory (from its own seed, `seed.fold_in(chain)`), so the
/// draws do not depend on how chains are batched or threaded. The target is evaluated one chain
/// at a time (its chain dimensions of size 1), so all chains share one target; TFP's batches of
/// different targets (per-chain data) run with [`HamiltonianMonteCarlo`](super::HamiltonianMonteCarlo),
/// which evaluates every chain at once, or one kernel per target. A target that returns more
/// than one value for one chain is a typed shape error.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{sample_chain, NoUTurnSampler, SampleChainOptions};
/// use probrs::tensor::{DType, Tensor};
/// // 2 chains on N(0, 1) in 2-D.
/// let target = |s: &Structure| s.as_tensor()?.square()?.sum_axes(&[1], false)?.mul_scalar(-0.5);
/// let kernel = NoUTurnSampler::new(target, vec![0.8])?;
/// let run = sample_chain(500, &Structure::Tensor(Tensor::zeros(&[2, 2], DType::F64)?), None, &kernel, &SampleChainOptions::default(), |_, r| r.tree_depth.clone())?;
/// let v = run.all_states.as_tensor()?.to_vec()?;
/// let var = v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64;
/// assert!((var - 1.0).abs() < 0.15, "{var}");
/// assert!(run.trace.iter().flatten().all(|d| *d <= 10));
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct NoUTurnSampler {
    target: Arc<TargetLogProbFn>,
    step_size: Vec<f64>,
    /// The deepest tree (2^depth − 1 leapfrog steps; default 10).
    pub max_tree_depth: usize,
    /// The energy error that counts as a divergence (default 1000).
    pub max_energy_diff: f64,
    /// The inverse metric (default unit; TFP's `NoUTurnSampler` has unit mass).
    pub metric: Metric,
    /// Threads the chains of one step are spread over (default 1); the draws do not depend
    /// on it.
    pub num_threads: usize,
}

/// TFP's `NUTSKernelResults`, one entry per chain.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{NoUTurnSampler, TransitionKernel};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let k = NoUTurnSampler::new(|s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5), vec![0.5])?;
/// let x = Structure::Tensor(Tensor::zeros(&[3], DType::F64)?);
/// let (_, r) = k.one_step(&x, &k.bootstrap_results(&x)?, Seed::new(0))?;
/// assert_eq!(r.target_log_prob.shape(), &[3]);
/// assert!(r.leapfrogs_taken.iter().all(|n| *n >= 1));
/// assert!(r.has_divergence.iter().all(|d| !d));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct NoUTurnSamplerResults {
    /// The target at the current state, per chain.
    pub target_log_prob: Tensor,
    /// Its gradient, one tensor per state part.
    pub grads_target_log_prob: Vec<Tensor>,
    /// The step size per state part the next step uses.
    pub step_size: Vec<f64>,
    /// Per chain, the log of the mean acceptance probability over the trajectory.
    pub log_accept_ratio: Tensor,
    /// Per chain, whether the state moved.
    pub is_accepted: Vec<bool>,
    /// Per chain, leapfrog steps taken.
    pub leapfrogs_taken: Vec<usize>,
    /// Per chain, the depth of the final tree.
    pub tree_depth: Vec<usize>,
    /// Per chain, whether the trajectory diverged.
    pub has_divergence: Vec<bool>,
    /// Per chain, whether the tree stopped at `max_tree_depth`.
    pub reach_max_depth: Vec<bool>,
    /// Per chain, the Hamiltonian at the drawn point.
    pub energy: Tensor,
}

impl NoUTurnSampler {
    /// NUTS on `target_log_prob_fn` with `step_size` (one, or one per state part), TFP's
    /// defaults (max tree depth 10, max energy difference 1000, unit metric).
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::NoUTurnSampler;
    /// let k = NoUTurnSampler::new(|s: &Structure| s.as_tensor()?.neg(), vec![0.1])?;
    /// assert_eq!((k.max_tree_depth, k.max_energy_diff), (10, 1000.0));
    /// assert!(NoUTurnSampler::new(|s: &Structure| s.as_tensor()?.neg(), vec![-1.0]).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(target_log_prob_fn: impl Fn(&Structure) -> Result<Tensor> + Send + Sync + 'static, step_size: Vec<f64>) -> Result<Self> {
        check_step_size(&step_size)?;
        Ok(NoUTurnSampler { target: Arc::new(target_log_prob_fn), step_size, max_tree_depth: 10, max_energy_diff: 1000.0, metric: Metric::Unit, num_threads: 1 })
    }
}


impl TransitionKernel for NoUTurnSampler {
    type Results = NoUTurnSamplerResults;

    fn one_step(&self, current_state: &Structure, previous: &Self::Results, seed: Seed) -> Result<(Structure, Self::Results)> {
        let chain_rank = previous.target_log_prob.rank();
        let layout = Layout::of(current_state, chain_rank)?;
        let eps = step_size_per_part(&previous.step_size, layout.shapes.len())?;
        let (eps_eff, metric) = per_part_step(&self.metric, &eps, &layout)?;
        metric.check_dim(layout.dim())?;
        let batch_shape = previous.target_log_prob.shape().to_vec();
        let positions = layout.flatten(current_state)?;
        let grads = layout.flatten(&Structure::List(previous.grads_target_log_prob.clone()))?;
        let lps = previous.target_log_prob.to_vec()?;
        let density = StructureLogDensity::from_arc(self.target.clone(), layout.clone(), chain_rank);
        let options = TransitionOptions { max_tree_depth: self.max_tree_depth, max_energy_diff: self.max_energy_diff };
        let steps = map_chains(positions.len(), self.num_threads, |c| {
            let d = positions[c].len();
            let current = PhasePoint { q: positions[c].clone(), p: vec![0.0; d], v: vec![0.0; d], grad: grads[c].clone(), logp: lps[c] };
            let mut rng = seed.fold_in(c as u64).rng();
            transition(&density, &metric, eps_eff, &current, &mut rng, options).map_err(|e| Error::BadInput { location: format!("NoUTurnSampler, chain {c}"), reason: e.to_string() })
        });
        let steps: Vec<(PhasePoint, NutsStats)> = steps.into_iter().collect::<Result<_>>()?;
        let qs: Vec<&[f64]> = steps.iter().map(|(z, _)| z.q.as_slice()).collect();
        let gs: Vec<&[f64]> = steps.iter().map(|(z, _)| z.grad.as_slice()).collect();
        let next = layout.structure(&qs, &batch_shape)?;
        let grads = layout.structure(&gs, &batch_shape)?.tensors().into_iter().cloned().collect();
        let dtype = previous.target_log_prob.dtype();
        let per_chain = |f: &dyn Fn(&(PhasePoint, NutsStats)) -> f64| Tensor::from_slice(&steps.iter().map(f).collect::<Vec<_>>(), &batch_shape, dtype);
        let results = NoUTurnSamplerResults {
            target_log_prob: per_chain(&|(z, _)| z.logp)?,
            grads_target_log_prob: grads,
            step_size: previous.step_size.clone(),
            log_accept_ratio: per_chain(&|(_, s)| s.accept_prob.ln())?,
            is_accepted: steps.iter().zip(&positions).map(|((z, _), q)| z.q != *q).collect(),
            leapfrogs_taken: steps.iter().map(|(_, s)| s.n_leapfrog).collect(),
            tree_depth: steps.iter().map(|(_, s)| s.tree_depth).collect(),
            has_divergence: steps.iter().map(|(_, s)| s.divergent).collect(),
            reach_max_depth: steps.iter().map(|(_, s)| s.reached_max_depth).collect(),
            energy: per_chain(&|(_, s)| s.energy)?,
        };
        Ok((next, results))
    }

    fn bootstrap_results(&self, init_state: &Structure) -> Result<Self::Results> {
        let (_, lp, grads) = value_and_gradients(self.target.as_ref(), init_state, true)?;
        let n = lp.elem_count();
        let parts = init_state.len();
        step_size_per_part(&self.step_size, parts)?;
        let dtype = if lp.dtype() == DType::F32 { DType::F32 } else { DType::F64 };
        Ok(NoUTurnSamplerResults {
            log_accept_ratio: lp.zeros_like()?,
            energy: Tensor::zeros(lp.shape(), dtype)?,
            target_log_prob: lp,
            grads_target_log_prob: grads,
            step_size: self.step_size.clone(),
            is_accepted: vec![false; n],
            leapfrogs_taken: vec![0; n],
            tree_depth: vec![0; n],
            has_divergence: vec![false; n],
            reach_max_depth: vec![false; n],
        })
    }

    fn is_calibrated(&self) -> bool {
        true
    }
}

impl StepSizeResults for NoUTurnSamplerResults {
    fn step_size(&self) -> &[f64] {
        &self.step_size
    }
    fn with_step_size(&self, step_size: Vec<f64>) -> Self {
        NoUTurnSamplerResults { step_size, ..self.clone() }
    }
    fn log_accept_ratio(&self) -> &Tensor {
        &self.log_accept_ratio
    }
}
