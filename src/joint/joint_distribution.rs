//! The shared core of the joint distributions: a model function run against a
//! [`ModelContext`], drawn or evaluated site by site.
//!
//! Draws are a [`Structure`]: a list for [`JointDistributionSequential`](super::JointDistributionSequential),
//! named values for the named and coroutine forms. `log_prob` sums the sites' log-densities;
//! `log_prob_parts` returns them one by one. Any batch of draws (leading `sample_shape`
//! dimensions) is evaluated in one pass, as TFP does.

use super::model_context::{Mode, ModelContext, Site};
use crate::bijectors::Bijector;
use crate::distributions::ReparameterizationType;
use crate::error::{Error, Result};
use crate::params::Variable;
use crate::random::Seed;
use crate::tensor::Tensor;
use super::structure::{Structure, SurrogatePosterior};
use std::sync::Arc;

pub(crate) type ModelFn = Arc<dyn Fn(&mut ModelContext) -> Result<()> + Send + Sync>;

/// How draws are presented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    List,
    Named,
}

/// A joint distribution over named sites, defined by a model function.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::joint::{JointDistributionSequential, Part};
/// use probrs::random::Seed;
/// // Every joint form derefs to this core: sampling, densities, site names, bijectors.
/// let joint = JointDistributionSequential::new(vec![
///     Part::dist(Normal::new(0.0, 1.0)?),
///     Part::func(|prev| Ok(Box::new(Normal::new(&prev[0], 1.0)?))),
/// ])?;
/// let x = joint.sample(&[], Seed::new(0))?;
/// let parts = joint.log_prob_parts(&x)?;
/// let total = joint.log_prob(&x)?.to_scalar()?;
/// assert!((parts[0].to_scalar()? + parts[1].to_scalar()? - total).abs() < 1e-5);
/// assert_eq!(joint.default_event_space_bijectors()?.len(), 2);
/// assert!(joint.fully_reparameterized()?);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct JointDistribution {
    model: ModelFn,
    layout: Layout,
    name: String,
}

