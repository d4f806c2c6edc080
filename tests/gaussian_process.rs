//! PSD kernels (values against their formulas at scalar points, symmetry and positive
//! semidefiniteness, gradients against finite differences), GaussianProcess (against the
//! equivalent full-covariance MVN, sampling moments), GaussianProcessRegressionModel (against
//! the posterior formulas in plain f64), and the Cholesky failure path.

mod common;
use common::*;
use probrs::distributions::{Distribution, GaussianProcess, GaussianProcessRegressionModel, MultivariateNormalFullCovariance};
use probrs::params::Param;
use probrs::psd_kernels::*;
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use std::sync::Arc;

fn p(v: f64) -> Option<Param> {
    Some(Param::Tensor(Tensor::scalar(v, DType::F64).unwrap()))
}

/// (kernel, k(x, y) for scalar points).
#[allow(clippy::type_complexity)]
fn kernels() -> Vec<(Arc<dyn PositiveSemidefiniteKernel>, Box<dyn Fn(f64, f64) -> f64>)> {
    let (a, l) = (1.7f64, 0.8f64);
    vec![
        (Arc::new(ExponentiatedQuadratic::new(p(a), p(l))), Box::new(move |x, y| a * a * (-(x - y) * (x - y) / (2.0 * l * l)).exp())),
        (Arc::new(MaternOneHalf::new(p(a), p(l))), Box::new(move |x, y| a * a * (-(x - y).abs() / l).exp())),
        (Arc::new(MaternThreeHalves::new(p(a), p(l))), Box::new(move |x, y| {
            let z = 3f64.sqrt() * (x - y).abs() / l;
            a * a * (1.0 + z) * (-z).exp()
        })),
        (Arc::new(MaternFiveHalves::new(p(a), p(l))), Box::new(move |x, y| {
            let r = (x - y).abs() / l;
            let z = 5f64.sqrt() * r;
            a * a * (1.0 + z + 5.0 * r * r / 3.0) * (-z).exp()
        })),
        (Arc::new(RationalQuadratic::new(p(a), p(l), p(2.5))), Box::new(move |x, y| a * a * (1.0 + (x - y).powi(2) / (2.0 * 2.5 * l * l)).powf(-2.5))),
        (Arc::new(ExpSinSquared::new(p(a), p(l), p(3.0))), Box::new(move |x, y| a * a * (-2.0 * (std::f64::consts::PI * (x - y) / 3.0).sin().powi(2) / (l * l)).exp())),
        (Arc::new(Linear::new(p(0.5), p(1.3), p(0.2))), Box::new(|x, y| 0.25 + 1.69 * (x - 0.2) * (y - 0.2))),
        (Arc::new(Polynomial::new(p(0.5), p(1.3), p(0.2), p(2.0))), Box::new(|x, y| 0.25 + (1.69 * (x - 0.2) * (y - 0.2)).powi(2))),
        (Arc::new(Constant::new(Tensor::scalar(0.7, DType::F64).unwrap())), Box::new(|_, _| 0.7)),
        (Arc::new(FeatureScaled::new(ExponentiatedQuadratic::new(None, None), Tensor::vector(&[2.0], DType::F64).unwrap())), Box::new(|x, y| (-(x - y).powi(2) / 8.0).exp())),
        (
            Arc::new(SumKernel::new(vec![Arc::new(MaternOneHalf::new(None, None)), Arc::new(Constant::new(Tensor::scalar(0.5, DType::F64).unwrap()))]).unwrap()),
            Box::new(|x, y| (-(x - y).abs()).exp() + 0.5),
        ),
        (
            Arc::new(ProductKernel::new(vec![Arc::new(ExponentiatedQuadratic::new(None, None)), Arc::new(ExpSinSquared::new(None, None, p(2.0)))]).unwrap()),
            Box::new(|x, y| (-(x - y).powi(2) / 2.0).exp() * (-2.0 * (std::f64::consts::PI * (x - y) / 2.0).sin().powi(2)).exp()),
        ),
    ]
}

