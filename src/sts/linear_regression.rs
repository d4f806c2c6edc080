//! TFP's `sts.LinearRegression`: a static regression on known covariates, `x_t ⊇ X_t · w`.
//! The component has no latent state; it adds `X_t · w` to the observation's mean at step
//! `t` (the design matrix `X [T_total, F]` must cover every step modelled, forecast steps
//! included). Default prior: each weight `StudentT(df = 5, 0, 10)`, unconstrained (identity
//! bijector), TFP's.

use std::sync::Arc;

use super::{Parameter, StateSpaceTerms, StructuralTimeSeries, TimeVarying};
use crate::bijectors::Identity;
use crate::distributions::{Distribution, Sample, StudentT};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// A static linear regression component (module doc).
///
/// ```
/// use probrs::sts::{LinearRegression, StructuralTimeSeries};
/// use probrs::tensor::{DType, Tensor};
/// // Two covariates over 6 steps.
/// let x = Tensor::from_slice(&[1.0, 0.0, 1.0, 1.0, 1.0, 2.0, 1.0, 3.0, 1.0, 4.0, 1.0, 5.0], &[6, 2], DType::F64)?;
/// let reg = LinearRegression::new(&x, None, None)?;
/// assert_eq!((reg.latent_size(), reg.parameters()[0].name.as_str()), (0, "weights"));
/// let terms = reg.state_space_terms(&[Tensor::vector(&[10.0, 0.5], DType::F64)?])?;
/// assert_eq!(terms.observation_loc.unwrap().at(4)?.to_vec()?, vec![12.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct LinearRegression {
    design_matrix: Tensor,
    name: String,
    params: Vec<Parameter>,
}

impl LinearRegression {
    /// The regression on `design_matrix [T_total, F]` (finite values), with `weights_prior`
    /// over the `F` weights (a scalar prior applies to each; default TFP's StudentT) and a
    /// `name` (default `"LinearRegression"`).
    ///
    /// ```
    /// use probrs::sts::LinearRegression;
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(LinearRegression::new(&Tensor::vector(&[1.0, 2.0], DType::F64)?, None, None).is_err()); // not [T, F]
    /// let bad = Tensor::from_slice(&[1.0, f64::NAN], &[2, 1], DType::F64)?;
    /// assert!(LinearRegression::new(&bad, None, None).is_err_and(|e| e.to_string().contains("design_matrix")));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(design_matrix: &Tensor, weights_prior: Option<Arc<dyn Distribution>>, name: Option<&str>) -> Result<Self> {
        let (_, f) = check_design_matrix(design_matrix)?;
        let dtype = design_matrix.dtype();
        let prior: Arc<dyn Distribution> = match weights_prior {
            Some(p) if p.event_shape().is_empty() => Arc::new(Sample::from_arc(p, &[f])?),
            Some(p) if p.event_shape() == [f] => p,
            Some(p) => return Err(Error::invalid_shape("weights_prior", &p.event_shape(), format!("expected a scalar prior or one over [{f}] weights"))),
            None => Arc::new(Sample::new(StudentT::new(Tensor::scalar(5.0, dtype)?, Tensor::scalar(0.0, dtype)?, Tensor::scalar(10.0, dtype)?)?, &[f])?),
        };
        let params = vec![Parameter { name: "weights".into(), prior, bijector: Arc::new(Identity::new()) }];
        Ok(LinearRegression { design_matrix: design_matrix.clone(), name: name.unwrap_or("LinearRegression").into(), params })
    }

    /// The design matrix `[T_total, F]`.
    ///
    /// ```
    /// use probrs::sts::LinearRegression;
    /// use probrs::tensor::{DType, Tensor};
    /// let r = LinearRegression::new(&Tensor::ones(&[5, 3], DType::F64)?, None, None)?;
    /// assert_eq!(r.design_matrix().shape(), &[5, 3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn design_matrix(&self) -> &Tensor {
        &self.design_matrix
    }
}

impl StructuralTimeSeries for LinearRegression {
    fn name(&self) -> &str {
        &self.name
    }
    fn latent_size(&self) -> usize {
        0
    }
    fn parameters(&self) -> Vec<Parameter> {
        self.params.clone()
    }
    fn max_timesteps(&self) -> Option<(usize, String)> {
        Some((self.design_matrix.shape()[0], self.name.clone()))
    }
    fn state_space_terms(&self, param_vals: &[Tensor]) -> Result<StateSpaceTerms> {
        let f = self.design_matrix.shape()[1];
        let [w] = param_vals else {
            return Err(Error::ShapeMismatch { context: format!("{}: parameter values", self.name), lhs: vec![param_vals.len()], rhs: vec![1] });
        };
        if w.elem_count() != f {
            return Err(Error::invalid_shape(format!("{} weights", self.name), w.shape(), format!("expected [{f}]")));
        }
        regression_terms(&self.design_matrix, w)
    }
}

/// The terms of a static regression on `design_matrix [T_total, F]` with weights `[F]`: no
/// state, `X w` as the observation offset at each step (shared with `SparseLinearRegression`).
pub(crate) fn regression_terms(design_matrix: &Tensor, weights: &Tensor) -> Result<StateSpaceTerms> {
    let (rows, f) = (design_matrix.shape()[0], design_matrix.shape()[1]);
    let d = design_matrix.dtype();
    let predicted = design_matrix.matmul(&weights.reshape(&[f, 1])?)?; // [T_total, 1]
    let zero = |shape: &[usize]| Tensor::zeros(shape, d);
    Ok(StateSpaceTerms {
        transition_matrix: zero(&[0, 0])?.into(),
        transition_covariance: zero(&[0, 0])?.into(),
        transition_loc: None,
        observation_matrix: zero(&[1, 0])?.into(),
        observation_loc: Some(TimeVarying::Indexed { values: predicted, index: Arc::new(move |t| (t < rows).then_some(t)) }),
        initial_loc: zero(&[0])?,
        initial_covariance: zero(&[0, 0])?,
    })
}

/// Checks a regression's design matrix `[T, F]`: at least one step and feature, finite values.
pub(crate) fn check_design_matrix(design_matrix: &Tensor) -> Result<(usize, usize)> {
    let [t, f] = design_matrix.shape() else {
        return Err(Error::invalid_shape("design_matrix", design_matrix.shape(), "expected [num_timesteps, num_features]"));
    };
    let (t, f) = (*t, *f);
    if t == 0 || f == 0 {
        return Err(Error::invalid_shape("design_matrix", design_matrix.shape(), "expected at least one step and one feature"));
    }
    if let Some(i) = design_matrix.to_vec()?.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid_parameter("design_matrix", format!("row {}, column {} is not finite", i / f, i % f)));
    }
    Ok((t, f))
}
