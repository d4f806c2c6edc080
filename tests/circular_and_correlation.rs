//! VonMises, LKJ, CholeskyLKJ and the CorrelationCholesky bijector: normalization by
//! quadrature, CDF, circular moments, implicit reparameterization, onion-method samples,
//! log-det-Jacobians against autodiff, KL against Monte Carlo, and bad input.
//! Statistical checks use fixed seeds and 6-sigma bounds (false-failure rate ≈ 2e-9 each).

mod common;
use common::*;
use probrs::bijectors::{Bijector, CorrelationCholesky};
use probrs::distributions::{kl_divergence, CholeskyLKJ, Distribution, VonMises, LKJ};
use probrs::params::Variable;
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use std::f64::consts::PI;

fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    let h = (b - a) / n as f64;
    let mut s = f(a) + f(b);
    for i in 1..n {
        s += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

fn scalar_lp(d: &dyn Distribution, x: f64) -> f64 {
    d.log_prob(&Tensor::scalar(x, d.dtype()).unwrap()).unwrap().to_scalar().unwrap()
}

#[test]
fn von_mises_density_integrates_to_one_and_matches_its_cdf() {
    for (loc, k) in [(0.0, 0.0), (0.5, 0.3), (-2.0, 4.0), (1.0, 30.0), (3.0, 800.0)] {
        let d = VonMises::new(Tensor::scalar(loc, DType::F64).unwrap(), k).unwrap();
        let total = simpson(|x| scalar_lp(&d, x).exp(), -PI, PI, 20000);
        assert!((total - 1.0).abs() < 1e-6, "κ {k}: ∫p = {total}");
        // Periodic: p(x) = p(x + 2π).
        assert!((scalar_lp(&d, 0.7) - scalar_lp(&d, 0.7 + 2.0 * PI)).abs() < 1e-9);
        for x in [-2.0, 0.1, 1.3] {
            let f = d.cdf(&Tensor::scalar(x, DType::F64).unwrap()).unwrap().to_scalar().unwrap();
            // CDF(x) = ∫_{loc−π}^{x} p, computed relative to loc as TFP does.
            // Whole periods count one each (TFP's convention).
            let periods = ((x - loc) / (2.0 * PI)).round();
            let z = x - loc - 2.0 * PI * periods;
            let integral = periods + simpson(|t| scalar_lp(&d, t + loc).exp(), -PI, z, 20000);
            assert!((f - integral).abs() < 2e-7, "κ {k} x {x}: cdf {f} vs ∫ {integral}");
        }
    }
    // f32 agrees with f64.
    let d32 = VonMises::new(0.5, 2.0).unwrap();
    let d64 = VonMises::new(Tensor::scalar(0.5, DType::F64).unwrap(), 2.0).unwrap();
    assert!((scalar_lp(&d32, 1.0) - scalar_lp(&d64, 1.0)).abs() < 1e-6);
}

#[test]
fn von_mises_samples_have_the_circular_moments() {
    let n = 40000;
    for (loc, k) in [(0.3, 0.5), (-2.8, 3.0), (1.0, 50.0)] {
        let d = VonMises::new(Tensor::scalar(loc, DType::F64).unwrap(), k).unwrap();
        let s = d.sample(&[n], Seed::new(11)).unwrap().to_vec().unwrap();
        assert!(s.iter().all(|x| (-PI..=PI).contains(x)), "samples in [-π, π]");
        let r = 1.0 - d.variance().unwrap().to_scalar().unwrap(); // E cos(x − μ) = I1/I0
        let c: Vec<f64> = s.iter().map(|x| (x - loc).cos()).collect();
        let sn: Vec<f64> = s.iter().map(|x| (x - loc).sin()).collect();
        let mc = c.iter().sum::<f64>() / n as f64;
        let ms = sn.iter().sum::<f64>() / n as f64;
        // Var cos ≤ 1 − r² … bounded by 1; use the sample variances for the 6-sigma bounds.
        let vc = c.iter().map(|v| (v - mc).powi(2)).sum::<f64>() / n as f64;
        let vs = sn.iter().map(|v| (v - ms).powi(2)).sum::<f64>() / n as f64;
        assert!((mc - r).abs() < 6.0 * (vc / n as f64).sqrt() + 1e-12, "κ {k}: E cos {mc} vs {r}");
        assert!(ms.abs() < 6.0 * (vs / n as f64).sqrt() + 1e-12, "κ {k}: E sin {ms}");
        // Circular mean of the draws near loc.
        let cm = ms.atan2(mc);
        assert!(cm.abs() < 0.05, "κ {k}: circular mean offset {cm}");
    }
}

#[test]
fn von_mises_samples_carry_implicit_reparameterization_gradients() {
    // x(κ) = F⁻¹(u; κ) for the draw's fixed u: F(x + h·dx/dκ; κ + h) − F(x; κ) = O(h²).
    for k0 in [0.4, 2.0, 15.0] {
        let kv = Variable::new(&t64(&[k0], &[]), "k").unwrap();
        let d = VonMises::new(Tensor::scalar(0.0, DType::F64).unwrap(), &kv).unwrap();
        let x = d.sample(&[6], Seed::new(5)).unwrap();
        let g = x.sum_all().unwrap();
        let vals = x.to_vec().unwrap();
        // Gradients per draw: one backward per element.
        for (i, xi) in vals.iter().enumerate() {
            let xi_t = x.narrow(0, i, 1).unwrap().sum_all().unwrap();
            let dxdk = xi_t.grad(&[&kv.value()]).unwrap()[0].clone().unwrap().to_scalar().unwrap();
            let h = 1e-4 * k0;
            let f0 = probrs::tensor::bessel::von_mises_cdf_scalar(*xi, k0).0;
            let f1 = probrs::tensor::bessel::von_mises_cdf_scalar(xi + h * dxdk, k0 + h).0;
            assert!((f1 - f0).abs() < 1e-8, "κ {k0} draw {i}: ΔF {}", f1 - f0);
        }
        assert!(g.to_scalar().unwrap().is_finite());
    }
}

#[test]
fn von_mises_kl_matches_monte_carlo_and_entropy_matches_quadrature() {
    let p = VonMises::new(Tensor::scalar(0.4, DType::F64).unwrap(), 2.5).unwrap();
    let q = VonMises::new(Tensor::scalar(-1.0, DType::F64).unwrap(), 0.8).unwrap();
    let kl = kl_divergence(&p, &q).unwrap().to_scalar().unwrap();
    let quad = simpson(|x| scalar_lp(&p, x).exp() * (scalar_lp(&p, x) - scalar_lp(&q, x)), -PI, PI, 20000);
    assert!((kl - quad).abs() < 1e-8, "KL {kl} vs quadrature {quad}");
    let n = 40000;
    let x = p.sample(&[n], Seed::new(2)).unwrap();
    let diff = p.log_prob(&x).unwrap().sub(&q.log_prob(&x).unwrap()).unwrap().to_vec().unwrap();
    let m = diff.iter().sum::<f64>() / n as f64;
    let sd = (diff.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n as f64).sqrt();
    assert!((m - kl).abs() < 6.0 * sd / (n as f64).sqrt(), "MC {m} vs {kl}");
    let h = p.entropy().unwrap().to_scalar().unwrap();
    let hq = simpson(|x| -scalar_lp(&p, x).exp() * scalar_lp(&p, x), -PI, PI, 20000);
    assert!((h - hq).abs() < 1e-8, "entropy {h} vs {hq}");
}

#[test]
fn von_mises_bad_input() {
    assert!(matches!(VonMises::new(0.0, -1.0), Err(probrs::Error::InvalidParameter { .. })));
    let d = VonMises::new(0.0, 1.0).unwrap();
    assert!(matches!(d.log_prob(&Tensor::scalar(0.0, DType::F64).unwrap()), Err(probrs::Error::DTypeMismatch { .. })));
}

#[test]
fn correlation_cholesky_matches_tfp_and_round_trips() {
    let b = CorrelationCholesky::new();
    let l = b.forward(&t64(&[2.0, 2.0, 1.0], &[3])).unwrap();
    let r2 = 0.5f64.sqrt();
    assert_close(&l.to_vec().unwrap(), &[1.0, 0.0, 0.0, r2, r2, 0.0, 2.0 / 3.0, 2.0 / 3.0, 1.0 / 3.0], 1e-12, 1e-12, "TFP example");
    assert_close(&b.inverse(&l).unwrap().to_vec().unwrap(), &[2.0, 2.0, 1.0], 1e-12, 1e-12, "inverse");
    // Batched, n = 1..5: rows of unit norm, lower triangular, round trip.
    for n in 1..=5usize {
        let m = n * (n - 1) / 2;
        let x = probrs::random::normal(&[4, m], DType::F64, Seed::new(n as u64)).unwrap().mul_scalar(2.0).unwrap();
        let y = b.forward(&x).unwrap();
        assert_eq!(y.shape(), &[4, n, n]);
        let v = y.to_vec().unwrap();
        for bi in 0..4 {
            for i in 0..n {
                let row = &v[bi * n * n + i * n..bi * n * n + (i + 1) * n];
                assert!((row.iter().map(|a| a * a).sum::<f64>() - 1.0).abs() < 1e-12);
                assert!(row[i] > 0.0 && row[i + 1..].iter().all(|a| *a == 0.0));
            }
        }
        assert_close(&b.inverse(&y).unwrap().to_vec().unwrap(), &x.to_vec().unwrap(), 1e-10, 1e-10, "round trip");
    }
}

/// log|det J| of the map from x to the strictly lower entries of L, by autodiff, one backward
/// pass per output entry, and a Gaussian-elimination determinant.
fn autodiff_log_det(b: &CorrelationCholesky, x0: &[f64], n: usize) -> f64 {
    let m = x0.len();
    let v = Variable::new(&t64(x0, &[m]), "x").unwrap();
    let y = b.forward(&v.value()).unwrap();
    let mut jac = vec![vec![0.0; m]; m];
    let mut r = 0;
    for i in 1..n {
        for j in 0..i {
            let e = y.narrow(0, i, 1).unwrap().narrow(1, j, 1).unwrap().sum_all().unwrap();
            jac[r] = e.grad(&[&v.value()]).unwrap()[0].clone().unwrap().to_vec().unwrap();
            r += 1;
        }
    }
    let mut logdet = 0.0;
    for c in 0..m {
        let p = (c..m).max_by(|a, b| jac[*a][c].abs().total_cmp(&jac[*b][c].abs())).unwrap();
        jac.swap(c, p);
        logdet += jac[c][c].abs().ln();
        for rr in c + 1..m {
            let f = jac[rr][c] / jac[c][c];
            for cc in c..m {
                jac[rr][cc] -= f * jac[c][cc];
            }
        }
    }
    logdet
}

#[test]
fn correlation_cholesky_log_det_matches_autodiff() {
    let b = CorrelationCholesky::new();
    for n in 2..=4usize {
        let m = n * (n - 1) / 2;
        let x: Vec<f64> = (0..m).map(|i| 0.7 * ((i * 5 + 3) % 7) as f64 - 2.0).collect();
        let fldj = b.forward_log_det_jacobian(&t64(&x, &[m]), 1).unwrap().to_scalar().unwrap();
        let ad = autodiff_log_det(&b, &x, n);
        assert!((fldj - ad).abs() < 1e-10, "n {n}: fldj {fldj} vs autodiff {ad}");
        let y = b.forward(&t64(&x, &[m])).unwrap();
        let ildj = b.inverse_log_det_jacobian(&y, 2).unwrap().to_scalar().unwrap();
        assert!((ildj + fldj).abs() < 1e-12);
    }
}

#[test]
fn lkj_normalizes_in_two_and_three_dimensions() {
    for eta in [0.7, 1.0, 2.5] {
        // d = 2, by quadrature over the correlation r.
        let d = LKJ::new(2, Tensor::scalar(eta, DType::F64).unwrap()).unwrap();
        // r = sin θ removes the endpoint singularities of (1 − r²)^{η−1} for η < 1.
        let c2 = |r: f64| t64(&[1.0, r, r, 1.0], &[2, 2]);
        let f = |th: f64| d.log_prob(&c2(th.sin())).unwrap().to_scalar().unwrap().exp() * th.cos();
        let total = simpson(f, -PI / 2.0 + 1e-9, PI / 2.0 - 1e-9, 20000);
        let tol = if eta < 1.0 { 1e-4 } else { 1e-6 };
        assert!((total - 1.0).abs() < tol, "η {eta}: ∫p = {total}");
    }
    // d = 3, by the midpoint rule over (r12, r13, r23) ∈ (−1, 1)³; non-PD points have p = 0.
    let eta = 2.0;
    let d = LKJ::new(3, Tensor::scalar(eta, DType::F64).unwrap()).unwrap();
    let g = 60;
    let h = 2.0 / g as f64;
    let mut pts = vec![];
    for a in 0..g {
        for b in 0..g {
            for c in 0..g {
                let (x, y, z) = (-1.0 + (a as f64 + 0.5) * h, -1.0 + (b as f64 + 0.5) * h, -1.0 + (c as f64 + 0.5) * h);
                pts.extend([1.0, x, y, x, 1.0, z, y, z, 1.0]);
            }
        }
    }
    let lp = d.log_prob(&t64(&pts, &[g * g * g, 3, 3])).unwrap().to_vec().unwrap();
    let total: f64 = lp.iter().map(|v| v.exp()).sum::<f64>() * h * h * h;
    assert!((total - 1.0).abs() < 1e-2, "d = 3: ∫p = {total}");
    assert!(lp.iter().any(|v| *v == f64::NEG_INFINITY), "non-PD points are −inf");
    assert!(lp.iter().all(|v| !v.is_nan()));
}

#[test]
fn cholesky_lkj_is_a_density_over_the_free_entries() {
    // ∫ p(CorrelationCholesky(u)) · exp(fldj(u)) du = 1, d = 2 (one free entry) and d = 3
    // (three; the midpoint rule in tanh-space of the three free entries).
    let bij = CorrelationCholesky::new();
    for eta in [1.0, 3.0] {
        let d = CholeskyLKJ::new(2, Tensor::scalar(eta, DType::F64).unwrap()).unwrap();
        let f = |u: f64| {
            let x = t64(&[u], &[1]);
            (d.log_prob(&bij.forward(&x).unwrap()).unwrap().to_scalar().unwrap() + bij.forward_log_det_jacobian(&x, 1).unwrap().to_scalar().unwrap()).exp()
        };
        // u = tan θ maps the real line onto (−π/2, π/2).
        let total = simpson(|th: f64| f(th.tan()) / th.cos().powi(2), -PI / 2.0 + 1e-6, PI / 2.0 - 1e-6, 24000);
        assert!((total - 1.0).abs() < 1e-6, "d = 2, η {eta}: {total}");
    }
    let d = CholeskyLKJ::new(3, Tensor::scalar(1.5, DType::F64).unwrap()).unwrap();
    // Free entries L10 ∈ (−1, 1), and (L20, L21) in the unit disk: a polar midpoint grid.
    let g = 80;
    let mut mats = vec![];
    let mut w = vec![];
    for a in 0..g {
        let l10 = -1.0 + (a as f64 + 0.5) * 2.0 / g as f64;
        for rr in 0..g {
            let rho = (rr as f64 + 0.5) / g as f64;
            for t in 0..g {
                let th = (t as f64 + 0.5) * 2.0 * PI / g as f64;
                let (l20, l21) = (rho * th.cos(), rho * th.sin());
                let l11 = (1.0 - l10 * l10).sqrt();
                let l22 = (1.0 - rho * rho).sqrt();
                mats.extend([1.0, 0.0, 0.0, l10, l11, 0.0, l20, l21, l22]);
                w.push(rho * (2.0 / g as f64) * (1.0 / g as f64) * (2.0 * PI / g as f64));
            }
        }
    }
    let lp = d.log_prob(&t64(&mats, &[g * g * g, 3, 3])).unwrap().to_vec().unwrap();
    let total: f64 = lp.iter().zip(&w).map(|(l, w)| l.exp() * w).sum();
    assert!((total - 1.0).abs() < 5e-3, "d = 3: {total}");
}

#[test]
fn lkj_samples_are_correlation_matrices_with_the_right_spread() {
    // Off-diagonal r: (r + 1)/2 ~ Beta(η − 1 + d/2, η − 1 + d/2), so E r = 0, Var r = 1/(2η + d − 1).
    let n = 20000;
    for (dim, eta, f32_) in [(4usize, 1.5, false), (3, 0.8, true), (5, 4.0, false)] {
        let dtype = if f32_ { DType::F32 } else { DType::F64 };
        let d = LKJ::new(dim, Tensor::scalar(eta, dtype).unwrap()).unwrap();
        let s = d.sample(&[n], Seed::new(21)).unwrap();
        assert_eq!(s.shape(), &[n, dim, dim]);
        let v = s.to_vec().unwrap();
        let var = 1.0 / (2.0 * eta + dim as f64 - 1.0);
        let bound = 6.0 * (var / n as f64).sqrt();
        for i in 0..dim {
            for j in 0..dim {
                let col: Vec<f64> = (0..n).map(|k| v[k * dim * dim + i * dim + j]).collect();
                if i == j {
                    assert!(col.iter().all(|c| *c == 1.0), "unit diagonal");
                    continue;
                }
                let m = col.iter().sum::<f64>() / n as f64;
                let sv = col.iter().map(|c| (c - m).powi(2)).sum::<f64>() / (n - 1) as f64;
                assert!(m.abs() < bound, "d {dim} η {eta} [{i},{j}]: mean {m} (bound {bound})");
                // Var of the sample variance ≤ E r⁴/n ≤ var/n; 6 sigma of that.
                assert!((sv - var).abs() < 6.0 * (var / n as f64).sqrt(), "d {dim} η {eta} [{i},{j}]: var {sv} vs {var}");
            }
        }
        let lp = d.log_prob(&s).unwrap();
        assert!(lp.all_finite().unwrap());
        // Cholesky-form samples and log_prob agree with the matrix form.
        let dc = LKJ::new(dim, Tensor::scalar(eta, dtype).unwrap()).unwrap().with_input_output_cholesky(true);
        let l = dc.sample(&[3], Seed::new(21)).unwrap();
        let c = l.matmul(&l.matrix_transpose().unwrap()).unwrap();
        let tol = if f32_ { 1e-3 } else { 1e-9 };
        assert_close(&dc.log_prob(&l).unwrap().to_vec().unwrap(), &d.log_prob(&c).unwrap().to_vec().unwrap(), tol, tol, "cholesky form");
    }
    // Mean is the identity, batch-shaped.
    let d = LKJ::new(3, t64(&[1.0, 2.0], &[2])).unwrap();
    assert_eq!(d.mean().unwrap().shape(), &[2, 3, 3]);
}

#[test]
fn lkj_bad_input() {
    assert!(matches!(LKJ::new(3, -1.0), Err(probrs::Error::InvalidParameter { .. })));
    assert!(matches!(CholeskyLKJ::new(3, 0.0), Err(probrs::Error::InvalidParameter { .. })));
    let d = LKJ::new(3, Tensor::scalar(2.0, DType::F64).unwrap()).unwrap();
    assert!(matches!(d.log_prob(&t64(&[1.0, 0.0, 0.0, 1.0], &[2, 2])), Err(probrs::Error::InvalidShape { .. })));
    // Not positive definite: −inf, not NaN and not an error.
    let bad = t64(&[1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0], &[3, 3]);
    assert_eq!(d.log_prob(&bad).unwrap().to_scalar().unwrap(), f64::NEG_INFINITY);
    let dc = CholeskyLKJ::new(2, Tensor::scalar(2.0, DType::F64).unwrap()).unwrap();
    assert_eq!(dc.log_prob(&t64(&[1.0, 0.0, 0.5, -0.8], &[2, 2])).unwrap().to_scalar().unwrap(), f64::NEG_INFINITY);
}
