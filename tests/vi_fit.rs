//! `fit_surrogate_posterior` on seed page 003's Normal–Normal model (reverse and forward KL),
//! the stateless form, every gradient estimator against the exact gradient, the
//! importance-weighted bound, model variables trained through the target, and bad input.
//! Statistical checks use fixed seeds and 6-sigma bounds (false-failure rate ≈ 2e-9 each).

use probrs::bijectors::Softplus;
use probrs::distributions::{Distribution, Normal};
use probrs::optim::{trace_loss, Adam};
use probrs::params::{TransformedVariable, Variable};
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use probrs::vi::*;

/// The page's model: z ~ N(0, 1), x ~ N(z, 1), conditioned on x = 5.
fn conditioned_log_prob(z: &Tensor) -> probrs::Result<Tensor> {
    let x = z.full_like(5.0)?;
    Normal::new(z.zeros_like()?, 1.0)?.log_prob(z)?.add(&Normal::new(z, 1.0)?.log_prob(&x)?)
}

fn q_z(dtype: DType) -> (Normal, Variable, TransformedVariable) {
    let loc = Variable::new(&Tensor::scalar(0.0, dtype).unwrap(), "q_z_loc").unwrap();
    let scale = TransformedVariable::new(&Tensor::scalar(1.0, dtype).unwrap(), Softplus::new(), "q_z_scale").unwrap();
    (Normal::new(&loc, scale.clone()).unwrap(), loc, scale)
}

fn last_200_mean(v: &[(f64, f64)]) -> (f64, f64) {
    let tail = &v[v.len() - 200..];
    (tail.iter().map(|p| p.0).sum::<f64>() / 200.0, tail.iter().map(|p| p.1).sum::<f64>() / 200.0)
}

#[test]
fn normal_normal_reverse_kl_converges_to_the_posterior() {
    for dtype in [DType::F32, DType::F64] {
        let (q, loc, scale) = q_z(dtype);
        let r = fit_surrogate_posterior(
            |z| conditioned_log_prob(z.as_tensor()?),
            &q,
            &mut Adam::new(0.1),
            1000,
            FitOptions { seed: 42, ..Default::default() },
            |_| (loc.numpy().to_scalar().unwrap(), scale.value().unwrap().to_scalar().unwrap()),
        )
        .unwrap();
        assert_eq!(r.trace.len(), 1000);
        let (m, s) = last_200_mean(&r.trace);
        assert!((m - 2.5).abs() < 0.05, "{dtype:?}: mean {m}");
        assert!((s - 0.5f64.sqrt()).abs() < 0.05, "{dtype:?}: stddev {s}");
        // Same seed, same run.
        let (q2, loc2, _) = q_z(dtype);
        let r2 = fit_surrogate_posterior(|z| conditioned_log_prob(z.as_tensor()?), &q2, &mut Adam::new(0.1), 1000, FitOptions { seed: 42, ..Default::default() }, |_| loc2.numpy().to_scalar().unwrap()).unwrap();
        assert_eq!(r2.trace[999], r.trace[999].0);
    }
}

#[test]
fn normal_normal_forward_kl_with_score_function_gradients() {
    let (q, loc, scale) = q_z(DType::F32);
    let r = fit_surrogate_posterior(
        |z| conditioned_log_prob(z.as_tensor()?),
        &q,
        &mut Adam::new(0.1),
        1000,
        FitOptions {
            sample_size: 10,
            discrepancy_fn: Discrepancy::kl_forward(),
            gradient_estimator: Some(GradientEstimator::ScoreFunction),
            seed: 42,
            ..Default::default()
        },
        |_| (loc.numpy().to_scalar().unwrap(), scale.value().unwrap().to_scalar().unwrap()),
    )
    .unwrap();
    let (m, s) = last_200_mean(&r.trace);
    assert!((m - 2.5).abs() < 0.1, "mean {m}");
    assert!((s - 0.5f64.sqrt()).abs() < 0.1, "stddev {s}");
}