#[test]
fn kernels_match_their_formulas_and_are_psd() {
    let xs = [-1.3, -0.2, 0.0, 0.45, 2.0];
    let x = t64(&xs, &[5, 1]);
    for (k, f) in kernels() {
        let m = k.matrix(&x, &x).unwrap();
        assert_eq!(m.shape(), &[5, 5]);
        let v = m.to_vec().unwrap();
        for i in 0..5 {
            for j in 0..5 {
                let e = f(xs[i], xs[j]);
                assert!((v[i * 5 + j] - e).abs() < 1e-12 * (1.0 + e.abs()), "{} [{i},{j}]: {} vs {e}", k.name(), v[i * 5 + j]);
            }
        }
        // PSD: the Cholesky of K + 1e-9 I exists (Linear/Polynomial/Constant are low rank).
        let jittered = m.add(&Tensor::eye(5, &[], DType::F64).unwrap().mul_scalar(1e-9).unwrap()).unwrap();
        assert!(jittered.cholesky().is_ok(), "{} not PSD", k.name());
        // apply = diagonal of matrix.
        let d = k.apply(&x, &x).unwrap().to_vec().unwrap();
        for i in 0..5 {
            assert!((d[i] - v[i * 6]).abs() < 1e-12, "{} apply", k.name());
        }
    }
}

#[test]
fn kernel_parameter_gradients_match_finite_differences() {
    let x = t64(&[-1.0, 0.0, 0.3, 1.5], &[4, 1]);
    let y = t64(&[-0.5, 0.7, 2.0], &[3, 1]);
    type Build = fn(&Tensor) -> Box<dyn PositiveSemidefiniteKernel>;
    let builds: Vec<(&str, Build)> = vec![
        ("eq", |t| Box::new(ExponentiatedQuadratic::new(Some(Param::Tensor(t.narrow(0, 0, 1).unwrap().squeeze(0).unwrap())), Some(Param::Tensor(t.narrow(0, 1, 1).unwrap().squeeze(0).unwrap()))))),
        ("m12", |t| Box::new(MaternOneHalf::new(Some(Param::Tensor(t.narrow(0, 0, 1).unwrap().squeeze(0).unwrap())), Some(Param::Tensor(t.narrow(0, 1, 1).unwrap().squeeze(0).unwrap()))))),
        ("m52", |t| Box::new(MaternFiveHalves::new(Some(Param::Tensor(t.narrow(0, 0, 1).unwrap().squeeze(0).unwrap())), Some(Param::Tensor(t.narrow(0, 1, 1).unwrap().squeeze(0).unwrap()))))),
        ("rq", |t| Box::new(RationalQuadratic::new(None, Some(Param::Tensor(t.narrow(0, 0, 1).unwrap().squeeze(0).unwrap())), Some(Param::Tensor(t.narrow(0, 1, 1).unwrap().squeeze(0).unwrap()))))),
        ("ess", |t| Box::new(ExpSinSquared::new(None, Some(Param::Tensor(t.narrow(0, 0, 1).unwrap().squeeze(0).unwrap())), Some(Param::Tensor(t.narrow(0, 1, 1).unwrap().squeeze(0).unwrap()))))),
    ];
    for (name, b) in builds {
        let (xc, yc) = (x.clone(), y.clone());
        check_grad(name, move |t| b(t).matrix(&xc, &yc), &[1.3, 0.9], &[2], 1e-6, 1e-6);
    }
    // Matérn at zero distance: finite gradients w.r.t. the points.
    let k = MaternThreeHalves::new(None, None);
    let v = probrs::params::Variable::new(&t64(&[0.0, 0.0, 1.0], &[3, 1]), "x").unwrap();
    let g = k.matrix(&v.value(), &v.value()).unwrap().sum_all().unwrap().grad(&[&v.value()]).unwrap()[0].clone().unwrap();
    assert!(g.all_finite().unwrap());
}

