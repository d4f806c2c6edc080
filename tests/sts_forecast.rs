//! Fitting and forecasting structural models:
//!
//! - `forecast`'s mean and standard deviation equal TFP's `tfp.sts.forecast` (tfp-nightly
//!   0.26.0.dev20261027, numpy substrate, float64) for a trend + seasonal model at two parameter
//!   draws on the 40-point series with missing values;
//! - `decompose_by_component` and `decompose_forecast_by_component` equal TFP's for the same
//!   model and draws;
//! - `one_step_predictive` and `impute_missing_values` equal TFP's; `detect_anomalies` flags
//!   exactly the values shifted into the tails of a simulated series;
//! - calibration: on 400 series simulated from a model, the exact predictive's 80% interval
//!   (true parameters) covers the value 5 steps ahead in 80% ± 7% of the series. Each series is
//!   an independent Bernoulli(0.8) trial, so the count's standard deviation is 2.0%: a false
//!   failure needs a 3.5σ excursion (rate about 5e-4; the seed is fixed, so the test is
//!   deterministic);
//! - a variational fit recovers the simulating observation noise, finds parameters at least as
//!   probable as the simulating ones, and its 95% forecast band holds the held-out values;
//! - float32 models equal float64 to rounding and fit and forecast end to end;
//! - bad input: horizon 0, unequal draws, non-finite draws, infinite observations, an all-missing
//!   series, quantile levels outside (0, 1).

mod common;
use common::assert_close;

use std::sync::Arc;

use probrs::distributions::Distribution;
use probrs::random::Seed;
use probrs::sts::{decompose_by_component, decompose_forecast_by_component, detect_anomalies, fit_with_vi, forecast, impute_missing_values, one_step_predictive, joint_log_prob, LocalLinearTrend, ObservedTimeSeries, Seasonal, StructuralTimeSeries, Sum};
use probrs::tensor::{DType, Tensor};

const Y: [f64; 40] = [
    6.033754, 4.769122, 5.145402, 4.090465, 6.147935, f64::NAN, f64::NAN, 4.48045, 5.906099, 4.988428, 5.761902, 4.351881, 6.68673, 4.972148, 5.62788, 5.237039, 6.240104, f64::NAN, 5.012197, 2.733172, 3.975945,
    2.258466, 2.701915, 1.443208, 3.603952, 2.225418, 2.195526, 1.000117, 2.135242, 0.950562, f64::NAN, -0.512716, 1.3568, -0.337854, 1.498886, -0.075165, 1.503589, 0.533375, 1.177089, 0.653356,
];

fn trend_seasonal(y: Option<&Tensor>) -> Sum {
    Sum::new(vec![Arc::new(LocalLinearTrend::new(y, DType::F64).unwrap()), Arc::new(Seasonal::new(4, y, DType::F64).unwrap())], y, DType::F64).unwrap()
}

fn v(x: &[f64]) -> Tensor {
    Tensor::vector(x, DType::F64).unwrap()
}

#[test]
fn forecast_equals_tfp() {
    let y = v(&Y);
    let model = trend_seasonal(Some(&y));
    let draws = [v(&[0.3, 0.35]), v(&[0.2, 0.25]), v(&[0.05, 0.04]), v(&[0.1, 0.12])];
    let f = forecast(&model, &ObservedTimeSeries::new(&y).unwrap(), &draws, 5).unwrap();
    assert_close(&f.mean().unwrap().to_vec().unwrap(), &[1.97405413805155, 0.7120633007644179, 1.5393060157054466, 0.4198909160185267, 2.0385009676847132], 1e-9, 1e-9, "forecast mean");
    assert_close(&f.stddev().unwrap().to_vec().unwrap(), &[0.5649577551258086, 0.6590207934425479, 0.753275074773279, 0.8471573700453314, 1.017610306495554], 1e-9, 1e-9, "forecast stddev");
    // Quantiles invert the mixture's CDF: with one draw, the Gaussian's.
    let one = forecast(&model, &ObservedTimeSeries::new(&y).unwrap(), &draws.iter().map(|d| d.narrow(0, 0, 1).unwrap()).collect::<Vec<_>>(), 5).unwrap();
    let (m, s, q) = (one.mean().unwrap().to_vec().unwrap(), one.stddev().unwrap().to_vec().unwrap(), one.quantile(0.9).unwrap().to_vec().unwrap());
    for h in 0..5 {
        assert!((q[h] - (m[h] + 1.2815515655446004 * s[h])).abs() < 1e-8, "step {h}: {} vs {}", q[h], m[h] + 1.2815515655446004 * s[h]);
    }
}

