//! The zoo's structural bijectors (log-det against the autodiff Jacobian determinant, round
//! trips) and distributions (sampling moments, KL, implicit reparameterization gradients).

mod common;
use common::*;
use probrs::bijectors::*;
use probrs::distributions::*;
use probrs::params::Variable;
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use std::sync::Arc;

#[test]
fn structural_bijectors_log_det_against_autodiff() {
    let raw = [0.5, -1.0, 2.0, 0.1, 0.3, -0.7];
    // FillScaleTriL: R^6 → lower entries of a 3×3 matrix (packed back by fill_triangular_inverse).
    for b in [FillScaleTriL::new(), FillScaleTriL::with_options(Exp::new().into_arc(), None)] {
        let x = t64(&raw, &[6]);
        let ldj = b.forward_log_det_jacobian(&x, 1).unwrap().to_scalar().unwrap();
        let ad = autodiff_logdet(&|x| b.forward(x).unwrap().fill_triangular_inverse().unwrap(), &raw);
        assert!((ldj - ad).abs() < 1e-9, "fill_scale_tril {ldj} vs {ad}");
        let y = b.forward(&x).unwrap();
        assert_close(&b.inverse(&y).unwrap().to_vec().unwrap(), &raw, 1e-10, 1e-10, "fill_scale_tril round trip");
        let il = b.inverse_log_det_jacobian(&y, 2).unwrap().to_scalar().unwrap();
        assert!((il + ldj).abs() < 1e-9);
    }
    // ScaleMatvecTriL.
    let l = t64(&[2.0, 0.0, 0.0, 0.5, 1.0, 0.0, -0.3, 0.2, 0.7], &[3, 3]);
    let b = ScaleMatvecTriL::new(l).unwrap();
    let ldj = b.forward_log_det_jacobian(&t64(&raw[..3], &[3]), 1).unwrap().to_scalar().unwrap();
    assert!((ldj - autodiff_logdet(&|x| b.forward(x).unwrap(), &raw[..3])).abs() < 1e-10);
    let y = b.forward(&t64(&raw, &[2, 3])).unwrap();
    assert_close(&b.inverse(&y).unwrap().to_vec().unwrap(), &raw, 1e-12, 1e-12, "scale_matvec_tril round trip");
    // ScaleMatvecDiag.
    let b = ScaleMatvecDiag::new(t64(&[2.0, -0.5, 3.0], &[3]));
    let ldj = b.forward_log_det_jacobian(&t64(&raw[..3], &[3]), 1).unwrap().to_scalar().unwrap();
    assert!((ldj - autodiff_logdet(&|x| b.forward(x).unwrap(), &raw[..3])).abs() < 1e-12);
    // CholeskyOuterProduct on lower-triangular entries.
    let b = CholeskyOuterProduct::new();
    let lraw = [1.5, 0.3, 0.8, -0.2, 0.4, 1.1];
    let ldj = b.forward_log_det_jacobian(&t64(&lraw, &[6]).fill_triangular().unwrap(), 2).unwrap().to_scalar().unwrap();
    let ad = autodiff_logdet(&|x| b.forward(&x.fill_triangular().unwrap()).unwrap().fill_triangular_inverse().unwrap(), &lraw);
    assert!((ldj - ad).abs() < 1e-9, "cholesky_outer_product {ldj} vs {ad}");
    // Permutations and padding: log-det 0, exact round trips.
    let x = t64(&[1., 2., 3., 4., 5., 6.], &[2, 3]);
    let tr = Transpose::new(vec![1, 0]).unwrap();
    assert_eq!(tr.forward(&x).unwrap().shape(), &[3, 2]);
    assert_eq!(tr.inverse(&tr.forward(&x).unwrap()).unwrap().to_vec().unwrap(), x.to_vec().unwrap());
    let rs = Reshape::new(&[3, 2], &[6]).unwrap();
    let y = rs.forward(&t64(&[1., 2., 3., 4., 5., 6.], &[1, 6])).unwrap();
    assert_eq!(y.shape(), &[1, 3, 2]);
    assert_eq!(rs.inverse(&y).unwrap().shape(), &[1, 6]);
    assert!(Reshape::new(&[4], &[6]).is_err());
    let pad = Pad::with_axes(vec![(1, 0)], vec![-2]).unwrap().with_constant_values(7.0);
    let y = pad.forward(&x).unwrap();
    assert_eq!(y.to_vec().unwrap(), vec![7., 7., 7., 1., 2., 3., 4., 5., 6.]);
    assert_eq!(pad.forward_min_event_ndims(), 2);
    assert_eq!(pad.inverse(&y).unwrap().to_vec().unwrap(), x.to_vec().unwrap());
    // SoftmaxCentered: onto the simplex, round trip.
    let sc = SoftmaxCentered::new();
    let p = sc.forward(&t64(&[1.0, -1.0], &[2])).unwrap().to_vec().unwrap();
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-15 && p.len() == 3);
    assert_close(&sc.inverse(&t64(&p, &[3])).unwrap().to_vec().unwrap(), &[1.0, -1.0], 1e-12, 1e-12, "softmax_centered round trip");
}

