//! TFP's `tfp.glm.fit`: maximum likelihood for a GLM by Fisher scoring (iteratively
//! reweighted least squares).
//!
//! At the current predicted linear response `r = Xβ + offset`, with the family's
//! `(μ, Var, μ')`, one step solves the weighted least-squares problem
//!
//! ```text
//! z = r − offset + η (y − μ) / μ'          (η: the learning rate, default 1)
//! w = μ' / √(Var · dispersion)
//! β⁺ = argmin ‖diag(w)(Xβ − z)‖² + λ ‖f ⊙ β‖²
//!    = (XᵀW²X + λ diag(f²))⁻¹ XᵀW²z
//! ```
//!
//! (λ: `l2_regularizer`, f: `l2_regularization_penalty_factor`, default 1). Rows where `μ'` or
//! `Var` is zero or not finite get weight 0, as in TFP. The loop stops when TFP's default
//! criterion holds, `‖β − β⁺‖₂ / (1 + ‖β‖₂) < tolerance` (1e-5) after at least two steps, or
//! after `maximum_iterations`; the result is TFP's four values (coefficients, predicted linear
//! response, whether it converged, the number of steps).
//!
//! The normal equations are solved by Cholesky (TFP's `fast_unsafe_numerics = true`) or, when
//! asked, by a QR factorization of the stacked weighted design (`false`; more accurate when
//! `X` is ill-conditioned). `XᵀW²X` is accumulated in fixed blocks of rows added in one order,
//! so the result does not depend on the thread count. A rank-deficient design is an error
//! naming the first column that is a linear combination of the ones before it.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::tensor::Tensor;

use super::family::ExponentialFamily;

/// Rows per block of the weighted Gram accumulation.
pub(crate) const BLOCK: usize = 4096;

/// How the blocks' partial Gram sums are added, when not here in block order: a distributed
/// fit (`distributed::glm_fit`) gathers every rank's blocks and adds them in block order.
/// Given this rank's partials (block after block, `width` numbers each), it returns the sum.
pub(crate) type BlockSumFn = Arc<dyn Fn(Result<Vec<f64>>, usize) -> Result<Vec<f64>> + Send + Sync>;

/// A [`BlockSumFn`], or none (this process's rows are all the rows).
#[derive(Clone, Default)]
pub(crate) struct BlockSum(pub(crate) Option<BlockSumFn>);

impl std::fmt::Debug for BlockSum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "BlockSum(gathered)" } else { "BlockSum(local)" })
    }
}

/// A model matrix and response read from tensors once, as `f64`, with the column names used in
/// errors and summaries.
///
/// ```
/// use probrs::glm::{fit_data, FitOptions, GlmData, Normal};
/// let data = GlmData::from_rows(vec![1.0, 0.0, 1.0, 1.0, 1.0, 2.0], vec![1.0, 3.0, 5.0], 2, &Normal::default())?;
/// // Several fits of one data set read it once.
/// for l2 in [0.0, 1.0] {
///     fit_data(&data, &Normal::default(), &FitOptions { l2_regularizer: Some(l2), ..Default::default() })?;
/// }
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct GlmData {
    /// `x [N, D]`, row-major.
    pub(super) x: Arc<Vec<f64>>,
    /// `y [N]`.
    pub(super) y: Arc<Vec<f64>>,
    pub(super) n: usize,
    pub(super) d: usize,
    pub(super) names: Vec<String>,
    /// Rows per block of the Gram accumulation ([`BLOCK`] unless a distributed fit sets it).
    pub(crate) block_rows: usize,
    /// How the blocks' partial sums are added.
    pub(crate) block_sum: BlockSum,
}

