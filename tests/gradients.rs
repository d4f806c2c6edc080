//! Every custom op's gradient against central finite differences, in float64, including
//! extreme inputs.

mod common;
use common::*;
use probrs::tensor::{linalg::triangular_solve, DType, Tensor};

const H: f64 = 1e-6;
const TOL: f64 = 1e-6;

#[test]
fn elementwise_ops() {
    check_grad("log1p", |x| x.log1p(), &[-0.9, -1e-8, 0.0, 1e-10, 3.0, 1e6], &[6], 1e-9, 1e-5);
    check_grad("expm1", |x| x.expm1(), &[-30.0, -1e-8, 0.0, 1e-10, 2.0, 20.0], &[6], H, TOL);
    check_grad("softplus", |x| x.softplus(), &[-100.0, -20.0, -1.0, 0.0, 1.0, 20.0, 100.0], &[7], H, TOL);
    check_grad("softplus_inverse", |x| x.softplus_inverse(), &[1e-3, 0.1, 1.0, 5.0, 40.0, 100.0], &[6], 1e-7, 1e-5);
    check_grad("sigmoid", |x| x.sigmoid(), &[-100.0, -5.0, 0.0, 3.0, 100.0], &[5], H, TOL);
    check_grad("log_sigmoid", |x| x.log_sigmoid(), &[-100.0, -5.0, 0.0, 3.0, 100.0], &[5], H, TOL);
    check_grad("lgamma", |x| x.lgamma(), &[0.1, 0.5, 1.0, 2.5, 10.0, 150.0], &[6], H, TOL);
    check_grad("digamma", |x| x.digamma(), &[0.3, 1.0, 2.5, 10.0, 80.0], &[5], H, 1e-5);
    check_grad("ndtr", |x| x.ndtr(), &[-8.0, -1.0, 0.0, 0.5, 6.0], &[5], H, TOL);
    check_grad("log_ndtr", |x| x.log_ndtr(), &[-40.0, -25.0, -19.0, -5.0, 0.0, 3.0, 9.0], &[7], H, 1e-5);
    check_grad("ndtri", |x| x.ndtri(), &[1e-6, 0.01, 0.3, 0.5, 0.9, 0.999], &[6], 1e-11, 1e-4);
    check_grad("tanh", |x| x.tanh(), &[-3.0, 0.0, 0.7], &[3], H, TOL);
}

#[test]
fn softplus_is_finite_at_extremes() {
    let x = t64(&[-100.0, 100.0, -1000.0, 1000.0], &[4]);
    let v = probrs::params::Variable::new(&x, "x").unwrap();
    let y = v.value().softplus().unwrap();
    let vals = y.to_vec().unwrap();
    assert!(vals.iter().all(|v| v.is_finite()), "{vals:?}");
    assert!((vals[1] - 100.0).abs() < 1e-12 && vals[0] > 0.0 && vals[0] < 1e-43);
    let g = y.sum_all().unwrap().grad(&[&v.value()]).unwrap()[0].clone().unwrap().to_vec().unwrap();
    assert!(g.iter().all(|v| v.is_finite()));
    assert_close(&g, &[(-100f64).exp(), 1.0, 0.0, 1.0], 1e-9, 1e-300, "softplus grad");
}

#[test]
fn xlogy_both_arguments_and_zero_convention() {
    let y = t64(&[0.5, 2.0, 3.0], &[3]);
    check_grad("xlogy wrt x", |x| x.xlogy(&y), &[0.3, 1.5, 2.0], &[3], H, TOL);
    let x = t64(&[0.3, 1.5, 2.0], &[3]);
    check_grad("xlogy wrt y", |y| x.xlogy(y), &[0.5, 2.0, 3.0], &[3], H, TOL);
    // 0 · log 0 = 0, with zero (not NaN) gradients.
    let zero = t64(&[0.0], &[1]);
    let v = probrs::params::Variable::new(&t64(&[0.0], &[1]), "y").unwrap();
    let r = zero.xlogy(&v.value()).unwrap();
    assert_eq!(r.to_vec().unwrap(), vec![0.0]);
    let g = r.sum_all().unwrap().grad(&[&v.value()]).unwrap()[0].clone().unwrap().to_vec().unwrap();
    assert_eq!(g, vec![0.0]);
}

