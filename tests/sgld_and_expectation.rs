//! The rest of the page's Layer 3: `StochasticGradientLangevinDynamics` sampling a known
//! posterior from minibatch gradients, and `monte_carlo::expectation`'s reparameterized and
//! score-function gradients against closed forms. Fixed seeds; tolerances are about 4 Monte
//! Carlo standard errors (stated per check).

use probrs::distributions::{Distribution, Normal};
use probrs::monte_carlo::expectation;
use probrs::optim::{Optimizer, StochasticGradientLangevinDynamics};
use probrs::params::Variable;
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};

/// y_1..200 ~ N(μ, 1), prior μ ~ N(0, 10²); SGLD on minibatches of 100 from μ = −2: the
/// iterates' mean and sd against the posterior N(Σy / (n + 0.01), 1 / (n + 0.01)).
fn sgld_run(decay: f64, with_hessian: bool) -> (f64, f64, f64, f64, f64) {
    let n = 200usize;
    let y: Vec<f64> = (0..n).map(|i| 1.3 + ((i * 7919 % 200) as f64 / 200.0 - 0.5) * 3.4).collect();
    let post_prec = n as f64 + 0.01;
    let (post_mean, post_sd) = (y.iter().sum::<f64>() / post_prec, 1.0 / post_prec.sqrt());
    let mu = Variable::new(&Tensor::scalar(-2.0, DType::F64).unwrap(), "mu").unwrap();
    let mut sgld = StochasticGradientLangevinDynamics::new(4e-5);
    sgld.data_size = n as f64;
    sgld.preconditioner_decay_rate = decay;
    sgld.seed = Seed::new(41);
    let batch = 100;
    let mut draws = vec![];
    for step in 0..60000u64 {
        // A minibatch's mean negative log-likelihood plus the prior's 1/n share.
        let start = (step as usize * batch) % n;
        let yb = Tensor::vector(&y[start..start + batch], DType::F64).unwrap();
        let m = mu.value();
        let loss = yb.sub(&m).unwrap().square().unwrap().mean_all().unwrap().mul_scalar(0.5).unwrap().add(&m.square().unwrap().mul_scalar(0.5 / 100.0 / n as f64).unwrap()).unwrap();
        let g = loss.grad(&[&m]).unwrap()[0].clone().unwrap();
        if with_hessian {
            // The loss's second derivative: 1 + 1/(100 n).
            let h = Tensor::scalar(1.0 + 0.01 / n as f64, DType::F64).unwrap();
            sgld.apply_gradients_with_hessian_diagonal(&[(g, h, mu.clone())]).unwrap();
        } else {
            sgld.apply_gradients(&[(g, mu.clone())]).unwrap();
        }
        if step >= 2000 && step % 10 == 0 {
            draws.push(mu.numpy().to_scalar().unwrap());
        }
    }
    let k = draws.len() as f64;
    let m = draws.iter().sum::<f64>() / k;
    let sd = (draws.iter().map(|d| (d - m).powi(2)).sum::<f64>() / (k - 1.0)).sqrt();
    let se = probrs::mcmc::mcse_mean(&[draws]).unwrap();
    eprintln!("SGLD (decay {decay}, Hessian term {with_hessian}): mean {m} (posterior {post_mean}, mcse {se}), sd {sd} (posterior {post_sd})");
    (m, sd, se, post_mean, post_sd)
}

#[test]
fn sgld_iterates_sample_the_conjugate_posterior() {
    // With a slowly moving preconditioner (decay 0.999), with and without TFP's Γ = ∂P/∂x term:
    // the posterior's mean within 4 mcse and its sd within 5% (the step, lr · P ≈ 5e-4 against
    // a variance of 5e-3, widens it by about 1%).
    for (decay, hessian) in [(0.999, true), (0.999, false)] {
        let (m, sd, se, post_mean, post_sd) = sgld_run(decay, hessian);
        assert!((m - post_mean).abs() < 4.0 * se, "mean {m} vs {post_mean} (mcse {se})");
        assert!((sd / post_sd - 1.0).abs() < 0.05, "sd {sd} vs {post_sd}");
    }
    // At TFP's default decay 0.95 the preconditioner follows each minibatch's gradient, and the
    // spread comes out wide, with or without Γ, as the module documents.
    for hessian in [false, true] {
        let (_, sd, _, _, post_sd) = sgld_run(0.95, hessian);
        assert!(sd / post_sd > 1.05, "{sd} vs {post_sd}");
    }
}

#[test]
fn expectation_gradients_match_closed_forms() {
    // E_{N(μ, σ)}[X²] = μ² + σ²: ∂/∂μ = 2μ, ∂/∂σ = 2σ.
    let (m0, s0) = (0.7, 1.3);
    let mu = Variable::new(&Tensor::scalar(m0, DType::F64).unwrap(), "mu").unwrap();
    let sigma = Variable::new(&Tensor::scalar(s0, DType::F64).unwrap(), "sigma").unwrap();
    let p = Normal::new(&mu, &sigma).unwrap();
    let x = p.sample(&[40000], Seed::new(42)).unwrap();
    let vars = [&mu.value(), &sigma.value()];
    // Reparameterized: x = μ + σ ε carries the gradient.
    let e = expectation(|x| x.square(), &x, None, true, 0, false).unwrap();
    let g = e.grad(&vars).unwrap();
    let (gm, gs) = (g[0].clone().unwrap().to_scalar().unwrap(), g[1].clone().unwrap().to_scalar().unwrap());
    // sd of 2x ε-type terms over 40,000 draws: ~0.02; 4 sigma ≈ 0.08.
    assert!((gm - 2.0 * m0).abs() < 0.08 && (gs - 2.0 * s0).abs() < 0.1, "{gm} {gs}");
    assert!((e.to_scalar().unwrap() - (m0 * m0 + s0 * s0)).abs() < 0.06);
    // Score function: the samples held fixed, the gradient through log p.
    let lp = |t: &Tensor| p.log_prob(t);
    let e = expectation(|x| x.square(), &x, Some(&lp), false, 0, false).unwrap();
    let g = e.grad(&vars).unwrap();
    let (gm, gs) = (g[0].clone().unwrap().to_scalar().unwrap(), g[1].clone().unwrap().to_scalar().unwrap());
    // The score-function estimator is noisier (sd ≈ 0.05 here): 4 sigma ≈ 0.2.
    assert!((gm - 2.0 * m0).abs() < 0.2 && (gs - 2.0 * s0).abs() < 0.3, "{gm} {gs}");
    // Same value as the plain mean.
    let plain: f64 = x.detach().square().unwrap().mean_all().unwrap().to_scalar().unwrap();
    assert!((e.to_scalar().unwrap() - plain).abs() < 1e-12);
}
