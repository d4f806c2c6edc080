//! TFP's `decompose_by_component` and `decompose_forecast_by_component`: how much each
//! component of a [`Sum`] contributes to the series, with its uncertainty.
//!
//! Per parameter draw, the smoother gives the latent state's posterior `N(m^s_t, P^s_t)` (for a
//! forecast: the forecast model's prior marginals, every step unobserved); component `c`
//! occupies a block of the state, so its contribution `h_c,t · z_c,t + d_c,t` is Gaussian with
//! mean `h_c m^s_t[c] + d_c,t` and variance `h_c P^s_t[c, c] h_cᵀ`. Over draws the contribution
//! is an equally weighted mixture ([`StepMixture`]), as TFP's returned `MixtureSameFamily`.

use super::structural_time_series::observed_moments;
use super::{Forecast, LinearGaussianStateSpaceModel, ObservedTimeSeries, StepMixture, StructuralTimeSeries, Sum};
use crate::distributions::Distribution;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// One component's contribution per step (module doc).
///
/// ```
/// use probrs::sts::{ComponentContribution, StepMixture};
/// let c = ComponentContribution { name: "trend".into(), distribution: StepMixture::new(vec![1.0, 3.0], vec![0.0, 0.0], 1)? };
/// assert_eq!((c.mean(), c.stddev()), (vec![2.0], vec![1.0]));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentContribution {
    /// The component's name.
    pub name: String,
    /// The contribution per step: a mixture over the parameter draws.
    pub distribution: StepMixture,
}

impl ComponentContribution {
    /// The mixture's mean per step.
    ///
    /// ```
    /// use probrs::sts::{ComponentContribution, StepMixture};
    /// let c = ComponentContribution { name: "c".into(), distribution: StepMixture::new(vec![1.0, 2.0, 3.0, 6.0], vec![1.0; 4], 2)? };
    /// assert_eq!(c.mean(), vec![2.0, 4.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn mean(&self) -> Vec<f64> {
        self.distribution.mean()
    }

    /// The mixture's standard deviation per step.
    ///
    /// ```
    /// use probrs::sts::{ComponentContribution, StepMixture};
    /// let c = ComponentContribution { name: "c".into(), distribution: StepMixture::new(vec![0.0, 2.0], vec![1.0, 1.0], 1)? };
    /// assert!((c.stddev()[0] - 2f64.sqrt()).abs() < 1e-15);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn stddev(&self) -> Vec<f64> {
        self.distribution.stddev()
    }
}

/// Each component's contribution to the observed series under the posterior (TFP's
/// `decompose_by_component`): `parameter_samples` holds one tensor per parameter of the sum,
/// each `[S]`.
///
/// ```
/// use probrs::sts::{decompose_by_component, LocalLinearTrend, ObservedTimeSeries, Seasonal, Sum};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let y = Tensor::vector(&(0..24).map(|t| 0.5 * t as f64 + [2.0, -1.0, 0.5, -1.5][t % 4]).collect::<Vec<_>>(), DType::F64)?;
/// let model = Sum::new(vec![Arc::new(LocalLinearTrend::new(Some(&y), DType::F64)?), Arc::new(Seasonal::new(4, Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
/// let draws: Vec<Tensor> = [0.1, 0.1, 0.01, 0.01].iter().map(|v| Tensor::vector(&[*v], DType::F64)).collect::<probrs::Result<_>>()?;
/// let parts = decompose_by_component(&model, &ObservedTimeSeries::new(&y)?, &draws)?;
/// assert_eq!((parts[0].name.as_str(), parts[1].name.as_str()), ("LocalLinearTrend", "Seasonal"));
/// // The seasonal part recovers the pattern (the trend takes the mean and slope).
/// let season = parts[1].mean();
/// assert!((season[20] - 2.0).abs() < 0.3 && (season[21] + 1.0).abs() < 0.3);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn decompose_by_component(model: &Sum, observed: &ObservedTimeSeries, parameter_samples: &[Tensor]) -> Result<Vec<ComponentContribution>> {
    let draws = super::forecast::check_draws(model, parameter_samples)?;
    let t_len = observed.num_timesteps();
    let mut acc = vec![(vec![], vec![]); model.components().len()];
    for vals in &draws {
        let ssm = model.make_state_space_model(t_len, vals)?.with_mask(observed.mask().to_vec())?;
        contributions(model, vals, &ssm, observed.values(), 0, &mut acc)?;
    }
    finish(model, acc, t_len)
}

