//! Step-size adaptation during warm-up, TFP's `SimpleStepSizeAdaptation` and
//! `DualAveragingStepSizeAdaptation`, over any kernel whose results carry a step size and an
//! acceptance ratio ([`StepSizeResults`]; HMC's do).
//!
//! The acceptance probability of a step is averaged over the chains as TFP does,
//! `p = mean_c min(1, exp(log α_c))` (TFP's `reduce_logmeanexp` of `min(0, log α)`).
//! - **Simple**: for `num_adaptation_steps` steps, multiply the step size by
//!   `1 + adaptation_rate` when `p` exceeds `target_accept_prob`, divide by it otherwise.
//! - **Dual averaging** (Hoffman & Gelman 2014, Algorithm 5): with `t` the step count and
//!   `H_t = Σ (δ − p)`, `log ε_t = μ − √t/γ · H_t/(t + t₀)` and the running average
//!   `log ε̄_t = t^{−κ} log ε_t + (1 − t^{−κ}) log ε̄_{t−1}`; after the adaptation steps the step
//!   size is `ε̄`. TFP's defaults: δ = 0.75, γ = 0.05, t₀ = 10, κ = 0.75, μ = log(10 ε₀).

use super::hamiltonian_monte_carlo::UncalibratedHamiltonianMonteCarloResults;
use super::kernel::TransitionKernel;
use super::metropolis_hastings::MetropolisHastingsResults;
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::random::Seed;
use crate::tensor::Tensor;

/// Kernel results that carry a step size an adaptation may change, and the last acceptance
/// ratio.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{HamiltonianMonteCarlo, StepSizeResults, TransitionKernel};
/// use probrs::tensor::{DType, Tensor};
/// let k = HamiltonianMonteCarlo::new(|s: &Structure| s.as_tensor()?.square()?.neg(), vec![0.3], 3)?;
/// let r = k.bootstrap_results(&Structure::Tensor(Tensor::zeros(&[2], DType::F64)?))?;
/// assert_eq!(r.step_size(), &[0.3]);
/// assert_eq!(r.with_step_size(vec![0.1]).step_size(), &[0.1]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait StepSizeResults: Clone {
    /// The step size per state part the next step will use.
    fn step_size(&self) -> &[f64];
    /// The same results with another step size.
    fn with_step_size(&self, step_size: Vec<f64>) -> Self;
    /// The last step's log acceptance ratio per chain.
    fn log_accept_ratio(&self) -> &Tensor;
}

/// The results of an uncalibrated proposal that carries its step size (HMC's, MALA's): with
/// it, Metropolis–Hastings' results are [`StepSizeResults`].
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{ProposalStepSize, TransitionKernel, UncalibratedHamiltonianMonteCarlo};
/// use probrs::tensor::{DType, Tensor};
/// let k = UncalibratedHamiltonianMonteCarlo::new(|s: &Structure| s.as_tensor()?.neg(), vec![0.2], 2)?;
/// let mut r = k.bootstrap_results(&Structure::Tensor(Tensor::ones(&[1], DType::F64)?))?;
/// r.set_step_size(vec![0.1]);
/// assert_eq!(r.proposal_step_size(), &[0.1]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait ProposalStepSize: Clone {
    /// The step size per state part.
    fn proposal_step_size(&self) -> &[f64];
    /// Replaces it.
    fn set_step_size(&mut self, step_size: Vec<f64>);
}

impl ProposalStepSize for UncalibratedHamiltonianMonteCarloResults {
    fn proposal_step_size(&self) -> &[f64] {
        &self.step_size
    }
    fn set_step_size(&mut self, step_size: Vec<f64>) {
        self.step_size = step_size;
    }
}

impl<R: ProposalStepSize> StepSizeResults for MetropolisHastingsResults<R> {
    fn step_size(&self) -> &[f64] {
        self.accepted_results.proposal_step_size()
    }
    fn with_step_size(&self, step_size: Vec<f64>) -> Self {
        let mut r = self.clone();
        r.accepted_results.set_step_size(step_size.clone());
        r.proposed_results.set_step_size(step_size);
        r
    }
    fn log_accept_ratio(&self) -> &Tensor {
        &self.log_accept_ratio
    }
}

/// `mean_c min(1, exp(log α_c))`, NaN ratios counting as rejections.
fn mean_accept_prob(log_accept_ratio: &Tensor) -> Result<f64> {
    let v = log_accept_ratio.to_vec()?;
    if v.is_empty() {
        return Err(Error::invalid_parameter("log_accept_ratio", "no chains"));
    }
    Ok(v.iter().map(|l| if l.is_nan() { 0.0 } else { l.min(0.0).exp() }).sum::<f64>() / v.len() as f64)
}

