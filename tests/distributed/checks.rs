//! The distributed checks, written once for any communicator: `tests/distributed.rs` runs them
//! on ranks on threads (every `cargo test`), `tests/mpi.rs` on MPI processes (feature `mpi`,
//! under `mpirun -np 2` in CI). Each check computes the one-process answer itself and asserts
//! that every rank's result equals it — bit for bit where the reduction order is the same,
//! otherwise within the tolerance it names. Every check is deterministic (fixed seeds and
//! data), so none can fail by chance.

use probrs::distributed::{agree, glm_fit, local_chains, sample_chain, sample_nuts, sample_nuts_sharded, Communicator, Shards, ShardedLogDensity, ShardedSum, SingleProcess, GLM_BLOCK_ROWS};
use probrs::distributions::{Distribution, Independent, Normal};
use probrs::joint::Structure;
use probrs::mcmc::{random_walk_normal_fn, sample_chain_on_threads, sample_nuts_density, LogDensity, NutsOptions, RandomWalkMetropolis, SampleChainOptions};
use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
use probrs::params::{MakeTrainable, TransformedVariable, Variable};
use probrs::tensor::glm::BernoulliLogitGlm;
use probrs::tensor::{DType, Tensor};
use probrs::{Error, Result};
use std::sync::Arc;

/// A failed check, as an error naming it (so a rank under MPI can report it and abort).
fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::BadInput { location: "distributed check".into(), reason: what() })
    }
}

/// A 3-D Gaussian with correlations, as a flat log-density.
struct Correlated;

impl LogDensity for Correlated {
    fn dim(&self) -> usize {
        3
    }
    fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        // Precision [[2, -0.8, 0], [-0.8, 1.5, 0.3], [0, 0.3, 1]].
        let p = [[2.0, -0.8, 0.0], [-0.8, 1.5, 0.3], [0.0, 0.3, 1.0]];
        let mut lp = 0.0;
        for i in 0..3 {
            g[i] = -(0..3).map(|j| p[i][j] * x[j]).sum::<f64>();
            lp += 0.5 * x[i] * g[i];
        }
        Ok(lp)
    }
}

