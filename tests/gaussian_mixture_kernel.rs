//! The fused Gaussian-mixture kernel against the generic path (values and gradients), through
//! both backward routes (uniform upstream gradient: the fused single pass; general weights or a
//! tracked `x`: the second pass), in float32 and float64, and against finite differences.

mod common;
use common::*;
use probrs::params::Variable;
use probrs::tensor::{linalg::triangular_solve, DType, Tensor};

/// The unfused reference: logsumexp_k(lw_k + log N(x; μ_k, L_k L_kᵀ)).
fn reference(x: &Tensor, loc: &Tensor, l: &Tensor, lw: &Tensor) -> Tensor {
    let (npts, n) = (x.shape()[0], x.shape()[1]);
    let k = loc.shape()[0];
    let mut cols = vec![];
    for kk in 0..k {
        let lk = l.narrow(0, kk, 1).unwrap().squeeze(0).unwrap().band_lower().unwrap();
        let d = x.sub(&loc.narrow(0, kk, 1).unwrap()).unwrap(); // [N, n]
        let z = triangular_solve(&lk, &d.matrix_transpose().unwrap(), false).unwrap(); // [n, N]
        let q = z.square().unwrap().sum_axes(&[0], false).unwrap(); // [N]
        let logdet = lk.diag_part().unwrap().log().unwrap().sum_all().unwrap();
        let lp = q.affine(-0.5, -0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln()).unwrap().sub(&logdet).unwrap().add(&lw.narrow(0, kk, 1).unwrap()).unwrap();
        cols.push(lp.reshape(&[npts, 1]).unwrap());
    }
    let refs: Vec<&Tensor> = cols.iter().collect();
    Tensor::concat(&refs, 1).unwrap().logsumexp(1, false).unwrap()
}

fn setup(dtype: DType, npts: usize) -> (Tensor, Variable, Variable, Variable) {
    let (n, k) = (3, 2);
    let xs: Vec<f64> = (0..npts * n).map(|i| ((i as f64) * 0.37).sin() * 2.0).collect();
    let x = Tensor::from_slice(&xs, &[npts, n], dtype).unwrap();
    let loc = Variable::new(&Tensor::from_slice(&[0.1, -0.2, 0.3, 1.0, 0.5, -1.0], &[k, n], dtype).unwrap(), "loc").unwrap();
    let l = Variable::new(&Tensor::from_slice(&[1.2, 0.0, 0.0, 0.3, 0.9, 0.0, -0.2, 0.1, 0.7, 0.8, 0.0, 0.0, 0.0, 1.5, 0.0, 0.4, -0.3, 1.1], &[k, n, n], dtype).unwrap(), "l").unwrap();
    let lw = Variable::new(&Tensor::from_slice(&[0.4f64.ln(), 0.6f64.ln()], &[k], dtype).unwrap(), "lw").unwrap();
    (x, loc, l, lw)
}

