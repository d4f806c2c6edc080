//! `lmer`: linear mixed models fitted by maximum likelihood or REML, as lme4 fits them — the
//! profiled deviance (`profiled_deviance.rs`) minimized over the relative covariance factor θ.
//!
//! The optimizer is probrs's BFGS (`optim::bfgs_minimize`, TFP's, with the Hager–Zhang line
//! search) on the exact gradient of the profiled deviance through a Schur complement
//! (`schur_deviance.rs`, when the terms after the first have at most 3,000 columns), else on
//! central finite differences of the sparse path (step `1e-5·max(1, |θ|)`). It works on
//! φ = log θ for the diagonal entries of each `Λᵢ` (lme4's bound θ ≥ 0; variance parameters on a
//! log scale are far better scaled) and on θ itself off the diagonal; a diagonal entry driven
//! toward 0 is set to 0 when that does not raise the deviance (lme4's singular fit). It starts
//! from lme4's θ = 1, except a lone random intercept, which starts at its one-way ANOVA moment
//! estimate, and (on the Schur path) with the inverse of a forward-difference Hessian of the
//! gradient as its first inverse-Hessian estimate. lme4 uses BOBYQA, derivative-free with
//! bounds; both reach the same optimum, and the gradient at the end is reported
//! ([`LmerFit::gradient`]) so that anyone can check it.
//!
//! Results, with σ̂² = r²/n (ML) or r²/(n − p) (REML): the fixed effects with standard errors
//! `σ̂² (R_XᵀR_X)⁻¹`, each term's covariance `σ̂² ΛᵢΛᵢᵀ` (standard deviations and correlations),
//! the conditional modes (BLUPs) `b̂ = Λû` per level, the log-likelihood (or REML criterion),
//! AIC and BIC, fitted values and residuals, and a summary printed as lme4 prints it.

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::optim::{bfgs_minimize, QuasiNewtonOptions};
use crate::tensor::{DType, Tensor};

use super::data_frame::DataFrame;
use super::formula::Formula;
use super::model_frame::ModelFrame;
use super::profiled_deviance::{Evaluation, ProfiledDeviance};
use super::schur_deviance::SchurDeviance;

/// `lmer`'s options.
///
/// ```
/// use probrs::mixed_effects::LmerOptions;
/// assert!(LmerOptions::default().reml); // lme4's default
/// ```
#[derive(Clone, Debug)]
pub struct LmerOptions {
    /// REML (default, as lme4) or maximum likelihood.
    pub reml: bool,
    /// BFGS iterations at most (default 500).
    pub max_iterations: usize,
    /// Stop when every component of the deviance's gradient is below this (default 1e-6).
    pub gradient_tolerance: f64,
}

impl Default for LmerOptions {
    fn default() -> Self {
        LmerOptions { reml: true, max_iterations: 500, gradient_tolerance: 1e-6 }
    }
}

/// A random-effects term's estimates.
///
/// ```
/// use probrs::mixed_effects::{lmer, sleepstudy, LmerOptions};
/// let fit = lmer("Reaction ~ Days + (Days | Subject)", &sleepstudy()?, &LmerOptions::default())?;
/// let c = &fit.components[0];
/// assert_eq!((c.group.as_str(), c.levels.len(), c.conditional_modes.len()), ("Subject", 18, 36));
/// assert!((c.sd[0] - 24.740).abs() < 1e-3);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct VarianceComponent {
    /// The grouping factor.
    pub group: String,
    /// The effects (`(Intercept)`, `Days`).
    pub names: Vec<String>,
    /// Their covariance `σ̂² ΛᵢΛᵢᵀ`, row-major.
    pub covariance: Vec<f64>,
    /// Standard deviations.
    pub sd: Vec<f64>,
    /// Correlations, row-major.
    pub correlation: Vec<f64>,
    /// The levels of the grouping factor.
    pub levels: Vec<String>,
    /// Conditional modes (BLUPs), `[levels, names]` row-major.
    pub conditional_modes: Vec<f64>,
}