#[test]
fn reductions_and_broadcasting() {
    check_grad("logsumexp", |x| x.logsumexp(1, false), &[1.0, 2.0, 3.0, -1000.0, 0.0, 1000.0], &[2, 3], H, TOL);
    let b = t64(&[1.0, 2.0, 3.0], &[3]);
    check_grad("broadcast mul", |x| x.mul(&b), &[0.5, -1.0], &[2, 1], H, TOL);
    check_grad("broadcast div", |x| b.div(x), &[0.5, -1.0], &[2, 1], H, TOL);
    check_grad("sum_last", |x| x.sum_last(1)?.square(), &[0.5, -1.0, 2.0, 0.1], &[2, 2], H, TOL);
}

fn spd(n: usize, seed: f64) -> Vec<f64> {
    // A = M Mᵀ + n I
    let m: Vec<f64> = (0..n * n).map(|i| ((i as f64 + seed) * 0.7).sin()).collect();
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] = (0..n).map(|k| m[i * n + k] * m[j * n + k]).sum::<f64>() + if i == j { n as f64 } else { 0.0 };
        }
    }
    a
}

#[test]
fn cholesky_gradient() {
    // Symmetrize inside f so the finite differences stay on symmetric matrices.
    let sym = |x: &Tensor| x.add(&x.matrix_transpose()?)?.mul_scalar(0.5);
    let a = spd(3, 0.0);
    check_grad("cholesky", |x| sym(x)?.cholesky(), &a, &[3, 3], H, 1e-6);
    let mut batch = spd(2, 1.0);
    batch.extend(spd(2, 5.0));
    check_grad("cholesky batched", |x| sym(x)?.cholesky(), &batch, &[2, 2, 2], H, 1e-6);
    check_grad("logdet", |x| sym(x)?.logdet(), &a, &[3, 3], H, 1e-6);
    // L Lᵀ reconstructs A.
    let l = t64(&a, &[3, 3]).cholesky().unwrap();
    let back = l.matmul(&l.matrix_transpose().unwrap()).unwrap().to_vec().unwrap();
    assert_close(&back, &a, 1e-12, 1e-12, "L Lᵀ");
}

#[test]
fn cholesky_rejects_indefinite() {
    let a = t64(&[1.0, 2.0, 2.0, 1.0], &[2, 2]);
    assert!(matches!(a.cholesky(), Err(probrs::Error::LinearAlgebra { .. })));
}

#[test]
fn triangular_solve_gradients() {
    let l = [2.0, 0.0, 0.0, 0.5, 1.5, 0.0, -0.3, 0.8, 1.2];
    let b = [1.0, 2.0, -1.0, 0.5, 0.3, 0.7];
    for adjoint in [false, true] {
        let bt = t64(&b, &[3, 2]);
        check_grad("solve wrt L", |x| triangular_solve(&x.band_lower()?, &bt, adjoint), &l, &[3, 3], H, 1e-6);
        let lt = t64(&l, &[3, 3]);
        check_grad("solve wrt B", |x| triangular_solve(&lt, x, adjoint), &b, &[3, 2], H, 1e-6);
    }
    let lt = t64(&l, &[3, 3]);
    let x = triangular_solve(&lt, &t64(&b, &[3, 2]), false).unwrap();
    assert_close(&lt.matmul(&x).unwrap().to_vec().unwrap(), &b, 1e-12, 1e-12, "L X = B");
    let a = spd(3, 2.0);
    let chol = t64(&a, &[3, 3]).cholesky().unwrap();
    let z = chol.cholesky_solve(&t64(&b, &[3, 2])).unwrap();
    assert_close(&t64(&a, &[3, 3]).matmul(&z).unwrap().to_vec().unwrap(), &b, 1e-10, 1e-10, "A Z = B");
}