/// TFP's `SimpleStepSizeAdaptation`.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{sample_chain, HamiltonianMonteCarlo, SampleChainOptions, SimpleStepSizeAdaptation, StepSizeResults};
/// use probrs::tensor::{DType, Tensor};
/// // A step size far too large adapts down during 400 warm-up steps.
/// let hmc = HamiltonianMonteCarlo::new(|s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5), vec![5.0], 3)?;
/// let kernel = SimpleStepSizeAdaptation::new(hmc, 400);
/// let run = sample_chain(10, &Structure::Tensor(Tensor::zeros(&[8], DType::F64)?), None, &kernel, &SampleChainOptions { num_burnin_steps: 400, ..Default::default() }, |_, _| ())?;
/// assert!(run.final_kernel_results.inner_results.step_size()[0] < 2.5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct SimpleStepSizeAdaptation<K> {
    inner: K,
    /// Steps that adapt (the first ones).
    pub num_adaptation_steps: usize,
    /// The acceptance probability aimed at (TFP's default 0.75).
    pub target_accept_prob: f64,
    /// The relative change per step (TFP's default 0.01).
    pub adaptation_rate: f64,
}

/// TFP's `SimpleStepSizeAdaptationResults`.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{HamiltonianMonteCarlo, SimpleStepSizeAdaptation, TransitionKernel};
/// use probrs::tensor::{DType, Tensor};
/// let k = SimpleStepSizeAdaptation::new(HamiltonianMonteCarlo::new(|s: &Structure| s.as_tensor()?.neg(), vec![0.1], 2)?, 10);
/// let r = k.bootstrap_results(&Structure::Tensor(Tensor::ones(&[2], DType::F64)?))?;
/// assert_eq!(r.step, 0);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SimpleStepSizeAdaptationResults<R> {
    /// The inner kernel's results (with the step size the next step uses).
    pub inner_results: R,
    /// Steps taken.
    pub step: usize,
}

impl<K> SimpleStepSizeAdaptation<K> {
    /// Adapts `inner_kernel`'s step size for the first `num_adaptation_steps` steps, with TFP's
    /// defaults (target 0.75, rate 0.01).
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{HamiltonianMonteCarlo, SimpleStepSizeAdaptation};
    /// let k = SimpleStepSizeAdaptation::new(HamiltonianMonteCarlo::new(|s: &Structure| s.as_tensor()?.neg(), vec![0.1], 2)?, 100);
    /// assert_eq!((k.target_accept_prob, k.adaptation_rate), (0.75, 0.01));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(inner_kernel: K, num_adaptation_steps: usize) -> Self {
        SimpleStepSizeAdaptation { inner: inner_kernel, num_adaptation_steps, target_accept_prob: 0.75, adaptation_rate: 0.01 }
    }
}

impl<K> TransitionKernel for SimpleStepSizeAdaptation<K>
where
    K: TransitionKernel,
    K::Results: StepSizeResults,
{
    type Results = SimpleStepSizeAdaptationResults<K::Results>;
    fn one_step(&self, state: &Structure, previous: &Self::Results, seed: Seed) -> Result<(Structure, Self::Results)> {
        let (next, mut r) = self.inner.one_step(state, &previous.inner_results, seed)?;
        if previous.step < self.num_adaptation_steps {
            let p = mean_accept_prob(r.log_accept_ratio())?;
            let factor = if p > self.target_accept_prob { 1.0 + self.adaptation_rate } else { 1.0 / (1.0 + self.adaptation_rate) };
            r = r.with_step_size(r.step_size().iter().map(|e| e * factor).collect());
        }
        Ok((next, SimpleStepSizeAdaptationResults { inner_results: r, step: previous.step + 1 }))
    }
    fn bootstrap_results(&self, init_state: &Structure) -> Result<Self::Results> {
        Ok(SimpleStepSizeAdaptationResults { inner_results: self.inner.bootstrap_results(init_state)?, step: 0 })
    }
    fn is_calibrated(&self) -> bool {
        self.inner.is_calibrated()
    }
}

/// TFP's `DualAveragingStepSizeAdaptation`.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{sample_chain, DualAveragingStepSizeAdaptation, HamiltonianMonteCarlo, SampleChainOptions, StepSizeResults};
/// use probrs::tensor::{DType, Tensor};
/// let hmc = HamiltonianMonteCarlo::new(|s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5), vec![0.01], 3)?;
/// let kernel = DualAveragingStepSizeAdaptation::new(hmc, 300);
/// let run = sample_chain(10, &Structure::Tensor(Tensor::zeros(&[8], DType::F64)?), None, &kernel, &SampleChainOptions { num_burnin_steps: 300, ..Default::default() }, |_, _| ())?;
/// // From a step size far too small, up to one near 1 for N(0, 1) with 3 leapfrog steps.
/// assert!(run.final_kernel_results.inner_results.step_size()[0] > 0.3);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct DualAveragingStepSizeAdaptation<K> {
    inner: K,
    /// Steps that adapt (the first ones); then the averaged step size is used.
    pub num_adaptation_steps: usize,
    /// δ (TFP's default 0.75; Stan's NUTS uses 0.8).
    pub target_accept_prob: f64,
    /// γ (0.05).
    pub exploration_shrinkage: f64,
    /// t₀ (10).
    pub step_count_smoothing: f64,
    /// κ (0.75).
    pub decay_rate: f64,
    /// μ, the log step size the iterates shrink toward; `None`: log(10 ε₀) of the initial step.
    pub shrinkage_target: Option<Vec<f64>>,
}

