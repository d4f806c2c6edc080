//! Fused kernels: a log-density's hot path computed as one autodiff node, value and gradient in
//! one pass over the data, instead of a graph of elementwise ops and intermediate tensors.
//!
//! | file | computes | used by |
//! |---|---|---|
//! | `broadcast.rs` | a tracked operand broadcast for an elementwise op, its gradient reduced in one contiguous pass | every broadcasting binary op of the facade |
//! | `bias_add.rs` | `x + bias` over the last axis and `relu`, with one-pass backward passes | every dense and convolution layer |
//! | `index_select.rs` | `index_select` along any axis, its gradient scattered back in one pass | the facade's `index_select` (convolution patches, random effects) |
//! | `max_axis.rs` | the maximum along an axis, its gradient shared among ties (TensorFlow's `reduce_max`) in one pass | the facade's `max_axis` (max pooling) |
//! | `mvn_tril_paired.rs` | `log N(x_pk; μ_k, L_k L_kᵀ)` for draws paired with their own batch member | `MultivariateNormalTriL::log_prob` at draws of the same batch (the VAE's posterior) |
//! | `sigmoid_cross_entropy.rs` | TensorFlow's `sigmoid_cross_entropy_with_logits`, keeping `sigmoid(l)` for its backward pass | `Bernoulli::log_prob` from logits (the VAE's decoder) |
//! | `window_max.rs` | each window's maximum per example and channel, the argmax kept for a one-pass backward (TensorFlow's `max_pool` gradient) | the max-pooling layers |
//! | `ternary.rs` | [`TernaryKernel`]: any elementwise `f(a, b, c)` with its three partials | `Normal::log_prob` and other scalar families |
//! | [`gaussian_mixture`] | the log-likelihood of a mixture of diagonal/full Gaussians | `MixtureSameFamily` of MVNs |
//! | [`glm`] (and `glm_avx512.rs`, `glm_single.rs`; `helper_thread.rs` splits one evaluation over two cores) | the Bernoulli-logit GLM log-likelihood and its gradient (batched over weight vectors; or at one vector, for MCMC) | logistic-regression targets (bench W6, W7) |
//! | [`gaussian_log_likelihood`] | a zero-mean Gaussian's log-likelihood from its covariance matrix, on faer | `GaussianProcess` marginal likelihood |
//! | `kalman.rs` | a univariate linear-Gaussian state-space model's per-step log-likelihoods by the Kalman filter, its reverse pass by hand over the transitions' nonzeros | `LinearGaussianStateSpaceModel::log_prob` (every structural time-series fit) |
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
mod dense;
mod index_select;
pub(crate) mod kalman;
mod max_axis;
mod mvn_tril_paired;
pub(crate) mod broadcast;
mod sigmoid_cross_entropy;
mod ternary;
mod window_max;

pub use ternary::TernaryKernel;