impl GlmData {
    /// `model_matrix [N, D]` and `response [N]`, checked: shapes agree, entries are finite, and
    /// every response is in the family's support (the error names the row). Columns are named
    /// `x0, x1, …` until [`with_names`](GlmData::with_names).
    ///
    /// ```
    /// use probrs::glm::{GlmData, Poisson};
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::from_slice(&[1.0, 0.5, 1.0, -0.5], &[2, 2], DType::F64)?;
    /// let y = Tensor::vector(&[3.0, 1.0], DType::F64)?;
    /// let data = GlmData::new(&x, &y, &Poisson)?.with_names(&["const", "dose"])?;
    /// assert_eq!(data.names(), ["const", "dose"]);
    /// // A count model rejects a negative response, naming the row.
    /// let bad = Tensor::vector(&[3.0, -1.0], DType::F64)?;
    /// assert!(GlmData::new(&x, &bad, &Poisson).unwrap_err().to_string().contains("row 1"));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(model_matrix: &Tensor, response: &Tensor, model: &dyn ExponentialFamily) -> Result<Self> {
        if model_matrix.rank() != 2 {
            return Err(Error::invalid_shape("model_matrix", model_matrix.shape(), "must be [N, D]"));
        }
        let (n, d) = (model_matrix.shape()[0], model_matrix.shape()[1]);
        if response.shape() != [n] {
            return Err(Error::ShapeMismatch { context: "glm response [N] vs model_matrix [N, D]".into(), lhs: response.shape().to_vec(), rhs: vec![n, d] });
        }
        Self::from_rows(model_matrix.to_vec()?, response.to_vec()?, d, model)
    }

    /// The same from plain vectors: `x` row-major `[N, D]`, `y [N]` (no tensor copy, for large
    /// data read from files).
    ///
    /// ```
    /// use probrs::glm::{Bernoulli, GlmData};
    /// let data = GlmData::from_rows(vec![1.0, 0.3, 1.0, -0.2], vec![1.0, 0.0], 2, &Bernoulli)?;
    /// assert_eq!(data.shape(), (2, 2));
    /// assert!(GlmData::from_rows(vec![1.0, 0.3, 1.0], vec![1.0, 0.0], 2, &Bernoulli).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_rows(x: Vec<f64>, y: Vec<f64>, d: usize, model: &dyn ExponentialFamily) -> Result<Self> {
        let n = y.len();
        if d == 0 || x.len() != n * d {
            return Err(Error::ShapeMismatch { context: "glm model matrix [N·D] vs response [N] and D".into(), lhs: vec![x.len()], rhs: vec![n, d] });
        }
        if n == 0 {
            return Err(Error::invalid_shape("model_matrix", &[n, d], "needs at least one row and one column"));
        }
        if let Some(k) = x.iter().position(|v| !v.is_finite()) {
            return Err(Error::BadInput { location: format!("model_matrix row {}, column {}", k / d, k % d), reason: format!("{} is not finite", x[k]) });
        }
        for (i, v) in y.iter().enumerate() {
            if let Err(reason) = model.check_response(*v) {
                return Err(Error::BadInput { location: format!("response row {i} ({} family)", model.name()), reason });
            }
        }
        Ok(GlmData { x: Arc::new(x), y: Arc::new(y), n, d, names: (0..d).map(|j| format!("x{j}")).collect(), block_rows: BLOCK, block_sum: BlockSum::default() })
    }

    /// Names the columns (one per column of the model matrix).
    ///
    /// ```
    /// use probrs::glm::{GlmData, Normal};
    /// let data = GlmData::from_rows(vec![1.0, 2.0, 1.0, 3.0], vec![0.5, 0.7], 2, &Normal::default())?;
    /// assert!(data.clone().with_names(&["const", "dose"]).is_ok());
    /// assert!(data.with_names(&["const"]).is_err()); // two columns
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_names(mut self, names: &[&str]) -> Result<Self> {
        if names.len() != self.d {
            return Err(Error::ShapeMismatch { context: "glm column names vs model_matrix columns".into(), lhs: vec![names.len()], rhs: vec![self.d] });
        }
        self.names = names.iter().map(|s| s.to_string()).collect();
        Ok(self)
    }

    /// The column names.
    ///
    /// ```
    /// use probrs::glm::{GlmData, Normal};
    /// let data = GlmData::from_rows(vec![1.0, 2.0], vec![0.5], 2, &Normal::default())?;
    /// assert_eq!(data.names(), ["x0", "x1"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// `(N, D)`.
    ///
    /// ```
    /// use probrs::glm::{GlmData, Normal};
    /// assert_eq!(GlmData::from_rows(vec![1.0; 6], vec![0.5; 3], 2, &Normal::default())?.shape(), (3, 2));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn shape(&self) -> (usize, usize) {
        (self.n, self.d)
    }

    /// `Xβ + offset`.
    pub(super) fn linear_response(&self, beta: &[f64], offset: Option<&[f64]>) -> Vec<f64> {
        let d = self.d;
        let parts = crate::tensor::parallel_ranges(self.n, d, |lo, hi| (lo..hi).map(|i| self.x[i * d..(i + 1) * d].iter().zip(beta).map(|(a, b)| a * b).sum::<f64>() + offset.map_or(0.0, |o| o[i])).collect::<Vec<f64>>());
        parts.concat()
    }

    /// `(Σ wᵢ² xᵢxᵢᵀ, Σ wᵢ² zᵢ xᵢ)`, summed over fixed blocks of rows in block order (a
    /// distributed fit's blocks on every rank: an error there is another rank's).
    pub(super) fn weighted_gram(&self, w: &[f64], z: &[f64]) -> Result<(faer::Mat<f64>, Vec<f64>)> {
        use faer::{linalg::matmul::matmul, Accum, MatRef, Par};
        let (d, block) = (self.d, self.block_rows);
        let blocks = self.n.div_ceil(block);
        let per_block = crate::tensor::parallel_ranges(blocks, block * d * d, |b0, b1| {
            let mut out = Vec::with_capacity(b1 - b0);
            let mut buf = vec![0f64; block * d];
            for b in b0..b1 {
                let (lo, hi) = (b * block, ((b + 1) * block).min(self.n));
                let rows = hi - lo;
                let mut rhs = vec![0f64; d];
                for (k, i) in (lo..hi).enumerate() {
                    let wi = w[i];
                    let xi = &self.x[i * d..(i + 1) * d];
                    let dst = &mut buf[k * d..(k + 1) * d];
                    for ((o, x), r) in dst.iter_mut().zip(xi).zip(rhs.iter_mut()) {
                        *o = wi * x;
                        *r += wi * wi * z[i] * x;
                    }
                }
                let a = MatRef::from_row_major_slice(&buf[..rows * d], rows, d);
                let mut g = faer::Mat::<f64>::zeros(d, d);
                matmul(g.as_mut(), Accum::Replace, a.transpose(), a, 1.0, Par::Seq);
                out.push((g, rhs));
            }
            out
        });
        if let Some(sum) = &self.block_sum.0 {
            // The same additions, in the same order, over every rank's blocks.
            let flat: Vec<f64> = per_block.iter().flatten().flat_map(|(g, r)| (0..d).flat_map(move |i| (0..d).map(move |j| g[(i, j)])).chain(r.iter().copied())).collect();
            let total = sum(Ok(flat), d * d + d)?;
            return Ok((faer::Mat::from_fn(d, d, |i, j| total[i * d + j]), total[d * d..].to_vec()));
        }
        let mut gram = faer::Mat::<f64>::zeros(d, d);
        let mut rhs = vec![0f64; d];
        for (g, r) in per_block.into_iter().flatten() {
            gram += &g;
            rhs.iter_mut().zip(&r).for_each(|(a, b)| *a += b);
        }
        Ok((gram, rhs))
    }
}

