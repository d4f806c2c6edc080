//! TFP's per-step queries of a fitted structural model, each a [`StepMixture`] over the
//! parameter draws:
//!
//! - [`one_step_predictive`]: `p(x_t | x_<t)` at every observed step (the Kalman filter's
//!   predictive mean `h·m⁻_t + d_t` and variance `h P⁻_t hᵀ + r`);
//! - [`impute_missing_values`]: `p(x_t | x)` under the smoothed state (mean `h·m^s_t + d_t`,
//!   variance `h P^s_t hᵀ`, plus the observation noise `r` when asked), which fills gaps;
//! - [`detect_anomalies`]: the observed values whose one-step predictive tail probability
//!   `2 min(F(x_t), 1 − F(x_t))` falls below a threshold, with the predictive interval at that
//!   level (TFP's `detect_anomalies` fits its own default model first; here the caller's model
//!   and draws are used, so any fit works).

use super::forecast::check_draws;
use super::structural_time_series::observed_moments;
use super::{ObservedTimeSeries, StepMixture, StructuralTimeSeries};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// TFP's `one_step_predictive`: per step, the predictive distribution of `x_t` given the
/// values before it, mixed over the draws (`parameter_samples`: one tensor per parameter, each
/// `[S]`).
///
/// ```
/// use probrs::sts::{one_step_predictive, LocalLevel, ObservedTimeSeries, Sum};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let y = Tensor::vector(&[1.0, 1.2, 0.9, 1.1, 1.0], DType::F64)?;
/// let model = Sum::new(vec![Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
/// let draws = [Tensor::vector(&[0.1], DType::F64)?, Tensor::vector(&[0.05], DType::F64)?];
/// let p = one_step_predictive(&model, &ObservedTimeSeries::new(&y)?, &draws)?;
/// // After a few steps the prediction is close to the recent values.
/// assert!((p.mean()[4] - 1.05).abs() < 0.1);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn one_step_predictive(model: &dyn StructuralTimeSeries, observed: &ObservedTimeSeries, parameter_samples: &[Tensor]) -> Result<StepMixture> {
    let t_len = observed.num_timesteps();
    let (mut means, mut stddevs) = (Vec::new(), Vec::new());
    for vals in check_draws(model, parameter_samples)? {
        let ssm = model.make_state_space_model(t_len, &vals)?.with_mask(observed.mask().to_vec())?;
        let f = ssm.forward_filter(observed.values())?;
        means.extend(f.observation_means.to_vec()?);
        stddevs.extend(f.observation_covs.to_vec()?.into_iter().map(|v| v.max(0.0).sqrt()));
    }
    StepMixture::new(means, stddevs, t_len)
}

/// TFP's `impute_missing_values`: per step, the distribution of `x_t` given the whole series
/// (observed steps included), mixed over the draws; `include_observation_noise` adds the
/// observation noise (a draw of the value) rather than the denoised level.
///
/// ```
/// use probrs::sts::{impute_missing_values, LocalLevel, ObservedTimeSeries, Sum};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let y = Tensor::vector(&[1.0, 2.0, f64::NAN, 4.0, 5.0], DType::F64)?;
/// let model = Sum::new(vec![Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
/// let draws = [Tensor::vector(&[0.1], DType::F64)?, Tensor::vector(&[1.0], DType::F64)?];
/// let filled = impute_missing_values(&model, &ObservedTimeSeries::new(&y)?, &draws, false)?;
/// // The gap is filled between its neighbours, and is less certain than they are.
/// assert!((filled.mean()[2] - 3.0).abs() < 0.1);
/// assert!(filled.stddev()[2] > filled.stddev()[1]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn impute_missing_values(model: &dyn StructuralTimeSeries, observed: &ObservedTimeSeries, parameter_samples: &[Tensor], include_observation_noise: bool) -> Result<StepMixture> {
    let t_len = observed.num_timesteps();
    let (mut means, mut stddevs) = (Vec::new(), Vec::new());
    for vals in check_draws(model, parameter_samples)? {
        let terms = model.state_space_terms(&vals)?;
        let ssm = model.make_state_space_model(t_len, &vals)?.with_mask(observed.mask().to_vec())?;
        let (m, p) = ssm.posterior_marginals(observed.values())?;
        let (m, p) = (m.to_vec()?, p.to_vec()?);
        let (noise, offset) = match model.observation_noise(&vals)? {
            Some((scale, c)) => (scale.to_vec()?[0].powi(2), c),
            None => (0.0, 0.0),
        };
        let (mean, var) = observed_moments(&terms, 0, &m, &p, ssm.latent_size(), 0)?;
        means.extend(mean.iter().map(|m| m + offset));
        stddevs.extend(var.iter().map(|v| (v + if include_observation_noise { noise } else { 0.0 }).max(0.0).sqrt()));
    }
    StepMixture::new(means, stddevs, t_len)
}