/// A fitted linear mixed model.
///
/// ```
/// use probrs::mixed_effects::{lmer, sleepstudy, LmerOptions};
/// let fit = lmer("Reaction ~ Days + (Days | Subject)", &sleepstudy()?, &LmerOptions { reml: false, ..Default::default() })?;
/// assert!((fit.log_likelihood - (-875.970)).abs() < 1e-3);
/// // Residuals and fitted values add up to the response.
/// assert!((fit.fitted[0] + fit.residuals[0] - 249.56).abs() < 1e-9);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LmerFit {
    /// The formula as given.
    pub formula: String,
    /// Where the data came from.
    pub data: String,
    /// REML or ML.
    pub reml: bool,
    /// Fixed-effects names.
    pub fixed_names: Vec<String>,
    /// β̂.
    pub beta: Vec<f64>,
    /// Standard errors of β̂.
    pub standard_errors: Vec<f64>,
    /// Covariance of β̂, row-major.
    pub beta_covariance: Vec<f64>,
    /// The variance components, most levels first.
    pub components: Vec<VarianceComponent>,
    /// σ̂, the residual standard deviation.
    pub sigma: f64,
    /// θ at the optimum (lme4's `getME(fit, "theta")`).
    pub theta: Vec<f64>,
    /// The deviance (ML) or REML criterion at θ̂.
    pub objective: f64,
    /// The log-likelihood (REML fits: the restricted log-likelihood), `−objective / 2`.
    pub log_likelihood: f64,
    /// `−2ℓ + 2k`, k = p + length(θ) + 1.
    pub aic: f64,
    /// `−2ℓ + k log n`.
    pub bic: f64,
    /// Observations.
    pub nobs: usize,
    /// Fitted values `Xβ̂ + Zb̂`.
    pub fitted: Vec<f64>,
    /// Residuals `y − fitted`.
    pub residuals: Vec<f64>,
    /// The objective's gradient in θ at the optimum (exact, or by finite differences).
    pub gradient: Vec<f64>,
    /// BFGS iterations and objective evaluations.
    pub iterations: usize,
    /// Objective evaluations.
    pub evaluations: usize,
    /// Whether BFGS met the gradient tolerance.
    pub converged: bool,
}

