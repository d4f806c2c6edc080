//! The values a parameter can hold, below the bijectors: [`Variable`] (trainable storage),
//! [`DeferredTensor`] (a function of a variable read at each use), [`TransformedVariable`] (a
//! variable read through a bijector, via the [`Transform`] interface every bijector has),
//! [`Param`] (one of these, or a plain tensor or number) and [`Parameters`] (what a constructor
//! receives).
//!
//! Users reach all of these as `probrs::params::...`; this module is the lower half of that
//! path. The upper half (`ParameterProperties`, `Trainable`, `make_trainable`) needs concrete
//! bijectors and sits above them (see ARCHITECTURE.md).

mod deferred_tensor;
mod param;
mod parameters;
mod transformed_variable;
mod variable;

pub use deferred_tensor::DeferredTensor;
pub use param::{broadcast_batch_shape, resolve_dtype, Param};
pub use parameters::{Arg, OneOf, Parameters};
pub use transformed_variable::{Transform, TransformedVariable};
pub use variable::{format_variables, variables_of, with_stopped_variables, Variable};
pub(crate) use variable::variables_and_gradients;

/// Collects variables through a visitor, dropping duplicates (same storage), in visit order.
///
/// ```
/// use probrs::params::{collect_variables, Variable};
/// use probrs::tensor::{DType, Tensor};
/// let a = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "a")?;
/// let b = Variable::new(&Tensor::scalar(2.0, DType::F64)?, "b")?;
/// // `a` is visited twice but collected once.
/// let vars = collect_variables(|f| { f(&a); f(&b); f(&a); });
/// assert_eq!(vars.iter().map(|v| v.name()).collect::<Vec<_>>(), vec!["a", "b"]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn collect_variables(visit: impl FnOnce(&mut dyn FnMut(&Variable))) -> Vec<Variable> {
    let mut out: Vec<Variable> = vec![];
    visit(&mut |v: &Variable| {
        if !out.iter().any(|o| o.same_as(v)) {
            out.push(v.clone());
        }
    });
    out
}