/// Chains across ranks: 5 NUTS chains (an uneven split) with Stan's random inits, gathered at
/// rank 0, equal the 5 chains of one process bit for bit, and so do the CSV files each rank
/// writes of its own chains; RWM chains through `sample_chain` equal `sample_chain_on_threads`.
pub fn chains_across_ranks(comm: &dyn Communicator) -> Result<()> {
    let options = NutsOptions { num_chains: 2 * comm.size() + 1, num_warmup: 150, num_draws: 150, init_radius: Some(2.0), seed: probrs::random::Seed::new(11), ..Default::default() };
    let gathered = sample_nuts(comm, &options, |o| sample_nuts_density(&Correlated, &[vec![0.0; 3]], o))?;
    let mine = local_chains(options.num_chains, comm)?;
    ensure(!mine.is_empty(), || "a rank with no chains".into())?;
    if let Some(run) = gathered {
        let one = sample_nuts_density(&Correlated, &[vec![0.0; 3]], &options)?;
        ensure(run.chains.len() == one.chains.len(), || "chain count".into())?;
        for (c, (a, b)) in run.chains.iter().zip(&one.chains).enumerate() {
            ensure(a.draws == b.draws && a.stats == b.stats && a.step_size == b.step_size && a.inv_metric == b.inv_metric, || format!("chain {c} differs from one process's"))?;
        }
        ensure(run.summary()?.rows.iter().all(|r| r.r_hat < 1.1), || "R-hat".into())?;
    } else {
        ensure(comm.rank() != 0, || "rank 0 got no run".into())?;
    }
    // Each rank writes its own chains' CSV files: those of one process writing all of them.
    let mine_dir = std::env::temp_dir().join(format!("probrs-csv-{}-{}", std::process::id(), comm.size()));
    let dirs = comm.all_gather_bytes(mine_dir.to_string_lossy().as_bytes())?;
    let dir = std::path::PathBuf::from(String::from_utf8_lossy(&dirs[0]).into_owned()); // rank 0's
    if comm.rank() == 0 {
        std::fs::create_dir_all(&dir).map_err(|e| Error::Io { path: dir.display().to_string(), reason: e.to_string() })?;
    }
    agree(comm, Ok(()))?; // the directory exists before anyone writes
    let local = probrs::distributed::sample_nuts_to_csv(comm, &options, &dir, "correlated", |o| sample_nuts_density(&Correlated, &[vec![0.0; 3]], o))?;
    ensure(local.chains.len() == mine.len(), || "this rank's chains".into())?;
    agree(comm, Ok(()))?; // every file is written
    if comm.rank() == 0 {
        let one = sample_nuts_density(&Correlated, &[vec![0.0; 3]], &options)?.to_cmdstan();
        for (c, csv) in one.iter().enumerate() {
            let path = dir.join(format!("correlated-{}.csv", c + 1));
            let text = std::fs::read_to_string(&path).map_err(|e| Error::Io { path: path.display().to_string(), reason: e.to_string() })?;
            ensure(text == csv.to_csv_string(), || format!("chain {c}'s CSV file differs from one process's"))?;
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    let kernel = RandomWalkMetropolis::new(|s: &Structure| s.as_tensor()?.square()?.sum_all()?.mul_scalar(-0.5), random_walk_normal_fn(0.8));
    let start = Structure::Tensor(Tensor::zeros(&[comm.size() + 2, 2], DType::F64)?);
    let o = SampleChainOptions { num_burnin_steps: 30, seed: probrs::random::Seed::new(5), ..Default::default() };
    let gathered = sample_chain(comm, 80, &start, &kernel, &o, 1, |s, _| s.as_tensor().and_then(|t| t.to_vec()).unwrap_or_default())?;
    if let Some(g) = gathered {
        let one = sample_chain_on_threads(80, &start, &kernel, &o, 1, |s, _| s.as_tensor().and_then(|t| t.to_vec()).unwrap_or_default())?;
        ensure(g.all_states.as_tensor()?.to_vec()? == one.all_states.as_tensor()?.to_vec()?, || "sample_chain states differ".into())?;
        ensure(g.trace == one.trace, || "sample_chain traces differ".into())?;
    }
    Ok(())
}

/// Normal data, 1,001 rows (an uneven split).
fn normal_rows() -> Vec<f64> {
    (0..1001).map(|i| 1.5 + 2.0 * ((i as f64 * 0.61).sin() + 0.3 * (i as f64 * 0.17).cos())).collect()
}

/// The Normal MLE by Adam on the sharded negative log-likelihood, over `comm`'s ranks.
fn fit_normal(comm: Arc<dyn Communicator>, y: &[f64]) -> Result<Vec<f64>> {
    let sum = ShardedSum::new(comm.clone(), Shards::new(y.len(), 13, comm.as_ref())?);
    let shard = Tensor::vector(&y[sum.shards().local_rows()], DType::F64)?;
    let model: Normal = MakeTrainable::new().parameter_dtype(DType::F64).seed(3).build()?;
    let vars = model.trainable_variables();
    let loss = || sum.sum_over_variables(&vars, |b| model.log_prob(&shard.narrow(0, b.local.start, b.local.len())?)?.sum_all()?.neg())?.mul_scalar(1.0 / y.len() as f64);
    minimize(loss, 400, &mut Adam::new(0.05), MinimizeOptions::default(), trace_loss)?;
    vars.iter().map(|v| v.numpy().to_scalar()).collect()
}

/// Data-parallel `minimize`: the sharded fit equals one process's sharded fit bit for bit, and
/// the plain (unsharded) fit within 1e-9 (the sums' order differs).
pub fn data_parallel_minimize(comm: Arc<dyn Communicator>) -> Result<()> {
    let y = normal_rows();
    let sharded = fit_normal(comm, &y)?;
    let one = fit_normal(Arc::new(SingleProcess), &y)?;
    ensure(sharded == one, || format!("sharded fit {sharded:?} vs one process {one:?}"))?;
    let model: Normal = MakeTrainable::new().parameter_dtype(DType::F64).seed(3).build()?;
    let data = Tensor::vector(&y, DType::F64)?;
    minimize(|| model.log_prob(&data)?.sum_all()?.neg()?.mul_scalar(1.0 / y.len() as f64), 400, &mut Adam::new(0.05), MinimizeOptions::default(), trace_loss)?;
    let plain: Vec<f64> = model.trainable_variables().iter().map(|v| v.numpy().to_scalar()).collect::<Result<_>>()?;
    ensure(sharded.iter().zip(&plain).all(|(a, b)| (a - b).abs() < 1e-9), || format!("sharded {sharded:?} vs plain {plain:?}"))
}

/// Logistic data: `n` rows of `d` features and labels, deterministic.
fn logistic_rows(n: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..n * d).map(|k| ((k * 7919 + 13) % 1009) as f64 / 504.5 - 1.0).collect();
    let w: Vec<f64> = (0..d).map(|j| 1.0 - 0.4 * j as f64).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let eta: f64 = (0..d).map(|j| x[i * d + j] * w[j]).sum();
            let u = ((i * 104729) % 1000) as f64 / 1000.0;
            f64::from(u8::from(u < 1.0 / (1.0 + (-eta).exp())))
        })
        .collect();
    (x, y)
}

