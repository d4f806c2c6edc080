//! `TransformedDistribution`'s cdf, log_cdf, survival_function, log_survival_function and
//! quantile for monotone scalar bijectors, checked against TFP's definitions through
//! distribution identities (Exp of a Normal is a LogNormal, an affine map of a Normal is a
//! Normal, ...): increasing bijectors keep the tails, decreasing ones swap them, and a batch
//! whose bijector's direction differs by member does both. Deterministic: no false failures.

use probrs::bijectors::{Bijector, Chain, Exp, Invert, IntoArcBijector, Scale, ScaleMatvecTriL, Shift, SoftmaxCentered};
use probrs::distributions::{Dirichlet, Distribution, LogNormal, MultivariateNormalDiag, Normal, TransformedDistribution};
use probrs::tensor::{DType, Tensor};

fn close(a: &Tensor, b: &Tensor, tol: f64, what: &str) {
    let (a, b) = (a.to_vec().unwrap(), b.to_vec().unwrap());
    assert_eq!(a.len(), b.len(), "{what}");
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{what}: {a:?} vs {b:?}");
    }
}

/// All five functions of `d` against those of `want` at `ys` (and quantiles at `ps`).
fn same_tails(d: &dyn Distribution, want: &dyn Distribution, ys: &Tensor, ps: &Tensor, tol: f64) {
    close(&d.cdf(ys).unwrap(), &want.cdf(ys).unwrap(), tol, "cdf");
    close(&d.log_cdf(ys).unwrap(), &want.log_cdf(ys).unwrap(), tol, "log_cdf");
    close(&d.survival_function(ys).unwrap(), &want.survival_function(ys).unwrap(), tol, "survival_function");
    close(&d.log_survival_function(ys).unwrap(), &want.log_survival_function(ys).unwrap(), tol, "log_survival_function");
    close(&d.quantile(ps).unwrap(), &want.quantile(ps).unwrap(), tol, "quantile");
}

#[test]
fn increasing_bijectors_keep_the_tails() {
    for (dtype, tol) in [(DType::F64, 1e-12), (DType::F32, 2e-5)] {
        let base = Normal::new(Tensor::scalar(0.3, dtype).unwrap(), 0.8).unwrap();
        let d = TransformedDistribution::new(base, Exp::new()).unwrap();
        let want = LogNormal::new(Tensor::scalar(0.3, dtype).unwrap(), 0.8).unwrap();
        same_tails(&d, &want, &Tensor::vector(&[0.2, 1.0, 1.7, 6.0], dtype).unwrap(), &Tensor::vector(&[0.01, 0.3, 0.5, 0.97], dtype).unwrap(), tol);
        // log X of a LogNormal X is the Normal again (Invert keeps the direction).
        let d = TransformedDistribution::new(LogNormal::new(Tensor::scalar(0.3, dtype).unwrap(), 0.8).unwrap(), Invert::new(Exp::new())).unwrap();
        let want = Normal::new(Tensor::scalar(0.3, dtype).unwrap(), 0.8).unwrap();
        same_tails(&d, &want, &Tensor::vector(&[-1.0, 0.3, 2.0], dtype).unwrap(), &Tensor::vector(&[0.1, 0.5, 0.9], dtype).unwrap(), tol);
    }
}

#[test]
fn decreasing_bijectors_swap_the_tails() {
    // Y = −2X + 1 with X ~ Normal(1, 0.5) is Normal(−1, 1): cdf_Y(y) = S_X(f⁻¹(y)).
    let base = Normal::new(Tensor::scalar(1.0, DType::F64).unwrap(), 0.5).unwrap();
    let f = Chain::new(vec![Shift::new(1.0).into_arc(), Scale::new(-2.0).unwrap().into_arc()]);
    assert!(!f.is_increasing().unwrap().unwrap().any().unwrap());
    let d = TransformedDistribution::new(base.clone(), f).unwrap();
    let want = Normal::new(Tensor::scalar(-1.0, DType::F64).unwrap(), 1.0).unwrap();
    let ys = Tensor::vector(&[-3.0, -1.2, 0.0, 2.5], DType::F64).unwrap();
    same_tails(&d, &want, &ys, &Tensor::vector(&[0.001, 0.25, 0.5, 0.8], DType::F64).unwrap(), 1e-12);
    // And the definition itself: cdf(y) = S_X((1 − y)/2).
    let x = ys.affine(-0.5, 0.5).unwrap();
    close(&d.cdf(&ys).unwrap(), &base.survival_function(&x).unwrap(), 1e-15, "cdf = base survival");
    // Y = 1 − e^X, X ~ Normal(0.3, 0.8): P(Y ≤ y) = P(e^X ≥ 1 − y), the LogNormal's survival.
    let f = Chain::new(vec![Shift::new(1.0).into_arc(), Scale::new(-1.0).unwrap().into_arc(), Exp::new().into_arc()]);
    let d = TransformedDistribution::new(Normal::new(Tensor::scalar(0.3, DType::F64).unwrap(), 0.8).unwrap(), f).unwrap();
    let ln = LogNormal::new(Tensor::scalar(0.3, DType::F64).unwrap(), 0.8).unwrap();
    let ys = Tensor::vector(&[-4.0, -1.0, 0.5], DType::F64).unwrap();
    close(&d.cdf(&ys).unwrap(), &ln.survival_function(&ys.affine(-1.0, 1.0).unwrap()).unwrap(), 1e-13, "1 − e^X cdf");
    close(&d.log_survival_function(&ys).unwrap(), &ln.log_cdf(&ys.affine(-1.0, 1.0).unwrap()).unwrap(), 1e-13, "1 − e^X log survival");
    // quantile(p) = f(F_X⁻¹(1 − p)): quantile and cdf are inverse.
    let ps = Tensor::vector(&[0.05, 0.5, 0.95], DType::F64).unwrap();
    close(&d.cdf(&d.quantile(&ps).unwrap()).unwrap(), &ps, 1e-12, "cdf(quantile(p)) = p");
}