#[test]
fn decompositions_equal_tfp() {
    // tfp.sts.decompose_by_component / decompose_forecast_by_component with the two draws of
    // `forecast_equals_tfp` (mixture means and standard deviations).
    let y = v(&Y);
    let model = trend_seasonal(Some(&y));
    let draws = [v(&[0.3, 0.35]), v(&[0.2, 0.25]), v(&[0.05, 0.04]), v(&[0.1, 0.12])];
    let observed = ObservedTimeSeries::new(&y).unwrap();
    let parts = decompose_by_component(&model, &observed, &draws).unwrap();
    let at = |x: Vec<f64>| [0, 5, 20, 39].map(|i| x[i]);
    assert_close(&at(parts[0].mean()), &[1.8424025717186305, 1.931570006889336, 0.039830846259417754, -2.114295648107964], 1e-8, 1e-8, "trend mean");
    assert_close(&at(parts[0].stddev()), &[0.2620690743010253, 0.26424126869722026, 0.19288537999462305, 0.2632988162390719], 1e-8, 1e-8, "trend sd");
    assert_close(&at(parts[1].mean()), &[0.9400506058829229, -0.3791915279838328, 0.9083836278181263, -0.7656052377288949], 1e-8, 1e-8, "seasonal mean");
    // TFP builds each component's own model with its default observation noise, 1e-4 for the
    // constrained seasonal ("avoid degeneracy"), and its decomposition adds that variance
    // (1e-8): TFP's seasonal standard deviations are 3e-8 above the contribution's own.
    let tfp_sd = [0.17087447078388057f64, 0.16579627771315847, 0.13002351952971566, 0.1688147712099127];
    assert_close(&at(parts[1].stddev()), &tfp_sd.map(|s| (s * s - 1e-8).sqrt()), 1e-8, 1e-8, "seasonal sd");
    let f = forecast(&model, &observed, &draws, 5).unwrap();
    let ahead = decompose_forecast_by_component(&model, &f, &draws).unwrap();
    assert_close(&ahead[0].mean(), &[-2.0981839406996734, -2.0820722332913824, -2.0659605258830913, -2.0498488184748007, -2.03373711106651], 1e-8, 1e-8, "trend forecast mean");
    assert_close(&ahead[0].stddev(), &[0.3969080279754509, 0.5252537307428153, 0.6545935865837296, 0.7870449977499858, 0.9234894023860911], 1e-8, 1e-8, "trend forecast sd");
    assert_close(&ahead[1].mean(), &[0.836893106529001, -0.4412094381664218, 0.3699215693663157, -0.7656052377288949, 0.836893106529001], 1e-8, 1e-8, "seasonal forecast mean");
    let tfp_sd = [0.1865970195967891f64, 0.18785183711818979, 0.19380343668311287, 0.19403202565209476, 0.20968654635527878];
    assert_close(&ahead[1].stddev(), &tfp_sd.map(|s| (s * s - 1e-8).sqrt()), 1e-8, 1e-8, "seasonal forecast sd");
}

#[test]
fn one_step_predictions_and_imputations_equal_tfp() {
    // tfp.sts.one_step_predictive and impute_missing_values (with and without observation
    // noise) with the two draws of `forecast_equals_tfp`, at steps 0, 5 and 6 (missing), 20, 39.
    let y = v(&Y);
    let model = trend_seasonal(Some(&y));
    let draws = [v(&[0.3, 0.35]), v(&[0.2, 0.25]), v(&[0.05, 0.04]), v(&[0.1, 0.12])];
    let observed = ObservedTimeSeries::new(&y).unwrap();
    let at = |x: Vec<f64>| [0, 5, 6, 20, 39].map(|i| x[i]);
    let p = one_step_predictive(&model, &observed, &draws).unwrap();
    assert_close(&at(p.mean()), &[6.033754, 4.880208130956488, 5.25560098426811, 4.97141370326198, -0.24021104515591207], 1e-8, 1e-8, "one-step mean");
    assert_close(&at(p.stddev()), &[6.5311477890797835, 0.743652475903241, 0.8232310091466323, 0.5751281219903693, 0.5661281622429113], 1e-8, 1e-8, "one-step sd");
    let filled = impute_missing_values(&model, &observed, &draws, false).unwrap();
    assert_close(&at(filled.mean()), &[6.017798149823776, 4.787723451127725, 5.490809967251817, 4.183559446299766, 0.3554440863853634], 1e-8, 1e-8, "imputed mean");
    assert_close(&at(filled.stddev()), &[0.26680779844251656, 0.328999516080712, 0.3257157608782953, 0.2166328173682266, 0.26672951675660633], 1e-8, 1e-8, "imputed sd");
    let noisy = impute_missing_values(&model, &observed, &draws, true).unwrap();
    assert_close(&at(noisy.stddev()), &[0.4212320041375566, 0.46313138695335976, 0.460804467083954, 0.39138188200387536, 0.4211824249766516], 1e-8, 1e-8, "imputed sd with observation noise");
}

