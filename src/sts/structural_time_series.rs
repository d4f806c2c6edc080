//! TFP's `StructuralTimeSeries` interface: a component is a set of named parameters, each with a
//! prior and a constraining bijector, and the linear-Gaussian state-space terms it contributes
//! at given parameter values. `Sum` stacks components' terms block-diagonally and adds the
//! observation noise; [`StructuralTimeSeries::make_state_space_model`] turns the terms into a
//! [`LinearGaussianStateSpaceModel`].
//!
//! [`empirical_statistics`] gives the observed series' mean, standard deviation and centered
//! first value, from which the components' default priors are scaled (TFP's heuristics).

use std::sync::Arc;

use super::{GaussianTerm, LinearGaussianStateSpaceModel, TimeVarying};
use crate::bijectors::{Bijector, Chain, Scale, Softplus};
use crate::distributions::{Distribution, LogNormal};
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

/// A component's parameter: its name, prior and the bijector from unconstrained reals to its
/// support (TFP's `sts.Parameter`).
///
/// ```
/// use probrs::sts::{LocalLevel, StructuralTimeSeries};
/// let p = &LocalLevel::new(None, probrs::tensor::DType::F64)?.parameters()[0];
/// assert_eq!(p.name, "level_scale");
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Parameter {
    /// The parameter's name (a `Sum` prefixes its component's name).
    pub name: String,
    /// Its prior.
    pub prior: Arc<dyn Distribution>,
    /// Unconstrained reals to the parameter's support.
    pub bijector: Arc<dyn Bijector>,
}

/// The state-space terms a component contributes at given parameter values: transition
/// `A_t [k, k]`, transition noise covariance `Q_t [k, k]` and mean `b_t [k]`, observation row
/// `H_t [1, k]`, an
/// optional observation offset `d_t [1]` (a regression's `X_t β`), and its initial-state prior
/// `N(μ_0 [k], P_0 [k, k])`. The first four may vary in time ([`TimeVarying`]; TFP's callables
/// of `t`), where `A_t` and `Q_t` move the state from step `t` to `t + 1`.
///
/// ```
/// use probrs::sts::{LocalLevel, StructuralTimeSeries};
/// use probrs::tensor::{DType, Tensor};
/// let terms = LocalLevel::new(None, DType::F64)?.state_space_terms(&[Tensor::vector(&[0.5], DType::F64)?])?;
/// assert_eq!(terms.transition_covariance.at(0)?.to_vec()?, vec![0.25]);
/// assert!(terms.observation_loc.is_none());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct StateSpaceTerms {
    /// `A_t [k, k]`.
    pub transition_matrix: TimeVarying,
    /// `Q_t [k, k]`.
    pub transition_covariance: TimeVarying,
    /// `b_t [k]`, the transition noise's mean (`None`: zero; a semi-local trend's drift).
    pub transition_loc: Option<TimeVarying>,
    /// `H_t [1, k]`.
    pub observation_matrix: TimeVarying,
    /// `d_t [1]` added to the observation (`None`: zero).
    pub observation_loc: Option<TimeVarying>,
    /// `μ_0 [k]`.
    pub initial_loc: Tensor,
    /// `P_0 [k, k]`.
    pub initial_covariance: Tensor,
}

/// Terms that are the same at every step (most components).
pub(crate) fn constant_terms(transition_matrix: Tensor, transition_covariance: Tensor, observation_matrix: Tensor, initial_loc: Tensor, initial_covariance: Tensor) -> StateSpaceTerms {
    StateSpaceTerms {
        transition_matrix: transition_matrix.into(),
        transition_covariance: transition_covariance.into(),
        transition_loc: None,
        observation_matrix: observation_matrix.into(),
        observation_loc: None,
        initial_loc,
        initial_covariance,
    }
}