/// Fits `formula` to `data` (lme4's `lmer(formula, data, REML = options.reml)`).
///
/// ```
/// use probrs::mixed_effects::{lmer, DataFrame, LmerOptions};
/// // Two groups with different means and a common slope.
/// let mut csv = String::from("y,x,g\n");
/// for i in 0..40 {
///     let g = i % 4;
///     let y = 1.0 + 0.5 * (i / 4) as f64 + [-2.0, -0.5, 0.7, 1.9][g] + ((i * 37 % 11) as f64 - 5.0) / 10.0;
///     csv.push_str(&format!("{y},{},{g}\n", i / 4));
/// }
/// let df = DataFrame::from_csv_str(&csv, "groups.csv")?;
/// let fit = lmer("y ~ x + (1 | g)", &df, &LmerOptions::default())?;
/// assert!(fit.converged);
/// assert!((fit.beta[1] - 0.5).abs() < 0.05);
/// assert!(fit.components[0].sd[0] > 1.0); // the group means differ
/// println!("{fit}");
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn lmer(formula: &str, data: &DataFrame, options: &LmerOptions) -> Result<LmerFit> {
    let f = Formula::parse(formula)?;
    if f.random.is_empty() {
        return Err(Error::BadInput { location: format!("formula \"{formula}\""), reason: "no random-effects terms; use glm::fit for a model without them".into() });
    }
    let frame = ModelFrame::new(&f, data)?;
    check_fixed_rank(&frame)?;
    let pd = ProfiledDeviance::new(&frame, options.reml)?;
    // The Schur-complement path gives the exact gradient; otherwise central differences of the
    // sparse path (2·length(θ) more evaluations per gradient).
    let schur = SchurDeviance::new(&pd);
    let objective = |theta: &[f64]| pd.evaluate(theta).map(|e| e.objective);
    let fd_gradient = |theta: &[f64]| central_gradient(&objective, theta);
    // The evaluation with its gradient at θ, remembering the latest one: BFGS starts where the
    // Hessian estimate was taken and ends where the fit's summary is read, so both are reused.
    let evaluations = std::cell::Cell::new(0usize);
    let last: std::cell::RefCell<Option<(Vec<f64>, Evaluation, Vec<f64>)>> = std::cell::RefCell::new(None);
    let evaluate_with_gradient = |theta: &[f64]| -> Result<(Evaluation, Vec<f64>)> {
        if let Some((t, e, g)) = &*last.borrow() {
            if t.as_slice() == theta {
                return Ok((e.clone(), g.clone()));
            }
        }
        evaluations.set(evaluations.get() + if schur.is_some() { 1 } else { 1 + 2 * theta.len() });
        let (e, g) = match &schur {
            Some(sd) => sd.evaluate(theta)?,
            None => (pd.evaluate(theta)?, fd_gradient(theta)?),
        };
        *last.borrow_mut() = Some((theta.to_vec(), e.clone(), g.clone()));
        Ok((e, g))
    };
    // A θ where the factorization fails: no value, so the line search backs off.
    let value_and_gradient = |theta: &[f64]| -> Result<Option<(f64, Vec<f64>)>> { Ok(evaluate_with_gradient(theta).ok().map(|(e, g)| (e.objective, g))) };
    // BFGS on φ with θ = exp(φ) for the diagonal entries of each Λᵢ (lme4 bounds them below by
    // 0) and θ = φ off the diagonal: variance parameters on a log scale are far better scaled
    // (from lme4's start θ = 1, BFGS on θ itself wandered across θ = 0 for 43 evaluations on
    // InstEval).
    let diagonal = pd.diagonal_mask();
    let to_theta = |phi: &[f64]| -> Vec<f64> { phi.iter().zip(&diagonal).map(|(p, d)| if *d { p.exp() } else { *p }).collect() };
    let on_phi = |phi: &[f64]| -> Result<Option<(f64, Vec<f64>)>> {
        let theta = to_theta(phi);
        Ok(value_and_gradient(&theta)?.map(|(v, g)| (v, g.iter().zip(&theta).zip(&diagonal).map(|((g, t), d)| if *d { g * t } else { *g }).collect())))
    };
    let start: Vec<f64> = moment_start(&pd, &frame).iter().zip(&diagonal).map(|(t, d)| if *d { t.ln() } else { *t }).collect();
    // BFGS starts from the inverse of a forward-difference Hessian of the exact gradient (one
    // more gradient per coordinate): the coordinates' curvatures differ by orders of magnitude
    // (InstEval: students' against departments'), which the scaled identity learns slowly.
    let h0 = if schur.is_some() { inverse_hessian_at(&on_phi, &start)? } else { None };
    let res = bfgs_on_slices(&on_phi, &start, h0.as_deref(), options.gradient_tolerance, options.max_iterations)?;
    let mut theta = to_theta(&res.position);
    // A diagonal entry driven toward 0 (a variance on the boundary, lme4's singular fit) is
    // set to 0 where that does not raise the deviance.
    let mut best = None;
    for j in 0..theta.len() {
        if diagonal[j] && theta[j] < 1e-4 {
            let mut t = theta.clone();
            t[j] = 0.0;
            if best.is_none() {
                best = objective(&theta).ok();
            }
            if let (Ok(a), Some(b)) = (objective(&t), best) {
                if a <= b + 1e-10 * b.abs() {
                    theta = t;
                    best = Some(a);
                }
            }
        }
    }
    canonical_signs(&pd, &mut theta);
    let (e, grad) = evaluate_with_gradient(&theta)?;
    let (n, p) = (pd.n, pd.p);
    let dof = if options.reml { n - p } else { n } as f64;
    let sigma2 = e.pwrss / dof;
    let beta_covariance: Vec<f64> = e.rx_inverse.iter().map(|v| v * sigma2).collect();
    let standard_errors = (0..p).map(|j| beta_covariance[j * p + j].sqrt()).collect();
    let components = variance_components(&pd, &frame, &theta, &e.u, sigma2);
    let xb = pd.x_beta(&e.beta);
    let zb = pd.z_lambda_u(&theta, &e.u);
    let fitted: Vec<f64> = xb.iter().zip(&zb).map(|(a, b)| a + b).collect();
    let residuals = frame.y.iter().zip(&fitted).map(|(y, f)| y - f).collect();
    let k = (p + pd.n_theta + 1) as f64;
    let log_likelihood = -e.objective / 2.0;
    Ok(LmerFit {
        formula: f.text.clone(),
        data: data.source().to_string(),
        reml: options.reml,
        fixed_names: frame.fixed_names.clone(),
        beta: e.beta.clone(),
        standard_errors,
        beta_covariance,
        components,
        sigma: sigma2.sqrt(),
        theta,
        objective: e.objective,
        log_likelihood,
        aic: e.objective + 2.0 * k,
        bic: e.objective + k * (n as f64).ln(),
        nobs: n,
        fitted,
        residuals,
        gradient: grad,
        iterations: res.iterations,
        evaluations: evaluations.get(),
        converged: res.converged,
    })
}

