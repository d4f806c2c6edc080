//! Structural time-series components against TFP: the log-likelihood of `Sum` models built
//! from each component with its default (data-driven) priors equals TFP's
//! `Sum(...).make_state_space_model(T, params).log_prob(y, mask=...)` on the 40-point series
//! with 4 missing values of `tests/sts_state_space.rs`. References computed with tfp-nightly
//! 0.26.0.dev20261027 (numpy substrate, float64), script in each test's comment.

mod common;
use common::check_grad;

use std::sync::Arc;

use probrs::distributions::Distribution;
use probrs::sts::{LocalLevel, LocalLinearTrend, Seasonal, SeasonalOptions, StepsPerSeason, StructuralTimeSeries, Sum};
use probrs::tensor::{DType, Tensor};

const Y: [f64; 40] = [
    6.033754, 4.769122, 5.145402, 4.090465, 6.147935, f64::NAN, f64::NAN, 4.48045, 5.906099, 4.988428, 5.761902, 4.351881, 6.68673, 4.972148, 5.62788, 5.237039, 6.240104, f64::NAN, 5.012197, 2.733172, 3.975945,
    2.258466, 2.701915, 1.443208, 3.603952, 2.225418, 2.195526, 1.000117, 2.135242, 0.950562, f64::NAN, -0.512716, 1.3568, -0.337854, 1.498886, -0.075165, 1.503589, 0.533375, 1.177089, 0.653356,
];

fn y() -> Tensor {
    Tensor::vector(&Y, DType::F64).unwrap()
}

fn mask() -> Vec<bool> {
    Y.iter().map(|v| v.is_nan()).collect()
}

fn seasonal(n: usize, o: SeasonalOptions) -> Arc<dyn StructuralTimeSeries> {
    Arc::new(Seasonal::with_options(n, o, Some(&y()), DType::F64).unwrap())
}

fn level() -> Arc<dyn StructuralTimeSeries> {
    Arc::new(LocalLevel::new(Some(&y()), DType::F64).unwrap())
}

/// The log-likelihood of `Sum(components)` at `params`, and the parameter names.
fn log_prob(components: Vec<Arc<dyn StructuralTimeSeries>>, params: &[f64]) -> (f64, Vec<String>) {
    let model = Sum::new(components, Some(&y()), DType::F64).unwrap();
    let vals: Vec<Tensor> = params.iter().map(|p| Tensor::vector(&[*p], DType::F64).unwrap()).collect();
    let ssm = model.make_state_space_model(40, &vals).unwrap().with_mask(mask()).unwrap();
    let lp = ssm.log_prob(&y().reshape(&[40, 1]).unwrap()).unwrap().to_scalar().unwrap();
    (lp, model.parameters().into_iter().map(|p| p.name).collect())
}

fn assert_rel(got: f64, want: f64, what: &str) {
    assert!(((got - want) / want).abs() < 1e-9, "{what}: {got} vs TFP {want}");
}

#[test]
fn trend_plus_seasonal_equals_tfp() {
    // sts.Sum([LocalLinearTrend(obs), Seasonal(4, obs)], obs), params [0.3, 0.2, 0.05, 0.1].
    let (lp, names) = log_prob(vec![Arc::new(LocalLinearTrend::new(Some(&y()), DType::F64).unwrap()), seasonal(4, SeasonalOptions::default())], &[0.3, 0.2, 0.05, 0.1]);
    assert_eq!(names, ["observation_noise_scale", "LocalLinearTrend_level_scale", "LocalLinearTrend_slope_scale", "Seasonal_drift_scale"]);
    assert_rel(lp, -44.02969618414658, "LocalLinearTrend + Seasonal(4)");
}

#[test]
fn seasons_of_different_lengths_equal_tfp() {
    // Seasonal(3, num_steps_per_season=[2, 1, 3], constrain_mean_effect_to_zero=False).
    let o = SeasonalOptions { num_steps_per_season: StepsPerSeason::PerSeason(vec![2, 1, 3]), constrain_mean_effect_to_zero: false, ..Default::default() };
    assert_rel(log_prob(vec![level(), seasonal(3, o)], &[0.3, 0.2, 0.15]).0, -117.5327655632347, "unconstrained seasons of 2, 1, 3 steps");
    // Seasonal(3, num_steps_per_season=[[1, 2, 1], [2, 1, 1]]) (constrained).
    let o = SeasonalOptions { num_steps_per_season: StepsPerSeason::Cycles(vec![vec![1, 2, 1], vec![2, 1, 1]]), ..Default::default() };
    assert_rel(log_prob(vec![level(), seasonal(3, o)], &[0.3, 0.2, 0.15]).0, -77.0121784912331, "constrained seasons varying by cycle");
}

