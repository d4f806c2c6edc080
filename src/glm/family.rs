//! TFP's `tfp.glm` exponential families: a response distribution parameterized by its mean,
//! and the inverse link that maps the predicted linear response `r = x·β + offset` to it.
//!
//! A family answers, at `r`, with the triple Fisher scoring needs (TFP's `__call__`):
//!
//! ```text
//! mean μ(r),   variance Var(Y | μ),   grad_mean dμ/dr
//! ```
//!
//! and with the log-likelihood `log p(y | r)` (TFP's `log_prob`). The families and their
//! inverse links, as TFP defines them:
//!
//! | family | distribution | μ(r) | Var |
//! |---|---|---|---|
//! | [`Bernoulli`] | Bernoulli(logits = r) | σ(r) | μ(1−μ) |
//! | [`BernoulliNormalCDF`] | Bernoulli(probs = Φ(r)) | Φ(r) | μ(1−μ) |
//! | [`Binomial`] | Binomial(n, logits = r) | n σ(r) | μ σ(−r) |
//! | [`Poisson`] | Poisson(log_rate = r) | eʳ | μ |
//! | [`PoissonSoftplus`] | Poisson(rate = softplus r) | softplus r | μ |
//! | [`Normal`] | Normal(r, s) | r | s² |
//! | [`NormalReciprocal`] | Normal(1/r, s) | 1/r | s² |
//! | [`LogNormal`] | LogNormal(r − s²/2, s) | eʳ | μ²(e^{s²} − 1) |
//! | [`LogNormalSoftplus`] | LogNormal(log softplus r − s²/2, s) | softplus r | μ²(e^{s²} − 1) |
//! | [`GammaExp`] | Gamma(c, rate = e^{−r}) | c eʳ | eʳ μ |
//! | [`GammaSoftplus`] | Gamma(c, rate = 1/softplus r) | c softplus r | softplus(r) μ |
//! | [`NegativeBinomial`] | NegativeBinomial(k, logits = r − log k) | eʳ | μ + μ²/k |
//! | [`NegativeBinomialSoftplus`] | NegativeBinomial(k, logits = log softplus r − log k) | softplus r | μ + μ²/k |
//!
//! TFP's defaults: `s = 1` for the normal families, `s = √log 2` for the log-normal ones (so
//! that Var = μ²), `c = 1`, `n = 1`, `k = 1`.
//!
//! Beyond TFP, for a statsmodels-style summary: each family's unit deviance (statsmodels'
//! `family.deviance` for the family with the same variance function: binomial, Poisson,
//! Gaussian, Gamma, negative binomial) and whether the dispersion is estimated from the data
//! (Pearson χ² / (n − p), as statsmodels does for its Gaussian and Gamma families).

use crate::error::{Error, Result};
use crate::tensor::special::{sigmoid_scalar as sigmoid, softplus_scalar as softplus};

/// A GLM family: the response distribution by its mean and the inverse link (TFP's
/// `tfp.glm.ExponentialFamily`).
///
/// ```
/// use probrs::glm::{ExponentialFamily, Poisson};
/// let (mean, variance, grad_mean) = Poisson.call(0.5);
/// assert_eq!((mean, variance, grad_mean), (0.5f64.exp(), 0.5f64.exp(), 0.5f64.exp()));
/// // log p(y = 2 | r = 0.5) = 2·0.5 − e^0.5 − log 2!
/// assert!((Poisson.log_prob(2.0, 0.5) - (1.0 - 0.5f64.exp() - 2f64.ln())).abs() < 1e-12);
/// ```
pub trait ExponentialFamily: Send + Sync {
    /// The family's name (TFP's class name).
    fn name(&self) -> &'static str;

    /// `(mean, variance, grad_mean)` at the predicted linear response `r` (TFP's `__call__`):
    /// the mean of the response, its variance, and `d mean / d r`.
    fn call(&self, r: f64) -> (f64, f64, f64);

    /// `log p(y | r)`, the response's log-likelihood at the predicted linear response.
    fn log_prob(&self, y: f64, r: f64) -> f64;

    /// True when `variance(r) == grad_mean(r)` for all `r` (a canonical link: Fisher scoring
    /// is Newton's method).
    fn is_canonical(&self) -> bool {
        false
    }

