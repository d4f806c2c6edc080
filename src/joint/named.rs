//! `JointDistributionNamed`: named sites, each a distribution or a function of the values of
//! earlier sites (TFP's `tfd.JointDistributionNamed`; TFP orders sites by the functions'
//! argument names — here sites run in the given order and a function reads earlier values by
//! name from a `Structure::Named`).
//!
//! ```
//! use probrs::distributions::{Distribution, Normal, Poisson};
//! use probrs::joint::{JointDistributionNamed, NamedPart};
//! use probrs::random::Seed;
//! let model = JointDistributionNamed::new(vec![
//!     ("log_rate", NamedPart::dist(Normal::new(1.0, 0.5)?)),
//!     ("y", NamedPart::func(|v| Ok(Box::new(Poisson::from_log_rate(v.get("log_rate")?)?)))),
//! ])?;
//! let draw = model.sample(&[4], Seed::new(2))?;
//! assert_eq!(draw.get("y")?.shape(), &[4]);
//! assert_eq!(model.log_prob_parts(&draw)?.len(), 2);
//! # Ok::<(), probrs::Error>(())
//! ```

use super::joint_distribution::{JointDistribution, Layout};
use super::model_context::Root;
use crate::distributions::Distribution;
use crate::error::Result;
use crate::tensor::Tensor;
use super::structure::Structure;
use std::sync::Arc;

type NamedFn = Arc<dyn Fn(&Structure) -> Result<Box<dyn Distribution>> + Send + Sync>;

/// A named site: a fixed distribution, a function of the earlier named values, or a root
/// distribution rebuilt at every use ([`Part::deferred`](super::Part::deferred)).
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::joint::{JointDistributionNamed, NamedPart};
/// use probrs::random::Seed;
/// let joint = JointDistributionNamed::new(vec![
///     ("mu", NamedPart::dist(Normal::new(0.0, 1.0)?)),
///     ("y", NamedPart::func(|v| Ok(Box::new(Normal::new(v.get("mu")?, 1.0)?)))),
/// ])?;
/// assert_eq!(joint.site_names()?, vec!["mu", "y"]);
/// assert_eq!(joint.sample(&[2], Seed::new(0))?.get("y")?.shape(), &[2]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub enum NamedPart {
    /// A distribution that depends on no other part.
    Dist(Arc<dyn Distribution>),
    /// A function of the parts it names, returning the distribution.
    Func(NamedFn),
    /// A distribution rebuilt at every use (so variables transformed inside reach the gradient).
    Deferred(super::sequential::DeferredFn),
}

impl NamedPart {
    /// A part that depends on no other part.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionNamed, NamedPart};
    /// let j = JointDistributionNamed::new(vec![("z", NamedPart::dist(Normal::new(0.0, 1.0)?))])?;
    /// assert_eq!(j.site_names()?, vec!["z"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn dist(d: impl Distribution + 'static) -> Self {
        NamedPart::Dist(Arc::new(d))
    }
    /// A part built from the values of other parts (by name).
    ///
    /// ```
    /// use probrs::distributions::{Exponential, Poisson};
    /// use probrs::joint::{JointDistributionNamed, NamedPart};
    /// use probrs::random::Seed;
    /// let j = JointDistributionNamed::new(vec![
    ///     ("rate", NamedPart::dist(Exponential::new(0.1)?)),
    ///     ("count", NamedPart::func(|v| Ok(Box::new(Poisson::from_rate(v.get("rate")?)?)))),
    /// ])?;
    /// assert_eq!(j.sample(&[3], Seed::new(0))?.get("count")?.shape(), &[3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn func(f: impl Fn(&Structure) -> Result<Box<dyn Distribution>> + Send + Sync + 'static) -> Self {
        NamedPart::Func(Arc::new(f))
    }
    /// A root distribution rebuilt at every use (reads variables when the joint runs).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionNamed, NamedPart};
    /// use probrs::params::Variable;
    /// let loc = Variable::new(&Tensor::scalar(1.0, DType::F32)?, "loc")?;
    /// let l = loc.clone();
    /// let j = JointDistributionNamed::new(vec![("z", NamedPart::deferred(move || Ok(Box::new(Normal::new(&l, 1.0)?))))])?;
    /// loc.assign(&Tensor::scalar(3.0, DType::F32)?)?; // read when the joint runs
    /// let lp = j.log_prob(&probrs::vi::Structure::Named(vec![("z".into(), Tensor::scalar(3.0, DType::F32)?)]))?;
    /// assert!((lp.to_scalar()? + 0.918_938_5).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn deferred(f: impl Fn() -> Result<Box<dyn Distribution>> + Send + Sync + 'static) -> Self {
        NamedPart::Deferred(Arc::new(f))
    }
}

/// A joint distribution over named sites.
///
/// ```
/// use probrs::distributions::{Exponential, Normal};
/// use probrs::joint::{JointDistributionNamed, NamedPart};
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::Structure;
/// let joint = JointDistributionNamed::new(vec![
///     ("scale", NamedPart::dist(Exponential::new(1.0)?)),
///     ("y", NamedPart::func(|v| Ok(Box::new(Normal::new(0.0, v.get("scale")?)?)))),
/// ])?;
/// let value = Structure::Named(vec![("scale".into(), Tensor::scalar(1.0, DType::F32)?), ("y".into(), Tensor::scalar(0.0, DType::F32)?)]);
/// // log Exp(1; 1) + log N(0; 0, 1) = −1 − ½ log 2π
/// assert!((joint.log_prob(&value)?.to_scalar()? - (-1.0 - 0.918_938_5)).abs() < 1e-5);
/// // A missing site is an error naming it.
/// let partial = Structure::Named(vec![("scale".into(), Tensor::scalar(1.0, DType::F32)?)]);
/// assert!(joint.log_prob(&partial).unwrap_err().to_string().contains('y'));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct JointDistributionNamed(JointDistribution);

impl JointDistributionNamed {
    /// The joint distribution of the named parts; a function part reads the values of the parts before it by name.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionNamed, NamedPart};
    /// // A function may only read parts named before it.
    /// let bad = JointDistributionNamed::new(vec![("y", NamedPart::func(|v| Ok(Box::new(Normal::new(v.get("mu")?, 1.0)?))))])?;
    /// assert!(bad.site_names().is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(parts: Vec<(&str, NamedPart)>) -> Result<Self> {
        let parts: Vec<(String, NamedPart)> = parts.into_iter().map(|(n, p)| (n.to_string(), p)).collect();
        let model = move |ctx: &mut super::ModelContext| -> Result<()> {
            let mut values: Vec<(String, Tensor)> = vec![];
            for (name, part) in &parts {
                let v = match part {
                    NamedPart::Dist(d) => ctx.sample(name, Root(d.clone()))?,
                    NamedPart::Deferred(f) => ctx.sample(name, Root(Arc::<dyn Distribution>::from(f()?)))?,
                    NamedPart::Func(f) => {
                        let d: Arc<dyn Distribution> = Arc::from(f(&Structure::Named(values.clone()))?);
                        ctx.sample(name, d)?
                    }
                };
                values.push((name.clone(), v));
            }
            Ok(())
        };
        Ok(JointDistributionNamed(JointDistribution::from_model(Arc::new(model), Layout::Named, "JointDistributionNamed")))
    }
}

super::joint_distribution_newtype!(JointDistributionNamed);