/// Each of this rank's blocks as a fused GLM.
fn block_glms(shards: &Shards, x: &[f64], y: &[f64], d: usize) -> Result<Vec<BernoulliLogitGlm>> {
    shards.local_blocks().map(|b| BernoulliLogitGlm::new(&Tensor::from_slice(&x[b.rows.start * d..b.rows.end * d], &[b.rows.len(), d], DType::F32)?, &Tensor::vector(&y[b.rows.clone()], DType::F32)?)).collect()
}

/// Mean-field VI on a logistic regression with the likelihood sharded over `comm`'s ranks.
fn fit_logistic_vi(comm: Arc<dyn Communicator>, x: &[f64], y: &[f64], d: usize) -> Result<Vec<f64>> {
    let sum = ShardedSum::new(comm.clone(), Shards::new(y.len(), 8, comm.as_ref())?);
    let glms = block_glms(sum.shards(), x, y, d)?;
    let first = sum.shards().rank_blocks(comm.rank()).start;
    let target = |s: &Structure| -> Result<Tensor> {
        let w = s.as_tensor()?;
        let prior = w.square()?.sum_last(1)?.mul_scalar(-0.5)?;
        prior.add(&sum.sum(&[w], |p, b| glms[b.index - first].log_prob(&p[0]))?)
    };
    let loc = Variable::new(&Tensor::zeros(&[d], DType::F32)?, "loc")?;
    let scale = TransformedVariable::new(&Tensor::full(0.1, &[d], DType::F32)?, probrs::bijectors::Softplus::new(), "scale")?;
    let q = Independent::new(Normal::new(&loc, scale)?, 1)?;
    let opts = probrs::vi::FitOptions { sample_size: 4, seed: 42, ..Default::default() };
    probrs::vi::fit_surrogate_posterior(target, &q, &mut Adam::new(0.05), 120, opts, |t| t.loss_value)?;
    let mut out = q.mean()?.to_vec()?;
    out.extend(q.stddev()?.to_vec()?);
    Ok(out)
}

/// Data-parallel `fit_surrogate_posterior` (the fused GLM likelihood per block, float32):
/// equal to one process's sharded fit bit for bit.
pub fn data_parallel_vi(comm: Arc<dyn Communicator>) -> Result<()> {
    let (x, y) = logistic_rows(2003, 4);
    let sharded = fit_logistic_vi(comm, &x, &y, 4)?;
    let one = fit_logistic_vi(Arc::new(SingleProcess), &x, &y, 4)?;
    ensure(sharded == one, || format!("sharded VI {sharded:?} vs one process {one:?}"))
}

