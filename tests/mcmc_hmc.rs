//! Hamiltonian Monte Carlo: moments of a correlated Gaussian within Monte Carlo error, state
//! structures with a step size per part, leapfrog reversibility and second-order energy
//! error, gradients, and bad input. Fixed seeds; moment checks are 4-sigma bounds (about 6e-5
//! false failures per check were the seed drawn anew).

use probrs::joint::Structure;
use probrs::mcmc::*;
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};

/// N(0, Σ) with Σ = [[1, 1.6], [1.6, 4]], on a `[chains, 2]` state.
fn correlated(s: &Structure) -> probrs::Result<Tensor> {
    let x = s.as_tensor()?;
    let (a, b, c) = (4.0 / 0.36 / 4.0, -1.6 / 0.36 / 4.0, 1.0 / 0.36 / 4.0);
    let x0 = x.narrow(1, 0, 1)?.squeeze(1)?;
    let x1 = x.narrow(1, 1, 1)?.squeeze(1)?;
    x0.square()?.mul_scalar(a)?.add(&x0.mul(&x1)?.mul_scalar(2.0 * b)?)?.add(&x1.square()?.mul_scalar(c)?)?.mul_scalar(-0.5)
}

#[test]
fn correlated_gaussian_moments_within_mcse() {
    let kernel = HamiltonianMonteCarlo::new(correlated, vec![0.35], 8).unwrap();
    let start = Structure::Tensor(Tensor::from_slice(&[-3.0, 3.0, 3.0, -3.0, 0.0, 5.0, 1.0, 1.0], &[4, 2], DType::F64).unwrap());
    let opts = SampleChainOptions { num_burnin_steps: 300, seed: Seed::new(21), ..Default::default() };
    let run = sample_chain(3000, &start, None, &kernel, &opts, |_, r| r.log_accept_ratio.clone()).unwrap();
    let all = run.all_states.as_tensor().unwrap().to_vec().unwrap();
    for (j, sd_want) in [(0usize, 1.0), (1, 2.0)] {
        let chains: Vec<Vec<f64>> = (0..4).map(|c| (0..3000).map(|i| all[(i * 4 + c) * 2 + j]).collect()).collect();
        let flat = chains.concat();
        let mean = flat.iter().sum::<f64>() / flat.len() as f64;
        let sd = (flat.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (flat.len() - 1) as f64).sqrt();
        let (se, se_sd) = (mcse_mean(&chains).unwrap(), mcse_sd(&chains).unwrap());
        assert!(mean.abs() <= 4.0 * se, "coordinate {j}: mean {mean}, mcse {se}");
        assert!((sd - sd_want).abs() <= 4.0 * se_sd, "coordinate {j}: sd {sd}, mcse {se_sd}");
        assert!(rhat(&chains).unwrap() < 1.01);
        // HMC mixes far better than a random walk: an ESS of a good fraction of the draws.
        assert!(ess_bulk(&chains).unwrap() > 2000.0, "ess {}", ess_bulk(&chains).unwrap());
    }
    let mean_accept = run.trace.iter().map(|r| r.exp().unwrap().minimum(&r.ones_like().unwrap()).unwrap().mean_all().unwrap().to_scalar().unwrap()).sum::<f64>() / 3000.0;
    assert!(mean_accept > 0.6, "acceptance {mean_accept}");
}

#[test]
fn leapfrog_is_reversible_and_second_order() {
    let x0 = Structure::Tensor(Tensor::from_slice(&[0.7, -1.2], &[1, 2], DType::F64).unwrap());
    let p0 = [Tensor::from_slice(&[0.3, 0.9], &[1, 2], DType::F64).unwrap()];
    let energy = |x: &Structure, p: &Tensor| -correlated(x).unwrap().to_scalar().unwrap() + 0.5 * p.square().unwrap().sum_all().unwrap().to_scalar().unwrap();
    let h0 = energy(&x0, &p0[0]);
    let mut errors = vec![];
    for eps in [0.1, 0.05, 0.025] {
        // The same trajectory length 2 with shrinking steps.
        let k = HamiltonianMonteCarlo::new(correlated, vec![eps], (2.0 / eps) as usize).unwrap();
        let (x1, p1, lp1) = k.leapfrog(&x0, &p0).unwrap();
        assert!((lp1.to_scalar().unwrap() - correlated(&x1).unwrap().to_scalar().unwrap()).abs() < 1e-12);
        errors.push((energy(&x1, &p1[0]) - h0).abs());
        // Reversible: back with the momentum negated, to rounding.
        let (x2, p2, _) = k.leapfrog(&x1, &[p1[0].neg().unwrap()]).unwrap();
        for (a, b) in x2.as_tensor().unwrap().to_vec().unwrap().iter().zip(x0.as_tensor().unwrap().to_vec().unwrap()) {
            assert!((a - b).abs() < 1e-12, "eps {eps}: {a} vs {b}");
        }
        for (a, b) in p2[0].to_vec().unwrap().iter().zip(p0[0].to_vec().unwrap()) {
            assert!((a + b).abs() < 1e-12);
        }
    }
    // Energy error O(ε²): halving ε divides it by about 4.
    for w in errors.windows(2) {
        let ratio = w[0] / w[1];
        assert!(ratio > 3.0 && ratio < 5.5, "energy errors {errors:?}");
    }
}

