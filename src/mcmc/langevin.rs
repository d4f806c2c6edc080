//! The Metropolis-adjusted Langevin algorithm: TFP's `UncalibratedLangevin` and
//! `MetropolisAdjustedLangevinAlgorithm` (the same corrected by [`MetropolisHastings`]).
//!
//! One Euler–Maruyama step of the Langevin diffusion with step `ε` (one per state part) and a
//! diagonal volatility `v(x)` (default 1) proposes
//!
//! ```text
//! x′ = x + d(x) + v(x) √ε ξ,   ξ ~ N(0, I),   d(x) = ½ ε (v(x)² ∇log π(x) + ∇(v(x)²))
//! ```
//!
//! and the acceptance correction is `log q(x | x′) − log q(x′ | x)` with
//! `q(x′ | x) = N(x′; x + d(x), ε v(x)²)` (Roberts & Rosenthal 1998; Xifara et al. 2013).
//! `volatility_fn` is applied entry by entry (each volatility depends on its own coordinate,
//! TFP's diagonal preconditioning), so `∇(v²)` is the gradient of `Σ v²`.

use super::kernel::{check_step_size, choose_tensor, step_size_per_part, value_and_gradients, ProposalResults, TargetLogProbFn, TransitionKernel};
use super::metropolis_hastings::{MetropolisHastings, MetropolisHastingsResults};
use super::step_size_adaptation::ProposalStepSize;
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::random::{self, Seed};
use crate::tensor::{Mask, Tensor};
use std::sync::Arc;

/// A volatility per state part, entry by entry (TFP's `volatility_fn`).
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::VolatilityFn;
/// use std::sync::Arc;
/// // v(x) = 1 + x²/10 for every entry of a single-tensor state.
/// let v: Arc<VolatilityFn> = Arc::new(|s: &Structure| Ok(vec![s.as_tensor()?.square()?.mul_scalar(0.1)?.add_scalar(1.0)?]));
/// # let _ = v;
/// ```
pub type VolatilityFn = dyn Fn(&Structure) -> Result<Vec<Tensor>> + Send + Sync;

/// TFP's `UncalibratedLangevin`: the Langevin proposal, not calibrated on its own.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{TransitionKernel, UncalibratedLangevin};
/// let k = UncalibratedLangevin::new(|s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5), vec![0.1])?;
/// assert!(!k.is_calibrated());
/// assert!(UncalibratedLangevin::new(|s: &Structure| s.as_tensor()?.neg(), vec![0.0]).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct UncalibratedLangevin {
    target: Arc<TargetLogProbFn>,
    step_size: Vec<f64>,
    volatility_fn: Option<Arc<VolatilityFn>>,
}

/// TFP's `UncalibratedLangevinKernelResults`.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{TransitionKernel, UncalibratedLangevin};
/// use probrs::tensor::{DType, Tensor};
/// let k = UncalibratedLangevin::new(|s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5), vec![0.1])?;
/// let r = k.bootstrap_results(&Structure::Tensor(Tensor::vector(&[2.0], DType::F64)?))?;
/// // drift = ½ ε ∇log π = ½ · 0.1 · (−2)
/// assert!((r.diffusion_drift[0].to_vec()?[0] + 0.1).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct UncalibratedLangevinResults {
    /// `log q(x | x′) − log q(x′ | x)` per chain (zero at bootstrap).
    pub log_acceptance_correction: Tensor,
    /// The target at the state these results belong to.
    pub target_log_prob: Tensor,
    /// Its gradient, one tensor per part.
    pub grads_target_log_prob: Vec<Tensor>,
    /// The volatility at the state, one tensor per part.
    pub volatility: Vec<Tensor>,
    /// The gradient of `Σ v²` at the state, one tensor per part (TFP's `grads_volatility`).
    pub grads_volatility: Vec<Tensor>,
    /// The drift `d(x)` at the state, one tensor per part.
    pub diffusion_drift: Vec<Tensor>,
    /// The step size per state part.
    pub step_size: Vec<f64>,
}

