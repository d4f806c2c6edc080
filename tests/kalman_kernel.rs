//! The fused Kalman filter (`tensor/fused/kalman.rs`, what `LinearGaussianStateSpaceModel::
//! log_prob` runs for a univariate series) against the facade filter (`forward_filter`, Joseph
//! form, differentiated by autodiff) and finite differences:
//!
//! - values and gradients in every term (dense tracked transition, transition noise factor and
//!   mean, observation row, noise variance and mean, initial mean and covariance, the series)
//!   with time-varying terms of all three kinds, a mask, a batch of series and a nonzero
//!   initial step;
//! - float32 equals float64 to float32 rounding;
//! - a non-positive predictive variance is a typed error naming the observation noise and step.

mod common;
use common::{assert_close, check_grad};

use std::sync::Arc;

use probrs::distributions::Distribution;
use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel, TimeVarying};
use probrs::tensor::{DType, Tensor};

const T: usize = 9;
const K: usize = 3;

/// The parameters, packed: A (9), L (9, Q = L Lᵀ), b (3), h (3), r (1), d (1), μ0 (3), L0 (9).
fn theta0() -> Vec<f64> {
    let mut v = vec![0.9, 0.2, -0.1, 0.05, 0.8, 0.3, 0.0, -0.2, 0.95];
    v.extend([0.3, 0.0, 0.0, 0.1, 0.2, 0.0, -0.05, 0.1, 0.25]);
    v.extend([0.1, -0.05, 0.02]);
    v.extend([1.0, 0.5, -0.3]);
    v.extend([0.4]);
    v.extend([0.2]);
    v.extend([0.5, -0.2, 0.1]);
    v.extend([1.0, 0.0, 0.0, 0.3, 0.8, 0.0, -0.2, 0.1, 0.6]);
    v
}

const MASK: [bool; T] = [false, false, true, false, false, true, true, false, false];

/// The model at packed parameters `p` (tracked or not), with a transition that alternates with
/// its square (indexed), a transition noise growing with the step (function) and an
/// observation offset per step (indexed), from step 4.
fn model(p: &Tensor, dtype: DType) -> probrs::Result<LinearGaussianStateSpaceModel> {
    let part = |at: usize, len: usize, shape: &[usize]| p.narrow(0, at, len)?.reshape(shape);
    let a = part(0, 9, &[K, K])?;
    let l = part(9, 9, &[K, K])?;
    let q = l.matmul(&l.matrix_transpose()?)?;
    let b = part(18, 3, &[K])?;
    let h = part(21, 3, &[1, K])?;
    let r = part(24, 1, &[1, 1])?;
    let d = part(25, 1, &[1])?;
    let mu0 = part(26, 3, &[K])?;
    let l0 = part(29, 9, &[K, K])?;
    let a2 = Tensor::concat(&[&a.unsqueeze(0)?, &a.matmul(&a)?.mul_scalar(0.5)?.unsqueeze(0)?], 0)?;
    let transition = TimeVarying::Indexed { values: a2, index: Arc::new(|t| Some(t % 2)) };
    let q_fn = TimeVarying::Function(Arc::new(move |t| q.mul_scalar(1.0 + 0.1 * t as f64)));
    let offsets = Tensor::arange(0, 20, dtype)?.mul_scalar(0.05)?.unsqueeze(1)?.add(&d)?; // [20, 1] (add broadcasts)
    let obs_loc = TimeVarying::Indexed { values: offsets, index: Arc::new(|t| (t < 20).then_some(t)) };
    Ok(LinearGaussianStateSpaceModel::new(
        T,
        transition,
        GaussianTerm::new(b, q_fn),
        h,
        GaussianTerm::new(obs_loc, r),
        GaussianTerm::new(mu0, l0.matmul(&l0.matrix_transpose()?)?),
    )?
    .with_initial_step(4)
    .with_mask(MASK.to_vec())?)
}

fn series(dtype: DType) -> Tensor {
    let v: Vec<f64> = (0..2 * T).map(|i| if MASK[i % T] { f64::NAN } else { (i as f64 * 0.7).sin() * 2.0 + 0.1 * i as f64 }).collect();
    Tensor::from_slice(&v, &[2, T, 1], dtype).unwrap()
}

#[test]
fn fused_filter_equals_the_facade_filter_in_value_and_gradient() {
    let p = Tensor::vector(&theta0(), DType::F64).unwrap().tracked().unwrap();
    let x = series(DType::F64);
    let m = model(&p, DType::F64).unwrap();
    let fused = m.log_prob(&x).unwrap();
    let facade = m.forward_filter(&x).unwrap().log_likelihoods.sum_axes(&[1], false).unwrap();
    assert_close(&fused.to_vec().unwrap(), &facade.to_vec().unwrap(), 1e-11, 1e-11, "log_prob of two series");
    let gf = fused.sum_all().unwrap().grad(&[&p]).unwrap()[0].clone().unwrap().to_vec().unwrap();
    let ga = facade.sum_all().unwrap().grad(&[&p]).unwrap()[0].clone().unwrap().to_vec().unwrap();
    assert_close(&gf, &ga, 1e-9, 1e-9, "gradient in all 38 parameters");
    // The series' gradient (masked values get none).
    let xt = Tensor::from_slice(&series(DType::F64).to_vec().unwrap().iter().map(|v| if v.is_nan() { 0.0 } else { *v }).collect::<Vec<_>>(), &[2, T, 1], DType::F64).unwrap().tracked().unwrap();
    let m0 = model(&Tensor::vector(&theta0(), DType::F64).unwrap(), DType::F64).unwrap();
    let gx = m0.log_prob(&xt).unwrap().sum_all().unwrap().grad(&[&xt]).unwrap()[0].clone().unwrap().to_vec().unwrap();
    let gx_facade = m0.forward_filter(&xt).unwrap().log_likelihoods.sum_all().unwrap().grad(&[&xt]).unwrap()[0].clone().unwrap().to_vec().unwrap();
    assert_close(&gx, &gx_facade, 1e-9, 1e-9, "gradient in the series");
    assert!(gx.iter().enumerate().all(|(i, g)| !MASK[i % T] || *g == 0.0));
}

