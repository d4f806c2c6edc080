//! Random-walk Metropolis, Metropolis–Hastings over a user's uncalibrated kernel, and
//! `sample_chain`: moments of known targets within Monte Carlo error, structures of state
//! parts, reproducibility, and bad input. Fixed seeds; each moment check is a 4-sigma bound
//! (false-failure rate about 6e-5 per check were the seed drawn anew).

use probrs::joint::Structure;
use probrs::mcmc::*;
use probrs::random::{self, Seed};
use probrs::tensor::{DType, Mask, Tensor};

/// Per-coordinate draws `[draws, chains, d]` as chains of one coordinate.
fn coordinate(all: &Tensor, j: usize) -> Vec<Vec<f64>> {
    let s = all.shape().to_vec();
    let (n, c, d) = (s[0], s[1], s[2]);
    let v = all.to_vec().unwrap();
    (0..c).map(|ch| (0..n).map(|i| v[(i * c + ch) * d + j]).collect()).collect()
}

#[test]
fn correlated_gaussian_moments_within_mcse() {
    // N(0, Σ), Σ = [[1, 1.6], [1.6, 4]] (sds 1 and 2, correlation 0.8); 4 chains in a batch.
    let prec = [4.0 / 0.36 / 4.0, -1.6 / 0.36 / 4.0, 1.0 / 0.36 / 4.0]; // Σ⁻¹ = [[a, b], [b, c]]
    let target = move |s: &Structure| {
        let x = s.as_tensor()?;
        let x0 = x.narrow(1, 0, 1)?.squeeze(1)?;
        let x1 = x.narrow(1, 1, 1)?.squeeze(1)?;
        let q = x0.square()?.mul_scalar(prec[0])?.add(&x0.mul(&x1)?.mul_scalar(2.0 * prec[1])?)?.add(&x1.square()?.mul_scalar(prec[2])?)?;
        q.mul_scalar(-0.5)
    };
    let kernel = RandomWalkMetropolis::new(target, random_walk_normal_fn(1.2));
    let start = Structure::Tensor(Tensor::from_slice(&[-3.0, 3.0, 3.0, -3.0, 0.0, 5.0, 1.0, 1.0], &[4, 2], DType::F64).unwrap());
    let opts = SampleChainOptions { num_burnin_steps: 2000, num_steps_between_results: 1, seed: Seed::new(11), ..Default::default() };
    let run = sample_chain(10_000, &start, None, &kernel, &opts, |_, r| r.is_accepted.clone()).unwrap();
    let all = run.all_states.as_tensor().unwrap();
    assert_eq!(all.shape(), &[10_000, 4, 2]);
    for (j, sd_want) in [(0, 1.0), (1, 2.0)] {
        let chains = coordinate(all, j);
        let flat: Vec<f64> = chains.iter().flatten().copied().collect();
        let mean = flat.iter().sum::<f64>() / flat.len() as f64;
        let sd = (flat.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (flat.len() - 1) as f64).sqrt();
        let se = mcse_mean(&chains).unwrap();
        assert!(mean.abs() <= 4.0 * se, "coordinate {j}: mean {mean}, mcse {se}");
        let se_sd = mcse_sd(&chains).unwrap();
        assert!((sd - sd_want).abs() <= 4.0 * se_sd, "coordinate {j}: sd {sd}, mcse {se_sd}");
        assert!(rhat(&chains).unwrap() < 1.01);
        assert!(ess_bulk(&chains).unwrap() > 1000.0);
    }
    // The correlation too.
    let (a, b) = (coordinate(all, 0), coordinate(all, 1));
    let (a, b): (Vec<f64>, Vec<f64>) = (a.concat(), b.concat());
    let (ma, mb) = (a.iter().sum::<f64>() / a.len() as f64, b.iter().sum::<f64>() / b.len() as f64);
    let cov = a.iter().zip(&b).map(|(x, y)| (x - ma) * (y - mb)).sum::<f64>() / a.len() as f64;
    assert!((cov - 1.6).abs() < 0.15, "covariance {cov}");
    // Acceptance, from the trace.
    let accepted: usize = run.trace.iter().map(|m| count(m)).sum();
    let rate = accepted as f64 / (10_000.0 * 4.0);
    assert!(rate > 0.2 && rate < 0.8, "acceptance {rate}");
}

