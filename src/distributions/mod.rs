//! Distributions (TFP's `tfp.distributions`), one family per file, and the KL registry.

mod distribution;
mod kl;
mod normal;

pub use distribution::{describe, Distribution, ReparameterizationType};
pub use kl::{kl_divergence, register_kl};
pub use normal::{kl_normal_normal, Normal};
