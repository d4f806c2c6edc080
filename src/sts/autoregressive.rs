//! TFP's `sts.Autoregressive`: an AR(p) process observed directly,
//!
//! ```text
//! z_t = Σ_{i=1..p} φ_i z_{t−i} + N(0, level_scale²)
//! ```
//! with the last `p` values as the state (transition: the coefficients on the top row, the
//! identity shifted below it; noise on the first coordinate only). Default priors (TFP's):
//! `φ ~ MultivariateNormalDiag(0, I)` through `Tanh` (each coefficient in (−1, 1)),
//! `level_scale ~ LogNormal(log(0.05 σ), 3)` through `Scale(σ) ∘ Softplus`, the initial state
//! `N(initial_centered, (|initial_centered| + σ)²)` per lag.

use std::sync::Arc;

use super::structural_time_series::{scale_parameter, stats_of};
use super::{EmpiricalStatistics, Parameter, StateSpaceTerms, StructuralTimeSeries};
use crate::bijectors::Tanh;
use crate::distributions::MultivariateNormalDiag;
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

/// An autoregressive component of order `p` (module doc).
///
/// ```
/// use probrs::sts::{Autoregressive, StructuralTimeSeries};
/// use probrs::tensor::{DType, Tensor};
/// let ar = Autoregressive::new(2, None, DType::F64)?;
/// assert_eq!((ar.latent_size(), ar.parameters()[0].name.as_str()), (2, "coefficients"));
/// let terms = ar.state_space_terms(&[Tensor::vector(&[0.5, -0.2], DType::F64)?, Tensor::vector(&[0.3], DType::F64)?])?;
/// assert_eq!(terms.transition_matrix.at(0)?.to_vec()?, vec![0.5, -0.2, 1.0, 0.0]);
/// assert!(Autoregressive::new(0, None, DType::F64).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Autoregressive {
    order: usize,
    stats: EmpiricalStatistics,
    dtype: DType,
    params: Vec<Parameter>,
}

impl Autoregressive {
    /// An AR(`order`) component with TFP's default priors scaled to `observed_time_series`.
    ///
    /// ```
    /// use probrs::sts::{Autoregressive, StructuralTimeSeries};
    /// use probrs::tensor::{DType, Tensor};
    /// let y = Tensor::vector(&[1.0, 0.5, 0.8, 0.2], DType::F64)?;
    /// let ar = Autoregressive::new(1, Some(&y), DType::F64)?;
    /// assert_eq!(ar.parameters()[0].prior.event_shape(), vec![1]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(order: usize, observed_time_series: Option<&Tensor>, dtype: DType) -> Result<Self> {
        if order == 0 {
            return Err(Error::invalid_parameter("order", "an autoregressive component needs order at least 1"));
        }
        let stats = stats_of(observed_time_series)?;
        let coefficients = Parameter { name: "coefficients".into(), prior: Arc::new(MultivariateNormalDiag::new(Tensor::zeros(&[order], dtype)?, Tensor::ones(&[order], dtype)?)?), bijector: Arc::new(Tanh::new()) };
        let params = vec![coefficients, scale_parameter("level_scale", 0.05, 3.0, stats.stddev, dtype)?];
        Ok(Autoregressive { order, stats, dtype, params })
    }

    /// The order `p`.
    ///
    /// ```
    /// assert_eq!(probrs::sts::Autoregressive::new(3, None, probrs::tensor::DType::F64)?.order(), 3);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn order(&self) -> usize {
        self.order
    }
}

impl StructuralTimeSeries for Autoregressive {
    fn name(&self) -> &str {
        "Autoregressive"
    }
    fn latent_size(&self) -> usize {
        self.order
    }
    fn parameters(&self) -> Vec<Parameter> {
        self.params.clone()
    }
    fn state_space_terms(&self, param_vals: &[Tensor]) -> Result<StateSpaceTerms> {
        let (p, d) = (self.order, self.dtype);
        let [coefs, scale] = param_vals else {
            return Err(Error::ShapeMismatch { context: "Autoregressive: parameter values".into(), lhs: vec![param_vals.len()], rhs: vec![2] });
        };
        if coefs.elem_count() != p || scale.elem_count() != 1 {
            return Err(Error::invalid_shape("Autoregressive coefficients", coefs.shape(), format!("expected [{p}] coefficients and a scalar level_scale")));
        }
        let mut below = vec![0.0; (p - 1) * p];
        for i in 0..p - 1 {
            below[i * p + i] = 1.0;
        }
        let transition = if p > 1 { Tensor::concat(&[&coefs.reshape(&[1, p])?, &Tensor::from_slice(&below, &[p - 1, p], d)?], 0)? } else { coefs.reshape(&[1, 1])? };
        let mut first = vec![0.0; p * p];
        first[0] = 1.0;
        let noise = Tensor::from_slice(&first, &[p, p], d)?.mul(&scale.reshape(&[1, 1])?.square()?)?;
        let mut h = vec![0.0; p];
        h[0] = 1.0;
        let (ic, sd) = (self.stats.initial_centered, self.stats.stddev);
        let init_sd = ic.abs() + sd;
        Ok(StateSpaceTerms {
            transition_matrix: transition.into(),
            transition_covariance: noise.into(),
            transition_loc: None,
            observation_matrix: Tensor::from_slice(&h, &[1, p], d)?.into(),
            observation_loc: None,
            initial_loc: Tensor::full(ic, &[p], d)?,
            initial_covariance: Tensor::eye(p, &[], d)?.mul_scalar(init_sd * init_sd)?,
        })
    }
}