#[test]
fn gaussian_process_is_the_equivalent_mvn() {
    let x = t64(&[-2.0, -0.5, 0.0, 1.0, 3.0], &[5, 1]);
    let k = ExponentiatedQuadratic::new(p(1.4), p(1.1));
    let gp = GaussianProcess::new(k.clone(), &x).unwrap().with_observation_noise_variance(Tensor::scalar(0.1, DType::F64).unwrap()).with_mean_fn(|x| x.sum_last(1)?.mul_scalar(0.5));
    let cov = k.matrix(&x, &x).unwrap().add(&Tensor::eye(5, &[], DType::F64).unwrap().mul_scalar(0.1 + 1e-6).unwrap()).unwrap();
    let mean = t64(&[-1.0, -0.25, 0.0, 0.5, 1.5], &[5]);
    let mvn = MultivariateNormalFullCovariance::new(mean.clone(), cov).unwrap();
    let f = gp.sample(&[6], Seed::new(1)).unwrap();
    assert_eq!(f.shape(), &[6, 5]);
    assert_close(&gp.log_prob(&f).unwrap().to_vec().unwrap(), &mvn.log_prob(&f).unwrap().to_vec().unwrap(), 1e-10, 1e-10, "gp log_prob");
    assert_close(&gp.mean().unwrap().to_vec().unwrap(), &mean.to_vec().unwrap(), 1e-12, 1e-12, "gp mean");
    assert_eq!(gp.event_shape(), vec![5]);
    // Sample means within 6 sigma of the mean function (20000 draws).
    let n = 20000;
    let s = gp.sample(&[n], Seed::new(2)).unwrap().to_vec().unwrap();
    let var = gp.variance().unwrap().to_vec().unwrap();
    for j in 0..5 {
        let m = s.iter().skip(j).step_by(5).sum::<f64>() / n as f64;
        let e = mean.to_vec().unwrap()[j];
        assert!((m - e).abs() < 6.0 * (var[j] / n as f64).sqrt(), "point {j}: {m} vs {e}");
    }
}

#[test]
fn regression_model_matches_the_posterior_formulas() {
    // One observation at 0 with value y, noise s2; predictive at points t: mean k(t,0) y/(k00+s2+j),
    // var k(t,t) − k(t,0)²/(k00+s2+j) + s2 (j = jitter 1e-6).
    let (a, l, y, s2) = (1.2f64, 0.7f64, 0.9f64, 0.05f64);
    let k = |u: f64, v: f64| a * a * (-(u - v).powi(2) / (2.0 * l * l)).exp();
    let ts = [-1.0, 0.0, 0.4, 2.0];
    let gprm = GaussianProcessRegressionModel::new(ExponentiatedQuadratic::new(p(a), p(l)), &t64(&ts, &[4, 1]), &t64(&[0.0], &[1, 1]), &t64(&[y], &[1]), Tensor::scalar(s2, DType::F64).unwrap()).unwrap();
    let m = gprm.mean().unwrap().to_vec().unwrap();
    let c = gprm.covariance().unwrap().to_vec().unwrap();
    for (i, t) in ts.iter().enumerate() {
        let denom = k(0.0, 0.0) + s2 + 1e-6; // TFP's default jitter is on the observations' matrix too
        assert!((m[i] - k(*t, 0.0) * y / denom).abs() < 1e-10, "mean at {t}");
        let v = k(*t, *t) - k(*t, 0.0).powi(2) / denom + s2;
        assert!((c[i * 4 + i] - v).abs() < 1e-10, "variance at {t}");
    }
    let draws = gprm.sample(&[3], Seed::new(5)).unwrap();
    assert!(gprm.log_prob(&draws).unwrap().all_finite().unwrap());
}

#[test]
fn non_psd_kernel_matrix_is_a_typed_error() {
    // A "kernel" with negative amplitude² on the diagonal: Linear with zero slope and a
    // negative constant through Constant — not PSD, so Cholesky fails at every jitter.
    let k = Constant::new(Tensor::scalar(-1.0, DType::F64).unwrap());
    let gp = GaussianProcess::new(k, &t64(&[0.0, 1.0, 2.0], &[3, 1])).unwrap();
    let e = gp.log_prob(&t64(&[0.0, 0.0, 0.0], &[3])).unwrap_err().to_string();
    assert!(e.contains("3x3") && e.contains("jitter"), "{e}");
    // Index points without a feature dimension.
    assert!(GaussianProcess::new(ExponentiatedQuadratic::new(None, None), &t64(&[0.0, 1.0], &[2])).is_err());
}