#[test]
fn fused_gradient_matches_finite_differences() {
    let x = series(DType::F64);
    check_grad("fused Kalman log_prob", |p| model(p, DType::F64)?.log_prob(&x)?.sum_all(), &theta0(), &[38], 1e-6, 1e-6);
    // A constant (untracked) transition takes the sparse path without Ā.
    let a = Tensor::from_slice(&[1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, -1.0], &[K, K], DType::F64).unwrap();
    let y = Tensor::from_slice(&(0..12).map(|i| (i as f64).cos()).collect::<Vec<_>>(), &[12, 1], DType::F64).unwrap();
    check_grad(
        "fused Kalman log_prob, sparse constant transition",
        |s| {
            let q = Tensor::matrix_diag(&s.narrow(0, 0, 3)?.square()?)?;
            let h = Tensor::from_slice(&[1.0, 0.0, 1.0], &[1, K], DType::F64)?;
            LinearGaussianStateSpaceModel::new(12, &a, GaussianTerm::zero_mean(q), h, GaussianTerm::zero_mean(s.narrow(0, 3, 1)?.square()?.reshape(&[1, 1])?), GaussianTerm::zero_mean(Tensor::eye(K, &[], DType::F64)?))?.log_prob(&y)
        },
        &[0.3, 0.1, 0.5, 0.4],
        &[4],
        1e-6,
        1e-6,
    );
}

#[test]
fn float32_equals_float64() {
    let m64 = model(&Tensor::vector(&theta0(), DType::F64).unwrap(), DType::F64).unwrap();
    let m32 = model(&Tensor::vector(&theta0(), DType::F32).unwrap(), DType::F32).unwrap();
    let (a, b) = (m64.log_prob(&series(DType::F64)).unwrap().to_vec().unwrap(), m32.log_prob(&series(DType::F32)).unwrap().to_vec().unwrap());
    assert_eq!(m32.log_prob(&series(DType::F32)).unwrap().dtype(), DType::F32);
    assert_close(&b, &a, 1e-5, 1e-4, "float32 log_prob");
}

#[test]
fn non_positive_predictive_variance_is_a_typed_error() {
    let one = Tensor::ones(&[1, 1], DType::F64).unwrap();
    let zero = Tensor::zeros(&[1, 1], DType::F64).unwrap();
    let m = LinearGaussianStateSpaceModel::new(3, &one, GaussianTerm::zero_mean(&zero), &one, GaussianTerm::zero_mean(&zero), GaussianTerm::zero_mean(&zero)).unwrap().with_initial_step(7);
    let err = m.log_prob(&Tensor::zeros(&[3, 1], DType::F64).unwrap()).unwrap_err().to_string();
    assert!(err.contains("observation_noise") && err.contains("step 7"), "{err}");
}

#[test]
fn untracked_forward_filter_equals_the_graph_filter() {
    // forward_filter of an untracked univariate model runs the fused forward pass; with a
    // tracked parameter it builds the facade graph. All seven outputs agree.
    let x = series(DType::F64);
    let fast = model(&Tensor::vector(&theta0(), DType::F64).unwrap(), DType::F64).unwrap().forward_filter(&x).unwrap();
    let graph = model(&Tensor::vector(&theta0(), DType::F64).unwrap().tracked().unwrap(), DType::F64).unwrap().forward_filter(&x).unwrap();
    let pairs = [
        (&fast.log_likelihoods, &graph.log_likelihoods, "log_likelihoods"),
        (&fast.filtered_means, &graph.filtered_means, "filtered_means"),
        (&fast.filtered_covs, &graph.filtered_covs, "filtered_covs"),
        (&fast.predicted_means, &graph.predicted_means, "predicted_means"),
        (&fast.predicted_covs, &graph.predicted_covs, "predicted_covs"),
        (&fast.observation_means, &graph.observation_means, "observation_means"),
        (&fast.observation_covs, &graph.observation_covs, "observation_covs"),
    ];
    for (a, b, what) in pairs {
        assert_eq!(a.shape(), b.shape(), "{what}");
        assert_close(&a.to_vec().unwrap(), &b.to_vec().unwrap(), 1e-10, 1e-10, what);
    }
}

#[test]
fn untracked_smoother_equals_the_graph_smoother() {
    let x = series(DType::F64);
    let (fm, fc) = model(&Tensor::vector(&theta0(), DType::F64).unwrap(), DType::F64).unwrap().posterior_marginals(&x).unwrap();
    let (gm, gc) = model(&Tensor::vector(&theta0(), DType::F64).unwrap().tracked().unwrap(), DType::F64).unwrap().posterior_marginals(&x).unwrap();
    assert_eq!((fm.shape(), fc.shape()), (gm.shape(), gc.shape()));
    assert_close(&fm.to_vec().unwrap(), &gm.to_vec().unwrap(), 1e-9, 1e-9, "smoothed means");
    assert_close(&fc.to_vec().unwrap(), &gc.to_vec().unwrap(), 1e-9, 1e-9, "smoothed covariances");
}
