//! TFP's `tfp.glm.fit_sparse`: an elastic-net GLM fit by the proximal Newton method of
//! GLMNET (Friedman, Hastie and Tibshirani 2010; Yuan, Ho and Lin 2012), minimizing
//!
//! ```text
//! −log-likelihood(β) + l1 ‖β‖₁ + l2 ‖β‖₂²
//! ```
//!
//! Each outer iteration takes, at the current β, the gradient of the negative log-likelihood
//! `g = −Xᵀ((y − μ) μ' / Var)` and the Fisher information `H = XᵀWX` (`W = μ'² / Var`), then
//! runs coordinate sweeps over the quadratic model: for coordinate j, with `u` the update so
//! far,
//!
//! ```text
//! a = H_jj + 2 l2
//! step = −η (g_j + 2 l2 β_j + (H u)_j) / a
//! u_j ← soft_threshold(β_j + u_j + step, η l1 / a) − β_j
//! ```
//!
//! (η: the learning rate). A one-step call converges when the last sweep moved `u` by less
//! than `√tolerance · (1 + ‖β‖₂)`; the outer loop stops at the first converged step (TFP's
//! rule) or after `maximum_iterations`.

use crate::error::{Error, Result};
use crate::tensor::Tensor;

use super::family::ExponentialFamily;
use super::fit::GlmData;

/// `fit_sparse`'s arguments beyond the data, the family and the L1 weight.
///
/// ```
/// use probrs::glm::FitSparseOptions;
/// let o = FitSparseOptions { l2_regularizer: Some(0.5), ..Default::default() };
/// assert_eq!((o.tolerance, o.maximum_full_sweeps_per_iteration), (1e-8, 1));
/// ```
#[derive(Clone, Debug)]
pub struct FitSparseOptions {
    /// Initial coefficients (default zeros; TFP requires them).
    pub model_coefficients_start: Option<Vec<f64>>,
    /// The convergence tolerance of each step (TFP requires it; default here 1e-8).
    pub tolerance: f64,
    /// λ₂ in `+ λ₂ ‖β‖²` (default none).
    pub l2_regularizer: Option<f64>,
    /// Outer iterations at most (TFP's default is unbounded; here 100).
    pub maximum_iterations: Option<usize>,
    /// Coordinate sweeps per outer iteration (TFP's default 1).
    pub maximum_full_sweeps_per_iteration: usize,
    /// η, damping each coordinate step (default none, i.e. 1).
    pub learning_rate: Option<f64>,
}

impl Default for FitSparseOptions {
    fn default() -> Self {
        FitSparseOptions { model_coefficients_start: None, tolerance: 1e-8, l2_regularizer: None, maximum_iterations: Some(100), maximum_full_sweeps_per_iteration: 1, learning_rate: None }
    }
}

/// What `fit_sparse` returns (TFP's three values).
///
/// ```
/// use probrs::glm::{fit_sparse_data, FitSparseOptions, GlmData, Normal};
/// let data = GlmData::from_rows(vec![1.0, 2.0], vec![1.0, 3.0], 1, &Normal::default())?;
/// // An L1 weight above |Xᵀy| = 7 zeroes the only coefficient.
/// let f = fit_sparse_data(&data, &Normal::default(), 8.0, &FitSparseOptions::default())?;
/// assert_eq!(f.model_coefficients, vec![0.0]);
/// assert!(f.is_converged && f.iter >= 1);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct GlmSparseFit {
    /// β; coefficients the L1 penalty zeroed are exactly 0.
    pub model_coefficients: Vec<f64>,
    /// Whether an outer step converged.
    pub is_converged: bool,
    /// Outer iterations taken.
    pub iter: usize,
}

/// TFP's `tfp.glm.fit_sparse`.
///
/// ```
/// use probrs::glm::{fit_sparse, FitSparseOptions, Poisson};
/// use probrs::tensor::{DType, Tensor};
/// // The count depends on the first feature only; a large L1 weight zeroes the second.
/// let rows: Vec<[f64; 3]> = (0..40).map(|i| [1.0, (i % 8) as f64 / 4.0 - 1.0, ((i * 7) % 5) as f64 / 2.0 - 1.0]).collect();
/// let y: Vec<f64> = rows.iter().map(|r| (1.0 + 2.0 * r[1]).exp().round()).collect();
/// let x: Vec<f64> = rows.iter().flatten().copied().collect();
/// let f = fit_sparse(&Tensor::from_slice(&x, &[40, 3], DType::F64)?, &Tensor::vector(&y, DType::F64)?, &Poisson, 5.0, &FitSparseOptions::default())?;
/// assert!(f.is_converged);
/// assert!(f.model_coefficients[1] > 1.0 && f.model_coefficients[2] == 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn fit_sparse(model_matrix: &Tensor, response: &Tensor, model: &dyn ExponentialFamily, l1_regularizer: f64, options: &FitSparseOptions) -> Result<GlmSparseFit> {
    let data = GlmData::new(model_matrix, response, model)?;
    fit_sparse_data(&data, model, l1_regularizer, options)
}