#[test]
fn mvn_tril_sample_moments_and_log_prob() {
    // 20000 draws: the sample covariance entries have sd ≤ ~0.05 here; bounds are 6 sd
    // (false-failure rate < 1e-8 per entry, fixed seed).
    let l = t64(&[2.0, 0.0, 0.5, 1.0], &[2, 2]);
    let d = MultivariateNormalTriL::new(t64(&[1.0, -1.0], &[2]), l).unwrap();
    let s = d.sample(&[20000], Seed::new(4)).unwrap();
    assert_eq!(s.shape(), &[20000, 2]);
    let v = s.to_vec().unwrap();
    let n = 20000.0;
    let m0 = v.iter().step_by(2).sum::<f64>() / n;
    let m1 = v.iter().skip(1).step_by(2).sum::<f64>() / n;
    assert!((m0 - 1.0).abs() < 0.085 && (m1 + 1.0).abs() < 0.048, "{m0} {m1}");
    let c01 = v.chunks(2).map(|p| (p[0] - m0) * (p[1] - m1)).sum::<f64>() / (n - 1.0);
    assert!((c01 - 1.0).abs() < 0.1, "cov {c01}");
    // log_prob of the samples matches the closed form through the covariance.
    let lp = d.log_prob(&s.narrow(0, 0, 3).unwrap()).unwrap().to_vec().unwrap();
    let full = MultivariateNormalFullCovariance::new(t64(&[1.0, -1.0], &[2]), d.covariance().unwrap()).unwrap();
    assert_close(&full.log_prob(&s.narrow(0, 0, 3).unwrap()).unwrap().to_vec().unwrap(), &lp, 1e-12, 1e-12, "tril vs full covariance");
    // Batched scale and batched points broadcast: [5, 3, 2] points against a batch of 3.
    let lb = Tensor::eye(2, &[3], DType::F64).unwrap();
    let db = MultivariateNormalTriL::new(t64(&[0.0; 6], &[3, 2]), lb).unwrap();
    assert_eq!(db.log_prob(&t64(&[0.1; 30], &[5, 3, 2])).unwrap().shape(), &[5, 3]);
    assert_eq!(db.sample(&[4], Seed::new(1)).unwrap().shape(), &[4, 3, 2]);
    // Diag plus low rank: covariance S Sᵀ with S = D + U Uᵀ.
    let dl = MultivariateNormalDiagPlusLowRank::new(t64(&[0.0, 0.0], &[2]), t64(&[1.0, 2.0], &[2]), t64(&[1.0, 1.0], &[2, 1]), None).unwrap();
    // S = [[2, 1], [1, 3]] → Σ = [[5, 5], [5, 10]]
    assert_close(&dl.covariance().unwrap().to_vec().unwrap(), &[5.0, 5.0, 5.0, 10.0], 1e-12, 1e-12, "diag plus low rank");
}

#[test]
fn mvn_kl_closed_form() {
    let p = MultivariateNormalTriL::new(t64(&[0.0, 1.0], &[2]), t64(&[1.0, 0.0, 0.3, 0.8], &[2, 2])).unwrap();
    let q = MultivariateNormalDiag::new(t64(&[0.5, 0.0], &[2]), t64(&[2.0, 1.5], &[2])).unwrap();
    let kl = kl_divergence(&p, &q).unwrap().to_scalar().unwrap();
    // Monte Carlo with 200000 draws (sd ≈ 0.003; 8-sd bound).
    let x = p.sample(&[200000], Seed::new(2)).unwrap();
    let mc = p.log_prob(&x).unwrap().sub(&q.log_prob(&x).unwrap()).unwrap().mean_all().unwrap().to_scalar().unwrap();
    assert!((kl - mc).abs() < 0.025, "{kl} vs {mc}");
    assert!(kl_divergence(&p, &p).unwrap().to_scalar().unwrap().abs() < 1e-12);
}

