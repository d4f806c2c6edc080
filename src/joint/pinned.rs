//! `JointDistributionPinned`: a joint distribution with some sites fixed to observed values
//! (TFP's `experimental_pin`). Its `unnormalized_log_prob` of the remaining sites is the
//! target of posterior inference.
//!
//! ```
//! use probrs::distributions::Normal;
//! use probrs::joint::{JointDistributionCoroutine, Root};
//! use probrs::tensor::{DType, Tensor};
//! use probrs::vi::Structure;
//! let model = JointDistributionCoroutine::new(|m| {
//!     let z = m.sample("z", Root(Normal::new(0.0, 1.0)?))?;
//!     m.sample("x", Normal::new(&z, 1.0)?)?;
//!     Ok(())
//! });
//! let posterior = model.pin(vec![("x".into(), Tensor::scalar(5.0, DType::F32)?)])?;
//! let z = Structure::Named(vec![("z".into(), Tensor::scalar(2.5, DType::F32)?)]);
//! // log N(2.5; 0, 1) + log N(5; 2.5, 1)
//! let lp = posterior.unnormalized_log_prob(&z)?.to_scalar()?;
//! assert!((lp - (-2.0 * 0.9189385 - 2.0 * 3.125)).abs() < 1e-5);
//! # Ok::<(), probrs::Error>(())
//! ```

use super::joint_distribution::JointDistribution;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use super::structure::Structure;
use crate::bijectors::Bijector;
use std::sync::Arc;

/// A joint distribution conditioned on observed sites.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::joint::{JointDistributionSequential, Part};
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::Structure;
/// let joint = JointDistributionSequential::new(vec![
///     Part::dist(Normal::new(0.0, 1.0)?),
///     Part::func(|prev| Ok(Box::new(Normal::new(&prev[0], 1.0)?))),
/// ])?;
/// let posterior = joint.pin(vec![("x1".into(), Tensor::scalar(2.0, DType::F32)?)])?;
/// assert_eq!(posterior.unpinned_site_names()?, vec!["x0"]);
/// // The unnormalized posterior log-density of x0 = 1: log N(1; 0, 1) + log N(2; 1, 1)
/// let z = Structure::Named(vec![("x0".into(), Tensor::scalar(1.0, DType::F32)?)]);
/// let lp = posterior.unnormalized_log_prob(&z)?.to_scalar()?;
/// assert!((lp - (-1.0 - 2.0 * 0.918_938_5)).abs() < 1e-5);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct JointDistributionPinned {
    joint: JointDistribution,
    pins: Vec<(String, Tensor)>,
}

/// Pinning lives beside the pinned type, so that `joint_distribution.rs` need not import it.
impl JointDistribution {
    /// Fixes the named sites to observed values (TFP's `experimental_pin`): the result's
    /// `unnormalized_log_prob` takes the remaining sites.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// let j = JointDistributionSequential::new(vec![Part::dist(Normal::new(0.0, 1.0)?), Part::func(|p| Ok(Box::new(Normal::new(&p[0], 1.0)?)))])?;
    /// let posterior = j.pin(vec![("x1".into(), Tensor::scalar(1.0, DType::F32)?)])?;
    /// assert_eq!(posterior.unpinned_site_names()?, vec!["x0"]);
    /// // An unknown site name is an error naming it.
    /// let err = j.pin(vec![("y".into(), Tensor::scalar(1.0, DType::F32)?)]).err().expect("no site y");
    /// assert!(err.to_string().contains('y'));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn pin(&self, pins: Vec<(String, Tensor)>) -> Result<JointDistributionPinned> {
        JointDistributionPinned::new(self.clone(), pins)
    }
}

