//! `probrs bench`: the workloads of `../shared/baselines/`, one JSON line per result with the
//! baselines' field names.

use probrs::tensor::DType;
use serde_json::json;
use std::time::Instant;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Runs `f` once (its result and wall time returned), then again until at least `min_runs`
/// timed runs and 2 s (at most 200 runs); returns (first result, first-run seconds, run seconds,
/// fastest run).
fn time_runs<T>(min_runs: usize, mut f: impl FnMut() -> probrs::Result<T>) -> probrs::Result<(T, f64, Vec<f64>, f64)> {
    let t0 = Instant::now();
    let first = f()?;
    let first_run_s = t0.elapsed().as_secs_f64();
    let mut runs = vec![];
    let total = Instant::now();
    while runs.len() < min_runs || (total.elapsed().as_secs_f64() < 2.0 && runs.len() < 200) {
        let t = Instant::now();
        f()?;
        runs.push(t.elapsed().as_secs_f64());
    }
    let min = runs.iter().cloned().fold(f64::INFINITY, f64::min);
    Ok((first, first_run_s, runs, min))
}

/// W1: make_trainable(Normal) from loc 0, scale 1; 200 Adam(0.1) steps on the seed samples.
fn w1() -> probrs::Result<()> {
    const STEPS: usize = 200;
    let (first, first_run_s, runs, min) = time_runs(10, || probrs::demo::fit_normal(STEPS, Some((0.0, 1.0)), 0, DType::F32))?;
    let loss_at: serde_json::Map<String, serde_json::Value> =
        [0usize, 1, 2, 10, 50, 100, 199].iter().map(|&i| (i.to_string(), json!(first.losses[i]))).collect();
    let mut sorted = runs.clone();
    println!(
        "{}",
        json!({
            "workload": "W1",
            "system": "probrs",
            "dtype": "float32",
            "final_mean": first.mean,
            "final_stddev": first.stddev,
            "final_loss": first.losses[STEPS - 1],
            "loss_at": loss_at,
            "num_steps": STEPS,
            "compile_s": 0.0,
            "first_run_s": first_run_s,
            "time_per_step_s": median(&mut sorted) / STEPS as f64,
            "time_per_step_min_s": min / STEPS as f64,
            "total_s": runs.iter().sum::<f64>(),
            "n_timed_runs": runs.len(),
            "threads": std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
        })
    );
    Ok(())
}

pub(super) fn data_dir() -> String {
    std::env::var("PROBRS_BASELINE_DATA").unwrap_or_else(|_| "../shared/baselines/data".into())
}

fn read_json(path: &str) -> probrs::Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).map_err(|e| probrs::Error::BadInput { location: path.into(), reason: e.to_string() })?;
    serde_json::from_str(&text).map_err(|e| probrs::Error::BadInput { location: format!("{path}:{}:{}", e.line(), e.column()), reason: e.to_string() })
}

/// W5: learnable mixture of 3 MVN-TriL (4-d) fitted to 10,000 points, 500 Adam(0.05) steps.
fn w5() -> probrs::Result<()> {
    use probrs::bijectors::FillScaleTriL;
    use probrs::distributions::{Categorical, Distribution, MixtureSameFamily, MultivariateNormalTriL};
    use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
    use probrs::params::{TransformedVariable, Variable};
    use probrs::tensor::Tensor;
    const STEPS: usize = 500;
    let dir = data_dir();
    let xpath = format!("{dir}/w5_mixture_x.npy");
    let x = candle_core::Tensor::read_npy(&xpath).map_err(|e| probrs::Error::BadInput { location: xpath.clone(), reason: e.to_string() })?;
    let x = Tensor::from_candle(x.to_dtype(candle_core::DType::F32)?)?;
    let init = read_json(&format!("{dir}/w5_mixture_init.json"))?;
    let f = DType::F32;
    let t = |k: &str| probrs::conformance::json_tensor(&init[k], f);
    let run = || -> probrs::Result<(Vec<f64>, f64, f64)> {
        let model = MixtureSameFamily::new(
            Categorical::from_logits(Variable::new(&t("logits")?, "logits")?)?,
            MultivariateNormalTriL::new(Variable::new(&t("loc")?, "loc")?, TransformedVariable::new(&t("scale_tril")?, FillScaleTriL::new(), "scale_tril")?)?,
        )?;
        let start = Instant::now();
        let r = minimize(|| model.log_prob(&x)?.mean_all()?.neg(), STEPS, &mut Adam::new(0.05), MinimizeOptions::default(), trace_loss)?;
        let secs = start.elapsed().as_secs_f64();
        let final_nll = model.log_prob(&x)?.mean_all()?.neg()?.to_scalar()?;
        Ok((r.trace, final_nll, secs))
    };
    let mut times = vec![];
    let mut last = None;
    let total = Instant::now();
    while times.len() < 3 || (total.elapsed().as_secs_f64() < 5.0 && times.len() < 10) {
        let (trace, nll, secs) = run()?;
        times.push(secs / STEPS as f64);
        last = Some((trace, nll));
    }
    let (trace, nll) = last.expect("at least one run");
    let min = times.iter().cloned().fold(f64::INFINITY, f64::min);
    println!(
        "{}",
        json!({
            "workload": "W5",
            "system": "probrs",
            "dtype": "float32",
            "final_nll_per_point": nll,
            "loss_at": {"0": trace[0], "100": trace[100], "499": trace[499]},
            "num_steps": STEPS,
            "compile_s": 0.0,
            "time_per_step_s": median(&mut times.clone()),
            "time_per_step_min_s": min,
            "total_s": total.elapsed().as_secs_f64(),
            "n_timed_runs": times.len(),
            "peak_rss_kb": peak_rss_kb(),
        })
    );
    Ok(())
}

