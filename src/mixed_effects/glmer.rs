//! `glmer`: generalized linear mixed models by the Laplace approximation, as lme4's
//! `glmer(..., nAGQ = 1)` fits them.
//!
//! With `η = Xβ + ZΛu`, `u ~ N(0, I)` and the response from a GLM family (`glm::Bernoulli`,
//! `Poisson`, or a binomial `cbind(successes, failures)` response), penalized iteratively
//! reweighted least squares (PIRLS) finds the conditional mode
//!
//! ```text
//! û = argmin_u  −2 log p(y | η(u)) + ‖u‖²
//! ```
//!
//! by Fisher-scoring steps `δ = (ΛᵀZᵀWZΛ + I)⁻¹ (ΛᵀZᵀr − u)` (`W = μ'²/Var`,
//! `r = (y − μ) μ'/Var`) with step halving, on the same sparse Cholesky machinery as `lmer`. The
//! Laplace approximation of the marginal deviance is then
//!
//! ```text
//! d(θ, β) = −2 log p(y | η(û)) + ‖û‖² + log|L|²,   LLᵀ = ΛᵀZᵀW(û)ZΛ + I
//! ```
//!
//! (exact for the canonical links, whose Fisher weights are the Hessian). θ and β are optimized
//! jointly (lme4's second stage) by BFGS on central finite differences; the standard errors of β
//! come from the inverse of half the finite-difference Hessian of `d` in (θ, β), as lme4's
//! default (`use.hessian = TRUE`). The dispersion is 1 (binomial, Poisson).

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::glm::{informative, Binomial, ExponentialFamily};

use super::data_frame::DataFrame;
use super::formula::Formula;
use super::lmer::{bfgs_on_slices, canonical_signs, central_gradient, variance_components, VarianceComponent};
use super::model_frame::ModelFrame;
use super::profiled_deviance::ProfiledDeviance;

/// `glmer`'s options.
///
/// ```
/// use probrs::mixed_effects::GlmerOptions;
/// assert_eq!(GlmerOptions::default().max_iterations, 500);
/// ```
#[derive(Clone, Debug)]
pub struct GlmerOptions {
    /// BFGS iterations at most (default 500).
    pub max_iterations: usize,
    /// Stop when every component of the gradient in (θ, β) is below this (default 1e-5).
    pub gradient_tolerance: f64,
}

impl Default for GlmerOptions {
    fn default() -> Self {
        GlmerOptions { max_iterations: 500, gradient_tolerance: 1e-5 }
    }
}

/// A fitted generalized linear mixed model.
///
/// ```
/// use probrs::glm::Bernoulli;
/// use probrs::mixed_effects::{glmer, DataFrame, GlmerOptions};
/// let mut csv = String::from("g,k,f\n");
/// for i in 0..30 {
///     csv.push_str(&format!("{},{},{}\n", i % 5, 2 + (i % 5) + i % 3, 10 - (i % 5) - i % 3));
/// }
/// let fit = glmer("cbind(k, f) ~ 1 + (1 | g)", &DataFrame::from_csv_str(&csv, "b.csv")?, &Bernoulli, &GlmerOptions::default())?;
/// assert_eq!((fit.family.as_str(), fit.nobs, fit.components[0].levels.len()), ("binomial", 30, 5));
/// assert!(fit.fitted.iter().all(|m| *m > 0.0 && *m < 12.0)); // expected successes
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct GlmerFit {
    /// The formula.
    pub formula: String,
    /// Where the data came from.
    pub data: String,
    /// The family (`binomial` for a `cbind` response, else the GLM family's name).
    pub family: String,
    /// Fixed-effects names.
    pub fixed_names: Vec<String>,
    /// β̂.
    pub beta: Vec<f64>,
    /// Standard errors of β̂ (from the Hessian of the Laplace deviance in θ and β).
    pub standard_errors: Vec<f64>,
    /// The variance components (no residual: the dispersion is 1).
    pub components: Vec<VarianceComponent>,
    /// θ̂.
    pub theta: Vec<f64>,
    /// The Laplace approximation of the log-likelihood.
    pub log_likelihood: f64,
    /// `−2ℓ + 2k`, k = p + length(θ).
    pub aic: f64,
    /// `−2ℓ + k log n`.
    pub bic: f64,
    /// Observations.
    pub nobs: usize,
    /// Fitted means `μ(Xβ̂ + Zb̂)`.
    pub fitted: Vec<f64>,
    /// Pearson residuals `(y − μ)/√Var`.
    pub pearson_residuals: Vec<f64>,
    /// The Laplace deviance's finite-difference gradient in (θ, β) at the optimum.
    pub gradient: Vec<f64>,
    /// Whether BFGS met the gradient tolerance.
    pub converged: bool,
}