/// A convergence test (TFP's `convergence_criteria_fn`): given the step number (0-based), the
/// previous and the next coefficients, whether to stop.
///
/// ```
/// use probrs::glm::{ConvergenceCriterion, FitOptions};
/// // Stop after exactly three steps.
/// let three: ConvergenceCriterion = std::sync::Arc::new(|step, _prev, _next| step == 2);
/// let o = FitOptions { convergence_criteria_fn: Some(three), ..Default::default() };
/// # let _ = o;
/// ```
pub type ConvergenceCriterion = Arc<dyn Fn(usize, &[f64], &[f64]) -> bool + Send + Sync>;

/// TFP's `convergence_criteria_small_relative_norm_weights_change(tolerance, norm_order = 2)`:
/// `step > 0` and `‖β − β⁺‖₂ / (1 + ‖β‖₂) < tolerance`.
///
/// ```
/// use probrs::glm::convergence_criteria_small_relative_norm_weights_change;
/// let c = convergence_criteria_small_relative_norm_weights_change(1e-5);
/// assert!(!c(0, &[1.0], &[1.0])); // never at the first step
/// assert!(c(1, &[1.0], &[1.0 + 1e-6]));
/// assert!(!c(1, &[1.0], &[1.1]));
/// ```
pub fn convergence_criteria_small_relative_norm_weights_change(tolerance: f64) -> ConvergenceCriterion {
    Arc::new(move |step, prev, next| {
        let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x * x).sum::<f64>().sqrt();
        step > 0 && norm(&mut prev.iter().zip(next).map(|(a, b)| a - b)) / (1.0 + norm(&mut prev.iter().copied())) < tolerance
    })
}