/// [`fit_sparse`] on data already read.
///
/// ```
/// use probrs::glm::{fit_sparse_data, FitSparseOptions, GlmData, Normal};
/// let data = GlmData::from_rows(vec![1.0, 2.0], vec![1.0, 3.0], 1, &Normal::default())?;
/// // Lasso on one column: (Xᵀy − l1) / XᵀX = (7 − 2) / 5.
/// let f = fit_sparse_data(&data, &Normal::default(), 2.0, &FitSparseOptions::default())?;
/// assert!((f.model_coefficients[0] - 1.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn fit_sparse_data(data: &GlmData, model: &dyn ExponentialFamily, l1_regularizer: f64, options: &FitSparseOptions) -> Result<GlmSparseFit> {
    let (n, d) = (data.n, data.d);
    if !(l1_regularizer >= 0.0 && l1_regularizer.is_finite()) {
        return Err(Error::invalid_parameter("l1_regularizer", format!("must be non-negative, got {l1_regularizer}")));
    }
    let l2 = options.l2_regularizer.unwrap_or(0.0);
    if !(l2 >= 0.0 && l2.is_finite()) {
        return Err(Error::invalid_parameter("l2_regularizer", format!("must be non-negative, got {l2}")));
    }
    let rate = options.learning_rate.unwrap_or(1.0);
    if !(rate > 0.0 && rate <= 1.0) {
        return Err(Error::invalid_parameter("learning_rate", format!("must be in (0, 1], got {rate}")));
    }
    if !(options.tolerance > 0.0) || options.maximum_full_sweeps_per_iteration == 0 {
        return Err(Error::invalid_parameter("tolerance", "the tolerance must be positive and at least one sweep allowed"));
    }
    let mut beta = options.model_coefficients_start.clone().unwrap_or_else(|| vec![0.0; d]);
    if beta.len() != d {
        return Err(Error::ShapeMismatch { context: "glm model_coefficients_start [D] vs model_matrix [N, D]".into(), lhs: vec![beta.len()], rhs: vec![n, d] });
    }
    let max_iter = options.maximum_iterations.unwrap_or(usize::MAX);
    let (mut iter, mut is_converged) = (0, false);
    while !is_converged && iter < max_iter {
        let r = data.linear_response(&beta, None);
        let (mut w, mut z) = (vec![0f64; n], vec![0f64; n]);
        for i in 0..n {
            let (mean, variance, grad_mean) = model.call(r[i]);
            if super::fit::informative(variance, grad_mean) {
                w[i] = grad_mean / variance.sqrt();
                z[i] = (data.y[i] - mean) / grad_mean;
            }
        }
        // H = XᵀWX and −g = Xᵀ((y − μ) μ' / Var).
        let (h, neg_g) = data.weighted_gram(&w, &z)?;
        if neg_g.iter().any(|v| !v.is_finite()) || (0..d).any(|j| !h[(j, j)].is_finite()) {
            return Err(Error::NonFinite { what: "fit_sparse gradient or Fisher information".into(), step: iter, variable: None });
        }
        let threshold = options.tolerance * (1.0 + beta.iter().map(|b| b * b).sum::<f64>().sqrt()).powi(2);
        let mut u = vec![0f64; d];
        let mut hu = vec![0f64; d];
        for _sweep in 0..options.maximum_full_sweeps_per_iteration {
            let mut moved_sq = 0.0;
            for j in 0..d {
                let a = h[(j, j)] + 2.0 * l2;
                if a <= 0.0 {
                    continue; // a column of zeros (or zero weights): nothing to learn about β_j
                }
                let w_old = beta[j] + u[j];
                let step = -rate * (-neg_g[j] + 2.0 * l2 * beta[j] + hu[j]) / a;
                let delta = soft_threshold(w_old + step, rate * l1_regularizer / a) - w_old;
                if delta != 0.0 {
                    u[j] += delta;
                    moved_sq += delta * delta;
                    for (k, v) in hu.iter_mut().enumerate() {
                        *v += delta * (h[(k, j)] + if k == j { 2.0 * l2 } else { 0.0 });
                    }
                }
            }
            is_converged = moved_sq < threshold;
            if is_converged {
                break;
            }
        }
        beta.iter_mut().zip(&u).for_each(|(b, v)| *b += v);
        if beta.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: "fit_sparse model coefficients".into(), step: iter, variable: None });
        }
        iter += 1;
    }
    Ok(GlmSparseFit { model_coefficients: beta, is_converged, iter })
}

