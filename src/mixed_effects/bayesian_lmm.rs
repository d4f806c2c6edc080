//! A linear mixed model with priors, as a log-density for NUTS: the Bayesian fit of an `lmer`
//! formula (rstanarm's `stan_lmer`, brms), with independent random effects — the seed page's
//! InstEval program, for any formula of random intercepts and uncorrelated (`||`) slopes.
//!
//! ```text
//! β_j        ~ Normal(m_j, s_j)                 fixed effects (the intercept's own m, s)
//! τ_k        ~ HalfNormal(s_τ)                  one scale per random-effects column k
//! σ          ~ HalfNormal(s_σ)                  residual scale
//! u_k[l]     ~ Normal(0, τ_k)                   level l's effect, centred as the page writes it
//! y_i        ~ Normal(x_iᵀβ + Σ_k u_k[g_k(i)] z_k(i), σ)
//! ```
//!
//! The sampler sees the unconstrained vector `(β, softplus⁻¹(τ), softplus⁻¹(σ), u)`: the scales
//! go through `Softplus`, the default event-space bijector of `HalfNormal` (as TFP's
//! `experimental_default_event_space_bijector`), with its log-det-Jacobian, so that this density
//! equals the page's program pinned to the data and sampled by `sample_nuts_pinned`, value and
//! gradient (`tests/lme_bayes.rs` checks it). What this file adds is speed: one pass over the
//! rows computes the residuals and a second scatters their gradient — no tensor graph, no
//! allocation per evaluation.
//!
//! Priors by default scale with the data as rstanarm's `autoscale` does: intercept
//! `Normal(mean(y), 2.5·sd(y))`, slope j `Normal(0, 2.5·sd(y)/sd(x_j))`, every scale
//! `HalfNormal(sd(y))`; [`LmmPriors`] sets any of them.

use crate::error::{Error, Result};
use crate::mcmc::{sample_nuts_density, LogDensity, NutsOptions, NutsRun};
use crate::tensor::special::{sigmoid_scalar as sigmoid, softplus_scalar as softplus};

use super::data_frame::DataFrame;
use super::formula::Formula;
use super::model_frame::ModelFrame;

const HALF_LN_2PI: f64 = 0.918_938_533_204_672_7;

/// Priors of a [`BayesianLmm`]; `None` is rstanarm's autoscaled default (module doc).
///
/// ```
/// use probrs::mixed_effects::LmmPriors;
/// // The seed page's InstEval program: intercept N(0, 5), service N(0, 1), scales HalfNormal(1).
/// let page = LmmPriors { intercept: Some((0.0, 5.0)), coefficient_scale: Some(1.0), sd_scale: Some(1.0), sigma_scale: Some(1.0) };
/// assert_eq!(LmmPriors::default().intercept, None);
/// # let _ = page;
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LmmPriors {
    /// The intercept's `(loc, scale)`.
    pub intercept: Option<(f64, f64)>,
    /// The scale of every other fixed effect's `Normal(0, scale)`.
    pub coefficient_scale: Option<f64>,
    /// The `HalfNormal` scale of each random-effects standard deviation.
    pub sd_scale: Option<f64>,
    /// The `HalfNormal` scale of the residual standard deviation.
    pub sigma_scale: Option<f64>,
}

/// One random-effects column: its grouping factor's codes and (for a slope) its values.
#[derive(Clone, Debug)]
struct RandomColumn {
    codes: Vec<u32>,
    values: Option<Vec<f64>>,
    levels: usize,
    /// The rows grouped by level: level l's rows are `rows[starts[l]..starts[l + 1]]`.
    rows: Vec<u32>,
    starts: Vec<u32>,
    /// Offset of its effects in the unconstrained vector.
    offset: usize,
}