/// probrs's BFGS (TFP's, Hager–Zhang line search) on a function of a plain vector giving its
/// value and gradient, or `None` where it is undefined (treated as +∞, so the line search backs
/// off); stops at a gradient below `tolerance` or after `max_iterations`.
pub(super) fn bfgs_on_slices(f: &dyn Fn(&[f64]) -> Result<Option<(f64, Vec<f64>)>>, start: &[f64], initial_inverse_hessian: Option<&[f64]>, tolerance: f64, max_iterations: usize) -> Result<SliceMinimum> {
    let value_and_gradient = |x: &Tensor| -> Result<(Tensor, Tensor)> {
        let v = x.to_vec()?;
        match f(&v)? {
            Some((value, g)) => Ok((Tensor::scalar(value, DType::F64)?, Tensor::vector(&g, DType::F64)?)),
            None => Ok((Tensor::scalar(f64::INFINITY, DType::F64)?, Tensor::vector(&vec![0.0; v.len()], DType::F64)?)),
        }
    };
    let opts = QuasiNewtonOptions { tolerance, max_iterations, f_relative_tolerance: 1e-15, ..Default::default() };
    let h0 = initial_inverse_hessian.map(|h| Tensor::from_slice(h, &[start.len(), start.len()], DType::F64)).transpose()?;
    let res = bfgs_minimize(value_and_gradient, &Tensor::vector(start, DType::F64)?, h0.as_ref(), opts)?;
    Ok(SliceMinimum { position: res.position.to_vec()?, converged: res.converged, iterations: res.num_iterations })
}

/// A start for θ: lme4's θ = 1, except that a random intercept alone in its term starts at
/// the ratio of its between-group to its within-group standard deviation, from the group means
/// of y (one-way ANOVA's moment estimate `τ² = var(ȳ_l) − σ²_w·mean(1/n_l)`, clamped to
/// [0.05, 5]). Crossed factors bias it, but it starts each such θ near its scale, which from
/// θ = 1 took BFGS several steps per term on InstEval.
fn moment_start(pd: &ProfiledDeviance, frame: &ModelFrame) -> Vec<f64> {
    let mut theta = pd.initial_theta();
    for (i, t) in frame.terms.iter().enumerate() {
        if t.names.len() != 1 || t.names[0] != "(Intercept)" {
            continue;
        }
        let levels = t.levels.len();
        let (mut sum, mut count) = (vec![0.0; levels], vec![0usize; levels]);
        for (y, &c) in frame.y.iter().zip(&t.codes) {
            sum[c] += y;
            count[c] += 1;
        }
        let means: Vec<f64> = sum.iter().zip(&count).map(|(s, &c)| s / c.max(1) as f64).collect();
        let within: f64 = frame.y.iter().zip(&t.codes).map(|(y, &c)| (y - means[c]).powi(2)).sum::<f64>() / (frame.y.len().saturating_sub(levels)).max(1) as f64;
        let grand = means.iter().sum::<f64>() / levels as f64;
        let between = means.iter().map(|m| (m - grand).powi(2)).sum::<f64>() / (levels.max(2) - 1) as f64;
        let mean_inv_n = count.iter().map(|&c| 1.0 / c.max(1) as f64).sum::<f64>() / levels as f64;
        if within > 0.0 && within.is_finite() && between.is_finite() {
            let tau2 = (between - within * mean_inv_n).max(0.0);
            theta[pd.theta_offsets[i]] = (tau2 / within).sqrt().clamp(0.05, 5.0);
        }
    }
    theta
}

/// The inverse of the symmetrized forward-difference Hessian of `f`'s gradient at `x` (step
/// 1e-4), row-major; `None` when a gradient is missing or the Hessian is not positive definite.
fn inverse_hessian_at(f: &dyn Fn(&[f64]) -> Result<Option<(f64, Vec<f64>)>>, x: &[f64]) -> Result<Option<Vec<f64>>> {
    let n = x.len();
    let step = 1e-4;
    let mut shifted = Vec::with_capacity(n);
    for j in 0..n {
        let mut t = x.to_vec();
        t[j] += step;
        let Some((_, g)) = f(&t)? else { return Ok(None) };
        shifted.push(g);
    }
    // x's own gradient last: the optimizer's first evaluation, at x, then reuses it.
    let Some((_, g0)) = f(x)? else { return Ok(None) };
    let mut h = faer::Mat::<f64>::zeros(n, n);
    for (j, g) in shifted.iter().enumerate() {
        for i in 0..n {
            h[(i, j)] += 0.5 * (g[i] - g0[i]) / step;
            h[(j, i)] += 0.5 * (g[i] - g0[i]) / step;
        }
    }
    let Ok(llt) = h.llt(faer::Side::Lower) else { return Ok(None) };
    use faer::linalg::solvers::DenseSolveCore;
    let inv = llt.inverse();
    Ok(Some((0..n * n).map(|k| inv[(k / n, k % n)]).collect()))
}

