//! A masked autoregressive flow as a learnable density: `TransformedDistribution(N(0, I),
//! MAF)` fitted by maximum likelihood with `minimize` to a banana-shaped sample beats the best
//! Gaussian (the closed-form MLE with full covariance) by a clear margin and comes within 0.2
//! nats of the sample's true entropy. Fixed seeds (the run is deterministic); measured: flow
//! 1.583 nats per point, best Gaussian 2.494, true entropy 1.634.

use probrs::bijectors::{AutoregressiveNetwork, MaskedAutoregressiveFlow};
use probrs::distributions::{Distribution, MultivariateNormalDiag, TransformedDistribution};
use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
use probrs::random::{self, Seed};
use probrs::tensor::{DType, Tensor};

#[test]
fn maf_fits_a_banana_better_than_any_gaussian() {
    let n = 600;
    // x2 = x1² / 2 + noise: strongly non-Gaussian.
    let e = random::normal(&[n, 2], DType::F64, Seed::new(11)).unwrap().to_vec().unwrap();
    let data: Vec<f64> = e.chunks(2).flat_map(|z| [z[0], 0.5 * z[0] * z[0] + 0.3 * z[1] - 0.5]).collect();
    let x = Tensor::from_slice(&data, &[n, 2], DType::F64).unwrap();
    // The Gaussian MLE's mean negative log-likelihood: ½ log det(2πe Σ̂).
    let (m0, m1) = (data.iter().step_by(2).sum::<f64>() / n as f64, data.iter().skip(1).step_by(2).sum::<f64>() / n as f64);
    let (mut s00, mut s01, mut s11) = (0.0, 0.0, 0.0);
    for p in data.chunks(2) {
        let (a, b) = (p[0] - m0, p[1] - m1);
        s00 += a * a / n as f64;
        s01 += a * b / n as f64;
        s11 += b * b / n as f64;
    }
    let gaussian_nll = 0.5 * ((2.0 * std::f64::consts::PI * std::f64::consts::E).powi(2) * (s00 * s11 - s01 * s01)).ln();
    let made = AutoregressiveNetwork::new(2, 2, &[32, 32], DType::F64, Seed::new(3)).unwrap().with_activation(Tensor::relu);
    let flow = TransformedDistribution::new(
        MultivariateNormalDiag::new(Tensor::zeros(&[2], DType::F64).unwrap(), Tensor::ones(&[2], DType::F64).unwrap()).unwrap(),
        MaskedAutoregressiveFlow::new(made).unwrap(),
    )
    .unwrap();
    let loss = || flow.log_prob(&x)?.mean_all()?.neg();
    let r = minimize(loss, 600, &mut Adam::new(0.01), MinimizeOptions::default(), trace_loss).unwrap();
    let flow_nll = *r.trace.last().unwrap();
    assert!(r.trace.iter().all(|l| l.is_finite()));
    eprintln!("flow {flow_nll:.4} vs best Gaussian {gaussian_nll:.4}");
    assert!(flow_nll < gaussian_nll - 0.5, "flow {flow_nll:.4} vs best Gaussian {gaussian_nll:.4}");
    // The sample's true entropy is that of N(0, 1) plus that of N(·, 0.3²): 1.634 nats.
    let entropy = (2.0 * std::f64::consts::PI * std::f64::consts::E).ln() + 0.3f64.ln();
    assert!((flow_nll - entropy).abs() < 0.2, "flow {flow_nll:.4} vs entropy {entropy:.4}");
}

/// The demo's MAF on two moons (`probrs demo flow`): five MAF layers fitted by minibatch
/// maximum likelihood. Measured at the defaults: held-out 1.291 nats per point against the best
/// Gaussian's 1.902; deterministic (fixed seeds), so the 0.4-nat margin only fails if the flow
/// stops learning.
#[test]
fn maf_on_two_moons_beats_the_best_gaussian() {
    let r = probrs::demo::maf_two_moons(&probrs::demo::FlowOptions::default()).unwrap();
    assert!(r.losses.iter().all(|l| l.is_finite()));
    assert!(r.test_nll < r.gaussian_test_nll - 0.4, "flow {} vs Gaussian {}", r.test_nll, r.gaussian_test_nll);
}