/// The Bayesian linear mixed model of a formula, a [`LogDensity`] over the unconstrained
/// parameters (module doc).
///
/// ```
/// use probrs::mcmc::{LogDensity, NutsOptions};
/// use probrs::mixed_effects::{sleepstudy, BayesianLmm, LmmPriors};
/// let m = BayesianLmm::new("Reaction ~ Days + (Days || Subject)", &sleepstudy()?, &LmmPriors::default())?;
/// assert_eq!(m.dim(), 2 + 2 + 1 + 2 * 18);
/// assert_eq!(&m.param_names()[..6], ["(Intercept)", "Days", "sd_Subject", "sd_Subject:Days", "sigma", "r_Subject.1"]);
/// let run = m.sample(&NutsOptions { num_chains: 2, num_warmup: 300, num_draws: 300, ..Default::default() })?;
/// let days = run.summary()?.rows.into_iter().find(|r| r.name == "Days").unwrap();
/// assert!((days.mean - 10.47).abs() < 1.0, "{}", days.mean); // lme4: 10.467 (1.546)
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct BayesianLmm {
    y: Vec<f64>,
    /// The fixed-effects columns, `None` for the intercept's ones.
    x_cols: Vec<Option<Vec<f64>>>,
    p: usize,
    beta_prior: Vec<(f64, f64)>,
    sd_scale: f64,
    sigma_scale: f64,
    columns: Vec<RandomColumn>,
    names: Vec<String>,
    dim: usize,
}