/// TFP's `DualAveragingStepSizeAdaptationResults`.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{DualAveragingStepSizeAdaptation, HamiltonianMonteCarlo, TransitionKernel};
/// use probrs::tensor::{DType, Tensor};
/// let k = DualAveragingStepSizeAdaptation::new(HamiltonianMonteCarlo::new(|s: &Structure| s.as_tensor()?.neg(), vec![0.1], 2)?, 10);
/// let r = k.bootstrap_results(&Structure::Tensor(Tensor::ones(&[2], DType::F64)?))?;
/// assert!((r.shrinkage_target[0] - 1f64.ln()).abs() < 1e-12); // log(10 · 0.1)
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct DualAveragingStepSizeAdaptationResults<R> {
    /// The inner kernel's results (with the step size the next step uses).
    pub inner_results: R,
    /// Steps taken.
    pub step: usize,
    /// H_t = Σ (δ − p).
    pub error_sum: f64,
    /// log ε̄ per state part.
    pub log_averaging_step: Vec<f64>,
    /// μ per state part.
    pub shrinkage_target: Vec<f64>,
}

impl<K> DualAveragingStepSizeAdaptation<K> {
    /// Dual averaging of `inner_kernel`'s step size over the first `num_adaptation_steps`
    /// steps, with TFP's defaults.
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{DualAveragingStepSizeAdaptation, HamiltonianMonteCarlo};
    /// let k = DualAveragingStepSizeAdaptation::new(HamiltonianMonteCarlo::new(|s: &Structure| s.as_tensor()?.neg(), vec![0.1], 2)?, 100);
    /// assert_eq!((k.target_accept_prob, k.exploration_shrinkage, k.step_count_smoothing, k.decay_rate), (0.75, 0.05, 10.0, 0.75));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(inner_kernel: K, num_adaptation_steps: usize) -> Self {
        DualAveragingStepSizeAdaptation { inner: inner_kernel, num_adaptation_steps, target_accept_prob: 0.75, exploration_shrinkage: 0.05, step_count_smoothing: 10.0, decay_rate: 0.75, shrinkage_target: None }
    }
}

impl<K> TransitionKernel for DualAveragingStepSizeAdaptation<K>
where
    K: TransitionKernel,
    K::Results: StepSizeResults,
{
    type Results = DualAveragingStepSizeAdaptationResults<K::Results>;
    fn one_step(&self, state: &Structure, previous: &Self::Results, seed: Seed) -> Result<(Structure, Self::Results)> {
        let (next, r) = self.inner.one_step(state, &previous.inner_results, seed)?;
        let mut out = DualAveragingStepSizeAdaptationResults { inner_results: r, step: previous.step + 1, ..previous.clone() };
        if previous.step < self.num_adaptation_steps {
            let p = mean_accept_prob(out.inner_results.log_accept_ratio())?;
            let t = out.step as f64;
            out.error_sum = previous.error_sum + self.target_accept_prob - p;
            let log_step: Vec<f64> = previous.shrinkage_target.iter().map(|mu| mu - t.sqrt() / self.exploration_shrinkage * out.error_sum / (t + self.step_count_smoothing)).collect();
            let w = t.powf(-self.decay_rate);
            out.log_averaging_step = log_step.iter().zip(&previous.log_averaging_step).map(|(l, a)| w * l + (1.0 - w) * a).collect();
            // While adapting, step with the iterate; once done, with the average.
            let chosen = if out.step < self.num_adaptation_steps { &log_step } else { &out.log_averaging_step };
            out.inner_results = out.inner_results.with_step_size(chosen.iter().map(|l| l.exp()).collect());
        }
        Ok((next, out))
    }
    fn bootstrap_results(&self, init_state: &Structure) -> Result<Self::Results> {
        let inner_results = self.inner.bootstrap_results(init_state)?;
        let eps = inner_results.step_size().to_vec();
        let shrinkage_target = match &self.shrinkage_target {
            Some(mu) if mu.len() == eps.len() => mu.clone(),
            Some(mu) => return Err(Error::invalid_parameter("shrinkage_target", format!("{} values for {} step sizes", mu.len(), eps.len()))),
            None => eps.iter().map(|e| (10.0 * e).ln()).collect(),
        };
        Ok(DualAveragingStepSizeAdaptationResults { log_averaging_step: eps.iter().map(|e| e.ln()).collect(), inner_results, step: 0, error_sum: 0.0, shrinkage_target })
    }
    fn is_calibrated(&self) -> bool {
        self.inner.is_calibrated()
    }
}