/// Peak resident set size of this process (Linux), in kB.
fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// W2/W3: the Normal–Normal posterior by `fit_surrogate_posterior`, Adam(0.1), 1000 steps,
/// seed 42: W2 reverse KL (reparameterized), W3 forward KL (score function and reparameterized),
/// sample sizes 1 and 10, float32 as the baselines.
fn w2_w3(which: &str) -> probrs::Result<()> {
    use probrs::vi::GradientEstimator::{Reparameterization, ScoreFunction};
    const STEPS: usize = 1000;
    let configs = [
        ("W2", false, Reparameterization, 1),
        ("W2", false, Reparameterization, 10),
        ("W3", true, ScoreFunction, 1),
        ("W3", true, ScoreFunction, 10),
        ("W3", true, Reparameterization, 1),
        ("W3", true, Reparameterization, 10),
    ];
    let log_z = -0.5 * (2.0 * std::f64::consts::PI * 2.0).ln() - 25.0 / 4.0;
    for (wl, forward, est, ss) in configs {
        if wl != which {
            continue;
        }
        let (first, first_run_s, runs, min) = time_runs(5, || probrs::demo::vi_normal_normal(forward, Some(est), ss, STEPS, 42, DType::F32))?;
        let tail = &first.losses[STEPS - 200..];
        println!(
            "{}",
            json!({
                "workload": wl,
                "system": "probrs",
                "dtype": "float32",
                "discrepancy": if forward { "kl_forward" } else { "kl_reverse" },
                "gradient_estimator": if est == ScoreFunction { "score_function" } else { "reparameterization" },
                "sample_size": ss,
                "final_mean": first.final_mean,
                "final_stddev": first.final_stddev,
                "avg_last200_mean": first.avg_mean,
                "avg_last200_stddev": first.avg_stddev,
                "exact": {"mean": 2.5, "stddev": 0.5f64.sqrt()},
                "exact_optimal_loss": if forward { log_z.exp() * log_z } else { -log_z },
                "final_loss": first.losses[STEPS - 1],
                "avg_last200_loss": tail.iter().sum::<f64>() / 200.0,
                "num_steps": STEPS,
                "compile_s": 0.0,
                "first_run_s": first_run_s,
                "time_per_step_s": median(&mut runs.clone()) / STEPS as f64,
                "time_per_step_min_s": min / STEPS as f64,
                "n_timed_runs": runs.len(),
                "threads": std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
            })
        );
    }
    Ok(())
}

/// W4: page 003's Poisson process with a GP prior, 200 joint Adam(0.1) steps, sample_size 1.
fn w4() -> probrs::Result<()> {
    const STEPS: usize = 200;
    let (first, first_run_s, runs, min) = time_runs(5, || probrs::demo::vi_poisson_process(STEPS, 42, false))?;
    let loss_at: serde_json::Map<String, serde_json::Value> = [0usize, 1, 10, 50, 100, 199].iter().map(|&i| (i.to_string(), json!(first.losses[i]))).collect();
    println!(
        "{}",
        json!({
            "workload": "W4",
            "system": "probrs",
            "dtype": "float32",
            "sample_size": 1,
            "num_steps": STEPS,
            "final_loss": first.losses[STEPS - 1],
            "avg_last20_loss": first.losses[STEPS - 20..].iter().sum::<f64>() / 20.0,
            "loss_at": loss_at,
            "kernel_amplitude": first.kernel_amplitude,
            "kernel_length_scale": first.kernel_length_scale,
            "observation_noise_variance": first.observation_noise_variance,
            "q_loc": first.q_loc,
            "q_scale": first.q_scale,
            "posterior_mean_rate": first.posterior_mean_rate,
            "observed_counts": probrs::demo::POISSON_COUNTS,
            "compile_s": 0.0,
            "first_run_s": first_run_s,
            "time_per_step_s": median(&mut runs.clone()) / STEPS as f64,
            "time_per_step_min_s": min / STEPS as f64,
            "n_timed_runs": runs.len(),
            "notes": "trace_fn returns the loss only, as the baselines",
            "threads": std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
        })
    );
    Ok(())
}

pub(super) fn read_npy(path: &str) -> probrs::Result<probrs::tensor::Tensor> {
    let t = candle_core::Tensor::read_npy(path).map_err(|e| probrs::Error::BadInput { location: path.into(), reason: e.to_string() })?;
    probrs::tensor::Tensor::from_candle(t.to_dtype(candle_core::DType::F32)?)
}