/// `fit`'s arguments beyond the data and the family, with TFP's defaults.
///
/// ```
/// use probrs::glm::FitOptions;
/// let o = FitOptions { l2_regularizer: Some(0.1), ..Default::default() };
/// assert_eq!(o.maximum_iterations, Some(100));
/// assert!(o.fast_unsafe_numerics);
/// ```
#[derive(Clone)]
pub struct FitOptions {
    /// Initial coefficients (default zeros).
    pub model_coefficients_start: Option<Vec<f64>>,
    /// Initial predicted linear response (default `X β₀ + offset`).
    pub predicted_linear_response_start: Option<Vec<f64>>,
    /// λ, added to the diagonal of `XᵀW²X` (times `f²`) as TFP's solver adds it: the
    /// penalty `λ/2 ‖f ⊙ β‖²` on the negative log-likelihood (TFP's docstring says `λ ‖β‖²`;
    /// its `lstsq` computes this). Default none.
    pub l2_regularizer: Option<f64>,
    /// `f`, a penalty factor per coefficient (default 1; 0 leaves a coefficient unpenalized).
    pub l2_regularization_penalty_factor: Option<Vec<f64>>,
    /// A known dispersion φ, `Var · φ` in the weights (default none, i.e. 1).
    pub dispersion: Option<f64>,
    /// A constant added to the linear response, one per row (default none).
    pub offset: Option<Vec<f64>>,
    /// Damping of each step, in (0, 1] (default none, i.e. 1).
    pub learning_rate: Option<f64>,
    /// Stop after this many steps (TFP's default is none, unbounded; here 100, statsmodels'
    /// `maxiter`, so a fit that cannot converge returns).
    pub maximum_iterations: Option<usize>,
    /// The stopping rule (default: relative weight change below 1e-5).
    pub convergence_criteria_fn: Option<ConvergenceCriterion>,
    /// Solve by Cholesky of the normal equations (`true`, TFP's default) or by QR of the
    /// weighted design (`false`).
    pub fast_unsafe_numerics: bool,
    /// On a step that turns non-finite, return the last good coefficients with
    /// [`GlmFit::failure`] set, instead of the error (default false: the error).
    pub keep_last_good_on_failure: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            model_coefficients_start: None,
            predicted_linear_response_start: None,
            l2_regularizer: None,
            l2_regularization_penalty_factor: None,
            dispersion: None,
            offset: None,
            learning_rate: None,
            maximum_iterations: Some(100),
            convergence_criteria_fn: None,
            fast_unsafe_numerics: true,
            keep_last_good_on_failure: false,
        }
    }
}

/// What `fit` returns: TFP's four values, and the failure when a step went wrong and
/// `keep_last_good_on_failure` asked for the last good values.
///
/// ```
/// use probrs::glm::{fit_data, FitOptions, GlmData, Normal};
/// let data = GlmData::from_rows(vec![1.0, 0.0, 1.0, 1.0, 1.0, 2.0], vec![1.0, 3.0, 5.0], 2, &Normal::default())?;
/// let f = fit_data(&data, &Normal::default(), &FitOptions::default())?;
/// assert!(f.is_converged && f.failure.is_none());
/// assert!((f.model_coefficients[1] - 2.0).abs() < 1e-12 && (f.predicted_linear_response[2] - 5.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Debug)]
pub struct GlmFit {
    /// β, one per column of the model matrix.
    pub model_coefficients: Vec<f64>,
    /// `Xβ + offset`.
    pub predicted_linear_response: Vec<f64>,
    /// Whether the convergence criterion held.
    pub is_converged: bool,
    /// Fisher-scoring steps taken.
    pub iter: usize,
    /// The error that stopped the fit early (only with `keep_last_good_on_failure`).
    pub failure: Option<Error>,
}