impl JointDistribution {
    pub(crate) fn from_model(model: ModelFn, layout: Layout, name: &str) -> Self {
        JointDistribution { model, layout, name: name.into() }
    }
    /// The joint distribution's name.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// let j = JointDistributionSequential::new(vec![Part::dist(Normal::new(0.0, 1.0)?)])?;
    /// assert_eq!(j.name(), "JointDistributionSequential");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    fn run(&self, mode: Mode) -> Result<Vec<Site>> {
        let given_parts = match &mode {
            Mode::Given { values, .. } => Some(values.len()),
            _ => None,
        };
        let mut ctx = ModelContext::new(mode);
        (self.model)(&mut ctx)?;
        if let Some(n) = given_parts {
            if ctx.consumed() < n {
                return Err(Error::invalid_parameter("value", format!("{} parts were given but the model has {} unpinned site(s)", n, ctx.consumed())));
            }
        }
        Ok(ctx.into_sites())
    }

    fn structure(&self, sites: &[Site]) -> Structure {
        match self.layout {
            Layout::List => Structure::List(sites.iter().map(|s| s.value.clone()).collect()),
            Layout::Named => Structure::Named(sites.iter().map(|s| (s.name.clone(), s.value.clone())).collect()),
        }
    }

    /// One run of the model with draws of shape `sample_shape` (per root site): every site's
    /// name, distribution and value.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// use probrs::random::Seed;
    /// let j = JointDistributionSequential::new(vec![Part::dist(Normal::new(0.0, 1.0)?)])?;
    /// let sites = j.sample_sites(&[3], Seed::new(0))?;
    /// assert_eq!((sites[0].name.as_str(), sites[0].value.shape()), ("x0", &[3usize][..]));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sample_sites(&self, sample_shape: &[usize], seed: Seed) -> Result<Vec<Site>> {
        self.run(Mode::Sample { sample_shape: sample_shape.to_vec(), seed, with_log_prob: false })
    }
    /// Draws of every site.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// use probrs::random::Seed;
    /// let j = JointDistributionSequential::new(vec![Part::dist(Normal::new(0.0, 1.0)?), Part::dist(Normal::new(5.0, 1.0)?)])?;
    /// let x = j.sample(&[2], Seed::new(0))?;
    /// assert_eq!(x.len(), 2);
    /// assert_eq!(x.part(1)?.shape(), &[2]);
    /// assert_eq!(j.sample(&[2], Seed::new(0))?.part(1)?.to_vec()?, x.part(1)?.to_vec()?); // stateless
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sample(&self, sample_shape: &[usize], seed: Seed) -> Result<Structure> {
        Ok(self.structure(&self.sample_sites(sample_shape, seed)?))
    }
    /// Draws and their joint log-density, each site's from its own `sample_and_log_prob`.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// use probrs::random::Seed;
    /// let j = JointDistributionSequential::new(vec![Part::dist(Normal::new(0.0, 1.0)?)])?;
    /// let (x, lp) = j.sample_and_log_prob(&[4], Seed::new(1))?;
    /// assert_eq!(lp.shape(), &[4]);
    /// assert!((lp.sum_all()?.to_scalar()? - j.log_prob(&x)?.sum_all()?.to_scalar()?).abs() < 1e-4);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sample_and_log_prob(&self, sample_shape: &[usize], seed: Seed) -> Result<(Structure, Tensor)> {
        let sites = self.run(Mode::Sample { sample_shape: sample_shape.to_vec(), seed, with_log_prob: true })?;
        let lp = sum_parts(&sites)?;
        Ok((self.structure(&sites), lp))
    }
    /// The log-density of each site at `value` (a list, named values, or a tensor for a single site).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// use probrs::vi::Structure;
    /// let j = JointDistributionSequential::new(vec![Part::dist(Normal::new(0.0, 1.0)?), Part::dist(Normal::new(0.0, 2.0)?)])?;
    /// let x = Structure::List(vec![Tensor::scalar(0.0, DType::F32)?, Tensor::scalar(0.0, DType::F32)?]);
    /// let parts = j.log_prob_parts(&x)?;
    /// assert!((parts[0].to_scalar()? - parts[1].to_scalar()? - 2f64.ln()).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn log_prob_parts(&self, value: &Structure) -> Result<Vec<Tensor>> {
        self.log_prob_parts_pinned(value, &[])
    }
    pub(crate) fn log_prob_parts_pinned(&self, value: &Structure, pins: &[(String, Tensor)]) -> Result<Vec<Tensor>> {
        let sites = self.run(Mode::Given { values: value, pins })?;
        sites.into_iter().map(|s| s.log_prob.ok_or_else(|| Error::not_defined("site", "log_prob"))).collect()
    }
    /// The joint log-density at `value`: the sum of `log_prob_parts`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// use probrs::vi::Structure;
    /// let j = JointDistributionSequential::new(vec![Part::dist(Normal::new(0.0, 1.0)?)])?;
    /// // A single-site joint also takes a bare tensor.
    /// let lp = j.log_prob(&Structure::Tensor(Tensor::scalar(0.0, DType::F32)?))?.to_scalar()?;
    /// assert!((lp + 0.918_938_5).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn log_prob(&self, value: &Structure) -> Result<Tensor> {
        self.log_prob_pinned(value, &[])
    }
    pub(crate) fn log_prob_pinned(&self, value: &Structure, pins: &[(String, Tensor)]) -> Result<Tensor> {
        sum_parts(&self.run(Mode::Given { values: value, pins })?)
    }
    /// The site names, in model order.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionNamed, NamedPart};
    /// let j = JointDistributionNamed::new(vec![("a", NamedPart::dist(Normal::new(0.0, 1.0)?)), ("b", NamedPart::dist(Normal::new(0.0, 1.0)?))])?;
    /// assert_eq!(j.site_names()?, vec!["a", "b"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn site_names(&self) -> Result<Vec<String>> {
        Ok(self.sample_sites(&[], Seed::new(0))?.into_iter().map(|s| s.name).collect())
    }
    /// Every variable the model reads: those its log-density at a draw depends on (found in the
    /// autodiff graph, so variables read inside site functions count, as TFP's gradient tape).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// use probrs::params::Variable;
    /// let loc = Variable::new(&Tensor::scalar(0.0, DType::F32)?, "loc")?;
    /// let l = loc.clone();
    /// // A variable read inside a site function is found too.
    /// let j = JointDistributionSequential::new(vec![
    ///     Part::dist(Normal::new(0.0, 1.0)?),
    ///     Part::func(move |prev| Ok(Box::new(Normal::new(prev[0].add(&l.value())?, 1.0)?))),
    /// ])?;
    /// assert_eq!(j.trainable_variables()?.iter().map(|v| v.name().to_string()).collect::<Vec<_>>(), vec!["loc"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn trainable_variables(&self) -> Result<Vec<Variable>> {
        let draw = self.sample(&[], Seed::new(0))?.try_map(|t| Ok(t.detach()))?;
        crate::params::variables_of(&self.log_prob(&draw)?.sum_all()?)
    }
    /// Per site, the bijector from unconstrained reals onto its support (TFP's
    /// `experimental_default_event_space_bijector`, one part per site; a site's bijector may
    /// depend on the values of earlier sites, here those of one draw).
    ///
    /// ```
    /// use probrs::distributions::{Gamma, Normal};
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// let j = JointDistributionSequential::new(vec![Part::dist(Gamma::new(2.0, 1.0)?), Part::dist(Normal::new(0.0, 1.0)?)])?;
    /// let b = j.default_event_space_bijectors()?;
    /// assert_eq!(b.iter().map(|(n, b)| (n.as_str(), b.name())).collect::<Vec<_>>(), vec![("x0", "softplus"), ("x1", "identity")]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn default_event_space_bijectors(&self) -> Result<Vec<(String, Arc<dyn Bijector>)>> {
        self.sample_sites(&[], Seed::new(0))?
            .into_iter()
            .map(|s| {
                let b = s.distribution.default_event_space_bijector().map_err(|e| Error::invalid_parameter(&s.name, e.to_string()))?;
                Ok((s.name, b))
            })
            .collect()
    }
    /// True when every site is fully reparameterized.
    ///
    /// ```
    /// use probrs::distributions::{Normal, Poisson};
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// let j = JointDistributionSequential::new(vec![Part::dist(Normal::new(0.0, 1.0)?), Part::dist(Poisson::from_rate(1.0)?)])?;
    /// assert!(!j.fully_reparameterized()?); // Poisson draws carry no gradient
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn fully_reparameterized(&self) -> Result<bool> {
        Ok(self.sample_sites(&[], Seed::new(0))?.iter().all(|s| s.distribution.reparameterization_type() == ReparameterizationType::FullyReparameterized))
    }
}