    /// The unit deviance `d(y, μ)`; the deviance is `Σ d(yᵢ, μᵢ)`.
    fn unit_deviance(&self, y: f64, mu: f64) -> f64;

    /// Whether standard errors use a dispersion estimated from the data (Pearson χ² over the
    /// residual degrees of freedom) rather than 1.
    fn estimates_dispersion(&self) -> bool {
        false
    }

    /// `log p(y | r)` when the response's dispersion is `φ` rather than the family's own
    /// (statsmodels' `loglike_obs` with `scale = φ`): a normal response with variance φ, a gamma
    /// response with shape 1/φ. The families whose dispersion is fixed ignore `φ`.
    fn log_prob_with_dispersion(&self, y: f64, r: f64, dispersion: f64) -> f64 {
        let _ = dispersion;
        self.log_prob(y, r)
    }

    /// `Ok(())` when `y` is in the response's support, else why not.
    fn check_response(&self, y: f64) -> std::result::Result<(), String>;
}

/// `log σ(r) = −softplus(−r)`.
fn log_sigmoid(r: f64) -> f64 {
    -softplus(-r)
}

/// `y log(y / μ)`, with `0 log 0 = 0`.
fn xlogy_ratio(y: f64, mu: f64) -> f64 {
    if y == 0.0 {
        0.0
    } else {
        y * (y / mu).ln()
    }
}

fn lgamma(x: f64) -> f64 {
    libm::lgamma(x)
}

fn check_finite(y: f64) -> std::result::Result<(), String> {
    if y.is_finite() {
        Ok(())
    } else {
        Err(format!("{y} is not finite"))
    }
}

fn check_count(y: f64) -> std::result::Result<(), String> {
    if y.is_finite() && y >= 0.0 && y.fract() == 0.0 {
        Ok(())
    } else {
        Err(format!("{y} is not a count (a non-negative integer)"))
    }
}

fn check_positive(y: f64) -> std::result::Result<(), String> {
    if y.is_finite() && y > 0.0 {
        Ok(())
    } else {
        Err(format!("{y} is not positive"))
    }
}

fn positive_parameter(name: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(Error::invalid_parameter(name, format!("must be positive and finite, got {v}")))
    }
}

fn binomial_unit_deviance(y: f64, mu: f64, n: f64) -> f64 {
    2.0 * (xlogy_ratio(y, mu) + xlogy_ratio(n - y, n - mu))
}

fn gamma_unit_deviance(y: f64, mu: f64) -> f64 {
    2.0 * (-(y / mu).ln() + (y - mu) / mu)
}

fn negative_binomial_unit_deviance(y: f64, mu: f64, k: f64) -> f64 {
    2.0 * (xlogy_ratio(y, mu) - (y + k) * ((y + k) / (mu + k)).ln())
}

/// `log NegativeBinomial(y | k, p = μ / (μ + k))`.
fn negative_binomial_log_prob(y: f64, mu: f64, k: f64) -> f64 {
    let logits = mu.ln() - k.ln();
    lgamma(y + k) - lgamma(k) - lgamma(y + 1.0) + y * log_sigmoid(logits) + k * log_sigmoid(-logits)
}

/// `log LogNormal(y | loc, s)`.
fn log_normal_log_prob(y: f64, loc: f64, s: f64) -> f64 {
    let z = (y.ln() - loc) / s;
    -0.5 * z * z - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln() - y.ln()
}

/// `log Normal(y | loc, s)`.
fn normal_log_prob(y: f64, loc: f64, s: f64) -> f64 {
    let z = (y - loc) / s;
    -0.5 * z * z - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

/// `log Gamma(y | c, rate)`.
fn gamma_log_prob(y: f64, c: f64, rate: f64) -> f64 {
    c * rate.ln() + (c - 1.0) * y.ln() - rate * y - lgamma(c)
}

/// `Bernoulli(logits = r)`: `μ = σ(r)`, the canonical (logit) link.
///
/// ```
/// use probrs::glm::{Bernoulli, ExponentialFamily};
/// assert_eq!(Bernoulli.call(0.0), (0.5, 0.25, 0.25));
/// assert!(Bernoulli.is_canonical());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Bernoulli;

impl ExponentialFamily for Bernoulli {
    fn name(&self) -> &'static str {
        "Bernoulli"
    }
    fn call(&self, r: f64) -> (f64, f64, f64) {
        let mean = sigmoid(r);
        let v = mean * sigmoid(-r);
        (mean, v, v)
    }
    fn log_prob(&self, y: f64, r: f64) -> f64 {
        y * log_sigmoid(r) + (1.0 - y) * log_sigmoid(-r)
    }
    fn is_canonical(&self) -> bool {
        true
    }
    fn unit_deviance(&self, y: f64, mu: f64) -> f64 {
        binomial_unit_deviance(y, mu, 1.0)
    }
    fn check_response(&self, y: f64) -> std::result::Result<(), String> {
        if y == 0.0 || y == 1.0 {
            Ok(())
        } else {
            Err(format!("{y} is neither 0 nor 1"))
        }
    }
}

