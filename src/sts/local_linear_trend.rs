//! TFP's `sts.LocalLinearTrend`: a level and a slope, each a Gaussian random walk, the level
//! moving by the slope (state `[level, slope]`):
//!
//! ```text
//! level_t = level_{t−1} + slope_{t−1} + N(0, level_scale²)
//! slope_t = slope_{t−1} + N(0, slope_scale²)
//! ```
//! Default priors from the observed series: both scales `LogNormal(log(0.05 σ), 3)` through
//! `Scale(σ) ∘ Softplus`; the initial level `N(initial_centered, (|initial_centered| + σ)²)`,
//! the initial slope `N(0, σ²)`.

use super::structural_time_series::{constant_terms, scalar_values, scale_parameter, stats_of};
use super::{EmpiricalStatistics, Parameter, StateSpaceTerms, StructuralTimeSeries};
use crate::error::Result;
use crate::tensor::{DType, Tensor};

/// A local linear trend component (module doc).
///
/// ```
/// use probrs::sts::{LocalLinearTrend, StructuralTimeSeries};
/// use probrs::tensor::{DType, Tensor};
/// let trend = LocalLinearTrend::new(None, DType::F64)?;
/// let terms = trend.state_space_terms(&[Tensor::vector(&[0.2], DType::F64)?, Tensor::vector(&[0.1], DType::F64)?])?;
/// assert_eq!(terms.transition_matrix.at(0)?.to_vec()?, vec![1.0, 1.0, 0.0, 1.0]);
/// assert!((terms.transition_covariance.at(0)?.to_vec()?[3] - 0.01).abs() < 1e-15);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct LocalLinearTrend {
    stats: EmpiricalStatistics,
    dtype: DType,
    params: Vec<Parameter>,
}

impl LocalLinearTrend {
    /// The component with TFP's default priors scaled to `observed_time_series` (`[T]` or
    /// `[T, 1]`, NaN for missing values), or to a unit series when `None`.
    ///
    /// ```
    /// use probrs::sts::{LocalLinearTrend, StructuralTimeSeries};
    /// use probrs::tensor::DType;
    /// assert_eq!(LocalLinearTrend::new(None, DType::F32)?.latent_size(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(observed_time_series: Option<&Tensor>, dtype: DType) -> Result<Self> {
        let stats = stats_of(observed_time_series)?;
        let params = vec![scale_parameter("level_scale", 0.05, 3.0, stats.stddev, dtype)?, scale_parameter("slope_scale", 0.05, 3.0, stats.stddev, dtype)?];
        Ok(LocalLinearTrend { stats, dtype, params })
    }
}

impl StructuralTimeSeries for LocalLinearTrend {
    fn name(&self) -> &str {
        "LocalLinearTrend"
    }
    fn latent_size(&self) -> usize {
        2
    }
    fn parameters(&self) -> Vec<Parameter> {
        self.params.clone()
    }
    fn state_space_terms(&self, param_vals: &[Tensor]) -> Result<StateSpaceTerms> {
        let v = scalar_values("LocalLinearTrend", param_vals, 2)?;
        let d = self.dtype;
        let (ic, sd) = (self.stats.initial_centered, self.stats.stddev);
        let level_sd = ic.abs() + sd;
        Ok(constant_terms(
            Tensor::from_slice(&[1.0, 1.0, 0.0, 1.0], &[2, 2], d)?,
            Tensor::matrix_diag(&Tensor::concat(&[&v[0], &v[1]], 0)?.square()?)?,
            Tensor::from_slice(&[1.0, 0.0], &[1, 2], d)?,
            Tensor::vector(&[ic, 0.0], d)?,
            Tensor::matrix_diag(&Tensor::vector(&[level_sd * level_sd, sd * sd], d)?)?,
        ))
    }
}
