//! Distributions (TFP's `tfp.distributions`), one family per file, and the KL registry.

mod bernoulli;
mod categorical;
pub(crate) mod distribution;
mod exponential;
mod independent;
mod kl;
mod mixture_same_family;
mod multivariate_normal_diag;
mod multivariate_normal_diag_plus_low_rank;
mod multivariate_normal_full_covariance;
mod multivariate_normal_tril;
pub(crate) mod mvn_linear_operator;
mod normal;

pub use distribution::{describe, Distribution, ReparameterizationType};
pub use kl::{kl_divergence, register_kl};
pub use bernoulli::{kl_bernoulli, Bernoulli};
pub use categorical::{kl_categorical, Categorical};
pub use exponential::{kl_exponential, Exponential};
pub use independent::{kl_independent, Independent};
pub use mixture_same_family::MixtureSameFamily;
pub use multivariate_normal_diag::MultivariateNormalDiag;
pub use multivariate_normal_diag_plus_low_rank::MultivariateNormalDiagPlusLowRank;
pub use multivariate_normal_full_covariance::MultivariateNormalFullCovariance;
pub use multivariate_normal_tril::MultivariateNormalTriL;
pub use normal::{kl_normal_normal, Normal};