#[test]
fn structural_ops() {
    check_grad("fill_triangular", |x| x.fill_triangular(), &[1., 2., 3., 4., 5., 6.], &[6], H, TOL);
    check_grad("fill_triangular_inverse", |x| x.fill_triangular_inverse(), &[1., 2., 3., 4., 5., 6., 7., 8., 9.], &[3, 3], H, TOL);
    check_grad("diag_part", |x| x.diag_part(), &[1., 2., 3., 4.], &[2, 2], H, TOL);
    check_grad("matrix_diag", Tensor::matrix_diag, &[1., 2., 3.], &[3], H, TOL);
    let d = Tensor::matrix_diag(&t64(&[1., 2.], &[2])).unwrap();
    assert_eq!(d.to_vec().unwrap(), vec![1., 0., 0., 2.]);
}

#[test]
fn f32_ops_agree_with_f64() {
    let xs = [-3.0, -0.5, 0.0, 0.5, 3.0];
    let a = Tensor::from_slice(&xs, &[5], DType::F32).unwrap();
    let b = t64(&xs, &[5]);
    for (name, f) in [
        ("softplus", (|t: &Tensor| t.softplus()) as fn(&Tensor) -> probrs::Result<Tensor>),
        ("sigmoid", |t| t.sigmoid()),
        ("log_ndtr", |t| t.log_ndtr()),
        ("log1p", |t| t.abs()?.log1p()),
        ("lgamma", |t| t.abs()?.add_scalar(0.5)?.lgamma()),
    ] {
        assert_close(&f(&a).unwrap().to_vec().unwrap(), &f(&b).unwrap().to_vec().unwrap(), 1e-6, 1e-6, name);
    }
}

#[test]
fn fused_normal_log_prob_gradients() {
    use probrs::distributions::{Distribution, Normal};
    let loc = t64(&[0.3, -1.0], &[2]);
    let scale = t64(&[1.5], &[1]);
    check_grad("normal log_prob wrt x", |x| Normal::new(&loc, &scale)?.log_prob(x), &[0.1, 2.0, -3.0, 0.5], &[2, 2], H, TOL);
    let x = t64(&[0.1, 2.0, -3.0, 0.5], &[2, 2]);
    check_grad("normal log_prob wrt loc", |l| Normal::new(l, &scale)?.log_prob(&x), &[0.3, -1.0], &[2], H, TOL);
    check_grad("normal log_prob wrt scale", |s| Normal::new(&loc, s)?.log_prob(&x), &[1.5], &[1], H, TOL);
    check_grad("normal log_prob wrt scalar scale", |s| Normal::new(&loc, s)?.log_prob(&x), &[0.7], &[], H, TOL);
}

#[test]
fn incomplete_gamma_beta_atan() {
    // Values: P(2, 1) = 1 − 2/e; I_0.5(2, 3) = 11/16.
    let p = Tensor::igamma(&t64(&[2.0], &[1]), &t64(&[1.0], &[1])).unwrap().to_vec().unwrap()[0];
    assert!((p - (1.0 - 2.0 / 1f64.exp())).abs() < 1e-12);
    let i = Tensor::betainc(&t64(&[2.0], &[1]), &t64(&[3.0], &[1]), &t64(&[0.5], &[1])).unwrap().to_vec().unwrap()[0];
    assert!((i - 11.0 / 16.0).abs() < 1e-12);
    let xs = t64(&[0.3, 1.0, 4.0], &[3]);
    check_grad("igamma wrt a", |a| Tensor::igamma(a, &xs), &[0.7, 2.0, 5.5], &[3], 1e-5, 1e-5);
    let a = t64(&[0.7, 2.0, 5.5], &[3]);
    check_grad("igamma wrt x", |x| Tensor::igamma(&a, x), &[0.3, 1.0, 4.0], &[3], H, TOL);
    let (b, x) = (t64(&[1.5, 3.0, 0.8], &[3]), t64(&[0.2, 0.5, 0.9], &[3]));
    check_grad("betainc wrt a", |a| Tensor::betainc(a, &b, &x), &[0.7, 2.0, 5.5], &[3], 1e-5, 1e-5);
    check_grad("betainc wrt b", |b| Tensor::betainc(&a, b, &x), &[1.5, 3.0, 0.8], &[3], 1e-5, 1e-5);
    check_grad("betainc wrt x", |x| Tensor::betainc(&a, &b, x), &[0.2, 0.5, 0.9], &[3], 1e-7, 1e-5);
    check_grad("atan", |x| x.atan(), &[-3.0, 0.0, 0.5, 40.0], &[4], H, TOL);
}

