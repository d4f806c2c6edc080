//! The seven posteriordb reference posteriors (`posteriordb/`, BSD-3-Clause) as probrs models:
//! each a log-density over its constrained parameters written with probrs distributions, the
//! bijectors that unconstrain them (as Stan's `<lower=0>`, `<lower=0, upper=1>`, `ordered`),
//! the transformed parameters Stan reports, and the reference posterior's means and sds. They
//! are `probrs sample`'s built-in models, and `tests/mcmc_posteriordb.rs` holds NUTS with
//! default settings to posteriordb's criterion on every one.
//!
//! ```
//! use probrs::mcmc::NutsOptions;
//! use probrs::models::reference_model;
//! let model = reference_model("kidiq-kidscore_momhsiq")?;
//! let run = model.sample(&NutsOptions { num_warmup: 300, num_draws: 300, ..Default::default() })?;
//! let checks = model.check(&run)?;
//! assert_eq!(checks.len(), 4); // beta[1..3], sigma
//! assert!(checks.iter().all(|c| (c.mean - c.ref_mean).abs() < 5.0 * c.ref_sd));
//! # Ok::<(), probrs::Error>(())
//! ```

mod ark;
mod earnings;
mod eight_schools;
mod gp_pois_regr;
mod kidiq;
mod low_dim_gauss_mix;
mod sblrc;

use crate::bijectors::Bijector;
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::mcmc::{ess_bulk, rhat, sample_nuts_transformed, Layout, NutsOptions, NutsRun, TargetLogProbFn};
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

/// Transformed parameters computed from a constrained draw (Stan's `transformed parameters`).
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::models::GeneratedFn;
/// use std::sync::Arc;
/// // θ = μ + τ θ̃
/// let theta: Arc<GeneratedFn> = Arc::new(|s: &Structure| Ok(vec![("theta".to_string(), s.get("theta_trans")?.mul(s.get("tau")?)?.add(s.get("mu")?)?)]));
/// # let _ = theta;
/// ```
pub type GeneratedFn = dyn Fn(&Structure) -> Result<Vec<(String, Tensor)>> + Send + Sync;

/// One quantity of a reference posterior (posteriordb's `reference.json`), named as probrs
/// names it (`theta.1` for Stan's `theta[1]`).
///
/// ```
/// use probrs::models::reference_model;
/// let m = reference_model("eight_schools-eight_schools_noncentered")?;
/// let tau = m.reference.iter().find(|r| r.name == "tau").unwrap();
/// assert!(tau.mean > 3.0 && tau.mean < 4.0);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ReferenceValue {
    /// The quantity's name (`theta.1`).
    pub name: String,
    /// Posterior mean.
    pub mean: f64,
    /// Posterior sd.
    pub sd: f64,
    /// Monte Carlo standard error of the reference mean.
    pub mcse_mean: f64,
}

/// A posteriordb posterior as a probrs model.
///
/// ```
/// use probrs::models::reference_model;
/// let m = reference_model("arK-arK")?;
/// assert_eq!(m.bijectors.len(), 3); // alpha, beta, sigma
/// let lp = (m.target)(&m.init)?.to_scalar()?;
/// assert!(lp.is_finite());
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct ReferenceModel {
    /// posteriordb's name, `posterior-model` (e.g. `arK-arK`).
    pub name: &'static str,
    /// One line on what it is.
    pub description: &'static str,
    /// The Stan program it follows.
    pub stan: &'static str,
    /// A point inside the support (named constrained parameters): shapes for the sampler.
    pub init: Structure,
    /// One bijector per parameter, from unconstrained space onto its support.
    pub bijectors: Vec<Arc<dyn Bijector>>,
    /// The log-density of the constrained parameters (one unbatched state, a scalar).
    pub target: Arc<TargetLogProbFn>,
    /// Transformed parameters reported with the draws.
    pub generated: Option<Arc<GeneratedFn>>,
    /// The reference posterior's summary.
    pub reference: Vec<ReferenceValue>,
}

/// One row of [`ReferenceModel::check`]: posteriordb's criterion for one quantity.
///
/// ```
/// use probrs::models::ReferenceCheck;
/// let c = ReferenceCheck { name: "mu".into(), mean: 1.01, ref_mean: 1.0, mcse: 0.01, ref_mcse: 0.005, sd: 2.05, ref_sd: 2.0, rhat: 1.001, ess_bulk: 900.0 };
/// assert!(c.passes());
/// assert!(!ReferenceCheck { sd: 2.5, ..c }.passes()); // sd 25% off
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ReferenceCheck {
    /// The quantity.
    pub name: String,
    /// The draws' mean and the reference mean.
    pub mean: f64,
    /// See `mean`.
    pub ref_mean: f64,
    /// The draws' Monte Carlo standard error (sd / √ess_bulk) and the reference's.
    pub mcse: f64,
    /// See `mcse`.
    pub ref_mcse: f64,
    /// The draws' sd and the reference sd.
    pub sd: f64,
    /// See `sd`.
    pub ref_sd: f64,
    /// Rank-normalized split R-hat and bulk ESS of the draws.
    pub rhat: f64,
    /// See `rhat`.
    pub ess_bulk: f64,
}