fn count(m: &Mask) -> usize {
    let t = Tensor::where_(m, &Tensor::scalar(1.0, DType::F64).unwrap(), &Tensor::scalar(0.0, DType::F64).unwrap()).unwrap();
    t.to_vec().unwrap().iter().filter(|v| **v > 0.5).count()
}

/// A user's uncalibrated kernel with an asymmetric proposal: a multiplicative log-normal walk
/// on a positive target needs the correction log(x′/x) to sample it.
struct LogNormalWalk;

#[derive(Clone)]
struct WalkResults {
    target_log_prob: Tensor,
    correction: Tensor,
}

impl ProposalResults for WalkResults {
    fn target_log_prob(&self) -> &Tensor {
        &self.target_log_prob
    }
    fn log_acceptance_correction(&self) -> &Tensor {
        &self.correction
    }
    fn choose(accept: &Mask, p: &Self, c: &Self) -> probrs::Result<Self> {
        Ok(WalkResults { target_log_prob: Tensor::where_(accept, &p.target_log_prob, &c.target_log_prob)?, correction: Tensor::where_(accept, &p.correction, &c.correction)? })
    }
}

/// Exponential(1) on x > 0.
fn exponential_target(x: &Tensor) -> probrs::Result<Tensor> {
    x.neg()
}

impl TransitionKernel for LogNormalWalk {
    type Results = WalkResults;
    fn one_step(&self, s: &Structure, _: &WalkResults, seed: Seed) -> probrs::Result<(Structure, WalkResults)> {
        let x = s.as_tensor()?;
        let z = random::normal(x.shape(), x.dtype(), seed)?.mul_scalar(0.8)?;
        let proposed = x.mul(&z.exp()?)?;
        // q(x | x′) / q(x′ | x) = x′ / x for a log-normal walk: the correction is z.
        Ok((Structure::Tensor(proposed.clone()), WalkResults { target_log_prob: exponential_target(&proposed)?, correction: z }))
    }
    fn bootstrap_results(&self, s: &Structure) -> probrs::Result<WalkResults> {
        let x = s.as_tensor()?;
        Ok(WalkResults { target_log_prob: exponential_target(x)?, correction: x.zeros_like()? })
    }
    fn is_calibrated(&self) -> bool {
        false
    }
}

#[test]
fn metropolis_hastings_applies_a_user_kernels_correction() {
    let kernel = MetropolisHastings::new(LogNormalWalk);
    let start = Structure::Tensor(Tensor::ones(&[4], DType::F64).unwrap());
    let opts = SampleChainOptions { num_burnin_steps: 500, seed: Seed::new(5), ..Default::default() };
    let run = sample_chain(20_000, &start, None, &kernel, &opts, |_, _| ()).unwrap();
    let v = run.all_states.as_tensor().unwrap().to_vec().unwrap();
    let chains: Vec<Vec<f64>> = (0..4).map(|c| (0..20_000).map(|i| v[i * 4 + c]).collect()).collect();
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let se = mcse_mean(&chains).unwrap();
    assert!((mean - 1.0).abs() <= 4.0 * se, "mean {mean} (Exponential(1): 1), mcse {se}");
    assert!(v.iter().all(|x| *x > 0.0));
}