/// `Bernoulli(probs = Φ(r))`: the probit link.
///
/// ```
/// use probrs::glm::{BernoulliNormalCDF, ExponentialFamily};
/// let (mean, variance, grad_mean) = BernoulliNormalCDF.call(0.0);
/// assert_eq!((mean, variance), (0.5, 0.25));
/// assert!((grad_mean - 1.0 / (2.0 * std::f64::consts::PI).sqrt()).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct BernoulliNormalCDF;

impl ExponentialFamily for BernoulliNormalCDF {
    fn name(&self) -> &'static str {
        "BernoulliNormalCDF"
    }
    fn call(&self, r: f64) -> (f64, f64, f64) {
        let mean = crate::tensor::special::ndtr_scalar(r);
        let survival = crate::tensor::special::ndtr_scalar(-r);
        let density = (-0.5 * r * r).exp() / (2.0 * std::f64::consts::PI).sqrt();
        (mean, mean * survival, density)
    }
    fn log_prob(&self, y: f64, r: f64) -> f64 {
        use crate::tensor::special::log_ndtr_scalar;
        y * log_ndtr_scalar(r) + (1.0 - y) * log_ndtr_scalar(-r)
    }
    fn unit_deviance(&self, y: f64, mu: f64) -> f64 {
        binomial_unit_deviance(y, mu, 1.0)
    }
    fn check_response(&self, y: f64) -> std::result::Result<(), String> {
        Bernoulli.check_response(y)
    }
}

/// `Binomial(total_count, logits = r)`: the response is a count of successes out of
/// `total_count`, `μ = total_count · σ(r)`.
///
/// ```
/// use probrs::glm::{Binomial, ExponentialFamily};
/// let b = Binomial::new(10.0)?;
/// assert_eq!(b.call(0.0), (5.0, 2.5, 2.5));
/// assert!(Binomial::new(0.0).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Binomial {
    total_count: f64,
}

impl Binomial {
    /// `total_count > 0` trials per response (TFP's default is 1).
    ///
    /// ```
    /// assert!(probrs::glm::Binomial::new(5.0).is_ok() && probrs::glm::Binomial::new(f64::INFINITY).is_err());
    /// ```
    pub fn new(total_count: f64) -> Result<Self> {
        Ok(Binomial { total_count: positive_parameter("total_count", total_count)? })
    }

    /// A row's binomial with `total_count ≥ 0` trials already checked by the caller (a `glmer`
    /// `cbind` response; a row with no trials has mean, variance and log-likelihood 0).
    pub(crate) fn with_trials(total_count: f64) -> Self {
        Binomial { total_count }
    }
}

impl ExponentialFamily for Binomial {
    fn name(&self) -> &'static str {
        "Binomial"
    }
    fn call(&self, r: f64) -> (f64, f64, f64) {
        let mean = self.total_count * sigmoid(r);
        let v = mean * sigmoid(-r);
        (mean, v, v)
    }
    fn log_prob(&self, y: f64, r: f64) -> f64 {
        let n = self.total_count;
        lgamma(n + 1.0) - lgamma(y + 1.0) - lgamma(n - y + 1.0) + y * log_sigmoid(r) + (n - y) * log_sigmoid(-r)
    }
    fn is_canonical(&self) -> bool {
        true
    }
    fn unit_deviance(&self, y: f64, mu: f64) -> f64 {
        binomial_unit_deviance(y, mu, self.total_count)
    }
    fn check_response(&self, y: f64) -> std::result::Result<(), String> {
        check_count(y)?;
        if y <= self.total_count {
            Ok(())
        } else {
            Err(format!("{y} exceeds total_count {}", self.total_count))
        }
    }
}