#[test]
fn stateless_form_fits_the_same_posterior() {
    let init = [Tensor::scalar(0.0, DType::F64).unwrap(), Tensor::scalar(0.5413248546129181, DType::F64).unwrap()];
    let (params, r) = fit_surrogate_posterior_stateless(
        |z| conditioned_log_prob(z.as_tensor()?),
        |p: &[Tensor]| Normal::new(&p[0], p[1].softplus()?),
        &init,
        &mut Adam::new(0.05),
        2000,
        FitOptions { sample_size: 10, seed: 7, ..Default::default() },
        |t| (t.loss_value, t.parameters[0].to_scalar().unwrap(), t.parameters[1].softplus().unwrap().to_scalar().unwrap()),
    )
    .unwrap();
    assert_eq!(r.trace.len(), 2000);
    assert_eq!(params[0].to_scalar().unwrap(), r.trace[1999].1);
    // Constant-lr Adam jitters: the average of the last 200 iterates.
    let (m, s) = last_200_mean(&r.trace.iter().map(|t| (t.1, t.2)).collect::<Vec<_>>());
    assert!((m - 2.5).abs() < 0.05 && (s - 0.5f64.sqrt()).abs() < 0.05, "{m} {s}");
    // The loss approaches −log p(x = 5) = 7.5155 (the optimum of the negative ELBO).
    let tail = r.trace[1800..].iter().map(|t| t.0).sum::<f64>() / 200.0;
    assert!((tail - 7.5155).abs() < 0.1, "{tail}");
}

/// Gradients of the loss w.r.t. (loc, raw scale) of q = N(m, softplus(r)) for the normalized
/// target N(0, 1) and kl_reverse: exactly ∇KL(q‖p) = (m, (s − 1/s) σ(r)).
#[test]
fn every_gradient_estimator_is_unbiased() {
    let (m0, r0) = (0.7f64, 0.3f64);
    let s0 = (1.0 + r0.exp()).ln();
    let sig = 1.0 / (1.0 + (-r0).exp());
    let exact = [m0, (s0 - 1.0 / s0) * sig];
    let target = |x: &Structure| Normal::new(Tensor::scalar(0.0, DType::F64)?, 1.0)?.log_prob(x.as_tensor()?);
    for est in [GradientEstimator::Reparameterization, GradientEstimator::ScoreFunction, GradientEstimator::DoublyReparameterized] {
        let reps = 40;
        let mut g = vec![[0.0; 2]; reps];
        for (i, gi) in g.iter_mut().enumerate() {
            let m = Variable::new(&Tensor::scalar(m0, DType::F64).unwrap(), "m").unwrap();
            let r = Variable::new(&Tensor::scalar(r0, DType::F64).unwrap(), "r").unwrap();
            let q = Normal::new(&m, probrs::params::DeferredTensor::new(r.clone(), |v| v.softplus())).unwrap();
            let opts = VariationalLossOptions { sample_size: 2000, gradient_estimator: Some(est), ..Default::default() };
            let loss = monte_carlo_variational_loss(&target, &q, &opts, Seed::new(100 + i as u64)).unwrap();
            let grads = loss.grad(&[&m.value(), &r.value()]).unwrap();
            gi[0] = grads[0].as_ref().unwrap().to_scalar().unwrap();
            gi[1] = grads[1].as_ref().unwrap().to_scalar().unwrap();
        }
        for k in 0..2 {
            let mean = g.iter().map(|v| v[k]).sum::<f64>() / reps as f64;
            let sd = (g.iter().map(|v| (v[k] - mean).powi(2)).sum::<f64>() / (reps - 1) as f64).sqrt();
            assert!((mean - exact[k]).abs() < 6.0 * sd / (reps as f64).sqrt() + 1e-9, "{est:?} grad[{k}]: {mean} ± {sd} vs {}", exact[k]);
        }
        // Sticking the landing: at q = p the doubly-reparameterized gradient is exactly zero.
        if est == GradientEstimator::DoublyReparameterized {
            let m = Variable::new(&Tensor::scalar(0.0, DType::F64).unwrap(), "m").unwrap();
            let q = Normal::new(&m, 1.0).unwrap();
            let opts = VariationalLossOptions { sample_size: 5, gradient_estimator: Some(est), ..Default::default() };
            let g = monte_carlo_variational_loss(&target, &q, &opts, Seed::new(1)).unwrap().grad(&[&m.value()]).unwrap()[0].as_ref().unwrap().to_scalar().unwrap();
            assert!(g.abs() < 1e-12, "DReG at the optimum: {g}");
        }
    }
}