/// The sharded GLM fits with the single-process blocks equal `glm::fit_data` and
/// `glm::fit_sparse_data` bit for bit.
pub fn sharded_glm_fit(comm: Arc<dyn Communicator>) -> Result<()> {
    use probrs::glm::{fit_data, FitOptions, GlmData, Poisson};
    let n = GLM_BLOCK_ROWS * comm.size() + 777;
    let x: Vec<f64> = (0..n).flat_map(|i| [1.0, (i as f64 * 0.001).sin(), ((i % 7) as f64) / 7.0]).collect();
    let y: Vec<f64> = (0..n).map(|i| ((i * 7) % 5) as f64).collect();
    let whole = fit_data(&GlmData::from_rows(x.clone(), y.clone(), 3, &Poisson)?, &Poisson, &FitOptions::default())?;
    let shards = Shards::with_block_rows(n, GLM_BLOCK_ROWS, comm.as_ref())?;
    let rows = shards.local_rows();
    let local = GlmData::from_rows(x[3 * rows.start..3 * rows.end].to_vec(), y[rows.clone()].to_vec(), 3, &Poisson)?;
    let fit = glm_fit(comm.clone(), &shards, &local, &Poisson, &FitOptions::default())?;
    ensure(fit.model_coefficients == whole.model_coefficients && fit.iter == whole.iter && fit.is_converged, || format!("sharded GLM {:?} vs {:?}", fit.model_coefficients, whole.model_coefficients))?;
    ensure(fit.predicted_linear_response == whole.predicted_linear_response[rows.clone()], || "this rank's linear response".into())?;
    // The elastic net (fit_sparse) on the same shards: the same coefficients bit for bit.
    let o = probrs::glm::FitSparseOptions { l2_regularizer: Some(1.0), ..Default::default() };
    let whole = probrs::glm::fit_sparse_data(&GlmData::from_rows(x, y, 3, &Poisson)?, &Poisson, 20.0, &o)?;
    let sparse = probrs::distributed::glm_fit_sparse(comm, &shards, &local, &Poisson, 20.0, &o)?;
    ensure(whole.is_converged && sparse.model_coefficients == whole.model_coefficients && sparse.iter == whole.iter, || format!("sharded fit_sparse {:?} vs {:?}", sparse.model_coefficients, whole.model_coefficients))
}

/// NUTS on a sharded logistic log-density reproduces one process's draws bit for bit.
fn sharded_draws(comm: Arc<dyn Communicator>, x: &[f64], y: &[f64], d: usize) -> Result<Vec<Vec<Vec<f64>>>> {
    let shards = Shards::new(y.len(), 6, comm.as_ref())?;
    let glms = block_glms(&shards, x, y, d)?;
    let first = shards.rank_blocks(comm.rank()).start;
    let density = ShardedLogDensity::new(comm, shards, d, Arc::new(move |w, b, g| glms[b.index - first].log_prob_and_gradient(w, g))).with_prior(Arc::new(|w, g| {
        g.iter_mut().zip(w).for_each(|(g, w)| *g -= w);
        Ok(-0.5 * w.iter().map(|w| w * w).sum::<f64>())
    }));
    let run = sample_nuts_sharded(&density, &[vec![0.0; d]], &NutsOptions { num_chains: 2, num_warmup: 150, num_draws: 150, ..Default::default() })?;
    run.check()?;
    Ok(run.chains.into_iter().map(|c| c.draws).collect())
}

/// NUTS on a target (a `Structure` function, through autodiff) whose likelihood is a
/// `ShardedSum`, the chains one at a time.
fn sharded_target_draws(comm: Arc<dyn Communicator>, x: &[f64], y: &[f64], d: usize) -> Result<Vec<Vec<Vec<f64>>>> {
    let sum = ShardedSum::new(comm.clone(), Shards::new(y.len(), 4, comm.as_ref())?);
    let glms = block_glms(sum.shards(), x, y, d)?;
    let first = sum.shards().rank_blocks(comm.rank()).start;
    let target = move |s: &Structure| -> Result<Tensor> {
        let w = s.as_tensor()?;
        w.square()?.sum_all()?.mul_scalar(-0.5)?.add(&sum.sum(&[w], |p, b| glms[b.index - first].log_prob(&p[0])?.sum_all())?)
    };
    let init = Structure::Tensor(Tensor::zeros(&[d], DType::F64)?);
    let o = NutsOptions { num_chains: 2, num_warmup: 100, num_draws: 100, num_threads: Some(1), ..Default::default() };
    let run = probrs::mcmc::sample_nuts(target, &init, &o)?;
    run.check()?;
    Ok(run.chains.into_iter().map(|c| c.draws).collect())
}