/// A structural time-series component (TFP's `tfp.sts.StructuralTimeSeries`).
///
/// ```
/// use probrs::sts::{LocalLinearTrend, StructuralTimeSeries};
/// use probrs::tensor::DType;
/// let trend = LocalLinearTrend::new(None, DType::F64)?;
/// assert_eq!((trend.name(), trend.latent_size()), ("LocalLinearTrend", 2));
/// assert_eq!(trend.parameters().iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["level_scale", "slope_scale"]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait StructuralTimeSeries: Send + Sync {
    /// The component's name.
    fn name(&self) -> &str;
    /// Its state size `k`.
    fn latent_size(&self) -> usize;
    /// Its parameters, in the order `state_space_terms` takes their values.
    fn parameters(&self) -> Vec<Parameter>;
    /// Its state-space terms at `param_vals` (one tensor per parameter, each of the
    /// parameter's shape).
    fn state_space_terms(&self, param_vals: &[Tensor]) -> Result<StateSpaceTerms>;
    /// The number of steps the component can model from step 0 (a regression's design matrix
    /// rows) and the name of the component that limits it, `None` when unbounded; fitting and
    /// forecasting past it is an error naming that component.
    ///
    /// ```
    /// use probrs::sts::{LocalLevel, StructuralTimeSeries};
    /// assert_eq!(LocalLevel::new(None, probrs::tensor::DType::F64)?.max_timesteps(), None);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn max_timesteps(&self) -> Option<(usize, String)> {
        None
    }
    /// The observation noise's standard deviation and the constant added to every observation,
    /// when the model has them (`Sum`); a single component observes its state exactly.
    fn observation_noise(&self, param_vals: &[Tensor]) -> Result<Option<(Tensor, f64)>> {
        let _ = param_vals;
        Ok(None)
    }
    /// The model over `num_timesteps` steps at `param_vals` (TFP's `make_state_space_model`);
    /// values with a leading axis of `S > 1` draws (`[S, ...event]`) give a batch of `S`
    /// models (`LinearGaussianStateSpaceModel::stack`, `batch_shape = [S]`).
    ///
    /// ```
    /// use probrs::distributions::Distribution;
    /// use probrs::sts::{LocalLevel, StructuralTimeSeries};
    /// use probrs::tensor::{DType, Tensor};
    /// let ssm = LocalLevel::new(None, DType::F64)?.make_state_space_model(10, &[Tensor::vector(&[0.3], DType::F64)?])?;
    /// assert_eq!(ssm.event_shape(), vec![10, 1]);
    /// // Three draws of the level scale: a batch of three models.
    /// let batch = LocalLevel::new(None, DType::F64)?.make_state_space_model(10, &[Tensor::vector(&[0.3, 0.4, 0.5], DType::F64)?])?;
    /// assert_eq!(batch.batch_shape(), vec![3]);
    /// assert_eq!(batch.log_prob(&Tensor::zeros(&[10, 1], DType::F64)?)?.shape(), &[3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn make_state_space_model(&self, num_timesteps: usize, param_vals: &[Tensor]) -> Result<LinearGaussianStateSpaceModel> {
        check_covers(self, num_timesteps)?;
        // `[S, ...event]` values for S > 1 draws: a batch of models, one per draw.
        let params = self.parameters();
        let size = |p: &Parameter| p.prior.event_shape().iter().product::<usize>().max(1);
        let draws = match (param_vals.first(), params.first()) {
            (Some(v), Some(p)) if param_vals.len() == params.len() => v.elem_count() / size(p),
            _ => 1,
        };
        if draws > 1 && param_vals.iter().zip(&params).all(|(v, p)| v.elem_count() == draws * size(p)) {
            let members = (0..draws)
                .map(|s| {
                    let vals: Vec<Tensor> = param_vals.iter().zip(&params).map(|(v, p)| {
                        let mut shape = vec![draws];
                        shape.extend(p.prior.event_shape());
                        draw_value(&v.reshape(&shape)?, s, &p.prior.event_shape())
                    }).collect::<Result<_>>()?;
                    self.make_state_space_model(num_timesteps, &vals)
                })
                .collect::<Result<Vec<_>>>()?;
            return LinearGaussianStateSpaceModel::stack(members);
        }
        let terms = self.state_space_terms(param_vals)?;
        let dtype = terms.initial_loc.dtype();
        let (covariance, offset) = match self.observation_noise(param_vals)? {
            Some((scale, offset)) => (scale.reshape(&[1, 1])?.square()?, offset),
            None => (Tensor::zeros(&[1, 1], dtype)?, 0.0),
        };
        let noise = match (terms.observation_loc, offset != 0.0) {
            (Some(loc), true) => GaussianTerm::new(loc.map(move |v| v.add_scalar(offset))?, covariance),
            (Some(loc), false) => GaussianTerm::new(loc, covariance),
            (None, true) => GaussianTerm::new(Tensor::full(offset, &[1], dtype)?, covariance),
            (None, false) => GaussianTerm::zero_mean(covariance),
        };
        let transition_noise = match terms.transition_loc {
            Some(b) => GaussianTerm::new(b, terms.transition_covariance),
            None => GaussianTerm::zero_mean(terms.transition_covariance),
        };
        LinearGaussianStateSpaceModel::new(num_timesteps, terms.transition_matrix, transition_noise, terms.observation_matrix, noise, GaussianTerm::new(terms.initial_loc, terms.initial_covariance))
    }
}

