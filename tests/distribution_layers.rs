//! TFP's other distribution layers, the KL penalties and `DenseVariational` against hand
//! computations, and the seed page's VAE on the digits:
//! - `MultivariateNormalTriL`'s distribution has the location and the `FillScaleTriL` factor
//!   written out by hand (TFP's fill order), so its log-density is the closed form;
//! - the mixture layers' log-density is the hand-written mixture of Normals / Logistics;
//! - the Monte Carlo KL penalty averages to the exact KL (4,000 draws, 5-standard-error bound:
//!   false-failure rate below 1e-5);
//! - `DenseVariational`'s gradients equal central finite differences, and its output is
//!   `x · kernel + bias` at the weights it drew;
//! - the VAE's test ELBO improves with training and the importance-weighted bound is tighter.

mod common;

use probrs::distributions::{Distribution, Independent, Normal};
use probrs::layers::{posterior_mean_field, prior_trainable, DenseVariational, DistributionLayer, KLDivergenceRegularizer, Layer, MixtureLogistic, MixtureNormal, MultivariateNormalTriL, OneHotCategorical, VariableLayer};
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};

const F: DType = DType::F64;

fn softplus(x: f64) -> f64 {
    x.exp().ln_1p()
}

#[test]
fn multivariate_normal_tril_is_its_formula() {
    // n = 2: params [μ1, μ2, r0, r1, r2]; TFP's fill_triangular of [r0, r1, r2] is [[r2, 0], [r0, r1]]
    // — hence checked through the covariance, which the factor determines.
    let layer = MultivariateNormalTriL::new(2).unwrap();
    let p = [0.5, -1.0, 0.3, -0.4, 0.8];
    let q = layer.distribution(&Tensor::from_slice(&p, &[1, 5], F).unwrap()).unwrap();
    let l = probrs::bijectors::FillScaleTriL::new();
    use probrs::bijectors::Bijector;
    let lt = l.forward(&Tensor::vector(&p[2..], F).unwrap()).unwrap().to_vec().unwrap();
    let (a, b, c) = (lt[0], lt[2], lt[3]);
    assert_eq!(lt[1], 0.0);
    // The diagonal is softplus + 1e-5 of two of the raw entries.
    assert!([a, c].iter().all(|d| p[2..].iter().any(|r| (d - (softplus(*r) + 1e-5)).abs() < 1e-12)));
    let x = [1.0, 0.5];
    let (d0, d1) = (x[0] - p[0], x[1] - p[1]);
    // Solve L y = d, then log N = −½|y|² − log|det L| − log 2π.
    let y0 = d0 / a;
    let y1 = (d1 - b * y0) / c;
    let want = -0.5 * (y0 * y0 + y1 * y1) - (a * c).abs().ln() - (2.0 * std::f64::consts::PI).ln();
    let got = q.log_prob(&Tensor::from_slice(&x, &[1, 2], F).unwrap()).unwrap().to_vec().unwrap()[0];
    assert!((got - want).abs() < 1e-10, "{got} vs {want}");
    assert!(layer.distribution(&Tensor::zeros(&[1, 4], F).unwrap()).is_err());
}

#[test]
fn mixture_layers_are_their_formulas() {
    // Two components over a scalar event: params [logit1, logit2, loc1, ρ1, loc2, ρ2]... as TFP:
    // component params reshaped [k, 2] row by row, each IndependentNormal's [loc | ρ].
    let p = [0.2, -0.3, 1.0, 0.1, -2.0, 0.4];
    let x = 0.7;
    let w = [(0.2f64).exp(), (-0.3f64).exp()];
    let z = w[0] + w[1];
    for (layer, logistic) in [(Box::new(MixtureNormal::new(2, &[1]).unwrap()) as Box<dyn DistributionLayer<Output = probrs::distributions::MixtureSameFamily>>, false), (Box::new(MixtureLogistic::new(2, &[1]).unwrap()), true)] {
        let d = layer.distribution(&Tensor::from_slice(&p, &[1, 6], F).unwrap()).unwrap();
        let dens = |loc: f64, s: f64| {
            let u = (x - loc) / s;
            if logistic { (-u).exp() / (s * (1.0 + (-u).exp()).powi(2)) } else { (-0.5 * u * u).exp() / (s * (2.0 * std::f64::consts::PI).sqrt()) }
        };
        let want = (w[0] / z * dens(1.0, softplus(0.1)) + w[1] / z * dens(-2.0, softplus(0.4))).ln();
        let got = d.log_prob(&Tensor::from_slice(&[x], &[1, 1], F).unwrap()).unwrap().to_vec().unwrap()[0];
        assert!((got - want).abs() < 1e-10, "logistic={logistic}: {got} vs {want}");
        assert_eq!(layer.params_size(), 6);
    }
    let oh = OneHotCategorical::new(3).unwrap();
    let d = oh.distribution(&Tensor::from_slice(&[1.0, 2.0, 3.0], &[1, 3], F).unwrap()).unwrap();
    let want = 2.0 - (1f64.exp() + 2f64.exp() + 3f64.exp()).ln();
    assert!((d.log_prob(&Tensor::from_slice(&[0.0, 1.0, 0.0], &[1, 3], F).unwrap()).unwrap().to_vec().unwrap()[0] - want).abs() < 1e-12);
}

