//! The handle a joint model runs against: `sample(name, distribution)` either draws the site
//! (when the joint is sampled) or reads its given value (when the joint's `log_prob` is
//! evaluated), recording each site's distribution and log-density. Every joint distribution —
//! sequential, named, or a model function (TFP's coroutine) — is a function of this handle.
//!
//! As in TFP's coroutine, a site marked [`Root`] does not depend on other sites and is drawn
//! with the full `sample_shape`; any other site's batch shape already carries the sample
//! dimensions through the values it depends on, so it is drawn once per batch member.

use crate::distributions::Distribution;
use crate::error::{Error, Result};
use crate::random::Seed;
use crate::tensor::Tensor;
use super::structure::Structure;
use std::sync::Arc;

/// Marks a site whose distribution depends on no other site (TFP's `JointDistributionCoroutine.Root`).
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::joint::{JointDistributionCoroutine, Root};
/// use probrs::random::Seed;
/// let model = JointDistributionCoroutine::new(|m| {
///     let z = m.sample("z", Root(Normal::new(0.0, 1.0)?))?; // drawn with the full sample shape
///     m.sample("x", Normal::new(&z, 0.1)?)?; // batch shape follows z
///     Ok(())
/// });
/// assert_eq!(model.sample(&[5], Seed::new(0))?.get("x")?.shape(), &[5]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct Root<D>(pub D);

/// What `ModelContext::sample` accepts: a distribution (a dependent site) or `Root(distribution)`.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::joint::{Root, SiteDistribution};
/// let (_, root) = Root(Normal::new(0.0, 1.0)?).into_site();
/// let (_, dependent) = Normal::new(0.0, 1.0)?.into_site();
/// assert!(root && !dependent);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait SiteDistribution {
    /// The distribution and whether it is a root site.
    fn into_site(self) -> (Arc<dyn Distribution>, bool);
}

impl<D: Distribution + 'static> SiteDistribution for D {
    fn into_site(self) -> (Arc<dyn Distribution>, bool) {
        (Arc::new(self), false)
    }
}

impl<D: Distribution + 'static> SiteDistribution for Root<D> {
    fn into_site(self) -> (Arc<dyn Distribution>, bool) {
        (Arc::new(self.0), true)
    }
}

impl SiteDistribution for Root<Arc<dyn Distribution>> {
    fn into_site(self) -> (Arc<dyn Distribution>, bool) {
        (self.0, true)
    }
}

impl SiteDistribution for Arc<dyn Distribution> {
    fn into_site(self) -> (Arc<dyn Distribution>, bool) {
        (self, false)
    }
}

pub(crate) enum Mode<'a> {
    /// Draw every site (`with_log_prob`: also its log-density, from the standard draws).
    Sample { sample_shape: Vec<usize>, seed: Seed, with_log_prob: bool },
    /// Read sites from `values`; `pins` supply named sites missing from `values`.
    Given { values: &'a Structure, pins: &'a [(String, Tensor)] },
}

/// One site's record after a run.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::joint::{JointDistributionCoroutine, Root};
/// use probrs::random::Seed;
/// let model = JointDistributionCoroutine::new(|m| {
///     let z = m.sample("z", Root(Normal::new(0.0, 1.0)?))?;
///     m.sample("x", Normal::new(&z, 1.0)?)?;
///     Ok(())
/// });
/// let sites = model.sample_sites(&[], Seed::new(4))?;
/// assert_eq!(sites.iter().map(|s| (s.name.as_str(), s.root)).collect::<Vec<_>>(), vec![("z", true), ("x", false)]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Site {
    /// The site's name.
    pub name: String,
    /// The distribution drawn at the site.
    pub distribution: Arc<dyn Distribution>,
    /// Whether the site was marked `Root` (depends on no other site).
    pub root: bool,
    /// The value drawn (or given) at the site.
    pub value: Tensor,
    /// Its log-density at `value` (when the run computed it).
    pub log_prob: Option<Tensor>,
}

