//! `LinearGaussianStateSpaceModel` against statsmodels and against dense Gaussian algebra.
//!
//! - Kalman log-likelihoods equal statsmodels' `UnobservedComponents(...).loglike(params)` to
//!   1e-8 relative for a local level, a local linear trend and a trend + 4-season model at fixed
//!   variances, on a 40-point series with 4 missing values, with statsmodels' approximate
//!   diffuse initialization (`P_0 = 10⁶ I`) and likelihood burn-in (`k_states` steps). The
//!   reference values were computed with statsmodels 0.14 (`UnobservedComponents(y, level=...,
//!   seasonal=...)`, `loglike([σ²_irregular, σ²_level, (σ²_trend), (σ²_seasonal)])`).
//! - Smoothed means and covariances equal the conditional moments of the joint Gaussian of all
//!   states and observations on a short series with a missing value.
//! - Gradients in the noise scales match finite differences; a batch of series equals the
//!   series one at a time; simulated series have the model's covariance (4,000 draws).

mod common;
use common::{assert_close, check_grad};

use probrs::distributions::Distribution;
use probrs::random::Seed;
use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
use probrs::tensor::{DType, Tensor};

const Y: [Option<f64>; 40] = [
    Some(6.033754), Some(4.769122), Some(5.145402), Some(4.090465), Some(6.147935), None, None, Some(4.48045), Some(5.906099), Some(4.988428),
    Some(5.761902), Some(4.351881), Some(6.68673), Some(4.972148), Some(5.62788), Some(5.237039), Some(6.240104), None, Some(5.012197), Some(2.733172),
    Some(3.975945), Some(2.258466), Some(2.701915), Some(1.443208), Some(3.603952), Some(2.225418), Some(2.195526), Some(1.000117), Some(2.135242), Some(0.950562),
    None, Some(-0.512716), Some(1.3568), Some(-0.337854), Some(1.498886), Some(-0.075165), Some(1.503589), Some(0.533375), Some(1.177089), Some(0.653356),
];

fn t(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape, DType::F64).unwrap()
}

/// statsmodels' structural model: transition `a [k, k]`, design `h [1, k]`, state noise
/// variances `q [k]` (zero for deterministic states), irregular variance `r`, approximate
/// diffuse start and burn-in `k`.
fn statsmodels_like(a: &[f64], h: &[f64], q: &[f64], r: f64, len: usize) -> LinearGaussianStateSpaceModel {
    let k = h.len();
    let qm: Vec<f64> = (0..k * k).map(|i| if i % (k + 1) == 0 { q[i / k] } else { 0.0 }).collect();
    let mask: Vec<bool> = Y[..len].iter().map(|v| v.is_none()).collect();
    LinearGaussianStateSpaceModel::new(len, t(a, &[k, k]), GaussianTerm::zero_mean(t(&qm, &[k, k])), t(h, &[1, k]), GaussianTerm::zero_mean(t(&[r], &[1, 1])), GaussianTerm::zero_mean(Tensor::eye(k, &[], DType::F64).unwrap().mul_scalar(1e6).unwrap()))
        .unwrap()
        .with_mask(mask)
        .unwrap()
        .with_log_likelihood_burn(k)
}

fn series(len: usize) -> Tensor {
    t(&Y[..len].iter().map(|v| v.unwrap_or(f64::NAN)).collect::<Vec<_>>(), &[len, 1])
}

const TREND: [f64; 4] = [1.0, 1.0, 0.0, 1.0];

fn trend_seasonal() -> Vec<f64> {
    let mut a = vec![0.0; 25];
    a[0] = 1.0;
    a[1] = 1.0;
    a[6] = 1.0;
    for j in 2..5 {
        a[2 * 5 + j] = -1.0;
    }
    a[3 * 5 + 2] = 1.0;
    a[4 * 5 + 3] = 1.0;
    a
}