/// What [`detect_anomalies`] found per step (TFP's `ProbabilisticAnomalyPredictions`).
///
/// ```
/// let _: fn(&probrs::sts::AnomalyPredictions) -> usize = |a| a.is_anomaly.iter().filter(|x| **x).count();
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AnomalyPredictions {
    /// The one-step predictive mean.
    pub mean: Vec<f64>,
    /// Its `threshold / 2` quantile.
    pub lower_limit: Vec<f64>,
    /// Its `1 − threshold / 2` quantile.
    pub upper_limit: Vec<f64>,
    /// `2 min(F(x_t), 1 − F(x_t))` under the predictive (NaN at missing steps).
    pub tail_probabilities: Vec<f64>,
    /// Observed steps whose tail probability is below the threshold.
    pub is_anomaly: Vec<bool>,
}

/// Flags the observed values the model finds improbable one step ahead (module doc):
/// `anomaly_threshold` in (0, 1) (TFP's default 0.01).
///
/// ```
/// use probrs::sts::{detect_anomalies, LocalLevel, ObservedTimeSeries, Sum};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let mut v: Vec<f64> = (0..40).map(|t| (t as f64 * 0.3).sin()).collect();
/// v[25] += 4.0; // a spike
/// let y = Tensor::vector(&v, DType::F64)?;
/// let model = Sum::new(vec![Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
/// let draws = [Tensor::vector(&[0.1], DType::F64)?, Tensor::vector(&[0.3], DType::F64)?];
/// let a = detect_anomalies(&model, &ObservedTimeSeries::new(&y)?, &draws, 0.01)?;
/// assert!(a.is_anomaly[25]);
/// assert!(a.lower_limit[10] < a.mean[10] && a.mean[10] < a.upper_limit[10]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn detect_anomalies(model: &dyn StructuralTimeSeries, observed: &ObservedTimeSeries, parameter_samples: &[Tensor], anomaly_threshold: f64) -> Result<AnomalyPredictions> {
    if !(anomaly_threshold > 0.0 && anomaly_threshold < 1.0) {
        return Err(Error::invalid_parameter("anomaly_threshold", format!("must be in (0, 1), got {anomaly_threshold}")));
    }
    let p = one_step_predictive(model, observed, parameter_samples)?;
    let x: Vec<f64> = observed.values().to_vec()?;
    let filled: Vec<f64> = x.iter().map(|v| if v.is_nan() { 0.0 } else { *v }).collect();
    let cdf = p.cdf(&filled)?;
    let tail: Vec<f64> = cdf.iter().zip(observed.mask()).map(|(f, m)| if *m { f64::NAN } else { 2.0 * f.min(1.0 - f) }).collect();
    Ok(AnomalyPredictions {
        mean: p.mean(),
        lower_limit: p.quantile(anomaly_threshold / 2.0)?,
        upper_limit: p.quantile(1.0 - anomaly_threshold / 2.0)?,
        is_anomaly: tail.iter().map(|t| *t < anomaly_threshold).collect(),
        tail_probabilities: tail,
    })
}
