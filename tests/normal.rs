//! Normal: every method against closed forms, shapes and broadcasting, sampling (shapes,
//! reproducibility, moments), KL, validate_args, bad input, printing; float32 and float64.

mod common;
use common::*;
use probrs::distributions::{kl_divergence, Distribution, Normal, ReparameterizationType};
use probrs::params::{TransformedVariable, Variable};
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use probrs::Error;

fn s64(v: f64) -> Tensor {
    Tensor::scalar(v, DType::F64).unwrap()
}

const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

fn normal64(loc: &[f64], scale: &[f64]) -> Normal {
    Normal::new(t64(loc, &[loc.len()]), t64(scale, &[scale.len()])).unwrap()
}

#[test]
fn log_prob_cdf_quantile_closed_forms() {
    let n = normal64(&[-3.0], &[4.0]);
    let xs = [-5.0, -3.0, 0.0, 8.0];
    let x = t64(&xs, &[4, 1]);
    let lp = n.log_prob(&x).unwrap();
    assert_eq!(lp.shape(), &[4, 1]);
    let expect: Vec<f64> = xs.iter().map(|x| -0.5 * ((x + 3.0) / 4.0f64).powi(2) - 4f64.ln() - LN_SQRT_2PI).collect();
    assert_close(&lp.to_vec().unwrap(), &expect, 1e-14, 1e-14, "log_prob");
    assert_close(&n.prob(&x).unwrap().to_vec().unwrap(), &expect.iter().map(|v| v.exp()).collect::<Vec<_>>(), 1e-14, 0.0, "prob");
    let cdf = n.cdf(&x).unwrap().to_vec().unwrap();
    assert_close(&cdf, &[0.3085375387259869, 0.5, 0.7733726476231318, 0.9970202367649454], 1e-12, 1e-15, "cdf");
    let sf = n.survival_function(&x).unwrap().to_vec().unwrap();
    assert_close(&sf, &cdf.iter().map(|c| 1.0 - c).collect::<Vec<_>>(), 1e-12, 1e-15, "survival");
    assert_close(&n.log_cdf(&x).unwrap().to_vec().unwrap(), &cdf.iter().map(|c| c.ln()).collect::<Vec<_>>(), 1e-12, 0.0, "log_cdf");
    let q = n.quantile(&Tensor::vector(&cdf, DType::F64).unwrap()).unwrap().to_vec().unwrap();
    assert_close(&q, &xs, 1e-9, 1e-9, "quantile(cdf(x))");
    // log_cdf far in the lower tail stays finite and accurate (scipy: log_ndtr(-40) = -804.6084420137538).
    let far = Normal::new(s64(0.0), s64(1.0)).unwrap().log_cdf(&Tensor::scalar(-40.0, DType::F64).unwrap()).unwrap();
    assert!((far.to_scalar().unwrap() - (-804.6084420137538)).abs() < 1e-9);
    let far_sf = Normal::new(s64(0.0), s64(1.0)).unwrap().log_survival_function(&Tensor::scalar(40.0, DType::F64).unwrap()).unwrap();
    assert!((far_sf.to_scalar().unwrap() - (-804.6084420137538)).abs() < 1e-9);
}

#[test]
fn moments_and_entropy_broadcast_to_batch_shape() {
    let n = Normal::new(t64(&[1.0, 2.0, 3.0], &[3]), 2.0).unwrap();
    assert_eq!(n.batch_shape(), vec![3]);
    assert_eq!(n.event_shape(), Vec::<usize>::new());
    assert_eq!(n.mean().unwrap().to_vec().unwrap(), vec![1.0, 2.0, 3.0]);
    assert_eq!(n.mode().unwrap().to_vec().unwrap(), vec![1.0, 2.0, 3.0]);
    assert_eq!(n.stddev().unwrap().to_vec().unwrap(), vec![2.0; 3]);
    assert_eq!(n.variance().unwrap().to_vec().unwrap(), vec![4.0; 3]);
    assert_close(&n.entropy().unwrap().to_vec().unwrap(), &[0.5 + LN_SQRT_2PI + 2f64.ln(); 3], 1e-14, 0.0, "entropy");
    assert!(matches!(n.covariance(), Err(Error::NotDefined { .. })));
    assert_eq!(n.reparameterization_type(), ReparameterizationType::FullyReparameterized);
}