#[test]
fn kalman_log_likelihood_equals_statsmodels() {
    let y = series(40);
    let cases = [
        ("local level", statsmodels_like(&[1.0], &[1.0], &[0.25], 0.09, 40), -77.3650665170174),
        ("local linear trend", statsmodels_like(&TREND, &[1.0, 0.0], &[0.25, 0.0025], 0.09, 40), -77.953390640218),
        ("trend + 4 seasons", statsmodels_like(&trend_seasonal(), &[1.0, 0.0, 1.0, 0.0, 0.0], &[0.25, 0.0025, 0.01, 0.0, 0.0], 0.09, 40), -31.321358545194443),
    ];
    for (name, model, want) in cases {
        let got = model.log_prob(&y).unwrap().to_scalar().unwrap();
        eprintln!("{name}: {got:.12} vs statsmodels {want:.12}");
        assert!(((got - want) / want).abs() < 1e-8, "{name}: {got} vs statsmodels {want}");
    }
}

/// The joint Gaussian of `(z_0..z_{T-1}, x_0..x_{T-1})` built by propagating the dense
/// covariance, conditioned on the observed `x` by a dense solve: the smoother's moments.
#[test]
fn smoothed_moments_equal_dense_gaussian_conditioning() {
    let (len, k) = (6usize, 2usize);
    let (q, r, p0) = ([0.3, 0.05], 0.2, [1.5, 0.4]);
    let mask = [false, false, true, false, false, false];
    let x: Vec<f64> = vec![0.4, 1.1, f64::NAN, 2.3, 2.2, 3.4];
    let model = LinearGaussianStateSpaceModel::new(
        len,
        t(&TREND, &[2, 2]),
        GaussianTerm::zero_mean(t(&[q[0], 0.0, 0.0, q[1]], &[2, 2])),
        t(&[1.0, 0.0], &[1, 2]),
        GaussianTerm::zero_mean(t(&[r], &[1, 1])),
        GaussianTerm::new(t(&[0.5, 0.2], &[2]), t(&[p0[0], 0.1, 0.1, p0[1]], &[2, 2])),
    )
    .unwrap()
    .with_mask(mask.to_vec())
    .unwrap();
    let (means, covs) = model.posterior_marginals(&t(&x, &[len, 1])).unwrap();
    // Dense joint: states stacked [z_0, ..., z_5] (12), observations (6).
    let nz = len * k;
    let dim = nz + len;
    let mut mu = vec![0.0; dim];
    let mut cov = vec![0.0; dim * dim];
    let a = [[1.0, 1.0], [0.0, 1.0]];
    // State means and covariances: Cov(z_s, z_t) = A^(t-s) Var(z_s) for s ≤ t.
    let mut var = vec![[[0.0; 2]; 2]; len];
    var[0] = [[p0[0], 0.1], [0.1, p0[1]]];
    let mut mean = vec![[0.0; 2]; len];
    mean[0] = [0.5, 0.2];
    let mat = |m: [[f64; 2]; 2], v: [[f64; 2]; 2]| -> [[f64; 2]; 2] { std::array::from_fn(|i| std::array::from_fn(|j| m[i][0] * v[0][j] + m[i][1] * v[1][j])) };
    let tr = |m: [[f64; 2]; 2]| -> [[f64; 2]; 2] { std::array::from_fn(|i| std::array::from_fn(|j| m[j][i])) };
    for s in 1..len {
        let p = mat(mat(a, var[s - 1]), tr(a));
        var[s] = [[p[0][0] + q[0], p[0][1]], [p[1][0], p[1][1] + q[1]]];
        mean[s] = [mean[s - 1][0] + mean[s - 1][1], mean[s - 1][1]];
    }
    for s in 0..len {
        mu[s * k] = mean[s][0];
        mu[s * k + 1] = mean[s][1];
        mu[nz + s] = mean[s][0];
        let mut c = var[s];
        for u in s..len {
            // c = Cov(z_u, z_s) = A^(u-s) Var(z_s)
            for i in 0..2 {
                for j in 0..2 {
                    cov[(u * k + i) * dim + s * k + j] = c[i][j];
                    cov[(s * k + j) * dim + u * k + i] = c[i][j];
                }
            }
            // Cov(x_u, z_s) = H c
            for j in 0..2 {
                cov[(nz + u) * dim + s * k + j] = c[0][j];
                cov[(s * k + j) * dim + nz + u] = c[0][j];
            }
            // Cov(z_u, x_s) = Cov(z_u, z_s) Hᵀ = c[.][0]
            for i in 0..2 {
                cov[(u * k + i) * dim + nz + s] = c[i][0];
                cov[(nz + s) * dim + u * k + i] = c[i][0];
            }
            // Cov(x_u, x_s) = H c Hᵀ (+ r on the diagonal)
            cov[(nz + u) * dim + nz + s] = c[0][0] + if u == s { r } else { 0.0 };
            cov[(nz + s) * dim + nz + u] = c[0][0] + if u == s { r } else { 0.0 };
            c = mat(a, c);
        }
    }
    let obs: Vec<usize> = (0..len).filter(|s| !mask[*s]).collect();
    let (no, zz) = (obs.len(), nz);
    let sxx: Vec<f64> = obs.iter().flat_map(|&i| obs.iter().map(move |&j| (i, j))).map(|(i, j)| cov[(nz + i) * dim + nz + j]).collect();
    let szx: Vec<f64> = (0..zz).flat_map(|i| obs.iter().map(move |&j| (i, j))).map(|(i, j)| cov[i * dim + nz + j]).collect();
    let resid: Vec<f64> = obs.iter().map(|&j| x[j] - mu[nz + j]).collect();
    let sxx_t = t(&sxx, &[no, no]);
    let chol = sxx_t.cholesky().unwrap();
    let w = chol.cholesky_solve(&t(&szx, &[zz, no]).matrix_transpose().unwrap()).unwrap(); // Σxx⁻¹ Σxz [no, zz]
    let post_mean = t(&resid, &[1, no]).matmul(&w).unwrap().to_vec().unwrap();
    let post_cov = t(&szx, &[zz, no]).matmul(&w).unwrap().to_vec().unwrap();
    let (m, c) = (means.to_vec().unwrap(), covs.to_vec().unwrap());
    for s in 0..len {
        for i in 0..k {
            let want = mu[s * k + i] + post_mean[s * k + i];
            assert!((m[s * k + i] - want).abs() < 1e-10, "smoothed mean z_{s}[{i}]: {} vs {want}", m[s * k + i]);
            for j in 0..k {
                let want = cov[(s * k + i) * dim + s * k + j] - post_cov[(s * k + i) * zz + s * k + j];
                assert!((c[s * k * k + i * k + j] - want).abs() < 1e-10, "smoothed cov z_{s}[{i},{j}]: {} vs {want}", c[s * k * k + i * k + j]);
            }
        }
    }
}