impl BayesianLmm {
    /// The model of `formula` on `data`. Errors: those of [`ModelFrame::new`], a correlated
    /// random-effects term with more than one column (write `(x || g)`; an LKJ prior on the
    /// correlation is not built here), and a prior scale that is not positive and finite.
    ///
    /// ```
    /// use probrs::mixed_effects::{sleepstudy, BayesianLmm, LmmPriors};
    /// let e = BayesianLmm::new("Reaction ~ Days + (Days | Subject)", &sleepstudy()?, &LmmPriors::default()).unwrap_err();
    /// assert!(e.to_string().contains("(Days || Subject)"), "{e}");
    /// let bad = LmmPriors { sd_scale: Some(-1.0), ..Default::default() };
    /// assert!(BayesianLmm::new("Reaction ~ Days + (1 | Subject)", &sleepstudy()?, &bad).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(formula: &str, data: &DataFrame, priors: &LmmPriors) -> Result<Self> {
        let frame = ModelFrame::new(&Formula::parse(formula)?, data)?;
        if frame.trials.is_some() {
            return Err(Error::invalid_parameter("formula", "a cbind(...) response is binomial: a linear mixed model needs a numeric response"));
        }
        let n = frame.n();
        let p = frame.fixed_names.len();
        let (y_mean, y_sd) = mean_sd(frame.y.iter().copied());
        let y_sd = if y_sd > 0.0 { y_sd } else { 1.0 };
        for (what, v) in [("intercept scale", priors.intercept.map(|p| p.1)), ("coefficient_scale", priors.coefficient_scale), ("sd_scale", priors.sd_scale), ("sigma_scale", priors.sigma_scale)] {
            if let Some(s) = v {
                if !(s > 0.0 && s.is_finite()) {
                    return Err(Error::invalid_parameter(what, format!("a prior scale must be positive and finite, got {s}")));
                }
            }
        }
        let beta_prior = frame
            .fixed_names
            .iter()
            .enumerate()
            .map(|(j, name)| {
                if name == "(Intercept)" {
                    priors.intercept.unwrap_or((y_mean, 2.5 * y_sd))
                } else {
                    let (_, col_sd) = mean_sd((0..n).map(|i| frame.x[i * p + j]));
                    (0.0, priors.coefficient_scale.unwrap_or(2.5 * y_sd / if col_sd > 0.0 { col_sd } else { 1.0 }))
                }
            })
            .collect();
        let mut names: Vec<String> = frame.fixed_names.clone();
        let mut columns = vec![];
        let mut bases = vec![];
        for t in &frame.terms {
            if t.names.len() > 1 {
                let slopes: Vec<&str> = t.names.iter().filter(|s| *s != "(Intercept)").map(String::as_str).collect();
                return Err(Error::invalid_parameter(
                    "formula",
                    format!("the random-effects term of `{}` has correlated columns ({}); the Bayesian fit takes independent effects: write ({} || {})", t.group, t.names.join(", "), slopes.join(" + "), t.group),
                ));
            }
            for (c, effect) in t.names.iter().enumerate() {
                let k = t.names.len();
                let values = (effect != "(Intercept)").then(|| (0..n).map(|i| t.x[i * k + c]).collect());
                let (rows, starts) = rows_by_level(&t.codes, t.levels.len());
                columns.push(RandomColumn { codes: t.codes.iter().map(|c| *c as u32).collect(), values, levels: t.levels.len(), rows, starts, offset: 0 });
                bases.push(if effect == "(Intercept)" { t.group.clone() } else { format!("{}:{effect}", t.group) });
            }
        }
        names.extend(bases.iter().map(|b| format!("sd_{b}")));
        names.push("sigma".into());
        for (col, base) in columns.iter_mut().zip(&bases) {
            col.offset = names.len();
            names.extend((1..=col.levels).map(|l| format!("r_{base}.{l}")));
        }
        Ok(BayesianLmm {
            dim: names.len(),
            y: frame.y,
            x_cols: frame.fixed_names.iter().enumerate().map(|(j, name)| (name != "(Intercept)").then(|| (0..n).map(|i| frame.x[i * p + j]).collect())).collect(),
            p,
            beta_prior,
            sd_scale: priors.sd_scale.unwrap_or(y_sd),
            sigma_scale: priors.sigma_scale.unwrap_or(y_sd),
            columns,
            names,
        })
    }

    /// The number of random-effects columns (one scale each).
    fn k(&self) -> usize {
        self.columns.len()
    }

    /// An unconstrained point mapped to the parameters: the scales through `Softplus`.
    ///
    /// ```
    /// use probrs::mcmc::LogDensity;
    /// use probrs::mixed_effects::{sleepstudy, BayesianLmm, LmmPriors};
    /// let m = BayesianLmm::new("Reaction ~ Days + (1 | Subject)", &sleepstudy()?, &LmmPriors::default())?;
    /// let c = m.constrain(&vec![0.0; m.dim()]);
    /// assert!((c[2] - 2f64.ln()).abs() < 1e-15 && c[0] == 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn constrain(&self, z: &[f64]) -> Vec<f64> {
        let mut c = z.to_vec();
        for v in &mut c[self.p..self.p + self.k() + 1] {
            *v = softplus(*v);
        }
        c
    }

    /// NUTS (Stan's warm-up and defaults in `options`) from the unconstrained origin, or Stan's
    /// random inits with `options.init_radius`; the draws come back constrained (scales
    /// positive), named by [`LogDensity::param_names`].
    ///
    /// ```
    /// use probrs::mcmc::NutsOptions;
    /// use probrs::mixed_effects::{sleepstudy, BayesianLmm, LmmPriors};
    /// let m = BayesianLmm::new("Reaction ~ Days + (1 | Subject)", &sleepstudy()?, &LmmPriors::default())?;
    /// let run = m.sample(&NutsOptions { num_chains: 1, num_warmup: 200, num_draws: 100, ..Default::default() })?;
    /// assert!(run.chains[0].draws.iter().all(|d| d[2] > 0.0 && d[3] > 0.0));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sample(&self, options: &NutsOptions) -> Result<NutsRun> {
        let mut run = sample_nuts_density(self, &[vec![0.0; self.dim]], options)?;
        for chain in &mut run.chains {
            for d in &mut chain.draws {
                *d = self.constrain(d);
            }
        }
        Ok(run)
    }
}

impl LogDensity for BayesianLmm {
    fn dim(&self) -> usize {
        self.dim
    }

    fn param_names(&self) -> Vec<String> {
        self.names.clone()
    }

