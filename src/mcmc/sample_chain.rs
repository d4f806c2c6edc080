//! `sample_chain`: TFP's `tfp.mcmc.sample_chain`. Runs `num_burnin_steps` steps, then
//! `num_results` results with `num_steps_between_results` steps thinned out between them, and
//! returns the states (each part stacked along a new leading dimension: `[num_results,
//! chains..., event...]`), what `trace_fn` read at each result, and the final kernel results.
//!
//! Chains are the state's leading dimensions and run together (vectorized, TFP style); or,
//! with [`sample_chain_on_threads`], each chain alone on a pool of threads. Step `k`'s seed is
//! `seed.fold_in(k)`: the same seed gives the same draws, bit for bit, whatever the threads.

use super::kernel::TransitionKernel;
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::random::Seed;
use crate::tensor::Tensor;

/// `sample_chain`'s counts and seed, TFP's defaults.
///
/// ```
/// use probrs::mcmc::SampleChainOptions;
/// let o = SampleChainOptions::default();
/// assert_eq!((o.num_burnin_steps, o.num_steps_between_results, o.keep_draws_on_failure), (0, 0, false));
/// let warm = SampleChainOptions { num_burnin_steps: 500, ..Default::default() };
/// assert_eq!(warm.num_burnin_steps, 500);
/// ```
#[derive(Clone, Debug)]
pub struct SampleChainOptions {
    /// Steps run and discarded before the first result (default 0).
    pub num_burnin_steps: usize,
    /// Steps run and discarded between two results (thinning; default 0).
    pub num_steps_between_results: usize,
    /// The seed of the whole run.
    pub seed: Seed,
    /// When a step fails after some results were collected: `false` (default, TFP's behaviour)
    /// returns the error naming the step; `true` returns the results so far with the failure
    /// recorded in [`ChainResults::failure`], so no draw already made is lost.
    pub keep_draws_on_failure: bool,
}

impl Default for SampleChainOptions {
    fn default() -> Self {
        SampleChainOptions { num_burnin_steps: 0, num_steps_between_results: 0, seed: Seed::new(0), keep_draws_on_failure: false }
    }
}

/// What [`sample_chain`] returns (TFP's `StatesAndTrace` with the final kernel results).
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{random_walk_normal_fn, sample_chain, RandomWalkMetropolis, SampleChainOptions};
/// use probrs::tensor::{DType, Tensor};
/// let k = RandomWalkMetropolis::new(|s: &Structure| s.as_tensor()?.square()?.neg(), random_walk_normal_fn(1.0));
/// let run = sample_chain(10, &Structure::Tensor(Tensor::zeros(&[3], DType::F64)?), None, &k, &SampleChainOptions::default(), |s, _| s.as_tensor().unwrap().to_vec().unwrap())?;
/// assert_eq!((run.all_states.as_tensor()?.shape(), run.trace.len()), (&[10, 3][..], 10));
/// // The final results resume the chain where it stopped.
/// assert_eq!(run.final_kernel_results.accepted_results.target_log_prob.shape(), &[3]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ChainResults<T, R> {
    /// The states, each part stacked: `[num_results, chains..., event...]`.
    pub all_states: Structure,
    /// `trace_fn`'s value at each result.
    pub trace: Vec<T>,
    /// The kernel results after the last step (TFP's `return_final_kernel_results`), to resume.
    pub final_kernel_results: R,
    /// With `keep_draws_on_failure`: the step that failed and why (the results stop before it).
    pub failure: Option<(usize, String)>,
}

/// Runs `kernel` from `current_state` (and `previous_kernel_results`, or the kernel's
/// bootstrap) and collects `num_results` states and traces.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{random_walk_normal_fn, sample_chain, RandomWalkMetropolis, SampleChainOptions};
/// use probrs::tensor::{DType, Tensor};
/// // 4 chains on N(0, 1), 500 draws after 100 burn-in steps; trace the acceptance.
/// let kernel = RandomWalkMetropolis::new(|s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5), random_walk_normal_fn(2.0));
/// let start = Structure::Tensor(Tensor::zeros(&[4], DType::F64)?);
/// let opts = SampleChainOptions { num_burnin_steps: 100, ..Default::default() };
/// let run = sample_chain(500, &start, None, &kernel, &opts, |_, r| r.is_accepted.any().unwrap_or(false))?;
/// assert_eq!(run.all_states.as_tensor()?.shape(), &[500, 4]);
/// assert_eq!(run.trace.len(), 500);
/// let draws = run.all_states.as_tensor()?.to_vec()?;
/// let mean = draws.iter().sum::<f64>() / draws.len() as f64;
/// assert!(mean.abs() < 0.2);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn sample_chain<K: TransitionKernel, T>(
    num_results: usize,
    current_state: &Structure,
    previous_kernel_results: Option<K::Results>,
    kernel: &K,
    options: &SampleChainOptions,
    mut trace_fn: impl FnMut(&Structure, &K::Results) -> T,
) -> Result<ChainResults<T, K::Results>> {
    if num_results == 0 {
        return Err(Error::invalid_parameter("num_results", "must be at least 1"));
    }
    let mut state = current_state.clone();
    let mut results = match previous_kernel_results {
        Some(r) => r,
        None => kernel.bootstrap_results(&state)?,
    };
    let mut step = 0u64;
    let mut advance = |state: &mut Structure, results: &mut K::Results, n: usize| -> Result<()> {
        for _ in 0..n {
            let (s, r) = kernel.one_step(state, results, options.seed.fold_in(step)).map_err(|e| Error::BadInput { location: format!("sample_chain step {step}"), reason: e.to_string() })?;
            *state = s;
            *results = r;
            step += 1;
        }
        Ok(())
    };
    advance(&mut state, &mut results, options.num_burnin_steps)?;
    let mut states = Vec::with_capacity(num_results);
    let mut trace = Vec::with_capacity(num_results);
    let mut failure = None;
    for i in 0..num_results {
        if let Err(e) = advance(&mut state, &mut results, if i == 0 { 1 } else { 1 + options.num_steps_between_results }) {
            if !options.keep_draws_on_failure || states.is_empty() {
                return Err(e);
            }
            failure = Some((options.num_burnin_steps + i * (1 + options.num_steps_between_results), e.to_string()));
            break;
        }
        trace.push(trace_fn(&state, &results));
        states.push(state.clone());
    }
    Ok(ChainResults { all_states: stack(&states)?, trace, final_kernel_results: results, failure })
}