impl JointDistributionPinned {
    pub(crate) fn new(joint: JointDistribution, pins: Vec<(String, Tensor)>) -> Result<Self> {
        let names = joint.site_names()?;
        for (n, _) in &pins {
            if !names.contains(n) {
                return Err(Error::invalid_parameter(n, format!("is not a site of the model (sites: {names:?})")));
            }
        }
        Ok(JointDistributionPinned { joint, pins })
    }
    /// The pinned values.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// let j = JointDistributionSequential::new(vec![Part::dist(Normal::new(0.0, 1.0)?), Part::dist(Normal::new(0.0, 1.0)?)])?;
    /// let p = j.pin(vec![("x0".into(), Tensor::scalar(0.5, DType::F32)?)])?;
    /// assert_eq!(p.pins()[0].0, "x0");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn pins(&self) -> &[(String, Tensor)] {
        &self.pins
    }
    /// The joint log-density with the pins in place, as a function of the other sites (given
    /// by name, or in site order).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// use probrs::vi::Structure;
    /// let j = JointDistributionSequential::new(vec![Part::dist(Normal::new(0.0, 1.0)?), Part::dist(Normal::new(0.0, 1.0)?)])?;
    /// let p = j.pin(vec![("x0".into(), Tensor::scalar(0.0, DType::F32)?)])?;
    /// // The remaining site may be given positionally.
    /// let lp = p.unnormalized_log_prob(&Structure::List(vec![Tensor::scalar(0.0, DType::F32)?]))?;
    /// assert!((lp.to_scalar()? + 2.0 * 0.918_938_5).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn unnormalized_log_prob(&self, value: &Structure) -> Result<Tensor> {
        self.joint.log_prob_pinned(value, &self.pins)
    }
    /// Each site's log-density with the pins in place.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// use probrs::vi::Structure;
    /// let j = JointDistributionSequential::new(vec![Part::dist(Normal::new(0.0, 1.0)?), Part::dist(Normal::new(0.0, 1.0)?)])?;
    /// let p = j.pin(vec![("x1".into(), Tensor::scalar(1.0, DType::F32)?)])?;
    /// let parts = p.unnormalized_log_prob_parts(&Structure::List(vec![Tensor::scalar(0.0, DType::F32)?]))?;
    /// assert_eq!(parts.len(), 2);
    /// assert!((parts[1].to_scalar()? + 0.918_938_5 + 0.5).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn unnormalized_log_prob_parts(&self, value: &Structure) -> Result<Vec<Tensor>> {
        self.joint.log_prob_parts_pinned(value, &self.pins)
    }
    /// The unpinned sites' names.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionNamed, NamedPart};
    /// let j = JointDistributionNamed::new(vec![("a", NamedPart::dist(Normal::new(0.0, 1.0)?)), ("b", NamedPart::dist(Normal::new(0.0, 1.0)?))])?;
    /// assert_eq!(j.pin(vec![("a".into(), Tensor::scalar(0.0, DType::F32)?)])?.unpinned_site_names()?, vec!["b"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn unpinned_site_names(&self) -> Result<Vec<String>> {
        Ok(self.joint.site_names()?.into_iter().filter(|n| !self.pins.iter().any(|(p, _)| p == n)).collect())
    }
    /// A draw of the unpinned sites from the model's prior (TFP's `sample_unpinned`), named.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionNamed, NamedPart};
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// let j = JointDistributionNamed::new(vec![("a", NamedPart::dist(Normal::new(0.0, 1.0)?)), ("b", NamedPart::dist(Normal::new(0.0, 1.0)?))])?;
    /// let draw = j.pin(vec![("a".into(), Tensor::scalar(0.0, DType::F32)?)])?.sample_unpinned(Seed::new(1))?;
    /// assert_eq!(draw.describe(), "named parts [\"b: []\"]");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sample_unpinned(&self, seed: crate::random::Seed) -> Result<Structure> {
        let sites = self.joint.sample_sites(&[], seed)?;
        Ok(Structure::Named(sites.into_iter().filter(|s| !self.pins.iter().any(|(p, _)| *p == s.name)).map(|s| (s.name, s.value)).collect()))
    }
    /// The unpinned sites as surrogate parts: name, event shape and default event-space
    /// bijector (from one draw of the model).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Gamma, Normal};
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// let j = JointDistributionSequential::new(vec![Part::dist(Gamma::new(2.0, 1.0)?), Part::func(|p| Ok(Box::new(Normal::new(0.0, &p[0])?)))])?;
    /// let parts = j.pin(vec![("x1".into(), Tensor::scalar(0.3, DType::F32)?)])?.unpinned_parts()?;
    /// assert_eq!(parts.len(), 1);
    /// assert_eq!(parts[0].bijector.name(), "softplus");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn unpinned_parts(&self) -> Result<Vec<SurrogatePart>> {
        let sites = self.joint.sample_sites(&[], crate::random::Seed::new(0))?;
        sites
            .into_iter()
            .filter(|s| !self.pins.iter().any(|(p, _)| *p == s.name))
            .map(|s| {
                let bijector = s.distribution.default_event_space_bijector().map_err(|e| Error::invalid_parameter(&s.name, format!("no event-space bijector for a surrogate: {e}")))?;
                // Batch and event dims together: the surrogate draws the site's whole value.
                let mut shape = s.distribution.batch_shape();
                shape.extend(s.distribution.event_shape());
                Ok(SurrogatePart { name: s.name.clone(), event_shape: shape, bijector })
            })
            .collect()
    }
}