/// What [`bfgs_on_slices`] found.
pub(super) struct SliceMinimum {
    pub(super) position: Vec<f64>,
    pub(super) converged: bool,
    pub(super) iterations: usize,
}

/// lme4's sign convention: a non-negative diagonal in each `Λᵢ` (negating a column of `Λᵢ`
/// leaves `ΛᵢΛᵢᵀ`, and so the fit, unchanged).
pub(super) fn canonical_signs(pd: &ProfiledDeviance, theta: &mut [f64]) {
    for (i, &(pi, _, _)) in pd.term_dims.iter().enumerate() {
        let mut idx = pd.theta_offsets[i];
        for j in 0..pi {
            if theta[idx] < 0.0 {
                for r in 0..pi - j {
                    theta[idx + r] = -theta[idx + r];
                }
            }
            idx += pi - j;
        }
    }
}

/// Each term's covariance `scale² ΛᵢΛᵢᵀ`, its standard deviations and correlations, and the
/// conditional modes `b̂ = Λû` per level.
pub(super) fn variance_components(pd: &ProfiledDeviance, frame: &ModelFrame, theta: &[f64], u: &[f64], scale2: f64) -> Vec<VarianceComponent> {
    let mut components = vec![];
    for (i, t) in frame.terms.iter().enumerate() {
        let (pi, levels, off) = pd.term_dims[i];
        let l = pd.lambda_block(theta, i);
        let cov: Vec<f64> = (0..pi * pi).map(|k| scale2 * (0..pi).map(|m| l[(k / pi) * pi + m] * l[(k % pi) * pi + m]).sum::<f64>()).collect();
        let sd: Vec<f64> = (0..pi).map(|j| cov[j * pi + j].sqrt()).collect();
        let correlation = (0..pi * pi).map(|k| if k / pi == k % pi { 1.0 } else { cov[k] / (sd[k / pi] * sd[k % pi]) }).collect();
        let mut modes = vec![0.0; levels * pi];
        for lev in 0..levels {
            for a in 0..pi {
                modes[lev * pi + a] = (0..pi).map(|m| l[a * pi + m] * u[off + lev * pi + m]).sum();
            }
        }
        components.push(VarianceComponent { group: t.group.clone(), names: t.names.clone(), covariance: cov, sd, correlation, levels: t.levels.clone(), conditional_modes: modes });
    }
    components
}

/// Central differences of `f` at `x`, step `1e-5·max(1, |xⱼ|)`.
pub(super) fn central_gradient(f: &dyn Fn(&[f64]) -> Result<f64>, x: &[f64]) -> Result<Vec<f64>> {
    let mut g = vec![0.0; x.len()];
    let mut t = x.to_vec();
    for j in 0..x.len() {
        let h = 1e-5 * x[j].abs().max(1.0);
        t[j] = x[j] + h;
        let up = f(&t)?;
        t[j] = x[j] - h;
        let down = f(&t)?;
        t[j] = x[j];
        g[j] = (up - down) / (2.0 * h);
    }
    Ok(g)
}

