//! Maximum-likelihood fitting of any scalar family to one column of a CSV file — the library
//! behind `probrs fit FAMILY data.csv`.
//!
//! The family is built with `make_trainable` (parameters in unconstrained space behind their
//! default constraining bijectors), started from moment-based values computed from the data, and
//! fitted with `minimize(mean −log p(x), Adam)`, then finished at the maximum-likelihood
//! estimate itself: the closed form where one exists (Normal, LogNormal, HalfNormal,
//! Exponential, Laplace, Uniform, Pareto, Poisson, Geometric), else L-BFGS from Adam's last
//! iterate until the gradient's largest entry is below 1e-11. The estimates equal scipy's MLEs
//! to 1e-6 relative for every family (`tests/fit_scipy_mle.rs`). Parameters that bound the
//! support are the data's extremes, as their MLEs are: Uniform's `low`/`high` are the minimum
//! and maximum, Pareto's `scale` and HalfCauchy's `loc` the minimum (during Adam, Uniform and
//! Pareto approach them from inside, `min − softplus(raw)`, ...).
//!
//! Family names are case-insensitive and take the usual aliases ([`canonical_family`]:
//! `gamma`, `norm`, `t`, `negbinom`, ...); an unknown name suggests the nearest known ones.
//!
//! The report carries the log-likelihood, AIC and BIC, and standard errors from the observed
//! information (the inverse of the negative log-likelihood's Hessian in the parameters'
//! natural units, by central differences) where the maximum is interior; [`rank_families`]
//! fits every continuous family and orders them by AIC.
//!
//! ```
//! use probrs::fit::{fit_family, FitOptions};
//! let data: Vec<f64> = (0..200).map(|i| 3.0 + ((i * 7919) % 200) as f64 / 100.0).collect();
//! let fit = fit_family("Normal", &data, &FitOptions::default())?;
//! assert!((fit.parameters[0].1[0] - 4.0).abs() < 0.05);
//! // se(loc) = σ/√n for a Normal.
//! let se = fit.standard_errors.as_ref().unwrap();
//! assert!((se[0] - fit.parameters[1].1[0] / 200f64.sqrt()).abs() < 1e-3);
//! # Ok::<(), probrs::Error>(())
//! ```

use crate::distributed::{Communicator, ShardedSum, Shards};
use crate::distributions::*;
use crate::error::{Error, Result};
use crate::optim::{lbfgs_minimize_variables, minimize, trace_loss, Adam, MinimizeOptions, QuasiNewtonOptions};
use crate::bijectors::Softplus;
use crate::params::{DeferredTensor, MakeTrainable, Trainable, TransformedVariable, Variable};
use crate::progress::ProgressFn;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

/// Options of [`fit_family`].
///
/// ```
/// use probrs::fit::{fit_family, FitOptions};
/// // Fewer, larger steps than the default 1500 at 0.05.
/// let opts = FitOptions { steps: 400, learning_rate: 0.1, ..FitOptions::default() };
/// let report = fit_family("Normal", &[1.0, 2.0, 3.0, 4.0], &opts)?;
/// assert_eq!(report.steps, 400);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct FitOptions {
    /// Adam steps (default 1500).
    pub steps: usize,
    /// Adam's learning rate (default 0.05).
    pub learning_rate: f64,
    /// Seed for the random parts of initialization.
    pub seed: u64,
    /// Where the log-likelihood is summed: in this process (`None`, the default), or over the
    /// ranks of a distributed run, each rank evaluating its block of the rows (every rank
    /// calls the fit with the same data and options, and all return the same fit, equal bit
    /// for bit on any number of ranks: see [`crate::distributed::ShardedSum`]).
    pub ranks: Option<Arc<dyn Communicator>>,
}

impl std::fmt::Debug for FitOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitOptions").field("steps", &self.steps).field("learning_rate", &self.learning_rate).field("seed", &self.seed).field("ranks", &self.ranks.as_ref().map(|c| c.size())).finish()
    }
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { steps: 1500, learning_rate: 0.05, seed: 0, ranks: None }
    }
}

/// The data's log-likelihood under a model: summed here, or over ranks (each evaluating its
/// block of the rows).
struct Likelihood {
    /// This process's rows (all of them when not distributed).
    rows: Tensor,
    sum: Option<ShardedSum>,
}

impl Likelihood {
    fn new(data: &Tensor, opts: &FitOptions) -> Result<Self> {
        match &opts.ranks {
            None => Ok(Likelihood { rows: data.clone(), sum: None }),
            Some(comm) => {
                let shards = Shards::even(data.elem_count(), comm.as_ref())?;
                let r = shards.local_rows();
                Ok(Likelihood { rows: data.narrow(0, r.start, r.len())?, sum: Some(ShardedSum::new(comm.clone(), shards)) })
            }
        }
    }
    /// `Σ log p(x)` under `model`, differentiable in its trainable variables.
    fn log_lik(&self, model: &dyn Distribution) -> Result<Tensor> {
        match &self.sum {
            None => model.log_prob(&self.rows)?.sum_all(),
            Some(s) => s.sum_over_variables(&model.trainable_variables(), |b| model.log_prob(&self.rows.narrow(0, b.local.start, b.local.len())?)?.sum_all()),
        }
    }
}