#[test]
fn values_and_gradients_match_the_generic_path() {
    for (dtype, tol) in [(DType::F64, 1e-11), (DType::F32, 2e-4)] {
        // 37 points: blocks of 8 plus a ragged tail.
        let (x, loc, l, lw) = setup(dtype, 37);
        let fused = Tensor::gaussian_mixture_log_prob(&x, &loc.value(), &l.value(), &lw.value()).unwrap();
        let plain = reference(&x, &loc.value(), &l.value(), &lw.value());
        assert_close(&fused.to_vec().unwrap(), &plain.to_vec().unwrap(), tol, tol, "values");
        let vars = [loc.value(), l.value(), lw.value()];
        let refs: Vec<&Tensor> = vars.iter().collect();
        // Uniform upstream gradient (mean): the fused single pass.
        let gf = fused.mean_all().unwrap().grad(&refs).unwrap();
        let gp = plain.mean_all().unwrap().grad(&refs).unwrap();
        // General weights: the second pass.
        let w = Tensor::from_slice(&(0..37).map(|i| 0.1 + (i % 5) as f64).collect::<Vec<_>>(), &[37], dtype).unwrap();
        let hf = fused.mul(&w).unwrap().sum_all().unwrap().grad(&refs).unwrap();
        let hp = plain.mul(&w).unwrap().sum_all().unwrap().grad(&refs).unwrap();
        for i in 0..3 {
            let (a, b) = (gf[i].clone().unwrap(), gp[i].clone().unwrap());
            let (a, b) = (a.to_vec().unwrap(), b.broadcast_to(a.shape()).unwrap().to_vec().unwrap());
            // The fused kernel's gradient for L is zero above the diagonal (it ignores those entries).
            let b: Vec<f64> = if i == 1 { b.iter().enumerate().map(|(j, v)| if (j % 9) % 3 > (j % 9) / 3 { 0.0 } else { *v }).collect() } else { b };
            assert_close(&a, &b, tol, tol, &format!("mean gradient {i} ({dtype})"));
            let (a, b) = (hf[i].clone().unwrap().to_vec().unwrap(), hp[i].clone().unwrap().to_vec().unwrap());
            let b: Vec<f64> = if i == 1 { b.iter().enumerate().map(|(j, v)| if (j % 9) % 3 > (j % 9) / 3 { 0.0 } else { *v }).collect() } else { b };
            assert_close(&a, &b, tol, tol, &format!("weighted gradient {i} ({dtype})"));
        }
    }
}

#[test]
fn gradient_with_respect_to_points_and_finite_differences() {
    let (x0, loc, l, lw) = setup(DType::F64, 11);
    let xs = x0.to_vec().unwrap();
    check_grad("mixture wrt x", |x| Tensor::gaussian_mixture_log_prob(x, &loc.value(), &l.value(), &lw.value()), &xs, &[11, 3], 1e-6, 1e-6);
    let lv = l.value().to_vec().unwrap();
    check_grad("mixture wrt scale_tril", |l| Tensor::gaussian_mixture_log_prob(&x0, &loc.value(), l, &lw.value())?.mean_all(), &lv, &[2, 3, 3], 1e-6, 1e-6);
    let mv = loc.value().to_vec().unwrap();
    check_grad("mixture wrt loc", |m| Tensor::gaussian_mixture_log_prob(&x0, m, &l.value(), &lw.value())?.sum_all(), &mv, &[2, 3], 1e-6, 1e-6);
}

#[test]
fn bad_shapes_are_errors() {
    let (x, loc, l, lw) = setup(DType::F64, 4);
    assert!(Tensor::gaussian_mixture_log_prob(&x.narrow(1, 0, 2).unwrap(), &loc.value(), &l.value(), &lw.value()).is_err());
    assert!(Tensor::gaussian_mixture_log_prob(&x, &loc.value(), &l.value(), &lw.value().narrow(0, 0, 1).unwrap()).is_err());
    let big = Tensor::zeros(&[2, 9], DType::F64).unwrap();
    assert!(Tensor::gaussian_mixture_log_prob(&big, &Tensor::zeros(&[1, 9], DType::F64).unwrap(), &Tensor::eye(9, &[1], DType::F64).unwrap(), &Tensor::zeros(&[1], DType::F64).unwrap()).is_err());
}

