//! Optimizers (Adam, SGD, RMSProp, Adagrad in Keras's formulations), convergence criteria,
//! and [`minimize`] (which `probrs::math` re-exports under TFP's `tfp.math` path).

mod adagrad;
mod adam;
mod convergence;
mod minimize;
mod optimizer;
mod rmsprop;
mod sgd;

pub use adagrad::{Adagrad, AdagradOptions};
pub use adam::{Adam, AdamOptions};
pub use convergence::{ConvergenceCriterion, LossNotDecreasing, SuccessiveGradientsAreUncorrelated};
pub use optimizer::Optimizer;
pub use rmsprop::{RmsProp, RmsPropOptions};
pub use sgd::{Sgd, SgdOptions};
pub use minimize::{minimize, trace_loss, MinimizeOptions, MinimizeResult, TraceableQuantities};
