//! A masked autoregressive flow as a learnable density: `TransformedDistribution(N(0, I),
//! MAF)` fitted by maximum likelihood with `minimize` to a banana-shaped sample beats the best
//! Gaussian (the closed-form MLE with full covariance) by a clear margin and comes within 0.2
//! nats of the sample's true entropy. Fixed seeds (the run is deterministic); measured: flow
//! 1.583 nats per point, best Gaussian 2.494, true entropy 1.634.

use probrs::bijectors::{AutoregressiveNetwork, AutoregressiveSplineParams, BatchNormalization, Bijector, Chain, ConditionalInputLayers, Masked, MaskedAutoregressiveFlow, RealNVP, RealNVPDefaultTemplate, SplineParams};
use std::sync::Arc;
use probrs::distributions::{Distribution, MultivariateNormalDiag, TransformedDistribution};
use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
use probrs::random::{self, Seed};
use probrs::tensor::{DType, Tensor};

/// The banana sample (x2 = x1² / 2 + noise, strongly non-Gaussian), scaled by `c`; its true
/// entropy is that of N(0, 1) plus that of N(·, 0.3²) plus 2 log c.
fn banana(c: f64) -> (Vec<f64>, f64) {
    let e = random::normal(&[600, 2], DType::F64, Seed::new(11)).unwrap().to_vec().unwrap();
    let data = e.chunks(2).flat_map(|z| [c * z[0], c * (0.5 * z[0] * z[0] + 0.3 * z[1] - 0.5)]).collect();
    (data, (2.0 * std::f64::consts::PI * std::f64::consts::E).ln() + 0.3f64.ln() + 2.0 * c.ln())
}

/// The mean negative log-likelihood of `bijector`'s flow fitted to `data` (600 Adam steps).
fn fit_flow(bijector: Arc<dyn Bijector>, data: &[f64], lr: f64) -> Vec<f64> {
    let x = Tensor::from_slice(data, &[data.len() / 2, 2], DType::F64).unwrap();
    let base = MultivariateNormalDiag::new(Tensor::zeros(&[2], DType::F64).unwrap(), Tensor::ones(&[2], DType::F64).unwrap()).unwrap();
    let flow = TransformedDistribution::new(base, Chain::new(vec![bijector])).unwrap();
    let loss = || flow.log_prob(&x)?.mean_all()?.neg();
    minimize(loss, 600, &mut Adam::new(lr), MinimizeOptions::default(), trace_loss).unwrap().trace
}

