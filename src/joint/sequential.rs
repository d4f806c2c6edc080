//! `JointDistributionSequential`: a list of distributions, or of functions of the earlier
//! sites' values (TFP's `tfd.JointDistributionSequential`).
//!
//! As in TFP, a function receives the earlier values **most recent first**; a plain
//! distribution is a root site (drawn with the full `sample_shape`). Draws are
//! `Structure::List`; sites are named `x0, x1, …`.
//!
//! ```
//! use probrs::distributions::{Distribution, Normal};
//! use probrs::joint::{JointDistributionSequential, Part};
//! use probrs::random::Seed;
//! // z ~ N(0, 1); x ~ N(z, 1)
//! let model = JointDistributionSequential::new(vec![
//!     Part::dist(Normal::new(0.0, 1.0)?),
//!     Part::func(|prev| Ok(Box::new(Normal::new(&prev[0], 1.0)?))),
//! ])?;
//! let draw = model.sample(&[3], Seed::new(1))?;
//! assert_eq!(model.log_prob(&draw)?.shape(), &[3]);
//! # Ok::<(), probrs::Error>(())
//! ```

use super::joint_distribution::{JointDistribution, Layout};
use super::model_context::Root;
use crate::distributions::Distribution;
use crate::error::Result;
use crate::tensor::Tensor;
use std::sync::Arc;

type PartFn = Arc<dyn Fn(&[Tensor]) -> Result<Box<dyn Distribution>> + Send + Sync>;
pub(crate) type DeferredFn = Arc<dyn Fn() -> Result<Box<dyn Distribution>> + Send + Sync>;

/// One element of a sequential joint: a fixed distribution, a function of earlier values, or a
/// distribution rebuilt at every use from no earlier value (TFP's zero-argument lambda: a root
/// site whose parameters are computed from variables at call time).
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::joint::{JointDistributionSequential, Part};
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// let loc = Variable::new(&Tensor::scalar(0.5, DType::F32)?, "loc")?;
/// let l = loc.clone();
/// let joint = JointDistributionSequential::new(vec![
///     // Rebuilt at every use, so the current value of `loc` is read and gradients reach it.
///     Part::deferred(move || Ok(Box::new(Normal::new(&l, 1.0)?))),
///     Part::func(|prev| Ok(Box::new(Normal::new(&prev[0], 1.0)?))),
/// ])?;
/// assert_eq!(joint.trainable_variables()?.len(), 1);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub enum Part {
    /// A root distribution.
    Dist(Arc<dyn Distribution>),
    /// A distribution built from earlier values.
    Func(PartFn),
    /// A root distribution rebuilt at every use.
    Deferred(DeferredFn),
}

impl Part {
    /// A fixed (root) distribution.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// assert_eq!(JointDistributionSequential::new(vec![Part::dist(Normal::new(0.0, 1.0)?)])?.site_names()?, vec!["x0"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn dist(d: impl Distribution + 'static) -> Self {
        Part::Dist(Arc::new(d))
    }
    /// A distribution built from the earlier values (most recent first).
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// use probrs::random::Seed;
    /// // prev[0] is the most recent value (TFP passes earlier values in reverse order).
    /// let j = JointDistributionSequential::new(vec![
    ///     Part::dist(Normal::new(0.0, 1.0)?),
    ///     Part::dist(Normal::new(100.0, 1.0)?),
    ///     Part::func(|prev| Ok(Box::new(Normal::new(&prev[0], 0.001)?))),
    /// ])?;
    /// let x = j.sample(&[], Seed::new(0))?;
    /// assert!((x.part(2)?.to_scalar()? - x.part(1)?.to_scalar()?).abs() < 0.01);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn func(f: impl Fn(&[Tensor]) -> Result<Box<dyn Distribution>> + Send + Sync + 'static) -> Self {
        Part::Func(Arc::new(f))
    }
    /// A root distribution rebuilt at every use (reads variables when the joint runs).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// use probrs::params::Variable;
    /// let scale = Variable::new(&Tensor::scalar(1.0, DType::F32)?, "scale")?;
    /// let s = scale.clone();
    /// let j = JointDistributionSequential::new(vec![Part::deferred(move || Ok(Box::new(Normal::new(0.0, &s)?)))])?;
    /// assert_eq!(j.trainable_variables()?.len(), 1);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn deferred(f: impl Fn() -> Result<Box<dyn Distribution>> + Send + Sync + 'static) -> Self {
        Part::Deferred(Arc::new(f))
    }
}

/// A joint distribution over a list of sites.
///
/// ```
/// use probrs::distributions::{Normal, Poisson};
/// use probrs::joint::{JointDistributionSequential, Part};
/// use probrs::random::Seed;
/// // TFP: tfd.JointDistributionSequential([tfd.Normal(0., 1.), lambda z: tfd.Poisson(log_rate=z)])
/// let joint = JointDistributionSequential::new(vec![
///     Part::dist(Normal::new(0.0, 1.0)?),
///     Part::func(|prev| Ok(Box::new(Poisson::from_log_rate(&prev[0])?))),
/// ])?;
/// assert_eq!(joint.site_names()?, vec!["x0", "x1"]);
/// let draw = joint.sample(&[10], Seed::new(7))?;
/// assert_eq!(draw.part(1)?.shape(), &[10]);
/// assert_eq!(joint.log_prob(&draw)?.shape(), &[10]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct JointDistributionSequential(JointDistribution);

impl JointDistributionSequential {
    /// A joint over `parts`, sites named `x0`, `x1`, … in order (TFP's `JointDistributionSequential`).
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::joint::{JointDistributionSequential, Part};
    /// assert!(JointDistributionSequential::new(vec![Part::dist(Normal::new(0.0, 1.0)?)]).is_ok());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(parts: Vec<Part>) -> Result<Self> {
        let model = move |ctx: &mut super::ModelContext| -> Result<()> {
            let mut values: Vec<Tensor> = vec![];
            for (i, part) in parts.iter().enumerate() {
                let name = format!("x{i}");
                let v = match part {
                    Part::Dist(d) => ctx.sample(&name, Root(d.clone()))?,
                    Part::Deferred(f) => ctx.sample(&name, Root(Arc::<dyn Distribution>::from(f()?)))?,
                    Part::Func(f) => {
                        let prev: Vec<Tensor> = values.iter().rev().cloned().collect();
                        let d: Arc<dyn Distribution> = Arc::from(f(&prev)?);
                        ctx.sample(&name, d)?
                    }
                };
                values.push(v);
            }
            Ok(())
        };
        Ok(JointDistributionSequential(JointDistribution::from_model(Arc::new(model), Layout::List, "JointDistributionSequential")))
    }
}

super::joint_distribution_newtype!(JointDistributionSequential);
