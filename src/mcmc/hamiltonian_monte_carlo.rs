//! Hamiltonian Monte Carlo: TFP's `UncalibratedHamiltonianMonteCarlo` and
//! `HamiltonianMonteCarlo` (the same corrected by [`MetropolisHastings`]).
//!
//! With momentum `p ~ N(0, M)` (a [`Metric`]: unit by default, diagonal or dense as TFP's
//! preconditioned HMC) and `U(x) = −log π(x)`, `num_leapfrog_steps` steps of the leapfrog
//! integrator with step size `ε` (one per state part)
//!
//! ```text
//! p ← p + ε/2 ∇log π(x);   repeat L times: x ← x + ε M⁻¹p;  p ← p + ε ∇log π(x)  (ε/2 on the last)
//! ```
//!
//! propose `(x′, p′)`; the acceptance correction is the change of kinetic energy,
//! `½pᵀM⁻¹p − ½p′ᵀM⁻¹p′` per chain, so that Metropolis–Hastings accepts with `min(1, exp(−ΔH))`.
//! The chains' trajectories run in lockstep on their flat states (`integrator.rs`; chain `c`'s
//! momentum from `seed.fold_in(chain)`), with one batched evaluation of the target and its
//! autodiff gradient per leapfrog step, so each chain may have its own target as in TFP. A trajectory that leaves the support (a non-finite target or
//! gradient, or a domain error) is rejected, never a panic.

use super::integrator::{log_density_or_reject, per_part_step, PhasePoint};
use super::kernel::{check_step_size, choose_tensor, step_size_per_part, value_and_gradients, ProposalResults, TargetLogProbFn, TransitionKernel};
use super::log_density::{Layout, LogDensity};
use super::metric::Metric;
use super::metropolis_hastings::{MetropolisHastings, MetropolisHastingsResults};
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::random::Seed;
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
    /// A flat per-chain density with its own gradient, when built by `from_log_density`.
    density: Option<Arc<dyn LogDensity>>,
    step_size: Vec<f64>,
    num_leapfrog_steps: usize,
    /// The inverse metric (default unit).
    pub metric: Metric,
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

