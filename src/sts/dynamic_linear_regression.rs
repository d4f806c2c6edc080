//! TFP's `sts.DynamicLinearRegression`: a regression whose weights drift as Gaussian random
//! walks, `x_t ⊇ X_t · w_t` with `w_t = w_{t−1} + N(0, drift_scale² I)`. The weights are the
//! latent state; the observation row at step `t` is the design matrix's row `X_t` (which must
//! cover every step modelled). Default priors (TFP's): `drift_scale ~ LogNormal(log(0.05 σ),
//! 3)` through `Scale(σ) ∘ Softplus`, initial weights `N(0, 10² I)`.

use std::sync::Arc;

use super::linear_regression::check_design_matrix;
use super::structural_time_series::{scalar_values, scale_parameter, stats_of};
use super::{Parameter, StateSpaceTerms, StructuralTimeSeries, TimeVarying};
use crate::error::Result;
use crate::tensor::Tensor;

/// A dynamic linear regression component (module doc).
///
/// ```
/// use probrs::sts::{DynamicLinearRegression, StructuralTimeSeries};
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::from_slice(&[1.0, 0.5, 1.0, -0.5, 1.0, 2.0], &[3, 2], DType::F64)?;
/// let reg = DynamicLinearRegression::new(&x, None, None)?;
/// assert_eq!((reg.latent_size(), reg.parameters()[0].name.as_str()), (2, "drift_scale"));
/// let terms = reg.state_space_terms(&[Tensor::vector(&[0.1], DType::F64)?])?;
/// assert_eq!(terms.observation_matrix.at(2)?.to_vec()?, vec![1.0, 2.0]);
/// assert!(terms.observation_matrix.at(3).is_err()); // past the design matrix
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct DynamicLinearRegression {
    design_matrix: Tensor,
    name: String,
    params: Vec<Parameter>,
}

impl DynamicLinearRegression {
    /// The regression on `design_matrix [T_total, F]` (finite), its drift prior scaled to
    /// `observed_time_series` (NaN missing; a unit series when `None`), named `name` (default
    /// `"DynamicLinearRegression"`).
    ///
    /// ```
    /// use probrs::sts::DynamicLinearRegression;
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(DynamicLinearRegression::new(&Tensor::ones(&[4], DType::F64)?, None, None).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(design_matrix: &Tensor, observed_time_series: Option<&Tensor>, name: Option<&str>) -> Result<Self> {
        check_design_matrix(design_matrix)?;
        let stats = stats_of(observed_time_series)?;
        let params = vec![scale_parameter("drift_scale", 0.05, 3.0, stats.stddev, design_matrix.dtype())?];
        Ok(DynamicLinearRegression { design_matrix: design_matrix.clone(), name: name.unwrap_or("DynamicLinearRegression").into(), params })
    }
}

impl StructuralTimeSeries for DynamicLinearRegression {
    fn name(&self) -> &str {
        &self.name
    }
    fn latent_size(&self) -> usize {
        self.design_matrix.shape()[1]
    }
    fn parameters(&self) -> Vec<Parameter> {
        self.params.clone()
    }
    fn max_timesteps(&self) -> Option<(usize, String)> {
        Some((self.design_matrix.shape()[0], self.name.clone()))
    }
    fn state_space_terms(&self, param_vals: &[Tensor]) -> Result<StateSpaceTerms> {
        let drift = scalar_values(&self.name, param_vals, 1)?.remove(0);
        let (rows, f, d) = (self.design_matrix.shape()[0], self.design_matrix.shape()[1], self.design_matrix.dtype());
        let eye = Tensor::eye(f, &[], d)?;
        Ok(StateSpaceTerms {
            transition_matrix: eye.clone().into(),
            transition_covariance: eye.mul(&drift.square()?.reshape(&[1, 1])?)?.into(),
            transition_loc: None,
            observation_matrix: TimeVarying::Indexed { values: self.design_matrix.reshape(&[rows, 1, f])?, index: Arc::new(move |t| (t < rows).then_some(t)) },
            observation_loc: None,
            initial_loc: Tensor::zeros(&[f], d)?,
            initial_covariance: eye.mul_scalar(100.0)?,
        })
    }
}