impl ReferenceCheck {
    /// posteriordb's criterion (`../shared/mcmc_reference/README.md`): `|mean − ref| ≤
    /// 4·√(mcse² + ref_mcse²)`, sd within 10% of the reference, R-hat < 1.01, bulk ESS ≥ 400.
    ///
    /// ```
    /// use probrs::models::ReferenceCheck;
    /// let c = ReferenceCheck { name: "mu".into(), mean: 1.0, ref_mean: 1.0, mcse: 0.01, ref_mcse: 0.01, sd: 2.0, ref_sd: 2.0, rhat: 1.0, ess_bulk: 1000.0 };
    /// assert!(c.passes());
    /// assert!(!ReferenceCheck { ess_bulk: 300.0, ..c.clone() }.passes());
    /// assert!(!ReferenceCheck { rhat: 1.02, ..c.clone() }.passes());
    /// assert!(!ReferenceCheck { mean: 1.1, ..c }.passes()); // 0.1 > 4·√2·0.01
    /// ```
    pub fn passes(&self) -> bool {
        (self.mean - self.ref_mean).abs() <= 4.0 * (self.mcse.powi(2) + self.ref_mcse.powi(2)).sqrt() && (self.sd - self.ref_sd).abs() <= 0.1 * self.ref_sd && self.rhat < 1.01 && self.ess_bulk >= 400.0
    }
}

/// The names of the built-in reference posteriors.
///
/// ```
/// assert_eq!(probrs::models::reference_model_names().len(), 7);
/// ```
pub fn reference_model_names() -> Vec<&'static str> {
    vec![
        "eight_schools-eight_schools_noncentered",
        "arK-arK",
        "kidiq-kidscore_momhsiq",
        "earnings-logearn_height",
        "sblrc-blr",
        "gp_pois_regr-gp_pois_regr",
        "low_dim_gauss_mix-low_dim_gauss_mix",
    ]
}

/// A built-in reference posterior by name (posteriordb's full name, or its part before the
/// dash, e.g. `eight_schools`); an unknown name lists the known ones.
///
/// ```
/// use probrs::models::reference_model;
/// assert_eq!(reference_model("kidiq")?.name, "kidiq-kidscore_momhsiq");
/// let err = reference_model("nine_schools").err().unwrap().to_string();
/// assert!(err.contains("eight_schools"), "{err}");
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn reference_model(name: &str) -> Result<ReferenceModel> {
    let full = reference_model_names().into_iter().find(|n| *n == name || n.split('-').next() == Some(name));
    match full {
        Some("eight_schools-eight_schools_noncentered") => eight_schools::model(),
        Some("arK-arK") => ark::model(),
        Some("kidiq-kidscore_momhsiq") => kidiq::model(),
        Some("earnings-logearn_height") => earnings::model(),
        Some("sblrc-blr") => sblrc::model(),
        Some("gp_pois_regr-gp_pois_regr") => gp_pois_regr::model(),
        Some("low_dim_gauss_mix-low_dim_gauss_mix") => low_dim_gauss_mix::model(),
        _ => Err(Error::invalid_parameter("model", format!("unknown model {name:?}; the built-ins are {}", reference_model_names().join(", ")))),
    }
}