/// `Poisson(log_rate = r)`: `μ = eʳ`, the canonical (log) link.
///
/// ```
/// use probrs::glm::{ExponentialFamily, Poisson};
/// assert_eq!(Poisson.call(0.0), (1.0, 1.0, 1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Poisson;

impl ExponentialFamily for Poisson {
    fn name(&self) -> &'static str {
        "Poisson"
    }
    fn call(&self, r: f64) -> (f64, f64, f64) {
        let mean = r.exp();
        (mean, mean, mean)
    }
    fn log_prob(&self, y: f64, r: f64) -> f64 {
        y * r - r.exp() - lgamma(y + 1.0)
    }
    fn is_canonical(&self) -> bool {
        true
    }
    fn unit_deviance(&self, y: f64, mu: f64) -> f64 {
        2.0 * (xlogy_ratio(y, mu) - (y - mu))
    }
    fn check_response(&self, y: f64) -> std::result::Result<(), String> {
        check_count(y)
    }
}

/// `Poisson(rate = softplus(r))`.
///
/// ```
/// use probrs::glm::{ExponentialFamily, PoissonSoftplus};
/// let (mean, variance, grad_mean) = PoissonSoftplus.call(0.0);
/// assert_eq!((mean, variance, grad_mean), (2f64.ln(), 2f64.ln(), 0.5));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct PoissonSoftplus;

impl ExponentialFamily for PoissonSoftplus {
    fn name(&self) -> &'static str {
        "PoissonSoftplus"
    }
    fn call(&self, r: f64) -> (f64, f64, f64) {
        let mean = softplus(r);
        (mean, mean, sigmoid(r))
    }
    fn log_prob(&self, y: f64, r: f64) -> f64 {
        let mean = softplus(r);
        y * mean.ln() - mean - lgamma(y + 1.0)
    }
    fn unit_deviance(&self, y: f64, mu: f64) -> f64 {
        Poisson.unit_deviance(y, mu)
    }
    fn check_response(&self, y: f64) -> std::result::Result<(), String> {
        check_count(y)
    }
}

/// `Normal(loc = r, scale)`: the identity link.
///
/// ```
/// use probrs::glm::{ExponentialFamily, Normal};
/// assert_eq!(Normal::default().call(0.3), (0.3, 1.0, 1.0));
/// assert_eq!(Normal::new(2.0)?.call(0.3), (0.3, 4.0, 1.0));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Normal {
    scale: f64,
}

impl Normal {
    /// The response's standard deviation (TFP's default 1).
    ///
    /// ```
    /// assert!(probrs::glm::Normal::new(2.0).is_ok() && probrs::glm::Normal::new(-1.0).is_err());
    /// ```
    pub fn new(scale: f64) -> Result<Self> {
        Ok(Normal { scale: positive_parameter("scale", scale)? })
    }
}

impl Default for Normal {
    fn default() -> Self {
        Normal { scale: 1.0 }
    }
}

impl ExponentialFamily for Normal {
    fn name(&self) -> &'static str {
        "Normal"
    }
    fn call(&self, r: f64) -> (f64, f64, f64) {
        (r, self.scale * self.scale, 1.0)
    }
    fn log_prob(&self, y: f64, r: f64) -> f64 {
        normal_log_prob(y, r, self.scale)
    }
    fn log_prob_with_dispersion(&self, y: f64, r: f64, dispersion: f64) -> f64 {
        normal_log_prob(y, r, dispersion.sqrt())
    }
    fn is_canonical(&self) -> bool {
        self.scale == 1.0
    }
    fn unit_deviance(&self, y: f64, mu: f64) -> f64 {
        (y - mu) * (y - mu)
    }
    fn estimates_dispersion(&self) -> bool {
        true
    }
    fn check_response(&self, y: f64) -> std::result::Result<(), String> {
        check_finite(y)
    }
}

/// `Normal(loc = 1 / r, scale)`: the reciprocal (inverse) link.
///
/// ```
/// use probrs::glm::{ExponentialFamily, NormalReciprocal};
/// assert_eq!(NormalReciprocal::default().call(2.0), (0.5, 1.0, -0.25));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct NormalReciprocal {
    scale: f64,
}