#[test]
fn fixed_effects_and_two_named_seasonals_equal_tfp() {
    // Seasonal(5, allow_drift=False, initial_effect_prior=Normal(0.5, 2)).
    let o = SeasonalOptions { allow_drift: false, initial_effect_prior: Some((0.5, 2.0)), ..Default::default() };
    let (lp, names) = log_prob(vec![level(), seasonal(5, o)], &[0.3, 0.2]);
    assert_eq!(names, ["observation_noise_scale", "LocalLevel_level_scale"]);
    assert_rel(lp, -127.66332444222738, "seasonal effects without drift");
    // Seasonal(2, num_steps_per_season=3, name='slow') + Seasonal(3, name='fast').
    let slow = SeasonalOptions { num_steps_per_season: StepsPerSeason::Each(3), name: Some("slow".into()), ..Default::default() };
    let fast = SeasonalOptions { name: Some("fast".into()), ..Default::default() };
    let (lp, names) = log_prob(vec![level(), seasonal(2, slow), seasonal(3, fast)], &[0.3, 0.2, 0.1, 0.12]);
    assert_eq!(names[2..], ["slow_drift_scale", "fast_drift_scale"]);
    assert_rel(lp, -124.47842299936461, "two seasonal components");
}

#[test]
fn joint_initial_effects_prior_equals_tfp() {
    // Seasonal(4, initial_effect_prior=MultivariateNormal(loc, C)), constrained and free.
    let prior = (vec![0.5, -0.2, 0.1, 0.3], vec![1.0, 0.3, 0.0, 0.1, 0.3, 2.0, 0.2, 0.0, 0.0, 0.2, 1.5, 0.4, 0.1, 0.0, 0.4, 1.2]);
    let o = SeasonalOptions { initial_effects_prior: Some(prior.clone()), ..Default::default() };
    assert_rel(log_prob(vec![level(), seasonal(4, o)], &[0.3, 0.2, 0.1]).0, -47.36101301517178, "constrained, joint initial prior");
    let o = SeasonalOptions { initial_effects_prior: Some(prior), constrain_mean_effect_to_zero: false, ..Default::default() };
    assert_rel(log_prob(vec![level(), seasonal(4, o)], &[0.3, 0.2, 0.1]).0, -47.15590310298354, "free, joint initial prior");
    let bad = SeasonalOptions { initial_effects_prior: Some((vec![0.0; 4], vec![1.0; 15])), ..Default::default() };
    assert!(Seasonal::with_options(4, bad, None, DType::F64).err().unwrap().to_string().contains("initial_effects_prior"));
}

#[test]
fn seasonal_gradients_match_finite_differences() {
    let slow = SeasonalOptions { num_steps_per_season: StepsPerSeason::Each(3), name: Some("slow".into()), ..Default::default() };
    let model = Sum::new(vec![level(), seasonal(2, slow), seasonal(3, SeasonalOptions::default())], Some(&y()), DType::F64).unwrap();
    check_grad(
        "Sum with two seasonals",
        |p| model.make_state_space_model(40, &(0..4).map(|i| p.narrow(0, i, 1)).collect::<probrs::Result<Vec<_>>>()?)?.with_mask(mask())?.log_prob(&y().reshape(&[40, 1])?),
        &[0.3, 0.2, 0.1, 0.12],
        &[4],
        1e-6,
        1e-6,
    );
}