/// The outcome of a fit.
///
/// ```
/// use probrs::fit::{fit_family, FitOptions};
/// let data = [0.3, 1.1, 0.7, 2.4, 1.9, 0.2, 1.3, 0.8];
/// let r = fit_family("Exponential", &data, &FitOptions::default())?;
/// // The MLE of the rate is 1/mean; its standard error is rate/√n.
/// let rate = 1.0 / (data.iter().sum::<f64>() / data.len() as f64);
/// assert_eq!(r.parameters[0].0, "rate");
/// assert!((r.parameters[0].1[0] - rate).abs() < 1e-3 * rate);
/// let se = r.standard_errors.as_ref().expect("an interior maximum")[0];
/// assert!((se - rate / (data.len() as f64).sqrt()).abs() < 1e-2 * se);
/// assert!((r.aic() - (2.0 - 2.0 * r.log_likelihood)).abs() < 1e-12);
/// assert!(!r.is_discrete());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FitReport {
    /// The family's class name.
    pub family: String,
    /// Fitted parameter values, by name.
    pub parameters: Vec<(String, Vec<f64>)>,
    /// Σ log p(x) at the fitted parameters.
    pub log_likelihood: f64,
    /// The number of data points.
    pub num_points: usize,
    /// The Adam steps run.
    pub steps: usize,
    /// How the estimate was finished after Adam: a closed form, or L-BFGS.
    pub estimate: Estimate,
    /// Standard errors of the parameters (same order), from the observed information; `None`
    /// where the maximum is on the support's boundary (Uniform, Pareto, HalfCauchy's `loc`) or
    /// the Hessian is not negative definite there.
    pub standard_errors: Option<Vec<f64>>,
    /// The loss (mean negative log-likelihood) at every step.
    pub losses: Vec<f64>,
    /// The fitted distribution.
    pub model: std::sync::Arc<dyn Distribution>,
}

impl FitReport {
    /// Akaike's information criterion, 2k − 2 log L.
    ///
    /// ```
    /// use probrs::fit::{fit_family, FitOptions};
    /// let data = [1.0, 2.0, 2.5, 4.0];
    /// let normal = fit_family("Normal", &data, &FitOptions::default())?;
    /// // Two parameters: AIC = 4 − 2 log L.
    /// assert!((normal.aic() - (4.0 - 2.0 * normal.log_likelihood)).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn aic(&self) -> f64 {
        2.0 * self.parameters.len() as f64 - 2.0 * self.log_likelihood
    }

    /// Schwarz's Bayesian information criterion, k ln n − 2 log L.
    ///
    /// ```
    /// use probrs::fit::{fit_family, FitOptions};
    /// let data = [1.0, 2.0, 2.5, 4.0];
    /// let r = fit_family("Normal", &data, &FitOptions::default())?;
    /// // Two parameters, four points: BIC = 2 ln 4 − 2 log L.
    /// assert!((r.bic() - (2.0 * 4f64.ln() - 2.0 * r.log_likelihood)).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn bic(&self) -> f64 {
        self.parameters.len() as f64 * (self.num_points as f64).ln() - 2.0 * self.log_likelihood
    }

    /// Whether the family is discrete (its mass function is plotted at the integers).
    ///
    /// ```
    /// use probrs::fit::{fit_family, FitOptions};
    /// assert!(fit_family("Geometric", &[0.0, 2.0, 1.0], &FitOptions::default())?.is_discrete());
    /// assert!(!fit_family("Gamma", &[0.5, 2.0, 1.0], &FitOptions::default())?.is_discrete());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn is_discrete(&self) -> bool {
        DISCRETE.contains(&self.family.as_str())
    }
}

/// How a fit reached its maximum-likelihood estimate after the Adam steps.
///
/// ```
/// use probrs::fit::{fit_family, Estimate, FitOptions};
/// let data = [0.3, 1.1, 0.7, 2.4, 1.9, 0.2, 1.3, 0.8];
/// assert_eq!(fit_family("Exponential", &data, &FitOptions::default())?.estimate, Estimate::ClosedForm);
/// assert!(matches!(fit_family("Gamma", &data, &FitOptions::default())?.estimate, Estimate::Lbfgs { converged: true, .. }));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Estimate {
    /// The closed-form MLE (Normal, LogNormal, HalfNormal, Exponential, Laplace, Uniform,
    /// Pareto, Poisson, Geometric).
    ClosedForm,
    /// L-BFGS from Adam's last iterate, on the mean negative log-likelihood.
    Lbfgs {
        /// L-BFGS iterations.
        iterations: usize,
        /// Whether the gradient's largest entry reached the tolerance (1e-11).
        converged: bool,
    },
}

