//! The seed overview's Layer 4 structural time series, as TFP's "Structural Time Series
//! modeling" tutorial runs it on the Mauna Loa CO2 record: a local linear trend plus a
//! 12-month seasonal effect, fitted by variational inference (the factored surrogate, 200 Adam
//! steps at learning rate 0.1), then a forecast of the held-out last ten years from 50 draws
//! of the fitted posterior, with 80% and 95% intervals. The held-out months check the
//! intervals: their coverage and the forecast's mean absolute error.

use std::sync::Arc;
use std::time::Instant;

use crate::error::Result;
use crate::sts::{datasets, decompose_by_component, decompose_forecast_by_component, fit_with_vi, forecast, LocalLinearTrend, ObservedTimeSeries, Seasonal, SeasonalOptions, StructuralTimeSeries, Sum};
use crate::tensor::{DType, Tensor};

/// The demo's settings; `Default` is TFP's tutorial's.
///
/// ```
/// let o = probrs::demo::StsOptions::default();
/// assert_eq!((o.num_variational_steps, o.num_draws, o.num_forecast_steps), (200, 50, 120));
/// ```
#[derive(Clone, Debug)]
pub struct StsOptions {
    /// Adam steps of the variational fit (200).
    pub num_variational_steps: usize,
    /// Posterior draws the forecast averages over (50).
    pub num_draws: usize,
    /// Months held out and forecast (120, ten years).
    pub num_forecast_steps: usize,
    /// Seed of the fit and the draws (0).
    pub seed: u64,
}

impl Default for StsOptions {
    fn default() -> Self {
        StsOptions { num_variational_steps: 200, num_draws: 50, num_forecast_steps: 120, seed: 0 }
    }
}

/// What [`sts_co2`] found.
///
/// ```
/// let _: fn(&probrs::demo::StsReport) -> f64 = |r| r.coverage_80;
/// ```
#[derive(Clone, Debug)]
pub struct StsReport {
    /// Every month's decimal year (training and held out).
    pub times: Vec<f64>,
    /// Every month's value (NaN where missing).
    pub observed: Vec<f64>,
    /// Months used for fitting (the rest are forecast).
    pub num_training: usize,
    /// The forecast mean per held-out month.
    pub mean: Vec<f64>,
    /// Its 10% quantile.
    pub lower_80: Vec<f64>,
    /// Its 90% quantile.
    pub upper_80: Vec<f64>,
    /// Its 2.5% quantile.
    pub lower_95: Vec<f64>,
    /// Its 97.5% quantile.
    pub upper_95: Vec<f64>,
    /// Each component's contribution (name, mean, standard deviation) over every month: the
    /// posterior decomposition of the training months, then the forecast's.
    pub components: Vec<(String, Vec<f64>, Vec<f64>)>,
    /// The negative ELBO per Adam step.
    pub losses: Vec<f64>,
    /// The posterior mean of each parameter (name, value) under the fitted surrogate.
    pub parameter_means: Vec<(String, f64)>,
    /// Mean absolute error of the forecast mean over the observed held-out months (ppm).
    pub mae: f64,
    /// Fraction of observed held-out months inside the 80% interval.
    pub coverage_80: f64,
    /// ... and inside the 95% interval.
    pub coverage_95: f64,
    /// Seconds for the variational fit.
    pub fit_seconds: f64,
    /// Seconds for the posterior draws and the forecast.
    pub forecast_seconds: f64,
}

/// Runs the demo (module doc).
///
/// ```
/// let r = probrs::demo::sts_co2(&probrs::demo::StsOptions::default())?;
/// assert!(r.coverage_80 > 0.5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn sts_co2(options: &StsOptions) -> Result<StsReport> {
    let co2 = datasets::co2_monthly()?;
    let n_train = co2.values.len() - options.num_forecast_steps;
    let train = Tensor::vector(&co2.values[..n_train], DType::F64)?;
    let trend = LocalLinearTrend::new(Some(&train), DType::F64)?;
    let seasonal = Seasonal::with_options(12, SeasonalOptions { name: Some("month_of_year".into()), ..Default::default() }, Some(&train), DType::F64)?;
    let model = Sum::new(vec![Arc::new(trend), Arc::new(seasonal)], Some(&train), DType::F64)?;
    let observed = ObservedTimeSeries::new(&train)?;
    let t0 = Instant::now();
    let fit = fit_with_vi(&model, &observed, options.num_variational_steps, options.seed)?;
    let fit_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let draws = fit.parameter_samples(&model, options.num_draws, options.seed.wrapping_add(2))?;
    let f = forecast(&model, &observed, &draws, options.num_forecast_steps)?;
    let (mean, lower_80, upper_80, lower_95, upper_95) = (f.mean()?.to_vec()?, f.quantile(0.1)?.to_vec()?, f.quantile(0.9)?.to_vec()?, f.quantile(0.025)?.to_vec()?, f.quantile(0.975)?.to_vec()?);
    let past = decompose_by_component(&model, &observed, &draws)?;
    let ahead = decompose_forecast_by_component(&model, &f, &draws)?;
    let components = past.iter().zip(&ahead).map(|(p, a)| (p.name.clone(), [p.mean(), a.mean()].concat(), [p.stddev(), a.stddev()].concat())).collect();
    let forecast_seconds = t1.elapsed().as_secs_f64();
    let held_out = &co2.values[n_train..];
    let seen: Vec<usize> = (0..held_out.len()).filter(|&i| !held_out[i].is_nan()).collect();
    let frac = |lo: &[f64], hi: &[f64]| seen.iter().filter(|&&i| lo[i] <= held_out[i] && held_out[i] <= hi[i]).count() as f64 / seen.len().max(1) as f64;
    let mae = seen.iter().map(|&i| (mean[i] - held_out[i]).abs()).sum::<f64>() / seen.len().max(1) as f64;
    let many = fit.parameter_samples(&model, 1000, options.seed.wrapping_add(3))?;
    let parameter_means = model.parameters().into_iter().zip(&many).map(|(p, d)| Ok((p.name, d.mean_all()?.to_scalar()?))).collect::<Result<_>>()?;
    Ok(StsReport {
        times: (0..co2.values.len()).map(|i| co2.decimal_year(i)).collect(),
        observed: co2.values.clone(),
        num_training: n_train,
        coverage_80: frac(&lower_80, &upper_80),
        coverage_95: frac(&lower_95, &upper_95),
        mean,
        lower_80,
        upper_80,
        lower_95,
        upper_95,
        components,
        losses: fit.losses,
        parameter_means,
        mae,
        fit_seconds,
        forecast_seconds,
    })
}