/// One part of a surrogate: its name, event shape (constrained), and bijector onto its support.
///
/// ```
/// use probrs::bijectors::Softplus;
/// use probrs::distributions::{Gamma, Normal};
/// use probrs::joint::{JointDistributionCoroutine, Root};
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::SurrogatePart;
/// // A part by hand: a positive scalar site...
/// let part = SurrogatePart::new("scale", &[], Softplus::new());
/// assert_eq!(part.name, "scale");
/// // ...or every unpinned site of a model, with its default event-space bijector.
/// let model = JointDistributionCoroutine::new(|m| {
///     let s = m.sample("scale", Root(Gamma::new(2.0, 2.0)?))?;
///     m.sample("y", Normal::new(0.0, &s)?)?;
///     Ok(())
/// });
/// let pinned = model.pin(vec![("y".into(), Tensor::scalar(0.3, DType::F32)?)])?;
/// let parts = SurrogatePart::from_pinned(&pinned)?;
/// assert_eq!(parts.len(), 1);
/// assert_eq!(parts[0].name, "scale");
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct SurrogatePart {
    /// The part's name (a site of the target).
    pub name: String,
    /// The part's event shape in constrained space.
    pub event_shape: Vec<usize>,
    /// The bijector from unconstrained reals onto the part's support.
    pub bijector: Arc<dyn Bijector>,
}

impl SurrogatePart {
    /// A part named `name` with `event_shape`, mapped onto its support by `bijector`.
    ///
    /// ```
    /// use probrs::bijectors::Exp;
    /// use probrs::vi::SurrogatePart;
    /// let p = SurrogatePart::new("rate", &[3], Exp::new());
    /// assert_eq!((p.name.as_str(), p.event_shape.clone()), ("rate", vec![3]));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(name: &str, event_shape: &[usize], bijector: impl Bijector + 'static) -> Self {
        SurrogatePart { name: name.into(), event_shape: event_shape.to_vec(), bijector: Arc::new(bijector) }
    }
    /// The parts of a pinned model's unpinned sites, with their default event-space bijectors.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Beta, Bernoulli};
    /// use probrs::joint::{JointDistributionNamed, NamedPart};
    /// use probrs::vi::SurrogatePart;
    /// let j = JointDistributionNamed::new(vec![
    ///     ("p", NamedPart::dist(Beta::new(1.0, 1.0)?)),
    ///     ("flip", NamedPart::func(|v| Ok(Box::new(Bernoulli::from_probs(v.get("p")?)?)))),
    /// ])?;
    /// let parts = SurrogatePart::from_pinned(&j.pin(vec![("flip".into(), Tensor::scalar(1.0, DType::F32)?)])?)?;
    /// assert_eq!((parts[0].name.as_str(), parts[0].bijector.name()), ("p", "sigmoid"));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_pinned(model: &JointDistributionPinned) -> Result<Vec<SurrogatePart>> {
        model.unpinned_parts()
    }
    pub(crate) fn unconstrained_shape(&self) -> Result<Vec<usize>> {
        self.bijector.inverse_event_shape(&self.event_shape)
    }
}