#[test]
fn importance_weighted_bound_and_vimco() {
    // Unnormalized target Z·N(0, 1), Z = e²: with q = p every log-weight is log Z, so the loss is
    // exactly −log Z for every K and estimator.
    let target = |x: &Structure| Normal::new(Tensor::scalar(0.0, DType::F64)?, 1.0)?.log_prob(x.as_tensor()?)?.add_scalar(2.0);
    let q = Normal::new(Tensor::scalar(0.0, DType::F64).unwrap(), 1.0).unwrap();
    for (k, est) in [(1, GradientEstimator::Reparameterization), (4, GradientEstimator::Reparameterization), (4, GradientEstimator::DoublyReparameterized), (4, GradientEstimator::Vimco)] {
        let opts = VariationalLossOptions { sample_size: 3, importance_sample_size: k, gradient_estimator: Some(est), ..Default::default() };
        let l = monte_carlo_variational_loss(&target, &q, &opts, Seed::new(2)).unwrap().to_scalar().unwrap();
        assert!((l + 2.0).abs() < 1e-12, "K {k} {est:?}: {l}");
    }
    // With q ≠ p the bound tightens with K: E[loss_K=8] < E[loss_1], both ≥ −log Z.
    let q = Normal::new(Tensor::scalar(0.8, DType::F64).unwrap(), 1.3).unwrap();
    let mean_loss = |k: usize| {
        let opts = VariationalLossOptions { sample_size: 20000, importance_sample_size: k, ..Default::default() };
        monte_carlo_variational_loss(&target, &q, &opts, Seed::new(3)).unwrap().to_scalar().unwrap()
    };
    let (l1, l8) = (mean_loss(1), mean_loss(8));
    assert!(l8 < l1 - 0.05 && l8 > -2.0, "K=1 {l1}, K=8 {l8}");
    // VIMCO and reparameterized gradients of the same K = 4 objective agree on average.
    let grad_of = |est: GradientEstimator, seed: u64| {
        let m = Variable::new(&Tensor::scalar(0.8, DType::F64).unwrap(), "m").unwrap();
        let q = Normal::new(&m, 1.3).unwrap();
        let opts = VariationalLossOptions { sample_size: 500, importance_sample_size: 4, gradient_estimator: Some(est), ..Default::default() };
        monte_carlo_variational_loss(&target, &q, &opts, Seed::new(seed)).unwrap().grad(&[&m.value()]).unwrap()[0].as_ref().unwrap().to_scalar().unwrap()
    };
    let stats = |est| {
        let v: Vec<f64> = (0..30).map(|s| grad_of(est, 500 + s)).collect();
        let m = v.iter().sum::<f64>() / 30.0;
        (m, (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 29.0).sqrt() / 30f64.sqrt())
    };
    let ((a, sa), (b, sb)) = (stats(GradientEstimator::Reparameterization), stats(GradientEstimator::Vimco));
    assert!((a - b).abs() < 6.0 * (sa * sa + sb * sb).sqrt(), "reparameterized {a} ± {sa} vs VIMCO {b} ± {sb}");
}

#[test]
fn model_variables_read_by_the_target_are_trained() {
    // Prior mean is a model variable: the joint fit moves it toward the data (empirical Bayes).
    let prior_loc = Variable::new(&Tensor::scalar(0.0, DType::F32).unwrap(), "prior_loc").unwrap();
    let (q, _, _) = q_z(DType::F32);
    let pl = prior_loc.clone();
    let target = move |z: &Structure| {
        let z = z.as_tensor()?;
        Normal::new(&pl, 1.0)?.log_prob(z)?.add(&Normal::new(z, 1.0)?.log_prob(&z.full_like(5.0)?)?)
    };
    let r = fit_surrogate_posterior(target, &q, &mut Adam::new(0.05), 300, FitOptions::default(), |t| t.variables.len()).unwrap();
    assert_eq!(r.trace[0], 3, "q_z_loc, q_z_scale and prior_loc are all trained");
    assert!(prior_loc.numpy().to_scalar().unwrap() > 1.0);
}

