//! Bijectors: invertible, differentiable maps with tractable Jacobians (TFP's `tfp.bijectors`).
//!
//! One file per bijector. All implement [`Bijector`]; users implement it for their own types
//! (see `examples/` for TFP's `PadEye`).

mod ascending;
mod bijector;
mod chain;
pub mod constraining;
mod cholesky_outer_product;
mod correlation_cholesky;
mod exp;
mod fill_scale_tril;
mod fill_triangular;
mod gompertz_cdf;
mod gumbel_cdf;
mod identity;
mod invert;
mod kumaraswamy_cdf;
mod moyal_cdf;
mod normal_cdf;
mod pad;
mod parameter_properties;
mod power;
mod rayleigh_cdf;
mod reshape;
mod scale;
mod scale_matvec_tril;
mod shift;
mod sigmoid;
mod softmax_centered;
mod softplus;
mod square;
mod tanh;
mod transform_diagonal;
mod transpose;
mod weibull_cdf;

pub use ascending::Ascending;
pub use bijector::{reduce_over_event, Bijector};
pub use chain::{Chain, IntoArcBijector};
pub use cholesky_outer_product::CholeskyOuterProduct;
pub use correlation_cholesky::CorrelationCholesky;
pub use exp::Exp;
pub use fill_scale_tril::FillScaleTriL;
pub use fill_triangular::FillTriangular;
pub use gompertz_cdf::GompertzCDF;
pub use gumbel_cdf::GumbelCDF;
pub use identity::Identity;
pub use invert::Invert;
pub use kumaraswamy_cdf::KumaraswamyCDF;
pub use moyal_cdf::MoyalCDF;
pub use normal_cdf::NormalCDF;
pub use pad::Pad;
pub use parameter_properties::{ParameterProperties, Trainable};
pub use power::Power;
pub use rayleigh_cdf::RayleighCDF;
pub use reshape::Reshape;
pub use scale::Scale;
pub use scale_matvec_tril::{ScaleMatvecDiag, ScaleMatvecTriL};
pub use shift::Shift;
pub use sigmoid::Sigmoid;
pub use softmax_centered::SoftmaxCentered;
pub use softplus::Softplus;
pub use square::Square;
pub use tanh::Tanh;
pub use transform_diagonal::TransformDiagonal;
pub use transpose::Transpose;
pub use weibull_cdf::WeibullCDF;