#[test]
fn bad_seasonal_input_is_a_typed_error() {
    let short = Tensor::vector(&Y[..5], DType::F64).unwrap();
    let o = SeasonalOptions { name: Some("month_of_year".into()), ..Default::default() };
    let err = Seasonal::with_options(12, o, Some(&short), DType::F64).err().unwrap().to_string();
    assert!(err.contains("month_of_year") && err.contains("5 steps") && err.contains("12 steps"), "{err}");
    assert!(Seasonal::new(1, None, DType::F64).is_err());
    let zero = SeasonalOptions { num_steps_per_season: StepsPerSeason::PerSeason(vec![1, 0]), ..Default::default() };
    assert!(Seasonal::with_options(2, zero, None, DType::F64).err().unwrap().to_string().contains("num_steps_per_season"));
    let wrong = SeasonalOptions { num_steps_per_season: StepsPerSeason::PerSeason(vec![1, 2, 3]), ..Default::default() };
    assert!(Seasonal::with_options(2, wrong, None, DType::F64).is_err());
    // A wrong number of parameter values names the component.
    let s = Seasonal::new(3, None, DType::F64).unwrap();
    assert!(s.state_space_terms(&[]).err().unwrap().to_string().contains("Seasonal"));
}

#[test]
fn co2_model_log_likelihood_and_gradient_equal_tfp_on_jax() {
    // benches/peers/sts_kalman_peers.py: Sum([LocalLinearTrend, Seasonal(12)]) on the monthly
    // CO2 record (526 months, the empty ones masked), TFP on JAX 0.10.2 (float64), the
    // log-likelihood and its gradient in the unconstrained parameters at scales
    // [0.1, 0.2, 0.02, 0.05].
    use probrs::sts::datasets::co2_monthly;
    let co2 = co2_monthly().unwrap();
    let t_len = co2.values.len();
    let y = Tensor::vector(&co2.values, DType::F64).unwrap();
    let model = Sum::new(vec![Arc::new(LocalLinearTrend::new(Some(&y), DType::F64).unwrap()), Arc::new(Seasonal::new(12, Some(&y), DType::F64).unwrap())], Some(&y), DType::F64).unwrap();
    let params = model.parameters();
    let u: Vec<f64> = params.iter().zip([0.1, 0.2, 0.02, 0.05]).map(|(p, v)| p.bijector.inverse(&Tensor::vector(&[v], DType::F64).unwrap()).unwrap().to_scalar().unwrap()).collect();
    let u = Tensor::vector(&u, DType::F64).unwrap().tracked().unwrap();
    let vals: Vec<Tensor> = params.iter().enumerate().map(|(i, p)| p.bijector.forward(&u.narrow(0, i, 1).unwrap()).unwrap()).collect();
    let mask = co2.values.iter().map(|v| v.is_nan()).collect();
    let lp = model.make_state_space_model(t_len, &vals).unwrap().with_mask(mask).unwrap().log_prob(&y.reshape(&[t_len, 1]).unwrap()).unwrap();
    assert_eq!((t_len, model.latent_size()), (526, 13));
    assert_rel(lp.to_scalar().unwrap(), -222.49435042896522, "CO2 log-likelihood");
    let g = lp.grad(&[&u]).unwrap()[0].clone().unwrap().to_vec().unwrap();
    for (got, want) in g.iter().zip([63.78601808467772, 75.75873234253076, -14.816180144177375, 8.600473116898224]) {
        assert_rel(*got, want, "CO2 gradient");
    }
}

/// The design matrix of the regression tests: `[sin(t/3), t/10]` for 45 steps (40 observed, 5
/// to forecast).
fn design(rows: usize) -> Tensor {
    let v: Vec<f64> = (0..rows).flat_map(|t| [(t as f64 / 3.0).sin(), t as f64 / 10.0]).collect();
    Tensor::from_slice(&v, &[rows, 2], DType::F64).unwrap()
}