/// A rank-deficient fixed-effects design is named by its first dependent column.
fn check_fixed_rank(frame: &ModelFrame) -> Result<()> {
    let (n, p) = (frame.n(), frame.fixed_names.len());
    if p == 0 {
        return Ok(());
    }
    if n <= p {
        return Err(Error::BadInput { location: "lmer fixed effects".into(), reason: format!("{n} observations for {p} fixed effects") });
    }
    let g = faer::Mat::<f64>::from_fn(p, p, |a, b| (0..n).map(|r| frame.x[r * p + a] * frame.x[r * p + b]).sum());
    crate::glm::spd_factor(&g, &frame.fixed_names, "lmer fixed effects").map(|_| ())
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    // R's type 7.
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

impl std::fmt::Display for LmerFit {
    /// lme4's `summary(fit)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let method = if self.reml { "REML" } else { "maximum likelihood" };
        writeln!(f, "Linear mixed model fit by {method} ['lmerMod']")?;
        writeln!(f, "Formula: {}", self.formula)?;
        writeln!(f, "   Data: {}", self.data)?;
        writeln!(f)?;
        if self.reml {
            writeln!(f, "REML criterion at convergence: {:.1}", self.objective)?;
        } else {
            writeln!(f, "{:>9} {:>9} {:>9} {:>9} {:>9}", "AIC", "BIC", "logLik", "deviance", "df.resid")?;
            let k = self.fixed_names.len() + self.theta.len() + 1;
            writeln!(f, "{:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9}", self.aic, self.bic, self.log_likelihood, self.objective, self.nobs - k)?;
        }
        writeln!(f)?;
        let mut scaled: Vec<f64> = self.residuals.iter().map(|r| r / self.sigma).collect();
        scaled.sort_by(f64::total_cmp);
        writeln!(f, "Scaled residuals: ")?;
        writeln!(f, "{:>8} {:>8} {:>8} {:>8} {:>8} ", "Min", "1Q", "Median", "3Q", "Max")?;
        writeln!(f, "{:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} ", scaled[0], quantile(&scaled, 0.25), quantile(&scaled, 0.5), quantile(&scaled, 0.75), scaled[scaled.len() - 1])?;
        writeln!(f)?;
        writeln!(f, "Random effects:")?;
        let gw = self.components.iter().map(|c| c.group.len()).max().unwrap_or(0).max(8);
        let nw = self.components.iter().flat_map(|c| c.names.iter().map(|s| s.len())).max().unwrap_or(0).max(11);
        let mut header = format!(" {:<gw$} {:<nw$} {:>9} {:>8}", "Groups", "Name", "Variance", "Std.Dev.");
        let max_p = self.components.iter().map(|c| c.names.len()).max().unwrap_or(1);
        if max_p > 1 {
            header.push_str(" Corr");
        }
        writeln!(f, "{header}")?;
        for c in &self.components {
            let pi = c.names.len();
            for a in 0..pi {
                let mut line = format!(" {:<gw$} {:<nw$} {:>9.2} {:>8.3}", if a == 0 { c.group.as_str() } else { "" }, c.names[a], c.covariance[a * pi + a], c.sd[a]);
                for b in 0..a {
                    let _ = write!(line, " {:>5.2}", c.correlation[a * pi + b]);
                }
                writeln!(f, "{}", line.trim_end())?;
            }
        }
        writeln!(f, " {:<gw$} {:<nw$} {:>9.2} {:>8.3}", "Residual", "", self.sigma * self.sigma, self.sigma)?;
        let groups: Vec<String> = self.components.iter().map(|c| format!("{}, {}", c.group, c.levels.len())).collect();
        writeln!(f, "Number of obs: {}, groups:  {}", self.nobs, groups.join("; "))?;
        writeln!(f)?;
        writeln!(f, "Fixed effects:")?;
        let fw = self.fixed_names.iter().map(|s| s.len()).max().unwrap_or(0).max(11);
        writeln!(f, "{:<fw$} {:>10} {:>10} {:>8}", "", "Estimate", "Std. Error", "t value")?;
        for j in 0..self.beta.len() {
            writeln!(f, "{:<fw$} {:>10.3} {:>10.3} {:>8.3}", self.fixed_names[j], self.beta[j], self.standard_errors[j], self.beta[j] / self.standard_errors[j])?;
        }
        let p = self.beta.len();
        if p > 1 {
            writeln!(f)?;
            writeln!(f, "Correlation of Fixed Effects:")?;
            let abbrev: Vec<String> = self.fixed_names.iter().map(|s| s.chars().filter(|c| !"()".contains(*c)).take(6).collect()).collect();
            let mut head = format!("{:<fw$}", "");
            for a in abbrev.iter().take(p - 1) {
                let _ = write!(head, " {a:>6}");
            }
            writeln!(f, "{head}")?;
            for a in 1..p {
                let mut line = format!("{:<fw$}", abbrev[a]);
                for b in 0..a {
                    let c = self.beta_covariance[a * p + b] / (self.standard_errors[a] * self.standard_errors[b]);
                    let _ = write!(line, " {c:>6.3}");
                }
                writeln!(f, "{line}")?;
            }
        }
        Ok(())
    }
}