/// The handle a model function receives.
///
/// ```
/// use probrs::distributions::{Gamma, Normal};
/// use probrs::joint::{JointDistributionCoroutine, ModelContext, Root};
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::Structure;
/// // A model is any function of the context; `sample` draws or reads each site.
/// fn model(m: &mut ModelContext) -> probrs::Result<()> {
///     let scale = m.sample("scale", Root(Gamma::new(2.0, 2.0)?))?;
///     m.sample("y", Normal::new(0.0, &scale)?)?;
///     Ok(())
/// }
/// let joint = JointDistributionCoroutine::new(model);
/// let value = Structure::Named(vec![
///     ("scale".into(), Tensor::scalar(1.0, DType::F32)?),
///     ("y".into(), Tensor::scalar(0.0, DType::F32)?),
/// ]);
/// // log Gamma(1; 2, 2) + log N(0; 0, 1) = (log 4 − 2) − ½ log 2π
/// let lp = joint.log_prob(&value)?.to_scalar()?;
/// assert!((lp - (4f64.ln() - 2.0 - 0.918_938_5)).abs() < 1e-5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct ModelContext<'a> {
    mode: Mode<'a>,
    sites: Vec<Site>,
    /// Given values consumed so far (to detect unused parts of a given structure).
    consumed: usize,
}

impl<'a> ModelContext<'a> {
    pub(crate) fn new(mode: Mode<'a>) -> Self {
        ModelContext { mode, sites: vec![], consumed: 0 }
    }
    pub(crate) fn into_sites(self) -> Vec<Site> {
        self.sites
    }
    pub(crate) fn consumed(&self) -> usize {
        self.consumed
    }

    /// The site `name` drawn from `distribution` (or `Root(distribution)`): a draw when the
    /// joint is sampled, the given value when its density is evaluated.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionCoroutine, Root};
    /// use probrs::vi::Structure;
    /// let model = JointDistributionCoroutine::new(|m| {
    ///     let z = m.sample("z", Root(Normal::new(0.0, 1.0)?))?;
    ///     // When the joint's density is evaluated, `z` is the given value.
    ///     assert!(z.to_vec()?.iter().all(|v| v.is_finite()));
    ///     Ok(())
    /// });
    /// let lp = model.log_prob(&Structure::Named(vec![("z".into(), Tensor::scalar(0.0, DType::F32)?)]))?;
    /// assert!((lp.to_scalar()? + 0.918_938_5).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sample(&mut self, name: &str, distribution: impl SiteDistribution) -> Result<Tensor> {
        let (d, root) = distribution.into_site();
        if self.sites.iter().any(|s| s.name == name) {
            return Err(Error::invalid_parameter(name, "a joint distribution's site names must be unique"));
        }
        let i = self.sites.len();
        let (value, log_prob) = match &self.mode {
            Mode::Sample { sample_shape, seed, with_log_prob } => {
                let shape: &[usize] = if root { sample_shape } else { &[] };
                let s = seed.fold_in(i as u64);
                if *with_log_prob {
                    let (x, lp) = d.sample_and_log_prob(shape, s)?;
                    (x, Some(lp))
                } else {
                    (d.sample(shape, s)?, None)
                }
            }
            Mode::Given { values, pins } => {
                let x = match values {
                    Structure::Named(v) => match v.iter().find(|(n, _)| n == name) {
                        Some((_, t)) => {
                            self.consumed += 1;
                            t.clone()
                        }
                        None => pins
                            .iter()
                            .find(|(n, _)| n == name)
                            .map(|(_, t)| t.clone())
                            .ok_or_else(|| Error::invalid_parameter(name, format!("no value given for this site ({})", values.describe())))?,
                    },
                    other => match pins.iter().find(|(n, _)| n == name) {
                        Some((_, t)) => t.clone(),
                        None => {
                            let k = self.consumed;
                            self.consumed += 1;
                            other
                                .part(k)
                                .map_err(|_| Error::invalid_parameter(name, format!("no value given for site {i} ({})", other.describe())))?
                                .clone()
                        }
                    },
                };
                let lp = d.log_prob(&x).map_err(|e| annotate(e, name))?;
                (x, Some(lp))
            }
        };
        self.sites.push(Site { name: name.into(), distribution: d, root, value: value.clone(), log_prob });
        Ok(value)
    }
}

/// Adds the site's name to an error from its distribution.
fn annotate(e: Error, site: &str) -> Error {
    match e {
        Error::ShapeMismatch { context, lhs, rhs } => Error::ShapeMismatch { context: format!("site `{site}`: {context}"), lhs, rhs },
        Error::DTypeMismatch { context, lhs, rhs } => Error::DTypeMismatch { context: format!("site `{site}`: {context}"), lhs, rhs },
        Error::InvalidShape { what, shape, reason } => Error::InvalidShape { what: format!("site `{site}`: {what}"), shape, reason },
        other => other,
    }
}
