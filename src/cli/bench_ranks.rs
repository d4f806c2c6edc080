//! `probrs bench ranks`: the distributed workloads, run under `mpirun -np P` (feature `mpi`)
//! and compared across P in one session: W7's posterior with 8 NUTS chains spread over the
//! ranks (draws per second), W7's NUTS with the likelihood sharded over the ranks (the draws'
//! bits, seconds per gradient), and W6's logistic mean-field VI with the likelihood sharded over
//! the ranks (seconds per step, the fit's bits, the bytes exchanged per step). Rank 0 prints
//! one JSON line per workload.

use super::bench::{data_dir, read_npy, W7Posterior};
use super::ranks::Ranks;
use probrs::distributed::{sample_nuts, sample_nuts_sharded, Shards, ShardedLogDensity, ShardedSum};
use probrs::tensor::glm::BernoulliLogitGlm;
use probrs::tensor::{DType, Tensor};
use serde_json::json;
use std::time::Instant;

pub(crate) fn run(ranks: &Ranks) -> probrs::Result<()> {
    let comm = ranks.comm.as_ref();
    let p = comm.size();
    let dir = data_dir();
    // W7: 8 chains × (1000 warm-up + 1000 draws), each rank its share on one thread.
    let (x7, y7) = ranks.agree((|| Ok((read_npy(&format!("{dir}/w7_logreg_X.npy"))?, read_npy(&format!("{dir}/w7_logreg_y.npy"))?)))())?;
    let model = W7Posterior { glm: BernoulliLogitGlm::new(&x7, &y7)?, d: 20 };
    let o = probrs::mcmc::NutsOptions { num_chains: 8, num_threads: Some(1), seed: probrs::random::Seed::new(7), ..Default::default() };
    ranks.agree(Ok(()))?; // start together
    let t0 = Instant::now();
    let run = sample_nuts(comm, &o, |local| probrs::mcmc::sample_nuts_density(&model, &[vec![0.0; 20]], local))?;
    let wall = t0.elapsed().as_secs_f64();
    if let Some(run) = run {
        run.check()?;
        let grads: usize = run.chains.iter().map(|c| c.num_gradient_evaluations()).sum();
        let draws: Vec<f64> = run.chains.iter().flat_map(|c| c.draws.iter().map(|d| d[0])).collect();
        println!("{}", json!({
            "workload": "W7-chains-on-ranks", "system": "probrs", "ranks": p, "threads_per_rank": 1, "chains": 8,
            "num_warmup": 1000, "num_draws": 1000, "wall_s": wall, "draws_per_s": 8000.0 / wall, "grad_evals": grads,
            "mean_w0": draws.iter().sum::<f64>() / draws.len() as f64, "w0_bits_xor": draws.iter().fold(0u64, |a, v| a ^ v.to_bits()),
        }));
    }
    // W7 sharded (map_rect): one NUTS chain, the likelihood's 5,000 rows in 8 blocks over the
    // ranks; its draws must be the same bits on any number of ranks.
    let shards = Shards::new(x7.shape()[0], 8, comm)?;
    let first = shards.rank_blocks(comm.rank()).start;
    let block_glms: Vec<BernoulliLogitGlm> = shards.local_blocks().map(|b| BernoulliLogitGlm::new(&x7.narrow(0, b.rows.start, b.rows.len())?, &y7.narrow(0, b.rows.start, b.rows.len())?)).collect::<probrs::Result<_>>()?;
    let density = ShardedLogDensity::new(ranks.comm.clone(), shards, 20, std::sync::Arc::new(move |w, b, g| block_glms[b.index - first].log_prob_and_gradient(w, g))).with_prior(std::sync::Arc::new(|w, g| {
        g.iter_mut().zip(w).for_each(|(g, w)| *g -= w);
        Ok(-0.5 * w.iter().map(|w| w * w).sum::<f64>())
    }));
    let one = probrs::mcmc::NutsOptions { num_chains: 1, seed: probrs::random::Seed::new(7), ..Default::default() };
    ranks.agree(Ok(()))?;
    let t0 = Instant::now();
    let run = sample_nuts_sharded(&density, &[vec![0.0; 20]], &one)?;
    let wall = t0.elapsed().as_secs_f64();
    run.check()?;
    let grads = run.chains[0].num_gradient_evaluations();
    // Per gradient: one exchange of (1 + D) numbers per block and a status word per rank, f64.
    let bytes_per_gradient = 8 * (8 * 21 + p);
    // The same evaluations without sharding, alone: the communication's share.
    let plain = &model; // the whole data in one process
    let (w, mut g) = (vec![0.1; 20], vec![0.0; 20]);
    let t = Instant::now();
    for _ in 0..2000 {
        probrs::mcmc::LogDensity::logp_and_grad(plain, &w, &mut g)?;
    }
    let plain_s = t.elapsed().as_secs_f64() / 2000.0;
    let t = Instant::now();
    for _ in 0..2000 {
        probrs::mcmc::LogDensity::logp_and_grad(&density, &w, &mut g)?;
    }
    let sharded_s = t.elapsed().as_secs_f64() / 2000.0;
    if ranks.is_root() {
        let draws: Vec<f64> = run.chains[0].draws.iter().flatten().copied().collect();
        println!("{}", json!({
            "workload": "W7-nuts-sharded-likelihood", "system": "probrs", "ranks": p, "threads_per_rank": 1, "blocks": 8, "chains": 1,
            "num_warmup": 1000, "num_draws": 1000, "wall_s": wall, "grad_evals": grads, "seconds_per_gradient_in_run": wall / grads as f64,
            "seconds_per_gradient_sharded_alone": sharded_s, "seconds_per_gradient_unsharded_one_process": plain_s,
            "draws_bits_xor": draws.iter().fold(0u64, |a, v| a ^ v.to_bits()), "bytes_exchanged_per_gradient": bytes_per_gradient, "exchanges_per_gradient": 1,
        }));
    }
    // W6: mean-field VI, 300 steps of 8 draws, the likelihood's 50,000 rows in the default
    // blocks (16) over the ranks.
    let x = ranks.agree(read_npy(&format!("{dir}/w6_logreg_X.npy")))?;
    let y = ranks.agree(read_npy(&format!("{dir}/w6_logreg_y.npy")))?;
    let (n, d) = (x.shape()[0], x.shape()[1]);
    let comm_arc = ranks.comm.clone();
    let sum = ShardedSum::new(comm_arc.clone(), Shards::even(n, comm)?);
    let first = sum.shards().rank_blocks(comm.rank()).start;
    // This rank keeps only its blocks' rows.
    let glms: Vec<BernoulliLogitGlm> = sum.shards().local_blocks().map(|b| BernoulliLogitGlm::new(&x.narrow(0, b.rows.start, b.rows.len())?, &y.narrow(0, b.rows.start, b.rows.len())?)).collect::<probrs::Result<_>>()?;
    drop((x, y));
    let target = |s: &probrs::vi::Structure| -> probrs::Result<Tensor> {
        let w = s.as_tensor()?;
        let prior = w.square()?.sum_last(1)?.affine(-0.5, -0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln())?;
        prior.add(&sum.sum(&[w], |p, b| glms[b.index - first].log_prob(&p[0]))?)
    };
    use probrs::distributions::{Distribution, Independent, Normal};
    let loc = probrs::params::Variable::new(&Tensor::zeros(&[d], DType::F32)?, "loc")?;
    let scale = probrs::params::TransformedVariable::new(&Tensor::full(0.1, &[d], DType::F32)?, probrs::bijectors::Softplus::new(), "scale")?;
    let q = Independent::new(Normal::new(&loc, scale)?, 1)?;
    const STEPS: usize = 300;
    ranks.agree(Ok(()))?;
    let t0 = Instant::now();
    let r = probrs::vi::fit_surrogate_posterior(target, &q, &mut probrs::optim::Adam::new(0.05), STEPS, probrs::vi::FitOptions { sample_size: 8, seed: 42, ..Default::default() }, |t| t.loss_value)?;
    let wall = t0.elapsed().as_secs_f64();
    let mean = q.mean()?.to_vec()?;
    let blocks = sum.shards().num_blocks();
    // Per step, f64: the terms' size (one word per rank), the values (8 per block) and the
    // gradients (8 × D per block), with a status word per rank in each of the last two.
    let bytes_per_step = 8 * (blocks * 8 * (1 + d) + 3 * p);
    if ranks.is_root() {
        println!("{}", json!({
            "workload": "W6-logreg-vi-sharded", "system": "probrs", "surrogate": "meanfield", "ranks": p, "threads_per_rank": 1,
            "N": n, "D": d, "blocks": blocks, "sample_size": 8, "num_steps": STEPS, "dtype": "float32",
            "time_per_step_s": wall / STEPS as f64, "final_loss": r.trace[STEPS - 1],
            "q_loc_first3": &mean[..3], "q_loc_bits_xor": mean.iter().fold(0u64, |a, v| a ^ v.to_bits()),
            "bytes_exchanged_per_step": bytes_per_step, "exchanges_per_step": 3,
        }));
    }
    Ok(())
}