#[test]
fn bessel_and_von_mises_cdf() {
    // I0(2) = 2.2795853023360673, I1(2) = 1.5906368546373291 (A&S table 9.8).
    let l = t64(&[2.0], &[1]).log_bessel_i0e().unwrap().to_vec().unwrap()[0];
    assert!((l - (2.279_585_302_336_067_3f64.ln() - 2.0)).abs() < 1e-13);
    let r = t64(&[2.0], &[1]).bessel_i1_over_i0().unwrap().to_vec().unwrap()[0];
    assert!((r - 1.590_636_854_637_329 / 2.279_585_302_336_067_3).abs() < 1e-13);
    check_grad("log_bessel_i0e", |x| x.log_bessel_i0e(), &[1e-4, 0.5, 3.0, 40.0, 600.0], &[5], H, TOL);
    check_grad("bessel_i1_over_i0", |x| x.bessel_i1_over_i0(), &[1e-3, 0.5, 3.0, 40.0, 600.0], &[5], H, TOL);
    let k = t64(&[0.5, 4.0, 12.0, 60.0], &[4]);
    check_grad("von_mises_cdf wrt x", |x| Tensor::von_mises_cdf(x, &k), &[-2.0, 0.3, 0.1, -0.05], &[4], H, TOL);
    let x = t64(&[-2.0, 0.3, 0.1, -0.05], &[4]);
    check_grad("von_mises_cdf wrt concentration", |k| Tensor::von_mises_cdf(&x, k), &[0.5, 4.0, 12.0, 60.0], &[4], 1e-5, 1e-5);
}

#[test]
fn normal_draws_from_standard_draws() {
    // The fused `loc + scale·ε` and `−½ε² − log scale − ½ log 2π` kernels (fixed seed, so ε is
    // fixed): gradients of the draws and of their log-density against finite differences.
    use probrs::distributions::{Distribution, Normal};
    use probrs::random::Seed;
    let scale = t64(&[0.7, 1.9], &[2]);
    check_grad("normal sample wrt loc", |l| Normal::new(l, &scale)?.sample(&[3], Seed::new(4)), &[0.3, -1.0], &[2], H, TOL);
    let loc = t64(&[0.3, -1.0], &[2]);
    check_grad("normal sample wrt scale", |s| Normal::new(&loc, s)?.sample(&[3], Seed::new(4)), &[0.7, 1.9], &[2], H, TOL);
    check_grad("normal sample_and_log_prob lp wrt scale", |s| Ok(Normal::new(&loc, s)?.sample_and_log_prob(&[3], Seed::new(4))?.1), &[0.7, 1.9], &[2], H, TOL);
    check_grad("normal sample_and_log_prob x wrt scale", |s| Ok(Normal::new(&loc, s)?.sample_and_log_prob(&[3], Seed::new(4))?.0), &[0.7, 1.9], &[2], H, TOL);
}