#[test]
fn bad_input_is_a_typed_error_and_keeps_the_variables() {
    let (q, loc, _) = q_z(DType::F32);
    // A target that returns one value for all draws.
    let e = fit_surrogate_posterior(|z| conditioned_log_prob(z.as_tensor()?)?.sum_all(), &q, &mut Adam::new(0.1), 5, FitOptions { sample_size: 4, ..Default::default() }, trace_loss).unwrap_err();
    assert!(matches!(e, probrs::Error::ShapeMismatch { ref lhs, ref rhs, .. } if lhs.is_empty() && rhs == &vec![4]), "{e}");
    // A target expecting named parts gets a tensor.
    let e = fit_surrogate_posterior(|z| conditioned_log_prob(z.get("z")?), &q, &mut Adam::new(0.1), 5, FitOptions::default(), trace_loss).unwrap_err();
    assert!(e.to_string().contains("`z`"), "{e}");
    // NaN from step 3 on: NonFinite names the step; the variables keep their step-2 values.
    let calls = std::cell::Cell::new(0);
    let mut after_step2 = 0.0;
    let e = fit_surrogate_posterior(
        |z| {
            calls.set(calls.get() + 1);
            let lp = conditioned_log_prob(z.as_tensor()?)?;
            if calls.get() > 3 { lp.mul_scalar(f64::NAN) } else { Ok(lp) }
        },
        &q,
        &mut Adam::new(0.1),
        10,
        FitOptions::default(),
        |t| {
            if t.step == 2 {
                after_step2 = loc.numpy().to_scalar().unwrap();
            }
        },
    )
    .unwrap_err();
    assert!(matches!(e, probrs::Error::NonFinite { step: 3, .. }), "{e}");
    assert_eq!(loc.numpy().to_scalar().unwrap(), after_step2);
    // A surrogate without variables.
    let fixed = Normal::new(0.0, 1.0).unwrap();
    let e = fit_surrogate_posterior(|z| conditioned_log_prob(z.as_tensor()?), &fixed, &mut Adam::new(0.1), 2, FitOptions::default(), trace_loss).unwrap_err();
    assert!(e.to_string().contains("surrogate_posterior"), "{e}");
    // Score-function gradients with importance weighting are rejected, as in TFP.
    let opts = VariationalLossOptions { importance_sample_size: 2, gradient_estimator: Some(GradientEstimator::ScoreFunction), ..Default::default() };
    assert!(monte_carlo_variational_loss(&|z: &Structure| conditioned_log_prob(z.as_tensor()?), &q, &opts, Seed::new(0)).is_err());
}

/// `sample_and_log_prob` computes the density from the standard draws (no triangular solve);
/// as a function of the parameters through the draws it equals `log_prob(sample)` — values and
/// gradients — for every multivariate normal.
#[test]
fn sample_and_log_prob_from_standard_draws_has_the_same_gradients() {
    use probrs::distributions::{MultivariateNormalDiag, MultivariateNormalDiagPlusLowRank, MultivariateNormalFullCovariance, MultivariateNormalTriL};
    let t = |v: &[f64], s: &[usize]| Tensor::from_slice(v, s, DType::F64).unwrap();
    let loc = Variable::new(&t(&[0.3, -0.2, 1.0], &[3]), "loc").unwrap();
    let m = Variable::new(&t(&[1.2, 0.0, 0.0, 0.4, 0.8, 0.0, -0.3, 0.5, 1.5], &[3, 3]), "m").unwrap();
    let builds: Vec<(&str, Box<dyn Fn() -> Box<dyn Distribution>>)> = vec![
        ("tril", Box::new(|| Box::new(MultivariateNormalTriL::new(&loc, &m).unwrap()))),
        ("diag", Box::new(|| Box::new(MultivariateNormalDiag::new(&loc, m.value().diag_part().unwrap()).unwrap()))),
        ("full", Box::new(|| {
            let l = m.value();
            Box::new(MultivariateNormalFullCovariance::new(&loc, l.matmul(&l.matrix_transpose().unwrap()).unwrap()).unwrap())
        })),
        ("lowrank", Box::new(|| Box::new(MultivariateNormalDiagPlusLowRank::new(&loc, m.value().diag_part().unwrap(), m.value().narrow(1, 0, 1).unwrap(), None).unwrap()))),
    ];
    for (name, build) in builds {
        let d = build();
        let (_, lp) = d.sample_and_log_prob(&[4], Seed::new(9)).unwrap();
        let x2 = d.sample(&[4], Seed::new(9)).unwrap();
        let lp2 = d.log_prob(&x2).unwrap();
        let a = lp.to_vec().unwrap();
        let b = lp2.to_vec().unwrap();
        for (u, v) in a.iter().zip(&b) {
            assert!((u - v).abs() < 1e-10, "{name}: {u} vs {v}");
        }
        let g1 = lp.sum_all().unwrap().grad(&[&loc.value(), &m.value()]).unwrap();
        let g2 = lp2.sum_all().unwrap().grad(&[&loc.value(), &m.value()]).unwrap();
        for (p, q) in g1.iter().zip(&g2) {
            let (p, q) = (p.as_ref().map(|g| g.to_vec().unwrap()).unwrap_or_default(), q.as_ref().map(|g| g.to_vec().unwrap()).unwrap_or_default());
            for (u, v) in p.iter().zip(&q) {
                assert!((u - v).abs() < 1e-9 * (1.0 + v.abs()), "{name}: gradient {u} vs {v}");
            }
        }
    }
}