#[test]
fn categorical_and_mixture_sampling_frequencies() {
    // 30000 draws; each frequency has sd ≤ 0.0029; bound 0.015 ≈ 5 sd.
    let c = Categorical::from_probs(t64(&[0.2, 0.3, 0.5], &[3])).unwrap();
    let s = c.sample(&[30000], Seed::new(8)).unwrap().to_vec().unwrap();
    for (k, p) in [0.2, 0.3, 0.5].iter().enumerate() {
        let f = s.iter().filter(|x| **x == k as f64).count() as f64 / 30000.0;
        assert!((f - p).abs() < 0.015, "category {k}: {f}");
    }
    assert_eq!(c.mode().unwrap().to_scalar().unwrap(), 2.0);
    assert_eq!(c.log_prob(&t64(&[3.0, -1.0, 0.5], &[3])).unwrap().to_vec().unwrap(), vec![f64::NEG_INFINITY; 3]);
    let m = MixtureSameFamily::new(c, Normal::new(t64(&[-10.0, 0.0, 10.0], &[3]), t64(&[1.0; 3], &[3])).unwrap()).unwrap();
    let x = m.sample(&[30000], Seed::new(9)).unwrap().to_vec().unwrap();
    let right = x.iter().filter(|v| **v > 5.0).count() as f64 / 30000.0;
    assert!((right - 0.5).abs() < 0.015, "{right}");
    let mean = x.iter().sum::<f64>() / 30000.0;
    assert!((mean - m.mean().unwrap().to_scalar().unwrap()).abs() < 0.15, "{mean}");
}

/// Inverts the sequential conditional CDF transform by bisection, for the reparameterization test.
fn conditional_inverse(m: &MixtureSameFamily, u: &[f64], lo: f64, hi: f64) -> Vec<f64> {
    let n = u.len();
    let mut x: Vec<f64> = vec![];
    for d in 0..n {
        let (mut a, mut b) = (lo, hi);
        for _ in 0..200 {
            let mid = 0.5 * (a + b);
            let mut pt = x.clone();
            pt.push(mid);
            if transform(m, &pt)[d] < u[d] {
                a = mid;
            } else {
                b = mid;
            }
        }
        x.push(0.5 * (a + b));
    }
    x
}

/// u_d = Σ_k w_k^(d) F_kd(x_d), w^(d) ∝ w_k Π_{j<d} p_kj(x_j), for a mixture of Independent normals.
fn transform(m: &MixtureSameFamily, x: &[f64]) -> Vec<f64> {
    let w = m.mixture_distribution().probs().unwrap().to_vec().unwrap();
    let comps = m.components_distribution();
    let ind = comps.as_any().downcast_ref::<Independent>().unwrap();
    let k = w.len();
    let n_full = ind.event_shape()[0];
    let inner = ind.distribution();
    let mut pts = vec![];
    for _ in 0..k {
        let mut row = x.to_vec();
        row.resize(n_full, 0.0);
        pts.extend(row);
    }
    let xt = t64(&pts, &[k, n_full]);
    let lp = inner.log_prob(&xt).unwrap().to_vec().unwrap();
    let cdf = inner.cdf(&xt).unwrap().to_vec().unwrap();
    (0..x.len())
        .map(|d| {
            let lw: Vec<f64> = (0..k).map(|kk| w[kk].ln() + (0..d).map(|j| lp[kk * n_full + j]).sum::<f64>()).collect();
            let mx = lw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = lw.iter().map(|v| (v - mx).exp()).sum();
            (0..k).map(|kk| (lw[kk] - mx).exp() / z * cdf[kk * n_full + d]).sum()
        })
        .collect()
}