/// The discrete families among [`FAMILIES`].
///
/// ```
/// use probrs::fit::{fit_family, FitOptions, DISCRETE};
/// assert!(DISCRETE.contains(&"Poisson"));
/// assert!(fit_family("Poisson", &[1.0, 3.0, 2.0], &FitOptions::default())?.is_discrete());
/// # Ok::<(), probrs::Error>(())
/// ```
pub const DISCRETE: &[&str] = &["Poisson", "Geometric", "NegativeBinomial"];

/// The families `probrs fit` knows, by TFP class name.
///
/// ```
/// use probrs::fit::FAMILIES;
/// assert!(FAMILIES.contains(&"Gamma") && FAMILIES.contains(&"StudentT"));
/// # Ok::<(), probrs::Error>(())
/// ```
pub const FAMILIES: &[&str] = &[
    "Normal", "LogNormal", "HalfNormal", "HalfCauchy", "Exponential", "Gamma", "InverseGamma", "Chi2", "Beta", "Uniform", "StudentT", "Cauchy",
    "Laplace", "Logistic", "Gumbel", "Weibull", "Pareto", "Kumaraswamy", "VonMises", "Poisson", "Geometric", "NegativeBinomial",
];

/// Moment summaries of the data used for starting values.
struct Summary {
    mean: f64,
    sd: f64,
    min: f64,
    max: f64,
    log_mean: f64,
    log_sd: f64,
}

fn summary(x: &[f64]) -> Summary {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt().max(1e-6);
    let logs: Vec<f64> = x.iter().map(|v| v.max(1e-300).ln()).collect();
    let log_mean = logs.iter().sum::<f64>() / n;
    let log_sd = (logs.iter().map(|v| (v - log_mean).powi(2)).sum::<f64>() / n).sqrt().max(1e-6);
    let (min, max) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
    Summary { mean, sd, min, max, log_mean, log_sd }
}

fn build<T: Trainable + Distribution>(init: &[(&str, f64)], seed: u64) -> Result<T> {
    let mut builder = MakeTrainable::new().parameter_dtype(DType::F64).seed(seed);
    for (name, v) in init {
        builder = builder.initial_value(name, *v);
    }
    builder.build()
}

/// Fits family `T` from `init`; `exact`, where given, is the closed-form MLE that replaces the
/// fitted values at the end.
fn run<T: Trainable + Distribution + 'static>(family: &str, x: &[f64], init: &[(&str, f64)], exact: Option<&[(&str, f64)]>, opts: &FitOptions, progress: Option<ProgressFn>) -> Result<FitReport> {
    let model: T = build(init, opts.seed)?;
    let data = Likelihood::new(&Tensor::vector(x, DType::F64)?, opts)?;
    let start = data.log_lik(&model)?.to_scalar()?;
    if !start.is_finite() {
        return Err(Error::BadInput { location: format!("family {family}"), reason: "the data lie outside the family's support".into() });
    }
    let mut report = run_model(family, std::sync::Arc::new(model), &data, opts, progress, exact.is_none())?;
    if let Some(exact) = exact {
        report.set_closed_form(std::sync::Arc::new(build::<T>(exact, opts.seed)?), &data)?;
    }
    // The log-likelihood at any parameter values: the same family built with them.
    let names: Vec<String> = report.parameters.iter().map(|p| p.0.clone()).collect();
    let loglik = |theta: &[f64]| -> Result<f64> {
        let init: Vec<(&str, f64)> = names.iter().map(|n| n.as_str()).zip(theta.iter().copied()).collect();
        data.log_lik(&build::<T>(&init, opts.seed)?)?.to_scalar()
    };
    let theta: Vec<f64> = report.parameters.iter().map(|p| p.1[0]).collect();
    report.standard_errors = standard_errors(&loglik, &theta);
    Ok(report)
}

/// Minimizes the mean NLL of an already-built model and reports it.
/// L-BFGS's tolerance on the largest entry of the mean negative log-likelihood's gradient.
const POLISH_TOLERANCE: f64 = 1e-11;

/// Adam on the mean negative log-likelihood; then, if `polish`, L-BFGS from Adam's last iterate.
fn run_model(family: &str, model: std::sync::Arc<dyn Distribution>, data: &Likelihood, opts: &FitOptions, progress: Option<ProgressFn>, polish: bool) -> Result<FitReport> {
    let num_points = data.sum.as_ref().map_or(data.rows.elem_count(), |s| s.shards().num_rows());
    let n = num_points as f64;
    let mean_nll = || data.log_lik(model.as_ref())?.neg()?.mul_scalar(1.0 / n);
    let options = MinimizeOptions { progress, ..Default::default() };
    let r = minimize(mean_nll, opts.steps, &mut Adam::new(opts.learning_rate), options, trace_loss)?;
    let estimate = if polish {
        let q = QuasiNewtonOptions { tolerance: POLISH_TOLERANCE, max_iterations: 500, ..Default::default() };
        let p = lbfgs_minimize_variables(&mean_nll, &model.trainable_variables(), 10, q)?;
        Estimate::Lbfgs { iterations: p.num_iterations, converged: p.converged }
    } else {
        Estimate::ClosedForm
    };
    let mut report = FitReport { family: family.into(), parameters: vec![], log_likelihood: 0.0, num_points, steps: opts.steps, estimate, standard_errors: None, losses: r.trace, model: model.clone() };
    report.read_model(data)?;
    Ok(report)
}