#[test]
fn bernoulli_logit_glm_value_and_gradient() {
    use probrs::tensor::glm::BernoulliLogitGlm;
    // 7 rows, 3 features; value against the facade's Bernoulli-logit formula, gradient against
    // finite differences (float64 inputs; the data is held in float32).
    let xs: Vec<f64> = (0..21).map(|i| ((i * 13 % 11) as f64 - 5.0) / 4.0).collect();
    let ys: Vec<f64> = (0..7).map(|i| (i % 2) as f64).collect();
    let x = t64(&xs, &[7, 3]);
    let y = t64(&ys, &[7]);
    let glm = BernoulliLogitGlm::new(&x, &y).unwrap();
    let w = t64(&[0.3, -0.2, 0.5, -1.0, 0.1, 0.0], &[2, 3]);
    let got = glm.log_prob(&w).unwrap().to_vec().unwrap();
    let logits = w.matmul(&x.matrix_transpose().unwrap()).unwrap(); // [2, 7]
    let expect = y.mul(&logits).unwrap().sub(&logits.softplus().unwrap()).unwrap().sum_last(1).unwrap().to_vec().unwrap();
    assert_close(&got, &expect, 1e-6, 1e-6, "glm value");
    // The data and dot products are float32: a wider step keeps rounding out of the difference.
    check_grad("bernoulli_logit_glm", |w| glm.log_prob(w), &[0.3, -0.2, 0.5, -1.0, 0.1, 0.0], &[2, 3], 1e-2, 1e-3);
    assert!(BernoulliLogitGlm::new(&x, &t64(&[0.0, 2.0, 1.0, 0.0, 1.0, 0.0, 1.0], &[7])).is_err());
    assert!(glm.log_prob(&t64(&[0.0; 4], &[4])).is_err());
}

#[test]
fn bernoulli_logit_glm_kernels_agree_with_f64_reference() {
    // N = 600 rows (two super-blocks of 256 and a padded third), D = 19 and 20 features (not a
    // multiple of 16; gradient tiles of 3 features ending in a tile of 1 or of 2), S = 11 weight
    // vectors (a full group of 8 and a padded one), large logits in some rows (|l| up to ~40,
    // both link branches): the selected kernel (AVX-512 where present) and the portable kernel
    // against an f64 computation, value and gradient.
    for d in [19usize, 20] {
        check_glm_kernels(600, d, 11);
    }
    // One weight vector: the facade's op takes the 8-row kernel (HMC's evaluation).
    check_glm_kernels(601, 20, 1);
    check_glm_kernels(5003, 20, 2);
}

fn check_glm_kernels(n: usize, d: usize, s: usize) {
    use probrs::tensor::glm::BernoulliLogitGlm;
    let xs: Vec<f64> = (0..n * d).map(|i| ((i * 7919 % 1013) as f64 / 1013.0 - 0.5) * if i % 97 == 0 { 40.0 } else { 2.0 }).collect();
    let ys: Vec<f64> = (0..n).map(|i| ((i * 31 % 7) < 3) as u8 as f64).collect();
    let ws: Vec<f64> = (0..s * d).map(|i| ((i * 17 % 23) as f64 / 23.0 - 0.5) * 0.8).collect();
    let x32: Vec<f64> = xs.iter().map(|v| *v as f32 as f64).collect();
    let w32: Vec<f64> = ws.iter().map(|v| *v as f32 as f64).collect();
    let mut want_ll = vec![0.0; s];
    let mut want_g = vec![0.0; s * d];
    for k in 0..s {
        for i in 0..n {
            let l: f64 = (0..d).map(|j| x32[i * d + j] * w32[k * d + j]).sum();
            let softplus = l.max(0.0) + (-l.abs()).exp().ln_1p();
            want_ll[k] += ys[i] * l - softplus;
            let r = ys[i] - 1.0 / (1.0 + (-l).exp());
            for j in 0..d {
                want_g[k * d + j] += r * x32[i * d + j];
            }
        }
    }
    let glm = BernoulliLogitGlm::new(&Tensor::from_slice(&xs, &[n, d], DType::F32).unwrap(), &Tensor::from_slice(&ys, &[n], DType::F32).unwrap()).unwrap();
    for (name, g) in [("selected", glm.clone()), ("portable", glm.portable())] {
        let w = probrs::params::Variable::new(&Tensor::from_slice(&ws, &[s, d], DType::F32).unwrap(), "w").unwrap().value();
        let ll = g.log_prob(&w).unwrap();
        assert_close(&ll.to_vec().unwrap(), &want_ll, 2e-5, 1e-3, &format!("{name} kernel value, D = {d}"));
        let grad = ll.sum_all().unwrap().grad(&[&w]).unwrap()[0].clone().unwrap();
        assert_close(&grad.to_vec().unwrap(), &want_g, 2e-4, 1e-2, &format!("{name} kernel gradient, D = {d}"));
        // One weight vector at a time (MCMC's evaluation, the 8-row kernel), row by row.
        for k in 0..s {
            let mut gk = vec![0.0; d];
            let llk = g.log_prob_and_gradient(&ws[k * d..(k + 1) * d], &mut gk).unwrap();
            assert_close(&[llk], &want_ll[k..k + 1], 2e-5, 1e-3, &format!("{name} single-vector value, D = {d}"));
            assert_close(&gk, &want_g[k * d..(k + 1) * d], 2e-4, 1e-2, &format!("{name} single-vector gradient, D = {d}"));
        }
    }
    // The same evaluation split over two threads: the same bits (chunk sums in one order).
    let two = glm.with_two_threads().unwrap();
    for k in 0..s {
        let (mut g1, mut g2) = (vec![0.0; d], vec![0.0; d]);
        let l1 = glm.log_prob_and_gradient(&ws[k * d..(k + 1) * d], &mut g1).unwrap();
        let l2 = two.log_prob_and_gradient(&ws[k * d..(k + 1) * d], &mut g2).unwrap();
        assert_eq!((l1.to_bits(), g1.iter().map(|v| v.to_bits()).collect::<Vec<_>>()), (l2.to_bits(), g2.iter().map(|v| v.to_bits()).collect::<Vec<_>>()), "two threads, N = {n}, D = {d}");
    }
}