#[test]
fn structured_state_with_a_step_size_per_part() {
    // Two parts: a scalar N(1, 0.5²) and a vector of 3 N(0, 2²) per chain.
    let target = |s: &Structure| -> probrs::Result<Tensor> {
        let a = s.part(0)?.add_scalar(-1.0)?.square()?.mul_scalar(-0.5 / 0.25)?;
        let b = s.part(1)?.square()?.mul_scalar(-0.5 / 4.0)?.sum_axes(&[1], false)?;
        a.add(&b)
    };
    // Trajectories of 1 and 4 against sds of 0.5 and 2: clear of the half periods (π/2, 2π).
    let kernel = HamiltonianMonteCarlo::new(target, vec![0.25, 1.0], 4).unwrap();
    let start = Structure::List(vec![Tensor::zeros(&[4], DType::F64).unwrap(), Tensor::zeros(&[4, 3], DType::F64).unwrap()]);
    let run = sample_chain(2000, &start, None, &kernel, &SampleChainOptions { num_burnin_steps: 200, seed: Seed::new(3), ..Default::default() }, |_, _| ()).unwrap();
    let a = run.all_states.part(0).unwrap().to_vec().unwrap();
    let mean_a = a.iter().sum::<f64>() / a.len() as f64;
    let chains_a: Vec<Vec<f64>> = (0..4).map(|c| (0..2000).map(|i| a[i * 4 + c]).collect()).collect();
    assert!((mean_a - 1.0).abs() <= 4.0 * mcse_mean(&chains_a).unwrap(), "mean {mean_a}");
    let b = run.all_states.part(1).unwrap();
    assert_eq!(b.shape(), &[2000, 4, 3]);
    let v = b.to_vec().unwrap();
    let sd_b = (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt();
    assert!((sd_b - 2.0).abs() < 0.15, "sd {sd_b}");
}

#[test]
fn gradients_bad_input_and_rejected_regions() {
    // Gradients at bootstrap: ∇(−½xᵀΣ⁻¹x) = −Σ⁻¹x.
    let k = UncalibratedHamiltonianMonteCarlo::new(correlated, vec![0.1], 3).unwrap();
    let r = k.bootstrap_results(&Structure::Tensor(Tensor::from_slice(&[1.0, 2.0], &[1, 2], DType::F64).unwrap())).unwrap();
    let (a, b, c) = (4.0 / 0.36 / 4.0, -1.6 / 0.36 / 4.0, 1.0 / 0.36 / 4.0);
    let want = [-(a * 1.0 + b * 2.0), -(b * 1.0 + c * 2.0)];
    for (g, w) in r.grads_target_log_prob[0].to_vec().unwrap().iter().zip(want) {
        assert!((g - w).abs() < 1e-12);
    }
    // A step size per part must match the parts.
    let k = HamiltonianMonteCarlo::new(correlated, vec![0.1, 0.2], 3).unwrap();
    let x = Structure::Tensor(Tensor::zeros(&[2, 2], DType::F64).unwrap());
    assert!(sample_chain(3, &x, None, &k, &SampleChainOptions::default(), |_, _| ()).unwrap_err().to_string().contains("step_size"));
    assert!(HamiltonianMonteCarlo::new(correlated, vec![f64::NAN], 3).is_err());
    // A state with no parts: an error, not a panic.
    let empty = HamiltonianMonteCarlo::new(|_: &Structure| Tensor::zeros(&[2], DType::F64), vec![0.1], 3).unwrap();
    assert!(sample_chain(2, &Structure::List(vec![]), None, &empty, &SampleChainOptions::default(), |_, _| ()).is_err());
    // A half-normal: −∞ below 0; trajectories that leave the support are rejected.
    let half = |s: &Structure| -> probrs::Result<Tensor> {
        let x = s.as_tensor()?;
        Tensor::where_(&x.lt_scalar(0.0)?, &Tensor::scalar(f64::NEG_INFINITY, x.dtype())?, &x.square()?.mul_scalar(-0.5)?)
    };
    let k = HamiltonianMonteCarlo::new(half, vec![0.8], 3).unwrap();
    let run = sample_chain(300, &Structure::Tensor(Tensor::vector(&[0.5, 1.0, 1.5], DType::F64).unwrap()), None, &k, &SampleChainOptions::default(), |_, _| ()).unwrap();
    assert!(run.all_states.as_tensor().unwrap().to_vec().unwrap().iter().all(|v| *v >= 0.0));
}

/// After warm-up with either adaptation, HMC's acceptance is near the target (0.75), from step
/// sizes 100× too small and 10× too large; the adapted step size then stays fixed.
#[test]
fn step_size_adaptation_reaches_the_target_acceptance() {
    // 10-D N(0, diag(0.5², ..., 2²)) per chain, 8 chains.
    let scales: Vec<f64> = (0..10).map(|i| 0.5 + 1.5 * i as f64 / 9.0).collect();
    let inv_var = Tensor::vector(&scales.iter().map(|s| 1.0 / (s * s)).collect::<Vec<_>>(), DType::F64).unwrap();
    let target = move |s: &Structure| s.as_tensor()?.square()?.mul(&inv_var)?.sum_axes(&[1], false)?.mul_scalar(-0.5);
    let start = Structure::Tensor(Tensor::zeros(&[8, 10], DType::F64).unwrap());
    let opts = SampleChainOptions { num_burnin_steps: 600, seed: Seed::new(8), ..Default::default() };
    let accept = |lars: &[Tensor]| lars.iter().map(|l| l.to_vec().unwrap().iter().map(|v| v.min(0.0).exp()).sum::<f64>() / 8.0).sum::<f64>() / lars.len() as f64;
    for initial in [0.005, 5.0] {
        let hmc = HamiltonianMonteCarlo::new(target.clone(), vec![initial], 5).unwrap();
        let dual = DualAveragingStepSizeAdaptation::new(hmc, 600);
        let run = sample_chain(800, &start, None, &dual, &opts, |_, r| (r.inner_results.log_accept_ratio.clone(), r.inner_results.step_size()[0])).unwrap();
        let (lars, steps): (Vec<Tensor>, Vec<f64>) = run.trace.into_iter().unzip();
        let p = accept(&lars);
        assert!((p - 0.75).abs() < 0.08, "dual averaging from {initial}: acceptance {p}");
        assert!(steps.windows(2).all(|w| w[0] == w[1]), "the step size is fixed after adaptation");
        let hmc = HamiltonianMonteCarlo::new(target.clone(), vec![initial], 5).unwrap();
        let simple = SimpleStepSizeAdaptation::new(hmc, 600);
        let run = sample_chain(800, &start, None, &simple, &opts, |_, r| r.inner_results.log_accept_ratio.clone()).unwrap();
        let p = accept(&run.trace);
        assert!((p - 0.75).abs() < 0.1, "simple adaptation from {initial}: acceptance {p}");
    }
    // A shrinkage target per part must match the parts.
    let mut dual = DualAveragingStepSizeAdaptation::new(HamiltonianMonteCarlo::new(target, vec![0.1], 5).unwrap(), 10);
    dual.shrinkage_target = Some(vec![0.0, 1.0]);
    assert!(sample_chain(2, &start, None, &dual, &SampleChainOptions::default(), |_, _| ()).unwrap_err().to_string().contains("shrinkage_target"));
}

/// HMC in unconstrained space through bijectors: Gamma(3, 2) through Exp, and a two-part
/// state (a real N(1, 1) and a positive Gamma(2, 1) through Softplus), moments within MCSE.
#[test]
fn transformed_transition_kernel_samples_constrained_targets() {
    use probrs::bijectors::{Bijector, Exp, Identity, Softplus};
    use std::sync::Arc;
    let gamma = |s: &Structure| -> probrs::Result<Tensor> {
        let x = s.as_tensor()?;
        x.log()?.mul_scalar(2.0)?.sub(&x.mul_scalar(2.0)?)
    };
    let exp: Arc<dyn Bijector> = Arc::new(Exp::new());
    let kernel = TransformedTransitionKernel::new(gamma, vec![exp], |t| Ok(DualAveragingStepSizeAdaptation::new(HamiltonianMonteCarlo::new(move |z: &Structure| t(z), vec![0.5], 4)?, 300))).unwrap();
    let opts = SampleChainOptions { num_burnin_steps: 300, seed: Seed::new(12), ..Default::default() };
    let run = sample_chain(2000, &Structure::Tensor(Tensor::vector(&[0.5, 1.0, 2.0, 4.0], DType::F64).unwrap()), None, &kernel, &opts, |_, _| ()).unwrap();
    let v = run.all_states.as_tensor().unwrap().to_vec().unwrap();
    assert!(v.iter().all(|x| *x > 0.0));
    let chains: Vec<Vec<f64>> = (0..4).map(|c| (0..2000).map(|i| v[i * 4 + c]).collect()).collect();
    let flat = chains.concat();
    let mean = flat.iter().sum::<f64>() / flat.len() as f64;
    let sd = (flat.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (flat.len() - 1) as f64).sqrt();
    assert!((mean - 1.5).abs() <= 4.0 * mcse_mean(&chains).unwrap(), "mean {mean}");
    assert!((sd - 0.75f64.sqrt()).abs() <= 4.0 * mcse_sd(&chains).unwrap(), "sd {sd}");
    assert!(rhat(&chains).unwrap() < 1.01);
    // Two parts with their own bijectors.
    let target = |s: &Structure| -> probrs::Result<Tensor> {
        let mu = s.part(0)?.add_scalar(-1.0)?.square()?.mul_scalar(-0.5)?;
        let sigma = s.part(1)?;
        mu.add(&sigma.log()?.sub(sigma)?)
    };
    let bijectors: Vec<Arc<dyn Bijector>> = vec![Arc::new(Identity::new()), Arc::new(Softplus::new())];
    let kernel = TransformedTransitionKernel::new(target, bijectors, |t| HamiltonianMonteCarlo::new(move |z: &Structure| t(z), vec![0.4, 0.4], 5)).unwrap();
    let start = Structure::List(vec![Tensor::zeros(&[4], DType::F64).unwrap(), Tensor::ones(&[4], DType::F64).unwrap()]);
    let run = sample_chain(3000, &start, None, &kernel, &SampleChainOptions { num_burnin_steps: 200, seed: Seed::new(13), ..Default::default() }, |_, _| ()).unwrap();
    for (part, want) in [(0, 1.0), (1, 2.0)] {
        let v = run.all_states.part(part).unwrap().to_vec().unwrap();
        let chains: Vec<Vec<f64>> = (0..4).map(|c| (0..3000).map(|i| v[i * 4 + c]).collect()).collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert!((mean - want).abs() <= 4.0 * mcse_mean(&chains).unwrap(), "part {part}: mean {mean}");
    }
    // An initial state outside the support: an error naming the chain.
    let exp: Arc<dyn Bijector> = Arc::new(Exp::new());
    let k = TransformedTransitionKernel::new(gamma, vec![exp], |t| HamiltonianMonteCarlo::new(move |z: &Structure| t(z), vec![0.5], 4)).unwrap();
    let err = sample_chain(2, &Structure::Tensor(Tensor::vector(&[1.0, -1.0], DType::F64).unwrap()), None, &k, &SampleChainOptions::default(), |_, _| ()).unwrap_err().to_string();
    assert!(err.contains("chain 1"), "{err}");
}

#[test]
fn simulation_based_calibration_of_hmc() {
    // μ ~ N(0, 1), y_1..5 | μ ~ N(μ, 1), 400 simulated data sets run at once as 400 chains (one
    // data set each, TFP's batch style). The rank of each true μ among 99 thinned draws is
    // uniform on 0..=99 when the sampler is right (Talts et al. 2018; draws thinned by 20 so that
    // they are close to independent): ten bins, a chi-square
    // test at the 1e-3 level (9 degrees of freedom: 27.88).
    use rand::Rng;
    use rand_distr::StandardNormal;
    let reps = 400;
    let mut rng = Seed::new(61).rng();
    let mus: Vec<f64> = (0..reps).map(|_| rng.sample(StandardNormal)).collect();
    let ys: Vec<f64> = mus.iter().flat_map(|m| (0..5).map(|_| m + rng.sample::<f64, _>(StandardNormal)).collect::<Vec<_>>()).collect();
    let y = Tensor::from_slice(&ys, &[reps, 5], DType::F64).unwrap();
    let target = move |s: &Structure| {
        let mu = s.as_tensor()?; // [reps]
        let lik = y.sub(&mu.unsqueeze(1)?)?.square()?.sum_axes(&[1], false)?;
        mu.square()?.add(&lik)?.mul_scalar(-0.5)
    };
    // Trajectory length 0.75 against a posterior sd of 0.41: well away from the half period
    // (πσ ≈ 1.28), where a fixed-length HMC on a Gaussian barely moves |μ − mean| (found here:
    // step 0.25 × 5 steps gave a rank histogram of chi2 65).
    let kernel = HamiltonianMonteCarlo::new(target, vec![0.25], 3).unwrap();
    let start = Structure::Tensor(Tensor::zeros(&[reps], DType::F64).unwrap());
    let o = SampleChainOptions { num_burnin_steps: 100, num_steps_between_results: 19, seed: Seed::new(62), ..Default::default() };
    let run = sample_chain(99, &start, None, &kernel, &o, |_, _| ()).unwrap();
    let draws = run.all_states.as_tensor().unwrap().to_vec().unwrap();
    let mut sq = 0.0;
    for r in 0..reps {
        let pm: f64 = ys[r * 5..r * 5 + 5].iter().sum::<f64>() / 6.0;
        sq += (0..99).map(|i| (draws[i * reps + r] - pm).powi(2)).sum::<f64>() / 99.0;
    }
    // The draws spread as the posterior does (variance 1/6), within 10%.
    assert!((sq / reps as f64 * 6.0 - 1.0).abs() < 0.1, "{}", sq / reps as f64);
    let mut bins = [0usize; 10];
    for (r, mu) in mus.iter().enumerate() {
        let rank = (0..99).filter(|i| draws[i * reps + r] < *mu).count();
        bins[rank * 10 / 100] += 1;
    }
    let expected = reps as f64 / 10.0;
    let chi2: f64 = bins.iter().map(|b| (*b as f64 - expected).powi(2) / expected).sum();
    assert!(chi2 < 27.88, "rank histogram {bins:?}, chi2 {chi2}");
}

#[test]
fn chains_on_threads_give_the_same_draws_whatever_the_thread_count() {
    let kernel = HamiltonianMonteCarlo::new(correlated, vec![0.35], 4).unwrap();
    let start = Structure::Tensor(Tensor::from_slice(&[-1.0, 1.0, 1.0, -1.0, 0.0, 2.0, 1.0, 0.0], &[4, 2], DType::F64).unwrap());
    let o = SampleChainOptions { num_burnin_steps: 100, seed: Seed::new(71), ..Default::default() };
    let one = sample_chain_on_threads(1500, &start, &kernel, &o, 1, |_, r| r.is_accepted.any().unwrap()).unwrap();
    let two = sample_chain_on_threads(1500, &start, &kernel, &o, 2, |_, r| r.is_accepted.any().unwrap()).unwrap();
    let a = one.all_states.as_tensor().unwrap();
    assert_eq!(a.shape(), &[1500, 4, 2]);
    assert_eq!(a.to_vec().unwrap(), two.all_states.as_tensor().unwrap().to_vec().unwrap());
    assert_eq!(one.trace, two.trace);
    assert_eq!(one.final_kernel_results.len(), 4);
    // The draws are the target's: x₁ has sd 2.
    let v = a.to_vec().unwrap();
    let chains: Vec<Vec<f64>> = (0..4).map(|c| (0..1500).map(|i| v[(i * 4 + c) * 2 + 1]).collect()).collect();
    let all = chains.concat();
    let sd = (all.iter().map(|x| x * x).sum::<f64>() / all.len() as f64).sqrt();
    assert!((sd - 2.0).abs() <= 4.0 * mcse_sd(&chains).unwrap() + 0.05, "{sd}");
    // A failing chain is named.
    let bad = Structure::Tensor(Tensor::from_slice(&[0.0, 0.0, f64::NAN, 0.0], &[2, 2], DType::F64).unwrap());
    let err = sample_chain_on_threads(10, &bad, &kernel, &o, 2, |_, _| ()).unwrap_err().to_string();
    assert!(err.contains("chain 1"), "{err}");
}