/// `log_prob` differentiates in the noise scales (finite differences); a batch of three series
/// gives each series' own log-likelihood.
#[test]
fn gradients_and_batches() {
    let y = series(12);
    let build = |scales: &Tensor| -> probrs::Result<LinearGaussianStateSpaceModel> {
        let (level, irregular) = (scales.narrow(0, 0, 1)?, scales.narrow(0, 1, 1)?);
        LinearGaussianStateSpaceModel::new(12, t(&[1.0], &[1, 1]), GaussianTerm::diag(&level)?, t(&[1.0], &[1, 1]), GaussianTerm::diag(&irregular)?, GaussianTerm::zero_mean(t(&[4.0], &[1, 1])))?
            .with_mask(Y[..12].iter().map(|v| v.is_none()).collect())
    };
    check_grad("log_prob wrt noise scales", |s| build(s)?.log_prob(&y), &[0.5, 0.3], &[2], 1e-6, 1e-6);
    let model = build(&t(&[0.5, 0.3], &[2])).unwrap();
    let shifted: Vec<Tensor> = (0..3).map(|i| y.add_scalar(i as f64).unwrap()).collect();
    let batch = Tensor::concat(&shifted.iter().map(|s| s.unsqueeze(0).unwrap()).collect::<Vec<_>>().iter().collect::<Vec<_>>(), 0).unwrap();
    let together = model.log_prob(&batch).unwrap().to_vec().unwrap();
    let alone: Vec<f64> = shifted.iter().map(|s| model.log_prob(s).unwrap().to_scalar().unwrap()).collect();
    assert_close(&together, &alone, 1e-12, 1e-12, "batch vs one at a time");
}