#[test]
fn exponentiated_quadratic_matrix_value_and_gradients() {
    // Value against a² exp(−‖x − y‖²/(2ℓ²)) entry by entry; gradients w.r.t. both point sets,
    // the amplitude and the length scale against central differences; the symmetric case (one
    // tensor for both point sets) differentiated through the points as well.
    let p1 = [0.3, -0.2, 1.1, 0.4, -0.7, 0.9];
    let p2 = [0.5, 0.1, -0.4, 0.8];
    let x1 = t64(&p1, &[3, 2]);
    let x2 = t64(&p2, &[2, 2]);
    let (a, l) = (1.3, 0.7);
    let sc = |v: f64| Tensor::scalar(v, DType::F64).unwrap();
    let k = Tensor::exponentiated_quadratic_matrix(&x1, &x2, &sc(a), &sc(l)).unwrap().to_vec().unwrap();
    for i in 0..3 {
        for j in 0..2 {
            let d2 = (p1[2 * i] - p2[2 * j]).powi(2) + (p1[2 * i + 1] - p2[2 * j + 1]).powi(2);
            assert!((k[i * 2 + j] - a * a * (-d2 / (2.0 * l * l)).exp()).abs() < 1e-12, "entry ({i}, {j})");
        }
    }
    check_grad("eq matrix wrt x1", |x| Tensor::exponentiated_quadratic_matrix(x, &x2, &sc(a), &sc(l)), &p1, &[3, 2], H, TOL);
    check_grad("eq matrix wrt x2", |x| Tensor::exponentiated_quadratic_matrix(&x1, x, &sc(a), &sc(l)), &p2, &[2, 2], H, TOL);
    check_grad("eq matrix wrt amplitude", |v| Tensor::exponentiated_quadratic_matrix(&x1, &x2, v, &sc(l)), &[a], &[], H, TOL);
    check_grad("eq matrix wrt length_scale", |v| Tensor::exponentiated_quadratic_matrix(&x1, &x2, &sc(a), v), &[l], &[], H, TOL);
    check_grad("eq matrix, one point set", |x| Tensor::exponentiated_quadratic_matrix(x, x, &sc(a), &sc(l)), &p1, &[3, 2], H, TOL);
    assert!(Tensor::exponentiated_quadratic_matrix(&x1, &t64(&[0.0; 3], &[1, 3]), &sc(a), &sc(l)).is_err());
    assert!(Tensor::exponentiated_quadratic_matrix(&x1, &x2, &t64(&[1.0, 2.0], &[2]), &sc(l)).is_err());
}