impl UncalibratedLangevin {
    /// The Langevin proposal with `step_size` (one, or one per state part) and unit volatility.
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::UncalibratedLangevin;
    /// assert!(UncalibratedLangevin::new(|s: &Structure| s.as_tensor()?.neg(), vec![0.5, 0.1]).is_ok());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(target_log_prob_fn: impl Fn(&Structure) -> Result<Tensor> + Send + Sync + 'static, step_size: Vec<f64>) -> Result<Self> {
        check_step_size(&step_size)?;
        Ok(UncalibratedLangevin { target: Arc::new(target_log_prob_fn), step_size, volatility_fn: None })
    }

    /// The same with a volatility function (one tensor per part, or one for all parts).
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::UncalibratedLangevin;
    /// use std::sync::Arc;
    /// let k = UncalibratedLangevin::new(|s: &Structure| s.as_tensor()?.neg(), vec![0.1])?
    ///     .with_volatility_fn(Arc::new(|s: &Structure| Ok(vec![s.as_tensor()?.ones_like()?.mul_scalar(2.0)?])));
    /// # let _ = k;
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_volatility_fn(mut self, volatility_fn: Arc<VolatilityFn>) -> Self {
        self.volatility_fn = Some(volatility_fn);
        self
    }

    /// The volatility at `state` and the gradient of `Σ v²`, one tensor per part.
    fn volatility(&self, state: &Structure) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
        let parts = state.tensors();
        let Some(f) = &self.volatility_fn else {
            return Ok((parts.iter().map(|p| p.ones_like()).collect::<Result<_>>()?, parts.iter().map(|p| p.zeros_like()).collect::<Result<_>>()?));
        };
        let tracked = state.try_map(|t| t.tracked())?;
        let mut v = f(&tracked)?;
        if v.len() == 1 && parts.len() > 1 {
            v = vec![v[0].clone(); parts.len()];
        }
        if v.len() != parts.len() {
            return Err(Error::invalid_parameter("volatility_fn", format!("{} volatilities for {} state parts", v.len(), parts.len())));
        }
        let tparts = tracked.tensors();
        let v: Vec<Tensor> = v.iter().zip(&tparts).map(|(v, p)| v.add(&p.zeros_like()?)).collect::<Result<_>>()?;
        let mut total: Option<Tensor> = None;
        for t in &v {
            let s = t.square()?.sum_all()?;
            total = Some(match total {
                None => s,
                Some(a) => a.add(&s)?,
            });
        }
        let total = total.ok_or_else(|| Error::invalid_parameter("state", "has no parts"))?;
        let grads = total.grad(&tparts)?;
        let grads = grads.into_iter().zip(&tparts).map(|(g, p)| g.map_or_else(|| p.zeros_like(), |g| Ok(g.detach()))).collect::<Result<Vec<_>>>()?;
        Ok((v.iter().map(|t| t.detach()).collect(), grads))
    }

    fn drift(eps: &[f64], v: &[Tensor], gv: &[Tensor], g: &[Tensor]) -> Result<Vec<Tensor>> {
        eps.iter().zip(v).zip(gv).zip(g).map(|(((e, v), gv), g)| v.square()?.mul(g)?.add(gv)?.mul_scalar(0.5 * e)).collect()
    }

    /// `Σ_parts Σ_event [log(v√ε) + ½((to − from − drift)/(v√ε))²]` per chain.
    fn energy(from: &[&Tensor], to: &[&Tensor], drift: &[Tensor], v: &[Tensor], eps: &[f64], chain_rank: usize) -> Result<Tensor> {
        let mut total: Option<Tensor> = None;
        for ((((a, b), d), v), e) in from.iter().zip(to).zip(drift).zip(v).zip(eps) {
            let sv = v.mul_scalar(e.sqrt())?;
            let z = b.sub(a)?.sub(d)?.div(&sv)?;
            let t = sv.log()?.add(&z.square()?.mul_scalar(0.5)?)?;
            let k = t.rank() - chain_rank;
            let t = if k == 0 { t } else { t.sum_last(k)? };
            total = Some(match total {
                None => t,
                Some(x) => x.add(&t)?,
            });
        }
        total.ok_or_else(|| Error::invalid_parameter("state", "has no parts"))
    }
}

impl ProposalResults for UncalibratedLangevinResults {
    fn target_log_prob(&self) -> &Tensor {
        &self.target_log_prob
    }
    fn log_acceptance_correction(&self) -> &Tensor {
        &self.log_acceptance_correction
    }
    fn choose(accept: &Mask, proposed: &Self, current: &Self) -> Result<Self> {
        let pick = |a: &[Tensor], b: &[Tensor]| -> Result<Vec<Tensor>> { a.iter().zip(b).map(|(a, b)| choose_tensor(accept, a, b)).collect() };
        Ok(UncalibratedLangevinResults {
            log_acceptance_correction: choose_tensor(accept, &proposed.log_acceptance_correction, &current.log_acceptance_correction)?,
            target_log_prob: choose_tensor(accept, &proposed.target_log_prob, &current.target_log_prob)?,
            grads_target_log_prob: pick(&proposed.grads_target_log_prob, &current.grads_target_log_prob)?,
            volatility: pick(&proposed.volatility, &current.volatility)?,
            grads_volatility: pick(&proposed.grads_volatility, &current.grads_volatility)?,
            diffusion_drift: pick(&proposed.diffusion_drift, &current.diffusion_drift)?,
            step_size: current.step_size.clone(),
        })
    }
}

impl TransitionKernel for UncalibratedLangevin {
    type Results = UncalibratedLangevinResults;