#[test]
fn batch_shapes_broadcast_and_mismatch_is_named() {
    let n = Normal::new(t64(&[0.0; 6], &[2, 3]), t64(&[1.0; 3], &[3])).unwrap();
    assert_eq!(n.batch_shape(), vec![2, 3]);
    let x = t64(&[0.0; 4], &[4, 1, 1]);
    assert_eq!(n.log_prob(&x).unwrap().shape(), &[4, 2, 3]);
    match Normal::new(t64(&[0.0; 2], &[2]), t64(&[1.0; 3], &[3])) {
        Err(Error::ShapeMismatch { context, lhs, rhs }) => {
            assert!(context.contains("loc") && context.contains("scale"), "{context}");
            assert_eq!((lhs, rhs), (vec![2], vec![3]));
        }
        other => panic!("expected a shape mismatch, got {other:?}"),
    }
    assert!(matches!(n.log_prob(&t64(&[0.0; 4], &[4])), Err(Error::ShapeMismatch { .. })));
}

#[test]
fn bad_parameters_are_typed_errors() {
    match Normal::new(0.0, -1.0) {
        Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, "scale"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(Normal::new(0.0, f64::NAN), Err(Error::InvalidParameter { .. })));
    // Mixed dtypes are refused.
    let a = Tensor::scalar(0.0, DType::F32).unwrap();
    let b = Tensor::scalar(1.0, DType::F64).unwrap();
    assert!(matches!(Normal::new(a, b), Err(Error::DTypeMismatch { .. })));
    // Input of the wrong dtype is refused, not silently cast.
    let n = Normal::new(0.0, 1.0).unwrap();
    assert!(matches!(n.log_prob(&t64(&[0.0], &[1])), Err(Error::DTypeMismatch { .. })));
}

#[test]
fn validate_args_checks_variables_at_use() {
    let s = Variable::new(&Tensor::scalar(1.0, DType::F32).unwrap(), "scale").unwrap();
    let n = Normal::new(0.0, &s).unwrap().with_validate_args(true).unwrap();
    let x = Tensor::scalar(0.5, DType::F32).unwrap();
    assert!(n.log_prob(&x).is_ok());
    s.assign(&Tensor::scalar(-1.0, DType::F32).unwrap()).unwrap();
    assert!(matches!(n.log_prob(&x), Err(Error::InvalidParameter { .. })));
    // Without validate_args the value is used as given (TFP semantics).
    let loose = Normal::new(0.0, &s).unwrap();
    assert!(loose.log_prob(&x).unwrap().to_scalar().unwrap().is_nan());
}

#[test]
fn samples_have_shape_and_are_reproducible() {
    let n = Normal::new(t64(&[0.0, 10.0], &[2]), t64(&[1.0, 0.1], &[2])).unwrap();
    let s = n.sample(&[5, 3], Seed::new(1)).unwrap();
    assert_eq!(s.shape(), &[5, 3, 2]);
    assert_eq!(s.to_vec().unwrap(), n.sample(&[5, 3], Seed::new(1)).unwrap().to_vec().unwrap());
    assert_ne!(s.to_vec().unwrap(), n.sample(&[5, 3], Seed::new(2)).unwrap().to_vec().unwrap());
    let (x, lp) = n.sample_and_log_prob(&[4], Seed::new(3)).unwrap();
    // Computed from the standard draws (as TFP): equal to log_prob up to rounding.
    assert_close(&lp.to_vec().unwrap(), &n.log_prob(&x).unwrap().to_vec().unwrap(), 1e-12, 1e-12, "sample_and_log_prob");
    assert_eq!(x.to_vec().unwrap(), n.sample(&[4], Seed::new(3)).unwrap().to_vec().unwrap());
}