impl FitReport {
    /// Reads the parameters and the log-likelihood off `self.model`.
    fn read_model(&mut self, data: &Likelihood) -> Result<()> {
        self.parameters = self.model.parameters().into_iter().map(|(name, p)| Ok((name.to_string(), p.values_f64(DType::F64)?))).collect::<Result<Vec<_>>>()?;
        self.log_likelihood = data.log_lik(self.model.as_ref())?.to_scalar()?;
        Ok(())
    }
    /// Replaces the fitted model by the closed-form MLE.
    fn set_closed_form(&mut self, model: std::sync::Arc<dyn Distribution>, data: &Likelihood) -> Result<()> {
        self.model = model;
        self.estimate = Estimate::ClosedForm;
        self.read_model(data)
    }
}

/// numpy's median (the mean of the middle two for an even count).
fn median(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    let k = v.len() / 2;
    if v.len() % 2 == 1 {
        v[k]
    } else {
        0.5 * (v[k - 1] + v[k])
    }
}

/// Standard errors from the observed information: `sqrt(diag((−H)⁻¹))`, `H` the Hessian of the
/// log-likelihood at `theta` by central differences (step 1e-4 relative). `None` when an
/// evaluation fails or `−H` is not positive definite.
fn standard_errors(loglik: &dyn Fn(&[f64]) -> Result<f64>, theta: &[f64]) -> Option<Vec<f64>> {
    let k = theta.len();
    let h: Vec<f64> = theta.iter().map(|t| 1e-4 * t.abs().max(1e-2)).collect();
    let at = |d: &[(usize, f64)]| -> Option<f64> {
        let mut t = theta.to_vec();
        for (i, s) in d {
            t[*i] += s;
        }
        loglik(&t).ok().filter(|v| v.is_finite())
    };
    let f0 = at(&[])?;
    let mut neg_h = faer::Mat::<f64>::zeros(k, k);
    for i in 0..k {
        let d2 = (at(&[(i, h[i])])? - 2.0 * f0 + at(&[(i, -h[i])])?) / (h[i] * h[i]);
        neg_h[(i, i)] = -d2;
        for j in 0..i {
            let d2 = (at(&[(i, h[i]), (j, h[j])])? - at(&[(i, h[i]), (j, -h[j])])? - at(&[(i, -h[i]), (j, h[j])])? + at(&[(i, -h[i]), (j, -h[j])])?) / (4.0 * h[i] * h[j]);
            neg_h[(i, j)] = -d2;
            neg_h[(j, i)] = -d2;
        }
    }
    use faer::linalg::solvers::DenseSolveCore;
    let cov = neg_h.llt(faer::Side::Lower).ok()?.inverse();
    (0..k).map(|i| Some(cov[(i, i)]).filter(|v| *v > 0.0 && v.is_finite()).map(f64::sqrt)).collect()
}

/// A parameter bounding the support, anchored at the data so every iterate contains it:
/// `anchor − softplus(raw)` (below) or `anchor + softplus(raw)` (above), starting `gap` away.
fn anchored(name: &str, anchor: f64, gap: f64, above: bool) -> Result<DeferredTensor> {
    let raw = Variable::new(&Tensor::scalar(gap.max(1e-6), DType::F64)?.softplus_inverse()?, name)?;
    Ok(DeferredTensor::new(raw, move |r| {
        let sp = r.softplus()?;
        if above {
            sp.add_scalar(anchor)
        } else {
            sp.neg()?.add_scalar(anchor)
        }
    }))
}

/// Fits `family` (a name from [`FAMILIES`]) to `data` by maximum likelihood.
///
/// ```
/// use probrs::distributions::Distribution;
/// use probrs::fit::{fit_family, FitOptions};
/// let data = [4.57, 6.37, 5.93, 7.98, 2.03, 3.59, 8.55, 3.45, 5.06, 6.44];
/// let r = fit_family("Normal", &data, &FitOptions::default())?;
/// // The Normal MLE: the sample mean and the population standard deviation.
/// let mean = data.iter().sum::<f64>() / 10.0;
/// assert!((r.model.mean()?.to_scalar()? - mean).abs() < 1e-3);
/// assert!(r.log_likelihood < 0.0 && r.bic() > r.aic());
/// // Data outside a family's support is an error naming the family.
/// let err = fit_family("Gamma", &[-1.0, 2.0], &FitOptions::default()).unwrap_err();
/// assert!(err.to_string().contains("Gamma"));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn fit_family(family: &str, data: &[f64], opts: &FitOptions) -> Result<FitReport> {
    fit_family_with_progress(family, data, opts, None)
}