/// Each component's contribution to a forecast (TFP's `decompose_forecast_by_component`):
/// `forecast` must come from [`forecast`](super::forecast) with the same `model` and
/// `parameter_samples`.
///
/// ```
/// use probrs::sts::{decompose_forecast_by_component, forecast, LocalLinearTrend, ObservedTimeSeries, Seasonal, Sum};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let y = Tensor::vector(&(0..24).map(|t| 0.5 * t as f64 + [2.0, -1.0, 0.5, -1.5][t % 4]).collect::<Vec<_>>(), DType::F64)?;
/// let model = Sum::new(vec![Arc::new(LocalLinearTrend::new(Some(&y), DType::F64)?), Arc::new(Seasonal::new(4, Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
/// let draws: Vec<Tensor> = [0.1, 0.1, 0.01, 0.01].iter().map(|v| Tensor::vector(&[*v], DType::F64)).collect::<probrs::Result<_>>()?;
/// let observed = ObservedTimeSeries::new(&y)?;
/// let f = forecast(&model, &observed, &draws, 8)?;
/// let parts = decompose_forecast_by_component(&model, &f, &draws)?;
/// // The components add up to the forecast (less the constant offset, the series' mean).
/// let total: Vec<f64> = (0..8).map(|h| parts.iter().map(|p| p.mean()[h]).sum::<f64>() + model.constant_offset()).collect();
/// let mean = f.mean()?.to_vec()?;
/// assert!(total.iter().zip(&mean).all(|(a, b)| (a - b).abs() < 1e-9));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn decompose_forecast_by_component(model: &Sum, forecast: &Forecast, parameter_samples: &[Tensor]) -> Result<Vec<ComponentContribution>> {
    let draws = super::forecast::check_draws(model, parameter_samples)?;
    let models = forecast.draw_models();
    if models.len() != draws.len() {
        return Err(Error::ShapeMismatch { context: "decompose_forecast_by_component: parameter draws vs the forecast's".into(), lhs: vec![draws.len()], rhs: vec![models.len()] });
    }
    let h = forecast.num_steps();
    let mut acc = vec![(vec![], vec![]); model.components().len()];
    for (vals, ahead) in draws.iter().zip(models) {
        let blank = Tensor::full(f64::NAN, &[h + 1, 1], ahead.dtype())?;
        contributions(model, vals, ahead, &blank, 1, &mut acc)?;
    }
    finish(model, acc, h)
}

/// Per component, the draws' means and standard deviations `[S, T]` as its contribution.
fn finish(model: &Sum, acc: Vec<(Vec<f64>, Vec<f64>)>, t_len: usize) -> Result<Vec<ComponentContribution>> {
    model.components().iter().zip(acc).map(|(c, (m, s))| Ok(ComponentContribution { name: c.name().to_string(), distribution: StepMixture::new(m, s, t_len)? })).collect()
}

/// Appends one draw's contributions of every component, from the smoothed state of `ssm` over
/// `x`, dropping the first `skip` steps.
fn contributions(model: &Sum, vals: &[Tensor], ssm: &LinearGaussianStateSpaceModel, x: &Tensor, skip: usize, out: &mut [(Vec<f64>, Vec<f64>)]) -> Result<()> {
    let (means, covs) = ssm.posterior_marginals(x)?;
    let (means, covs) = (means.to_vec()?, covs.to_vec()?);
    let (k, s0) = (ssm.latent_size(), ssm.initial_step());
    let mut offset = 0;
    for ((c, v), o) in model.components().iter().zip(model.split_parameter_values(vals)?).zip(out.iter_mut()) {
        let (mean, var) = observed_moments(&c.state_space_terms(v)?, s0, &means, &covs, k, offset)?;
        o.0.extend(mean.into_iter().skip(skip));
        o.1.extend(var.into_iter().skip(skip).map(|v| v.max(0.0).sqrt()));
        offset += c.latent_size();
    }
    Ok(())
}