/// The response's per-row family: the GLM family, or a binomial with per-row trials.
struct Response<'a> {
    family: &'a dyn ExponentialFamily,
    trials: Option<Vec<f64>>,
}

impl Response<'_> {
    /// `(μ, Var, μ')` at η for row i.
    fn call(&self, i: usize, eta: f64) -> (f64, f64, f64) {
        match &self.trials {
            Some(n) => Binomial::with_trials(n[i]).call(eta),
            None => self.family.call(eta),
        }
    }

    fn log_prob(&self, i: usize, y: f64, eta: f64) -> f64 {
        match &self.trials {
            Some(n) => Binomial::with_trials(n[i]).log_prob(y, eta),
            None => self.family.log_prob(y, eta),
        }
    }
}

struct Laplace<'a> {
    pd: ProfiledDeviance,
    frame: ModelFrame,
    response: Response<'a>,
    /// The last conditional mode, to start the next PIRLS from.
    warm: std::cell::RefCell<Vec<f64>>,
}

/// One PIRLS solution.
struct Mode {
    u: Vec<f64>,
    eta: Vec<f64>,
    log_lik: f64,
    log_det: f64,
}

impl Laplace<'_> {
    fn n_theta(&self) -> usize {
        self.pd.n_theta
    }

    /// PIRLS at (θ, β).
    fn mode(&self, theta: &[f64], beta: &[f64]) -> Result<Mode> {
        let (n, p) = (self.frame.n(), self.frame.fixed_names.len());
        let offset: Vec<f64> = (0..n).map(|r| (0..p).map(|j| self.frame.x[r * p + j] * beta[j]).sum()).collect();
        let zl = self.pd.z_lambda_values(theta);
        let mut u = self.warm.borrow().clone();
        if u.len() != self.pd.q {
            u = vec![0.0; self.pd.q];
        }
        let objective = |u: &[f64]| -> (f64, Vec<f64>) {
            let zu = self.pd.zl_times(&zl, u);
            let eta: Vec<f64> = offset.iter().zip(&zu).map(|(a, b)| a + b).collect();
            let ll: f64 = (0..n).map(|i| self.response.log_prob(i, self.frame.y[i], eta[i])).sum();
            (-2.0 * ll + u.iter().map(|v| v * v).sum::<f64>(), eta)
        };
        let (mut obj, mut eta) = objective(&u);
        for _ in 0..100 {
            let (mut w, mut r) = (vec![0f64; n], vec![0f64; n]);
            for i in 0..n {
                let (mu, var, g) = self.response.call(i, eta[i]);
                if informative(var, g) {
                    w[i] = g * g / var;
                    r[i] = (self.frame.y[i] - mu) * g / var;
                }
            }
            let f = self.pd.weighted_factor(&zl, Some(&w))?;
            let mut delta = self.pd.zl_transpose_times(&zl, &r);
            delta.iter_mut().zip(&u).for_each(|(d, u)| *d -= u);
            self.pd.solve_weighted(&f, &mut delta)?;
            let mut t = 1.0;
            let (new_u, new_obj, new_eta) = loop {
                let cand: Vec<f64> = u.iter().zip(&delta).map(|(a, d)| a + t * d).collect();
                let (o, e) = objective(&cand);
                if o.is_finite() && o <= obj + 1e-12 * obj.abs() || t < 1e-6 {
                    break (cand, o, e);
                }
                t *= 0.5;
            };
            let change = (obj - new_obj).abs();
            u = new_u;
            eta = new_eta;
            let done = change < 1e-12 * (1.0 + new_obj.abs());
            obj = new_obj;
            if done {
                break;
            }
        }
        if !obj.is_finite() {
            return Err(Error::NonFinite { what: "glmer PIRLS objective".into(), step: 0, variable: None });
        }
        let mut w = vec![0f64; n];
        for i in 0..n {
            let (_, var, g) = self.response.call(i, eta[i]);
            if informative(var, g) {
                w[i] = g * g / var;
            }
        }
        let log_det = self.pd.weighted_factor(&zl, Some(&w))?.log_det;
        let log_lik = (0..n).map(|i| self.response.log_prob(i, self.frame.y[i], eta[i])).sum();
        *self.warm.borrow_mut() = u.clone();
        Ok(Mode { u, eta, log_lik, log_det })
    }

    /// The Laplace deviance at (θ, β) (`params` = θ then β).
    fn deviance(&self, params: &[f64]) -> Result<f64> {
        let k = self.n_theta();
        let m = self.mode(&params[..k], &params[k..])?;
        Ok(-2.0 * m.log_lik + m.u.iter().map(|v| v * v).sum::<f64>() + m.log_det)
    }
}