/// A RealNVP affine coupling (x1 conditions x2: the banana's own structure) reaches the true
/// entropy; a two-layer neural spline coupling (16-bin splines on [−3, 3], TFP's `SplineParams`)
/// fits the banana halved far better than any Gaussian. Training-sample NLLs, deterministic;
/// measured: affine 1.581 nats against the entropy 1.634; coupling splines 0.185 and one
/// autoregressive spline flow (a MADE-conditioned 16-bin spline per coordinate) 0.163, against
/// the best Gaussian's 1.108 and the entropy 0.248 (flows this flexible fit 600 points a little
/// below their entropy).
#[test]
fn couplings_fit_the_banana() {
    let (data, entropy) = banana(1.0);
    let net = RealNVPDefaultTemplate::new(&[32, 32], 1, 1, false, DType::F64, Seed::new(3)).unwrap();
    let trace = fit_flow(Arc::new(RealNVP::new(Masked::Num(1), Arc::new(net)).unwrap()), &data, 0.01);
    let nll = *trace.last().unwrap();
    eprintln!("affine coupling {nll:.4} vs entropy {entropy:.4}");
    assert!(trace.iter().all(|l| l.is_finite()) && (nll - entropy).abs() < 0.1, "affine coupling {nll:.4} vs entropy {entropy:.4}");

    let (data, entropy) = banana(0.5);
    let gaussian = gaussian_nll(&data);
    let spline = |masked: isize, seed: u64| -> Arc<dyn Bijector> { Arc::new(RealNVP::from_bijector_fn(Masked::Num(masked), Arc::new(SplineParams::new(1, 1, 16, DType::F64, Seed::new(seed)).unwrap().with_bound(3.0).unwrap())).unwrap()) };
    let trace = fit_flow(Arc::new(Chain::new(vec![spline(1, 4), spline(-1, 5)])), &data, 0.01);
    let nll = *trace.last().unwrap();
    eprintln!("spline coupling {nll:.4} vs best Gaussian {gaussian:.4}, entropy {entropy:.4}");
    assert!(trace.iter().all(|l| l.is_finite()) && nll < gaussian - 0.5 && (nll - entropy).abs() < 0.15, "spline coupling {nll:.4} vs best Gaussian {gaussian:.4}, entropy {entropy:.4}");

    // The autoregressive neural spline flow: one MAF whose maps are MADE-conditioned splines.
    let params = AutoregressiveSplineParams::new(2, 16, &[32], DType::F64, Seed::new(6)).unwrap().with_bound(3.0).unwrap();
    let trace = fit_flow(Arc::new(MaskedAutoregressiveFlow::from_bijector_fn(2, Arc::new(params)).unwrap()), &data, 0.01);
    let nll = *trace.last().unwrap();
    eprintln!("autoregressive spline {nll:.4} vs best Gaussian {gaussian:.4}, entropy {entropy:.4}");
    assert!(trace.iter().all(|l| l.is_finite()) && nll < gaussian - 0.5 && (nll - entropy).abs() < 0.15, "autoregressive spline {nll:.4} vs best Gaussian {gaussian:.4}, entropy {entropy:.4}");
}

/// The Gaussian MLE's mean negative log-likelihood on 2-D points: ½ log det(2πe Σ̂).
fn gaussian_nll(data: &[f64]) -> f64 {
    let n = (data.len() / 2) as f64;
    let (m0, m1) = (data.iter().step_by(2).sum::<f64>() / n, data.iter().skip(1).step_by(2).sum::<f64>() / n);
    let (mut s00, mut s01, mut s11) = (0.0, 0.0, 0.0);
    for p in data.chunks(2) {
        let (a, b) = (p[0] - m0, p[1] - m1);
        s00 += a * a / n;
        s01 += a * b / n;
        s11 += b * b / n;
    }
    0.5 * ((2.0 * std::f64::consts::PI * std::f64::consts::E).powi(2) * (s00 * s11 - s01 * s01)).ln()
}