/// 4,000 simulated local-level series of 3 steps: their empirical covariance matches the
/// model's (`Var x_t = P_0 + t q + r`, `Cov(x_s, x_t) = P_0 + min(s, t) q`) within 0.15 — about
/// six standard errors, so a false failure is below 1e-6 (fixed seed: deterministic).
#[test]
fn samples_have_the_models_covariance() {
    let (q, r, p0) = (0.5, 0.2, 1.0);
    let model = LinearGaussianStateSpaceModel::new(3, t(&[1.0], &[1, 1]), GaussianTerm::zero_mean(t(&[q], &[1, 1])), t(&[1.0], &[1, 1]), GaussianTerm::zero_mean(t(&[r], &[1, 1])), GaussianTerm::zero_mean(t(&[p0], &[1, 1]))).unwrap();
    let x = model.sample(&[4000], Seed::new(9)).unwrap();
    assert_eq!(x.shape(), &[4000, 3, 1]);
    let v = x.to_vec().unwrap();
    for s in 0..3 {
        for u in 0..3 {
            let emp = (0..4000).map(|i| v[i * 3 + s] * v[i * 3 + u]).sum::<f64>() / 4000.0;
            let want = p0 + s.min(u) as f64 * q + if s == u { r } else { 0.0 };
            assert!((emp - want).abs() < 0.15, "Cov(x_{s}, x_{u}) {emp} vs {want}");
        }
    }
}

/// Forward filtering, backward sampling: 8,000 posterior trajectories of a local linear trend
/// (6 steps, one missing) have the smoother's means and variances at every step (means within
/// 5 standard errors, variances within 10%: a false failure below 1e-5; fixed seed), for two
/// series at once.
#[test]
fn posterior_samples_have_the_smoothed_moments() {
    let model = LinearGaussianStateSpaceModel::new(
        6,
        t(&TREND, &[2, 2]),
        GaussianTerm::zero_mean(t(&[0.3, 0.0, 0.0, 0.05], &[2, 2])),
        t(&[1.0, 0.0], &[1, 2]),
        GaussianTerm::zero_mean(t(&[0.2], &[1, 1])),
        GaussianTerm::zero_mean(t(&[1.5, 0.1, 0.1, 0.4], &[2, 2])),
    )
    .unwrap()
    .with_mask(vec![false, false, true, false, false, false])
    .unwrap();
    let x = t(&[0.4, 1.1, f64::NAN, 2.3, 2.2, 3.4, -0.4, -1.1, f64::NAN, -2.3, -2.2, -3.4], &[2, 6, 1]);
    let (means, covs) = model.posterior_marginals(&x).unwrap();
    let z = model.posterior_sample(&x, &[8000], Seed::new(21)).unwrap();
    assert_eq!(z.shape(), &[8000, 2, 6, 2]);
    let (zv, m, c) = (z.to_vec().unwrap(), means.to_vec().unwrap(), covs.to_vec().unwrap());
    for series in 0..2 {
        for s in 0..6 {
            for i in 0..2 {
                let vals: Vec<f64> = (0..8000).map(|d| zv[((d * 2 + series) * 6 + s) * 2 + i]).collect();
                let mean = vals.iter().sum::<f64>() / 8000.0;
                let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 7999.0;
                let (want_m, want_v) = (m[(series * 6 + s) * 2 + i], c[s * 4 + i * 3]);
                assert!((mean - want_m).abs() < 5.0 * (want_v / 8000.0).sqrt(), "series {series} step {s} coord {i}: mean {mean} vs {want_m}");
                assert!((var / want_v - 1.0).abs() < 0.1, "series {series} step {s} coord {i}: variance {var} vs {want_v}");
            }
        }
    }
}

