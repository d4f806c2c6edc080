//! Bijectors: invertible, differentiable maps with tractable Jacobians (TFP's `tfp.bijectors`).
//!
//! One file per bijector. All implement [`Bijector`]; users implement it for their own types
//! (see `examples/` for TFP's `PadEye`).

mod bijector;
mod chain;
mod exp;
mod identity;
mod invert;
mod power;
mod scale;
mod shift;
mod sigmoid;
mod softplus;
mod square;
mod tanh;

pub use bijector::{reduce_over_event, Bijector};
pub use chain::{Chain, IntoArcBijector};
pub use exp::Exp;
pub use identity::Identity;
pub use invert::Invert;
pub use power::Power;
pub use scale::Scale;
pub use shift::Shift;
pub use sigmoid::Sigmoid;
pub use softplus::Softplus;
pub use square::Square;
pub use tanh::Tanh;
