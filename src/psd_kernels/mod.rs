//! Positive semidefinite kernels (TFP's `tfp.math.psd_kernels`), for Gaussian processes.
//!
//! Index points have one feature dimension: `x [..., n, d]`. `matrix(x1, x2)` is the
//! `[..., n, m]` matrix of `k(x1_i, x2_j)`; kernel parameters broadcast as batch dimensions in
//! front. Parameters are [`Param`](crate::params::Param)s, so variables, transformed variables
//! and deferred tensors are trained through the kernel.
//!
//! | kernel | k(x, y), r = ‖x − y‖ |
//! |---|---|
//! | `ExponentiatedQuadratic(a, ℓ)` | a² exp(−r²/(2ℓ²)) |
//! | `MaternOneHalf(a, ℓ)` | a² exp(−r/ℓ) |
//! | `MaternThreeHalves(a, ℓ)` | a² (1 + √3 r/ℓ) exp(−√3 r/ℓ) |
//! | `MaternFiveHalves(a, ℓ)` | a² (1 + √5 r/ℓ + 5r²/(3ℓ²)) exp(−√5 r/ℓ) |
//! | `RationalQuadratic(a, ℓ, α)` | a² (1 + r²/(2αℓ²))^(−α) |
//! | `ExpSinSquared(a, ℓ, p)` | a² exp(−2 Σ_i sin²(π (x_i − y_i)/p) / ℓ²) |
//! | `Linear(b, s, c)` | b² + s² (x − c)·(y − c) |
//! | `Polynomial(b, s, c, e)` | b² + (s² (x − c)·(y − c))^e |
//! | `Constant(c)` | c |
//! | `FeatureScaled(k, σ)` | k(x/σ, y/σ) |
//! | `SumKernel`, `ProductKernel` | Σ k_i, Π k_i |
//!
//! `amplitude` (and the bias/slope amplitudes) default to 1 when `None`.
//!
//! ```
//! use probrs::psd_kernels::{ExponentiatedQuadratic, PositiveSemidefiniteKernel};
//! use probrs::tensor::{DType, Tensor};
//! let k = ExponentiatedQuadratic::new(Some(2.0.into()), Some(0.5.into()));
//! let x = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
//! let m = k.matrix(&x, &x)?.to_vec()?;
//! assert!((m[0] - 4.0).abs() < 1e-12 && (m[1] - 4.0 * (-2.0f64).exp()).abs() < 1e-12);
//! # Ok::<(), probrs::Error>(())
//! ```

mod combinations;
mod constant;
mod exp_sin_squared;
mod exponentiated_quadratic;
mod feature_scaled;
mod kernel;
mod linear;
mod matern;
mod polynomial;
mod rational_quadratic;

pub use combinations::{ProductKernel, SumKernel};
pub use constant::Constant;
pub use exp_sin_squared::ExpSinSquared;
pub use exponentiated_quadratic::ExponentiatedQuadratic;
pub use feature_scaled::FeatureScaled;
pub use kernel::PositiveSemidefiniteKernel;
pub use linear::Linear;
pub use matern::{MaternFiveHalves, MaternOneHalf, MaternThreeHalves};
pub use polynomial::Polynomial;
pub use rational_quadratic::RationalQuadratic;
