//! Families without TFP reference cases, cross-checked numerically: the density integrates to 1,
//! `mean`/`variance` equal ∫x p and ∫(x − m)² p, `cdf` equals the integral of the density, and
//! samples stay in the support. Simpson's rule on a fine grid (errors ≪ tolerances).

use probrs::distributions::*;
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};

fn s(v: f64) -> Tensor {
    Tensor::scalar(v, DType::F64).unwrap()
}

/// Simpson integration of f over [a, b] with n (even) intervals, from densities on the grid.
fn check(name: &str, d: &dyn Distribution, a: f64, b: f64, tol: f64, moments: bool) {
    let n = 200_000;
    let h = (b - a) / n as f64;
    let xs: Vec<f64> = (0..=n).map(|i| a + h * i as f64).collect();
    let p = d.prob(&Tensor::vector(&xs, DType::F64).unwrap()).unwrap().to_vec().unwrap();
    let w = |i: usize| if i == 0 || i == n { 1.0 } else if i % 2 == 1 { 4.0 } else { 2.0 };
    let integral = |f: &dyn Fn(usize) -> f64| (0..=n).map(|i| w(i) * f(i)).sum::<f64>() * h / 3.0;
    let total = integral(&|i| p[i]);
    assert!((total - 1.0).abs() < tol, "{name}: ∫p = {total}");
    if moments {
        let m = integral(&|i| xs[i] * p[i]);
        let v = integral(&|i| (xs[i] - m).powi(2) * p[i]);
        let (dm, dv) = (d.mean().unwrap().to_scalar().unwrap(), d.variance().unwrap().to_scalar().unwrap());
        assert!((m - dm).abs() < tol * (1.0 + dm.abs()), "{name}: mean {dm} vs ∫x p {m}");
        assert!((v - dv).abs() < 10.0 * tol * (1.0 + dv.abs()), "{name}: variance {dv} vs {v}");
    }
    // cdf at the grid's quartiles against the running integral.
    for q in [n / 4, n / 2, 3 * n / 4] {
        let part: f64 = (0..=q).map(|i| (if i == 0 || i == q { 1.0 } else if i % 2 == 1 { 4.0 } else { 2.0 }) * p[i]).sum::<f64>() * h / 3.0;
        let c = d.cdf(&s(xs[q])).unwrap().to_scalar().unwrap();
        let below = d.cdf(&s(a)).unwrap().to_scalar().unwrap();
        assert!((c - below - part).abs() < tol, "{name}: cdf({}) {c} vs {}", xs[q], below + part);
    }
    let x = d.sample(&[2000], Seed::new(1)).unwrap();
    assert!(d.log_prob(&x).unwrap().all_finite().unwrap(), "{name}: samples outside the support");
}

#[test]
fn scalar_families_integrate_consistently() {
    check("TruncatedNormal", &TruncatedNormal::new(s(0.5), s(1.5), s(-1.0), s(2.0)).unwrap(), -1.0, 2.0, 1e-6, true);
    check("InverseGamma", &InverseGamma::new(s(4.0), s(2.0)).unwrap(), 1e-9, 200.0, 1e-4, true);
    check("Chi2", &Chi2::new(s(3.0)).unwrap(), 0.0, 120.0, 1e-4, true);
    check("Weibull", &Weibull::new(s(1.7), s(2.0)).unwrap(), 0.0, 40.0, 1e-6, true);
    check("Pareto", &Pareto::new(s(4.5), s(1.5)).unwrap(), 1.5, 3000.0, 1e-3, false);
    check("HalfCauchy", &HalfCauchy::new(s(1.0), s(0.5)).unwrap(), 1.0, 1000.0, 1e-3, false);
    check("Kumaraswamy", &Kumaraswamy::new(s(2.0), s(3.0)).unwrap(), 0.0, 1.0, 1e-6, true);
    check("Gumbel", &Gumbel::new(s(1.0), s(2.0)).unwrap(), -20.0, 80.0, 1e-6, true);
    check("Laplace", &Laplace::new(s(1.0), s(2.0)).unwrap(), -60.0, 60.0, 1e-6, true);
    check("Beta", &Beta::new(s(2.5), s(3.5)).unwrap(), 0.0, 1.0, 1e-6, true);
}