/// Fits `formula` to `data` with `family` (lme4's `glmer(formula, data, family)`); a
/// `cbind(successes, failures)` response is binomial with logit link whatever `family` says.
///
/// ```
/// use probrs::glm::Poisson;
/// use probrs::mixed_effects::{glmer, DataFrame, GlmerOptions};
/// // Counts with a group effect.
/// let mut csv = String::from("y,x,g\n");
/// for i in 0..60 {
///     let g = i % 6;
///     let rate = (0.5 + 0.3 * (i % 5) as f64 + [-0.6, -0.2, 0.0, 0.1, 0.3, 0.5][g]).exp();
///     csv.push_str(&format!("{},{},{g}\n", rate.round(), i % 5));
/// }
/// let fit = glmer("y ~ x + (1 | g)", &DataFrame::from_csv_str(&csv, "counts.csv")?, &Poisson, &GlmerOptions::default())?;
/// assert!(fit.converged && (fit.beta[1] - 0.3).abs() < 0.15);
/// println!("{fit}");
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn glmer(formula: &str, data: &DataFrame, family: &dyn ExponentialFamily, options: &GlmerOptions) -> Result<GlmerFit> {
    let f = Formula::parse(formula)?;
    if f.random.is_empty() {
        return Err(Error::BadInput { location: format!("formula \"{formula}\""), reason: "no random-effects terms; use glm::fit for a model without them".into() });
    }
    let frame = ModelFrame::new(&f, data)?;
    let family_name = if frame.trials.is_some() { "binomial".to_string() } else { family.name().to_string() };
    match &frame.trials {
        Some(n) => {
            if let Some(i) = (0..frame.n()).find(|&i| !(frame.y[i] >= 0.0 && frame.y[i] <= n[i] && frame.y[i].fract() == 0.0 && n[i].fract() == 0.0)) {
                return Err(Error::BadInput { location: format!("{}: row {}", data.source(), frame.rows[i] + 1), reason: format!("cbind response: {} successes of {} trials", frame.y[i], n[i]) });
            }
        }
        None => {
            for (i, y) in frame.y.iter().enumerate() {
                if let Err(reason) = family.check_response(*y) {
                    return Err(Error::BadInput { location: format!("{}: row {} ({} family)", data.source(), frame.rows[i] + 1, family.name()), reason });
                }
            }
        }
    }
    let pd = ProfiledDeviance::new(&frame, false)?;
    let trials = frame.trials.clone();
    let lap = Laplace { pd, frame, response: Response { family, trials }, warm: std::cell::RefCell::new(vec![]) };
    let (k, p) = (lap.n_theta(), lap.frame.fixed_names.len());
    let deviance = |x: &[f64]| lap.deviance(x);
    let fd_gradient = |x: &[f64]| central_gradient(&deviance, x);
    let value_and_gradient = |x: &[f64]| -> Result<Option<(f64, Vec<f64>)>> {
        match lap.deviance(x) {
            Ok(d) => Ok(Some((d, fd_gradient(x)?))),
            Err(_) => Ok(None),
        }
    };
    let mut start = lap.pd.initial_theta();
    start.extend(std::iter::repeat_n(0.0, p));
    let res = bfgs_on_slices(&value_and_gradient, &start, None, options.gradient_tolerance, options.max_iterations)?;
    let mut params = res.position;
    canonical_signs(&lap.pd, &mut params[..k]);
    let gradient = fd_gradient(&params)?;
    // Standard errors: Cov(θ, β) = 2 H⁻¹, H the Hessian of the Laplace deviance (central
    // differences of the gradient).
    let m = params.len();
    let mut h = faer::Mat::<f64>::zeros(m, m);
    for j in 0..m {
        let step = 1e-4 * params[j].abs().max(1.0);
        let mut t = params.clone();
        t[j] += step;
        let up = fd_gradient(&t)?;
        t[j] -= 2.0 * step;
        let down = fd_gradient(&t)?;
        for i in 0..m {
            h[(i, j)] = (up[i] - down[i]) / (2.0 * step);
        }
    }
    let hs = faer::Mat::<f64>::from_fn(m, m, |i, j| 0.5 * (h[(i, j)] + h[(j, i)]));
    use faer::linalg::solvers::DenseSolveCore;
    let standard_errors = match hs.llt(faer::Side::Lower) {
        Ok(llt) => {
            let inv = llt.inverse();
            (0..p).map(|j| (2.0 * inv[(k + j, k + j)]).sqrt()).collect()
        }
        Err(_) => vec![f64::NAN; p],
    };
    let (theta, beta) = (params[..k].to_vec(), params[k..].to_vec());
    let mode = lap.mode(&theta, &beta)?;
    let log_likelihood = mode.log_lik - 0.5 * mode.u.iter().map(|v| v * v).sum::<f64>() - 0.5 * mode.log_det;
    let components = variance_components(&lap.pd, &lap.frame, &theta, &mode.u, 1.0);
    let n = lap.frame.n();
    let (mut fitted, mut pearson) = (vec![0.0; n], vec![0.0; n]);
    for i in 0..n {
        let (mu, var, _) = lap.response.call(i, mode.eta[i]);
        fitted[i] = mu;
        pearson[i] = (lap.frame.y[i] - mu) / var.sqrt();
    }
    let npar = (k + p) as f64;
    Ok(GlmerFit {
        formula: f.text.clone(),
        data: data.source().to_string(),
        family: family_name,
        fixed_names: lap.frame.fixed_names.clone(),
        beta,
        standard_errors,
        components,
        theta,
        log_likelihood,
        aic: -2.0 * log_likelihood + 2.0 * npar,
        bic: -2.0 * log_likelihood + npar * (n as f64).ln(),
        nobs: n,
        fitted,
        pearson_residuals: pearson,
        gradient,
        converged: res.converged,
    })
}

