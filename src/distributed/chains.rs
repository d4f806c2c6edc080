//! Chains across ranks: each rank runs its share of the chains, and the draws come together
//! at rank 0.
//!
//! Chain `c` draws from `seed.fold_in(c)` whichever rank runs it (`NutsOptions::first_chain`
//! carries the rank's offset), so 16 chains on 4 ranks are exactly the 16 chains of one
//! process, bit for bit. Rank `r` of `P` runs chains `⌊rC/P⌋ … ⌊(r+1)C/P⌋ − 1`; every rank
//! runs at least one.

use super::communicator::{agree, Communicator};
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::mcmc::{num_chains, run_chains_alone, ChainFailure, Metric, NutsChain, NutsOptions, NutsRun, NutsStats, SampleChainOptions, TransitionKernel};
use crate::tensor::Tensor;
use std::ops::Range;
use std::time::Duration;

/// The global indices of the chains this rank runs, out of `num_chains`.
///
/// ```
/// use probrs::distributed::{local_chains, SingleProcess, ThreadRanks};
/// assert_eq!(local_chains(16, &SingleProcess)?, 0..16);
/// let ranks = ThreadRanks::group(3)?;
/// let shares: Vec<_> = ranks.iter().map(|c| local_chains(8, c)).collect::<probrs::Result<_>>()?;
/// assert_eq!(shares, vec![0..2, 2..5, 5..8]);
/// assert!(local_chains(2, &ranks[0]).is_err()); // fewer chains than ranks
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn local_chains(num_chains: usize, comm: &dyn Communicator) -> Result<Range<usize>> {
    let p = comm.size();
    if num_chains < p {
        return Err(Error::invalid_parameter("num_chains", format!("{num_chains} chains on {p} ranks: every rank runs at least one chain")));
    }
    let r = comm.rank();
    Ok(r * num_chains / p..(r + 1) * num_chains / p)
}

/// One chain as it travels to rank 0.
#[derive(serde::Serialize, serde::Deserialize)]
struct WireChain {
    draws: Vec<Vec<f64>>,
    log_density: Vec<f64>,
    stats: Vec<NutsStats>,
    warmup_stats: Vec<NutsStats>,
    step_size: f64,
    inv_metric: Metric,
    notes: Vec<String>,
    failure: Option<(usize, bool, String)>,
    warmup_time: Duration,
    sampling_time: Duration,
}

/// One chain's states (each part's shape and values) and traces, as they travel to rank 0.
type WireStates<T> = (Vec<(Vec<usize>, Vec<f64>)>, Vec<T>);

fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>> {
    postcard::to_stdvec(value).map_err(|e| Error::invalid_parameter("gathered value", format!("cannot be encoded: {e}")))
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8], rank: usize) -> Result<T> {
    postcard::from_bytes(bytes).map_err(|e| Error::Rank { rank, reason: format!("its gathered data does not decode: {e}") })
}

