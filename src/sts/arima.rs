//! TFP's `sts.AutoregressiveIntegratedMovingAverage`: an ARIMA(p, d, q) process observed
//! directly. The ARMA(p, q) part is TFP's state-space form of order `r = max(p, q + 1)`: the
//! AR coefficients (zero-padded to `r`) on the top row of a companion transition, the noise
//! `N(0, level_scale²)` on the first coordinate, observed through `[1, θ_1, …, θ_{r−1}]` (the
//! MA coefficients, zero-padded). Each order of integration appends one coordinate holding the
//! previous output: transition `[[A, 0], [h, 1]]`, observation `[h, 1]` (TFP's
//! `IntegratedStateSpaceModel`, a cumulative sum).
//!
//! Default priors (TFP's), scaled by the statistics of the `d`-times differenced series:
//! `ar_coefficients ~ MultivariateNormalDiag(0, I)` through `Tanh`, `ma_coefficients ~
//! MultivariateNormalDiag(0, I)` unconstrained, `level_scale ~ LogNormal(log(0.05 σ), 3)`
//! through `Scale(σ) ∘ Softplus`; the initial state `N(initial_centered, (|initial_centered|
//! + σ)²)` on the first coordinate, the others fixed at zero.

use std::sync::Arc;

use super::structural_time_series::{empirical_statistics, scale_parameter};
use super::{EmpiricalStatistics, Parameter, StateSpaceTerms, StructuralTimeSeries};
use crate::bijectors::{Identity, Tanh};
use crate::distributions::MultivariateNormalDiag;
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

/// An ARIMA(p, d, q) component (module doc).
///
/// ```
/// use probrs::sts::{AutoregressiveIntegratedMovingAverage, StructuralTimeSeries};
/// use probrs::tensor::DType;
/// let arima = AutoregressiveIntegratedMovingAverage::new(2, 1, 1, None, DType::F64)?;
/// assert_eq!(arima.latent_size(), 3); // max(2, 1 + 1) + 1
/// let names: Vec<String> = arima.parameters().into_iter().map(|p| p.name).collect();
/// assert_eq!(names, ["ar_coefficients", "ma_coefficients", "level_scale"]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct AutoregressiveIntegratedMovingAverage {
    ar_order: usize,
    ma_order: usize,
    integration_degree: usize,
    stats: EmpiricalStatistics,
    dtype: DType,
    params: Vec<Parameter>,
}

impl AutoregressiveIntegratedMovingAverage {
    /// ARIMA(`ar_order`, `integration_degree`, `ma_order`) with TFP's default priors from the
    /// differenced `observed_time_series` (NaN missing; a difference is missing when either
    /// value is).
    ///
    /// ```
    /// use probrs::sts::AutoregressiveIntegratedMovingAverage;
    /// use probrs::tensor::DType;
    /// assert!(AutoregressiveIntegratedMovingAverage::new(0, 0, 0, None, DType::F64).is_ok()); // white noise
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(ar_order: usize, ma_order: usize, integration_degree: usize, observed_time_series: Option<&Tensor>, dtype: DType) -> Result<Self> {
        let stats = match observed_time_series {
            Some(y) => {
                let mut v = y.to_vec()?;
                for _ in 0..integration_degree {
                    v = v.windows(2).map(|w| w[1] - w[0]).collect();
                }
                if v.is_empty() {
                    return Err(Error::invalid_parameter("observed_time_series", format!("ARIMA: {} steps cannot be differenced {integration_degree} times", y.elem_count())));
                }
                empirical_statistics(&Tensor::vector(&v, DType::F64)?, None)?
            }
            None => EmpiricalStatistics { mean: 0.0, stddev: 1.0, initial_centered: 0.0 },
        };
        let mut params = Vec::new();
        let standard = |n: usize| -> Result<Arc<MultivariateNormalDiag>> { Ok(Arc::new(MultivariateNormalDiag::new(Tensor::zeros(&[n], dtype)?, Tensor::ones(&[n], dtype)?)?)) };
        if ar_order > 0 {
            params.push(Parameter { name: "ar_coefficients".into(), prior: standard(ar_order)?, bijector: Arc::new(Tanh::new()) });
        }
        if ma_order > 0 {
            params.push(Parameter { name: "ma_coefficients".into(), prior: standard(ma_order)?, bijector: Arc::new(Identity::new()) });
        }
        params.push(scale_parameter("level_scale", 0.05, 3.0, stats.stddev, dtype)?);
        Ok(AutoregressiveIntegratedMovingAverage { ar_order, ma_order, integration_degree, stats, dtype, params })
    }