#[test]
fn linear_regression_equals_tfp() {
    // Sum([LocalLevel(obs), LinearRegression(X)], obs) at (0.3, 0.2, [0.5, −0.3]); the prior of
    // the weights (StudentT(5, 0, 10) each); the forecast at two draws.
    use probrs::sts::{forecast, LinearRegression, ObservedTimeSeries};
    let reg = Arc::new(LinearRegression::new(&design(45), None, None).unwrap());
    let model = Sum::new(vec![level(), reg], Some(&y()), DType::F64).unwrap();
    assert_eq!(model.parameters()[2].name, "LinearRegression_weights");
    let vals = [Tensor::vector(&[0.3], DType::F64).unwrap(), Tensor::vector(&[0.2], DType::F64).unwrap(), Tensor::vector(&[0.5, -0.3], DType::F64).unwrap()];
    let lp = model.make_state_space_model(40, &vals).unwrap().with_mask(mask()).unwrap().log_prob(&y().reshape(&[40, 1]).unwrap()).unwrap().to_scalar().unwrap();
    assert_rel(lp, -128.12653523496877, "LocalLevel + LinearRegression");
    assert_rel(model.parameters()[2].prior.log_prob(&vals[2]).unwrap().to_scalar().unwrap(), -6.544448940628325, "weights prior");
    let draws = [Tensor::vector(&[0.3, 0.35], DType::F64).unwrap(), Tensor::vector(&[0.2, 0.25], DType::F64).unwrap(), Tensor::from_slice(&[0.5, -0.3, 0.4, -0.2], &[2, 2], DType::F64).unwrap()];
    let observed = ObservedTimeSeries::new(&y()).unwrap();
    let f = forecast(&model, &observed, &draws, 5).unwrap();
    common::assert_close(&f.mean().unwrap().to_vec().unwrap(), &[1.0187282177078616, 1.0825537512801227, 1.102223337210878, 1.072819474667158, 0.9948269677337951], 1e-9, 1e-9, "regression forecast mean");
    common::assert_close(&f.stddev().unwrap().to_vec().unwrap(), &[0.4588423714456135, 0.5119032733793124, 0.5597256773723611, 0.6035354827683561, 0.6442923522049921], 1e-9, 1e-9, "regression forecast sd");
    // Regressors that stop before the horizon: an error naming the component.
    let short = Sum::new(vec![level(), Arc::new(LinearRegression::new(&design(42), None, Some("promotions")).unwrap())], Some(&y()), DType::F64).unwrap();
    let err = forecast(&short, &observed, &draws, 5).unwrap_err().to_string();
    assert!(err.contains("promotions") && err.contains("42") && err.contains("45"), "{err}");
    // Fitting takes the vector parameter through the surrogate.
    let fit = probrs::sts::fit_with_vi(&model, &observed, 60, 0).unwrap();
    assert_eq!(fit.parameter_samples(&model, 7, 1).unwrap()[2].shape(), &[7, 2]);
}

/// `log p(y | θ)` of `Sum(components)` at `vals` (vectors allowed) and `Σ log p_i(θ_i)`.
fn log_prob_and_prior(components: Vec<Arc<dyn StructuralTimeSeries>>, vals: &[&[f64]]) -> (f64, f64, Vec<String>) {
    let model = Sum::new(components, Some(&y()), DType::F64).unwrap();
    let vals: Vec<Tensor> = vals.iter().map(|v| Tensor::vector(v, DType::F64).unwrap()).collect();
    let lp = model.make_state_space_model(40, &vals).unwrap().with_mask(mask()).unwrap().log_prob(&y().reshape(&[40, 1]).unwrap()).unwrap().to_scalar().unwrap();
    let prior: f64 = model.parameters().iter().zip(&vals).map(|(p, v)| {
        let v = if p.prior.event_shape().is_empty() { v.reshape(&[]).unwrap() } else { v.clone() };
        p.prior.log_prob(&v).unwrap().to_scalar().unwrap()
    }).sum();
    (lp, prior, model.parameters().into_iter().map(|p| p.name).collect())
}

