//! Optimizers (Adam, SGD, RMSProp, Adagrad in Keras's formulations), convergence criteria,
//! TFP's quasi-Newton minimizers (`bfgs_minimize`, `lbfgs_minimize`, with a Hager–Zhang line search),
//! and [`minimize`] (which `probrs::math` re-exports under TFP's `tfp.math` path).

mod adagrad;
mod adam;
mod bfgs;
mod convergence;
mod lbfgs;
mod line_search;
mod minimize;
mod optimizer;
mod quasi_newton;
mod rmsprop;
mod sgd;
mod stochastic_gradient_langevin_dynamics;

pub use adagrad::{Adagrad, AdagradOptions};
pub use adam::{Adam, AdamOptions};
pub use bfgs::{bfgs_minimize, bfgs_minimize_variables};
pub use lbfgs::{lbfgs_minimize, lbfgs_minimize_variables};
pub use quasi_newton::{OptimizerResults, QuasiNewtonOptions, StoppingCondition};
pub use convergence::{ConvergenceCriterion, LossNotDecreasing, SuccessiveGradientsAreUncorrelated};
pub use optimizer::Optimizer;
pub use rmsprop::{RmsProp, RmsPropOptions};
pub use sgd::{Sgd, SgdOptions};
pub use stochastic_gradient_langevin_dynamics::StochasticGradientLangevinDynamics;
pub use minimize::{minimize, trace_loss, MinimizeOptions, MinimizeResult, TraceableQuantities};