/// W6a: Bayesian logistic regression (N = 50,000, D = 100), reverse-KL VI with sample_size 8
/// for 300 steps: mean-field (Adam 0.05, initial scale 0.1) and full-rank MVN-TriL (Adam 0.005,
/// initial scale 0.02), float32; the likelihood is the fused single-pass GLM kernel.
fn w6_logreg() -> probrs::Result<()> {
    use probrs::bijectors::{Bijector, FillScaleTriL, Softplus};
    use probrs::distributions::{Distribution, Independent, MultivariateNormalTriL, Normal};
    use probrs::optim::Adam;
    use probrs::params::{TransformedVariable, Variable};
    use probrs::random::Seed;
    use probrs::tensor::{glm::BernoulliLogitGlm, Tensor};
    use probrs::vi::{fit_surrogate_posterior, FitOptions, SurrogatePosterior};
    const STEPS: usize = 300;
    let dir = data_dir();
    let x = read_npy(&format!("{dir}/w6_logreg_X.npy"))?;
    let y = read_npy(&format!("{dir}/w6_logreg_y.npy"))?;
    let w_true = read_npy(&format!("{dir}/w6_logreg_w_true.npy"))?.to_vec()?;
    let (n, d) = (x.shape()[0], x.shape()[1]);
    let glm = BernoulliLogitGlm::new(&x, &y)?;
    let f = DType::F32;
    let target = |w: &probrs::vi::Structure| -> probrs::Result<Tensor> {
        let w = w.as_tensor()?;
        // Σ_d log N(w_d; 0, 1) + the fused likelihood.
        let prior = w.square()?.sum_last(1)?.affine(-0.5, -0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln())?;
        prior.add(&glm.log_prob(w)?)
    };
    for name in ["meanfield", "fullrank"] {
        let (lr, init_scale) = if name == "meanfield" { (0.05, 0.1) } else { (0.005, 0.02) };
        let loc = Variable::new(&Tensor::zeros(&[d], f)?, "loc")?;
        let q: Box<dyn Distribution> = if name == "meanfield" {
            let scale = TransformedVariable::new(&Tensor::full(init_scale, &[d], f)?, Softplus::new(), "scale")?;
            Box::new(Independent::new(Normal::new(&loc, scale)?, 1)?)
        } else {
            let raw = Variable::new(&FillScaleTriL::new().inverse(&Tensor::eye(d, &[], f)?.mul_scalar(init_scale)?)?, "scale_tril")?;
            let l = probrs::params::DeferredTensor::new(raw, |r| FillScaleTriL::new().forward(r));
            Box::new(MultivariateNormalTriL::new(&loc, l)?)
        };
        let t0 = Instant::now();
        let r = fit_surrogate_posterior(&target, q.as_ref(), &mut Adam::new(lr), STEPS, FitOptions { sample_size: 8, seed: 42, ..Default::default() }, |t| t.loss_value)?;
        let total = t0.elapsed().as_secs_f64();
        // Untimed: ELBO with 2,000 draws, the fitted mean vs the generating weights.
        let (draws, lq) = q.sample_and_log_prob_structure(&[2000], Seed::new(7))?;
        let elbo = target(&draws)?.sub(&lq)?.mean_all()?.to_scalar()?;
        let mean = q.mean()?.to_vec()?;
        let mut std = q.stddev().or_else(|_| q.variance().and_then(|v| v.sqrt()))?.to_vec()?;
        let rmse = (mean.iter().zip(&w_true).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / d as f64).sqrt();
        std.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{}",
            json!({
                "workload": "W6-logreg-vi",
                "system": "probrs",
                "surrogate": name,
                "N": n, "D": d, "sample_size": 8, "num_steps": STEPS, "lr": lr, "init_scale": init_scale,
                "dtype": "float32",
                "final_loss": r.trace[STEPS - 1],
                "avg_last30_loss": r.trace[STEPS - 30..].iter().sum::<f64>() / 30.0,
                "elbo_estimate": elbo,
                "elbo_draws": 2000,
                "q_std_median": std[d / 2],
                "rmse_q_mean_vs_w_true": rmse,
                "time_per_step_s": total / STEPS as f64,
                "first_run_s": total,
                "compile_s": 0.0,
                "threads": std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
            })
        );
    }
    Ok(())
}

/// W7's posterior: w ~ N(0, I_20), y_n ~ Bernoulli(logits = x_n · w), N = 5,000; the
/// likelihood and its gradient in one pass over X (the fused GLM kernel, float32 data as the
/// peers').
pub(super) struct W7Posterior {
    pub(super) glm: probrs::tensor::glm::BernoulliLogitGlm,
    pub(super) d: usize,
}

impl probrs::mcmc::LogDensity for W7Posterior {
    fn dim(&self) -> usize {
        self.d
    }
    fn logp_and_grad(&self, w: &[f64], grad: &mut [f64]) -> probrs::Result<f64> {
        let ll = self.glm.log_prob_and_gradient(w, grad)?;
        grad.iter_mut().zip(w).for_each(|(g, w)| *g -= w);
        Ok(ll - 0.5 * w.iter().map(|w| w * w).sum::<f64>())
    }
}