impl std::fmt::Display for GlmerFit {
    /// lme4's `summary(glmer fit)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Generalized linear mixed model fit by maximum likelihood (Laplace Approximation) ['glmerMod']")?;
        writeln!(f, " Family: {}", self.family)?;
        writeln!(f, "Formula: {}", self.formula)?;
        writeln!(f, "   Data: {}", self.data)?;
        writeln!(f)?;
        let k = self.beta.len() + self.theta.len();
        writeln!(f, "{:>9} {:>9} {:>9} {:>9} {:>9}", "AIC", "BIC", "logLik", "deviance", "df.resid")?;
        writeln!(f, "{:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9}", self.aic, self.bic, self.log_likelihood, -2.0 * self.log_likelihood, self.nobs - k)?;
        writeln!(f)?;
        writeln!(f, "Random effects:")?;
        let gw = self.components.iter().map(|c| c.group.len()).max().unwrap_or(0).max(6);
        let nw = self.components.iter().flat_map(|c| c.names.iter().map(|s| s.len())).max().unwrap_or(0).max(11);
        writeln!(f, " {:<gw$} {:<nw$} {:>9} {:>8}", "Groups", "Name", "Variance", "Std.Dev.")?;
        for c in &self.components {
            let pi = c.names.len();
            for a in 0..pi {
                let mut line = format!(" {:<gw$} {:<nw$} {:>9.4} {:>8.4}", if a == 0 { c.group.as_str() } else { "" }, c.names[a], c.covariance[a * pi + a], c.sd[a]);
                for b in 0..a {
                    let _ = write!(line, " {:>5.2}", c.correlation[a * pi + b]);
                }
                writeln!(f, "{}", line.trim_end())?;
            }
        }
        let groups: Vec<String> = self.components.iter().map(|c| format!("{}, {}", c.group, c.levels.len())).collect();
        writeln!(f, "Number of obs: {}, groups:  {}", self.nobs, groups.join("; "))?;
        writeln!(f)?;
        writeln!(f, "Fixed effects:")?;
        let fw = self.fixed_names.iter().map(|s| s.len()).max().unwrap_or(0).max(11);
        writeln!(f, "{:<fw$} {:>10} {:>10} {:>8} {:>9}", "", "Estimate", "Std. Error", "z value", "Pr(>|z|)")?;
        for j in 0..self.beta.len() {
            let z = self.beta[j] / self.standard_errors[j];
            let pv = 2.0 * crate::tensor::special::ndtr_scalar(-z.abs());
            writeln!(f, "{:<fw$} {:>10.4} {:>10.4} {:>8.3} {:>9.3e}", self.fixed_names[j], self.beta[j], self.standard_errors[j], z, pv)?;
        }
        Ok(())
    }
}
