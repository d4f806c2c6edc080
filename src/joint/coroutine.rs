//! `JointDistributionCoroutine`: a model written as a function that draws named sites from a
//! [`ModelContext`] — TFP's generator with `yield Root(...)`, in Rust a closure calling
//! `m.sample(name, distribution)`. Draws are named values in site order.
//!
//! The page's Poisson process model, shape for shape:
//!
//! ```
//! use probrs::distributions::{Distribution, Independent, Normal, Poisson};
//! use probrs::joint::{JointDistributionCoroutine, Root};
//! use probrs::random::Seed;
//! use probrs::tensor::{DType, Tensor};
//! let model = JointDistributionCoroutine::new(|m| {
//!     let log_rates = m.sample("latent_log_rates", Root(Independent::new(Normal::new(Tensor::zeros(&[3], DType::F32)?, 1.0)?, 1)?))?;
//!     m.sample("y", Independent::new(Poisson::from_log_rate(&log_rates)?, 1)?)?;
//!     Ok(())
//! });
//! let draw = model.sample(&[2], Seed::new(3))?;
//! assert_eq!(draw.get("y")?.shape(), &[2, 3]);
//! assert_eq!(model.log_prob(&draw)?.shape(), &[2]);
//! # Ok::<(), probrs::Error>(())
//! ```

use super::joint_distribution::{JointDistribution, Layout};
use super::ModelContext;
use crate::error::Result;
use std::sync::Arc;

/// A joint distribution defined by a model function.
///
/// ```
/// use probrs::distributions::{Normal, Poisson};
/// use probrs::joint::{JointDistributionCoroutine, Root};
/// use probrs::random::Seed;
/// // A hierarchical model as a function: root sites take the whole sample shape.
/// let model = JointDistributionCoroutine::new(|m| {
///     let log_rate = m.sample("log_rate", Root(Normal::new(1.0, 0.5)?))?;
///     m.sample("counts", Poisson::from_log_rate(&log_rate)?)?;
///     Ok(())
/// });
/// assert_eq!(model.site_names()?, vec!["log_rate", "counts"]);
/// let (draw, lp) = model.sample_and_log_prob(&[3], Seed::new(1))?;
/// assert_eq!(draw.get("counts")?.shape(), &[3]);
/// let again = model.log_prob(&draw)?.to_vec()?;
/// assert!(lp.to_vec()?.iter().zip(&again).all(|(a, b)| (a - b).abs() < 1e-4));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct JointDistributionCoroutine(JointDistribution);

impl JointDistributionCoroutine {
    /// A joint distribution from a model function that draws its sites through the [`ModelContext`].
    ///
    /// ```
    /// use probrs::distributions::{Exponential, Normal};
    /// use probrs::joint::{JointDistributionCoroutine, Root};
    /// let model = JointDistributionCoroutine::new(|m| {
    ///     let s = m.sample("s", Root(Exponential::new(1.0)?))?;
    ///     m.sample("x", Normal::new(0.0, &s)?)?;
    ///     Ok(())
    /// });
    /// assert_eq!(model.site_names()?, vec!["s", "x"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(model: impl Fn(&mut ModelContext) -> Result<()> + Send + Sync + 'static) -> Self {
        JointDistributionCoroutine(JointDistribution::from_model(Arc::new(model), Layout::Named, "JointDistributionCoroutine"))
    }
}

super::joint_distribution_newtype!(JointDistributionCoroutine);