#[test]
fn maf_fits_a_banana_better_than_any_gaussian() {
    let (data, entropy) = banana(1.0);
    let gaussian_nll = gaussian_nll(&data);
    let made = AutoregressiveNetwork::new(2, 2, &[32, 32], DType::F64, Seed::new(3)).unwrap().with_activation(Tensor::relu);
    let trace = fit_flow(Arc::new(MaskedAutoregressiveFlow::new(made).unwrap()), &data, 0.01);
    let flow_nll = *trace.last().unwrap();
    assert!(trace.iter().all(|l| l.is_finite()));
    eprintln!("flow {flow_nll:.4} vs best Gaussian {gaussian_nll:.4}");
    assert!(flow_nll < gaussian_nll - 0.5, "flow {flow_nll:.4} vs best Gaussian {gaussian_nll:.4}");
    // The sample's true entropy is that of N(0, 1) plus that of N(·, 0.3²): 1.634 nats.
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

/// `BatchNormalization` between two MAFs, as Papamakarios et al. stack them: trained in training
/// mode (batch statistics, moving averages updated every step), then evaluated in inference
/// mode (the moving statistics, momentum 0.9) on the same points; the two NLLs agree within
/// 0.05 nats and beat the best Gaussian. Deterministic; measured: training 1.569, inference 1.591,
/// Gaussian 2.494 (with Keras's momentum 0.99 the moving statistics lag the changing network:
/// inference 1.660).
#[test]
fn batch_normalization_between_mafs_trains_and_evaluates() {
    let (data, _) = banana(1.0);
    let x = Tensor::from_slice(&data, &[data.len() / 2, 2], DType::F64).unwrap();
    let made = |seed: u64| AutoregressiveNetwork::new(2, 2, &[32, 32], DType::F64, Seed::new(seed)).unwrap().with_activation(Tensor::relu);
    // Momentum 0.9: the moving statistics track the changing network within ~10 steps.
    let bn = BatchNormalization::new(2, DType::F64).unwrap().with_momentum_and_epsilon(0.9, 1e-3).unwrap();
    let chain = |bn: BatchNormalization, a: &MaskedAutoregressiveFlow, b: &MaskedAutoregressiveFlow| Chain::new(vec![Arc::new(a.clone()), Arc::new(bn), Arc::new(b.clone())]);
    let (a, b) = (MaskedAutoregressiveFlow::new(made(21)).unwrap(), MaskedAutoregressiveFlow::new(made(22)).unwrap());
    let base = || MultivariateNormalDiag::new(Tensor::zeros(&[2], DType::F64).unwrap(), Tensor::ones(&[2], DType::F64).unwrap()).unwrap();
    let training = TransformedDistribution::new(base(), chain(bn.clone(), &a, &b)).unwrap();
    let loss = || training.log_prob(&x)?.mean_all()?.neg();
    let trace = minimize(loss, 600, &mut Adam::new(0.01), MinimizeOptions::default(), trace_loss).unwrap().trace;
    let inference = TransformedDistribution::new(base(), chain(bn.with_training(false), &a, &b)).unwrap();
    let nll = inference.log_prob(&x).unwrap().mean_all().unwrap().neg().unwrap().to_scalar().unwrap();
    let (train_nll, gaussian) = (*trace.last().unwrap(), gaussian_nll(&data));
    eprintln!("MAF-BN-MAF: training {train_nll:.4}, inference {nll:.4}, best Gaussian {gaussian:.4}");
    assert!(trace.iter().all(|l| l.is_finite()) && (nll - train_nll).abs() < 0.05 && nll < gaussian - 0.5, "training {train_nll:.4}, inference {nll:.4}, Gaussian {gaussian:.4}");
}

/// A conditional flow: `p(y | c)` for `c ~ U(−2, 2)`, `y | c ~ N((c, sin 2c), 0.2² I)`, as one
/// MAF whose MADE reads `c` (`with_conditional`, TFP's `conditional=True`) at every layer,
/// fitted by maximum likelihood on 800 pairs. It reaches the true conditional entropy (−0.381
/// nats) within 0.25, where the same flow without the context can only model the marginal of
/// `y`. Training-sample NLLs, deterministic; measured: conditional −0.528 (a little below the
/// entropy: 800 points), without the context 1.786.
#[test]
fn a_conditional_maf_learns_a_conditional_density() {
    let (c, y, entropy) = conditional_data();
    let fit = |conditional: bool| -> f64 {
        let mut made = AutoregressiveNetwork::new(2, 2, &[32, 32], DType::F64, Seed::new(33)).unwrap().with_activation(Tensor::relu);
        if conditional {
            made = made.with_conditional(1, ConditionalInputLayers::AllLayers, Seed::new(34)).unwrap();
        }
        let maf = MaskedAutoregressiveFlow::new(made).unwrap();
        fit_conditional(if conditional { maf.with_conditional_input(c.clone()).unwrap() } else { maf }, &y)
    };
    let (with, without) = (fit(true), fit(false));
    eprintln!("conditional MAF {with:.4}, without the context {without:.4}, conditional entropy {entropy:.4}");
    assert!((with - entropy).abs() < 0.25 && with < without - 1.0, "conditional {with:.4} vs unconditional {without:.4}, entropy {entropy:.4}");
}

/// `c ~ U(−2, 2)`, `y | c ~ N((c, sin 2c), 0.2² I)`: 800 pairs `(c [n, 1], y [n, 2])` and the
/// true conditional entropy.
fn conditional_data() -> (Tensor, Tensor, f64) {
    let n = 800;
    let u = random::uniform(&[n], DType::F64, Seed::new(31)).unwrap().to_vec().unwrap();
    let e = random::normal(&[n, 2], DType::F64, Seed::new(32)).unwrap().to_vec().unwrap();
    let c: Vec<f64> = u.iter().map(|u| 4.0 * u - 2.0).collect();
    let y: Vec<f64> = c.iter().enumerate().flat_map(|(i, c)| [c + 0.2 * e[2 * i], (2.0 * c).sin() + 0.2 * e[2 * i + 1]]).collect();
    let entropy = 2.0 * (0.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E).ln() + 0.2f64.ln());
    (Tensor::from_slice(&c, &[n, 1], DType::F64).unwrap(), Tensor::from_slice(&y, &[n, 2], DType::F64).unwrap(), entropy)
}