#[test]
fn exponentiated_quadratic_matrix_large_in_both_precisions() {
    // 301 × 203 points in 3-D (rows not a multiple of the 16 vector lanes, enough work for the
    // threaded path when threads are configured), distances up to the range where exp
    // underflows: values in f64 and f32 against the entry-by-entry formula in f64, and the
    // parameter gradients of Σ G ⊙ K against the same sums formed directly.
    let (n, m, d) = (301usize, 203usize, 3usize);
    let p1: Vec<f64> = (0..n * d).map(|i| ((i * 7919) % 1000) as f64 / 50.0 - 10.0).collect();
    let p2: Vec<f64> = (0..m * d).map(|i| ((i * 104_729) % 1000) as f64 / 50.0 - 10.0).collect();
    let gw: Vec<f64> = (0..n * m).map(|i| ((i * 31) % 17) as f64 / 17.0 - 0.4).collect();
    let (a, l) = (1.7, 0.4);
    let want: Vec<f64> = (0..n * m)
        .map(|ij| {
            let (i, j) = (ij / m, ij % m);
            let d2: f64 = (0..d).map(|q| (p1[i * d + q] - p2[j * d + q]).powi(2)).sum();
            a * a * (-d2 / (2.0 * l * l)).exp()
        })
        .collect();
    let d2s: Vec<f64> = (0..n * m).map(|ij| -2.0 * l * l * (want[ij] / (a * a)).ln()).collect();
    let want_ga: f64 = gw.iter().zip(&want).map(|(g, k)| g * k).sum::<f64>() * 2.0 / a;
    let want_gl: f64 = gw.iter().zip(&want).zip(&d2s).map(|((g, k), d2)| if *k > 0.0 { g * k * d2 } else { 0.0 }).sum::<f64>() / (l * l * l);
    // An entry's relative error is about its exponent's absolute one: |exponent| · ε (up to
    // 708 · 2.2e-16 in f64); f32 entries also carry f32 rounding of the points and their
    // squared distances, hence the looser f32 tolerances.
    for (dtype, rtol, atol, grad_rtol) in [(DType::F64, 1e-12, 1e-300, 1e-10), (DType::F32, 1e-4, 1e-6, 1e-4)] {
        let x1 = Tensor::from_slice(&p1, &[n, d], dtype).unwrap();
        let x2 = Tensor::from_slice(&p2, &[m, d], dtype).unwrap();
        let av = probrs::params::Variable::new(&Tensor::scalar(a, dtype).unwrap(), "a").unwrap();
        let lv = probrs::params::Variable::new(&Tensor::scalar(l, dtype).unwrap(), "l").unwrap();
        let k = Tensor::exponentiated_quadratic_matrix(&x1, &x2, &av.value(), &lv.value()).unwrap();
        let got = k.to_vec().unwrap();
        assert!(got.iter().any(|v| *v == 0.0) && got.iter().all(|v| v.is_finite()), "{dtype:?}: the range reaches exp's underflow");
        assert_close(&got, &want, rtol, atol, &format!("{dtype:?} values"));
        let s = k.mul(&Tensor::from_slice(&gw, &[n, m], dtype).unwrap()).unwrap().sum_all().unwrap();
        let g = s.grad(&[&av.value(), &lv.value()]).unwrap();
        let (ga, gl) = (g[0].clone().unwrap().to_scalar().unwrap(), g[1].clone().unwrap().to_scalar().unwrap());
        assert_close(&[ga, gl], &[want_ga, want_gl], grad_rtol, 1e-9, &format!("{dtype:?} parameter gradients"));
    }
}

