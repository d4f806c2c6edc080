//! MALA, the slice sampler and replica exchange inside `sample_chain`: moments of known targets
//! within Monte Carlo error (4-sigma bounds, 6.3e-5 false failures per check were the seed
//! drawn anew), MALA's correction term against the Gaussian proposal densities written out,
//! its volatility function and step-size adaptation, multi-part states, and bad input.

use probrs::joint::Structure;
use probrs::mcmc::*;
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use std::sync::Arc;

/// N((1, −2), Σ) with Σ = [[1, 1.6], [1.6, 4]] on a `[chains, 2]` state.
fn correlated(s: &Structure) -> probrs::Result<Tensor> {
    let x = s.as_tensor()?;
    let x0 = x.narrow(1, 0, 1)?.squeeze(1)?.add_scalar(-1.0)?;
    let x1 = x.narrow(1, 1, 1)?.squeeze(1)?.add_scalar(2.0)?;
    let det = 4.0 - 1.6 * 1.6;
    x0.square()?.mul_scalar(4.0 / det)?.add(&x0.mul(&x1)?.mul_scalar(-3.2 / det)?)?.add(&x1.square()?.mul_scalar(1.0 / det)?)?.mul_scalar(-0.5)
}

/// Chains' draws of coordinate `j` from stacked `[draws, chains, 2]` states.
fn coordinate(states: &Structure, chains: usize, j: usize) -> Vec<Vec<f64>> {
    let t = states.as_tensor().unwrap();
    let n = t.shape()[0];
    let v = t.to_vec().unwrap();
    (0..chains).map(|c| (0..n).map(|i| v[(i * chains + c) * 2 + j]).collect()).collect()
}

fn assert_moments(x: &[Vec<f64>], mean: f64, sd: f64, what: &str) {
    let all = x.concat();
    let m = all.iter().sum::<f64>() / all.len() as f64;
    let s = (all.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (all.len() - 1) as f64).sqrt();
    let (se, se_sd) = (mcse_mean(x).unwrap(), mcse_sd(x).unwrap());
    assert!((m - mean).abs() <= 4.0 * se, "{what}: mean {m} vs {mean} (mcse {se})");
    assert!((s - sd).abs() <= 4.0 * se_sd, "{what}: sd {s} vs {sd} (mcse {se_sd})");
    assert!(rhat(x).unwrap() < 1.02, "{what}: rhat {}", rhat(x).unwrap());
}

#[test]
fn mala_samples_a_correlated_gaussian() {
    let kernel = DualAveragingStepSizeAdaptation::new(MetropolisAdjustedLangevinAlgorithm::new(correlated, vec![0.05]).unwrap(), 500);
    let start = Structure::Tensor(Tensor::from_slice(&[0.0, 0.0, 2.0, -3.0, -1.0, 0.0, 1.0, 1.0], &[4, 2], DType::F64).unwrap());
    let o = SampleChainOptions { num_burnin_steps: 600, seed: Seed::new(31), ..Default::default() };
    let run = sample_chain(4000, &start, None, &kernel, &o, |_, r| r.inner_results.log_accept_ratio.to_vec().unwrap()).unwrap();
    assert_moments(&coordinate(&run.all_states, 4, 0), 1.0, 1.0, "x0");
    assert_moments(&coordinate(&run.all_states, 4, 1), -2.0, 2.0, "x1");
    // Dual averaging reaches TFP's 0.75 on average.
    let accept = run.trace.iter().flatten().map(|l| l.min(0.0).exp()).sum::<f64>() / 16000.0;
    assert!((accept - 0.75).abs() < 0.08, "{accept}");
}