#[test]
fn mvn_tril_fast_path_matches_the_math() {
    use probrs::distributions::{Distribution, MultivariateNormalTriL};
    let (x, loc, l, lw) = setup(DType::F64, 13);
    let _ = lw;
    let d = MultivariateNormalTriL::new(&loc, &l).unwrap();
    // Shared points against a batch of 2: [13, 1, 3] -> [13, 2].
    let lp = d.log_prob(&x.unsqueeze(1).unwrap()).unwrap();
    assert_eq!(lp.shape(), &[13, 2]);
    let zero_w = Tensor::from_slice(&[0.0], &[1], DType::F64).unwrap();
    for kk in 0..2 {
        let one = reference(&x, &loc.value().narrow(0, kk, 1).unwrap(), &l.value().narrow(0, kk, 1).unwrap(), &zero_w).to_vec().unwrap();
        let got: Vec<f64> = lp.to_vec().unwrap().iter().skip(kk).step_by(2).cloned().collect();
        assert_close(&got, &one, 1e-11, 1e-11, "component log_prob");
    }
    // Paired points ([2, 3] against batch [2]) take the generic path and agree with it.
    let paired = d.log_prob(&x.narrow(0, 0, 2).unwrap()).unwrap().to_vec().unwrap();
    let all = lp.to_vec().unwrap();
    assert_close(&paired, &[all[0], all[3]], 1e-11, 1e-11, "paired points");
    // Gradients through the distribution match finite differences.
    let xs = x.to_vec().unwrap();
    check_grad("mvn_tril log_prob wrt x", |x| d.log_prob(&x.unsqueeze(1)?), &xs, &[13, 3], 1e-6, 1e-6);
    let lv = l.value().to_vec().unwrap();
    check_grad("mvn_tril log_prob wrt scale_tril", |lt| MultivariateNormalTriL::new(&loc, lt.band_lower()?)?.log_prob(&x.unsqueeze(1)?), &lv, &[2, 3, 3], 1e-6, 1e-6);
    let mv = loc.value().to_vec().unwrap();
    check_grad("mvn_tril log_prob wrt loc", |m| MultivariateNormalTriL::new(m, &l)?.log_prob(&x.unsqueeze(1)?), &mv, &[2, 3], 1e-6, 1e-6);
}