/// Options that describe a fit: at least one step, a positive finite learning rate.
fn check_options(opts: &FitOptions) -> Result<()> {
    if opts.steps == 0 {
        return Err(Error::invalid_parameter("steps", "must be at least 1"));
    }
    if !(opts.learning_rate > 0.0 && opts.learning_rate.is_finite()) {
        return Err(Error::invalid_parameter("learning_rate", format!("must be positive and finite, got {}", opts.learning_rate)));
    }
    Ok(())
}

/// Data to fit: at least one value, all finite.
fn check_data(data: &[f64]) -> Result<()> {
    if data.is_empty() {
        return Err(Error::BadInput { location: "data".into(), reason: "no values to fit".into() });
    }
    if let Some((i, bad)) = data.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::BadInput { location: "data".into(), reason: format!("non-finite value {bad} (value {})", i + 1) });
    }
    Ok(())
}

/// The continuous families among [`FAMILIES`] for data on the real line (the candidates of
/// [`rank_families`]): every family but the discrete ones and the circular `VonMises` (whose
/// density repeats every 2π and so would score any data as angles).
///
/// ```
/// use probrs::fit::continuous_families;
/// let names: Vec<&str> = continuous_families().collect();
/// assert!(names.contains(&"Normal") && !names.contains(&"Poisson") && !names.contains(&"VonMises"));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn continuous_families() -> impl Iterator<Item = &'static str> {
    FAMILIES.iter().copied().filter(|f| !DISCRETE.contains(f) && *f != "VonMises")
}

/// Fits every continuous family whose support holds the data and returns the fits in order of
/// AIC (best first), with the families that could not be fitted and why.
///
/// ```
/// use probrs::fit::{rank_families, FitOptions};
/// let data: Vec<f64> = (1..=300).map(|i| -(1.0 - i as f64 / 301.0f64).ln() * 2.0).collect(); // Exponential(0.5) quantiles
/// let (ranked, _skipped) = rank_families(&data, &FitOptions { steps: 400, ..Default::default() })?;
/// assert!(ranked.len() > 5 && ranked.windows(2).all(|w| w[0].aic() <= w[1].aic()));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn rank_families(data: &[f64], opts: &FitOptions) -> Result<(Vec<FitReport>, Vec<(String, Error)>)> {
    rank_families_with_progress(data, opts, None)
}

/// [`rank_families`] reporting after each family (`step` = families done).
///
/// ```
/// use probrs::fit::{rank_families_with_progress, FitOptions};
/// use probrs::progress::Progress;
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(0usize));
/// let s = seen.clone();
/// let opts = FitOptions { steps: 200, ..FitOptions::default() };
/// let (ranked, _failed) = rank_families_with_progress(&[1.2, 0.7, 2.5, 1.9, 0.4, 1.1], &opts,
///     Some(Box::new(move |p: &Progress| *s.lock().unwrap() = p.step)))?;
/// assert!(!ranked.is_empty());
/// // One report per family tried.
/// assert_eq!(*seen.lock().unwrap(), probrs::fit::continuous_families().count());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn rank_families_with_progress(data: &[f64], opts: &FitOptions, mut progress: Option<ProgressFn>) -> Result<(Vec<FitReport>, Vec<(String, Error)>)> {
    check_options(opts)?;
    check_data(data)?;
    let (mut ok, mut skipped) = (vec![], vec![]);
    let started = std::time::Instant::now();
    let num = continuous_families().count();
    for (i, f) in continuous_families().enumerate() {
        match fit_family(f, data, opts) {
            Ok(r) if r.log_likelihood.is_finite() => ok.push(r),
            Ok(_) => skipped.push((f.to_string(), Error::BadInput { location: format!("family {f}"), reason: "non-finite log-likelihood".into() })),
            Err(e) => skipped.push((f.to_string(), e)),
        }
        if let Some(p) = progress.as_mut() {
            p(&crate::progress::Progress { step: i + 1, num_steps: num, loss: None, elapsed: started.elapsed(), metrics: vec![] });
        }
    }
    if ok.is_empty() {
        return Err(Error::BadInput { location: "data".into(), reason: format!("no continuous family could be fitted ({})", skipped.iter().map(|(f, e)| format!("{f}: {e}")).collect::<Vec<_>>().join("; ")) });
    }
    ok.sort_by(|a, b| a.aic().total_cmp(&b.aic()));
    Ok((ok, skipped))
}

/// Aliases of each family's name, compared case-insensitively with `_`, `-` and spaces
/// ignored: scipy's names (`norm`, `expon`, `invgamma`, `t`, `gumbel_r`, `weibull_min`,
/// `nbinom`, ...) and the usual spellings.
const ALIASES: &[(&str, &str)] = &[
    ("gaussian", "Normal"),
    ("norm", "Normal"),
    ("lognorm", "LogNormal"),
    ("halfnorm", "HalfNormal"),
    ("exp", "Exponential"),
    ("expon", "Exponential"),
    ("invgamma", "InverseGamma"),
    ("chisquare", "Chi2"),
    ("chisquared", "Chi2"),
    ("chisq", "Chi2"),
    ("unif", "Uniform"),
    ("t", "StudentT"),
    ("student", "StudentT"),
    ("doubleexponential", "Laplace"),
    ("gumbelr", "Gumbel"),
    ("weibullmin", "Weibull"),
    ("kumaraswamy", "Kumaraswamy"),
    ("vonmises", "VonMises"),
    ("pois", "Poisson"),
    ("geom", "Geometric"),
    ("negbinom", "NegativeBinomial"),
    ("nbinom", "NegativeBinomial"),
    ("negbin", "NegativeBinomial"),
    ("nb", "NegativeBinomial"),
];