/// Per step `t` in `first..first + len`, the mean `h_t · m_t[block] + d_t` and variance
/// `h_t P_t[block, block] h_tᵀ` of what `terms` observe of the state block at `offset`, from
/// state moments `means [len, k]`, `covs [len, k, k]` (the smoothed state of a decomposition or
/// an imputation).
pub(crate) fn observed_moments(terms: &StateSpaceTerms, first: usize, means: &[f64], covs: &[f64], k: usize, offset: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    let len = means.len() / k.max(1);
    let (h_vals, h_idx) = terms.observation_matrix.resolve(first, len)?;
    let (h_vals, kc) = (h_vals.to_vec()?, terms.initial_loc.elem_count());
    let d: Vec<f64> = match &terms.observation_loc {
        Some(l) => {
            let (v, idx) = l.resolve(first, len)?;
            let v = v.to_vec()?;
            idx.iter().map(|i| v[*i]).collect()
        }
        None => vec![0.0; len],
    };
    let (mut mean, mut var) = (Vec::with_capacity(len), Vec::with_capacity(len));
    for t in 0..len {
        let h = &h_vals[h_idx[t] * kc..(h_idx[t] + 1) * kc];
        mean.push(h.iter().zip(&means[t * k + offset..t * k + offset + kc]).map(|(a, b)| a * b).sum::<f64>() + d[t]);
        let mut v = 0.0;
        for (i, hi) in h.iter().enumerate() {
            for (j, hj) in h.iter().enumerate() {
                v += hi * covs[t * k * k + (offset + i) * k + offset + j] * hj;
            }
        }
        var.push(v);
    }
    Ok((mean, var))
}

/// Draw `s` of a parameter's values `[S, ...event]`: `[1]` for a scalar (what the components
/// take), the event shape otherwise.
pub(crate) fn draw_value(values: &Tensor, s: usize, event: &[usize]) -> Result<Tensor> {
    let v = values.narrow(0, s, 1)?;
    if event.is_empty() {
        v.reshape(&[1])
    } else {
        v.reshape(event)
    }
}

/// Checks that `model` can model steps `0..steps` (module doc of `max_timesteps`).
pub(crate) fn check_covers(model: &(impl StructuralTimeSeries + ?Sized), steps: usize) -> Result<()> {
    match model.max_timesteps() {
        Some((m, name)) if m < steps => Err(Error::invalid_parameter(
            name,
            format!("covers {m} steps (its design matrix's rows), but {steps} are needed: give regressors for every observed and forecast step"),
        )),
        _ => Ok(()),
    }
}

/// Statistics of an observed series for default priors (TFP's `empirical_statistics`).
///
/// ```
/// let s = probrs::sts::EmpiricalStatistics { mean: 0.0, stddev: 1.0, initial_centered: 0.0 };
/// assert_eq!(s.stddev, 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EmpiricalStatistics {
    /// Mean of the observed values.
    pub mean: f64,
    /// Their (population) standard deviation; 1 for a constant or empty series.
    pub stddev: f64,
    /// The first observed value minus the mean.
    pub initial_centered: f64,
}