/// W7: MCMC on W7's posterior, as `../shared/baselines/w7_mcmc.py`: one chain from w = 0, 1000
/// warm-up + 1000 kept draws. NUTS with Stan's defaults (the peers' NumPyro NUTS), and HMC with
/// 10 leapfrog steps from step 0.01 under TFP's dual averaging over 800 steps (the peers'
/// TFP-on-JAX/TF). ESS is the peers' (NumPyro's `effective_sample_size`: Geyer's initial
/// monotone sequence, no split, no rank normalization: `ess_basic(_, false)`). Then 4 NUTS chains
/// on 1 and on 2 threads (draws per second).
fn w7() -> probrs::Result<()> {
    use probrs::joint::Structure;
    use probrs::mcmc::{ess_basic, sample_chain, sample_nuts_density, DualAveragingStepSizeAdaptation, HamiltonianMonteCarlo, LogDensity, NutsOptions, SampleChainOptions, UncalibratedHamiltonianMonteCarlo};
    use probrs::random::Seed;
    use probrs::tensor::{glm::BernoulliLogitGlm, Tensor};
    let start = Instant::now();
    let dir = data_dir();
    let x = read_npy(&format!("{dir}/w7_logreg_X.npy"))?;
    let y = read_npy(&format!("{dir}/w7_logreg_y.npy"))?;
    let w_true = read_npy(&format!("{dir}/w7_logreg_w_true.npy"))?.to_vec()?;
    let (n, d) = (x.shape()[0], x.shape()[1]);
    let glm = BernoulliLogitGlm::new(&x, &y)?;
    let model = W7Posterior { glm: glm.clone(), d };
    let report = |algo: &str, chains: &[Vec<Vec<f64>>], wall: f64, grads: usize, accept: f64, step: f64, extra: serde_json::Value| -> probrs::Result<()> {
        // chains[c][j]: draws of coordinate j in chain c
        let mut ess: Vec<f64> = (0..d).map(|j| ess_basic(&chains.iter().map(|c| c[j].clone()).collect::<Vec<_>>(), false)).collect::<probrs::Result<_>>()?;
        let means: Vec<f64> = (0..d).map(|j| chains.iter().flat_map(|c| c[j].iter()).sum::<f64>() / (chains.len() * chains[0][j].len()) as f64).collect();
        let sds: Vec<f64> = (0..d).map(|j| {
            let all: Vec<f64> = chains.iter().flat_map(|c| c[j].iter().copied()).collect();
            (all.iter().map(|v| (v - means[j]).powi(2)).sum::<f64>() / (all.len() - 1) as f64).sqrt()
        }).collect();
        let rmse = (means.iter().zip(&w_true).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / d as f64).sqrt();
        ess.sort_by(f64::total_cmp);
        let (ess_min, ess_median) = (ess[0], 0.5 * (ess[d / 2 - 1] + ess[d / 2]));
        let mut line = json!({
            "workload": "W7-mcmc", "system": "probrs", "algorithm": algo, "N": n, "D": d,
            "num_warmup": 1000, "num_results": 1000, "compile_s": 0.0, "wall_s": wall,
            "time_per_step_s": wall / 2000.0, "grad_evals": grads, "grad_evals_per_s": grads as f64 / wall,
            "ess_min": ess_min, "ess_median": ess_median, "ess_min_per_s": ess_min / wall, "ess_median_per_s": ess_median / wall,
            "accept_rate": accept, "final_step_size": step,
            "posterior_mean_first5": &means[..5], "posterior_sd_first5": &sds[..5], "rmse_post_mean_vs_w_true": rmse,
            "threads": std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
        });
        if let (Some(l), Some(e)) = (line.as_object_mut(), extra.as_object()) {
            l.extend(e.clone());
        }
        println!("{line}");
        Ok(())
    };
    // NUTS, one chain, Stan's warm-up.
    let first = std::sync::Arc::new(std::sync::Mutex::new(None::<f64>));
    let seen = first.clone();
    let o = NutsOptions {
        num_chains: 1,
        seed: Seed::new(7),
        num_threads: Some(1),
        progress: Some(std::sync::Arc::new(move |_, _| {
            seen.lock().unwrap().get_or_insert(start.elapsed().as_secs_f64());
        })),
        ..Default::default()
    };
    let t0 = Instant::now();
    let run = sample_nuts_density(&model, &[vec![0.0; d]], &o)?;
    let wall = t0.elapsed().as_secs_f64();
    run.check()?;
    let ch = &run.chains[0];
    let chains = vec![(0..d).map(|j| ch.draws.iter().map(|w| w[j]).collect()).collect::<Vec<Vec<f64>>>()];
    let accept = ch.stats.iter().map(|s| s.accept_prob).sum::<f64>() / ch.stats.len() as f64;
    let first_iteration_s = first.lock().unwrap().unwrap_or(f64::NAN);
    report("NUTS", &chains, wall, ch.num_gradient_evaluations(), accept, ch.step_size, json!({"first_iteration_s_since_bench_start": first_iteration_s, "warmup_s": ch.warmup_time.as_secs_f64(), "sampling_s": ch.sampling_time.as_secs_f64(), "divergences": ch.num_divergent()}))?;
    // Per-gradient cost, alone.
    let mut g = vec![0.0; d];
    let w: Vec<f64> = (0..d).map(|j| 0.1 * j as f64).collect();
    let t = Instant::now();
    for _ in 0..2000 {
        model.logp_and_grad(&w, &mut g)?;
    }
    let per_grad = t.elapsed().as_secs_f64() / 2000.0;
    let two = W7Posterior { glm: model.glm.with_two_threads()?, d };
    for _ in 0..200 {
        two.logp_and_grad(&w, &mut g)?;
    }
    let t = Instant::now();
    for _ in 0..2000 {
        two.logp_and_grad(&w, &mut g)?;
    }
    let per_grad_two_threads = t.elapsed().as_secs_f64() / 2000.0;
    // HMC L = 10 with TFP's dual averaging: the target through the tensor facade (autodiff of
    // the fused GLM op), and the same posterior as a LogDensity (the kernel's gradient, no
    // autodiff).
    let target = move |s: &Structure| -> probrs::Result<Tensor> {
        let w = s.as_tensor()?;
        w.square()?.sum_all()?.mul_scalar(-0.5)?.add(&glm.log_prob(w)?)
    };
    let by_target = HamiltonianMonteCarlo::new(target, vec![0.01], 10)?;
    let by_density = HamiltonianMonteCarlo::from_inner(UncalibratedHamiltonianMonteCarlo::from_log_density(std::sync::Arc::new(W7Posterior { glm: model.glm.clone(), d }), vec![0.01], 10)?);
    let by_density_two = HamiltonianMonteCarlo::from_inner(UncalibratedHamiltonianMonteCarlo::from_log_density(std::sync::Arc::new(two), vec![0.01], 10)?);
    for (name, hmc) in [("HMC(L=10)+DualAveraging", by_target), ("HMC(L=10)+DualAveraging, LogDensity", by_density), ("HMC(L=10)+DualAveraging, LogDensity, gradient on 2 threads", by_density_two)] {
        let kernel = DualAveragingStepSizeAdaptation::new(hmc, 800);
        let t0 = Instant::now();
        let run = sample_chain(1000, &Structure::Tensor(Tensor::zeros(&[d], DType::F32)?), None, &kernel, &SampleChainOptions { num_burnin_steps: 1000, seed: Seed::new(7), ..Default::default() }, |_, r| (r.inner_results.is_accepted.any().unwrap_or(false), r.inner_results.accepted_results.step_size[0]))?;
        let wall = t0.elapsed().as_secs_f64();
        let v = run.all_states.as_tensor()?.to_vec()?;
        let chains = vec![(0..d).map(|j| (0..1000).map(|i| v[i * d + j]).collect()).collect::<Vec<Vec<f64>>>()];
        let accept = run.trace.iter().filter(|t| t.0).count() as f64 / 1000.0;
        let alone = if name.ends_with("2 threads") { per_grad_two_threads } else { per_grad };
        report(name, &chains, wall, 20000, accept, run.trace[999].1, json!({"seconds_per_gradient_alone": alone}))?;
    }
    // Four NUTS chains on one thread and on two.
    for threads in [1usize, 2] {
        let o = NutsOptions { num_chains: 4, seed: Seed::new(7), num_threads: Some(threads), ..Default::default() };
        let t0 = Instant::now();
        let run = sample_nuts_density(&model, &[vec![0.0; d]], &o)?;
        let wall = t0.elapsed().as_secs_f64();
        run.check()?;
        let chains: Vec<Vec<Vec<f64>>> = run.chains.iter().map(|ch| (0..d).map(|j| ch.draws.iter().map(|w| w[j]).collect()).collect()).collect();
        let grads: usize = run.chains.iter().map(|c| c.num_gradient_evaluations()).sum();
        let accept = run.chains.iter().flat_map(|c| c.stats.iter().map(|s| s.accept_prob)).sum::<f64>() / 4000.0;
        report(&format!("NUTS x4 chains, {threads} thread(s)"), &chains, wall, grads, accept, run.chains[0].step_size, json!({"chains": 4, "chain_threads": threads, "draws_per_s": 4000.0 / wall, "iterations_per_s": 8000.0 / wall}))?;
    }
    Ok(())
}

