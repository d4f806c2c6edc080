//! TFP's `tfp.sts.forecast`: the predictive distribution of the next `num_steps_forecast`
//! values given the observed series, averaged over draws of the parameters (an equally
//! weighted mixture, one component per draw).
//!
//! Per draw `θ_s`: the Kalman filter over the observed series gives the last state's
//! `N(m_{T−1}, P_{T−1})`; the forecast is the state-space model from step `T − 1` started
//! there, with every step unobserved, so step `T + h`'s predictive mean and variance are its
//! one-step-ahead moments (`h·m⁻ + d`, `h P⁻ hᵀ + r`, through the fused filter's forward pass).
//! The per-step marginals are a [`StepMixture`] (mean, variance, exact quantiles); samples pick
//! a draw uniformly and simulate the trajectory.

use super::structural_time_series::draw_value;
use super::{GaussianTerm, LinearGaussianStateSpaceModel, ObservedTimeSeries, StepMixture, StructuralTimeSeries};
use crate::distributions::Distribution;
use crate::error::{Error, Result};
use crate::random::{self, Seed};
use crate::tensor::{DType, Tensor};

/// The forecast distribution (module doc).
///
/// ```
/// use probrs::sts::{forecast, LocalLinearTrend, ObservedTimeSeries, Sum};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let y = Tensor::vector(&(0..24).map(|t| t as f64 + (t as f64).sin()).collect::<Vec<_>>(), DType::F64)?;
/// let model = Sum::new(vec![Arc::new(LocalLinearTrend::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
/// // Two draws of (observation noise, level scale, slope scale).
/// let draws = [Tensor::vector(&[0.5, 0.6], DType::F64)?, Tensor::vector(&[0.3, 0.2], DType::F64)?, Tensor::vector(&[0.05, 0.1], DType::F64)?];
/// let f = forecast(&model, &ObservedTimeSeries::new(&y)?, &draws, 6)?;
/// let mean = f.mean()?.to_vec()?;
/// assert_eq!(mean.len(), 6);
/// assert!(mean[5] > mean[0]); // the trend continues
/// let (lo, hi) = (f.quantile(0.1)?.to_vec()?, f.quantile(0.9)?.to_vec()?);
/// assert!(lo.iter().zip(&mean).zip(&hi).all(|((l, m), h)| l < m && m < h));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Forecast {
    /// Per draw: the model from the last observed step over the horizon (its first step is
    /// step `T − 1`, the rest the forecast).
    models: Vec<LinearGaussianStateSpaceModel>,
    /// Per step, the mixture of the draws' predictive normals.
    marginals: StepMixture,
    dtype: DType,
}

/// The forecast of `num_steps_forecast` steps after `observed` under `model`, averaged over
/// `parameter_samples` (one tensor per parameter in `model.parameters()` order, each
/// `[S, ...event]`, `[S]` for a scalar:
/// draws from a fitted surrogate or MCMC). A horizon of 0 is an error, as are parameter draws
/// of unequal counts or non-finite values.
///
/// ```
/// use probrs::sts::{forecast, LocalLevel, ObservedTimeSeries, Sum};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let y = Tensor::vector(&[1.0, 2.0, f64::NAN, 1.8], DType::F64)?;
/// let model = Sum::new(vec![Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
/// let draws = [Tensor::vector(&[0.3], DType::F64)?, Tensor::vector(&[0.2], DType::F64)?];
/// let f = forecast(&model, &ObservedTimeSeries::new(&y)?, &draws, 12)?;
/// // The uncertainty grows with the horizon.
/// let sd = f.stddev()?.to_vec()?;
/// assert!(sd[11] > sd[0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn forecast(model: &dyn StructuralTimeSeries, observed: &ObservedTimeSeries, parameter_samples: &[Tensor], num_steps_forecast: usize) -> Result<Forecast> {
    if num_steps_forecast == 0 {
        return Err(Error::invalid_parameter("num_steps_forecast", "the forecast horizon must be at least one step"));
    }
    let draws = check_draws(model, parameter_samples)?;
    let (t_len, dtype) = (observed.num_timesteps(), observed.dtype());
    super::structural_time_series::check_covers(model, t_len + num_steps_forecast)?;
    let mut models = Vec::with_capacity(draws.len());
    let (mut means, mut stddevs) = (Vec::new(), Vec::new());
    for vals in &draws {
        let ssm = model.make_state_space_model(t_len, vals)?.with_mask(observed.mask().to_vec())?;
        let filtered = ssm.forward_filter(observed.values())?;
        let k = filtered.filtered_covs.shape()[1];
        let last_mean = filtered.filtered_means.narrow(0, t_len - 1, 1)?.reshape(&[k])?;
        let last_cov = filtered.filtered_covs.narrow(0, t_len - 1, 1)?.reshape(&[k, k])?;
        let ahead = model
            .make_state_space_model(num_steps_forecast + 1, vals)?
            .with_initial_step(t_len - 1)
            .with_initial_state_prior(GaussianTerm::new(last_mean, last_cov))?
            .with_mask(vec![true; num_steps_forecast + 1])?;
        let blank = Tensor::full(f64::NAN, &[num_steps_forecast + 1, 1], dtype)?;
        let moments = ahead.forward_filter(&blank)?;
        means.extend(moments.observation_means.to_vec()?.into_iter().skip(1));
        stddevs.extend(moments.observation_covs.to_vec()?.into_iter().skip(1).map(|v| v.max(0.0).sqrt()));
        models.push(ahead);
    }
    Ok(Forecast { models, marginals: StepMixture::new(means, stddevs, num_steps_forecast)?, dtype })
}