    /// Adds TFP's `level_drift` parameter (a constant drift of the differenced level) with
    /// `prior`, through `Scale(σ)` and the prior's default event-space bijector; the latent
    /// drift is `level_drift / (1 + Σ θ)` so the observed series drifts by `level_drift`.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::sts::{AutoregressiveIntegratedMovingAverage, StructuralTimeSeries};
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// let drift = Normal::new(Tensor::scalar(0.0, DType::F64)?, Tensor::scalar(1.0, DType::F64)?)?;
    /// let a = AutoregressiveIntegratedMovingAverage::new(1, 0, 1, None, DType::F64)?.with_level_drift_prior(Arc::new(drift))?;
    /// let names: Vec<String> = a.parameters().into_iter().map(|p| p.name).collect();
    /// assert_eq!(names, ["ar_coefficients", "level_drift", "level_scale"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_level_drift_prior(mut self, prior: Arc<dyn crate::distributions::Distribution>) -> Result<Self> {
        if !prior.event_shape().is_empty() {
            return Err(Error::invalid_shape("level_drift_prior", &prior.event_shape(), "expected a scalar prior"));
        }
        if prior.dtype() != self.dtype {
            return Err(Error::DTypeMismatch { context: "level_drift_prior".into(), lhs: prior.dtype().name().into(), rhs: self.dtype.name().into() });
        }
        if self.params.iter().any(|p| p.name == "level_drift") {
            return Err(Error::invalid_parameter("level_drift_prior", "the component already has a level drift"));
        }
        let bijector = crate::bijectors::Chain::new(vec![Arc::new(crate::bijectors::Scale::new(Tensor::scalar(self.stats.stddev, self.dtype)?)?), prior.default_event_space_bijector()?]);
        let at = self.params.len() - 1;
        self.params.insert(at, Parameter { name: "level_drift".into(), prior, bijector: Arc::new(bijector) });
        Ok(self)
    }

    fn order(&self) -> usize {
        self.ar_order.max(self.ma_order + 1)
    }
}

impl StructuralTimeSeries for AutoregressiveIntegratedMovingAverage {
    fn name(&self) -> &str {
        "ARIMA"
    }
    fn latent_size(&self) -> usize {
        self.order() + self.integration_degree
    }
    fn parameters(&self) -> Vec<Parameter> {
        self.params.clone()
    }
    fn state_space_terms(&self, param_vals: &[Tensor]) -> Result<StateSpaceTerms> {
        let (p, q, r, d) = (self.ar_order, self.ma_order, self.order(), self.dtype);
        if param_vals.len() != self.params.len() {
            return Err(Error::ShapeMismatch { context: "ARIMA: parameter values".into(), lhs: vec![param_vals.len()], rhs: vec![self.params.len()] });
        }
        let mut it = param_vals.iter();
        let pad = |v: &Tensor, n: usize, to: usize| -> Result<Tensor> {
            if v.elem_count() != n {
                return Err(Error::invalid_shape("ARIMA coefficients", v.shape(), format!("expected [{n}]")));
            }
            let v = v.reshape(&[n])?;
            if to > n { Tensor::concat(&[&v, &Tensor::zeros(&[to - n], d)?], 0) } else { Ok(v) }
        };
        let ar = if p > 0 { pad(it.next().expect("counted"), p, r)? } else { Tensor::zeros(&[r], d)? };
        let ma = if q > 0 { pad(it.next().expect("counted"), q, r - 1)? } else { Tensor::zeros(&[r - 1], d)? };
        let drift = if self.params.iter().any(|p| p.name == "level_drift") { Some(it.next().expect("counted")) } else { None };
        let scale = it.next().expect("counted");
        if scale.elem_count() != 1 {
            return Err(Error::invalid_shape("ARIMA level_scale", scale.shape(), "expected a scalar"));
        }
        // The ARMA part: companion transition, noise on the first coordinate, MA observation.
        let mut below = vec![0.0; (r - 1) * r];
        for i in 0..r - 1 {
            below[i * r + i] = 1.0;
        }
        let mut a = if r > 1 { Tensor::concat(&[&ar.reshape(&[1, r])?, &Tensor::from_slice(&below, &[r - 1, r], d)?], 0)? } else { ar.reshape(&[1, 1])? };
        let mut h = Tensor::concat(&[&Tensor::ones(&[1], d)?, &ma], 0)?.reshape(&[1, r])?;
        let mut e1 = vec![0.0; r * r];
        e1[0] = 1.0;
        let mut q_cov = Tensor::from_slice(&e1, &[r, r], d)?.mul(&scale.reshape(&[1, 1])?.square()?)?;
        // Each integration: [[A, 0], [h, 1]], observation [h, 1], no noise on the new coordinate.
        for k in r..r + self.integration_degree {
            a = Tensor::concat(&[&Tensor::concat(&[&a, &Tensor::zeros(&[k, 1], d)?], 1)?, &Tensor::concat(&[&h, &Tensor::ones(&[1, 1], d)?], 1)?], 0)?;
            h = Tensor::concat(&[&h, &Tensor::ones(&[1, 1], d)?], 1)?;
            q_cov = Tensor::concat(&[&Tensor::concat(&[&q_cov, &Tensor::zeros(&[k, 1], d)?], 1)?, &Tensor::zeros(&[1, k + 1], d)?], 0)?;
        }
        // A drift enters the first ARMA coordinate as level_drift / (1 + Σ θ).
        let transition_loc = match drift {
            Some(v) => {
                let factor = ma.sum_all()?.affine(1.0, 1.0)?.reshape(&[1])?;
                let first = v.reshape(&[1])?.div(&factor)?;
                Some(Tensor::concat(&[&first, &Tensor::zeros(&[self.latent_size() - 1], d)?], 0)?.into())
            }
            None => None,
        };
        let k = self.latent_size();
        let (ic, sd) = (self.stats.initial_centered, self.stats.stddev);
        let mut loc = vec![0.0; k];
        loc[0] = ic;
        let mut cov = vec![0.0; k * k];
        cov[0] = (ic.abs() + sd).powi(2);
        Ok(StateSpaceTerms {
            transition_matrix: a.into(),
            transition_covariance: q_cov.into(),
            transition_loc,
            observation_matrix: h.into(),
            observation_loc: None,
            initial_loc: Tensor::vector(&loc, d)?,
            initial_covariance: Tensor::from_slice(&cov, &[k, k], d)?,
        })
    }
}