fn normalize(name: &str) -> String {
    name.chars().filter(|c| !matches!(c, '_' | '-' | ' ')).flat_map(char::to_lowercase).collect()
}

/// Levenshtein distance (for suggestions).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The family a user's name means: any capitalization of a name in [`FAMILIES`], or an alias
/// (`gamma`, `normal`/`norm`/`gaussian`, `lognormal`, `t`/`studentt`, `negbinom`/`nbinom`,
/// `chi2`/`chisq`, ...). An unknown name is an error suggesting the nearest known names.
///
/// ```
/// use probrs::fit::canonical_family;
/// assert_eq!(canonical_family("gamma")?, "Gamma");
/// assert_eq!(canonical_family("Student_T")?, "StudentT");
/// assert_eq!(canonical_family("t")?, "StudentT");
/// assert_eq!(canonical_family("negbinom")?, "NegativeBinomial");
/// assert_eq!(canonical_family("log-normal")?, "LogNormal");
/// let err = canonical_family("gama").unwrap_err().to_string();
/// assert!(err.contains("did you mean Gamma"), "{err}");
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn canonical_family(name: &str) -> Result<&'static str> {
    let key = normalize(name);
    if let Some(f) = FAMILIES.iter().find(|f| normalize(f) == key) {
        return Ok(f);
    }
    if let Some((_, f)) = ALIASES.iter().find(|(a, _)| *a == key) {
        return Ok(f);
    }
    // Suggest the families whose name or alias is nearest (at most 3 edits away).
    let mut near: Vec<(usize, &str)> = FAMILIES.iter().map(|f| (normalize(f), *f)).chain(ALIASES.iter().map(|(a, f)| (a.to_string(), *f))).map(|(k, f)| (edit_distance(&key, &k), f)).filter(|(d, _)| *d <= 3).collect();
    near.sort();
    let mut names: Vec<&str> = vec![];
    for (_, f) in near {
        if !names.contains(&f) && names.len() < 3 {
            names.push(f);
        }
    }
    let hint = if names.is_empty() { String::new() } else { format!("did you mean {}? ", names.join(", ")) };
    Err(Error::BadInput { location: format!("family {name}"), reason: format!("unknown family; {hint}known: {}", FAMILIES.join(", ")) })
}