#[test]
fn a_batch_with_both_directions_does_both() {
    // Scale([2, −3]) of Normal(1, 1): Normal([2, −3], [2, 3]) member by member.
    let base = Normal::new(Tensor::vector(&[1.0, 1.0], DType::F64).unwrap(), 1.0).unwrap();
    let d = TransformedDistribution::new(base, Scale::new(Tensor::vector(&[2.0, -3.0], DType::F64).unwrap()).unwrap()).unwrap();
    let want = Normal::new(Tensor::vector(&[2.0, -3.0], DType::F64).unwrap(), Tensor::vector(&[2.0, 3.0], DType::F64).unwrap()).unwrap();
    let ys = Tensor::from_slice(&[0.5, 0.5, -4.0, 3.0, 2.0, -2.0], &[3, 2], DType::F64).unwrap();
    let ps = Tensor::from_slice(&[0.1, 0.1, 0.5, 0.7, 0.99, 0.02], &[3, 2], DType::F64).unwrap();
    same_tails(&d, &want, &ys, &ps, 1e-12);
    // cdf + survival = 1 everywhere.
    let total = d.cdf(&ys).unwrap().add(&d.survival_function(&ys).unwrap()).unwrap();
    close(&total, &Tensor::ones(&[3, 2], DType::F64).unwrap(), 1e-15, "cdf + survival");
}

#[test]
fn undefined_where_the_bijector_is_not_a_monotone_scalar_map() {
    // A vector bijector: no cdf (as TFP).
    let mvn = MultivariateNormalDiag::new(Tensor::zeros(&[2], DType::F64).unwrap(), Tensor::ones(&[2], DType::F64).unwrap()).unwrap();
    let tril = Tensor::from_slice(&[1.0, 0.0, 0.5, 2.0], &[2, 2], DType::F64).unwrap();
    let d = TransformedDistribution::new(mvn, ScaleMatvecTriL::new(tril).unwrap()).unwrap();
    let err = d.cdf(&Tensor::zeros(&[2], DType::F64).unwrap()).unwrap_err().to_string();
    assert!(err.contains("cdf") && err.contains("not scalar"), "{err}");
    // A bijector of unknown direction: named in the error.
    let d = TransformedDistribution::new(Dirichlet::new(Tensor::ones(&[3], DType::F64).unwrap()).unwrap(), Invert::new(SoftmaxCentered::new())).unwrap();
    assert!(d.quantile(&Tensor::vector(&[0.5, 0.5], DType::F64).unwrap()).is_err());
    // A scalar bijector written by a user, without is_increasing: undefined, not a guess.
    struct Cube;
    impl Bijector for Cube {
        fn name(&self) -> &str {
            "cube"
        }
        fn forward(&self, x: &Tensor) -> probrs::Result<Tensor> {
            x.powf(3.0)
        }
        fn inverse(&self, y: &Tensor) -> probrs::Result<Tensor> {
            y.sign()?.mul(&y.abs()?.powf(1.0 / 3.0)?)
        }
        fn forward_log_det_jacobian_min(&self, x: &Tensor) -> probrs::Result<Tensor> {
            x.square()?.mul_scalar(3.0)?.log()
        }
    }
    let d = TransformedDistribution::new(Normal::new(0.0, 1.0).unwrap(), Cube).unwrap();
    let err = d.survival_function(&Tensor::scalar(1.0, DType::F32).unwrap()).unwrap_err().to_string();
    assert!(err.contains("cube") && err.contains("monotone"), "{err}");
}