#[test]
fn discrete_families_sum_to_one() {
    let geo = Geometric::new(s(0.3)).unwrap();
    let ks: Vec<f64> = (0..200).map(|k| k as f64).collect();
    let p = geo.prob(&Tensor::vector(&ks, DType::F64).unwrap()).unwrap().to_vec().unwrap();
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let mean: f64 = ks.iter().zip(&p).map(|(k, p)| k * p).sum();
    assert!((mean - geo.mean().unwrap().to_scalar().unwrap()).abs() < 1e-10);
    assert!((geo.cdf(&s(4.0)).unwrap().to_scalar().unwrap() - p[..5].iter().sum::<f64>()).abs() < 1e-12);
    assert_eq!(geo.log_prob(&s(1.5)).unwrap().to_scalar().unwrap(), f64::NEG_INFINITY);
    assert!(Geometric::new(s(0.0)).is_err());
    assert!(TruncatedNormal::new(s(0.0), s(1.0), s(2.0), s(1.0)).is_err());
}

#[test]
fn negative_binomial_sums_and_matches_its_moments() {
    let d = NegativeBinomial::from_probs(s(3.0), s(0.4)).unwrap();
    let ks: Vec<f64> = (0..400).map(|k| k as f64).collect();
    let p = d.prob(&Tensor::vector(&ks, DType::F64).unwrap()).unwrap().to_vec().unwrap();
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-10);
    let mean: f64 = ks.iter().zip(&p).map(|(k, p)| k * p).sum();
    let var: f64 = ks.iter().zip(&p).map(|(k, p)| (k - mean).powi(2) * p).sum();
    assert!((mean - d.mean().unwrap().to_scalar().unwrap()).abs() < 1e-9);
    assert!((var - d.variance().unwrap().to_scalar().unwrap()).abs() < 1e-8);
    assert!((d.cdf(&s(3.0)).unwrap().to_scalar().unwrap() - p[..4].iter().sum::<f64>()).abs() < 1e-10);
    // Sampling: 20000 draws, 6-sigma bound on the mean.
    let x = d.sample(&[20000], Seed::new(4)).unwrap().to_vec().unwrap();
    let m = x.iter().sum::<f64>() / 20000.0;
    assert!((m - mean).abs() < 6.0 * (var / 20000.0).sqrt(), "{m} vs {mean}");
    let by_logits = NegativeBinomial::from_logits(s(3.0), s((0.4f64 / 0.6).ln())).unwrap();
    assert!((by_logits.log_prob(&s(5.0)).unwrap().to_scalar().unwrap() - p[5].ln()).abs() < 1e-10);
}

#[test]
fn sample_meta_distribution_shapes_and_log_prob() {
    let inner = Normal::new(Tensor::vector(&[0.0, 1.0], DType::F64).unwrap(), s(2.0)).unwrap();
    let d = Sample::new(inner.clone(), &[3, 4]).unwrap();
    assert_eq!((d.batch_shape(), d.event_shape()), (vec![2], vec![3, 4]));
    let x = d.sample(&[5], Seed::new(2)).unwrap();
    assert_eq!(x.shape(), &[5, 2, 3, 4]);
    let lp = d.log_prob(&x).unwrap();
    assert_eq!(lp.shape(), &[5, 2]);
    // Equals the inner log-probabilities summed over the 12 draws of each batch member.
    let xv = x.to_vec().unwrap();
    let want: f64 = (0..12).map(|i| inner.log_prob(&Tensor::vector(&[xv[i], xv[12 + i]], DType::F64).unwrap()).unwrap().to_vec().unwrap()[0]).sum();
    assert!((lp.to_vec().unwrap()[0] - want).abs() < 1e-10);
    assert!((d.entropy().unwrap().to_vec().unwrap()[0] - 12.0 * inner.entropy().unwrap().to_vec().unwrap()[0]).abs() < 1e-12);
    assert_eq!(d.mean().unwrap().shape(), &[2, 3, 4]);
}

