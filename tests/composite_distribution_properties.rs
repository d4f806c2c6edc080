//! Property tests for the distributions `tests/distribution_properties.rs` cannot build from
//! `parameter_properties` alone: meta-distributions (Independent, Sample, BatchReshape, Masked,
//! MixtureSameFamily, TransformedDistribution), the other multivariate normals, families whose
//! parameters constrain each other (Uniform, TruncatedNormal), the remaining discrete families
//! and the degenerate ones. Each is built from raw unconstrained values held in one variable,
//! then checked exactly as the registry families are: sample shape, same seed same draws,
//! finite `log_prob` on samples, `sample_and_log_prob` = `log_prob`, and finite parameter
//! gradients equal to central differences (float64; not for the degenerate families, whose
//! `log_prob` is piecewise constant). Sample moments against `mean()`/`variance()` use 6-sigma
//! bounds (false-failure rate ≈ 2e-9 per check) with a fixed seed.

use probrs::bijectors::{Exp, FillScaleTriL, Bijector, Scale};
use probrs::distributions::*;
use probrs::params::Variable;
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use proptest::prelude::*;

/// Builds a distribution from the raw vector `u` (sliced with `take`).
type Build = fn(&Tensor) -> probrs::Result<Box<dyn Distribution>>;

fn take(u: &Tensor, start: usize, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    u.narrow(0, start, n).unwrap().reshape(shape).unwrap()
}
fn pos(u: &Tensor, start: usize, shape: &[usize]) -> Tensor {
    take(u, start, shape).softplus().unwrap().add_scalar(0.2).unwrap()
}
fn int(u: &Tensor, v: f64) -> Tensor {
    Tensor::scalar(v, u.dtype()).unwrap()
}