/// TFP's components: `Sum([LocalLevel, LocalLinearTrend])` on the 40-point series with missing
/// values has TFP's default priors (scaled by the series' observed mean, standard deviation and
/// centered first value), stacks the components' terms block-diagonally, offsets observations
/// by the mean, and its log-likelihood differentiates in the parameters.
#[test]
fn components_build_the_additive_state_space_model() {
    use probrs::sts::{empirical_statistics, LocalLevel, LocalLinearTrend, StructuralTimeSeries, Sum};
    use std::sync::Arc;
    let y = series(40);
    let seen: Vec<f64> = Y.iter().flatten().copied().collect();
    let mean = seen.iter().sum::<f64>() / seen.len() as f64;
    let sd = (seen.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / seen.len() as f64).sqrt();
    let stats = empirical_statistics(&y, None).unwrap();
    assert_close(&[stats.mean, stats.stddev, stats.initial_centered], &[mean, sd, seen[0] - mean], 1e-12, 1e-12, "empirical statistics");
    let model = Sum::new(vec![Arc::new(LocalLevel::new(Some(&y), DType::F64).unwrap()), Arc::new(LocalLinearTrend::new(Some(&y), DType::F64).unwrap())], Some(&y), DType::F64).unwrap();
    let params = model.parameters();
    let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["observation_noise_scale", "LocalLevel_level_scale", "LocalLinearTrend_level_scale", "LocalLinearTrend_slope_scale"]);
    // Priors LogNormal(log(f σ), s): their medians are f σ; the bijectors map 0 to σ log 2.
    for (p, f) in params.iter().zip([0.01, 0.05, 0.05, 0.05]) {
        let median = p.prior.quantile(&Tensor::scalar(0.5, DType::F64).unwrap()).unwrap().to_scalar().unwrap();
        assert!((median - f * sd).abs() < 1e-10, "{}: prior median {median} vs {}", p.name, f * sd);
        let at_zero = p.bijector.forward(&Tensor::scalar(0.0, DType::F64).unwrap()).unwrap().to_scalar().unwrap();
        assert!((at_zero - sd * 2f64.ln()).abs() < 1e-12, "{}: bijector(0) {at_zero}", p.name);
    }
    let vals = |v: &[f64]| v.iter().map(|x| t(&[*x], &[1])).collect::<Vec<_>>();
    let theta = [0.3, 0.2, 0.1, 0.05];
    let ssm = model.make_state_space_model(40, &vals(&theta)).unwrap().with_mask(Y.iter().map(|v| v.is_none()).collect()).unwrap();
    // The same model by hand: states [level; level', slope], the offset moved onto the data.
    let ic = seen[0] - mean;
    let a = t(&[1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0], &[3, 3]);
    let q = t(&[0.04, 0.0, 0.0, 0.0, 0.01, 0.0, 0.0, 0.0, 0.0025], &[3, 3]);
    let p0 = t(&[(ic.abs() + sd).powi(2), 0.0, 0.0, 0.0, (ic.abs() + sd).powi(2), 0.0, 0.0, 0.0, sd * sd], &[3, 3]);
    let by_hand = LinearGaussianStateSpaceModel::new(40, a, GaussianTerm::zero_mean(q), t(&[1.0, 1.0, 0.0], &[1, 3]), GaussianTerm::zero_mean(t(&[0.09], &[1, 1])), GaussianTerm::new(t(&[ic, ic, 0.0], &[3]), p0))
        .unwrap()
        .with_mask(Y.iter().map(|v| v.is_none()).collect())
        .unwrap();
    let got = ssm.log_prob(&y).unwrap().to_scalar().unwrap();
    let want = by_hand.log_prob(&y.add_scalar(-mean).unwrap()).unwrap().to_scalar().unwrap();
    assert!((got - want).abs() < 1e-10 * want.abs(), "Sum {got} vs by hand {want}");
    check_grad(
        "log_prob of Sum's model wrt its parameters",
        |p| model.make_state_space_model(40, &(0..4).map(|i| p.narrow(0, i, 1)).collect::<probrs::Result<Vec<_>>>()?)?.with_mask(Y.iter().map(|v| v.is_none()).collect())?.log_prob(&y),
        &theta,
        &[4],
        1e-6,
        1e-6,
    );
}

