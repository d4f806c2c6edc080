//! TFP's `sts.SmoothSeasonal`: a seasonal pattern of period `P` as a sum of drifting harmonics
//! (a Fourier basis), for long or non-integer periods where one effect per season is too many:
//! for each frequency multiplier `j`, a 2-D state rotated by `ω_j = 2π j / P` each step,
//!
//! ```text
//! [effect_j, aux_j]_t = [[cos ω_j, sin ω_j], [−sin ω_j, cos ω_j]] [effect_j, aux_j]_{t−1} + N(0, drift_scale² I)
//! ```
//! observed through the sum of the effects. Default priors (TFP's): `drift_scale ~
//! LogNormal(log(0.01 σ), 3)` through `Scale(σ) ∘ Softplus`, the initial state
//! `N(0, (|initial_centered| + σ)² I)`.

use super::structural_time_series::{scalar_values, scale_parameter, stats_of};
use super::{Parameter, StateSpaceTerms, StructuralTimeSeries};
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

/// A smooth seasonal component (module doc).
///
/// ```
/// use probrs::sts::{SmoothSeasonal, StructuralTimeSeries};
/// use probrs::tensor::{DType, Tensor};
/// // A yearly pattern on daily data with three harmonics.
/// let s = SmoothSeasonal::new(365.25, &[1.0, 2.0, 3.0], true, None, DType::F64)?;
/// assert_eq!(s.latent_size(), 6);
/// let terms = s.state_space_terms(&[Tensor::vector(&[0.1], DType::F64)?])?;
/// assert_eq!(terms.observation_matrix.at(0)?.to_vec()?, vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
/// assert!(SmoothSeasonal::new(0.0, &[1.0], true, None, DType::F64).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct SmoothSeasonal {
    period: f64,
    frequency_multipliers: Vec<f64>,
    initial_scale: f64,
    dtype: DType,
    params: Vec<Parameter>,
}

impl SmoothSeasonal {
    /// Harmonics `frequency_multipliers` of `period` steps; `allow_drift = false` fixes the
    /// pattern (no `drift_scale`); priors scaled to `observed_time_series` as TFP's.
    ///
    /// ```
    /// use probrs::sts::{SmoothSeasonal, StructuralTimeSeries};
    /// let fixed = SmoothSeasonal::new(12.0, &[1.0], false, None, probrs::tensor::DType::F64)?;
    /// assert!(fixed.parameters().is_empty());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(period: f64, frequency_multipliers: &[f64], allow_drift: bool, observed_time_series: Option<&Tensor>, dtype: DType) -> Result<Self> {
        if !(period > 0.0 && period.is_finite()) {
            return Err(Error::invalid_parameter("period", format!("must be positive, got {period}")));
        }
        if frequency_multipliers.is_empty() || frequency_multipliers.iter().any(|f| !f.is_finite()) {
            return Err(Error::invalid_parameter("frequency_multipliers", "expected at least one finite multiplier"));
        }
        let stats = stats_of(observed_time_series)?;
        let params = if allow_drift { vec![scale_parameter("drift_scale", 0.01, 3.0, stats.stddev, dtype)?] } else { vec![] };
        Ok(SmoothSeasonal { period, frequency_multipliers: frequency_multipliers.to_vec(), initial_scale: stats.initial_centered.abs() + stats.stddev, dtype, params })
    }
}

impl StructuralTimeSeries for SmoothSeasonal {
    fn name(&self) -> &str {
        "SmoothSeasonal"
    }
    fn latent_size(&self) -> usize {
        2 * self.frequency_multipliers.len()
    }
    fn parameters(&self) -> Vec<Parameter> {
        self.params.clone()
    }
    fn state_space_terms(&self, param_vals: &[Tensor]) -> Result<StateSpaceTerms> {
        let (k, d) = (self.latent_size(), self.dtype);
        let drift = match self.params.len() {
            1 => scalar_values("SmoothSeasonal", param_vals, 1)?.remove(0),
            _ => {
                scalar_values("SmoothSeasonal", param_vals, 0)?;
                Tensor::zeros(&[1], d)?
            }
        };
        let mut a = vec![0.0; k * k];
        let mut h = vec![0.0; k];
        for (j, m) in self.frequency_multipliers.iter().enumerate() {
            let w = 2.0 * std::f64::consts::PI * m / self.period;
            let (c, s, o) = (w.cos(), w.sin(), 2 * j);
            a[o * k + o] = c;
            a[o * k + o + 1] = s;
            a[(o + 1) * k + o] = -s;
            a[(o + 1) * k + o + 1] = c;
            h[o] = 1.0;
        }
        let init = self.initial_scale * self.initial_scale;
        Ok(StateSpaceTerms {
            transition_matrix: Tensor::from_slice(&a, &[k, k], d)?.into(),
            transition_covariance: Tensor::eye(k, &[], d)?.mul(&drift.square()?.reshape(&[1, 1])?)?.into(),
            transition_loc: None,
            observation_matrix: Tensor::from_slice(&h, &[1, k], d)?.into(),
            observation_loc: None,
            initial_loc: Tensor::zeros(&[k], d)?,
            initial_covariance: Tensor::eye(k, &[], d)?.mul_scalar(init)?,
        })
    }
}