/// The draws as per-draw value lists, checked: equal counts, finite values, detached (a
/// forecast is not differentiated).
pub(crate) fn check_draws(model: &dyn StructuralTimeSeries, parameter_samples: &[Tensor]) -> Result<Vec<Vec<Tensor>>> {
    let params = model.parameters();
    if parameter_samples.len() != params.len() {
        return Err(Error::ShapeMismatch { context: format!("{}: parameter samples (one tensor per parameter)", model.name()), lhs: vec![parameter_samples.len()], rhs: vec![params.len()] });
    }
    let size = |p: &super::Parameter| p.prior.event_shape().iter().product::<usize>().max(1);
    let s = match (parameter_samples.first(), params.first()) {
        (Some(v), Some(p)) => (v.elem_count() / size(p)).max(1),
        _ => 1,
    };
    let mut cols = Vec::with_capacity(params.len());
    for (v, p) in parameter_samples.iter().zip(&params) {
        let v = v.detach();
        if v.elem_count() != s * size(p) {
            return Err(Error::invalid_shape(format!("parameter samples of `{}`", p.name), v.shape(), format!("expected {s} draws of shape {:?}, as the first parameter", p.prior.event_shape())));
        }
        if let Some(i) = v.to_vec()?.iter().position(|x| !x.is_finite()) {
            return Err(Error::invalid_parameter(p.name.clone(), format!("draw {} is not finite", i / size(p))));
        }
        let mut shape = vec![s];
        shape.extend(p.prior.event_shape());
        cols.push(v.reshape(&shape)?);
    }
    (0..s).map(|i| cols.iter().zip(&params).map(|(c, p)| draw_value(c, i, &p.prior.event_shape())).collect()).collect()
}

