//! TFP's `sts.SemiLocalLinearTrend`: a level that moves by a slope, the slope an AR(1) process
//! around a long-run mean (so forecasts do not extrapolate a recent slope forever):
//!
//! ```text
//! level_t = level_{t−1} + slope_{t−1} + N(0, level_scale²)
//! slope_t = slope_mean + φ (slope_{t−1} − slope_mean) + N(0, slope_scale²)
//! ```
//! as a state-space model with transition `[[1, 1], [0, φ]]` and transition noise mean
//! `[0, slope_mean (1 − φ)]`. Default priors from the observed series (TFP's): both scales
//! `LogNormal(log(0.01 σ), 2)` through `Scale(σ) ∘ Softplus`, `slope_mean ~ N(0, σ²)` through
//! `Scale(σ)`, `φ ~ N(0, 1)` through `Tanh` (stationary), the initial level
//! `N(initial_centered, (|initial_centered| + σ)²)` and slope `N(0, σ²)`.

use std::sync::Arc;

use super::structural_time_series::{scalar_values, scale_parameter, stats_of};
use super::{EmpiricalStatistics, Parameter, StateSpaceTerms, StructuralTimeSeries, TimeVarying};
use crate::bijectors::{Identity, Scale, Sigmoid, Softplus, Tanh};
use crate::distributions::Normal;
use crate::error::Result;
use crate::tensor::{DType, Tensor};

/// A semi-local linear trend component (module doc).
///
/// ```
/// use probrs::sts::{SemiLocalLinearTrend, StructuralTimeSeries};
/// use probrs::tensor::{DType, Tensor};
/// let trend = SemiLocalLinearTrend::new(None, DType::F64)?;
/// let names: Vec<String> = trend.parameters().into_iter().map(|p| p.name).collect();
/// assert_eq!(names, ["level_scale", "slope_mean", "slope_scale", "autoregressive_coef"]);
/// let v = |x: f64| Tensor::vector(&[x], DType::F64);
/// let terms = trend.state_space_terms(&[v(0.1)?, v(0.5)?, v(0.2)?, v(0.8)?])?;
/// assert_eq!(terms.transition_matrix.at(0)?.to_vec()?, vec![1.0, 1.0, 0.0, 0.8]);
/// assert!((terms.transition_loc.unwrap().at(0)?.to_vec()?[1] - 0.1).abs() < 1e-15); // 0.5 (1 − 0.8)
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct SemiLocalLinearTrend {
    stats: EmpiricalStatistics,
    dtype: DType,
    params: Vec<Parameter>,
}

impl SemiLocalLinearTrend {
    /// The component with TFP's default priors scaled to `observed_time_series` (NaN missing),
    /// or to a unit series when `None`.
    ///
    /// ```
    /// use probrs::sts::{SemiLocalLinearTrend, StructuralTimeSeries};
    /// assert_eq!(SemiLocalLinearTrend::new(None, probrs::tensor::DType::F64)?.latent_size(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(observed_time_series: Option<&Tensor>, dtype: DType) -> Result<Self> {
        let stats = stats_of(observed_time_series)?;
        let sd = stats.stddev;
        let params = vec![
            scale_parameter("level_scale", 0.01, 2.0, sd, dtype)?,
            Parameter { name: "slope_mean".into(), prior: Arc::new(Normal::new(Tensor::scalar(0.0, dtype)?, Tensor::scalar(sd, dtype)?)?), bijector: Arc::new(Scale::new(Tensor::scalar(sd, dtype)?)?) },
            scale_parameter("slope_scale", 0.01, 2.0, sd, dtype)?,
            Parameter { name: "autoregressive_coef".into(), prior: Arc::new(Normal::new(Tensor::scalar(0.0, dtype)?, Tensor::scalar(1.0, dtype)?)?), bijector: Arc::new(Tanh::new()) },
        ];
        Ok(SemiLocalLinearTrend { stats, dtype, params })
    }

    /// TFP's `constrain_ar_coef_stationary` (default true) and `constrain_ar_coef_positive`
    /// (default false): `φ` through `Sigmoid` (both, (0, 1)), `Tanh` (stationary, (−1, 1)),
    /// `Softplus` (positive) or unconstrained.
    ///
    /// ```
    /// use probrs::sts::{SemiLocalLinearTrend, StructuralTimeSeries};
    /// use probrs::tensor::{DType, Tensor};
    /// let t = SemiLocalLinearTrend::new(None, DType::F64)?.with_ar_constraints(true, true);
    /// let phi = t.parameters()[3].bijector.forward(&Tensor::scalar(0.0, DType::F64)?)?.to_scalar()?;
    /// assert_eq!(phi, 0.5); // sigmoid(0)
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_ar_constraints(mut self, stationary: bool, positive: bool) -> Self {
        let bijector: Arc<dyn crate::bijectors::Bijector> = match (stationary, positive) {
            (true, true) => Arc::new(Sigmoid::new()),
            (true, false) => Arc::new(Tanh::new()),
            (false, true) => Arc::new(Softplus::new()),
            (false, false) => Arc::new(Identity::new()),
        };
        self.params[3].bijector = bijector;
        self
    }
}

impl StructuralTimeSeries for SemiLocalLinearTrend {
    fn name(&self) -> &str {
        "SemiLocalLinearTrend"
    }
    fn latent_size(&self) -> usize {
        2
    }
    fn parameters(&self) -> Vec<Parameter> {
        self.params.clone()
    }
    fn state_space_terms(&self, param_vals: &[Tensor]) -> Result<StateSpaceTerms> {
        let v = scalar_values("SemiLocalLinearTrend", param_vals, 4)?;
        let (level_scale, slope_mean, slope_scale, phi) = (&v[0], &v[1], &v[2], &v[3]);
        let d = self.dtype;
        let (ic, sd) = (self.stats.initial_centered, self.stats.stddev);
        let fixed = Tensor::from_slice(&[1.0, 1.0, 0.0, 0.0], &[2, 2], d)?;
        let corner = Tensor::from_slice(&[0.0, 0.0, 0.0, 1.0], &[2, 2], d)?;
        let transition = fixed.add(&corner.mul(&phi.reshape(&[1, 1])?)?)?;
        let drift = Tensor::concat(&[&Tensor::zeros(&[1], d)?, &slope_mean.mul(&phi.affine(-1.0, 1.0)?)?], 0)?;
        let level_sd = ic.abs() + sd;
        Ok(StateSpaceTerms {
            transition_matrix: transition.into(),
            transition_covariance: Tensor::matrix_diag(&Tensor::concat(&[level_scale, slope_scale], 0)?.square()?)?.into(),
            transition_loc: Some(TimeVarying::Constant(drift)),
            observation_matrix: Tensor::from_slice(&[1.0, 0.0], &[1, 2], d)?.into(),
            observation_loc: None,
            initial_loc: Tensor::vector(&[ic, 0.0], d)?,
            initial_covariance: Tensor::matrix_diag(&Tensor::vector(&[level_sd * level_sd, sd * sd], d)?)?,
        })
    }
}