/// TFP's `tfp.glm.fit` on a model matrix and response.
///
/// ```
/// use probrs::glm::{fit, Bernoulli, FitOptions};
/// use probrs::tensor::{DType, Tensor};
/// // y = 1 more often when x is large: a positive slope.
/// let xs = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0];
/// let ys = [0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0];
/// let x: Vec<f64> = xs.iter().flat_map(|v| [1.0, *v]).collect();
/// let fit = fit(&Tensor::from_slice(&x, &[8, 2], DType::F64)?, &Tensor::vector(&ys, DType::F64)?, &Bernoulli, &FitOptions::default())?;
/// assert!(fit.is_converged && fit.model_coefficients[1] > 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn fit(model_matrix: &Tensor, response: &Tensor, model: &dyn ExponentialFamily, options: &FitOptions) -> Result<GlmFit> {
    let data = GlmData::new(model_matrix, response, model)?;
    fit_data(&data, model, options)
}

/// [`fit`] on data already read ([`GlmData`]), for several fits of one data set.
///
/// ```
/// use probrs::glm::{fit_data, FitOptions, GlmData, Poisson};
/// let data = GlmData::from_rows(vec![1.0, 0.0, 1.0, 1.0, 1.0, 2.0], vec![1.0, 3.0, 8.0], 2, &Poisson)?;
/// let f = fit_data(&data, &Poisson, &FitOptions::default())?;
/// assert!(f.is_converged && f.model_coefficients[1] > 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn fit_data(data: &GlmData, model: &dyn ExponentialFamily, options: &FitOptions) -> Result<GlmFit> {
    let (n, d) = (data.n, data.d);
    let offset = options.offset.as_deref();
    if let Some(o) = offset {
        if o.len() != n {
            return Err(Error::ShapeMismatch { context: "glm offset [N] vs response [N]".into(), lhs: vec![o.len()], rhs: vec![n] });
        }
    }
    let mut beta = options.model_coefficients_start.clone().unwrap_or_else(|| vec![0.0; d]);
    if beta.len() != d {
        return Err(Error::ShapeMismatch { context: "glm model_coefficients_start [D] vs model_matrix [N, D]".into(), lhs: vec![beta.len()], rhs: vec![n, d] });
    }
    let mut r = match &options.predicted_linear_response_start {
        Some(r) if r.len() != n => return Err(Error::ShapeMismatch { context: "glm predicted_linear_response_start [N] vs response [N]".into(), lhs: vec![r.len()], rhs: vec![n] }),
        Some(r) => r.clone(),
        None => data.linear_response(&beta, offset),
    };
    let lambda = options.l2_regularizer.unwrap_or(0.0);
    if !(lambda >= 0.0 && lambda.is_finite()) {
        return Err(Error::invalid_parameter("l2_regularizer", format!("must be non-negative, got {lambda}")));
    }
    let factor = match &options.l2_regularization_penalty_factor {
        Some(f) if f.len() != d => return Err(Error::ShapeMismatch { context: "glm l2_regularization_penalty_factor [D] vs model_matrix [N, D]".into(), lhs: vec![f.len()], rhs: vec![n, d] }),
        Some(f) => f.clone(),
        None => vec![1.0; d],
    };
    let dispersion = options.dispersion.unwrap_or(1.0);
    if !(dispersion > 0.0 && dispersion.is_finite()) {
        return Err(Error::invalid_parameter("dispersion", format!("must be positive, got {dispersion}")));
    }
    let rate = options.learning_rate.unwrap_or(1.0);
    if !(rate > 0.0 && rate <= 1.0) {
        return Err(Error::invalid_parameter("learning_rate", format!("must be in (0, 1], got {rate}")));
    }
    // A design that is rank deficient before any weighting is the caller's to fix: named, never kept.
    let (design_gram, _) = data.weighted_gram(&vec![1.0; n], &vec![0.0; n])?;
    solve_spd(&design_gram, &vec![0.0; d], &data.names)?;
    let criterion = options.convergence_criteria_fn.clone().unwrap_or_else(|| convergence_criteria_small_relative_norm_weights_change(1e-5));
    let max_iter = options.maximum_iterations.unwrap_or(usize::MAX);
    let mut iter = 0;
    let mut is_converged = false;
    while !is_converged && iter < max_iter {
        let step = fisher_scoring_step(data, model, &r, offset, lambda, &factor, dispersion, rate, options.fast_unsafe_numerics);
        // A full-rank design whose weighted information turns singular, or coefficients that
        // turn non-finite: the iterations diverged at this step.
        let step = step.map_err(|e| match e {
            Error::LinearAlgebra { reason, .. } => Error::LinearAlgebra { op: format!("glm fit, Fisher-scoring step {iter} (the iterations diverged: weights vanished or overflowed)"), reason },
            e => e,
        });
        let next = match step.and_then(|b| if b.iter().all(|v| v.is_finite()) { Ok(b) } else { Err(Error::NonFinite { what: "glm model coefficients".into(), step: iter, variable: None }) }) {
            Ok(b) => b,
            Err(e) if options.keep_last_good_on_failure => {
                return Ok(GlmFit { model_coefficients: beta, predicted_linear_response: r, is_converged: false, iter, failure: Some(e) });
            }
            Err(e) => return Err(e),
        };
        let r_next = data.linear_response(&next, offset);
        is_converged = criterion(iter, &beta, &next);
        beta = next;
        r = r_next;
        iter += 1;
    }
    Ok(GlmFit { model_coefficients: beta, predicted_linear_response: r, is_converged, iter, failure: None })
}

