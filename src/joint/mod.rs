//! Joint distributions (TFP's `tfd.JointDistribution*`): sequential (a list of distributions or
//! functions of earlier values), named, and model functions (TFP's coroutine with `Root`), all
//! running on one core ([`JointDistribution`]) — `sample`, `sample_and_log_prob`, `log_prob`,
//! `log_prob_parts`, batched evaluation over leading sample dimensions, `trainable_variables`
//! across all parts, per-site default event-space bijectors, and pinning observed sites.
//! Each is a [`SurrogatePosterior`], so a joint can be a
//! variational family.

mod coroutine;
mod joint_distribution;
mod model_context;
mod named;
mod pinned;
mod sequential;
mod structure;

pub use coroutine::JointDistributionCoroutine;
pub use joint_distribution::JointDistribution;
pub use model_context::{ModelContext, Root, Site, SiteDistribution};
pub use named::{JointDistributionNamed, NamedPart};
pub use pinned::{JointDistributionPinned, SurrogatePart};
pub use sequential::{JointDistributionSequential, Part};
pub use structure::{Structure, SurrogatePosterior};

/// Derefs a joint-distribution newtype to the shared core and makes it a surrogate posterior.
macro_rules! joint_distribution_newtype {
    ($t:ident) => {
        impl std::ops::Deref for $t {
            type Target = super::JointDistribution;
            fn deref(&self) -> &super::JointDistribution {
                &self.0
            }
        }
        impl $crate::joint::SurrogatePosterior for $t {
            fn sample_structure(&self, s: &[usize], seed: $crate::random::Seed) -> $crate::Result<$crate::joint::Structure> {
                self.0.sample(s, seed)
            }
            fn sample_and_log_prob_structure(&self, s: &[usize], seed: $crate::random::Seed) -> $crate::Result<($crate::joint::Structure, $crate::tensor::Tensor)> {
                self.0.sample_and_log_prob(s, seed)
            }
            fn log_prob_structure(&self, x: &$crate::joint::Structure) -> $crate::Result<$crate::tensor::Tensor> {
                self.0.log_prob(x)
            }
            fn fully_reparameterized(&self) -> bool {
                self.0.fully_reparameterized().unwrap_or(false)
            }
            fn surrogate_variables(&self) -> Vec<$crate::params::Variable> {
                self.0.trainable_variables().unwrap_or_default()
            }
        }
    };
}
pub(crate) use joint_distribution_newtype;