impl NormalReciprocal {
    /// The response's standard deviation (TFP's default 1).
    ///
    /// ```
    /// assert!(probrs::glm::NormalReciprocal::new(2.0).is_ok() && probrs::glm::NormalReciprocal::new(-1.0).is_err());
    /// ```
    pub fn new(scale: f64) -> Result<Self> {
        Ok(NormalReciprocal { scale: positive_parameter("scale", scale)? })
    }
}

impl Default for NormalReciprocal {
    fn default() -> Self {
        NormalReciprocal { scale: 1.0 }
    }
}

impl ExponentialFamily for NormalReciprocal {
    fn name(&self) -> &'static str {
        "NormalReciprocal"
    }
    fn call(&self, r: f64) -> (f64, f64, f64) {
        (1.0 / r, self.scale * self.scale, -1.0 / (r * r))
    }
    fn log_prob(&self, y: f64, r: f64) -> f64 {
        normal_log_prob(y, 1.0 / r, self.scale)
    }
    fn log_prob_with_dispersion(&self, y: f64, r: f64, dispersion: f64) -> f64 {
        normal_log_prob(y, 1.0 / r, dispersion.sqrt())
    }
    fn unit_deviance(&self, y: f64, mu: f64) -> f64 {
        (y - mu) * (y - mu)
    }
    fn estimates_dispersion(&self) -> bool {
        true
    }
    fn check_response(&self, y: f64) -> std::result::Result<(), String> {
        check_finite(y)
    }
}

/// TFP's default log-normal scale, `√log 2` (for which the variance is μ²).
const SQRT_LN_2: f64 = 0.832_554_611_157_697_8;

/// `μ²` times `e^{s²} − 1`, skipped at TFP's default `s` (where it is 1), as TFP does.
fn log_normal_variance(mean: f64, s: f64) -> f64 {
    if s == SQRT_LN_2 {
        mean * mean
    } else {
        mean * mean * (s * s).exp_m1()
    }
}

/// `LogNormal(loc = r − s²/2, scale = s)`: `μ = eʳ` (the log link), `Var = μ²(e^{s²} − 1)`.
///
/// ```
/// use probrs::glm::{ExponentialFamily, LogNormal};
/// assert_eq!(LogNormal::default().call(0.0), (1.0, 1.0, 1.0));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LogNormal {
    scale: f64,
}

impl LogNormal {
    /// The log-response's standard deviation (TFP's default `√log 2`).
    ///
    /// ```
    /// assert!(probrs::glm::LogNormal::new(2.0).is_ok() && probrs::glm::LogNormal::new(-1.0).is_err());
    /// ```
    pub fn new(scale: f64) -> Result<Self> {
        Ok(LogNormal { scale: positive_parameter("scale", scale)? })
    }
}

impl Default for LogNormal {
    fn default() -> Self {
        LogNormal { scale: SQRT_LN_2 }
    }
}

impl ExponentialFamily for LogNormal {
    fn name(&self) -> &'static str {
        "LogNormal"
    }
    fn call(&self, r: f64) -> (f64, f64, f64) {
        let mean = r.exp();
        (mean, log_normal_variance(mean, self.scale), mean)
    }
    fn log_prob(&self, y: f64, r: f64) -> f64 {
        log_normal_log_prob(y, r - 0.5 * self.scale * self.scale, self.scale)
    }
    fn unit_deviance(&self, y: f64, mu: f64) -> f64 {
        gamma_unit_deviance(y, mu)
    }
    fn estimates_dispersion(&self) -> bool {
        true
    }
    fn check_response(&self, y: f64) -> std::result::Result<(), String> {
        check_positive(y)
    }
}

/// `LogNormal(loc = log softplus(r) − s²/2, scale = s)`: `μ = softplus(r)`.
///
/// ```
/// use probrs::glm::{ExponentialFamily, LogNormalSoftplus};
/// let (mean, variance, grad_mean) = LogNormalSoftplus::default().call(0.0);
/// assert_eq!((mean, variance, grad_mean), (2f64.ln(), 2f64.ln().powi(2), 0.5));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LogNormalSoftplus {
    scale: f64,
}

impl LogNormalSoftplus {
    /// The log-response's standard deviation (TFP's default `√log 2`).
    ///
    /// ```
    /// assert!(probrs::glm::LogNormalSoftplus::new(2.0).is_ok() && probrs::glm::LogNormalSoftplus::new(-1.0).is_err());
    /// ```
    pub fn new(scale: f64) -> Result<Self> {
        Ok(LogNormalSoftplus { scale: positive_parameter("scale", scale)? })
    }
}