/// NUTS with the chains spread over `comm`'s ranks: `run` is called on every rank with
/// `options` cut to that rank's share (`num_chains` its count, `first_chain` its first global
/// index) and runs any of the `sample_nuts*` functions; the chains are gathered at rank 0,
/// which returns the whole run (`Some`, chains in global order) while the others return
/// `None`. A rank whose `run` fails makes every rank return [`Error::Rank`] with its message.
/// A chain that stopped early keeps its draws and its failure (named by global chain index
/// in [`NutsRun::check`]).
///
/// ```
/// use probrs::distributed::{sample_nuts, Communicator, SingleProcess, ThreadRanks};
/// use probrs::mcmc::{sample_nuts_density, LogDensity, NutsOptions};
/// struct StdNormal;
/// impl LogDensity for StdNormal {
///     fn dim(&self) -> usize {
///         1
///     }
///     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
///         g[0] = -x[0];
///         Ok(-0.5 * x[0] * x[0])
///     }
/// }
/// let options = NutsOptions { num_chains: 4, num_warmup: 100, num_draws: 100, ..Default::default() };
/// let one = sample_nuts(&SingleProcess, &options, |o| sample_nuts_density(&StdNormal, &[vec![0.0]], o))?.expect("rank 0");
/// // The same 4 chains on 2 ranks (threads here; MPI processes under mpirun).
/// let two = ThreadRanks::run(2, |comm| sample_nuts(comm, &options, |o| sample_nuts_density(&StdNormal, &[vec![0.0]], o)))?;
/// let gathered = two[0].as_ref().expect("rank 0 gathers");
/// assert!(two[1].is_none());
/// for (a, b) in one.chains.iter().zip(&gathered.chains) {
///     assert_eq!(a.draws, b.draws);
/// }
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn sample_nuts(comm: &dyn Communicator, options: &NutsOptions, run: impl FnOnce(&NutsOptions) -> Result<NutsRun>) -> Result<Option<NutsRun>> {
    let mine = local_chains(options.num_chains, comm)?;
    let local = NutsOptions { num_chains: mine.len(), first_chain: options.first_chain + mine.start, ..options.clone() };
    let ran = run(&local).and_then(|r| {
        if r.chains.len() == mine.len() {
            Ok(r)
        } else {
            Err(Error::invalid_parameter("run", format!("returned {} chains for this rank's {}", r.chains.len(), mine.len())))
        }
    });
    let run = agree(comm, ran)?;
    let wire: Vec<WireChain> = run
        .chains
        .iter()
        .map(|c| WireChain {
            draws: c.draws.clone(),
            log_density: c.log_density.clone(),
            stats: c.stats.clone(),
            warmup_stats: c.warmup_stats.clone(),
            step_size: c.step_size,
            inv_metric: c.inv_metric.clone(),
            notes: c.notes.clone(),
            failure: c.failure.as_ref().map(|f| (f.iteration, f.warmup, f.error.to_string())),
            warmup_time: c.warmup_time,
            sampling_time: c.sampling_time,
        })
        .collect();
    let bytes = if comm.rank() == 0 { vec![] } else { encode(&wire)? };
    let Some(all) = comm.gather_bytes(&bytes)? else { return Ok(None) };
    let mut chains = run.chains;
    for (rank, b) in all.iter().enumerate().skip(1) {
        let theirs: Vec<WireChain> = decode(b, rank)?;
        chains.extend(theirs.into_iter().map(|w| NutsChain {
            draws: w.draws,
            log_density: w.log_density,
            stats: w.stats,
            warmup_stats: w.warmup_stats,
            step_size: w.step_size,
            inv_metric: w.inv_metric,
            notes: w.notes,
            failure: w.failure.map(|(iteration, warmup, reason)| ChainFailure { iteration, warmup, error: Error::Rank { rank, reason } }),
            warmup_time: w.warmup_time,
            sampling_time: w.sampling_time,
        }));
    }
    Ok(Some(NutsRun { chains, param_names: run.param_names, layout: run.layout }))
}

/// NUTS with the chains spread over the ranks, each rank writing its own chains as CmdStan CSV
/// instead of sending them to rank 0: chain `c` (global, from 0) goes to
/// `dir/{stem}-{c + 1}.csv`, CmdStan's numbering, so the files are those of one process
/// writing every chain. Returns this rank's run (its chains only, chain `i` being global chain
/// `local_chains(…).start + i`). A rank that fails — its run, or writing a file — makes every
/// rank return [`Error::Rank`] naming it. Draws made before a chain failed are written too.
///
/// ```
/// use probrs::distributed::{sample_nuts_to_csv, ThreadRanks};
/// use probrs::mcmc::{sample_nuts_density, LogDensity, NutsOptions};
/// struct StdNormal;
/// impl LogDensity for StdNormal {
///     fn dim(&self) -> usize {
///         1
///     }
///     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
///         g[0] = -x[0];
///         Ok(-0.5 * x[0] * x[0])
///     }
/// }
/// let dir = std::env::temp_dir().join(format!("probrs-doc-csv-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let o = NutsOptions { num_chains: 3, num_warmup: 50, num_draws: 50, ..Default::default() };
/// let local = ThreadRanks::run(2, |comm| sample_nuts_to_csv(comm, &o, &dir, "normal", |local| sample_nuts_density(&StdNormal, &[vec![0.0]], local)))?;
/// assert_eq!((local[0].chains.len(), local[1].chains.len()), (1, 2));
/// let one = sample_nuts_density(&StdNormal, &[vec![0.0]], &o)?.to_cmdstan();
/// for c in 0..3 {
///     assert_eq!(std::fs::read_to_string(dir.join(format!("normal-{}.csv", c + 1)))?, one[c].to_csv_string());
/// }
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sample_nuts_to_csv(comm: &dyn Communicator, options: &NutsOptions, dir: &std::path::Path, stem: &str, run: impl FnOnce(&NutsOptions) -> Result<NutsRun>) -> Result<NutsRun> {
    let mine = local_chains(options.num_chains, comm)?;
    let local = NutsOptions { num_chains: mine.len(), first_chain: options.first_chain + mine.start, ..options.clone() };
    let written = run(&local).and_then(|r| {
        for (i, csv) in r.to_cmdstan().iter().enumerate() {
            csv.write(dir.join(format!("{stem}-{}.csv", local.first_chain + i + 1)))?;
        }
        Ok(r)
    });
    agree(comm, written)
}