    fn one_step(&self, current_state: &Structure, previous: &Self::Results, seed: Seed) -> Result<(Structure, Self::Results)> {
        let parts = current_state.tensors();
        let eps = step_size_per_part(&previous.step_size, parts.len())?;
        // The drift for this step size (the step size may have changed since the results).
        let drift = Self::drift(&eps, &previous.volatility, &previous.grads_volatility, &previous.grads_target_log_prob)?;
        let seeds = seed.split(parts.len());
        let mut k = 0;
        let proposed = current_state.try_map(|x| {
            let xi = random::normal(x.shape(), x.dtype(), seeds[k])?;
            let r = x.add(&drift[k])?.add(&previous.volatility[k].mul(&xi)?.mul_scalar(eps[k].sqrt())?);
            k += 1;
            r
        })?;
        let (_, lp, grads) = value_and_gradients(self.target.as_ref(), &proposed, false)?;
        let (v1, gv1) = self.volatility(&proposed)?;
        let drift1 = Self::drift(&eps, &v1, &gv1, &grads)?;
        let chain_rank = previous.target_log_prob.rank();
        let pparts = proposed.tensors();
        let forward = Self::energy(&parts, &pparts, &drift, &previous.volatility, &eps, chain_rank)?;
        let backward = Self::energy(&pparts, &parts, &drift1, &v1, &eps, chain_rank)?;
        Ok((proposed.clone(), UncalibratedLangevinResults { log_acceptance_correction: forward.sub(&backward)?, target_log_prob: lp, grads_target_log_prob: grads, volatility: v1, grads_volatility: gv1, diffusion_drift: drift1, step_size: eps }))
    }

    fn bootstrap_results(&self, init_state: &Structure) -> Result<Self::Results> {
        let eps = step_size_per_part(&self.step_size, init_state.len())?;
        let (_, lp, grads) = value_and_gradients(self.target.as_ref(), init_state, true)?;
        let (v, gv) = self.volatility(init_state)?;
        let drift = Self::drift(&eps, &v, &gv, &grads)?;
        Ok(UncalibratedLangevinResults { log_acceptance_correction: lp.zeros_like()?, target_log_prob: lp, grads_target_log_prob: grads, volatility: v, grads_volatility: gv, diffusion_drift: drift, step_size: eps })
    }

    fn is_calibrated(&self) -> bool {
        false
    }
}

/// TFP's `MetropolisAdjustedLangevinAlgorithm`: [`UncalibratedLangevin`] corrected by
/// [`MetropolisHastings`].
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{sample_chain, MetropolisAdjustedLangevinAlgorithm, SampleChainOptions};
/// use probrs::tensor::{DType, Tensor};
/// // TFP's example: N(0, 1) with step size 0.75.
/// let k = MetropolisAdjustedLangevinAlgorithm::new(|s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5), vec![0.75])?;
/// let run = sample_chain(2000, &Structure::Tensor(Tensor::zeros(&[4], DType::F64)?), None, &k, &SampleChainOptions { num_burnin_steps: 200, ..Default::default() }, |_, _| ())?;
/// let v = run.all_states.as_tensor()?.to_vec()?;
/// let var = v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64;
/// assert!((var - 1.0).abs() < 0.1, "{var}");
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct MetropolisAdjustedLangevinAlgorithm(MetropolisHastings<UncalibratedLangevin>);

impl MetropolisAdjustedLangevinAlgorithm {
    /// MALA with `step_size` (one, or one per state part) and unit volatility.
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{MetropolisAdjustedLangevinAlgorithm, TransitionKernel};
    /// assert!(MetropolisAdjustedLangevinAlgorithm::new(|s: &Structure| s.as_tensor()?.neg(), vec![0.1])?.is_calibrated());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(target_log_prob_fn: impl Fn(&Structure) -> Result<Tensor> + Send + Sync + 'static, step_size: Vec<f64>) -> Result<Self> {
        Ok(MetropolisAdjustedLangevinAlgorithm(MetropolisHastings::new(UncalibratedLangevin::new(target_log_prob_fn, step_size)?)))
    }

    /// MALA with a volatility function (diagonal preconditioning).
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{MetropolisAdjustedLangevinAlgorithm, UncalibratedLangevin};
    /// use std::sync::Arc;
    /// let inner = UncalibratedLangevin::new(|s: &Structure| s.as_tensor()?.neg(), vec![0.1])?.with_volatility_fn(Arc::new(|s: &Structure| Ok(vec![s.as_tensor()?.ones_like()?])));
    /// let _k = MetropolisAdjustedLangevinAlgorithm::from_inner(inner);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_inner(inner: UncalibratedLangevin) -> Self {
        MetropolisAdjustedLangevinAlgorithm(MetropolisHastings::new(inner))
    }
}

impl TransitionKernel for MetropolisAdjustedLangevinAlgorithm {
    type Results = MetropolisHastingsResults<UncalibratedLangevinResults>;
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

impl ProposalStepSize for UncalibratedLangevinResults {
    fn proposal_step_size(&self) -> &[f64] {
        &self.step_size
    }
    fn set_step_size(&mut self, step_size: Vec<f64>) {
        self.step_size = step_size;
    }
}
