//! Mixed-effects models as lme4 fits them (TFP's Layer 4 "Generalized Linear Mixed Models ...
//! similar to R's lme4 package"):
//!
//! - [`DataFrame`]: named numeric and factor columns read from CSV (`data_frame.rs`);
//! - [`Formula`]: lme4's formula language — fixed terms, `(effects | group)`, nested `/`,
//!   uncorrelated `||`, interactions, `factor(x)` (`formula.rs`);
//! - [`ModelFrame`]: `y`, `X` and each random-effects term's grouping factor and model matrix,
//!   with R's coding of factors (`model_frame.rs`);
//! - the profiled deviance and REML criterion on a sparse Cholesky factor (`profiled_deviance.rs`);
//! - [`lmer`]: the fit, its estimates and lme4's printed summary (`lmer.rs`);
//! - [`BayesianLmm`]: the same models with priors, a log-density for NUTS (`bayesian_lmm.rs`);
//! - [`glmer`]: binomial and Poisson mixed models by the Laplace approximation (`glmer.rs`);
//! - lme4's [`sleepstudy`] and [`inst_eval`] data, embedded (`datasets.rs`, `data/`).
//!
//! ```
//! use probrs::mixed_effects::{lmer, DataFrame, LmerOptions};
//! let mut csv = String::from("y,g\n");
//! for i in 0..30 {
//!     csv.push_str(&format!("{},{}\n", (i % 3) as f64 + ((i * 7) % 5) as f64 / 5.0, i % 3));
//! }
//! let fit = lmer("y ~ 1 + (1 | g)", &DataFrame::from_csv_str(&csv, "d.csv")?, &LmerOptions { reml: false, ..Default::default() })?;
//! assert_eq!(fit.components[0].levels.len(), 3);
//! # Ok::<(), probrs::Error>(())
//! ```

mod bayesian_lmm;
mod data_frame;
mod datasets;
mod formula;
mod glmer;
mod lmer;
mod model_frame;
mod profiled_deviance;
mod schur_deviance;

pub use bayesian_lmm::{BayesianLmm, LmmPriors};
pub use data_frame::{Column, DataFrame};
pub use datasets::{inst_eval, sleepstudy};
pub use formula::{Formula, RandomTerm, Terms, Variable};
pub use glmer::{glmer, GlmerFit, GlmerOptions};
pub use lmer::{lmer, LmerFit, LmerOptions, VarianceComponent};
pub use model_frame::{ModelFrame, RandomEffectsTerm};
pub use profiled_deviance::{Evaluation, ProfiledDeviance};
