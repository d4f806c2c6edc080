//! Optimizers (Adam, SGD, RMSProp, Adagrad in Keras's formulations), convergence criteria,
//! and [`minimize`] (re-exported from [`crate::math`]).

mod adagrad;
mod adam;
mod convergence;
mod optimizer;
mod rmsprop;
mod sgd;

pub use adagrad::{Adagrad, AdagradOptions};
pub use adam::{Adam, AdamOptions};
pub use convergence::{ConvergenceCriterion, LossNotDecreasing, SuccessiveGradientsAreUncorrelated};
pub use optimizer::Optimizer;
pub use rmsprop::{RmsProp, RmsPropOptions};
pub use sgd::{Sgd, SgdOptions};
pub use crate::math::minimize::{minimize, trace_loss, MinimizeOptions, MinimizeResult, TraceableQuantities};