impl Default for LogNormalSoftplus {
    fn default() -> Self {
        LogNormalSoftplus { scale: SQRT_LN_2 }
    }
}

impl ExponentialFamily for LogNormalSoftplus {
    fn name(&self) -> &'static str {
        "LogNormalSoftplus"
    }
    fn call(&self, r: f64) -> (f64, f64, f64) {
        let mean = softplus(r);
        (mean, log_normal_variance(mean, self.scale), sigmoid(r))
    }
    fn log_prob(&self, y: f64, r: f64) -> f64 {
        log_normal_log_prob(y, softplus(r).ln() - 0.5 * self.scale * self.scale, self.scale)
    }
    fn unit_deviance(&self, y: f64, mu: f64) -> f64 {
        gamma_unit_deviance(y, mu)
    }
    fn estimates_dispersion(&self) -> bool {
        true
    }
    fn check_response(&self, y: f64) -> std::result::Result<(), String> {
        check_positive(y)
    }
}

/// `Gamma(concentration = c, rate = e^{−r})`: `μ = c eʳ`.
///
/// ```
/// use probrs::glm::{ExponentialFamily, GammaExp};
/// assert_eq!(GammaExp::default().call(0.0), (1.0, 1.0, 1.0));
/// assert_eq!(GammaExp::new(2.0)?.call(0.0), (2.0, 2.0, 2.0));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct GammaExp {
    concentration: f64,
}

impl GammaExp {
    /// The gamma shape `c` (TFP's default 1).
    ///
    /// ```
    /// assert!(probrs::glm::GammaExp::new(2.0).is_ok() && probrs::glm::GammaExp::new(-1.0).is_err());
    /// ```
    pub fn new(concentration: f64) -> Result<Self> {
        Ok(GammaExp { concentration: positive_parameter("concentration", concentration)? })
    }
}

impl Default for GammaExp {
    fn default() -> Self {
        GammaExp { concentration: 1.0 }
    }
}

impl ExponentialFamily for GammaExp {
    fn name(&self) -> &'static str {
        "GammaExp"
    }
    fn call(&self, r: f64) -> (f64, f64, f64) {
        let er = r.exp();
        let mean = er * self.concentration;
        (mean, er * mean, mean)
    }
    fn log_prob(&self, y: f64, r: f64) -> f64 {
        gamma_log_prob(y, self.concentration, (-r).exp())
    }
    fn log_prob_with_dispersion(&self, y: f64, r: f64, dispersion: f64) -> f64 {
        gamma_log_prob(y, 1.0 / dispersion, 1.0 / (dispersion * self.call(r).0))
    }
    fn unit_deviance(&self, y: f64, mu: f64) -> f64 {
        gamma_unit_deviance(y, mu)
    }
    fn estimates_dispersion(&self) -> bool {
        true
    }
    fn check_response(&self, y: f64) -> std::result::Result<(), String> {
        check_positive(y)
    }
}

/// `Gamma(concentration = c, rate = 1 / softplus(r))`: `μ = c softplus(r)`.
///
/// ```
/// use probrs::glm::{ExponentialFamily, GammaSoftplus};
/// let (mean, variance, grad_mean) = GammaSoftplus::default().call(0.0);
/// assert_eq!((mean, variance, grad_mean), (2f64.ln(), 2f64.ln().powi(2), 0.5));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct GammaSoftplus {
    concentration: f64,
}

impl GammaSoftplus {
    /// The gamma shape `c` (TFP's default 1).
    ///
    /// ```
    /// assert!(probrs::glm::GammaSoftplus::new(2.0).is_ok() && probrs::glm::GammaSoftplus::new(-1.0).is_err());
    /// ```
    pub fn new(concentration: f64) -> Result<Self> {
        Ok(GammaSoftplus { concentration: positive_parameter("concentration", concentration)? })
    }
}

impl Default for GammaSoftplus {
    fn default() -> Self {
        GammaSoftplus { concentration: 1.0 }
    }
}