/// The cost of one gradient evaluation of each posteriordb model (`probrs::models`, written with
/// the tensor facade and differentiated by autodiff, through `TransformedLogDensity`), at the
/// unconstrained image of the model's initial point; and eight schools' gradient written by
/// hand, for the facade's share.
fn models() -> probrs::Result<()> {
    use probrs::mcmc::{LogDensity, TransformedLogDensity};
    use probrs::models::{reference_model, reference_model_names};
    for name in reference_model_names() {
        let m = reference_model(name)?;
        let target = m.target.clone();
        let (density, z0) = TransformedLogDensity::new(move |s: &probrs::joint::Structure| target(s), &m.init, m.bijectors.clone())?;
        let mut g = vec![0.0; density.dim()];
        for _ in 0..50 {
            density.logp_and_grad(&z0, &mut g)?;
        }
        let (_, _, mut runs, min) = time_runs(5, || {
            for _ in 0..100 {
                density.logp_and_grad(&z0, &mut g)?;
            }
            Ok(())
        })?;
        println!("{}", json!({"workload": "MCMC-gradient", "system": "probrs", "model": name, "dim": density.dim(), "seconds_per_gradient": median(&mut runs) / 100.0, "best_seconds_per_gradient": min / 100.0, "threads": std::env::var("CANDLE_NUM_THREADS").unwrap_or_default()}));
    }
    // Eight schools by hand: the same log-density and gradient on plain f64.
    let y = [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0];
    let sigma = [15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0];
    let by_hand = |z: &[f64], g: &mut [f64]| -> f64 {
        let (mu, log_tau) = (z[8], z[9]);
        let tau = log_tau.exp();
        let mut lp = -0.5 * mu * mu / 25.0 - (1.0 + tau * tau / 25.0).ln() + log_tau;
        g[8] = -mu / 25.0;
        g[9] = -2.0 * tau * tau / 25.0 / (1.0 + tau * tau / 25.0) + 1.0;
        for j in 0..8 {
            let r = (y[j] - (mu + tau * z[j])) / sigma[j];
            lp += -0.5 * z[j] * z[j] - 0.5 * r * r;
            g[j] = -z[j] + r / sigma[j] * tau;
            g[8] += r / sigma[j];
            g[9] += r / sigma[j] * tau * z[j];
        }
        lp
    };
    let z = [0.1; 10];
    let mut g = [0.0; 10];
    let (_, _, mut runs, min) = time_runs(5, || {
        for _ in 0..100_000 {
            std::hint::black_box(by_hand(std::hint::black_box(&z), &mut g));
        }
        Ok(())
    })?;
    println!("{}", json!({"workload": "MCMC-gradient", "system": "probrs", "model": "eight_schools by hand (plain f64)", "dim": 10, "seconds_per_gradient": median(&mut runs) / 1e5, "best_seconds_per_gradient": min / 1e5}));
    Ok(())
}

/// W6b: GP regression marginal-likelihood fit, ExponentiatedQuadratic(exp a, exp l) with
/// observation noise exp s (jitter 1e-6), loss −log_prob(y), Adam(0.05), 100 steps; n = 1000 in
/// float32 and n = 2000 in float64 (the speed targets' configurations), or the sizes in
/// `$PROBRS_W6_GP_SIZES` (e.g. "1000:f32,2000:f64,1000:f64").
fn w6_gp() -> probrs::Result<()> {
    use probrs::distributions::{Distribution, GaussianProcess};
    use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
    use probrs::params::Variable;
    use probrs::psd_kernels::ExponentiatedQuadratic;
    use probrs::tensor::Tensor;
    const STEPS: usize = 100;
    let dir = data_dir();
    let xa = read_npy(&format!("{dir}/gp_x.npy"))?.to_vec()?;
    let ya = read_npy(&format!("{dir}/gp_y.npy"))?.to_vec()?;
    let spec = std::env::var("PROBRS_W6_GP_SIZES").unwrap_or_else(|_| "1000:f32,2000:f64".into());
    for item in spec.split(',') {
        let (n, dt) = item.split_once(':').unwrap_or((item, "f64"));
        let n: usize = n.parse().map_err(|_| probrs::Error::invalid_parameter("PROBRS_W6_GP_SIZES", format!("bad size in {item:?}")))?;
        let dtype = if dt == "f32" { DType::F32 } else { DType::F64 };
        let x = Tensor::from_slice(&xa[..n], &[n, 1], dtype)?;
        let y = Tensor::from_slice(&ya[..n], &[n], dtype)?;
        let (a, l, s) = (Variable::new(&Tensor::scalar(0.0, dtype)?, "a")?, Variable::new(&Tensor::scalar(0.0, dtype)?, "l")?, Variable::new(&Tensor::scalar(0.0, dtype)?, "s")?);
        let loss = || -> probrs::Result<Tensor> {
            let k = ExponentiatedQuadratic::new(Some(a.value().exp()?.into()), Some(l.value().exp()?.into()));
            GaussianProcess::new(k, &x)?.with_observation_noise_variance(s.value().exp()?).log_prob(&y)?.neg()
        };
        let t0 = Instant::now();
        let r = minimize(loss, STEPS, &mut Adam::new(0.05), MinimizeOptions::default(), trace_loss)?;
        let total = t0.elapsed().as_secs_f64();
        let loss_at: serde_json::Map<String, serde_json::Value> = [0usize, 1, 10, 50, 99].iter().map(|&i| (i.to_string(), json!(r.trace[i]))).collect();
        println!(
            "{}",
            json!({
                "workload": "W6-gp", "system": "probrs", "n": n, "dtype": if dtype == DType::F32 { "float32" } else { "float64" },
                "num_steps": STEPS, "lr": 0.05, "final_loss": r.trace[STEPS - 1], "loss_at": loss_at,
                "amplitude": a.numpy().exp()?.to_scalar()?, "length_scale": l.numpy().exp()?.to_scalar()?,
                "observation_noise_variance": s.numpy().exp()?.to_scalar()?,
                "time_per_step_s": total / STEPS as f64, "first_run_s": total, "compile_s": 0.0,
                "threads": std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
            })
        );
    }
    Ok(())
}