#[test]
fn structured_states_reproducible_seeds_and_resuming() {
    // Named parts: a scalar per chain and a vector of 3 per chain; an independent N(0, 1) target.
    let target = |s: &Structure| -> probrs::Result<Tensor> {
        let a = s.get("a")?.square()?;
        let b = s.get("b")?.square()?.sum_axes(&[1], false)?;
        a.add(&b)?.mul_scalar(-0.5)
    };
    let kernel = RandomWalkMetropolis::new(target, random_walk_uniform_fn(1.0));
    let start = Structure::Named(vec![("a".into(), Tensor::zeros(&[2], DType::F32).unwrap()), ("b".into(), Tensor::zeros(&[2, 3], DType::F32).unwrap())]);
    let opts = SampleChainOptions { seed: Seed::new(3), ..Default::default() };
    let one = sample_chain(50, &start, None, &kernel, &opts, |_, r| r.log_accept_ratio.clone()).unwrap();
    assert_eq!(one.all_states.get("a").unwrap().shape(), &[50, 2]);
    assert_eq!(one.all_states.get("b").unwrap().shape(), &[50, 2, 3]);
    let two = sample_chain(50, &start, None, &kernel, &opts, |_, r| r.log_accept_ratio.clone()).unwrap();
    assert_eq!(one.all_states.get("b").unwrap().to_vec().unwrap(), two.all_states.get("b").unwrap().to_vec().unwrap(), "same seed, same draws");
    let other = sample_chain(50, &start, None, &kernel, &SampleChainOptions { seed: Seed::new(4), ..Default::default() }, |_, _| ()).unwrap();
    assert_ne!(one.all_states.get("b").unwrap().to_vec().unwrap(), other.all_states.get("b").unwrap().to_vec().unwrap());
    // Resuming from the final state and results continues the chain.
    let last = Structure::Named(vec![
        ("a".into(), one.all_states.get("a").unwrap().narrow(0, 49, 1).unwrap().squeeze(0).unwrap()),
        ("b".into(), one.all_states.get("b").unwrap().narrow(0, 49, 1).unwrap().squeeze(0).unwrap()),
    ]);
    let more = sample_chain(10, &last, Some(one.final_kernel_results.clone()), &kernel, &opts, |_, _| ()).unwrap();
    assert_eq!(more.all_states.get("a").unwrap().shape(), &[10, 2]);
}

#[test]
fn bad_input_is_a_typed_error_and_bad_regions_are_rejected() {
    let half_normal = |s: &Structure| -> probrs::Result<Tensor> {
        let x = s.as_tensor()?;
        let lp = x.square()?.mul_scalar(-0.5)?;
        Tensor::where_(&x.lt_scalar(0.0)?, &Tensor::scalar(f64::NEG_INFINITY, x.dtype())?, &lp)
    };
    // −∞ (and NaN) proposals are rejected: the chains never leave x ≥ 0.
    let kernel = RandomWalkMetropolis::new(half_normal, random_walk_normal_fn(1.0));
    let start = Structure::Tensor(Tensor::vector(&[0.5, 1.0, 2.0], DType::F64).unwrap());
    let run = sample_chain(500, &start, None, &kernel, &SampleChainOptions::default(), |_, _| ()).unwrap();
    assert!(run.all_states.as_tensor().unwrap().to_vec().unwrap().iter().all(|v| *v >= 0.0));
    // An initial state outside the support: an error naming the chain.
    let bad = Structure::Tensor(Tensor::vector(&[0.5, -1.0, 2.0], DType::F64).unwrap());
    let err = sample_chain(5, &bad, None, &kernel, &SampleChainOptions::default(), |_, _| ()).unwrap_err().to_string();
    assert!(err.contains("chain 1") && err.contains("-inf"), "{err}");
    // A target that does not return one value per chain.
    let wrong = RandomWalkMetropolis::new(|s: &Structure| s.as_tensor()?.sum_all()?.reshape(&[1]), random_walk_normal_fn(1.0));
    let err = sample_chain(5, &start, None, &wrong, &SampleChainOptions::default(), |_, _| ()).unwrap_err().to_string();
    assert!(err.contains("target_log_prob_fn"), "{err}");
    assert!(sample_chain(0, &start, None, &kernel, &SampleChainOptions::default(), |_, _| ()).unwrap_err().to_string().contains("num_results"));
    // A target that fails mid-run: the error names the step.
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let flaky = RandomWalkMetropolis::new(
        move |s: &Structure| {
            if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 7 {
                return Err(probrs::Error::invalid_parameter("x", "the model failed"));
            }
            s.as_tensor()?.square()?.neg()
        },
        random_walk_normal_fn(1.0),
    );
    let err = sample_chain(20, &start, None, &flaky, &SampleChainOptions::default(), |_, _| ()).unwrap_err().to_string();
    assert!(err.contains("step 6") && err.contains("the model failed"), "{err}");
    // With keep_draws_on_failure, the six results before the failing step come back with it.
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let flaky = RandomWalkMetropolis::new(
        move |s: &Structure| {
            if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 7 {
                return Err(probrs::Error::invalid_parameter("x", "the model failed"));
            }
            s.as_tensor()?.square()?.neg()
        },
        random_walk_normal_fn(1.0),
    );
    let o = SampleChainOptions { keep_draws_on_failure: true, ..Default::default() };
    let run = sample_chain(20, &start, None, &flaky, &o, |_, _| ()).unwrap();
    assert_eq!(run.all_states.as_tensor().unwrap().shape(), &[6, 3]);
    assert_eq!(run.trace.len(), 6);
    let (step, why) = run.failure.clone().unwrap();
    assert!(step == 6 && why.contains("the model failed"), "{step} {why}");
}