#[test]
fn mixture_implicit_reparameterization_gradient() {
    // Mixture of 2 Independent(Normal) in 2-d; the gradient of the sample w.r.t. a component
    // loc must equal the finite difference of the inverse conditional transform at fixed u.
    let locs = [-1.0, 0.5, 1.5, -0.5];
    let build = |l: &[f64], v: Option<&Variable>| {
        let loc: probrs::params::Param = match v {
            Some(v) => v.into(),
            None => t64(l, &[2, 2]).into(),
        };
        let comps = Independent::new(Normal::new(loc, t64(&[0.7, 1.2, 0.9, 0.6], &[2, 2])).unwrap(), 1).unwrap();
        MixtureSameFamily::new(Categorical::from_logits(t64(&[0.2, -0.3], &[2])).unwrap(), comps).unwrap().with_reparameterize(true).unwrap()
    };
    let var = Variable::new(&t64(&locs, &[2, 2]), "loc").unwrap();
    let m = build(&locs, Some(&var));
    assert_eq!(m.reparameterization_type(), ReparameterizationType::FullyReparameterized);
    let x = m.sample(&[1], Seed::new(21)).unwrap();
    let xv = x.to_vec().unwrap();
    let u = transform(&build(&locs, None), &xv);
    let h = 1e-5;
    for out in 0..2 {
        let g = x.narrow(1, out, 1).unwrap().sum_all().unwrap().grad(&[&var.value()]).unwrap()[0].clone().unwrap().to_vec().unwrap();
        for p in 0..4 {
            let mut lp = locs.to_vec();
            lp[p] += h;
            let mut lm = locs.to_vec();
            lm[p] -= h;
            let xp = conditional_inverse(&build(&lp, None), &u, -20.0, 20.0);
            let xm = conditional_inverse(&build(&lm, None), &u, -20.0, 20.0);
            let fd = (xp[out] - xm[out]) / (2.0 * h);
            assert!((g[p] - fd).abs() < 1e-5 * (1.0 + fd.abs()), "d x[{out}] / d loc[{p}]: autodiff {} vs finite difference {fd}", g[p]);
        }
    }
    // The reparameterized sample has the same value as the plain one.
    let plain = MixtureSameFamily::new(
        Categorical::from_logits(t64(&[0.2, -0.3], &[2])).unwrap(),
        Independent::new(Normal::new(t64(&locs, &[2, 2]), t64(&[0.7, 1.2, 0.9, 0.6], &[2, 2])).unwrap(), 1).unwrap(),
    )
    .unwrap();
    assert_close(&plain.sample(&[1], Seed::new(21)).unwrap().to_vec().unwrap(), &xv, 1e-12, 1e-12, "same value");
    let _ = Arc::new(plain);
}

#[test]
fn univariate_mixture_reparameterization_gradient() {
    let var = Variable::new(&t64(&[-1.0, 2.0], &[2]), "loc").unwrap();
    let m = MixtureSameFamily::new(Categorical::from_probs(t64(&[0.4, 0.6], &[2])).unwrap(), Normal::new(&var, t64(&[0.5, 1.0], &[2])).unwrap())
        .unwrap()
        .with_reparameterize(true)
        .unwrap();
    let x = m.sample(&[3], Seed::new(5)).unwrap();
    let xs = x.to_vec().unwrap();
    let g = x.sum_all().unwrap().grad(&[&var.value()]).unwrap()[0].clone().unwrap().to_vec().unwrap();
    // dx/dμ_k = −(∂F/∂μ_k)/p(x) = w_k p_k(x) / p(x): the components' responsibilities.
    let mut expect = [0.0; 2];
    for x in xs {
        let pk: Vec<f64> = [(-1.0, 0.5, 0.4), (2.0, 1.0, 0.6)].iter().map(|(m, s, w)| w * (-0.5 * ((x - m) / s).powi(2)).exp() / s).collect();
        let tot: f64 = pk.iter().sum();
        expect[0] += pk[0] / tot;
        expect[1] += pk[1] / tot;
    }
    assert_close(&g, &expect, 1e-9, 1e-9, "responsibilities");
}

#[test]
fn zoo_bijectors_are_trainable_from_their_properties() {
    use probrs::params::{MakeTrainable, Trainable};
    let b: ScaleMatvecTriL = MakeTrainable::new().batch_and_event_shape(&[3]).parameter_dtype(DType::F64).seed(3).build().unwrap();
    let vars = b.trainable_variables();
    assert_eq!((vars[0].name(), vars[0].shape()), ("scale_tril", &[6usize][..]), "stored as FillScaleTriL's 6 numbers");
    let x = t64(&[1.0, 2.0, 3.0], &[3]);
    assert_eq!(b.forward(&x).unwrap().shape(), &[3]);
    let d: ScaleMatvecDiag = MakeTrainable::new().batch_and_event_shape(&[2]).initial_value("scale_diag", 3.0).build().unwrap();
    let y = d.forward(&Tensor::vector(&[1.0, 1.0], DType::F32).unwrap()).unwrap().to_vec().unwrap();
    assert_close(&y, &[3.0, 3.0], 1e-5, 0.0, "scale_diag");
    assert!(Exp::parameter_properties(DType::F32).is_empty());
    let _: Exp = MakeTrainable::new().build().unwrap();
    assert!(MakeTrainable::new().initial_value("nope", 1.0).build::<Exp>().is_err());
}
