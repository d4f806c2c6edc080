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
#[derive(Clone)]
pub enum Part {
    Dist(Arc<dyn Distribution>),
    Func(PartFn),
    Deferred(DeferredFn),
}

impl Part {
    /// A fixed (root) distribution.
    pub fn dist(d: impl Distribution + 'static) -> Self {
        Part::Dist(Arc::new(d))
    }
    /// A distribution built from the earlier values (most recent first).
    pub fn func(f: impl Fn(&[Tensor]) -> Result<Box<dyn Distribution>> + Send + Sync + 'static) -> Self {
        Part::Func(Arc::new(f))
    }
    /// A root distribution rebuilt at every use (reads variables when the joint runs).
    pub fn deferred(f: impl Fn() -> Result<Box<dyn Distribution>> + Send + Sync + 'static) -> Self {
        Part::Deferred(Arc::new(f))
    }
}

/// A joint distribution over a list of sites.
#[derive(Clone)]
pub struct JointDistributionSequential(JointDistribution);

impl JointDistributionSequential {
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