impl UncalibratedHamiltonianMonteCarlo {
    /// HMC with `step_size` (one for every state part, or one per part), `num_leapfrog_steps`
    /// leapfrog steps per proposal and a unit metric.
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
        check_step_size(&step_size)?;
        if num_leapfrog_steps == 0 {
            return Err(Error::invalid_parameter("num_leapfrog_steps", "must be at least 1"));
        }
        Ok(UncalibratedHamiltonianMonteCarlo { target: Arc::new(target_log_prob_fn), density: None, step_size, num_leapfrog_steps, metric: Metric::Unit })
    }

    /// HMC on a hand-written [`LogDensity`] (a model with its own gradient, e.g. a fused GLM
    /// kernel): the state is a `[chains..., d]` tensor and each chain's log-density and
    /// gradient come from `density` directly, with no autodiff.
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{sample_chain, HamiltonianMonteCarlo, LogDensity, SampleChainOptions, UncalibratedHamiltonianMonteCarlo};
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// struct StdNormal;
    /// impl LogDensity for StdNormal {
    ///     fn dim(&self) -> usize {
    ///         2
    ///     }
    ///     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
    ///         g.iter_mut().zip(x).for_each(|(g, x)| *g = -x);
    ///         Ok(-0.5 * x.iter().map(|x| x * x).sum::<f64>())
    ///     }
    /// }
    /// let k = HamiltonianMonteCarlo::from_inner(UncalibratedHamiltonianMonteCarlo::from_log_density(Arc::new(StdNormal), vec![0.5], 3)?);
    /// let run = sample_chain(1000, &Structure::Tensor(Tensor::zeros(&[4, 2], DType::F64)?), None, &k, &SampleChainOptions::default(), |_, _| ())?;
    /// let v = run.all_states.as_tensor()?.to_vec()?;
    /// assert!((v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64 - 1.0).abs() < 0.15);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_log_density(density: Arc<dyn LogDensity>, step_size: Vec<f64>, num_leapfrog_steps: usize) -> Result<Self> {
        let d = density.clone();
        // The tensor target (for what reads it, e.g. TransformedTransitionKernel's checks): the
        // density per chain, without gradients.
        let target = move |s: &Structure| -> Result<Tensor> {
            let t = s.as_tensor()?;
            let dim = d.dim();
            if t.rank() == 0 || t.shape()[t.rank() - 1] != dim {
                return Err(Error::ShapeMismatch { context: "a LogDensity's state [chains..., d]".into(), lhs: t.shape().to_vec(), rhs: vec![dim] });
            }
            let v = t.to_vec()?;
            let mut g = vec![0.0; dim];
            let lp: Vec<f64> = v.chunks(dim).map(|x| d.logp_and_grad(x, &mut g)).collect::<Result<_>>()?;
            Tensor::from_slice(&lp, &t.shape()[..t.rank() - 1], t.dtype())
        };
        let mut k = Self::new(target, step_size, num_leapfrog_steps)?;
        k.density = Some(density);
        Ok(k)
    }

    /// The log-density and gradient of every chain of `state`: one batched autodiff evaluation
    /// of the target, or each chain through the flat density. A domain error (Stan's rule)
    /// yields `−∞` for the chains it covers.
    fn evaluate(&self, layout: &Layout, qs: &[&[f64]], batch: &[usize]) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
        if let Some(d) = &self.density {
            let mut lps = Vec::with_capacity(qs.len());
            let mut gs = Vec::with_capacity(qs.len());
            for q in qs {
                let mut g = vec![0.0; q.len()];
                lps.push(log_density_or_reject(d.as_ref(), q, &mut g)?);
                gs.push(g);
            }
            return Ok((lps, gs));
        }
        match value_and_gradients(self.target.as_ref(), &layout.structure(qs, batch)?, false) {
            Ok((_, lp, g)) => Ok((lp.to_vec()?, layout.flatten(&Structure::List(g))?)),
            // The chains cannot be told apart in one evaluation: all are rejected.
            Err(Error::InvalidParameter { .. } | Error::NonFinite { .. } | Error::LinearAlgebra { .. }) => Ok((vec![f64::NEG_INFINITY; qs.len()], vec![vec![0.0; layout.dim()]; qs.len()])),
            Err(e) => Err(e),
        }
    }

    /// The same with an inverse metric `M⁻¹` over the flattened state (TFP's preconditioned
    /// HMC; e.g. the posterior covariance estimated by a warm-up).
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{Metric, UncalibratedHamiltonianMonteCarlo};
    /// let k = UncalibratedHamiltonianMonteCarlo::new(|s: &Structure| s.as_tensor()?.neg(), vec![0.1], 3)?.with_metric(Metric::diagonal(vec![4.0, 0.25])?);
    /// assert_eq!(k.metric, Metric::Diagonal(vec![4.0, 0.25]));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    /// Runs `num_leapfrog_steps` steps per chain from `state` (chain dimensions `chain_rank`)
    /// with momenta set by `momentum(chain, point, metric)`: each chain's final point, its
    /// initial kinetic energy and whether the trajectory stayed in the support. The chains step
    /// in lockstep and the target is evaluated once per leapfrog step for all of them, so each
    /// chain may have its own target (TFP's batch semantics).
    #[allow(clippy::type_complexity)]
    fn trajectories(&self, state: &Structure, grads: &[Tensor], lps: &[f64], eps: &[f64], chain_rank: usize, momentum: &dyn Fn(usize, &mut PhasePoint, &Metric)) -> Result<(Layout, Vec<usize>, Vec<(PhasePoint, f64, bool)>, Metric)> {
        let layout = Layout::of(state, chain_rank)?;
        let (h, metric) = per_part_step(&self.metric, eps, &layout)?;
        metric.check_dim(layout.dim())?;
        let batch = state.tensors()[0].shape()[..chain_rank].to_vec();
        let positions = layout.flatten(state)?;
        let grads = layout.flatten(&Structure::List(grads.to_vec()))?;
        let mut points: Vec<(PhasePoint, f64, bool)> = positions
            .into_iter()
            .zip(grads)
            .zip(lps)
            .enumerate()
            .map(|(c, ((q, grad), lp))| {
                let d = q.len();
                let mut z = PhasePoint { q, p: vec![0.0; d], v: vec![0.0; d], grad, logp: *lp };
                momentum(c, &mut z, &metric);
                let k0 = metric.kinetic_energy(&z.p);
                (z, k0, true)
            })
            .collect();
        for _ in 0..self.num_leapfrog_steps {
            for (z, _, _) in points.iter_mut().filter(|(_, _, inside)| *inside) {
                z.p.iter_mut().zip(&z.grad).for_each(|(p, g)| *p += 0.5 * h * g);
                metric.velocity_into(&z.p, &mut z.v);
                z.q.iter_mut().zip(&z.v).for_each(|(q, v)| *q += h * v);
            }
            // One evaluation for every chain.
            let qs: Vec<&[f64]> = points.iter().map(|(z, _, _)| z.q.as_slice()).collect();
            let (lp, g) = self.evaluate(&layout, &qs, &batch)?;
            for ((z, _, inside), (lp, g)) in points.iter_mut().zip(lp.into_iter().zip(g)) {
                if !*inside {
                    continue;
                }
                z.logp = lp;
                z.grad = g;
                if !lp.is_finite() || z.grad.iter().any(|g| !g.is_finite()) {
                    *inside = false;
                    continue;
                }
                z.p.iter_mut().zip(&z.grad).for_each(|(p, g)| *p += 0.5 * h * g);
                metric.velocity_into(&z.p, &mut z.v);
            }
        }
        Ok((layout, batch, points, metric))
    }
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
        // The step size lives in the results, so that adaptation can change it between steps.
        let eps = step_size_per_part(&previous.step_size, current_state.len())?;
        let chain_rank = previous.target_log_prob.rank();
        let lps = previous.target_log_prob.to_vec()?;
        let draw = |c: usize, z: &mut PhasePoint, m: &Metric| {
            m.sample_momentum(&mut seed.fold_in(c as u64).rng(), &mut z.p);
            m.velocity_into(&z.p, &mut z.v);
        };
        let (layout, batch, out, metric) = self.trajectories(current_state, &previous.grads_target_log_prob, &lps, &eps, chain_rank, &draw)?;
        let dtype = previous.target_log_prob.dtype();
        let qs: Vec<&[f64]> = out.iter().map(|(z, _, _)| z.q.as_slice()).collect();
        let gs: Vec<Vec<f64>> = out.iter().map(|(z, _, inside)| if *inside { z.grad.clone() } else { vec![0.0; z.grad.len()] }).collect();
        let next = layout.structure(&qs, &batch)?;
        let grads = layout.structure(&gs.iter().map(|g| g.as_slice()).collect::<Vec<_>>(), &batch)?.tensors().into_iter().cloned().collect();
        // Outside the support: a −∞ target, which Metropolis–Hastings rejects.
        let lp: Vec<f64> = out.iter().map(|(z, _, inside)| if *inside { z.logp } else { f64::NEG_INFINITY }).collect();
        let correction: Vec<f64> = out.iter().map(|(z, k0, inside)| if *inside { k0 - metric.kinetic_energy(&z.p) } else { 0.0 }).collect();
        Ok((
            next,
            UncalibratedHamiltonianMonteCarloResults {
                log_acceptance_correction: Tensor::from_slice(&correction, &batch, dtype)?,
                target_log_prob: Tensor::from_slice(&lp, &batch, dtype)?,
                grads_target_log_prob: grads,
                step_size: eps,
                num_leapfrog_steps: self.num_leapfrog_steps,
            },
        ))
    }

    fn bootstrap_results(&self, init_state: &Structure) -> Result<Self::Results> {
        let eps = step_size_per_part(&self.step_size, init_state.len())?;
        let (lp, grads) = match &self.density {
            None => {
                let (_, lp, grads) = value_and_gradients(self.target.as_ref(), init_state, true)?;
                (lp, grads)
            }
            Some(d) => {
                let t = init_state.as_tensor()?;
                if t.rank() == 0 || t.shape()[t.rank() - 1] != d.dim() {
                    return Err(Error::ShapeMismatch { context: "a LogDensity's state [chains..., d]".into(), lhs: t.shape().to_vec(), rhs: vec![d.dim()] });
                }
                let batch = t.shape()[..t.rank() - 1].to_vec();
                let v = t.to_vec()?;
                let (mut lps, mut gs) = (vec![], vec![]);
                for (c, x) in v.chunks(d.dim()).enumerate() {
                    let mut g = vec![0.0; d.dim()];
                    let lp = d.logp_and_grad(x, &mut g).map_err(|e| Error::BadInput { location: format!("initial state, chain {c}"), reason: e.to_string() })?;
                    if !lp.is_finite() {
                        return Err(Error::BadInput { location: format!("initial state, chain {c}"), reason: format!("the log-density is {lp}") });
                    }
                    lps.push(lp);
                    gs.extend(g);
                }
                (Tensor::from_slice(&lps, &batch, t.dtype())?, vec![Tensor::from_slice(&gs, t.shape(), t.dtype())?])
            }
        };
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
        let eps = step_size_per_part(&inner.step_size, state.len())?;
        let r = inner.bootstrap_results(state)?;
        let (lp, g) = (r.target_log_prob, r.grads_target_log_prob);
        let chain_rank = lp.rank();
        let momenta = Layout::of(state, chain_rank)?.flatten(&Structure::List(momentum.to_vec()))?;
        let set = |c: usize, z: &mut PhasePoint, m: &Metric| {
            z.p.clone_from(&momenta[c]);
            m.velocity_into(&z.p, &mut z.v);
        };
        let (layout, batch, out, _) = inner.trajectories(state, &g, &lp.to_vec()?, &eps, chain_rank, &set)?;
        let qs: Vec<&[f64]> = out.iter().map(|(z, _, _)| z.q.as_slice()).collect();
        let ps: Vec<&[f64]> = out.iter().map(|(z, _, _)| z.p.as_slice()).collect();
        let p = layout.structure(&ps, &batch)?.tensors().into_iter().cloned().collect();
        let lps: Vec<f64> = out.iter().map(|(z, _, _)| z.logp).collect();
        Ok((layout.structure(&qs, &batch)?, p, Tensor::from_slice(&lps, &batch, lp.dtype())?))
    }

    /// HMC from a configured [`UncalibratedHamiltonianMonteCarlo`] (e.g. with a metric).
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{sample_chain, HamiltonianMonteCarlo, Metric, SampleChainOptions, UncalibratedHamiltonianMonteCarlo};
    /// use probrs::tensor::{DType, Tensor};
    /// // N(0, diag(100, 0.01)): hopeless with a unit metric, easy with the right one.
    /// let target = |s: &Structure| { let x = s.as_tensor()?; x.square()?.mul(&Tensor::vector(&[0.005, 50.0], DType::F64)?)?.sum_axes(&[1], false)?.neg() };
    /// let inner = UncalibratedHamiltonianMonteCarlo::new(target, vec![0.5], 4)?.with_metric(Metric::diagonal(vec![100.0, 0.01])?);
    /// let k = HamiltonianMonteCarlo::from_inner(inner);
    /// let run = sample_chain(2000, &Structure::Tensor(Tensor::zeros(&[4, 2], DType::F64)?), None, &k, &SampleChainOptions::default(), |_, _| ())?;
    /// let v = run.all_states.as_tensor()?.to_vec()?;
    /// let var0 = v.iter().step_by(2).map(|x| x * x).sum::<f64>() / 8000.0;
    /// assert!((var0 / 100.0 - 1.0).abs() < 0.2, "{var0}");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_inner(inner: UncalibratedHamiltonianMonteCarlo) -> Self {
        HamiltonianMonteCarlo(MetropolisHastings::new(inner))
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