/// GLM `fit` (Fisher scoring) on 1,000,000 × 20 logistic data: an intercept and 19 standard
/// normal features (ChaCha8 from seed 0), y ~ Bernoulli(σ(xβ)) with β_j = (j − 10)/20. The peer is
/// `benches/peers/glm_statsmodels.py` (the same sizes, numpy's generator): statsmodels' IRLS.
fn glm_fit() -> probrs::Result<()> {
    use probrs::glm::{fit_data, Bernoulli, FitOptions, GlmData};
    use rand::{Rng, SeedableRng};
    use rand_distr::StandardNormal;
    let (n, d) = (1_000_000usize, 20usize);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut x = vec![0f64; n * d];
    let mut y = vec![0f64; n];
    for i in 0..n {
        x[i * d] = 1.0;
        let mut eta = 0.0;
        for j in 1..d {
            let v: f64 = rng.sample(StandardNormal);
            x[i * d + j] = v;
            eta += v * (j as f64 - 10.0) / 20.0;
        }
        eta += -0.5;
        y[i] = (rng.random::<f64>() < 1.0 / (1.0 + (-eta).exp())) as u8 as f64;
    }
    let t0 = Instant::now();
    let data = GlmData::from_rows(x, y, d, &Bernoulli)?;
    let read_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let fit = fit_data(&data, &Bernoulli, &FitOptions::default())?;
    let wall = t0.elapsed().as_secs_f64();
    println!("{}", json!({
        "workload": "GLM-fit", "system": "probrs", "family": "Bernoulli", "N": n, "D": d,
        "iterations": fit.iter, "converged": fit.is_converged, "wall_s": wall, "time_per_iteration_s": wall / fit.iter as f64,
        "data_check_s": read_s, "coefficients_first5": &fit.model_coefficients[..5],
        "threads": std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
    }));
    Ok(())
}

/// The seed page's InstEval model (`y ~ service + (1|s) + (1|d) + (1|dept)`, 73,421 ratings):
/// lmer's ML fit; then the Bayesian program (`probrs::demo::inst_eval_program`) by NUTS, one
/// chain, 500 warm-up + 500 draws, on `BayesianLmm` (the same density with a fused gradient),
/// and the cost of one gradient through the program's tensor graph. The peer is
/// `benches/peers/lme_numpyro.py` (the same model, priors and NUTS settings in NumPyro).
fn lme() -> probrs::Result<()> {
    use probrs::mcmc::{LogDensity, NutsOptions, TransformedLogDensity};
    use probrs::mixed_effects::{inst_eval, lmer, BayesianLmm, LmerOptions, LmmPriors};
    let df = inst_eval()?;
    let formula = "y ~ service + (1|s) + (1|d) + (1|dept)";
    let t0 = Instant::now();
    let fit = lmer(formula, &df, &LmerOptions { reml: false, ..Default::default() })?;
    println!("{}", json!({
        "workload": "lmer-InstEval", "system": "probrs", "formula": formula, "method": "ML", "wall_s": t0.elapsed().as_secs_f64(),
        "evaluations": fit.evaluations, "log_likelihood": fit.log_likelihood, "gradient": fit.gradient,
        "threads": std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
    }));
    let page = LmmPriors { intercept: Some((0.0, 5.0)), coefficient_scale: Some(1.0), sd_scale: Some(1.0), sigma_scale: Some(1.0) };
    let density = BayesianLmm::new(formula, &df, &page)?;
    let (num_warmup, num_draws) = (500, 500);
    let t0 = Instant::now();
    let run = density.sample(&NutsOptions { num_chains: 1, num_warmup, num_draws, seed: probrs::random::Seed::new(1), ..Default::default() })?;
    let wall = t0.elapsed().as_secs_f64();
    run.check()?;
    let summary = run.summary()?;
    let (rows, ess_min_scalars, ess_min_all) = scalar_rows(&summary, &["(Intercept)", "service", "sd_s", "sd_d", "sd_dept", "sigma"]);
    let grads = run.chains[0].num_gradient_evaluations();
    // One gradient of the program through the tensor graph, for comparison.
    let data = std::sync::Arc::new(probrs::demo::InstEvalData::new(&df)?);
    let posterior = probrs::ppl::pinned_joint(probrs::demo::inst_eval_program(data, true)?)?;
    let parts = posterior.unpinned_parts()?;
    let init = probrs::joint::Structure::Named(parts.iter().map(|p| Ok((p.name.clone(), probrs::tensor::Tensor::ones(&p.event_shape, probrs::tensor::DType::F64)?))).collect::<probrs::Result<_>>()?);
    let (program, z) = TransformedLogDensity::new(move |s: &probrs::joint::Structure| posterior.unnormalized_log_prob(s), &init, parts.iter().map(|p| p.bijector.clone()).collect())?;
    let mut g = vec![0.0; z.len()];
    let (t_program, t_fused) = {
        let t = Instant::now();
        for _ in 0..20 {
            program.logp_and_grad(&z, &mut g)?;
        }
        let a = t.elapsed().as_secs_f64() / 20.0;
        let t = Instant::now();
        for _ in 0..200 {
            density.logp_and_grad(&z, &mut g)?;
        }
        (a, t.elapsed().as_secs_f64() / 200.0)
    };
    println!("{}", json!({
        "workload": "lme-InstEval-nuts", "system": "probrs", "num_warmup": num_warmup, "num_draws": num_draws, "wall_s": wall,
        "grad_evals": grads, "ms_per_grad": wall * 1e3 / grads as f64, "divergences": run.chains[0].num_divergent(),
        "ess_min_scalars": ess_min_scalars, "ess_min_all": ess_min_all, "ess_min_scalars_per_s": ess_min_scalars / wall, "ess_min_all_per_s": ess_min_all / wall,
        "ess": rows.iter().map(|r| (r.name.clone(), r.ess_bulk)).collect::<std::collections::BTreeMap<_, _>>(),
        "mean": rows.iter().map(|r| (r.name.clone(), r.mean)).collect::<std::collections::BTreeMap<_, _>>(),
        "sd": rows.iter().map(|r| (r.name.clone(), r.sd)).collect::<std::collections::BTreeMap<_, _>>(),
        "gradient_ms_fused": t_fused * 1e3, "gradient_ms_program_graph": t_program * 1e3,
        "threads": std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
    }));
    Ok(())
}