#[test]
fn sample_moments_within_clt_bounds() {
    // N = 20000 draws of N(3, 2). The sample mean has sd 2/√N ≈ 0.0141; a 5-sigma bound
    // (0.0707) fails with probability < 6e-7. The sample variance has sd ≈ σ²√(2/N) = 0.04;
    // 5 sigma = 0.2. Fixed seed, so the test is deterministic.
    for dtype in [DType::F32, DType::F64] {
        let n = Normal::new(Tensor::scalar(3.0, dtype).unwrap(), Tensor::scalar(2.0, dtype).unwrap()).unwrap();
        let s = n.sample(&[20000], Seed::new(11)).unwrap().to_vec().unwrap();
        let m = s.iter().sum::<f64>() / s.len() as f64;
        let v = s.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (s.len() - 1) as f64;
        assert!((m - 3.0).abs() < 0.0707, "{dtype}: mean {m}");
        assert!((v - 4.0).abs() < 0.2, "{dtype}: variance {v}");
    }
}

#[test]
fn samples_are_reparameterized() {
    let loc = Variable::new(&Tensor::scalar(1.0, DType::F64).unwrap(), "loc").unwrap();
    let scale = TransformedVariable::new(&Tensor::scalar(2.0, DType::F64).unwrap(), probrs::bijectors::Exp::new(), "scale").unwrap();
    let n = Normal::new(&loc, &scale).unwrap();
    let s = n.sample(&[3], Seed::new(5)).unwrap();
    let eps: Vec<f64> = s.to_vec().unwrap().iter().map(|x| (x - 1.0) / 2.0).collect();
    let g = s.sum_all().unwrap().grad(&[&loc.value(), &scale.pretransformed_input().value()]).unwrap();
    assert!((g[0].clone().unwrap().to_scalar().unwrap() - 3.0).abs() < 1e-12);
    // d/d(raw) Σ (μ + e^raw ε) = e^raw Σ ε
    let expect = 2.0 * eps.iter().sum::<f64>();
    assert!((g[1].clone().unwrap().to_scalar().unwrap() - expect).abs() < 1e-9);
}

#[test]
fn kl_normal_normal_matches_closed_form_and_monte_carlo() {
    let p = Normal::new(s64(1.0), s64(0.5)).unwrap();
    let q = Normal::new(s64(-1.0), s64(2.0)).unwrap();
    let kl = kl_divergence(&p, &q).unwrap().to_scalar().unwrap();
    let expect = (2.0f64 / 0.5).ln() + (0.25 + 4.0) / 8.0 - 0.5;
    assert!((kl - expect).abs() < 1e-12);
    // Monte Carlo with 200000 draws: sd of the estimate ≈ 0.0035; 6-sigma bound 0.021.
    let x = p.sample(&[200000], Seed::new(9)).unwrap();
    let mc = p.log_prob(&x).unwrap().sub(&q.log_prob(&x).unwrap()).unwrap().mean_all().unwrap().to_scalar().unwrap();
    assert!((mc - expect).abs() < 0.021, "{mc} vs {expect}");
    assert_eq!(kl_divergence(&p, &p).unwrap().to_scalar().unwrap(), 0.0);
}

#[test]
fn prints_like_tfp() {
    let n = Normal::new(Tensor::zeros(&[3], DType::F32).unwrap(), 1.0).unwrap().with_name("noise");
    assert_eq!(n.to_string(), "Normal(\"noise\", batch_shape=[3], event_shape=[], dtype=float32)");
    let n64 = Normal::new(s64(0.0), s64(1.0)).unwrap();
    assert_eq!(format!("{n64}"), "Normal(\"Normal\", batch_shape=[], event_shape=[], dtype=float64)");
}

#[test]
fn float_literals_follow_tfp_dtypes() {
    // Bare f64 numbers adopt their siblings' dtype, else float32 (as Python floats in TFP).
    assert_eq!(Normal::new(0.0, 1.0).unwrap().dtype(), DType::F32);
    assert_eq!(Normal::new(0.0, t64(&[1.0], &[1])).unwrap().dtype(), DType::F64);
}
