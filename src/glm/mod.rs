//! TFP's `tfp.glm`: generalized linear models.
//!
//! - [`family`](ExponentialFamily): the response distribution by its mean and inverse link,
//!   TFP's thirteen families (`family.rs`).
//! - [`fit`]: maximum likelihood by Fisher scoring, with TFP's optional L2 penalty, offset,
//!   dispersion, learning rate and convergence criterion (`fit.rs`).
//! - [`fit_sparse`]: L1 + L2 (elastic net) by TFP's proximal Newton method (`fit_sparse.rs`).
//! - [`GlmSummary`]: what statsmodels' `GLMResults.summary()` shows — standard errors,
//!   p-values, deviance, AIC/BIC (`summary.rs`).
//!
//! The model matrix and response are read once into `f64` ([`GlmData`]); the weighted Gram
//! matrix `XᵀWX` is accumulated in blocks of rows on faer's matrix product, in parallel over
//! `CANDLE_NUM_THREADS` threads and summed in one order (the same bits for any thread count).
//!
//! ```
//! use probrs::glm::{fit_data, FitOptions, GlmData, GlmSummary, Poisson};
//! use probrs::tensor::{DType, Tensor};
//! let t = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
//! let counts = [2.0, 3.0, 6.0, 7.0, 8.0, 9.0];
//! let x: Vec<f64> = t.iter().flat_map(|v| [1.0, *v]).collect();
//! let data = GlmData::new(&Tensor::from_slice(&x, &[6, 2], DType::F64)?, &Tensor::vector(&counts, DType::F64)?, &Poisson)?.with_names(&["const", "t"])?;
//! let options = FitOptions::default();
//! let fit = fit_data(&data, &Poisson, &options)?;
//! println!("{}", GlmSummary::new(&data, &Poisson, &fit, &options)?);
//! # Ok::<(), probrs::Error>(())
//! ```

mod family;
mod fit;
mod fit_sparse;
mod summary;

pub use family::{Bernoulli, BernoulliNormalCDF, Binomial, ExponentialFamily, GammaExp, GammaSoftplus, LogNormal, LogNormalSoftplus, NegativeBinomial, NegativeBinomialSoftplus, Normal, NormalReciprocal, Poisson, PoissonSoftplus};
pub use fit::{convergence_criteria_small_relative_norm_weights_change, fit, fit_data, ConvergenceCriterion, FitOptions, GlmData, GlmFit};
pub(crate) use fit::{informative, spd_factor, BlockSum, BLOCK as GRAM_BLOCK_ROWS};
pub use fit_sparse::{fit_sparse, fit_sparse_data, FitSparseOptions, GlmSparseFit};
pub use summary::GlmSummary;