/// The training NLL of `TransformedDistribution(N(0, I), bijector)` on `y` after 800 Adam steps.
fn fit_conditional(bijector: impl Bijector + 'static, y: &Tensor) -> f64 {
    let base = MultivariateNormalDiag::new(Tensor::zeros(&[2], DType::F64).unwrap(), Tensor::ones(&[2], DType::F64).unwrap()).unwrap();
    let flow = TransformedDistribution::new(base, bijector).unwrap();
    let loss = || flow.log_prob(y)?.mean_all()?.neg();
    let trace = minimize(loss, 800, &mut Adam::new(0.01), MinimizeOptions::default(), trace_loss).unwrap().trace;
    assert!(trace.iter().all(|l| l.is_finite()));
    *trace.last().unwrap()
}

/// Conditional couplings on the same `p(y | c)`: two RealNVP couplings (each coordinate
/// conditions the other) whose networks also read `c` (`RealNVPDefaultTemplate::with_conditional`,
/// `RealNVP::with_conditional_input`), and the same with neural-spline couplings
/// (`SplineParams::with_conditional`, 16 bins on [−3, 3]). Both come within 0.3 nats of the
/// conditional entropy −0.381 (training NLLs: flexible flows fit 800 points a little below it);
/// without the context the affine pair stays above 1.5. Deterministic; measured: affine
/// −0.638, spline −0.514, affine without context 1.667.
#[test]
fn conditional_couplings_learn_a_conditional_density() {
    let (c, y, entropy) = conditional_data();
    let affine = |masked: isize, seed: u64, conditional: bool| -> RealNVP {
        let mut net = RealNVPDefaultTemplate::new(&[32, 32], 1, 1, false, DType::F64, Seed::new(seed)).unwrap();
        if conditional {
            net = net.with_conditional(1, Seed::new(seed + 100)).unwrap();
        }
        let nvp = RealNVP::new(Masked::Num(masked), Arc::new(net)).unwrap();
        if conditional { nvp.with_conditional_input(c.clone()).unwrap() } else { nvp }
    };
    let pair = |conditional: bool| Chain::new(vec![Arc::new(affine(1, 41, conditional)), Arc::new(affine(-1, 42, conditional))]);
    let (with, without) = (fit_conditional(pair(true), &y), fit_conditional(pair(false), &y));
    let spline = |masked: isize, seed: u64| -> Arc<dyn Bijector> {
        let p = SplineParams::new(1, 1, 16, DType::F64, Seed::new(seed)).unwrap().with_bound(3.0).unwrap().with_conditional(1, Seed::new(seed + 100)).unwrap();
        Arc::new(RealNVP::from_bijector_fn(Masked::Num(masked), Arc::new(p)).unwrap().with_conditional_input(c.clone()).unwrap())
    };
    let splines = fit_conditional(Chain::new(vec![spline(1, 43), spline(-1, 44)]), &y);
    eprintln!("conditional RealNVP {with:.4}, splines {splines:.4}, without the context {without:.4}, conditional entropy {entropy:.4}");
    assert!((with - entropy).abs() < 0.3 && (splines - entropy).abs() < 0.3 && without > 1.5, "affine {with:.4}, splines {splines:.4}, without {without:.4}, entropy {entropy:.4}");
}