#[test]
fn semi_local_trend_autoregressive_and_smooth_seasonal_equal_tfp() {
    use probrs::sts::{Autoregressive, SemiLocalLinearTrend, SmoothSeasonal};
    // SemiLocalLinearTrend at (0.3; level 0.2, slope_mean 0.1, slope 0.05, φ 0.7).
    let (lp, prior, names) = log_prob_and_prior(vec![Arc::new(SemiLocalLinearTrend::new(Some(&y()), DType::F64).unwrap())], &[&[0.3], &[0.2], &[0.1], &[0.05], &[0.7]]);
    assert_eq!(names[1..], ["SemiLocalLinearTrend_level_scale", "SemiLocalLinearTrend_slope_mean", "SemiLocalLinearTrend_slope_scale", "SemiLocalLinearTrend_autoregressive_coef"]);
    assert_rel(lp, -123.86505653024459, "SemiLocalLinearTrend");
    assert_rel(prior, -3.4592523090959926, "SemiLocalLinearTrend priors");
    // constrain_ar_coef_positive: φ through a sigmoid (TFP: forward(0.3) = 0.574442516811659).
    let positive = SemiLocalLinearTrend::new(Some(&y()), DType::F64).unwrap().with_ar_constraints(true, true);
    let phi = positive.parameters()[3].bijector.forward(&Tensor::scalar(0.3, DType::F64).unwrap()).unwrap().to_scalar().unwrap();
    assert!((phi - 0.574442516811659).abs() < 1e-12);
    // Autoregressive(order 2) at (0.3; [0.6, 0.2], 0.4), and AR(1) beside a local level.
    let ar2 = || Arc::new(Autoregressive::new(2, Some(&y()), DType::F64).unwrap()) as Arc<dyn StructuralTimeSeries>;
    let (lp, prior, _) = log_prob_and_prior(vec![ar2()], &[&[0.3], &[0.6, 0.2], &[0.4]]);
    assert_rel(lp, -93.19445447314965, "Autoregressive(2)");
    assert_rel(prior, -4.518134287723171, "Autoregressive(2) priors");
    let (lp, prior, _) = log_prob_and_prior(vec![level(), Arc::new(Autoregressive::new(1, Some(&y()), DType::F64).unwrap())], &[&[0.3], &[0.1], &[0.5], &[0.4]]);
    assert_rel(lp, -108.58052496322625, "LocalLevel + Autoregressive(1)");
    assert_rel(prior, -3.239390164874929, "LocalLevel + Autoregressive(1) priors");
    // SmoothSeasonal(period 6.5, multipliers [1, 2]) beside a local level.
    let (lp, prior, _) = log_prob_and_prior(vec![level(), Arc::new(SmoothSeasonal::new(6.5, &[1.0, 2.0], true, Some(&y()), DType::F64).unwrap())], &[&[0.3], &[0.2], &[0.05]]);
    assert_rel(lp, -131.79908318360202, "LocalLevel + SmoothSeasonal");
    assert_rel(prior, -0.7741348657892648, "LocalLevel + SmoothSeasonal priors");
    // Gradients through the AR coefficients and the semi-local drift (tracked transition
    // matrix and transition mean) match finite differences.
    let model = Sum::new(vec![Arc::new(SemiLocalLinearTrend::new(Some(&y()), DType::F64).unwrap()), ar2()], Some(&y()), DType::F64).unwrap();
    check_grad(
        "SemiLocalLinearTrend + Autoregressive(2)",
        |p| {
            let vals: Vec<Tensor> = [0, 1, 2, 3, 4].iter().map(|&i| p.narrow(0, i, 1)).chain([p.narrow(0, 5, 2), p.narrow(0, 7, 1)]).collect::<probrs::Result<_>>()?;
            model.make_state_space_model(40, &vals)?.with_mask(mask())?.log_prob(&y().reshape(&[40, 1])?)
        },
        &[0.3, 0.2, 0.1, 0.05, 0.7, 0.6, 0.2, 0.4],
        &[8],
        1e-6,
        1e-6,
    );
}

#[test]
fn dynamic_linear_regression_equals_tfp() {
    // Sum([LocalLevel(obs), DynamicLinearRegression(X, obs)], obs) at (0.3, 0.2, 0.05): the
    // log-likelihood, the priors, and the 5-step forecast (the design matrix covers it).
    use probrs::sts::{forecast, DynamicLinearRegression, ObservedTimeSeries};
    let dlr = || Arc::new(DynamicLinearRegression::new(&design(45), Some(&y()), None).unwrap()) as Arc<dyn StructuralTimeSeries>;
    let (lp, prior, names) = log_prob_and_prior(vec![level(), dlr()], &[&[0.3], &[0.2], &[0.05]]);
    assert_eq!(names[2], "DynamicLinearRegression_drift_scale");
    assert_rel(lp, -112.5317955303611, "LocalLevel + DynamicLinearRegression");
    assert_rel(prior, -0.7656560539082582, "DynamicLinearRegression priors");
    let model = Sum::new(vec![level(), dlr()], Some(&y()), DType::F64).unwrap();
    let draws: Vec<Tensor> = [0.3, 0.2, 0.05].iter().map(|x| Tensor::vector(&[*x], DType::F64).unwrap()).collect();
    let f = forecast(&model, &ObservedTimeSeries::new(&y()).unwrap(), &draws, 5).unwrap();
    common::assert_close(&f.mean().unwrap().to_vec().unwrap(), &[0.47524504303720017, 0.30747421579898493, 0.15990893116741933, 0.03479941313057644, -0.0680761822559135], 1e-9, 1e-9, "dynamic regression forecast mean");
    common::assert_close(&f.stddev().unwrap().to_vec().unwrap(), &[0.49322795178924045, 0.5914964108957619, 0.6769579700533807, 0.749942690770562, 0.8133868486727621], 1e-9, 1e-9, "dynamic regression forecast sd");
    assert!(forecast(&model, &ObservedTimeSeries::new(&y()).unwrap(), &draws, 6).unwrap_err().to_string().contains("DynamicLinearRegression"));
}