#[test]
fn anomalies_are_the_improbable_values() {
    // A simulated series with three values shifted by 6 predictive standard deviations: exactly
    // those are flagged at the 0.1% level; elsewhere the tail probabilities are uniform-ish.
    let model = trend_seasonal(None);
    let params = [v(&[0.3]), v(&[0.1]), v(&[0.01]), v(&[0.05])];
    let mut sim = model.make_state_space_model(120, &params).unwrap().sample(&[], Seed::new(11)).unwrap().to_vec().unwrap();
    for t in [30, 71, 100] {
        sim[t] += 6.0 * 0.35;
    }
    let observed = ObservedTimeSeries::new(&v(&sim)).unwrap();
    let a = detect_anomalies(&model, &observed, &params, 0.001).unwrap();
    let flagged: Vec<usize> = (0..120).filter(|&t| a.is_anomaly[t]).collect();
    assert_eq!(flagged, [30, 71, 100], "tail probabilities {:?}", [30, 71, 100].map(|t| a.tail_probabilities[t]));
    assert!(a.tail_probabilities.iter().all(|p| (0.0..=1.0).contains(p)));
    assert!(detect_anomalies(&model, &observed, &params, 0.0).is_err());
}

#[test]
fn exact_predictive_intervals_are_calibrated() {
    let model = trend_seasonal(None);
    let params = [v(&[0.5]), v(&[0.3]), v(&[0.05]), v(&[0.2])];
    let (t_len, ahead, series) = (40, 5, 400);
    let sims = model.make_state_space_model(t_len + ahead, &params).unwrap().sample(&[series], Seed::new(7)).unwrap().to_vec().unwrap();
    let mut covered = 0;
    for s in 0..series {
        let path = &sims[s * (t_len + ahead)..(s + 1) * (t_len + ahead)];
        let observed = ObservedTimeSeries::new(&v(&path[..t_len])).unwrap();
        let f = forecast(&model, &observed, &params, ahead).unwrap();
        let (lo, hi) = (f.quantile(0.1).unwrap().to_vec().unwrap()[ahead - 1], f.quantile(0.9).unwrap().to_vec().unwrap()[ahead - 1]);
        covered += (lo <= path[t_len + ahead - 1] && path[t_len + ahead - 1] <= hi) as usize;
    }
    let rate = covered as f64 / series as f64;
    assert!((rate - 0.8).abs() < 0.07, "80% intervals covered {rate}");
}

#[test]
fn variational_fit_recovers_the_scales_and_its_forecasts_cover() {
    // One long series simulated from the model; the fit's posterior means land near the
    // simulating scales (observation noise 0.5, level 0.3), and the loss falls.
    let truth = trend_seasonal(None);
    let params = [v(&[0.5]), v(&[0.3]), v(&[0.05]), v(&[0.2])];
    let sim = truth.make_state_space_model(300, &params).unwrap().sample(&[], Seed::new(3)).unwrap().reshape(&[300]).unwrap();
    let train = sim.narrow(0, 0, 280).unwrap();
    let model = trend_seasonal(Some(&train));
    let observed = ObservedTimeSeries::new(&train).unwrap();
    let fit = fit_with_vi(&model, &observed, 300, 0).unwrap();
    assert!(fit.losses[299] < fit.losses[0] - 100.0, "loss {} -> {}", fit.losses[0], fit.losses[299]);
    let draws = fit.parameter_samples(&model, 400, 1).unwrap();
    let means: Vec<f64> = draws.iter().map(|d| d.mean_all().unwrap().to_scalar().unwrap()).collect();
    // The observation noise is well identified; the level and slope scales trade off (this
    // series' posterior puts level 0.11, slope 0.08 against the simulating 0.3, 0.05), so the
    // check there is that the fit's joint density is at least the truth's (it is 3.5 higher).
    let at = |p: &[f64]| joint_log_prob(&model, &observed, &p.iter().map(|x| v(&[*x])).collect::<Vec<_>>()).unwrap().to_scalar().unwrap();
    assert!((means[0] - 0.5).abs() < 0.1, "posterior means {means:?}");
    assert!(at(&means) > at(&[0.5, 0.3, 0.05, 0.2]), "posterior means {means:?}");
    // The fitted joint density is finite at the draws, and the forecast's 95% band holds the
    // 20 held-out values but for at most 3.
    assert!(joint_log_prob(&model, &observed, &draws).unwrap().to_vec().unwrap().iter().all(|x| x.is_finite()));
    let f = forecast(&model, &observed, &fit.parameter_samples(&model, 50, 2).unwrap(), 20).unwrap();
    let (lo, hi, held) = (f.quantile(0.025).unwrap().to_vec().unwrap(), f.quantile(0.975).unwrap().to_vec().unwrap(), sim.narrow(0, 280, 20).unwrap().to_vec().unwrap());
    let outside = (0..20).filter(|&i| held[i] < lo[i] || held[i] > hi[i]).count();
    assert!(outside <= 3, "{outside} of 20 held-out values outside the 95% band");
}