/// [`fit_family`] with a progress callback called after every optimizer step.
///
/// ```
/// use probrs::fit::{fit_family_with_progress, FitOptions};
/// use probrs::progress::Progress;
/// use std::sync::{Arc, Mutex};
/// let steps = Arc::new(Mutex::new(Vec::new()));
/// let s = steps.clone();
/// let opts = FitOptions { steps: 50, ..FitOptions::default() };
/// fit_family_with_progress("Normal", &[1.0, 2.0, 4.0], &opts, Some(Box::new(move |p: &Progress| s.lock().unwrap().push(p.step))))?;
/// assert_eq!(*steps.lock().unwrap(), (1..=50).collect::<Vec<_>>());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn fit_family_with_progress(family: &str, data: &[f64], opts: &FitOptions, progress: Option<ProgressFn>) -> Result<FitReport> {
    let family = canonical_family(family)?;
    check_options(opts)?;
    check_data(data)?;
    let s = summary(data);
    let positive = s.min > 0.0;
    let need_positive = |f: &str| -> Result<()> {
        if positive {
            Ok(())
        } else {
            Err(Error::BadInput { location: format!("family {f}"), reason: format!("the family's support is positive but the data contain {}", s.min) })
        }
    };
    let spread = (s.max - s.min).max(1e-6);
    let (m, v) = (s.mean, s.sd * s.sd);
    match family {
        "Normal" => {
            let mle = [("loc", m), ("scale", s.sd)];
            run::<Normal>(family, data, &mle, Some(&mle), opts, progress)
        }
        "LogNormal" => {
            need_positive(family)?;
            let mle = [("loc", s.log_mean), ("scale", s.log_sd)];
            run::<LogNormal>(family, data, &mle, Some(&mle), opts, progress)
        }
        "HalfNormal" => {
            let mle = [("scale", (data.iter().map(|x| x * x).sum::<f64>() / data.len() as f64).sqrt())];
            run::<HalfNormal>(family, data, &mle, Some(&mle), opts, progress)
        }
        "HalfCauchy" => {
            let scale = TransformedVariable::new(&Tensor::scalar(s.sd, DType::F64)?, Softplus::new(), "scale")?;
            // The likelihood increases with loc up to the smallest point: loc's MLE is the minimum.
            let loc = Tensor::scalar(s.min, DType::F64)?;
            run_model(family, std::sync::Arc::new(HalfCauchy::new(loc, scale)?), &Likelihood::new(&Tensor::vector(data, DType::F64)?, opts)?, opts, progress, true)
        }
        "Exponential" => {
            let mle = [("rate", 1.0 / m.max(1e-6))];
            run::<Exponential>(family, data, &mle, Some(&mle), opts, progress)
        }
        "Gamma" => {
            need_positive(family)?;
            run::<Gamma>(family, data, &[("concentration", m * m / v), ("rate", m / v)], None, opts, progress)
        }
        "InverseGamma" => {
            need_positive(family)?;
            let a = m * m / v + 2.0;
            run::<InverseGamma>(family, data, &[("concentration", a), ("scale", m * (a - 1.0))], None, opts, progress)
        }
        "Chi2" => {
            need_positive(family)?;
            run::<Chi2>(family, data, &[("df", m)], None, opts, progress)
        }
        "Beta" | "Kumaraswamy" => {
            if !(s.min > 0.0 && s.max < 1.0) {
                return Err(Error::BadInput { location: format!("family {family}"), reason: "the data must lie in (0, 1)".into() });
            }
            let c = (m * (1.0 - m) / v - 1.0).max(0.1);
            if family == "Beta" {
                run::<Beta>(family, data, &[("concentration1", m * c), ("concentration0", (1.0 - m) * c)], None, opts, progress)
            } else {
                run::<Kumaraswamy>(family, data, &[("concentration1", 1.0), ("concentration0", 1.0)], None, opts, progress)
            }
        }
        "Uniform" => {
            let x = Likelihood::new(&Tensor::vector(data, DType::F64)?, opts)?;
            let mut r = run_model(family, std::sync::Arc::new(Uniform::new(anchored("low", s.min, 0.01 * spread, false)?, anchored("high", s.max, 0.01 * spread, true)?)?), &x, opts, progress, false)?;
            // The MLE: the smallest and largest points.
            let (low, high) = (Variable::new(&Tensor::scalar(s.min, DType::F64)?, "low")?, Variable::new(&Tensor::scalar(s.max, DType::F64)?, "high")?);
            r.set_closed_form(std::sync::Arc::new(Uniform::new(low, high)?), &x)?;
            Ok(r)
        }
        "StudentT" => run::<StudentT>(family, data, &[("df", 5.0), ("loc", m), ("scale", s.sd)], None, opts, progress),
        "Cauchy" => run::<Cauchy>(family, data, &[("loc", m), ("scale", s.sd)], None, opts, progress),
        "Laplace" => {
            // The MLE: the median (the likelihood is flat between the middle two points of an
            // even count; numpy's and scipy's convention, their mean, is taken) and the mean
            // absolute deviation from it.
            let loc = median(data);
            let mle = [("loc", loc), ("scale", (data.iter().map(|x| (x - loc).abs()).sum::<f64>() / data.len() as f64).max(1e-6))];
            run::<Laplace>(family, data, &[("loc", m), ("scale", s.sd / std::f64::consts::SQRT_2)], Some(&mle), opts, progress)
        }
        "Logistic" => run::<Logistic>(family, data, &[("loc", m), ("scale", s.sd * 3f64.sqrt() / std::f64::consts::PI)], None, opts, progress),
        "Gumbel" => run::<Gumbel>(family, data, &[("loc", m - 0.45 * s.sd), ("scale", s.sd * 6f64.sqrt() / std::f64::consts::PI)], None, opts, progress),
        "Weibull" => {
            need_positive(family)?;
            run::<Weibull>(family, data, &[("concentration", 1.2 * m / s.sd), ("scale", m)], None, opts, progress)
        }
        "Pareto" => {
            need_positive(family)?;
            // scale = min · sigmoid(raw) stays below every point.
            let raw = Variable::new(&Tensor::scalar(4.0, DType::F64)?, "scale")?;
            let min = s.min;
            let scale = DeferredTensor::new(raw, move |r| r.sigmoid()?.mul_scalar(min));
            let conc = TransformedVariable::new(&Tensor::scalar(2.0, DType::F64)?, Softplus::new(), "concentration")?;
            let x = Likelihood::new(&Tensor::vector(data, DType::F64)?, opts)?;
            let mut r = run_model(family, std::sync::Arc::new(Pareto::new(conc, scale)?), &x, opts, progress, false)?;
            // The MLE: scale at the smallest point, concentration n / Σ log(x / scale).
            let sum_log: f64 = data.iter().map(|v| (v / s.min).ln()).sum();
            if !(sum_log > 0.0) {
                return Err(Error::BadInput { location: format!("family {family}"), reason: "every value is the same: the concentration's MLE is unbounded".into() });
            }
            let conc = TransformedVariable::new(&Tensor::scalar(data.len() as f64 / sum_log, DType::F64)?, Softplus::new(), "concentration")?;
            r.set_closed_form(std::sync::Arc::new(Pareto::new(conc, Variable::new(&Tensor::scalar(s.min, DType::F64)?, "scale")?)?), &x)?;
            Ok(r)
        }
        "VonMises" => {
            // Angles: the circular mean and the mean resultant length R̄ give the start
            // (κ ≈ R̄(2 − R̄²)/(1 − R̄²), Fisher 1993).
            let (sn, cs) = data.iter().fold((0.0, 0.0), |(a, b), x| (a + x.sin(), b + x.cos()));
            let r = ((sn * sn + cs * cs).sqrt() / data.len() as f64).min(0.99);
            run::<VonMises>(family, data, &[("loc", sn.atan2(cs)), ("concentration", (r * (2.0 - r * r) / (1.0 - r * r)).max(0.05))], None, opts, progress)
        }
        // Closed forms where the MLE is interior (not all zeros).
        "Poisson" => run::<Poisson>(family, data, &[("rate", m.max(1e-3))], (m > 0.0).then_some(&[("rate", m)][..]), opts, progress),
        "Geometric" => run::<Geometric>(family, data, &[("probs", 1.0 / (1.0 + m))], (m > 0.0).then_some(&[("probs", 1.0 / (1.0 + m))][..]), opts, progress),
        "NegativeBinomial" => {
            // Moments: mean r p/(1 − p), variance mean/(1 − p) (underdispersed data start at
            // variance 1.1 × mean).
            let q = (m / v.max(1.1 * m)).clamp(1e-3, 1.0 - 1e-3); // 1 − p
            let p = 1.0 - q;
            run::<NegativeBinomial>(family, data, &[("total_count", (m * q / p).max(1e-3)), ("logits", (p / q).ln())], None, opts, progress)
        }
        other => Err(Error::BadInput { location: format!("family {other}"), reason: "no fit is written for this family".into() }),
    }
}