impl ExponentialFamily for GammaSoftplus {
    fn name(&self) -> &'static str {
        "GammaSoftplus"
    }
    fn call(&self, r: f64) -> (f64, f64, f64) {
        let sp = softplus(r);
        let mean = sp * self.concentration;
        (mean, sp * mean, sigmoid(r) * self.concentration)
    }
    fn log_prob(&self, y: f64, r: f64) -> f64 {
        gamma_log_prob(y, self.concentration, 1.0 / softplus(r))
    }
    fn log_prob_with_dispersion(&self, y: f64, r: f64, dispersion: f64) -> f64 {
        gamma_log_prob(y, 1.0 / dispersion, 1.0 / (dispersion * self.call(r).0))
    }
    fn unit_deviance(&self, y: f64, mu: f64) -> f64 {
        gamma_unit_deviance(y, mu)
    }
    fn estimates_dispersion(&self) -> bool {
        true
    }
    fn check_response(&self, y: f64) -> std::result::Result<(), String> {
        check_positive(y)
    }
}

/// `NegativeBinomial(total_count = k, probs = μ / (μ + k))` with `μ = eʳ`: a Poisson mean with
/// over-dispersion, `Var = μ + μ²/k` (statsmodels' `NegativeBinomial(alpha = 1/k)`).
///
/// ```
/// use probrs::glm::{ExponentialFamily, NegativeBinomial};
/// assert_eq!(NegativeBinomial::new(2.0)?.call(0.0), (1.0, 1.5, 1.0));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct NegativeBinomial {
    total_count: f64,
}

impl NegativeBinomial {
    /// `k > 0` (TFP's default 1).
    ///
    /// ```
    /// assert!(probrs::glm::NegativeBinomial::new(2.0).is_ok() && probrs::glm::NegativeBinomial::new(-1.0).is_err());
    /// ```
    pub fn new(total_count: f64) -> Result<Self> {
        Ok(NegativeBinomial { total_count: positive_parameter("total_count", total_count)? })
    }
}

impl Default for NegativeBinomial {
    fn default() -> Self {
        NegativeBinomial { total_count: 1.0 }
    }
}

impl ExponentialFamily for NegativeBinomial {
    fn name(&self) -> &'static str {
        "NegativeBinomial"
    }
    fn call(&self, r: f64) -> (f64, f64, f64) {
        let mean = r.exp();
        (mean, mean + mean * mean / self.total_count, mean)
    }
    fn log_prob(&self, y: f64, r: f64) -> f64 {
        negative_binomial_log_prob(y, r.exp(), self.total_count)
    }
    fn unit_deviance(&self, y: f64, mu: f64) -> f64 {
        negative_binomial_unit_deviance(y, mu, self.total_count)
    }
    fn check_response(&self, y: f64) -> std::result::Result<(), String> {
        check_count(y)
    }
}

/// `NegativeBinomial(total_count = k, probs = μ / (μ + k))` with `μ = softplus(r)`.
///
/// ```
/// use probrs::glm::{ExponentialFamily, NegativeBinomialSoftplus};
/// let (mean, _, grad_mean) = NegativeBinomialSoftplus::default().call(0.0);
/// assert_eq!((mean, grad_mean), (2f64.ln(), 0.5));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct NegativeBinomialSoftplus {
    total_count: f64,
}

impl NegativeBinomialSoftplus {
    /// `k > 0` (TFP's default 1).
    ///
    /// ```
    /// assert!(probrs::glm::NegativeBinomialSoftplus::new(2.0).is_ok() && probrs::glm::NegativeBinomialSoftplus::new(-1.0).is_err());
    /// ```
    pub fn new(total_count: f64) -> Result<Self> {
        Ok(NegativeBinomialSoftplus { total_count: positive_parameter("total_count", total_count)? })
    }
}

impl Default for NegativeBinomialSoftplus {
    fn default() -> Self {
        NegativeBinomialSoftplus { total_count: 1.0 }
    }
}

