//! Random-walk Metropolis: TFP's `UncalibratedRandomWalk` (propose `x′ = new_state_fn(x)`, a
//! symmetric move, so the acceptance correction is 0) and `RandomWalkMetropolis`, the same
//! corrected by [`MetropolisHastings`]. `random_walk_normal_fn(scale)` adds `scale · N(0, 1)`
//! to every entry, `random_walk_uniform_fn(scale)` adds `Uniform(−scale, scale)`; any function
//! of (state, seed) is a proposal.

use super::kernel::{choose_tensor, target_at, ProposalResults, TargetLogProbFn, TransitionKernel};
use super::metropolis_hastings::{MetropolisHastings, MetropolisHastingsResults};
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::random::{self, Seed};
use crate::tensor::{Mask, Tensor};
use std::sync::Arc;

/// A proposal: the next state from the current one and a seed.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::NewStateFn;
/// use std::sync::Arc;
/// // Every coordinate moves by +0.1 (not a valid random walk, but a valid function).
/// let drift: NewStateFn = Arc::new(|s: &Structure, _seed| s.try_map(|t| t.add_scalar(0.1)));
/// # let _ = drift;
/// ```
pub type NewStateFn = Arc<dyn Fn(&Structure, Seed) -> Result<Structure> + Send + Sync>;

/// Every part plus `step(part, seed)`, each part with its own seed.
fn add_to_each_part(state: &Structure, seed: Seed, step: impl Fn(&Tensor, Seed) -> Result<Tensor>) -> Result<Structure> {
    let seeds = seed.split(state.len().max(1));
    let mut i = 0;
    state.try_map(|t| {
        let moved = t.add(&step(t, seeds[i])?);
        i += 1;
        moved
    })
}

/// TFP's `random_walk_normal_fn(scale)`: every entry moves by `scale · N(0, 1)`.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::random_walk_normal_fn;
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let f = random_walk_normal_fn(0.1);
/// let x = Structure::Tensor(Tensor::zeros(&[1000], DType::F64)?);
/// let moved = f(&x, Seed::new(3))?;
/// let v = moved.as_tensor()?.to_vec()?;
/// let sd = (v.iter().map(|x| x * x).sum::<f64>() / 1000.0).sqrt();
/// assert!((sd - 0.1).abs() < 0.01);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn random_walk_normal_fn(scale: f64) -> NewStateFn {
    Arc::new(move |state: &Structure, seed: Seed| add_to_each_part(state, seed, |t, s| random::normal(t.shape(), t.dtype(), s)?.mul_scalar(scale)))
}

/// TFP's `random_walk_uniform_fn(scale)`: every entry moves by `Uniform(−scale, scale)`.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::random_walk_uniform_fn;
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let moved = random_walk_uniform_fn(0.5)(&Structure::Tensor(Tensor::zeros(&[100], DType::F32)?), Seed::new(1))?;
/// assert!(moved.as_tensor()?.to_vec()?.iter().all(|v| v.abs() <= 0.5));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn random_walk_uniform_fn(scale: f64) -> NewStateFn {
    Arc::new(move |state: &Structure, seed: Seed| add_to_each_part(state, seed, |t, s| random::uniform_range(t.shape(), -scale, scale, t.dtype(), s)))
}

/// TFP's `UncalibratedRandomWalk`: proposes `new_state_fn(x)`; not calibrated on its own.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{random_walk_normal_fn, TransitionKernel, UncalibratedRandomWalk};
/// let k = UncalibratedRandomWalk::new(|s: &Structure| s.as_tensor()?.neg(), random_walk_normal_fn(1.0));
/// assert!(!k.is_calibrated());
/// ```
pub struct UncalibratedRandomWalk {
    target: Arc<TargetLogProbFn>,
    new_state_fn: NewStateFn,
}

/// TFP's `UncalibratedRandomWalkResults`.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{random_walk_normal_fn, TransitionKernel, UncalibratedRandomWalk};
/// use probrs::tensor::{DType, Tensor};
/// let k = UncalibratedRandomWalk::new(|s: &Structure| s.as_tensor()?.neg(), random_walk_normal_fn(1.0));
/// let r = k.bootstrap_results(&Structure::Tensor(Tensor::vector(&[1.0, 2.0], DType::F64)?))?;
/// assert_eq!(r.log_acceptance_correction.to_vec()?, vec![0.0, 0.0]); // symmetric
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct UncalibratedRandomWalkResults {
    /// 0: the random walk is symmetric.
    pub log_acceptance_correction: Tensor,
    /// The target at the state these results belong to.
    pub target_log_prob: Tensor,
}