/// Draws saved as CmdStan CSV, one file per chain, read back by `probrs summary`, entries named
/// as Stan names them (1-based, column-major).
#[test]
fn draws_saved_as_cmdstan_csv_are_read_by_probrs_summary() {
    let target = |s: &Structure| -> probrs::Result<Tensor> {
        let mu = s.get("mu")?.square()?;
        let theta = s.get("theta")?.square()?.sum_axes(&[1, 2], false)?;
        mu.add(&theta)?.mul_scalar(-0.5)
    };
    let kernel = RandomWalkMetropolis::new(target, random_walk_normal_fn(0.8));
    let start = Structure::Named(vec![("mu".into(), Tensor::zeros(&[4], DType::F64).unwrap()), ("theta".into(), Tensor::zeros(&[4, 2, 2], DType::F64).unwrap())]);
    let run = sample_chain(200, &start, None, &kernel, &SampleChainOptions { seed: Seed::new(9), ..Default::default() }, |_, _| ()).unwrap();
    let chains = CmdStanCsv::from_states(&run.all_states, &[]).unwrap();
    assert_eq!(chains.len(), 4);
    assert_eq!(chains[0].names, vec!["mu", "theta.1.1", "theta.2.1", "theta.1.2", "theta.2.2"]);
    // theta.2.1 is entry [1, 0] of chain 2's matrices.
    let theta = run.all_states.get("theta").unwrap().to_vec().unwrap();
    let want: Vec<f64> = (0..200).map(|d| theta[((d * 4 + 2) * 2 + 1) * 2]).collect();
    assert_eq!(chains[2].column("theta.2.1").unwrap(), &want[..]);
    let dir = std::env::temp_dir().join(format!("probrs_chains_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<String> = chains.iter().enumerate().map(|(i, c)| {
        let p = dir.join(format!("chain_{}.csv", i + 1));
        c.write(&p).unwrap();
        p.display().to_string()
    }).collect();
    // Read back exactly.
    assert_eq!(CmdStanCsv::read(&files[3]).unwrap(), chains[3]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_probrs")).arg("summary").args(&files).arg("--json").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["chains"], 4);
    let names: Vec<&str> = v["summary"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["mu", "theta.1.1", "theta.2.1", "theta.1.2", "theta.2.2"]);
    let mu: Vec<Vec<f64>> = chains.iter().map(|c| c.column("mu").unwrap().to_vec()).collect();
    let r = v["summary"][0]["r_hat"].as_f64().unwrap();
    assert_eq!(r, rhat(&mu).unwrap());
    std::fs::remove_dir_all(dir).ok();
}
