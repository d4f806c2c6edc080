//! TFP's `sts.LocalLevel`: a level following a Gaussian random walk,
//! `level_t = level_{t−1} + N(0, level_scale²)`, observed directly (state `[level]`).
//!
//! Default priors from the observed series (`sts::empirical_statistics`): `level_scale ~
//! LogNormal(log(0.05 σ), 3)` through `Scale(σ) ∘ Softplus`, the initial level
//! `N(initial_centered, (|initial_centered| + σ)²)`.

use super::structural_time_series::{constant_terms, scalar_values, scale_parameter, stats_of};
use super::{Parameter, StateSpaceTerms, StructuralTimeSeries};
use crate::error::Result;
use crate::tensor::{DType, Tensor};

/// A local level component (module doc).
///
/// ```
/// use probrs::sts::{LocalLevel, StructuralTimeSeries};
/// use probrs::tensor::{DType, Tensor};
/// let y = Tensor::vector(&[1.0, 3.0, 2.0, 4.0], DType::F64)?;
/// let level = LocalLevel::new(Some(&y), DType::F64)?;
/// let terms = level.state_space_terms(&[Tensor::vector(&[0.1], DType::F64)?])?;
/// // Initial level N(1 − 2.5, (1.5 + σ)²), σ = √1.25.
/// assert_eq!(terms.initial_loc.to_vec()?, vec![-1.5]);
/// assert!((terms.initial_covariance.to_vec()?[0] - (1.5 + 1.25f64.sqrt()).powi(2)).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct LocalLevel {
    stddev: f64,
    initial_centered: f64,
    dtype: DType,
    params: Vec<Parameter>,
}

impl LocalLevel {
    /// The component with TFP's default priors scaled to `observed_time_series` (`[T]` or
    /// `[T, 1]`, NaN for missing values), or to a unit series when `None`.
    ///
    /// ```
    /// use probrs::sts::LocalLevel;
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(LocalLevel::new(Some(&Tensor::ones(&[3, 2], DType::F64)?), DType::F64).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(observed_time_series: Option<&Tensor>, dtype: DType) -> Result<Self> {
        let s = stats_of(observed_time_series)?;
        let params = vec![scale_parameter("level_scale", 0.05, 3.0, s.stddev, dtype)?];
        Ok(LocalLevel { stddev: s.stddev, initial_centered: s.initial_centered, dtype, params })
    }
}

impl StructuralTimeSeries for LocalLevel {
    fn name(&self) -> &str {
        "LocalLevel"
    }
    fn latent_size(&self) -> usize {
        1
    }
    fn parameters(&self) -> Vec<Parameter> {
        self.params.clone()
    }
    fn state_space_terms(&self, param_vals: &[Tensor]) -> Result<StateSpaceTerms> {
        let v = scalar_values("LocalLevel", param_vals, 1)?;
        let d = self.dtype;
        let init_scale = self.initial_centered.abs() + self.stddev;
        Ok(constant_terms(
            Tensor::ones(&[1, 1], d)?,
            v[0].square()?.reshape(&[1, 1])?,
            Tensor::ones(&[1, 1], d)?,
            Tensor::vector(&[self.initial_centered], d)?,
            Tensor::full(init_scale * init_scale, &[1, 1], d)?,
        ))
    }
}