/// TFP's mask in Fisher scoring: a row informs a step only where `μ'` is finite and nonzero and
/// `Var` finite and positive (elsewhere its weight is 0).
pub(crate) fn informative(variance: f64, grad_mean: f64) -> bool {
    grad_mean.is_finite() && grad_mean != 0.0 && variance.is_finite() && variance > 0.0
}

/// One Fisher-scoring step from the predicted linear response `r` (TFP's `fit_one_step`).
#[allow(clippy::too_many_arguments)]
fn fisher_scoring_step(data: &GlmData, model: &dyn ExponentialFamily, r: &[f64], offset: Option<&[f64]>, lambda: f64, factor: &[f64], dispersion: f64, rate: f64, fast: bool) -> Result<Vec<f64>> {
    let n = data.n;
    let (mut w, mut z) = (vec![0f64; n], vec![0f64; n]);
    for i in 0..n {
        let (mean, variance, grad_mean) = model.call(r[i]);
        let valid = informative(variance, grad_mean);
        let g = if valid { grad_mean } else { 1.0 };
        z[i] = rate * (data.y[i] - mean) / g + r[i] - offset.map_or(0.0, |o| o[i]);
        w[i] = if valid { grad_mean / (variance * dispersion).sqrt() } else { 0.0 };
        if !z[i].is_finite() {
            // A row whose working response overflowed carries no information this step.
            z[i] = 0.0;
            w[i] = 0.0;
        }
    }
    if fast {
        let (mut gram, rhs) = data.weighted_gram(&w, &z)?;
        for j in 0..data.d {
            gram[(j, j)] += lambda * factor[j] * factor[j];
        }
        solve_spd(&gram, &rhs, &data.names)
    } else {
        solve_qr(data, &w, &z, lambda, factor)
    }
}

/// The Cholesky factor of the symmetric positive-definite `G`, or an error naming the first
/// column of a rank-deficient `G` (`op` says whose): a pivot below `1e-10` of its diagonal
/// entry means that column is (numerically) a combination of the earlier ones.
pub(crate) fn spd_factor(gram: &faer::Mat<f64>, names: &[String], op: &str) -> Result<faer::linalg::solvers::Llt<f64>> {
    let llt = gram.llt(faer::Side::Lower).map_err(|e| match e {
        faer::linalg::cholesky::llt::factor::LltError::NonPositivePivot { index } => rank_deficient(index, names, op),
    })?;
    let l = llt.L();
    if let Some(j) = (0..gram.nrows()).find(|&j| l[(j, j)] * l[(j, j)] < 1e-10 * gram[(j, j)].max(f64::MIN_POSITIVE)) {
        return Err(rank_deficient(j, names, op));
    }
    Ok(llt)
}