/// TFP's `empirical_statistics` of a series `[T]` or `[T, 1]`: moments over the values not
/// missing (`mask` true, or NaN), the first observed value centered; an all-missing series gives
/// `(0, 1, 0)` and a constant one a standard deviation of 1.
///
/// ```
/// use probrs::sts::empirical_statistics;
/// use probrs::tensor::{DType, Tensor};
/// let y = Tensor::vector(&[f64::NAN, 2.0, 4.0, 6.0], DType::F64)?;
/// let s = empirical_statistics(&y, None)?;
/// assert_eq!((s.mean, s.initial_centered), (4.0, -2.0));
/// assert!((s.stddev - (8.0f64 / 3.0).sqrt()).abs() < 1e-12);
/// assert_eq!(empirical_statistics(&Tensor::vector(&[3.0, 3.0], DType::F64)?, None)?.stddev, 1.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn empirical_statistics(observed: &Tensor, mask: Option<&[bool]>) -> Result<EmpiricalStatistics> {
    let v = observed_values(observed)?;
    if let Some(m) = mask {
        if m.len() != v.len() {
            return Err(Error::ShapeMismatch { context: "empirical_statistics mask vs the series".into(), lhs: vec![m.len()], rhs: vec![v.len()] });
        }
    }
    let seen: Vec<f64> = v.iter().enumerate().filter(|(i, x)| !x.is_nan() && !mask.is_some_and(|m| m[*i])).map(|(_, x)| *x).collect();
    if seen.is_empty() {
        return Ok(EmpiricalStatistics { mean: 0.0, stddev: 1.0, initial_centered: 0.0 });
    }
    let mean = seen.iter().sum::<f64>() / seen.len() as f64;
    let sd = (seen.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / seen.len() as f64).sqrt();
    Ok(EmpiricalStatistics { mean, stddev: if sd == 0.0 || !sd.is_finite() { 1.0 } else { sd }, initial_centered: seen[0] - mean })
}

/// [`empirical_statistics`] of an optional observed series; a unit, zero-mean series's when
/// there is none (TFP's components' fallback).
pub(crate) fn stats_of(observed: Option<&Tensor>) -> Result<EmpiricalStatistics> {
    match observed {
        Some(y) => empirical_statistics(y, None),
        None => Ok(EmpiricalStatistics { mean: 0.0, stddev: 1.0, initial_centered: 0.0 }),
    }
}

/// The values of a univariate series `[T]` or `[T, 1]`.
fn observed_values(observed: &Tensor) -> Result<Vec<f64>> {
    match observed.shape() {
        [_] | [_, 1] => observed.to_vec(),
        s => Err(Error::invalid_shape("observed_time_series", s, "expected a univariate series [T] or [T, 1]")),
    }
}

/// TFP's default scale prior `LogNormal(log(fraction · stddev), spread)` and the scale's
/// bijector `Scale(stddev) ∘ Softplus`.
pub(crate) fn scale_parameter(name: &str, fraction: f64, spread: f64, stddev: f64, dtype: DType) -> Result<Parameter> {
    let prior = LogNormal::new(Tensor::scalar((fraction * stddev).ln(), dtype)?, Tensor::scalar(spread, dtype)?)?;
    let bijector = Chain::new(vec![Arc::new(Scale::new(Tensor::scalar(stddev, dtype)?)?), Arc::new(Softplus::new())]);
    Ok(Parameter { name: name.into(), prior: Arc::new(prior), bijector: Arc::new(bijector) })
}

/// Checks that `param_vals` holds `n` scalars or one-element tensors for `who`.
pub(crate) fn scalar_values(who: &str, param_vals: &[Tensor], n: usize) -> Result<Vec<Tensor>> {
    if param_vals.len() != n {
        return Err(Error::ShapeMismatch { context: format!("{who}: parameter values"), lhs: vec![param_vals.len()], rhs: vec![n] });
    }
    param_vals.iter().map(|v| if v.elem_count() == 1 { v.reshape(&[1]) } else { Err(Error::invalid_shape(format!("{who} parameter"), v.shape(), "expected a scalar")) }).collect()
}