#[test]
fn the_monte_carlo_kl_averages_to_the_exact_kl() {
    let prior = Independent::new(Normal::new(Tensor::zeros(&[3], F).unwrap(), 1.0).unwrap(), 1).unwrap();
    let q = Independent::new(Normal::new(Tensor::from_slice(&[0.5, -1.0, 0.2], &[1, 3], F).unwrap(), Tensor::from_slice(&[0.7, 1.3, 0.9], &[1, 3], F).unwrap()).unwrap(), 1).unwrap();
    let exact = KLDivergenceRegularizer::new(prior.clone()).with_exact_kl(true).call(&q, None).unwrap().to_scalar().unwrap();
    let mc = KLDivergenceRegularizer::new(prior);
    let n = 4000;
    let draws: Vec<f64> = (0..n).map(|s| mc.call(&q, Some(&q.sample(&[], Seed::new(s)).unwrap())).unwrap().to_scalar().unwrap()).collect();
    let m = draws.iter().sum::<f64>() / n as f64;
    let sd = (draws.iter().map(|d| (d - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    assert!((m - exact).abs() < 5.0 * sd / (n as f64).sqrt(), "{m} vs {exact} (sd {sd})");
}

#[test]
fn dense_variational_is_its_draw_and_its_gradients_are_finite_differences() {
    let x = Tensor::from_slice(&[0.5, -1.0, 2.0, 1.5, 0.0, -0.3], &[2, 3], F).unwrap();
    let layer = DenseVariational::new(2, posterior_mean_field, prior_trainable).unwrap().with_dtype(F);
    let y = layer.call(&x, Seed::new(4)).unwrap().to_vec().unwrap();
    // The draw is the posterior's sample with the same seed (the layer's only randomness).
    let [q, _] = layer.posterior_and_prior().unwrap();
    let w = q.sample(&[], Seed::new(4)).unwrap().to_vec().unwrap();
    let xv = x.to_vec().unwrap();
    for r in 0..2 {
        for u in 0..2 {
            let want: f64 = (0..3).map(|i| xv[r * 3 + i] * w[i * 2 + u]).sum::<f64>() + w[6 + u];
            assert!((y[r * 2 + u] - want).abs() < 1e-12);
        }
    }
    for exact in [false, true] {
        let layer = DenseVariational::new(2, posterior_mean_field, prior_trainable).unwrap().with_dtype(F).with_kl_use_exact(exact).with_kl_weight(0.5);
        layer.call(&x, Seed::new(0)).unwrap();
        // Off zero, so every gradient is informative.
        for v in layer.trainable_variables() {
            let n = v.shape().iter().product::<usize>();
            v.assign(&Tensor::from_slice(&(0..n).map(|i| ((i * 5 % 7) as f64 - 3.0) / 10.0).collect::<Vec<_>>(), v.shape(), F).unwrap()).unwrap();
        }
        let loss = || -> probrs::Result<Tensor> { layer.call(&x, Seed::new(9))?.sum_all()?.add(&layer.losses()?[0]) };
        common::check_variable_grads(&format!("dense_variational exact={exact}"), loss, &layer.trainable_variables(), 1e-6, 1e-6);
    }
    let v = VariableLayer::new(&[2], F).unwrap();
    assert_eq!(v.call(&x, Seed::new(0)).unwrap().to_vec().unwrap(), vec![0.0, 0.0]);
}

#[test]
fn the_pages_vae_learns_the_digits() {
    use probrs::demo::{vae_digits, VaeOptions};
    let o = VaeOptions { epochs: 15, iw_samples: 100, ..Default::default() };
    let (vae, r) = vae_digits(&o).unwrap();
    // An untrained model scores about −44 nats (64 pixels near p = ½); 15 epochs reach ≈ −20.
    assert!(r.train_loss[0] > r.train_loss[14] + 3.0, "{:?}", r.train_loss);
    assert!(r.test_elbo > -22.0 && r.test_elbo < -15.0, "test ELBO {}", r.test_elbo);
    assert!(-r.test_iw_nll > r.test_elbo && r.test_iw_nll > 12.0, "IW NLL {} vs ELBO {}", r.test_iw_nll, r.test_elbo);
    let test = r.test_images.unwrap();
    let recon = vae.reconstruct(&test.narrow(0, 0, 50).unwrap()).unwrap().to_vec().unwrap();
    let truth = test.narrow(0, 0, 50).unwrap().to_vec().unwrap();
    // Reconstructions get most pixels right.
    let right = recon.iter().zip(&truth).filter(|(p, t)| (**p > 0.5) == (**t > 0.5)).count();
    assert!(right as f64 / truth.len() as f64 > 0.85, "{right} of {}", truth.len());
}