/// The sharded log-density for NUTS (map_rect-style): every rank's draws equal one process's,
/// through `ShardedLogDensity` and through a `ShardedSum` inside an autodiff target.
pub fn sharded_nuts(comm: Arc<dyn Communicator>) -> Result<()> {
    let (x, y) = logistic_rows(3001, 5);
    let sharded = sharded_draws(comm.clone(), &x, &y, 5)?;
    let one = sharded_draws(Arc::new(SingleProcess), &x, &y, 5)?;
    ensure(sharded == one, || "sharded NUTS draws differ from one process's".into())?;
    let (x, y) = logistic_rows(801, 3);
    let sharded = sharded_target_draws(comm, &x, &y, 3)?;
    let one = sharded_target_draws(Arc::new(SingleProcess), &x, &y, 3)?;
    ensure(sharded == one, || "NUTS on a ShardedSum target differs from one process's".into())
}

/// A failing rank is named on every rank (no hang): in `agree` (a missing data file on the
/// last rank), inside a sharded sum's block, and inside a sharded log-density evaluation.
pub fn failures_are_named(comm: Arc<dyn Communicator>) -> Result<()> {
    let last = comm.size() - 1;
    let path = if comm.rank() == last { "no-such-dir/part.csv".to_string() } else { std::env::current_exe().map_err(|e| Error::Io { path: "exe".into(), reason: e.to_string() })?.to_string_lossy().into_owned() };
    let opened = std::fs::metadata(&path).map_err(|e| Error::Io { path: path.clone(), reason: e.to_string() });
    match agree(comm.as_ref(), opened) {
        Err(Error::Rank { rank, reason }) => ensure(rank == last && reason.contains("no-such-dir/part.csv"), || format!("agree named rank {rank}: {reason}"))?,
        other => ensure(false, || format!("agree returned {:?}", other.map(|_| ())))?,
    }
    let sum = ShardedSum::new(comm.clone(), Shards::new(40, 4, comm.as_ref())?);
    let mu = Tensor::scalar(1.0, DType::F64)?.tracked()?;
    let r = sum.sum(&[&mu], |p, b| if b.index == 3 { Err(Error::invalid_parameter("block 3", "bad rows")) } else { p[0].mul_scalar(b.rows.len() as f64) });
    let owner = (0..comm.size()).find(|r| sum.shards().rank_blocks(*r).contains(&3)).expect("some rank holds block 3");
    match r {
        Err(Error::Rank { rank, reason }) => ensure(rank == owner && reason.contains("bad rows"), || format!("sharded sum named rank {rank}: {reason}"))?,
        other => ensure(false, || format!("sharded sum returned {:?}", other.map(|_| ())))?,
    }
    // A NaN likelihood on one rank: the log-density is NaN on every rank, so NUTS rejects the
    // start on every rank alike, naming the chain.
    let shards = Shards::new(10, 2 * comm.size(), comm.as_ref())?;
    let density = ShardedLogDensity::new(comm.clone(), shards, 1, Arc::new(move |x, b, g| {
        g[0] -= x[0];
        Ok(if b.index == 1 { f64::NAN } else { -0.5 * x[0] * x[0] })
    }));
    let e = sample_nuts_sharded(&density, &[vec![0.0]], &NutsOptions { num_chains: 1, num_warmup: 10, num_draws: 10, ..Default::default() }).unwrap_err();
    ensure(e.to_string().contains("chain 0"), || format!("NaN start: {e}"))
}