#[test]
fn one_hot_categorical_and_multinomial() {
    let p = Tensor::vector(&[0.2, 0.3, 0.5], DType::F64).unwrap();
    let oh = OneHotCategorical::from_probs(&p).unwrap();
    assert_eq!(oh.event_shape(), vec![3]);
    let x = oh.sample(&[4000], Seed::new(6)).unwrap();
    assert_eq!(x.shape(), &[4000, 3]);
    let xv = x.to_vec().unwrap();
    assert!(xv.chunks(3).all(|r| r.iter().sum::<f64>() == 1.0));
    // Frequencies: sd ≤ 0.008; bound 0.04 = 5 sd.
    let f2 = xv.iter().skip(2).step_by(3).sum::<f64>() / 4000.0;
    assert!((f2 - 0.5).abs() < 0.04, "{f2}");
    let lp = oh.log_prob(&Tensor::vector(&[0.0, 1.0, 0.0], DType::F64).unwrap()).unwrap().to_scalar().unwrap();
    assert!((lp - 0.3f64.ln()).abs() < 1e-12);

    let m = Multinomial::from_probs(s(5.0), &p).unwrap();
    // P(2, 1, 2) = 5!/(2! 1! 2!) 0.2² 0.3 0.5² = 30 · 0.003
    let lp = m.log_prob(&Tensor::vector(&[2.0, 1.0, 2.0], DType::F64).unwrap()).unwrap().to_scalar().unwrap();
    assert!((lp - (30.0 * 0.04 * 0.3 * 0.25f64).ln()).abs() < 1e-10);
    assert_eq!(m.log_prob(&Tensor::vector(&[2.0, 1.0, 1.0], DType::F64).unwrap()).unwrap().to_scalar().unwrap(), f64::NEG_INFINITY);
    let draws = m.sample(&[3000], Seed::new(8)).unwrap().to_vec().unwrap();
    assert!(draws.chunks(3).all(|r| r.iter().sum::<f64>() == 5.0 && r.iter().all(|v| *v >= 0.0)));
    // Mean of the last count: 2.5, variance 1.25; 6-sigma bound.
    let m2 = draws.iter().skip(2).step_by(3).sum::<f64>() / 3000.0;
    assert!((m2 - 2.5).abs() < 6.0 * (1.25f64 / 3000.0).sqrt(), "{m2}");
    assert_eq!(m.mean().unwrap().to_vec().unwrap(), vec![1.0, 1.5, 2.5]);
}

/// Closed-form KL against Monte Carlo (100000 draws from p; the bound is ≥ 6 standard errors of
/// the estimate, computed from the same draws).
fn kl_check(name: &str, p: &dyn Distribution, q: &dyn Distribution) {
    let kl = kl_divergence(p, q).unwrap().to_vec().unwrap()[0];
    let x = p.sample(&[100000], Seed::new(12)).unwrap();
    let d = p.log_prob(&x).unwrap().sub(&q.log_prob(&x).unwrap()).unwrap().to_vec().unwrap();
    let m = d.iter().sum::<f64>() / d.len() as f64;
    let sd = (d.iter().map(|v| (v - m).powi(2)).sum::<f64>() / d.len() as f64).sqrt();
    let se = sd / (d.len() as f64).sqrt();
    assert!((kl - m).abs() <= 6.0 * se + 1e-9, "{name}: closed form {kl} vs Monte Carlo {m} ± {se}");
    assert!(kl_divergence(p, p).unwrap().to_vec().unwrap()[0].abs() < 1e-9, "{name}: KL(p‖p) ≠ 0");
}