#[test]
fn hmc_posterior_means_equal_quadrature() {
    // A local level model (observation noise 0.5, level 0.3) on 150 simulated steps has two
    // parameters, so its posterior is computed exactly on a grid: 120 × 120 points over the
    // unconstrained plane, joint density plus log-Jacobian. NUTS (2 chains × 600 draws after
    // 400 warm-up) matches the grid's posterior means within 4.5 Monte Carlo standard errors
    // (a false failure about 1e-5 per coordinate; fixed seeds), with R-hat below 1.02.
    use probrs::mcmc::{mcse_mean, rhat, NutsOptions};
    use probrs::sts::{fit_with_hmc, LocalLevel};
    let truth = Sum::new(vec![Arc::new(LocalLevel::new(None, DType::F64).unwrap())], None, DType::F64).unwrap();
    let y = truth.make_state_space_model(150, &[v(&[0.5]), v(&[0.3])]).unwrap().sample(&[], Seed::new(5)).unwrap().reshape(&[150]).unwrap();
    let model = Sum::new(vec![Arc::new(LocalLevel::new(Some(&y), DType::F64).unwrap())], Some(&y), DType::F64).unwrap();
    let observed = ObservedTimeSeries::new(&y).unwrap();
    let params = model.parameters();
    // The grid in unconstrained coordinates u, θ = bijector(u).
    let n = 120;
    let grid: Vec<f64> = (0..n).map(|i| -8.0 + 10.0 * (i as f64 + 0.5) / n as f64).collect();
    let (mut u0, mut u1) = (vec![], vec![]);
    for a in &grid {
        for b in &grid {
            u0.push(*a);
            u1.push(*b);
        }
    }
    let (u0, u1) = (v(&u0), v(&u1));
    let (t0, t1) = (params[0].bijector.forward(&u0).unwrap(), params[1].bijector.forward(&u1).unwrap());
    let lj = params[0].bijector.forward_log_det_jacobian(&u0, 0).unwrap().add(&params[1].bijector.forward_log_det_jacobian(&u1, 0).unwrap()).unwrap();
    let lp = joint_log_prob(&model, &observed, &[t0.clone(), t1.clone()]).unwrap().add(&lj).unwrap().to_vec().unwrap();
    let top = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = lp.iter().map(|l| (l - top).exp()).collect();
    let z: f64 = w.iter().sum();
    let (t0, t1) = (t0.to_vec().unwrap(), t1.to_vec().unwrap());
    let exact = [w.iter().zip(&t0).map(|(w, t)| w * t).sum::<f64>() / z, w.iter().zip(&t1).map(|(w, t)| w * t).sum::<f64>() / z];
    // The grid covers the posterior: the edges carry no mass.
    assert!(w.iter().enumerate().filter(|(i, _)| i % n == 0 || i % n == n - 1 || i / n == 0 || i / n == n - 1).all(|(_, w)| w / z < 1e-8));
    let options = NutsOptions { num_chains: 2, num_warmup: 400, num_draws: 600, seed: Seed::new(3), ..Default::default() };
    let fit = fit_with_hmc(&model, &observed, &options).unwrap();
    for (j, name) in ["observation_noise_scale", "LocalLevel_level_scale"].iter().enumerate() {
        let chains: Vec<Vec<f64>> = (0..2).map(|c| fit.run.column(c, name).unwrap()).collect();
        let mean = chains.concat().iter().sum::<f64>() / 1200.0;
        let (se, r) = (mcse_mean(&chains).unwrap(), rhat(&chains).unwrap());
        eprintln!("{name}: NUTS {mean:.5} ± {se:.5} (R-hat {r:.4}), quadrature {:.5}", exact[j]);
        assert!((mean - exact[j]).abs() < 4.5 * se, "{name}: NUTS {mean} ± {se} vs quadrature {}", exact[j]);
        assert!(r < 1.02, "{name}: R-hat {r}");
        assert_eq!(fit.parameter_samples[j].to_vec().unwrap(), chains.concat());
    }
    // The draws feed the forecast.
    assert_eq!(forecast(&model, &observed, &fit.parameter_samples, 3).unwrap().num_draws(), 1200);
}