/// The diagonal kernels (`MultivariateNormalDiag` components) against the triangular reference
/// with `diag(d)` factors: values, and the gradients of `loc`, `d`, the weights and the points
/// through both backward routes (a uniform upstream gradient takes the fused forward's sums,
/// including the points' gradient; general weights the second pass), float32 and float64; and
/// finite differences in float64.
#[test]
fn diagonal_kernels_match_the_triangular_reference() {
    for (dtype, tol) in [(DType::F64, 1e-11), (DType::F32, 2e-4)] {
        let (x0, loc, _, lw) = setup(dtype, 37);
        let d = Variable::new(&Tensor::from_slice(&[1.2, 0.9, 0.7, 0.8, 1.5, 1.1], &[2, 3], dtype).unwrap(), "d").unwrap();
        let x = Variable::new(&x0, "x").unwrap();
        let w = Tensor::from_slice(&(0..37).map(|i| 0.1 + (i % 5) as f64).collect::<Vec<_>>(), &[37], dtype).unwrap();
        let vars = [x.value(), loc.value(), d.value(), lw.value()];
        let refs: Vec<&Tensor> = vars.iter().collect();
        let mix = Tensor::gaussian_mixture_diag_log_prob(&x.value(), &loc.value(), &d.value(), &lw.value()).unwrap();
        let plain = reference(&x.value(), &loc.value(), &Tensor::matrix_diag(&d.value()).unwrap(), &lw.value());
        assert_close(&mix.to_vec().unwrap(), &plain.to_vec().unwrap(), tol, tol, "mixture values");
        for (route, fused, reference) in [
            ("mean", mix.mean_all().unwrap(), plain.mean_all().unwrap()),
            ("weighted", mix.mul(&w).unwrap().sum_all().unwrap(), plain.mul(&w).unwrap().sum_all().unwrap()),
        ] {
            let (a, b) = (fused.grad(&refs).unwrap(), reference.grad(&refs).unwrap());
            for i in 0..4 {
                let (a, b) = (a[i].clone().unwrap(), b[i].clone().unwrap());
                assert_eq!(a.shape(), vars[i].shape(), "{route} gradient {i} shape");
                assert_close(&a.to_vec().unwrap(), &b.to_vec().unwrap(), tol, tol, &format!("mixture {route} gradient {i} ({dtype})"));
            }
        }
        // Per component: [N, K] against each component's reference.
        let comp = Tensor::mvn_diag_log_prob(&x.value(), &loc.value(), &d.value()).unwrap();
        let zero = Tensor::zeros(&[1], dtype).unwrap();
        let cols: Vec<Tensor> = (0..2)
            .map(|kk| reference(&x.value(), &loc.value().narrow(0, kk, 1).unwrap(), &Tensor::matrix_diag(&d.value().narrow(0, kk, 1).unwrap()).unwrap(), &zero).unsqueeze(1).unwrap())
            .collect();
        let plain = Tensor::concat(&[&cols[0], &cols[1]], 1).unwrap();
        assert_close(&comp.to_vec().unwrap(), &plain.to_vec().unwrap(), tol, tol, "component values");
        let ww = Tensor::from_slice(&(0..74).map(|i| 0.2 + (i % 7) as f64).collect::<Vec<_>>(), &[37, 2], dtype).unwrap();
        let (a, b) = (comp.mul(&ww).unwrap().sum_all().unwrap().grad(&refs).unwrap(), plain.mul(&ww).unwrap().sum_all().unwrap().grad(&refs).unwrap());
        for i in 0..3 {
            assert_close(&a[i].clone().unwrap().to_vec().unwrap(), &b[i].clone().unwrap().to_vec().unwrap(), tol, tol, &format!("component gradient {i} ({dtype})"));
        }
    }
    let (x0, loc, _, lw) = setup(DType::F64, 11);
    let dv = [1.2, 0.9, 0.7, 0.8, 1.5, 1.1];
    let d = Tensor::from_slice(&dv, &[2, 3], DType::F64).unwrap();
    let xs = x0.to_vec().unwrap();
    check_grad("diag mixture wrt x", |x| Tensor::gaussian_mixture_diag_log_prob(x, &loc.value(), &d, &lw.value()), &xs, &[11, 3], 1e-6, 1e-6);
    check_grad("diag mixture wrt scale_diag", |d| Tensor::gaussian_mixture_diag_log_prob(&x0, &loc.value(), d, &lw.value()), &dv, &[2, 3], 1e-6, 1e-6);
    check_grad("diag components wrt scale_diag", |d| Tensor::mvn_diag_log_prob(&x0, &loc.value(), d), &dv, &[2, 3], 1e-6, 1e-6);
    check_grad("diag components wrt x", |x| Tensor::mvn_diag_log_prob(x, &loc.value(), &d), &xs, &[11, 3], 1e-6, 1e-6);
    assert!(Tensor::mvn_diag_log_prob(&x0, &loc.value(), &Tensor::matrix_diag(&d).unwrap()).is_err(), "a [K, n, n] scale is not a diagonal");
}

/// A tracked point set under a uniform upstream gradient takes the fused forward's gradient
/// for the points too (triangular scales); it equals the reference's.
#[test]
fn fused_forward_gradient_of_tracked_points() {
    let (x0, loc, l, lw) = setup(DType::F64, 37);
    let x = Variable::new(&x0, "x").unwrap();
    let vars = [x.value(), loc.value(), l.value(), lw.value()];
    let refs: Vec<&Tensor> = vars.iter().collect();
    let fused = Tensor::gaussian_mixture_log_prob(&x.value(), &loc.value(), &l.value(), &lw.value()).unwrap().mean_all().unwrap().grad(&refs).unwrap();
    let plain = reference(&x.value(), &loc.value(), &l.value(), &lw.value()).mean_all().unwrap().grad(&refs).unwrap();
    assert_close(&fused[0].clone().unwrap().to_vec().unwrap(), &plain[0].clone().unwrap().to_vec().unwrap(), 1e-11, 1e-11, "points' gradient");
    assert_close(&fused[1].clone().unwrap().to_vec().unwrap(), &plain[1].clone().unwrap().to_vec().unwrap(), 1e-11, 1e-11, "loc's gradient");
}