#[test]
fn kl_divergences_match_monte_carlo() {
    kl_check("Gamma", &Gamma::new(s(2.0), s(1.5)).unwrap(), &Gamma::new(s(3.0), s(1.0)).unwrap());
    kl_check("Beta", &Beta::new(s(2.0), s(3.0)).unwrap(), &Beta::new(s(1.5), s(1.5)).unwrap());
    kl_check("Poisson", &Poisson::from_rate(s(3.0)).unwrap(), &Poisson::from_rate(s(4.5)).unwrap());
    kl_check("Uniform", &Uniform::new(s(0.0), s(1.0)).unwrap(), &Uniform::new(s(-1.0), s(2.0)).unwrap());
    kl_check("Exponential", &Exponential::new(s(2.0)).unwrap(), &Exponential::new(s(0.5)).unwrap());
    kl_check("Bernoulli", &Bernoulli::from_probs(s(0.3)).unwrap(), &Bernoulli::from_probs(s(0.6)).unwrap());
    let a = Tensor::vector(&[1.5, 2.0, 3.0], DType::F64).unwrap();
    let b = Tensor::vector(&[1.0, 1.0, 1.0], DType::F64).unwrap();
    kl_check("Dirichlet", &Dirichlet::new(a).unwrap(), &Dirichlet::new(b).unwrap());
    let cp = Categorical::from_probs(Tensor::vector(&[0.2, 0.3, 0.5], DType::F64).unwrap()).unwrap();
    let cq = Categorical::from_probs(Tensor::vector(&[0.4, 0.4, 0.2], DType::F64).unwrap()).unwrap();
    kl_check("Categorical", &cp, &cq);
    let out = kl_divergence(&Uniform::new(s(0.0), s(3.0)).unwrap(), &Uniform::new(s(0.0), s(1.0)).unwrap()).unwrap().to_scalar().unwrap();
    assert_eq!(out, f64::INFINITY);
    kl_check("Laplace", &Laplace::new(s(0.5), s(1.2)).unwrap(), &Laplace::new(s(-0.3), s(2.0)).unwrap());
    kl_check("Gumbel", &Gumbel::new(s(0.5), s(1.2)).unwrap(), &Gumbel::new(s(-0.3), s(2.0)).unwrap());
    kl_check("HalfNormal", &HalfNormal::new(s(1.3)).unwrap(), &HalfNormal::new(s(0.7)).unwrap());
    kl_check("LogNormal", &LogNormal::new(s(0.2), s(0.6)).unwrap(), &LogNormal::new(s(-0.1), s(0.9)).unwrap());
    kl_check("Chi2", &Chi2::new(s(3.0)).unwrap(), &Chi2::new(s(5.5)).unwrap());
    kl_check("Pareto", &Pareto::new(s(3.0), s(2.0)).unwrap(), &Pareto::new(s(1.5), s(1.0)).unwrap());
    kl_check("Weibull", &Weibull::new(s(1.7), s(2.0)).unwrap(), &Weibull::new(s(1.2), s(1.5)).unwrap());
    let oh = |p: &[f64]| OneHotCategorical::from_probs(Tensor::vector(p, DType::F64).unwrap()).unwrap();
    kl_check("OneHotCategorical", &oh(&[0.2, 0.3, 0.5]), &oh(&[0.4, 0.4, 0.2]));
    kl_check("Sample", &Sample::new(Normal::new(s(0.3), s(1.0)).unwrap(), &[3]).unwrap(), &Sample::new(Normal::new(s(-0.5), s(2.0)).unwrap(), &[3]).unwrap());
    // Pareto with m₁ < m₂: p has mass where q has none.
    let out = kl_divergence(&Pareto::new(s(3.0), s(1.0)).unwrap(), &Pareto::new(s(3.0), s(2.0)).unwrap()).unwrap().to_scalar().unwrap();
    assert_eq!(out, f64::INFINITY);
}

#[test]
fn masked_members_contribute_nothing() {
    let base = Normal::new(Tensor::vector(&[0.0, 5.0, -5.0], DType::F64).unwrap(), s(1.0)).unwrap();
    let d = Masked::new(base.clone(), &[true, false, true]).unwrap();
    let x = Tensor::vector(&[0.1, 0.2, 0.3], DType::F64).unwrap();
    let (lp, full) = (d.log_prob(&x).unwrap().to_vec().unwrap(), base.log_prob(&x).unwrap().to_vec().unwrap());
    assert_eq!(lp, vec![full[0], 0.0, full[2]]);
    assert_eq!(d.entropy().unwrap().to_vec().unwrap()[1], 0.0);
    // The masked member's samples do not depend on the seed.
    let (a, b) = (d.sample(&[4], Seed::new(1)).unwrap().to_vec().unwrap(), d.sample(&[4], Seed::new(2)).unwrap().to_vec().unwrap());
    assert!((0..4).all(|i| a[i * 3 + 1] == b[i * 3 + 1]));
    assert!((0..4).any(|i| a[i * 3] != b[i * 3]));
    assert!(Masked::new(base, &[true]).is_err());
}