#[test]
fn mala_correction_is_the_log_ratio_of_the_proposal_densities() {
    // 1-D target N(0, 1), volatility v(x) = 1 + x²/10 (entry by entry), step 0.3: one step's
    // correction against log N(x; x′ + d(x′), ε v(x′)²) − log N(x′; x + d(x), ε v(x)²) by hand.
    let eps = 0.3;
    let vol = |x: f64| 1.0 + x * x / 10.0;
    let drift = |x: f64| 0.5 * eps * (vol(x).powi(2) * (-x) + 2.0 * vol(x) * (x / 5.0));
    let inner = UncalibratedLangevin::new(|s: &Structure| s.as_tensor()?.square()?.mul_scalar(-0.5), vec![eps])
        .unwrap()
        .with_volatility_fn(Arc::new(|s: &Structure| Ok(vec![s.as_tensor()?.square()?.mul_scalar(0.1)?.add_scalar(1.0)?])));
    let x0 = 0.8;
    let s0 = Structure::Tensor(Tensor::vector(&[x0], DType::F64).unwrap());
    let r0 = inner.bootstrap_results(&s0).unwrap();
    assert!((r0.diffusion_drift[0].to_vec().unwrap()[0] - drift(x0)).abs() < 1e-12);
    let (s1, r1) = inner.one_step(&s0, &r0, Seed::new(5)).unwrap();
    let x1 = s1.as_tensor().unwrap().to_vec().unwrap()[0];
    let log_n = |y: f64, m: f64, sd: f64| -((y - m) / sd).powi(2) / 2.0 - sd.ln();
    let want = log_n(x0, x1 + drift(x1), eps.sqrt() * vol(x1)) - log_n(x1, x0 + drift(x0), eps.sqrt() * vol(x0));
    let got = r1.log_acceptance_correction.to_vec().unwrap()[0];
    assert!((got - want).abs() < 1e-10, "{got} vs {want}");
    // With that volatility, MALA still samples N(0, 1).
    let k = MetropolisAdjustedLangevinAlgorithm::from_inner(inner);
    let run = sample_chain(4000, &Structure::Tensor(Tensor::zeros(&[4], DType::F64).unwrap()), None, &k, &SampleChainOptions { num_burnin_steps: 200, seed: Seed::new(6), ..Default::default() }, |_, _| ()).unwrap();
    let v = run.all_states.as_tensor().unwrap().to_vec().unwrap();
    let x: Vec<Vec<f64>> = (0..4).map(|c| (0..4000).map(|i| v[i * 4 + c]).collect()).collect();
    assert_moments(&x, 0.0, 1.0, "x");
}

#[test]
fn slice_sampler_samples_a_correlated_gaussian_and_a_list_state() {
    let kernel = SliceSampler::new(correlated, 2.0, 5).unwrap();
    let start = Structure::Tensor(Tensor::zeros(&[4, 2], DType::F64).unwrap());
    let run = sample_chain(3000, &start, None, &kernel, &SampleChainOptions { num_burnin_steps: 200, seed: Seed::new(32), ..Default::default() }, |_, r| r.num_evaluations.clone()).unwrap();
    assert_moments(&coordinate(&run.all_states, 4, 0), 1.0, 1.0, "x0");
    assert_moments(&coordinate(&run.all_states, 4, 1), -2.0, 2.0, "x1");
    // A list state: a scalar N(3, 1) and a 2-vector N(0, 0.5²) per chain.
    let target = |s: &Structure| s.part(0)?.add_scalar(-3.0)?.square()?.mul_scalar(-0.5)?.add(&s.part(1)?.square()?.mul_scalar(-2.0)?.sum_axes(&[1], false)?);
    let k = SliceSampler::new(target, 1.0, 4).unwrap();
    let start = Structure::List(vec![Tensor::zeros(&[4], DType::F64).unwrap(), Tensor::zeros(&[4, 2], DType::F64).unwrap()]);
    let run = sample_chain(3000, &start, None, &k, &SampleChainOptions { num_burnin_steps: 200, seed: Seed::new(33), ..Default::default() }, |_, _| ()).unwrap();
    let a = run.all_states.part(0).unwrap().to_vec().unwrap();
    let b = run.all_states.part(1).unwrap().to_vec().unwrap();
    assert_moments(&(0..4).map(|c| (0..3000).map(|i| a[i * 4 + c]).collect()).collect::<Vec<_>>(), 3.0, 1.0, "a");
    assert_moments(&(0..4).map(|c| (0..3000).map(|i| b[(i * 4 + c) * 2 + 1]).collect()).collect::<Vec<_>>(), 0.0, 0.5, "b");
}