#[test]
fn bad_forecast_input_is_a_typed_error() {
    let y = v(&Y);
    let model = trend_seasonal(Some(&y));
    let observed = ObservedTimeSeries::new(&y).unwrap();
    let draws = [v(&[0.3]), v(&[0.2]), v(&[0.05]), v(&[0.1])];
    assert!(forecast(&model, &observed, &draws, 0).unwrap_err().to_string().contains("num_steps_forecast"));
    let uneven = [v(&[0.3, 0.2]), v(&[0.2]), v(&[0.05]), v(&[0.1])];
    assert!(forecast(&model, &observed, &uneven, 3).unwrap_err().to_string().contains("LocalLinearTrend_level_scale"));
    let nan = [v(&[0.3]), v(&[f64::NAN]), v(&[0.05]), v(&[0.1])];
    assert!(forecast(&model, &observed, &nan, 3).unwrap_err().to_string().contains("LocalLinearTrend_level_scale"));
    assert!(forecast(&model, &observed, &draws[..3], 3).is_err());
    let f = forecast(&model, &observed, &draws, 3).unwrap();
    assert!(f.quantile(1.0).is_err() && f.quantile(0.0).is_err());
    let mut inf = Y;
    inf[3] = f64::INFINITY;
    assert!(ObservedTimeSeries::new(&v(&inf)).unwrap_err().to_string().contains("step 3"));
    assert!(ObservedTimeSeries::new(&v(&[f64::NAN; 5])).unwrap_err().to_string().contains("missing"));
    assert!(ObservedTimeSeries::new(&Tensor::zeros(&[3, 2], DType::F64).unwrap()).is_err());
    let _ = model.latent_size();
}

#[test]
fn float32_models_fit_and_forecast() {
    // The trend + seasonal model in float32: its log-likelihood equals float64's to float32
    // rounding, and a fit and forecast run end to end in float32.
    let y64 = v(&Y);
    let y32 = Tensor::vector(&Y, DType::F32).unwrap();
    let build = |y: &Tensor, d: DType| Sum::new(vec![Arc::new(LocalLinearTrend::new(Some(y), d).unwrap()), Arc::new(Seasonal::new(4, Some(y), d).unwrap())], Some(y), d).unwrap();
    let (m64, m32) = (build(&y64, DType::F64), build(&y32, DType::F32));
    let vals = |d: DType| [0.3, 0.2, 0.05, 0.1].iter().map(|x| Tensor::vector(&[*x], d).unwrap()).collect::<Vec<_>>();
    let o64 = ObservedTimeSeries::new(&y64).unwrap();
    let o32 = ObservedTimeSeries::new(&y32).unwrap();
    let a = joint_log_prob(&m64, &o64, &vals(DType::F64)).unwrap().to_vec().unwrap()[0];
    let b32 = joint_log_prob(&m32, &o32, &vals(DType::F32)).unwrap();
    assert_eq!(b32.dtype(), DType::F32);
    let b = b32.to_vec().unwrap()[0];
    assert!(((a - b) / a).abs() < 1e-5, "float64 {a} vs float32 {b}");
    let fit = fit_with_vi(&m32, &o32, 50, 0).unwrap();
    let f = forecast(&m32, &o32, &fit.parameter_samples(&m32, 10, 1).unwrap(), 4).unwrap();
    assert_eq!(f.mean().unwrap().dtype(), DType::F32);
    assert!(f.mean().unwrap().to_vec().unwrap().iter().all(|x| x.is_finite()));
}