impl ExponentialFamily for NegativeBinomialSoftplus {
    fn name(&self) -> &'static str {
        "NegativeBinomialSoftplus"
    }
    fn call(&self, r: f64) -> (f64, f64, f64) {
        let mean = softplus(r);
        (mean, mean + mean * mean / self.total_count, sigmoid(r))
    }
    fn log_prob(&self, y: f64, r: f64) -> f64 {
        negative_binomial_log_prob(y, softplus(r), self.total_count)
    }
    fn unit_deviance(&self, y: f64, mu: f64) -> f64 {
        negative_binomial_unit_deviance(y, mu, self.total_count)
    }
    fn check_response(&self, y: f64) -> std::result::Result<(), String> {
        check_count(y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn families() -> Vec<(Box<dyn ExponentialFamily>, f64)> {
        // (family, a response in its support)
        vec![
            (Box::new(Bernoulli), 1.0),
            (Box::new(BernoulliNormalCDF), 0.0),
            (Box::new(Binomial::new(7.0).unwrap()), 3.0),
            (Box::new(Poisson), 4.0),
            (Box::new(PoissonSoftplus), 2.0),
            (Box::new(Normal::new(1.5).unwrap()), -0.4),
            (Box::new(NormalReciprocal::default()), 0.9),
            (Box::new(LogNormal::default()), 1.7),
            (Box::new(LogNormal::new(0.4).unwrap()), 1.7),
            (Box::new(LogNormalSoftplus::default()), 0.6),
            (Box::new(GammaExp::new(2.5).unwrap()), 1.3),
            (Box::new(GammaSoftplus::new(0.7).unwrap()), 0.8),
            (Box::new(NegativeBinomial::new(3.0).unwrap()), 5.0),
            (Box::new(NegativeBinomialSoftplus::new(0.5).unwrap()), 2.0),
        ]
    }

    #[test]
    fn grad_mean_is_the_derivative_of_the_mean_by_central_differences() {
        for (f, _) in families() {
            for r in [-1.3, 0.2, 0.9] {
                let h = 1e-6;
                let fd = (f.call(r + h).0 - f.call(r - h).0) / (2.0 * h);
                let g = f.call(r).2;
                assert!((fd - g).abs() < 1e-7 * (1.0 + g.abs()), "{}: grad_mean {g} vs {fd} at r = {r}", f.name());
            }
        }
    }

    #[test]
    fn the_score_of_log_prob_is_the_fisher_scoring_score() {
        // d/dr log p(y | r) = (y − μ) · grad_mean / variance holds for every family whose
        // log_prob is a linear exponential family in μ (all but the log-normal ones, whose
        // Fisher scoring is quasi-likelihood with Var ∝ μ²).
        for (f, y) in families() {
            if f.name().starts_with("LogNormal") {
                continue;
            }
            for r in [-0.7, 0.4, 1.1] {
                let h = 1e-6;
                let fd = (f.log_prob(y, r + h) - f.log_prob(y, r - h)) / (2.0 * h);
                let (mu, var, g) = f.call(r);
                let score = (y - mu) * g / var;
                assert!((fd - score).abs() < 1e-6 * (1.0 + fd.abs()), "{}: score {fd} vs {score} at r = {r}", f.name());
            }
        }
    }

    #[test]
    fn log_probs_against_closed_forms() {
        // Bernoulli(σ(0.3)) at 1; Binomial(7, σ(0.2)) at 3; NegativeBinomial(3, μ = e^0.5) at 5
        // (scipy.stats.nbinom(n = 3, p = 3 / (3 + μ)).logpmf(5)); Gamma(2.5, rate e^−0.1) at 1.3
        // (scipy.stats.gamma(2.5, scale = e^0.1).logpdf(1.3)).
        let s = sigmoid(0.3);
        assert!((Bernoulli.log_prob(1.0, 0.3) - s.ln()).abs() < 1e-15);
        let p = sigmoid(0.2);
        let want = (35.0f64).ln() + 3.0 * p.ln() + 4.0 * (1.0 - p).ln();
        assert!((Binomial::new(7.0).unwrap().log_prob(3.0, 0.2) - want).abs() < 1e-12);
        assert!((NegativeBinomial::new(3.0).unwrap().log_prob(5.0, 0.5) - (-3.4523781861338163)).abs() < 1e-12);
        assert!((GammaExp::new(2.5).unwrap().log_prob(1.3, 0.1) - (-1.3174251172184301)).abs() < 1e-12);
    }

    #[test]
    fn invalid_parameters_and_responses_are_named() {
        assert!(matches!(Binomial::new(-1.0), Err(Error::InvalidParameter { .. })));
        assert!(NegativeBinomial::new(f64::NAN).is_err());
        assert!(Bernoulli.check_response(0.5).is_err());
        assert!(Binomial::new(3.0).unwrap().check_response(4.0).unwrap_err().contains("total_count"));
        assert!(Poisson.check_response(-1.0).is_err());
        assert!(GammaExp::default().check_response(0.0).is_err());
    }
}
