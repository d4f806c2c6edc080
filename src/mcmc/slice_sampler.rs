//! Slice sampling: TFP's `tfp.mcmc.SliceSampler` (Neal 2003), hit-and-run over the whole state.
//!
//! Each chain draws a direction `u` uniformly on the sphere of its flattened state, a level
//! `log y = log π(x) − Exp(1)` under the density, and samples `x + t u` uniformly from the
//! slice `{t : log π(x + t u) > log y}`: an interval of width `step_size` placed at random
//! around `t = 0`, doubled (at most `max_doublings` times) until both ends are outside the
//! slice, then shrunk toward 0 on each rejected point; a point is accepted only if the doubling
//! procedure could have produced the same interval from it (Neal's Fig. 6), which keeps the
//! chain reversible. No gradients are needed.

use super::kernel::{target_at, TargetLogProbFn, TransitionKernel};
use super::log_density::Layout;
use super::integrator::map_chains;
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::random::Seed;
use crate::tensor::Tensor;
use rand::Rng;
use rand_distr::{Exp1, StandardNormal};
use std::sync::Arc;

/// TFP's `SliceSampler`.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{sample_chain, SampleChainOptions, SliceSampler};
/// use probrs::tensor::{DType, Tensor};
/// // N(0, 1) in 2-D, 4 chains.
/// let k = SliceSampler::new(|s: &Structure| s.as_tensor()?.square()?.sum_axes(&[1], false)?.mul_scalar(-0.5), 1.0, 5)?;
/// let run = sample_chain(1000, &Structure::Tensor(Tensor::zeros(&[4, 2], DType::F64)?), None, &k, &SampleChainOptions::default(), |_, _| ())?;
/// let v = run.all_states.as_tensor()?.to_vec()?;
/// let var = v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64;
/// assert!((var - 1.0).abs() < 0.1, "{var}");
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct SliceSampler {
    target: Arc<TargetLogProbFn>,
    /// The initial interval width `w`.
    pub step_size: f64,
    /// The most times the interval doubles.
    pub max_doublings: usize,
}

/// TFP's `SliceSamplerKernelResults`, per chain where it varies.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{SliceSampler, TransitionKernel};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let k = SliceSampler::new(|s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5), 0.5, 4)?;
/// let x = Structure::Tensor(Tensor::zeros(&[3], DType::F64)?);
/// let (_, r) = k.one_step(&x, &k.bootstrap_results(&x)?, Seed::new(2))?;
/// assert_eq!(r.target_log_prob.shape(), &[3]);
/// assert!(r.num_evaluations.iter().all(|n| *n >= 2));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SliceSamplerResults {
    /// The target at the current state, per chain.
    pub target_log_prob: Tensor,
    /// Per chain, the target evaluations the last step took.
    pub num_evaluations: Vec<usize>,
    /// Per chain, whether the doubled interval's ends were outside the slice (false when it
    /// stopped at `max_doublings`).
    pub bounds_satisfied: Vec<bool>,
}

impl SliceSampler {
    /// A slice sampler with initial interval width `step_size` and at most `max_doublings`
    /// doublings (TFP has no defaults for either).
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::SliceSampler;
    /// assert!(SliceSampler::new(|s: &Structure| s.as_tensor()?.neg(), 0.0, 5).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(target_log_prob_fn: impl Fn(&Structure) -> Result<Tensor> + Send + Sync + 'static, step_size: f64, max_doublings: usize) -> Result<Self> {
        if !(step_size > 0.0 && step_size.is_finite()) {
            return Err(Error::invalid_parameter("step_size", format!("must be positive and finite, got {step_size}")));
        }
        Ok(SliceSampler { target: Arc::new(target_log_prob_fn), step_size, max_doublings })
    }
}