/// What [`sample_chain`] gathers at rank 0: every chain's states and traces.
///
/// ```
/// use probrs::distributed::{sample_chain, SingleProcess};
/// use probrs::joint::Structure;
/// use probrs::mcmc::{random_walk_normal_fn, RandomWalkMetropolis, SampleChainOptions};
/// use probrs::tensor::{DType, Tensor};
/// let kernel = RandomWalkMetropolis::new(|s: &Structure| s.as_tensor()?.square()?.sum_all()?.mul_scalar(-0.5), random_walk_normal_fn(1.0));
/// let start = Structure::Tensor(Tensor::zeros(&[2, 3], DType::F64)?);
/// let run = sample_chain(&SingleProcess, 50, &start, &kernel, &SampleChainOptions::default(), 1, |_, r| r.is_accepted.any().unwrap_or(false))?.expect("rank 0");
/// assert_eq!((run.all_states.as_tensor()?.shape(), run.trace.len(), run.trace[0].len()), (&[50, 2, 3][..], 2, 50));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct GatheredChains<T> {
    /// The states, each part `[num_results, chains, event...]`, chains in global order.
    pub all_states: Structure,
    /// Each chain's traces, chains in global order.
    pub trace: Vec<Vec<T>>,
}

/// TFP's `sample_chain` with the chains (the leading dimension of `current_state`) spread
/// over the ranks: chain `c` runs alone with seed `options.seed.fold_in(c)` on whichever rank
/// holds it, exactly as [`crate::mcmc::sample_chain_on_threads`] runs it in one process, and
/// its states and traces are gathered at rank 0 (`Some` there, `None` elsewhere). Each rank
/// runs its chains on `num_threads` threads. The final kernel results stay on their ranks
/// (kernels' results are not sent between processes).
///
/// ```
/// use probrs::distributed::{sample_chain, ThreadRanks};
/// use probrs::joint::Structure;
/// use probrs::mcmc::{random_walk_normal_fn, sample_chain_on_threads, RandomWalkMetropolis, SampleChainOptions};
/// use probrs::tensor::{DType, Tensor};
/// let kernel = RandomWalkMetropolis::new(|s: &Structure| s.as_tensor()?.square()?.sum_all()?.mul_scalar(-0.5), random_walk_normal_fn(1.0));
/// let start = Structure::Tensor(Tensor::zeros(&[4, 2], DType::F64)?);
/// let o = SampleChainOptions { num_burnin_steps: 20, ..Default::default() };
/// let one = sample_chain_on_threads(100, &start, &kernel, &o, 1, |_, _| ())?;
/// let two = ThreadRanks::run(2, |comm| sample_chain(comm, 100, &start, &kernel, &o, 1, |_, _| ()))?;
/// let gathered = two[0].as_ref().expect("rank 0");
/// assert_eq!(gathered.all_states.as_tensor()?.to_vec()?, one.all_states.as_tensor()?.to_vec()?);
/// # Ok::<(), probrs::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn sample_chain<K, T>(
    comm: &dyn Communicator,
    num_results: usize,
    current_state: &Structure,
    kernel: &K,
    options: &SampleChainOptions,
    num_threads: usize,
    trace_fn: impl Fn(&Structure, &K::Results) -> T + Sync,
) -> Result<Option<GatheredChains<T>>>
where
    K: TransitionKernel + Sync,
    K::Results: Send,
    T: Send + serde::Serialize + serde::de::DeserializeOwned,
{
    let mine = local_chains(num_chains(current_state)?, comm)?;
    let runs = run_chains_alone(mine, num_results, current_state, kernel, options, num_threads, trace_fn).into_iter().map(|r| -> Result<WireStates<T>> {
        let r = r?;
        let parts = r.all_states.tensors().iter().map(|t| Ok((t.shape().to_vec(), t.to_vec()?))).collect::<Result<_>>()?;
        Ok((parts, r.trace))
    });
    let runs = agree(comm, runs.into_iter().collect::<Result<Vec<_>>>())?;
    let bytes = if comm.rank() == 0 { vec![] } else { encode(&runs)? };
    let Some(all) = comm.gather_bytes(&bytes)? else { return Ok(None) };
    let mut every = runs;
    for (rank, b) in all.iter().enumerate().skip(1) {
        every.extend(decode::<Vec<WireStates<T>>>(b, rank)?);
    }
    // Each chain's parts are [num_results, 1, event...]: join them along the chain dimension.
    let mut k = 0;
    let all_states = current_state.try_map(|t| {
        let parts: Vec<Tensor> = every.iter().map(|(p, _)| Tensor::from_slice(&p[k].1, &p[k].0, t.dtype())).collect::<Result<_>>()?;
        k += 1;
        Tensor::concat(&parts.iter().collect::<Vec<_>>(), 1)
    })?;
    Ok(Some(GatheredChains { all_states, trace: every.into_iter().map(|(_, t)| t).collect() }))
}