/// Σ of the sites' log-densities (broadcasting).
fn sum_parts(sites: &[Site]) -> Result<Tensor> {
    let mut total: Option<Tensor> = None;
    for s in sites {
        let lp = s.log_prob.clone().ok_or_else(|| Error::not_defined("site", "log_prob"))?;
        total = Some(match total {
            None => lp,
            Some(t) => t.add(&lp).map_err(|_| Error::ShapeMismatch {
                context: format!("joint log_prob: site `{}`'s log_prob does not broadcast with the earlier sites' (give sites compatible batch shapes, e.g. with Independent)", s.name),
                lhs: t.shape().to_vec(),
                rhs: lp.shape().to_vec(),
            })?,
        });
    }
    total.ok_or_else(|| Error::invalid_parameter("model", "a joint distribution needs at least one site"))
}

impl SurrogatePosterior for JointDistribution {
    fn sample_structure(&self, sample_shape: &[usize], seed: Seed) -> Result<Structure> {
        self.sample(sample_shape, seed)
    }
    fn sample_and_log_prob_structure(&self, sample_shape: &[usize], seed: Seed) -> Result<(Structure, Tensor)> {
        self.sample_and_log_prob(sample_shape, seed)
    }
    fn log_prob_structure(&self, x: &Structure) -> Result<Tensor> {
        self.log_prob(x)
    }
    fn fully_reparameterized(&self) -> bool {
        JointDistribution::fully_reparameterized(self).unwrap_or(false)
    }
    fn surrogate_variables(&self) -> Vec<Variable> {
        self.trainable_variables().unwrap_or_default()
    }
}