#[test]
fn gaussian_log_likelihood_plus_diagonal_matches_explicit_sum() {
    // log N(d; 0, K + vI) equals the plain node on K + vI, and its v-gradient matches central
    // differences (it is the trace of the K-gradient).
    let kv = [2.0, 0.3, -0.2, 0.3, 1.5, 0.4, -0.2, 0.4, 1.8];
    let k = t64(&kv, &[3, 3]);
    let d = t64(&[0.4, -1.2, 0.7, 1.0, 0.2, -0.3], &[2, 3]);
    let v = 0.35;
    let direct = Tensor::gaussian_log_likelihood(&k.add(&Tensor::eye(3, &[], DType::F64).unwrap().mul_scalar(v).unwrap()).unwrap(), &d).unwrap().to_vec().unwrap();
    let fused = Tensor::gaussian_log_likelihood_plus_diagonal(&k, &Tensor::scalar(v, DType::F64).unwrap(), &d).unwrap().to_vec().unwrap();
    assert_close(&fused, &direct, 1e-12, 1e-12, "plus diagonal value");
    check_grad("gaussian_log_likelihood wrt diagonal", |v| Tensor::gaussian_log_likelihood_plus_diagonal(&k, v, &d), &[v], &[], H, TOL);
    check_grad("gaussian_log_likelihood (plus diagonal) wrt K", |k| Tensor::gaussian_log_likelihood_plus_diagonal(&k.add(&k.matrix_transpose()?)?.mul_scalar(0.5)?, &Tensor::scalar(v, DType::F64)?, &d), &kv, &[3, 3], H, TOL);
    // K's entries one by one: the node reads the upper triangle, and its gradient is the
    // derivative of exactly that (zero below the diagonal).
    check_grad("gaussian_log_likelihood (plus diagonal) wrt raw K", |k| Tensor::gaussian_log_likelihood_plus_diagonal(k, &Tensor::scalar(v, DType::F64)?, &d), &kv, &[3, 3], H, TOL);
    assert!(Tensor::gaussian_log_likelihood_plus_diagonal(&k, &t64(&[0.1, 0.2], &[2]), &d).is_err());
}

#[test]
fn gaussian_log_likelihood_value_and_gradients() {
    // K = A Aᵀ + I (symmetric in A's entries), two points; against the MVN value and finite
    // differences w.r.t. A and the points.
    use probrs::distributions::{Distribution, MultivariateNormalFullCovariance};
    let a0 = [0.8, -0.3, 0.5, 0.1, 1.2, -0.7, 0.4, 0.2, 0.9];
    let d0 = [0.3, -1.1, 0.6, 1.4, 0.2, -0.5];
    let cov = |a: &Tensor| -> probrs::Result<Tensor> { a.matmul(&a.matrix_transpose()?)?.add(&Tensor::eye(3, &[], DType::F64)?) };
    let a = t64(&a0, &[3, 3]);
    let d = t64(&d0, &[2, 3]);
    let got = Tensor::gaussian_log_likelihood(&cov(&a).unwrap(), &d).unwrap().to_vec().unwrap();
    let mvn = MultivariateNormalFullCovariance::new(t64(&[0.0; 3], &[3]), cov(&a).unwrap()).unwrap();
    assert_close(&got, &mvn.log_prob(&d).unwrap().to_vec().unwrap(), 1e-12, 1e-12, "value");
    check_grad("gaussian_log_likelihood wrt K (through A)", |a| Tensor::gaussian_log_likelihood(&cov(a)?, &d), &a0, &[3, 3], H, TOL);
    let k = cov(&a).unwrap();
    check_grad("gaussian_log_likelihood wrt points", |d| Tensor::gaussian_log_likelihood(&k, d), &d0, &[2, 3], H, TOL);
    // A second backward through the same graph (the first consumed the saved factor, so the node
    // factors again) gives the same gradients.
    let kvar = probrs::params::Variable::new(&k, "K").unwrap();
    let ll = Tensor::gaussian_log_likelihood(&kvar.value(), &d).unwrap().sum_all().unwrap();
    let g1 = ll.grad(&[&kvar.value()]).unwrap()[0].clone().unwrap().to_vec().unwrap();
    let g2 = ll.grad(&[&kvar.value()]).unwrap()[0].clone().unwrap().to_vec().unwrap();
    assert_close(&g2, &g1, 1e-12, 1e-12, "second backward");
    // Not positive definite: a typed linear-algebra error.
    let bad = t64(&[1.0, 2.0, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 1.0], &[3, 3]);
    assert!(matches!(Tensor::gaussian_log_likelihood(&bad, &d), Err(probrs::Error::LinearAlgebra { .. })));
}