/// The summary rows of the named scalars, their smallest bulk ESS, and the smallest over every
/// coordinate.
fn scalar_rows<'a>(summary: &'a probrs::mcmc::CmdStanSummary, scalars: &[&str]) -> (Vec<&'a probrs::mcmc::SummaryRow>, f64, f64) {
    let rows: Vec<_> = summary.rows.iter().filter(|r| scalars.contains(&r.name.as_str())).collect();
    let ess_min_scalars = rows.iter().map(|r| r.ess_bulk).fold(f64::INFINITY, f64::min);
    let ess_min_all = summary.rows.iter().filter(|r| !r.name.ends_with("__")).map(|r| r.ess_bulk).fold(f64::INFINITY, f64::min);
    (rows, ess_min_scalars, ess_min_all)
}

/// NUTS on the seed page's program itself (`probrs::demo::inst_eval_program` pinned to the
/// ratings, `sample_nuts_pinned`: autodiff through the tensor graph), one chain, 500 + 500 — the
/// same posterior as `lme`'s fused density, at the program's cost per gradient.
fn lme_program() -> probrs::Result<()> {
    use probrs::mcmc::{sample_nuts_pinned, NutsOptions};
    let df = probrs::mixed_effects::inst_eval()?;
    let data = std::sync::Arc::new(probrs::demo::InstEvalData::new(&df)?);
    let posterior = probrs::ppl::pinned_joint(probrs::demo::inst_eval_program(data, true)?)?;
    let (num_warmup, num_draws) = (500, 500);
    let t0 = Instant::now();
    let run = sample_nuts_pinned(&posterior, &NutsOptions { num_chains: 1, num_warmup, num_draws, seed: probrs::random::Seed::new(1), ..Default::default() })?;
    let wall = t0.elapsed().as_secs_f64();
    run.check()?;
    let summary = run.summary()?;
    let (rows, ess_min_scalars, ess_min_all) = scalar_rows(&summary, &["intercept", "service_effects", "student_scale", "instructor_scale", "dept_scale", "noise_scale"]);
    let grads = run.chains[0].num_gradient_evaluations();
    println!("{}", json!({
        "workload": "lme-InstEval-nuts-program", "system": "probrs", "num_warmup": num_warmup, "num_draws": num_draws, "wall_s": wall,
        "grad_evals": grads, "ms_per_grad": wall * 1e3 / grads as f64, "divergences": run.chains[0].num_divergent(),
        "ess_min_scalars": ess_min_scalars, "ess_min_all": ess_min_all, "ess_min_scalars_per_s": ess_min_scalars / wall, "ess_min_all_per_s": ess_min_all / wall,
        "mean": rows.iter().map(|r| (r.name.clone(), r.mean)).collect::<std::collections::BTreeMap<_, _>>(),
        "threads": std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
    }));
    Ok(())
}

