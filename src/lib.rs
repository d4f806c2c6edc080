//! # probrs
//!
//! Probabilistic modelling and inference in Rust, in TensorFlow Probability's vocabulary:
//! distributions and bijectors with trainable parameters, `make_trainable`, `minimize`, joint
//! distributions, Gaussian processes and variational inference (`fit_surrogate_posterior`);
//! MCMC is on the roadmap. No Python, no compile step.
//!
//! The seed example of TFP's `make_trainable` page, line by line:
//!
//! ```
//! use probrs::distributions::{Distribution, Normal};
//! use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
//! use probrs::params::MakeTrainable;
//! use probrs::tensor::{DType, Tensor};
//!
//! let samples = Tensor::vector(&[4.57, 6.37, 5.93, 7.98, 2.03, 3.59, 8.55, 3.45, 5.06, 6.44], DType::F32)?;
//! // `make_trainable::<Normal>()` draws its start at random; a seed makes it reproducible.
//! let model: Normal = MakeTrainable::new().seed(42).build()?;
//! let losses = minimize(|| model.log_prob(&samples)?.sum_all()?.neg(), 1000, &mut Adam::new(0.1),
//!                       MinimizeOptions::default(), trace_loss)?;
//! println!("Fit Normal distribution with mean {} and stddev {}", model.mean()?, model.stddev()?);
//! assert!((model.mean()?.to_scalar()? - 5.397).abs() < 1e-3);
//! # Ok::<(), probrs::Error>(())
//! ```
//!
//! [`guide`] walks through TFP's `make_trainable`, Learnable Distributions Zoo and
//! `fit_surrogate_posterior` pages, Python beside Rust.
//!
//! Modules: [`tensor`] (facade over candle), [`random`] (stateless seeds), [`bijectors`],
//! [`distributions`], [`params`] (variables, `make_trainable`), [`optim`] (optimizers,
//! `minimize`), [`joint`] (joint distributions), [`psd_kernels`] (Gaussian-process kernels),
//! [`vi`] (`fit_surrogate_posterior`, Csiszar divergences, surrogate builders), [`mcmc`]
//! (convergence diagnostics so far),
//! [`progress`] (step callbacks and a terminal bar), `plot` (loss traces, fitted densities,
//! surrogate marginals; feature `plot`), [`fit`] (maximum likelihood by family name), [`conformance`]
//! (reference-value runner).

#![deny(missing_docs)]
extern crate self as probrs;

pub mod allocator;
pub mod bijectors;
pub mod conformance;
pub mod demo;
pub mod distributed;
pub mod distributions;
pub mod fit;
pub mod glm;
pub mod guide;
pub mod joint;
pub mod layers;
mod error;
pub mod math;
pub mod mcmc;
pub mod mixed_effects;
pub mod models;
pub mod monte_carlo;
pub mod optim;
pub mod params;
#[cfg(feature = "plot")]
pub mod plot;
pub mod progress;
pub mod ppl;
pub mod psd_kernels;
pub mod random;
pub mod save;
pub mod sts;
pub mod tensor;
mod variables;
pub mod vi;

pub use error::{Error, Result};