/// Solves `G β = b` through [`spd_factor`].
pub(super) fn solve_spd(gram: &faer::Mat<f64>, rhs: &[f64], names: &[String]) -> Result<Vec<f64>> {
    let d = rhs.len();
    let llt = spd_factor(gram, names, "glm fit")?;
    let mut b = faer::Mat::<f64>::from_fn(d, 1, |i, _| rhs[i]);
    use faer::linalg::solvers::SolveCore;
    llt.solve_in_place_with_conj(faer::Conj::No, b.as_mut());
    Ok((0..d).map(|i| b[(i, 0)]).collect())
}

fn rank_deficient(j: usize, names: &[String], op: &str) -> Error {
    let earlier = if j == 0 { "it is zero (or its weights are)".to_string() } else { format!("it is a linear combination of {}", names[..j].join(", ")) };
    Error::LinearAlgebra { op: op.into(), reason: format!("the model matrix is rank deficient at column `{}`: {earlier}", names[j]) }
}

/// `argmin ‖[diag(w)X; √λ diag(f)] β − [diag(w)z; 0]‖²` by faer's QR of the stacked design.
fn solve_qr(data: &GlmData, w: &[f64], z: &[f64], lambda: f64, factor: &[f64]) -> Result<Vec<f64>> {
    let (n, d) = (data.n, data.d);
    let a = faer::Mat::<f64>::from_fn(n + d, d, |i, j| if i < n { w[i] * data.x[i * d + j] } else if i - n == j { lambda.sqrt() * factor[j] } else { 0.0 });
    let b = faer::Mat::<f64>::from_fn(n + d, 1, |i, _| if i < n { w[i] * z[i] } else { 0.0 });
    let qr = a.qr();
    let r = qr.R();
    if let Some(j) = (0..d).find(|&j| r[(j, j)].abs() < 1e-10 * (0..=j).map(|i| r[(i, j)] * r[(i, j)]).sum::<f64>().sqrt().max(f64::MIN_POSITIVE)) {
        return Err(rank_deficient(j, &data.names, "glm fit"));
    }
    use faer::linalg::solvers::SolveLstsqCore;
    let mut b = b;
    qr.solve_lstsq_in_place_with_conj(faer::Conj::No, b.as_mut());
    Ok((0..d).map(|i| b[(i, 0)]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glm::family::{Normal, Poisson};
    use crate::tensor::DType;

    fn data(x: &[f64], y: &[f64], d: usize, model: &dyn ExponentialFamily) -> GlmData {
        let n = y.len();
        GlmData::new(&Tensor::from_slice(x, &[n, d], DType::F64).unwrap(), &Tensor::vector(y, DType::F64).unwrap(), model).unwrap()
    }

    #[test]
    fn normal_family_is_ordinary_least_squares_in_one_step() {
        // y = 1 + 2x exactly: one step lands on (1, 2); the second confirms convergence.
        let xs = [0.0, 1.0, 2.0, 3.0];
        let x: Vec<f64> = xs.iter().flat_map(|v| [1.0, *v]).collect();
        let y: Vec<f64> = xs.iter().map(|v| 1.0 + 2.0 * v).collect();
        let f = fit_data(&data(&x, &y, 2, &Normal::default()), &Normal::default(), &FitOptions::default()).unwrap();
        assert!((f.model_coefficients[0] - 1.0).abs() < 1e-12 && (f.model_coefficients[1] - 2.0).abs() < 1e-12);
        assert_eq!((f.iter, f.is_converged), (2, true));
        // QR gives the same.
        let q = fit_data(&data(&x, &y, 2, &Normal::default()), &Normal::default(), &FitOptions { fast_unsafe_numerics: false, ..Default::default() }).unwrap();
        assert!((q.model_coefficients[1] - 2.0).abs() < 1e-12);
    }

    #[test]
    fn l2_penalty_is_ridge_for_the_normal_family() {
        // Ridge: (XᵀX + λI)⁻¹Xᵀy for one column x = (1, 2), y = (1, 3): (1 + 6)/(5 + λ).
        let d = data(&[1.0, 2.0], &[1.0, 3.0], 1, &Normal::default());
        let f = fit_data(&d, &Normal::default(), &FitOptions { l2_regularizer: Some(2.0), ..Default::default() }).unwrap();
        assert!((f.model_coefficients[0] - 1.0).abs() < 1e-12);
        let f = fit_data(&d, &Normal::default(), &FitOptions { l2_regularizer: Some(2.0), l2_regularization_penalty_factor: Some(vec![0.0]), ..Default::default() }).unwrap();
        assert!((f.model_coefficients[0] - 7.0 / 5.0).abs() < 1e-12);
    }

    #[test]
    fn a_rank_deficient_design_names_the_column() {
        let x = [1.0, 2.0, 4.0, 1.0, 3.0, 6.0, 1.0, 5.0, 10.0];
        let d = data(&x, &[1.0, 2.0, 3.0], 3, &Poisson).with_names(&["const", "a", "twice_a"]).unwrap();
        for fast in [true, false] {
            let e = fit_data(&d, &Poisson, &FitOptions { fast_unsafe_numerics: fast, ..Default::default() }).unwrap_err().to_string();
            assert!(e.contains("`twice_a`") && e.contains("const, a"), "{e}");
        }
    }

    #[test]
    fn a_diverging_fit_names_its_step_and_keeps_its_last_good_coefficients_when_asked() {
        // Poisson from a huge starting point: every mean overflows, the weights vanish and the
        // first step's information is singular.
        let d = data(&[1.0, 1.0], &[1.0, 2.0], 1, &Poisson);
        let o = FitOptions { model_coefficients_start: Some(vec![800.0]), ..Default::default() };
        let e = fit_data(&d, &Poisson, &o).unwrap_err().to_string();
        assert!(e.contains("step 0") && e.contains("diverged"), "{e}");
        let kept = fit_data(&d, &Poisson, &FitOptions { keep_last_good_on_failure: true, ..o }).unwrap();
        assert_eq!(kept.model_coefficients, vec![800.0]);
        assert!(kept.failure.is_some() && !kept.is_converged && kept.iter == 0);
        // NormalReciprocal through a pole: the linear response crosses zero, the mean is
        // infinite, and the coefficients turn non-finite at a later step.
        let x = [1.0, 1.0, 1.0];
        let y = [0.0, 0.0, 0.0];
        let nr = crate::glm::family::NormalReciprocal::default();
        let d = data(&x, &y, 1, &nr);
        let r = fit_data(&d, &nr, &FitOptions { model_coefficients_start: Some(vec![1.0]), keep_last_good_on_failure: true, ..Default::default() }).unwrap();
        assert!(r.model_coefficients.iter().all(|v| v.is_finite()), "kept values are finite: {r:?}");
    }

    #[test]
    fn the_blocked_gram_matrix_equals_the_row_by_row_sum() {
        let n = 3 * BLOCK + 17;
        let x: Vec<f64> = (0..n * 3).map(|k| ((k * 7919) % 1013) as f64 / 1013.0 - 0.5).collect();
        let y: Vec<f64> = (0..n).map(|i| (i % 5) as f64).collect();
        let d = data(&x, &y, 3, &Poisson);
        let w: Vec<f64> = (0..n).map(|i| 1.0 + (i % 3) as f64).collect();
        let (g, r) = d.weighted_gram(&w, &y).unwrap();
        // Against a plain row-by-row sum, to rounding.
        for a in 0..3 {
            let want: f64 = (0..n).map(|i| w[i] * w[i] * y[i] * x[i * 3 + a]).sum();
            assert!((r[a] - want).abs() < 1e-9 * want.abs().max(1.0));
            for b in 0..3 {
                let want: f64 = (0..n).map(|i| w[i] * w[i] * x[i * 3 + a] * x[i * 3 + b]).sum();
                assert!((g[(a, b)] - want).abs() < 1e-9 * want.abs().max(1.0));
            }
        }
    }
}