impl Forecast {
    /// The number of forecast steps `H`.
    ///
    /// ```
    /// # use probrs::sts::{forecast, LocalLevel, ObservedTimeSeries, Sum};
    /// # use probrs::tensor::{DType, Tensor};
    /// # let y = Tensor::vector(&[1.0, 2.0, 1.5], DType::F64)?;
    /// # let model = Sum::new(vec![std::sync::Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
    /// let f = forecast(&model, &ObservedTimeSeries::new(&y)?, &[Tensor::vector(&[0.3], DType::F64)?, Tensor::vector(&[0.2], DType::F64)?], 4)?;
    /// assert_eq!((f.num_steps(), f.num_draws()), (4, 1));
    /// assert!(forecast(&model, &ObservedTimeSeries::new(&y)?, &[Tensor::vector(&[0.3], DType::F64)?, Tensor::vector(&[0.2], DType::F64)?], 0).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn num_steps(&self) -> usize {
        self.marginals.num_steps()
    }

    /// Per draw: the model over the last observed step and the horizon (every step masked) and
    /// the parameter values, for the decomposition of the forecast.
    pub(crate) fn draw_models(&self) -> &[LinearGaussianStateSpaceModel] {
        &self.models
    }

    /// The number of parameter draws `S` (mixture components).
    ///
    /// ```
    /// # use probrs::sts::{forecast, LocalLevel, ObservedTimeSeries, Sum};
    /// # use probrs::tensor::{DType, Tensor};
    /// # let y = Tensor::vector(&[1.0, 2.0, 1.5, 1.8], DType::F64)?;
    /// # let model = Sum::new(vec![std::sync::Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
    /// // Two draws of (observation noise scale, level scale).
    /// let f = forecast(&model, &ObservedTimeSeries::new(&y)?, &[Tensor::vector(&[0.3, 0.4], DType::F64)?, Tensor::vector(&[0.2, 0.1], DType::F64)?], 3)?;
    /// assert_eq!(f.num_draws(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn num_draws(&self) -> usize {
        self.models.len()
    }

    /// The per-step predictive mixture (draws' means and standard deviations, CDF, log-density,
    /// quantiles).
    ///
    /// ```
    /// # use probrs::sts::{forecast, LocalLevel, ObservedTimeSeries, Sum};
    /// # use probrs::tensor::{DType, Tensor};
    /// # let y = Tensor::vector(&[1.0, 2.0, 1.5, 1.8], DType::F64)?;
    /// # let model = Sum::new(vec![std::sync::Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
    /// // Two draws of (observation noise scale, level scale).
    /// let f = forecast(&model, &ObservedTimeSeries::new(&y)?, &[Tensor::vector(&[0.3, 0.4], DType::F64)?, Tensor::vector(&[0.2, 0.1], DType::F64)?], 3)?;
    /// assert_eq!(f.marginals().component(1, 0).0, f.component_means()?.to_vec()?[3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn marginals(&self) -> &StepMixture {
        &self.marginals
    }

    /// Each draw's predictive means `[S, H]`.
    ///
    /// ```
    /// # use probrs::sts::{forecast, LocalLevel, ObservedTimeSeries, Sum};
    /// # use probrs::tensor::{DType, Tensor};
    /// # let y = Tensor::vector(&[1.0, 2.0, 1.5, 1.8], DType::F64)?;
    /// # let model = Sum::new(vec![std::sync::Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
    /// // Two draws of (observation noise scale, level scale).
    /// let f = forecast(&model, &ObservedTimeSeries::new(&y)?, &[Tensor::vector(&[0.3, 0.4], DType::F64)?, Tensor::vector(&[0.2, 0.1], DType::F64)?], 3)?;
    /// assert_eq!(f.component_means()?.shape(), &[2, 3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn component_means(&self) -> Result<Tensor> {
        let (s, h) = (self.num_draws(), self.num_steps());
        let v: Vec<f64> = (0..s * h).map(|i| self.marginals.component(i / h, i % h).0).collect();
        Tensor::from_slice(&v, &[s, h], self.dtype)
    }

    /// Each draw's predictive standard deviations `[S, H]`.
    ///
    /// ```
    /// # use probrs::sts::{forecast, LocalLevel, ObservedTimeSeries, Sum};
    /// # use probrs::tensor::{DType, Tensor};
    /// # let y = Tensor::vector(&[1.0, 2.0, 1.5, 1.8], DType::F64)?;
    /// # let model = Sum::new(vec![std::sync::Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
    /// // Two draws of (observation noise scale, level scale).
    /// let f = forecast(&model, &ObservedTimeSeries::new(&y)?, &[Tensor::vector(&[0.3, 0.4], DType::F64)?, Tensor::vector(&[0.2, 0.1], DType::F64)?], 3)?;
    /// assert!(f.component_stddevs()?.to_vec()?.iter().all(|s| *s > 0.0));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn component_stddevs(&self) -> Result<Tensor> {
        let (s, h) = (self.num_draws(), self.num_steps());
        let v: Vec<f64> = (0..s * h).map(|i| self.marginals.component(i / h, i % h).1).collect();
        Tensor::from_slice(&v, &[s, h], self.dtype)
    }

    /// The predictive mean per step `[H]`.
    ///
    /// ```
    /// # use probrs::sts::{forecast, LocalLevel, ObservedTimeSeries, Sum};
    /// # use probrs::tensor::{DType, Tensor};
    /// # let y = Tensor::vector(&[1.0, 2.0, 1.5, 1.8], DType::F64)?;
    /// # let model = Sum::new(vec![std::sync::Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
    /// // Two draws of (observation noise scale, level scale).
    /// let f = forecast(&model, &ObservedTimeSeries::new(&y)?, &[Tensor::vector(&[0.3, 0.4], DType::F64)?, Tensor::vector(&[0.2, 0.1], DType::F64)?], 3)?;
    /// // A local level forecasts flat: the same mean at every step.
    /// let m = f.mean()?.to_vec()?;
    /// assert!((m[0] - m[2]).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn mean(&self) -> Result<Tensor> {
        Tensor::vector(&self.marginals.mean(), self.dtype)
    }

    /// The predictive variance per step `[H]` (mean of the draws' variances plus the variance
    /// of their means).
    ///
    /// ```
    /// # use probrs::sts::{forecast, LocalLevel, ObservedTimeSeries, Sum};
    /// # use probrs::tensor::{DType, Tensor};
    /// # let y = Tensor::vector(&[1.0, 2.0, 1.5, 1.8], DType::F64)?;
    /// # let model = Sum::new(vec![std::sync::Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
    /// // Two draws of (observation noise scale, level scale).
    /// let f = forecast(&model, &ObservedTimeSeries::new(&y)?, &[Tensor::vector(&[0.3, 0.4], DType::F64)?, Tensor::vector(&[0.2, 0.1], DType::F64)?], 3)?;
    /// // The mixture's variance is at least the average of the draws' variances.
    /// let avg: Vec<f64> = (0..3).map(|h| f.component_stddevs().unwrap().to_vec().unwrap().chunks(3).map(|c| c[h] * c[h]).sum::<f64>() / 2.0).collect();
    /// assert!(f.variance()?.to_vec()?.iter().zip(&avg).all(|(v, a)| v >= a));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn variance(&self) -> Result<Tensor> {
        Tensor::vector(&self.marginals.variance(), self.dtype)
    }

    /// The predictive standard deviation per step `[H]`.
    ///
    /// ```
    /// # use probrs::sts::{forecast, LocalLevel, ObservedTimeSeries, Sum};
    /// # use probrs::tensor::{DType, Tensor};
    /// # let y = Tensor::vector(&[1.0, 2.0, 1.5, 1.8], DType::F64)?;
    /// # let model = Sum::new(vec![std::sync::Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
    /// // Two draws of (observation noise scale, level scale).
    /// let f = forecast(&model, &ObservedTimeSeries::new(&y)?, &[Tensor::vector(&[0.3, 0.4], DType::F64)?, Tensor::vector(&[0.2, 0.1], DType::F64)?], 3)?;
    /// let (s, v) = (f.stddev()?.to_vec()?, f.variance()?.to_vec()?);
    /// assert!((s[1] * s[1] - v[1]).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn stddev(&self) -> Result<Tensor> {
        Tensor::vector(&self.marginals.stddev(), self.dtype)
    }

    /// The predictive `q`-quantile per step `[H]` (the mixture's CDF inverted by bisection to
    /// 1e-10 of the spread); `q` in (0, 1).
    ///
    /// ```
    /// # use probrs::sts::{forecast, LocalLevel, ObservedTimeSeries, Sum};
    /// # use probrs::tensor::{DType, Tensor};
    /// # let y = Tensor::vector(&[1.0, 2.0, 1.5, 1.8], DType::F64)?;
    /// # let model = Sum::new(vec![std::sync::Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
    /// // Two draws of (observation noise scale, level scale).
    /// let f = forecast(&model, &ObservedTimeSeries::new(&y)?, &[Tensor::vector(&[0.3, 0.4], DType::F64)?, Tensor::vector(&[0.2, 0.1], DType::F64)?], 3)?;
    /// let (lo, med, hi) = (f.quantile(0.1)?.to_vec()?, f.quantile(0.5)?.to_vec()?, f.quantile(0.9)?.to_vec()?);
    /// assert!(lo[0] < med[0] && med[0] < hi[0]);
    /// assert!(f.quantile(1.5).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn quantile(&self, q: f64) -> Result<Tensor> {
        Tensor::vector(&self.marginals.quantile(q)?, self.dtype)
    }

    /// `n` forecast trajectories `[n, H]`: each picks a parameter draw uniformly and simulates
    /// the model from the filtered last state.
    ///
    /// ```
    /// # use probrs::sts::{forecast, LocalLevel, ObservedTimeSeries, Sum};
    /// # use probrs::tensor::{DType, Tensor};
    /// # let y = Tensor::vector(&[1.0, 2.0, 1.5], DType::F64)?;
    /// # let model = Sum::new(vec![std::sync::Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
    /// let f = forecast(&model, &ObservedTimeSeries::new(&y)?, &[Tensor::vector(&[0.3, 0.4], DType::F64)?, Tensor::vector(&[0.2, 0.1], DType::F64)?], 4)?;
    /// let paths = f.sample(4000, probrs::random::Seed::new(0))?;
    /// assert_eq!(paths.shape(), &[4000, 4]);
    /// // The draws' mean is the forecast mean (standard error about 0.01 at the first step).
    /// let first: f64 = paths.narrow(1, 0, 1)?.mean_all()?.to_scalar()?;
    /// assert!((first - f.mean()?.to_vec()?[0]).abs() < 0.05);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sample(&self, n: usize, seed: Seed) -> Result<Tensor> {
        let (s, horizon) = (self.models.len(), self.num_steps());
        let seeds = seed.split(2);
        let (pick, sim) = (seeds[0], seeds[1]);
        let u = random::uniform(&[n], DType::F64, pick)?.to_vec()?;
        let mut counts = vec![0usize; s];
        for x in &u {
            counts[((x * s as f64) as usize).min(s - 1)] += 1;
        }
        let mut parts = Vec::new();
        for (i, (m, c)) in self.models.iter().zip(&counts).enumerate() {
            if *c > 0 {
                let paths = m.sample(&[*c], sim.fold_in(i as u64))?; // [c, H + 1, 1]
                parts.push(paths.narrow(1, 1, horizon)?.reshape(&[*c, horizon])?);
            }
        }
        Tensor::concat(&parts.iter().collect::<Vec<_>>(), 0)
    }
}

impl std::fmt::Debug for Forecast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forecast").field("num_steps", &self.num_steps()).field("num_draws", &self.models.len()).field("dtype", &self.dtype).finish()
    }
}
