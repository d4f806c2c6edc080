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
use crate::vi::Structure;

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
    pub fn unpinned_parts(&self) -> Result<Vec<crate::vi::SurrogatePart>> {
        let sites = self.joint.sample_sites(&[], crate::random::Seed::new(0))?;
        sites
            .into_iter()
            .filter(|s| !self.pins.iter().any(|(p, _)| *p == s.name))
            .map(|s| {
                let bijector = s.distribution.default_event_space_bijector().map_err(|e| Error::invalid_parameter(&s.name, format!("no event-space bijector for a surrogate: {e}")))?;
                // Batch and event dims together: the surrogate draws the site's whole value.
                let mut shape = s.distribution.batch_shape();
                shape.extend(s.distribution.event_shape());
                Ok(crate::vi::SurrogatePart { name: s.name.clone(), event_shape: shape, bijector })
            })
            .collect()
    }
}