#[test]
fn batches_of_parameter_draws() {
    // A structural model at S = 3 draws is a batch of three models: its log_prob equals each
    // draw's model alone, pairs a series batch of 3 with its members, broadcasts a batch of 1,
    // rejects other batch sizes by name; masks and burn-in reach every member; draws stack.
    use probrs::sts::{LocalLinearTrend, StructuralTimeSeries, Sum};
    use std::sync::Arc;
    let y = series(40);
    let flat = y.reshape(&[40]).unwrap();
    let model = Sum::new(vec![Arc::new(LocalLinearTrend::new(Some(&flat), DType::F64).unwrap())], Some(&flat), DType::F64).unwrap();
    let mask: Vec<bool> = Y.iter().map(|v| v.is_none()).collect();
    let draws = [t(&[0.5, 0.4, 0.6], &[3]), t(&[0.2, 0.3, 0.1], &[3]), t(&[0.05, 0.02, 0.03], &[3])];
    let batch = model.make_state_space_model(40, &draws).unwrap().with_mask(mask.clone()).unwrap().with_log_likelihood_burn(2);
    assert_eq!(batch.batch_shape(), vec![3]);
    let one = |s: usize| model.make_state_space_model(40, &draws.iter().map(|d| d.narrow(0, s, 1).unwrap()).collect::<Vec<_>>()).unwrap().with_mask(mask.clone()).unwrap().with_log_likelihood_burn(2);
    let alone: Vec<f64> = (0..3).map(|s| one(s).log_prob(&y).unwrap().to_scalar().unwrap()).collect();
    assert_eq!(batch.log_prob(&y).unwrap().to_vec().unwrap(), alone);
    // Three series paired with the three members; one series broadcast over them.
    let shifted = Tensor::concat(&[&y.unsqueeze(0).unwrap(), &y.add_scalar(1.0).unwrap().unsqueeze(0).unwrap(), &y.add_scalar(2.0).unwrap().unsqueeze(0).unwrap()], 0).unwrap();
    let paired = batch.log_prob(&shifted).unwrap().to_vec().unwrap();
    for s in 0..3 {
        assert_eq!(paired[s], one(s).log_prob(&shifted.narrow(0, s, 1).unwrap().squeeze(0).unwrap()).unwrap().to_scalar().unwrap());
    }
    assert_eq!(batch.log_prob(&y.unsqueeze(0).unwrap()).unwrap().to_vec().unwrap(), alone);
    let err = batch.log_prob(&Tensor::concat(&[&y.unsqueeze(0).unwrap(), &y.unsqueeze(0).unwrap()], 0).unwrap()).unwrap_err().to_string();
    assert!(err.contains("batch of 3 models"), "{err}");
    assert_eq!(batch.sample(&[5], Seed::new(1)).unwrap().shape(), &[5, 3, 40, 1]);
    assert!(batch.posterior_marginals(&y).unwrap_err().to_string().contains("members()"));
    // Gradients flow to each draw's values.
    let tracked: Vec<Tensor> = draws.iter().map(|d| d.tracked().unwrap()).collect();
    let lp = model.make_state_space_model(40, &tracked).unwrap().with_mask(mask).unwrap().log_prob(&y).unwrap().sum_all().unwrap();
    let g = lp.grad(&tracked.iter().collect::<Vec<_>>()).unwrap();
    assert!(g.iter().all(|g| g.as_ref().is_some_and(|g| g.shape() == [3] && g.to_vec().unwrap().iter().all(|x| x.is_finite() && *x != 0.0))));
}
