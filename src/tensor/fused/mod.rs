//! Fused kernels: a log-density's hot path computed as one autodiff node, value and gradient in
//! one pass over the data, instead of a graph of elementwise ops and intermediate tensors.
//!
//! | file | computes | used by |
//! |---|---|---|
//! | `broadcast.rs` | a tracked operand broadcast for an elementwise op, its gradient reduced in one contiguous pass | every broadcasting binary op of the facade |
//! | `bias_add.rs` | `x + bias` over the last axis and `relu`, with one-pass backward passes | every dense and convolution layer |
//! | `ternary.rs` | [`TernaryKernel`]: any elementwise `f(a, b, c)` with its three partials | `Normal::log_prob` and other scalar families |
//! | [`gaussian_mixture`] | the log-likelihood of a mixture of diagonal/full Gaussians | `MixtureSameFamily` of MVNs |
//! | [`glm`] (and `glm_avx512.rs`, `glm_single.rs`; `helper_thread.rs` splits one evaluation over two cores) | the Bernoulli-logit GLM log-likelihood and its gradient (batched over weight vectors; or at one vector, for MCMC) | logistic-regression targets (bench W6, W7) |
//! | [`gaussian_log_likelihood`] | a zero-mean Gaussian's log-likelihood from its covariance matrix, on faer | `GaussianProcess` marginal likelihood |
//! | [`exponentiated_quadratic`] | the EQ kernel matrix with its gradients | `ExponentiatedQuadratic` kernel matrices |
//!
//! Each kernel's gradient is checked by finite differences in its tests.

pub mod exponentiated_quadratic;
pub mod gaussian_log_likelihood;
pub mod gaussian_mixture;
pub mod glm;
mod glm_avx512;
mod glm_single;
mod helper_thread;
mod bias_add;
pub(crate) mod broadcast;
mod ternary;

pub use ternary::TernaryKernel;