    fn logp_and_grad(&self, z: &[f64], grad: &mut [f64]) -> Result<f64> {
        if z.len() != self.dim || grad.len() != self.dim {
            return Err(Error::ShapeMismatch { context: "BayesianLmm::logp_and_grad: the point and the gradient vs the model's dimension".into(), lhs: vec![z.len(), grad.len()], rhs: vec![self.dim] });
        }
        let (p, k, n) = (self.p, self.k(), self.y.len());
        let beta = &z[..p];
        let sigma_at = p + k;
        let sigma = softplus(z[sigma_at]);
        let inv_var = 1.0 / (sigma * sigma);
        // The residuals r = y − η (gathering each row's effects), then the likelihood's gradient
        // r/σ² reduced per fixed column and, through each column's rows grouped by level, per
        // effect (a gather-sum per level: no two rows write the same place).
        let rss = RESIDUALS.with(|buf| {
            let mut r = buf.borrow_mut();
            r.resize(n, 0.0);
            // Column by column over blocks of rows that stay in the L1 cache.
            for (block, rb) in r.chunks_mut(2048).enumerate() {
                let lo = block * 2048;
                rb.copy_from_slice(&self.y[lo..lo + rb.len()]);
                for (b, col) in beta.iter().zip(&self.x_cols) {
                    match col {
                        None => rb.iter_mut().for_each(|v| *v -= b),
                        Some(x) => rb.iter_mut().zip(&x[lo..]).for_each(|(v, x)| *v -= b * x),
                    }
                }
                for col in &self.columns {
                    let u = &z[col.offset..col.offset + col.levels];
                    let codes = &col.codes[lo..lo + rb.len()];
                    match &col.values {
                        None => rb.iter_mut().zip(codes).for_each(|(v, &c)| *v -= u[c as usize]),
                        Some(x) => rb.iter_mut().zip(codes).zip(&x[lo..]).for_each(|((v, &c), x)| *v -= u[c as usize] * x),
                    }
                }
            }
            let rss = sum4(r.len(), |i| r[i] * r[i]);
            for (g, col) in grad[..p].iter_mut().zip(&self.x_cols) {
                *g = inv_var * match col {
                    None => sum4(n, |i| r[i]),
                    Some(v) => sum4(n, |i| r[i] * v[i]),
                };
            }
            for col in &self.columns {
                for (l, g) in grad[col.offset..col.offset + col.levels].iter_mut().enumerate() {
                    let rows = &col.rows[col.starts[l] as usize..col.starts[l + 1] as usize];
                    *g = inv_var * match &col.values {
                        None => sum4(rows.len(), |k| r[rows[k] as usize]),
                        Some(v) => sum4(rows.len(), |k| r[rows[k] as usize] * v[rows[k] as usize]),
                    };
                }
            }
            rss
        });
        let mut lp = -0.5 * rss * inv_var - n as f64 * (sigma.ln() + HALF_LN_2PI);
        let mut d_sigma = -(n as f64) / sigma + rss * inv_var / sigma;
        // Fixed-effect priors.
        for (j, (m, s)) in self.beta_prior.iter().enumerate() {
            let t = (beta[j] - m) / s;
            lp += -0.5 * t * t - s.ln() - HALF_LN_2PI;
            grad[j] -= t / s;
        }
        // Random effects around zero with scale τ_k, and τ_k's HalfNormal prior through Softplus.
        let half_normal = |v: f64, s: f64| -0.5 * (v / s) * (v / s) - s.ln() - HALF_LN_2PI + std::f64::consts::LN_2;
        for (c, col) in self.columns.iter().enumerate() {
            let zt = z[p + c];
            let tau = softplus(zt);
            let u = &z[col.offset..col.offset + col.levels];
            let ss: f64 = u.iter().map(|v| v * v).sum();
            lp += -0.5 * ss / (tau * tau) - col.levels as f64 * (tau.ln() + HALF_LN_2PI);
            for (g, v) in grad[col.offset..col.offset + col.levels].iter_mut().zip(u) {
                *g -= v / (tau * tau);
            }
            let d_tau = ss / (tau * tau * tau) - col.levels as f64 / tau - tau / (self.sd_scale * self.sd_scale);
            lp += half_normal(tau, self.sd_scale) - softplus(-zt);
            grad[p + c] = d_tau * sigmoid(zt) + sigmoid(-zt);
        }
        // σ's HalfNormal prior through Softplus.
        let zs = z[sigma_at];
        d_sigma -= sigma / (self.sigma_scale * self.sigma_scale);
        lp += half_normal(sigma, self.sigma_scale) - softplus(-zs);
        grad[sigma_at] = d_sigma * sigmoid(zs) + sigmoid(-zs);
        Ok(lp)
    }
}