/// `sign(x) · max(|x| − t, 0)`.
fn soft_threshold(x: f64, t: f64) -> f64 {
    if x > t {
        x - t
    } else if x < -t {
        x + t
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glm::family::{Bernoulli, Normal};
    use crate::tensor::DType;

    fn logistic_data() -> (GlmData, Vec<f64>) {
        let n = 300;
        let x: Vec<f64> = (0..n * 4).map(|k| if k % 4 == 0 { 1.0 } else { (((k * 7919) % 1009) as f64 / 1009.0 - 0.5) * 3.0 }).collect();
        let y: Vec<f64> = (0..n).map(|i| {
            let eta = 0.3 + 1.5 * x[i * 4 + 1] - 0.8 * x[i * 4 + 2];
            ((((i * 2654435761usize) % 1000) as f64 / 1000.0) < 1.0 / (1.0 + (-eta).exp())) as u8 as f64
        }).collect();
        let data = GlmData::new(&Tensor::from_slice(&x, &[n, 4], DType::F64).unwrap(), &Tensor::vector(&y, DType::F64).unwrap(), &Bernoulli).unwrap();
        (data, x)
    }

    #[test]
    fn the_solution_satisfies_the_elastic_net_optimality_conditions() {
        // KKT: for β_j ≠ 0, ∂(−ℓ)/∂β_j + 2 l2 β_j + l1 sign(β_j) = 0; for β_j = 0,
        // |∂(−ℓ)/∂β_j| ≤ l1. Checked with the exact Bernoulli gradient.
        let (data, x) = logistic_data();
        let (l1, l2) = (4.0, 0.5);
        let f = fit_sparse_data(&data, &Bernoulli, l1, &FitSparseOptions { l2_regularizer: Some(l2), tolerance: 1e-14, maximum_iterations: Some(500), ..Default::default() }).unwrap();
        assert!(f.is_converged);
        let n = data.n;
        for j in 0..4 {
            let grad: f64 = (0..n).map(|i| {
                let eta: f64 = (0..4).map(|k| x[i * 4 + k] * f.model_coefficients[k]).sum();
                -(data.y[i] - 1.0 / (1.0 + (-eta).exp())) * x[i * 4 + j]
            }).sum();
            let b = f.model_coefficients[j];
            if b != 0.0 {
                assert!((grad + 2.0 * l2 * b + l1 * b.signum()).abs() < 1e-6, "coordinate {j}: {}", grad + 2.0 * l2 * b + l1 * b.signum());
            } else {
                assert!(grad.abs() <= l1 + 1e-9, "coordinate {j} at zero with |gradient| {}", grad.abs());
            }
        }
        // The uninformative fourth feature is dropped.
        assert_eq!(f.model_coefficients[3], 0.0);
    }

    #[test]
    fn without_l1_it_is_ridge_for_the_normal_family() {
        // One column x = (1, 2), y = (1, 3), l2 = 2: (XᵀX + 2·l2)⁻¹Xᵀy = 7 / 9 (TFP's loss uses
        // l2 ‖β‖², whose Hessian is 2 l2).
        let data = GlmData::new(&Tensor::from_slice(&[1.0, 2.0], &[2, 1], DType::F64).unwrap(), &Tensor::vector(&[1.0, 3.0], DType::F64).unwrap(), &Normal::default()).unwrap();
        let f = fit_sparse_data(&data, &Normal::default(), 0.0, &FitSparseOptions { l2_regularizer: Some(2.0), ..Default::default() }).unwrap();
        assert!((f.model_coefficients[0] - 7.0 / 9.0).abs() < 1e-12, "{:?}", f.model_coefficients);
    }

    #[test]
    fn bad_regularizers_are_named() {
        let (data, _) = logistic_data();
        let e = fit_sparse_data(&data, &Bernoulli, -1.0, &FitSparseOptions::default()).unwrap_err().to_string();
        assert!(e.contains("l1_regularizer"), "{e}");
        let e = fit_sparse_data(&data, &Bernoulli, 1.0, &FitSparseOptions { learning_rate: Some(2.0), ..Default::default() }).unwrap_err().to_string();
        assert!(e.contains("learning_rate"), "{e}");
    }
}
