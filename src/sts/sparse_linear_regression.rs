//! TFP's `sts.SparseLinearRegression`: a static regression whose weights have a horseshoe
//! prior, for many candidate covariates of which few matter. Non-centered, as TFP's:
//!
//! ```text
//! global_scale = global_scale_noncentered · √global_scale_variance · weights_prior_scale
//! local_scales = local_scales_noncentered · √local_scale_variances
//! weights      = weights_noncentered · local_scales · global_scale
//! ```
//! with `global_scale_variance ~ InverseGamma(½, ½)`, `global_scale_noncentered ~
//! HalfNormal(1)`, per feature `local_scale_variances ~ InverseGamma(½, ½)`,
//! `local_scales_noncentered ~ HalfNormal(1)`, `weights_noncentered ~ N(0, 1)`; the positive
//! ones through `Softplus`. `weights_prior_scale` defaults to 0.1. The component adds
//! `X_t · weights` to the observation at step `t`, like [`LinearRegression`](super::LinearRegression).

use std::sync::Arc;

use super::linear_regression::{check_design_matrix, regression_terms};
use super::{Parameter, StateSpaceTerms, StructuralTimeSeries};
use crate::bijectors::{Identity, Softplus};
use crate::distributions::{HalfNormal, Independent, InverseGamma, Normal};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// A sparse (horseshoe) linear regression component (module doc).
///
/// ```
/// use probrs::sts::{SparseLinearRegression, StructuralTimeSeries};
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::ones(&[10, 3], DType::F64)?;
/// let reg = SparseLinearRegression::new(&x, None, None)?;
/// let names: Vec<String> = reg.parameters().into_iter().map(|p| p.name).collect();
/// assert_eq!(names, ["global_scale_variance", "global_scale_noncentered", "local_scale_variances", "local_scales_noncentered", "weights_noncentered"]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct SparseLinearRegression {
    design_matrix: Tensor,
    weights_prior_scale: f64,
    name: String,
    params: Vec<Parameter>,
}

impl SparseLinearRegression {
    /// The regression on `design_matrix [T_total, F]` with `weights_prior_scale` (default 0.1)
    /// and `name` (default `"SparseLinearRegression"`).
    ///
    /// ```
    /// use probrs::sts::SparseLinearRegression;
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(SparseLinearRegression::new(&Tensor::ones(&[4, 2], DType::F64)?, Some(-1.0), None).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(design_matrix: &Tensor, weights_prior_scale: Option<f64>, name: Option<&str>) -> Result<Self> {
        let (_, f) = check_design_matrix(design_matrix)?;
        let scale = weights_prior_scale.unwrap_or(0.1);
        if !(scale > 0.0 && scale.is_finite()) {
            return Err(Error::invalid_parameter("weights_prior_scale", format!("must be positive, got {scale}")));
        }
        let d = design_matrix.dtype();
        let (half, one, zeros, ones, halves) = (Tensor::scalar(0.5, d)?, Tensor::scalar(1.0, d)?, Tensor::zeros(&[f], d)?, Tensor::ones(&[f], d)?, Tensor::full(0.5, &[f], d)?);
        let positive = || Arc::new(Softplus::new());
        let params = vec![
            Parameter { name: "global_scale_variance".into(), prior: Arc::new(InverseGamma::new(&half, &half)?), bijector: positive() },
            Parameter { name: "global_scale_noncentered".into(), prior: Arc::new(HalfNormal::new(&one)?), bijector: positive() },
            Parameter { name: "local_scale_variances".into(), prior: Arc::new(Independent::new(InverseGamma::new(&halves, &halves)?, 1)?), bijector: positive() },
            Parameter { name: "local_scales_noncentered".into(), prior: Arc::new(Independent::new(HalfNormal::new(&ones)?, 1)?), bijector: positive() },
            Parameter { name: "weights_noncentered".into(), prior: Arc::new(Independent::new(Normal::new(&zeros, &ones)?, 1)?), bijector: Arc::new(Identity::new()) },
        ];
        Ok(SparseLinearRegression { design_matrix: design_matrix.clone(), weights_prior_scale: scale, name: name.unwrap_or("SparseLinearRegression").into(), params })
    }

    /// The weights `[F]` from the five parameters' values (TFP's `params_to_weights`).
    ///
    /// ```
    /// use probrs::sts::SparseLinearRegression;
    /// use probrs::tensor::{DType, Tensor};
    /// let reg = SparseLinearRegression::new(&Tensor::ones(&[5, 2], DType::F64)?, Some(1.0), None)?;
    /// let v = |x: &[f64]| Tensor::vector(x, DType::F64);
    /// let w = reg.params_to_weights(&[v(&[4.0])?, v(&[0.5])?, v(&[1.0, 9.0])?, v(&[1.0, 2.0])?, v(&[1.0, -1.0])?])?;
    /// assert_eq!(w.to_vec()?, vec![1.0, -6.0]); // global 0.5·2·1 = 1; local 1·1, 2·3
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn params_to_weights(&self, param_vals: &[Tensor]) -> Result<Tensor> {
        let f = self.design_matrix.shape()[1];
        let [gv, gn, lv, ln, wn] = param_vals else {
            return Err(Error::ShapeMismatch { context: format!("{}: parameter values", self.name), lhs: vec![param_vals.len()], rhs: vec![5] });
        };
        if gv.elem_count() != 1 || gn.elem_count() != 1 || [lv, ln, wn].iter().any(|v| v.elem_count() != f) {
            return Err(Error::invalid_shape(format!("{} parameters", self.name), wn.shape(), format!("expected two scalars and three vectors of {f}")));
        }
        let global = gn.reshape(&[1])?.mul(&gv.reshape(&[1])?.sqrt()?)?.mul_scalar(self.weights_prior_scale)?;
        let local = ln.reshape(&[f])?.mul(&lv.reshape(&[f])?.sqrt()?)?;
        wn.reshape(&[f])?.mul(&local)?.mul(&global)
    }
}

impl StructuralTimeSeries for SparseLinearRegression {
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
        regression_terms(&self.design_matrix, &self.params_to_weights(param_vals)?)
    }
}