#[test]
fn replica_exchange_crosses_between_modes() {
    // 0.3 N(−5, 0.5²) + 0.7 N(5, 0.5²): HMC alone stays in its mode; with replicas at
    // β = 1, 0.25, 0.06, 0.015 the cold chain visits both in the right proportion.
    let target = |s: &Structure| {
        let x = s.as_tensor()?;
        let a = x.add_scalar(5.0)?.square()?.mul_scalar(-2.0)?.add_scalar(0.3f64.ln())?.unsqueeze(0)?;
        let b = x.add_scalar(-5.0)?.square()?.mul_scalar(-2.0)?.add_scalar(0.7f64.ln())?.unsqueeze(0)?;
        Tensor::concat(&[&a, &b], 0)?.logsumexp(0, false)
    };
    let betas = vec![1.0, 0.25, 0.06, 0.015];
    let remc = ReplicaExchangeMC::new(target, betas.clone(), |t: Arc<TargetLogProbFn>, k| HamiltonianMonteCarlo::new(move |s: &Structure| t(s), vec![0.4 / betas[k].sqrt()], 5)).unwrap();
    let start = Structure::Tensor(Tensor::from_slice(&[-5.0, -5.0, 5.0, 5.0], &[4], DType::F64).unwrap());
    let run = sample_chain(4000, &start, None, &remc, &SampleChainOptions { num_burnin_steps: 500, seed: Seed::new(34), ..Default::default() }, |_, r| r.is_swap_accepted.iter().flatten().filter(|a| **a).count()).unwrap();
    let v = run.all_states.as_tensor().unwrap().to_vec().unwrap();
    let right: Vec<Vec<f64>> = (0..4).map(|c| (0..4000).map(|i| if v[i * 4 + c] > 0.0 { 1.0 } else { 0.0 }).collect()).collect();
    let share = right.concat().iter().sum::<f64>() / 16000.0;
    let se = mcse_mean(&right).unwrap();
    assert!((share - 0.7).abs() <= 4.0 * se && se < 0.05, "share {share} (mcse {se})");
    assert!(run.trace.iter().sum::<usize>() > 1000, "swaps accepted: {}", run.trace.iter().sum::<usize>());
    // Without replicas, HMC from the same starts never leaves its mode.
    let hmc = HamiltonianMonteCarlo::new(target, vec![0.4], 5).unwrap();
    let alone = sample_chain(1000, &start, None, &hmc, &SampleChainOptions { seed: Seed::new(34), ..Default::default() }, |_, _| ()).unwrap();
    let v = alone.all_states.as_tensor().unwrap().to_vec().unwrap();
    assert!((0..1000).all(|i| v[i * 4] < 0.0 && v[i * 4 + 3] > 0.0));
}

#[test]
fn bad_input_is_a_typed_error() {
    assert!(MetropolisAdjustedLangevinAlgorithm::new(correlated, vec![-0.1]).is_err());
    assert!(SliceSampler::new(correlated, f64::NAN, 3).is_err());
    let k = MetropolisAdjustedLangevinAlgorithm::new(correlated, vec![0.1, 0.1]).unwrap();
    let err = k.bootstrap_results(&Structure::Tensor(Tensor::zeros(&[2, 2], DType::F64).unwrap())).unwrap_err().to_string();
    assert!(err.contains("step_size"), "{err}");
    let make = |t: Arc<TargetLogProbFn>, _| Ok(RandomWalkMetropolis::new(move |s: &Structure| t(s), random_walk_normal_fn(1.0)));
    assert!(ReplicaExchangeMC::new(correlated, vec![1.0, 1.0], make).is_err());
    // A target that is −∞ at the start names the chain.
    let k = SliceSampler::new(|s: &Structure| s.as_tensor()?.log()?.sum_axes(&[1], false), 1.0, 3).unwrap();
    let err = k.bootstrap_results(&Structure::Tensor(Tensor::from_slice(&[1.0, 1.0, 0.0, 1.0], &[2, 2], DType::F64).unwrap())).unwrap_err().to_string();
    assert!(err.contains("chain 1"), "{err}");
}