impl ReferenceModel {
    /// NUTS on this model (in unconstrained space; draws constrained, with the transformed
    /// parameters appended to each draw and to the names).
    ///
    /// ```
    /// use probrs::mcmc::NutsOptions;
    /// use probrs::models::reference_model;
    /// let m = reference_model("eight_schools")?;
    /// let run = m.sample(&NutsOptions { num_chains: 1, num_warmup: 100, num_draws: 50, ..Default::default() })?;
    /// assert!(run.param_names.contains(&"theta.8".to_string()));
    /// assert_eq!(run.draws()?.get("theta")?.shape(), &[50, 1, 8]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sample(&self, options: &NutsOptions) -> Result<NutsRun> {
        let target = self.target.clone();
        let mut run = sample_nuts_transformed(move |s: &Structure| target(s), &self.init, self.bijectors.clone(), options)?;
        let Some(generated) = &self.generated else { return Ok(run) };
        let layout = run.layout.clone().ok_or_else(|| Error::invalid_parameter("layout", "missing"))?;
        let Structure::Named(mut parts) = self.init.clone() else { return Err(Error::invalid_parameter("init", "named parameters expected")) };
        parts.extend(generated(&self.init)?);
        let extended = Layout::of(&Structure::Named(parts), 0)?;
        for chain in run.chains.iter_mut() {
            for d in chain.draws.iter_mut() {
                let s = layout.structure(&[d.as_slice()], &[])?;
                for (_, t) in generated(&s)? {
                    d.extend(t.to_vec()?);
                }
            }
        }
        run.param_names = extended.param_names();
        run.layout = Some(extended);
        Ok(run)
    }

    /// posteriordb's criterion for every reference quantity over `run`'s draws.
    ///
    /// ```
    /// use probrs::mcmc::NutsOptions;
    /// use probrs::models::reference_model;
    /// let m = reference_model("sblrc")?;
    /// let run = m.sample(&NutsOptions { num_warmup: 300, num_draws: 300, ..Default::default() })?;
    /// let checks = m.check(&run)?;
    /// assert_eq!(checks.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), vec!["beta.1", "beta.2", "beta.3", "beta.4", "beta.5", "sigma"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn check(&self, run: &NutsRun) -> Result<Vec<ReferenceCheck>> {
        run.check()?;
        self.reference
            .iter()
            .map(|r| {
                let chains: Vec<Vec<f64>> = (0..run.chains.len()).map(|c| run.column(c, &r.name).ok_or_else(|| Error::invalid_parameter("run", format!("no draws of {}", r.name)))).collect::<Result<_>>()?;
                let all: Vec<f64> = chains.concat();
                let (mean, sd) = (crate::mcmc::mean(&all), crate::mcmc::var(&all).sqrt());
                let ess = ess_bulk(&chains)?;
                Ok(ReferenceCheck { name: r.name.clone(), mean, ref_mean: r.mean, mcse: sd / ess.sqrt(), ref_mcse: r.mcse_mean, sd, ref_sd: r.sd, rhat: rhat(&chains)?, ess_bulk: ess })
            })
            .collect()
    }
}

/// The data and reference of `name`, parsed from the embedded JSON.
struct Data {
    json: serde_json::Value,
    name: &'static str,
}

impl Data {
    fn parse(name: &'static str, data: &str) -> Result<Self> {
        let json = serde_json::from_str(data).map_err(|e| Error::BadInput { location: format!("{name}/data.json"), reason: e.to_string() })?;
        Ok(Data { json, name })
    }
    fn vector(&self, key: &str) -> Result<Vec<f64>> {
        let bad = || Error::BadInput { location: format!("{}/data.json", self.name), reason: format!("{key} is not an array of numbers") };
        let v = self.json.get(key).ok_or_else(bad)?.as_array().ok_or_else(bad)?;
        v.iter().map(|x| x.as_f64().ok_or_else(bad)).collect()
    }
    fn matrix(&self, key: &str) -> Result<(Vec<f64>, usize, usize)> {
        let bad = || Error::BadInput { location: format!("{}/data.json", self.name), reason: format!("{key} is not a matrix of numbers") };
        let rows = self.json.get(key).ok_or_else(bad)?.as_array().ok_or_else(bad)?;
        let mut out = vec![];
        let mut cols = None;
        for r in rows {
            let r = r.as_array().ok_or_else(bad)?;
            if *cols.get_or_insert(r.len()) != r.len() {
                return Err(bad());
            }
            for x in r {
                out.push(x.as_f64().ok_or_else(bad)?);
            }
        }
        Ok((out, rows.len(), cols.unwrap_or(0)))
    }
    fn tensor(&self, key: &str) -> Result<Tensor> {
        Tensor::vector(&self.vector(key)?, DType::F64)
    }
}

/// posteriordb's reference summary, names as probrs writes them.
fn reference(name: &'static str, json: &str) -> Result<Vec<ReferenceValue>> {
    let bad = |reason: String| Error::BadInput { location: format!("{name}/reference.json"), reason };
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    let params = v.get("params").and_then(|p| p.as_object()).ok_or_else(|| bad("no params".into()))?;
    params
        .iter()
        .map(|(k, p)| {
            let f = |key: &str| p.get(key).and_then(|x| x.as_f64()).ok_or_else(|| bad(format!("{k}: no {key}")));
            Ok(ReferenceValue { name: k.replace('[', ".").replace(']', "").replace(',', "."), mean: f("mean")?, sd: f("sd")?, mcse_mean: f("mcse_mean")? })
        })
        .collect()
}

fn scalar(v: f64) -> Result<Tensor> {
    Tensor::scalar(v, DType::F64)
}