impl UncalibratedRandomWalk {
    /// A random walk on `target_log_prob_fn` with proposal `new_state_fn`.
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{random_walk_normal_fn, TransitionKernel, UncalibratedRandomWalk};
    /// use probrs::tensor::{DType, Tensor};
    /// let k = UncalibratedRandomWalk::new(|s: &Structure| s.as_tensor()?.square()?.neg(), random_walk_normal_fn(1.0));
    /// let r = k.bootstrap_results(&Structure::Tensor(Tensor::vector(&[2.0], DType::F64)?))?;
    /// assert_eq!(r.target_log_prob.to_vec()?, vec![-4.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(target_log_prob_fn: impl Fn(&Structure) -> Result<Tensor> + Send + Sync + 'static, new_state_fn: NewStateFn) -> Self {
        UncalibratedRandomWalk { target: Arc::new(target_log_prob_fn), new_state_fn }
    }
}

impl ProposalResults for UncalibratedRandomWalkResults {
    fn target_log_prob(&self) -> &Tensor {
        &self.target_log_prob
    }
    fn log_acceptance_correction(&self) -> &Tensor {
        &self.log_acceptance_correction
    }
    fn choose(accept: &Mask, proposed: &Self, current: &Self) -> Result<Self> {
        Ok(UncalibratedRandomWalkResults {
            log_acceptance_correction: choose_tensor(accept, &proposed.log_acceptance_correction, &current.log_acceptance_correction)?,
            target_log_prob: choose_tensor(accept, &proposed.target_log_prob, &current.target_log_prob)?,
        })
    }
}

impl TransitionKernel for UncalibratedRandomWalk {
    type Results = UncalibratedRandomWalkResults;

    fn one_step(&self, current_state: &Structure, _previous: &Self::Results, seed: Seed) -> Result<(Structure, Self::Results)> {
        let proposed = (self.new_state_fn)(current_state, seed)?;
        if proposed.len() != current_state.len() {
            return Err(Error::invalid_parameter("new_state_fn", format!("returned {} for a state of {}", proposed.describe(), current_state.describe())));
        }
        let target_log_prob = target_at(self.target.as_ref(), &proposed, false)?;
        Ok((proposed, UncalibratedRandomWalkResults { log_acceptance_correction: target_log_prob.zeros_like()?, target_log_prob }))
    }

    fn bootstrap_results(&self, init_state: &Structure) -> Result<Self::Results> {
        let target_log_prob = target_at(self.target.as_ref(), init_state, true)?;
        Ok(UncalibratedRandomWalkResults { log_acceptance_correction: target_log_prob.zeros_like()?, target_log_prob })
    }

    fn is_calibrated(&self) -> bool {
        false
    }
}

/// TFP's `RandomWalkMetropolis`: an [`UncalibratedRandomWalk`] corrected by
/// [`MetropolisHastings`].
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{random_walk_normal_fn, RandomWalkMetropolis, TransitionKernel};
/// use probrs::tensor::{DType, Tensor};
/// let k = RandomWalkMetropolis::new(|s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5), random_walk_normal_fn(1.0));
/// assert!(k.is_calibrated());
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct RandomWalkMetropolis(MetropolisHastings<UncalibratedRandomWalk>);

impl RandomWalkMetropolis {
    /// Random-walk Metropolis on `target_log_prob_fn` with proposal `new_state_fn`.
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{random_walk_uniform_fn, RandomWalkMetropolis, TransitionKernel};
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// let k = RandomWalkMetropolis::new(|s: &Structure| s.as_tensor()?.abs()?.neg(), random_walk_uniform_fn(1.0));
    /// let x = Structure::Tensor(Tensor::zeros(&[4], DType::F64)?);
    /// let (y, r) = k.one_step(&x, &k.bootstrap_results(&x)?, Seed::new(0))?;
    /// assert_eq!(y.as_tensor()?.shape(), &[4]);
    /// assert_eq!(r.accepted_results.target_log_prob.shape(), &[4]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(target_log_prob_fn: impl Fn(&Structure) -> Result<Tensor> + Send + Sync + 'static, new_state_fn: NewStateFn) -> Self {
        RandomWalkMetropolis(MetropolisHastings::new(UncalibratedRandomWalk::new(target_log_prob_fn, new_state_fn)))
    }
}

impl TransitionKernel for RandomWalkMetropolis {
    type Results = MetropolisHastingsResults<UncalibratedRandomWalkResults>;
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
