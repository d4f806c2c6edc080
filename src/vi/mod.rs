//! Variational inference (TFP's `tfp.vi`): Csiszar f-divergences, the Monte Carlo variational
//! loss with reparameterization, score-function, doubly-reparameterized and VIMCO gradients,
//! and `fit_surrogate_posterior` (stateful and stateless).

pub mod csiszar;
mod fit_surrogate_posterior;
mod monte_carlo_variational_loss;
mod target;
mod surrogate_builders;
mod vimco;

pub use csiszar::{
    amari_alpha, arithmetic_geometric, chi_square, dual_csiszar_function, jeffreys, jensen_shannon, kl_forward, kl_reverse, log1p_abs, modified_gan, pearson,
    squared_hellinger, symmetrized_csiszar_function, t_power, total_variation, triangular, Discrepancy,
};
pub use fit_surrogate_posterior::{fit_surrogate_posterior, fit_surrogate_posterior_stateless, FitOptions};
pub use monte_carlo_variational_loss::{monte_carlo_variational_loss, GradientEstimator, VariationalLossOptions};
pub use crate::joint::{Structure, SurrogatePart, SurrogatePosterior};
pub use surrogate_builders::{build_affine_surrogate_posterior, build_factored_surrogate_posterior, build_split_flow_surrogate_posterior, AffineOperator, AffineSurrogatePosterior, SplitSurrogatePosterior};
pub use vimco::{csiszar_vimco, csiszar_vimco_helper};