/// (name, builder, differentiable log_prob).
fn registry() -> Vec<(&'static str, Build, bool)> {
    vec![
        ("Independent(Normal)", |u| Ok(Box::new(Independent::new(Normal::new(take(u, 0, &[2, 3]), pos(u, 6, &[2, 3]))?, 1)?)), true),
        ("Sample(Gamma)", |u| Ok(Box::new(Sample::new(Gamma::new(pos(u, 0, &[2]), pos(u, 2, &[2]))?, &[3])?)), true),
        ("BatchReshape(Normal)", |u| Ok(Box::new(BatchReshape::new(Normal::new(take(u, 0, &[6]), pos(u, 6, &[6]))?, &[2, 3])?)), true),
        ("Masked(Normal)", |u| Ok(Box::new(Masked::new(Normal::new(take(u, 0, &[3]), pos(u, 3, &[3]))?, &[true, false, true])?)), true),
        (
            "MixtureSameFamily(Normal)",
            |u| Ok(Box::new(MixtureSameFamily::new(Categorical::from_logits(take(u, 0, &[2, 3]))?, Normal::new(take(u, 6, &[2, 3]), pos(u, 12, &[2, 3]))?)?)),
            true,
        ),
        (
            "MixtureSameFamily(MVNDiag)",
            |u| Ok(Box::new(MixtureSameFamily::new(Categorical::from_logits(take(u, 0, &[2]))?, MultivariateNormalDiag::new(take(u, 2, &[2, 2]), pos(u, 6, &[2, 2]))?)?)),
            true,
        ),
        ("TransformedDistribution(Normal, Exp)", |u| Ok(Box::new(TransformedDistribution::new(Normal::new(take(u, 0, &[2]), pos(u, 2, &[2]))?, Exp::new())?)), true),
        ("TransformedDistribution(Beta, Scale)", |u| Ok(Box::new(TransformedDistribution::new(Beta::new(pos(u, 0, &[2]), pos(u, 2, &[2]))?, Scale::new(int(u, 3.0))?)?)), true),
        (
            "MultivariateNormalFullCovariance",
            |u| {
                let l = FillScaleTriL::new().forward(&take(u, 3, &[6]))?;
                Ok(Box::new(MultivariateNormalFullCovariance::new(take(u, 0, &[3]), l.matmul(&l.matrix_transpose()?)?.add(&Tensor::eye(3, &[], u.dtype())?.mul_scalar(0.1)?)?)?))
            },
            true,
        ),
        (
            "MultivariateNormalDiagPlusLowRank",
            |u| Ok(Box::new(MultivariateNormalDiagPlusLowRank::new(take(u, 0, &[3]), pos(u, 3, &[3]), take(u, 6, &[3, 1]), Some(pos(u, 9, &[1]).into()))?)),
            true,
        ),
        ("Uniform", |u| Ok(Box::new(Uniform::new(take(u, 0, &[2]), take(u, 0, &[2]).add(&pos(u, 2, &[2]))?)?)), true),
        (
            "TruncatedNormal",
            |u| Ok(Box::new(TruncatedNormal::new(take(u, 0, &[2]), pos(u, 2, &[2]), take(u, 4, &[2]).add_scalar(-1.0)?, take(u, 4, &[2]).add_scalar(-1.0)?.add(&pos(u, 6, &[2]))?)?)),
            true,
        ),
        ("Binomial", |u| Ok(Box::new(Binomial::from_logits(int(u, 5.0), take(u, 0, &[3]))?)), true),
        ("NegativeBinomial", |u| Ok(Box::new(NegativeBinomial::from_logits(pos(u, 0, &[2]), take(u, 2, &[2]))?)), true),
        ("OneHotCategorical", |u| Ok(Box::new(OneHotCategorical::from_logits(take(u, 0, &[2, 3]))?)), true),
        ("Multinomial", |u| Ok(Box::new(Multinomial::from_logits(int(u, 4.0), take(u, 0, &[2, 3]))?)), true),
        ("Deterministic", |u| Ok(Box::new(Deterministic::new(take(u, 0, &[3]))?)), false),
        ("VectorDeterministic", |u| Ok(Box::new(VectorDeterministic::new(take(u, 0, &[2, 3]))?)), false),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_0001), ..ProptestConfig::default() })]

    #[test]
    fn prop_composite_contracts(which in 0usize..1 << 16, raw in prop::collection::vec(-1.5f64..1.5, 24),
                                seed in any::<u64>(), f32_ in any::<bool>(), n in 1usize..4) {
        let reg = registry();
        let (name, make, differentiable) = reg[which % reg.len()];
        let dtype = if f32_ { DType::F32 } else { DType::F64 };
        let u = Variable::new(&Tensor::from_slice(&raw, &[24], dtype).unwrap(), "u").unwrap();
        let d = make(&u.value()).unwrap();
        let s = d.sample(&[n], Seed::new(seed)).unwrap();
        let mut expect = vec![n];
        expect.extend(d.batch_shape());
        expect.extend(d.event_shape());
        prop_assert_eq!(s.shape(), expect.as_slice(), "{}", name);
        prop_assert_eq!(s.to_vec().unwrap(), d.sample(&[n], Seed::new(seed)).unwrap().to_vec().unwrap());
        let lp = d.log_prob(&s).unwrap();
        prop_assert_eq!(lp.shape(), &expect[..1 + d.batch_shape().len()]);
        prop_assert!(lp.all_finite().unwrap(), "{name}: log_prob not finite on its samples: {lp:?}");
        let (x2, lp2) = d.sample_and_log_prob(&[n], Seed::new(seed)).unwrap();
        prop_assert_eq!(x2.to_vec().unwrap(), s.to_vec().unwrap());
        // TransformedDistribution computes this from the base draws (as TFP), so the two agree
        // to rounding amplified by the density's conditioning at the draw: compared in float64
        // (float32 Beta draws within an ulp of 1 make log(1 − x) ill-conditioned); finite in both.
        prop_assert!(lp2.all_finite().unwrap());
        if !f32_ {
            for (a, b) in lp2.to_vec().unwrap().iter().zip(lp.to_vec().unwrap()) {
                prop_assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "{name}: sample_and_log_prob {a} vs log_prob {b}");
            }
        }
        if !differentiable {
            return Ok(());
        }
        let x = s.detach();
        let g = d.log_prob(&x).unwrap().sum_all().unwrap().grad(&[&u.value()]).unwrap()[0].clone();
        let g = g.map(|g| g.to_vec().unwrap()).unwrap_or_else(|| vec![0.0; 24]);
        prop_assert!(g.iter().all(|v| v.is_finite()), "{name}: gradient not finite");
        if dtype == DType::F64 {
            let h = 1e-6;
            for j in 0..24 {
                let eval = |delta: f64| {
                    let mut r = raw.clone();
                    r[j] += delta;
                    let d2 = make(&Tensor::from_slice(&r, &[24], dtype).unwrap()).unwrap();
                    d2.log_prob(&x).unwrap().sum_all().unwrap().to_scalar().unwrap()
                };
                let fd = (eval(h) - eval(-h)) / (2.0 * h);
                prop_assert!((g[j] - fd).abs() <= 1e-5 * (1.0 + fd.abs()), "{name}: grad[{j}] {} vs fd {}", g[j], fd);
            }
        }
    }
}