/// `DenseFlipout(512)` on a 256 × 784 batch: one forward pass (a Flipout draw) and the gradient
/// of `sum(outputs) + KL` with respect to the layer's variables, float32, median of 50 steps
/// after 5 warm-up steps. The peer is `benches/peers/dense_flipout_tf.py` (TFP's layer on TF
/// 2.21 + tf_keras, the same step under `tf.function`).
fn flipout() -> probrs::Result<()> {
    use probrs::layers::{DenseFlipout, Layer};
    use probrs::tensor::{DType, Tensor};
    let x = probrs::random::normal(&[256, 784], DType::F32, probrs::random::Seed::new(0))?;
    let layer = DenseFlipout::new(512)?.with_seed(1);
    layer.call(&x, probrs::random::Seed::new(0))?;
    let vars = layer.trainable_variables();
    let step = |k: u64| -> probrs::Result<f64> {
        let loss = || -> probrs::Result<Tensor> {
            let y = layer.call(&x, probrs::random::Seed::new(k))?;
            y.sum_all()?.add(&layer.losses()?[0])
        };
        let (v, g) = probrs::math::value_and_gradient(loss, &vars)?;
        std::hint::black_box(&g);
        v.to_scalar()
    };
    for k in 0..5 {
        step(k)?;
    }
    let mut times = vec![];
    for k in 0..50 {
        let t0 = Instant::now();
        step(100 + k)?;
        times.push(t0.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!("{}", json!({
        "workload": "DenseFlipout-fwd-bwd", "system": "probrs", "batch": 256, "in": 784, "units": 512, "dtype": "float32",
        "time_per_step_s": times[times.len() / 2], "min_s": times[0],
        "threads": std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
    }));
    Ok(())
}

/// Issue 18's Kalman workload: the CO2 monthly model (local linear trend + 12-season seasonal,
/// 13 states, 526 months with the empty ones masked) at TFP-on-JAX's parameter values
/// (`benches/peers/sts_kalman_peers.py`): the log-likelihood with its gradient in the four
/// unconstrained parameters, and the value alone.
fn sts_kalman() -> probrs::Result<()> {
    use probrs::distributions::Distribution;
    use probrs::sts::{datasets, LocalLinearTrend, Seasonal, StructuralTimeSeries, Sum};
    use probrs::tensor::Tensor;
    use std::sync::Arc;
    let co2 = datasets::co2_monthly()?;
    let t_len = co2.values.len();
    let y = Tensor::vector(&co2.values, DType::F64)?;
    let mask: Vec<bool> = co2.values.iter().map(|v| v.is_nan()).collect();
    let model = Sum::new(vec![Arc::new(LocalLinearTrend::new(Some(&y), DType::F64)?), Arc::new(Seasonal::new(12, Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
    let params = model.parameters();
    let values = [0.1, 0.2, 0.02, 0.05];
    let u0: Vec<f64> = params.iter().zip(values).map(|(p, v)| p.bijector.inverse(&Tensor::vector(&[v], DType::F64)?)?.to_scalar()).collect::<probrs::Result<_>>()?;
    let obs = y.reshape(&[t_len, 1])?;
    let eval = |track: bool| -> probrs::Result<(f64, Vec<f64>)> {
        let u = Tensor::vector(&u0, DType::F64)?;
        let u = if track { u.tracked()? } else { u };
        let vals: Vec<Tensor> = params.iter().enumerate().map(|(i, p)| p.bijector.forward(&u.narrow(0, i, 1)?)).collect::<probrs::Result<_>>()?;
        let lp = model.make_state_space_model(t_len, &vals)?.with_mask(mask.clone())?.log_prob(&obs)?;
        let g = if track { lp.grad(&[&u])?[0].as_ref().map(|g| g.to_vec()).transpose()?.unwrap_or_default() } else { vec![] };
        Ok((lp.to_scalar()?, g))
    };
    let ((ll, grad), _, mut runs, best) = time_runs(50, || eval(true))?;
    let (_, _, mut value_runs, value_best) = time_runs(50, || eval(false))?;
    println!(
        "{}",
        json!({
            "workload": "STS-kalman-co2", "system": "probrs", "T": t_len, "states": model.latent_size(),
            "seconds_per_value_and_grad": median(&mut runs), "best_seconds": best,
            "seconds_per_value": median(&mut value_runs), "best_value_seconds": value_best,
            "log_likelihood": ll, "gradient": grad, "params": values,
            "threads": std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
        })
    );
    Ok(())
}

pub fn run(workloads: &[String]) -> probrs::Result<()> {
    let all = workloads.is_empty();
    let want = |w: &str| all || workloads.iter().any(|x| x.eq_ignore_ascii_case(w));
    let mut ran = false;
    if want("W1") {
        w1()?;
        ran = true;
    }
    for w in ["W2", "W3"] {
        if want(w) {
            w2_w3(w)?;
            ran = true;
        }
    }
    if want("W4") {
        w4()?;
        ran = true;
    }
    // Workloads on ../shared/baselines/data: when running all, a missing file skips them.
    let with_data = |name: &str, file: &str, f: fn() -> probrs::Result<()>| -> probrs::Result<()> {
        let data = format!("{}/{file}", data_dir());
        if all && !std::path::Path::new(&data).exists() {
            eprintln!("{name} skipped: {data} not found (set PROBRS_BASELINE_DATA)");
            return Ok(());
        }
        f()
    };
    if want("W6") || want("W6-logreg-vi") {
        with_data("W6", "w6_logreg_X.npy", w6_logreg)?;
        ran = true;
    }
    if want("W6") || want("W6-gp") {
        with_data("W6-gp", "gp_x.npy", w6_gp)?;
        ran = true;
    }
    if want("W5") {
        with_data("W5", "w5_mixture_x.npy", w5)?;
        ran = true;
    }
    if want("models") || want("MCMC-gradient") {
        models()?;
        ran = true;
    }
    if want("W7") {
        with_data("W7", "w7_logreg_X.npy", w7)?;
        ran = true;
    }
    if want("glm") {
        glm_fit()?;
        ran = true;
    }
    if want("lme") {
        lme()?;
        ran = true;
    }
    if want("sts") || want("STS-kalman-co2") {
        sts_kalman()?;
        ran = true;
    }
    if want("flipout") {
        flipout()?;
        ran = true;
    }
    // Minutes (the program's tensor graph per gradient): only when named.
    if workloads.iter().any(|x| x.eq_ignore_ascii_case("lme-program")) {
        lme_program()?;
        ran = true;
    }
    if !ran {
        return Err(probrs::Error::invalid_parameter("workloads", format!("unknown workload(s) {workloads:?}; available: W1, W2, W3, W4, W5, W6, W7, models, glm, lme, flipout, lme-program, ranks")));
    }
    Ok(())
}