#[test]
fn sparse_linear_regression_equals_tfp() {
    // Sum([LocalLevel(obs), SparseLinearRegression(X)], obs) at (0.3, 0.2; global variance 0.8,
    // global 1.3, local variances [0.7, 2.0], local [0.4, 1.1], weights [1.5, −0.9]).
    use probrs::sts::SparseLinearRegression;
    let sparse = Arc::new(SparseLinearRegression::new(&design(45), None, None).unwrap());
    let (lp, prior, names) = log_prob_and_prior(vec![level(), sparse], &[&[0.3], &[0.2], &[0.8], &[1.3], &[0.7, 2.0], &[0.4, 1.1], &[1.5, -0.9]]);
    assert_eq!(names[6], "SparseLinearRegression_weights_noncentered");
    assert_rel(lp, -119.78235313271747, "LocalLevel + SparseLinearRegression");
    assert_rel(prior, -11.803321230423457, "SparseLinearRegression priors");
}

#[test]
fn arima_equals_tfp() {
    // TFP's AutoregressiveIntegratedMovingAverage(ar_order, ma_order, integration_degree):
    // (2, 1, 1) alone, (1, 0, 2) beside a local level, (0, 2, 0) alone.
    use probrs::sts::AutoregressiveIntegratedMovingAverage as Arima;
    let arima = |p, q, d| Arc::new(Arima::new(p, q, d, Some(&y()), DType::F64).unwrap()) as Arc<dyn StructuralTimeSeries>;
    let (lp, prior, names) = log_prob_and_prior(vec![arima(2, 1, 1)], &[&[0.3], &[0.5, -0.2], &[0.4], &[0.3]]);
    assert_eq!(names[1..], ["ARIMA_ar_coefficients", "ARIMA_ma_coefficients", "ARIMA_level_scale"]);
    assert_rel(lp, -119.25173803701792, "ARIMA(2, 1, 1)");
    assert_rel(prior, -5.197199837649813, "ARIMA(2, 1, 1) priors");
    let (lp, prior, _) = log_prob_and_prior(vec![level(), arima(1, 0, 2)], &[&[0.3], &[0.1], &[0.6], &[0.2]]);
    assert_rel(lp, -120.22005691867767, "LocalLevel + ARIMA(1, 2, 0)");
    assert_rel(prior, -2.514262353315866, "LocalLevel + ARIMA(1, 2, 0) priors");
    // ARIMA(1, 1, 1) with a level drift (prior N(0, 1)) at drift 0.2.
    let drifting = Arc::new(Arima::new(1, 1, 1, Some(&y()), DType::F64).unwrap().with_level_drift_prior(Arc::new(probrs::distributions::Normal::new(Tensor::scalar(0.0, DType::F64).unwrap(), Tensor::scalar(1.0, DType::F64).unwrap()).unwrap())).unwrap());
    let (lp, prior, names) = log_prob_and_prior(vec![drifting], &[&[0.3], &[0.5], &[0.4], &[0.2], &[0.3]]);
    assert_eq!(names[3], "ARIMA_level_drift");
    assert_rel(lp, -128.81635212410876, "ARIMA(1, 1, 1) with drift");
    assert_rel(prior, -5.197199837649813, "ARIMA(1, 1, 1) with drift priors");
    let (lp, prior, _) = log_prob_and_prior(vec![arima(0, 2, 0)], &[&[0.3], &[0.5, 0.3], &[0.5]]);
    assert_rel(lp, -134.67511820693304, "ARIMA(0, 0, 2)");
    assert_rel(prior, -4.7468248050953665, "ARIMA(0, 0, 2) priors");
}