/// Sample mean and variance against `mean()`/`variance()` where a family defines them:
/// 20000 draws, 6-sigma bound on the mean, 25% on the variance.
#[test]
fn composite_sample_moments() {
    let n = 20000;
    let raw: Vec<f64> = (0..24).map(|i| -0.4 + 0.1 * ((i * 5) % 9) as f64).collect();
    for (name, make, _) in registry() {
        let d = make(&Tensor::from_slice(&raw, &[24], DType::F64).unwrap()).unwrap();
        let (Ok(mean), Ok(var)) = (d.mean(), d.variance()) else { continue };
        let (mean, var) = (mean.to_vec().unwrap(), var.to_vec().unwrap());
        let s = d.sample(&[n], Seed::new(31)).unwrap().to_vec().unwrap();
        let m = mean.len();
        for j in 0..m {
            let col: Vec<f64> = s.iter().skip(j).step_by(m).cloned().collect();
            let sm = col.iter().sum::<f64>() / n as f64;
            let sv = col.iter().map(|x| (x - sm).powi(2)).sum::<f64>() / (n - 1) as f64;
            let bound = 6.0 * (var[j] / n as f64).sqrt() + 1e-12;
            assert!((sm - mean[j]).abs() <= bound, "{name}[{j}]: sample mean {sm} vs {} (bound {bound})", mean[j]);
            assert!((sv - var[j]).abs() <= 0.25 * var[j] + 1e-12, "{name}[{j}]: sample variance {sv} vs {}", var[j]);
        }
    }
}

/// The mean of a TransformedDistribution is `f(E[X])` for an affine `f` (as TFP), checked against
/// the exact value and 20000 draws (6-sigma bound: false-failure rate below 1e-8; fixed seed);
/// for a non-affine `f` it is not defined.
#[test]
fn transformed_distribution_mean_for_affine_bijectors() {
    use probrs::bijectors::{Chain, IntoArcBijector, Shift};
    let base = Beta::new(Tensor::scalar(2.0, DType::F64).unwrap(), Tensor::scalar(3.0, DType::F64).unwrap()).unwrap();
    let f = Chain::new(vec![Shift::new(1.0).into_arc(), Scale::new(3.0).unwrap().into_arc()]);
    let d = TransformedDistribution::new(base.clone(), f).unwrap();
    let mean = d.mean().unwrap().to_scalar().unwrap();
    assert!((mean - (1.0 + 3.0 * 0.4)).abs() < 1e-12, "{mean}");
    let n = 20000;
    let s = d.sample(&[n], Seed::new(5)).unwrap().to_vec().unwrap();
    let sm = s.iter().sum::<f64>() / n as f64;
    let sd = 3.0 * base.stddev().unwrap().to_scalar().unwrap();
    assert!((sm - mean).abs() <= 6.0 * sd / (n as f64).sqrt(), "sample mean {sm} vs {mean}");
    let lognormal = TransformedDistribution::new(Normal::new(0.0, 1.0).unwrap(), Exp::new()).unwrap();
    assert!(matches!(lognormal.mean(), Err(probrs::Error::NotDefined { .. })));
}
