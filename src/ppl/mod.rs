//! Model programs with effect handlers (Edward2 and NumPyro style): a model is a Rust function
//! drawing named random variables through a handle.
//!
//! - [`program`], [`Effects`] (`sample`, `observe`), [`Handler`] (`program.rs`);
//! - the handlers [`trace`], [`seed`], [`condition`], [`substitute`], [`Block`] (`handlers.rs`);
//! - Edward2's [`make_log_joint_fn`] (`log_joint.rs`);
//! - NumPyro's [`Predictive`] (posterior and prior predictive draws) and Pyro's [`uncondition`]
//!   (`predictive.rs`);
//! - a program as a joint distribution, [`to_joint_distribution`] and [`pinned_joint`], so
//!   that it is a target for `sample_nuts_pinned` and `fit_surrogate_posterior` (`joint_program.rs`).
//!
//! ```
//! use probrs::distributions::{HalfNormal, Normal};
//! use probrs::ppl::{make_log_joint_fn, program, seed, trace};
//! use probrs::random::Seed;
//! use probrs::tensor::{DType, Tensor};
//! let y = Tensor::vector(&[0.3, -0.1, 0.8], DType::F32)?;
//! let model = program(move |fx| {
//!     let sd = fx.sample("sd", HalfNormal::new(1.0)?)?;
//!     let mu = fx.sample("mu", Normal::new(0.0, 1.0)?)?;
//!     fx.observe("y", Normal::new(&mu, &sd)?, &y)
//! });
//! let (_, tr) = trace(seed(model.clone(), Seed::new(0))).get_trace()?;
//! assert_eq!(tr.names(), ["sd", "mu", "y"]);
//! let lp = make_log_joint_fn(model).call(&[("sd", Tensor::scalar(0.5, DType::F32)?), ("mu", Tensor::scalar(0.2, DType::F32)?)])?;
//! assert!(lp.to_scalar()?.is_finite());
//! # Ok::<(), probrs::Error>(())
//! ```

mod handlers;
mod joint_program;
mod log_joint;
mod predictive;
mod program;

pub use handlers::{condition, seed, substitute, trace, Block, SeedHandler, Trace, TraceSite, Traced, ValueHandler};
pub use joint_program::{pinned_joint, to_joint_distribution};
pub use log_joint::{make_log_joint_fn, LogJoint};
pub use predictive::{uncondition, Predictive};
pub use program::{program, Effects, Handled, HandledWith, Handler, Message, Model, Program};