/// One chain's slice step along a random direction from `x0` (log-density `lp0`).
fn slice_step(f: &dyn Fn(&[f64]) -> Result<f64>, x0: &[f64], lp0: f64, w: f64, max_doublings: usize, rng: &mut impl Rng) -> Result<(Vec<f64>, f64, usize, bool)> {
    let d = x0.len();
    let mut u: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
    let norm = u.iter().map(|v| v * v).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    u.iter_mut().for_each(|v| *v /= norm);
    let mut evals = 0;
    let mut at = |t: f64| -> Result<f64> {
        evals += 1;
        let x: Vec<f64> = x0.iter().zip(&u).map(|(a, b)| a + t * b).collect();
        let v = f(&x)?;
        Ok(if v.is_nan() { f64::NEG_INFINITY } else { v })
    };
    let level = lp0 - rng.sample::<f64, _>(Exp1);
    let mut l = -w * rng.random::<f64>();
    let mut r = l + w;
    let (mut fl, mut fr) = (at(l)?, at(r)?);
    let mut k = max_doublings;
    while k > 0 && (level < fl || level < fr) {
        if rng.random::<f64>() < 0.5 {
            l -= r - l;
            fl = at(l)?;
        } else {
            r += r - l;
            fr = at(r)?;
        }
        k -= 1;
    }
    let bounds_satisfied = !(level < fl || level < fr);
    let (mut lb, mut rb) = (l, r);
    for _ in 0..200 {
        let t = lb + rng.random::<f64>() * (rb - lb);
        let ft = at(t)?;
        if level < ft {
            // Neal's acceptance test for the doubling procedure.
            let (mut lh, mut rh) = (l, r);
            let mut differ = false;
            let mut ok = true;
            while rh - lh > 1.1 * w {
                let m = 0.5 * (lh + rh);
                if (0.0 < m && t >= m) || (0.0 >= m && t < m) {
                    differ = true;
                }
                if t < m {
                    rh = m;
                } else {
                    lh = m;
                }
                if differ && level >= at(lh)? && level >= at(rh)? {
                    ok = false;
                    break;
                }
            }
            if ok {
                let x: Vec<f64> = x0.iter().zip(&u).map(|(a, b)| a + t * b).collect();
                return Ok((x, ft, evals, bounds_satisfied));
            }
        }
        if t < 0.0 {
            lb = t;
        } else {
            rb = t;
        }
    }
    // The interval shrank onto the current point without an acceptable proposal: stay.
    Ok((x0.to_vec(), lp0, evals, bounds_satisfied))
}

impl TransitionKernel for SliceSampler {
    type Results = SliceSamplerResults;

    fn one_step(&self, current_state: &Structure, previous: &Self::Results, seed: Seed) -> Result<(Structure, Self::Results)> {
        let chain_rank = previous.target_log_prob.rank();
        let layout = Layout::of(current_state, chain_rank)?;
        let batch = previous.target_log_prob.shape().to_vec();
        let xs = layout.flatten(current_state)?;
        let lps = previous.target_log_prob.to_vec()?;
        let ones = vec![1; chain_rank];
        let f = |x: &[f64]| -> Result<f64> { (self.target)(&layout.structure(&[x], &ones)?)?.sum_all()?.to_scalar() };
        let steps = map_chains(xs.len(), 1, |c| slice_step(&f, &xs[c], lps[c], self.step_size, self.max_doublings, &mut seed.fold_in(c as u64).rng()));
        let steps: Vec<(Vec<f64>, f64, usize, bool)> = steps.into_iter().collect::<Result<_>>()?;
        let next = layout.structure(&steps.iter().map(|s| s.0.as_slice()).collect::<Vec<_>>(), &batch)?;
        Ok((
            next,
            SliceSamplerResults {
                target_log_prob: Tensor::from_slice(&steps.iter().map(|s| s.1).collect::<Vec<_>>(), &batch, previous.target_log_prob.dtype())?,
                num_evaluations: steps.iter().map(|s| s.2).collect(),
                bounds_satisfied: steps.iter().map(|s| s.3).collect(),
            },
        ))
    }

    fn bootstrap_results(&self, init_state: &Structure) -> Result<Self::Results> {
        let lp = target_at(self.target.as_ref(), init_state, true)?;
        let n = lp.elem_count();
        Ok(SliceSamplerResults { target_log_prob: lp, num_evaluations: vec![0; n], bounds_satisfied: vec![true; n] })
    }

    fn is_calibrated(&self) -> bool {
        true
    }
}