thread_local! {
    /// Each sampling thread's residual buffer (chains run on their own threads).
    static RESIDUALS: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The rows of each level in order (a counting sort): `(rows, starts)` with level l's rows at
/// `rows[starts[l]..starts[l + 1]]`.
fn rows_by_level(codes: &[usize], levels: usize) -> (Vec<u32>, Vec<u32>) {
    let mut starts = vec![0u32; levels + 1];
    for &c in codes {
        starts[c + 1] += 1;
    }
    for l in 0..levels {
        starts[l + 1] += starts[l];
    }
    let mut next = starts.clone();
    let mut rows = vec![0u32; codes.len()];
    for (i, &c) in codes.iter().enumerate() {
        rows[next[c] as usize] = i as u32;
        next[c] += 1;
    }
    (rows, starts)
}

/// `Σ_{k<len} f(k)` in four interleaved partial sums (breaking the chain of dependent additions),
/// added in a fixed order.
#[inline(always)]
fn sum4(len: usize, f: impl Fn(usize) -> f64) -> f64 {
    let mut acc = [0.0; 4];
    let full = len / 4 * 4;
    let mut k = 0;
    while k < full {
        acc[0] += f(k);
        acc[1] += f(k + 1);
        acc[2] += f(k + 2);
        acc[3] += f(k + 3);
        k += 4;
    }
    for k in full..len {
        acc[k - full] += f(k);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// Mean and sample standard deviation.
fn mean_sd(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let (sum, n) = v.clone().fold((0.0, 0usize), |(s, c), x| (s + x, c + 1));
    let mean = sum / n.max(1) as f64;
    let ss: f64 = v.map(|x| (x - mean) * (x - mean)).sum();
    (mean, (ss / (n.max(2) - 1) as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every partial derivative against a central difference, on a small data set with an
    /// intercept, a slope, a random intercept and an uncorrelated random slope.
    #[test]
    fn the_gradient_equals_finite_differences() {
        let mut csv = String::from("y,x,g,h\n");
        for i in 0..40 {
            csv.push_str(&format!("{},{},{},{}\n", (i as f64 * 0.37).sin() * 3.0 + i as f64 * 0.1, (i % 7) as f64 - 3.0, i % 5, i % 3));
        }
        let df = DataFrame::from_csv_str(&csv, "t.csv").unwrap();
        let m = BayesianLmm::new("y ~ x + (x || g) + (1 | h)", &df, &LmmPriors::default()).unwrap();
        let z: Vec<f64> = (0..m.dim()).map(|j| ((j as f64) * 0.73).sin() * 0.8).collect();
        let mut g = vec![0.0; m.dim()];
        m.logp_and_grad(&z, &mut g).unwrap();
        let mut scratch = vec![0.0; m.dim()];
        for j in 0..m.dim() {
            let h = 1e-5;
            let (mut a, mut b) = (z.clone(), z.clone());
            a[j] += h;
            b[j] -= h;
            let fd = (m.logp_and_grad(&a, &mut scratch).unwrap() - m.logp_and_grad(&b, &mut scratch).unwrap()) / (2.0 * h);
            assert!((fd - g[j]).abs() < 1e-6 * (1.0 + fd.abs()), "{}: {} vs {fd}", m.names[j], g[j]);
        }
    }
}