/// Stacks a run's states part by part along a new leading dimension.
fn stack(states: &[Structure]) -> Result<Structure> {
    let mut k = 0;
    states[0].try_map(|_| {
        let parts: Vec<Tensor> = states.iter().map(|s| s.tensors()[k].unsqueeze(0)).collect::<Result<_>>()?;
        k += 1;
        Tensor::concat(&parts.iter().collect::<Vec<_>>(), 0)
    })
}

/// [`sample_chain`] with each chain run on its own, spread over `num_threads` threads: chain
/// `c` of `current_state` (the leading dimension indexes chains) runs alone with seed
/// `options.seed.fold_in(c)`, so the draws are the same bit for bit whatever the thread count.
/// The states come back stacked as `sample_chain`'s (`[num_results, chains, event...]`), the
/// traces and final kernel results one per chain.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{random_walk_normal_fn, sample_chain_on_threads, RandomWalkMetropolis, SampleChainOptions};
/// use probrs::tensor::{DType, Tensor};
/// let kernel = RandomWalkMetropolis::new(|s: &Structure| s.as_tensor()?.square()?.sum_axes(&[1], false)?.mul_scalar(-0.5), random_walk_normal_fn(1.0));
/// let start = Structure::Tensor(Tensor::zeros(&[4, 2], DType::F64)?);
/// let one = sample_chain_on_threads(200, &start, &kernel, &SampleChainOptions::default(), 1, |_, _| ())?;
/// let two = sample_chain_on_threads(200, &start, &kernel, &SampleChainOptions::default(), 2, |_, _| ())?;
/// assert_eq!(one.all_states.as_tensor()?.shape(), &[200, 4, 2]);
/// assert_eq!(one.all_states.as_tensor()?.to_vec()?, two.all_states.as_tensor()?.to_vec()?);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn sample_chain_on_threads<K, T>(
    num_results: usize,
    current_state: &Structure,
    kernel: &K,
    options: &SampleChainOptions,
    num_threads: usize,
    trace_fn: impl Fn(&Structure, &K::Results) -> T + Sync,
) -> Result<ChainResults<Vec<T>, Vec<K::Results>>>
where
    K: TransitionKernel + Sync,
    K::Results: Send,
    T: Send,
{
    let chains = num_chains(current_state)?;
    let runs = run_chains_alone(0..chains, num_results, current_state, kernel, options, num_threads, trace_fn);
    let runs: Vec<ChainResults<T, K::Results>> = runs.into_iter().collect::<Result<_>>()?;
    // Each run's states are [num_results, 1, event...]: join them along the chain dimension.
    let mut k = 0;
    let all_states = runs[0].all_states.try_map(|_| {
        let parts: Vec<&Tensor> = runs.iter().map(|r| r.all_states.tensors()[k]).collect();
        k += 1;
        Tensor::concat(&parts, 1)
    })?;
    let mut trace = vec![];
    let mut finals = vec![];
    for r in runs {
        trace.push(r.trace);
        finals.push(r.final_kernel_results);
    }
    Ok(ChainResults { all_states, trace, final_kernel_results: finals, failure: None })
}

/// The chain count of a state whose leading dimension indexes chains.
pub(crate) fn num_chains(current_state: &Structure) -> Result<usize> {
    let first = current_state.tensors().first().copied().ok_or_else(|| Error::invalid_parameter("current_state", "has no parts"))?;
    first.shape().first().copied().ok_or_else(|| Error::invalid_shape("current_state", first.shape(), "needs a leading chain dimension"))
}

/// Chains `chains` of `current_state` (indices along its leading dimension), each run alone
/// with seed `options.seed.fold_in(c)` on a pool of `num_threads` threads: what
/// [`sample_chain_on_threads`] runs, and a distributed run's share of it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_chains_alone<K, T>(
    chains: std::ops::Range<usize>,
    num_results: usize,
    current_state: &Structure,
    kernel: &K,
    options: &SampleChainOptions,
    num_threads: usize,
    trace_fn: impl Fn(&Structure, &K::Results) -> T + Sync,
) -> Vec<Result<ChainResults<T, K::Results>>>
where
    K: TransitionKernel + Sync,
    K::Results: Send,
    T: Send,
{
    super::integrator::map_chains(chains.len(), num_threads, |i| {
        let c = chains.start + i;
        let one = current_state.try_map(|t| t.narrow(0, c, 1))?;
        let o = SampleChainOptions { seed: options.seed.fold_in(c as u64), ..options.clone() };
        sample_chain(num_results, &one, None, kernel, &o, |s, r| trace_fn(s, r)).map_err(|e| Error::BadInput { location: format!("chain {c}"), reason: e.to_string() })
    })
}