/// Reads one numeric column of a CSV file. `column` is a header name or a 0-based index
/// (default: the first column). A first row with a non-numeric cell is taken as the header.
/// Errors name the file, line and column.
///
/// ```
/// use probrs::fit::read_csv_column;
/// let path = std::env::temp_dir().join("probrs_doc_read.csv");
/// std::fs::write(&path, "id,height\n1,1.62\n2,1.80\n3,x\n")?;
/// let p = path.to_str().unwrap();
/// assert_eq!(read_csv_column(p, Some("id"))?, vec![1.0, 2.0, 3.0]);
/// // A bad cell is an error naming the file, the line and the column.
/// let err = read_csv_column(p, Some("height")).unwrap_err().to_string();
/// assert!(err.contains("probrs_doc_read.csv:4:2") && err.contains("\"x\""), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_csv_column(path: &str, column: Option<&str>) -> Result<Vec<f64>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::BadInput { location: path.into(), reason: e.to_string() })?;
    parse_csv_column(&text, path, column)
}

/// As [`read_csv_column`], on the text of a CSV file (from anywhere); `path` names it in errors.
///
/// ```
/// use probrs::fit::parse_csv_column;
/// assert_eq!(parse_csv_column("x,y\n1,2\n3,4\n", "upload.csv", Some("y"))?, vec![2.0, 4.0]);
/// let err = parse_csv_column("x\n1\nabc\n", "upload.csv", None).unwrap_err().to_string();
/// assert!(err.contains("upload.csv:3"), "{err}");
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn parse_csv_column(text: &str, path: &str, column: Option<&str>) -> Result<Vec<f64>> {
    // A byte-order mark (spreadsheet exports) is not part of the first header name.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).peekable();
    let split = |l: &str| l.split(',').map(|c| c.trim().trim_matches('"').to_string()).collect::<Vec<_>>();
    let header = match lines.peek() {
        Some((_, l)) if split(l).iter().any(|c| c.parse::<f64>().is_err()) => Some(split(lines.next().expect("peeked").1)),
        _ => None,
    };
    let idx = match (column, &header) {
        (None, _) => 0,
        (Some(c), h) => match (c.parse::<usize>(), h) {
            (Ok(i), _) => i,
            (Err(_), Some(h)) => h.iter().position(|x| x == c).ok_or_else(|| Error::BadInput { location: format!("{path}:1"), reason: format!("no column named {c:?} (columns: {})", h.join(", ")) })?,
            (Err(_), None) => return Err(Error::BadInput { location: path.into(), reason: format!("column {c:?} given by name but the file has no header") }),
        },
    };
    let mut out = vec![];
    for (i, l) in lines {
        let cells = split(l);
        let cell = cells.get(idx).ok_or_else(|| Error::BadInput { location: format!("{path}:{}", i + 1), reason: format!("no column {} (the line has {} cells)", idx + 1, cells.len()) })?;
        let v: f64 = cell.parse().map_err(|_| Error::BadInput { location: format!("{path}:{}:{}", i + 1, idx + 1), reason: format!("non-numeric cell {cell:?}") })?;
        out.push(v);
    }
    if out.is_empty() {
        return Err(Error::BadInput { location: path.into(), reason: "the column is empty".into() });
    }
    Ok(out)
}
