//! Trainable parameters: [`Variable`], [`TransformedVariable`], [`DeferredTensor`], the
//! [`Param`] a distribution holds, [`ParameterProperties`], and [`make_trainable`].

mod deferred_tensor;
mod make_trainable;
mod param;
mod properties;
mod transformed_variable;
mod variable;

pub use deferred_tensor::DeferredTensor;
pub use make_trainable::{make_trainable, InitValue, MakeTrainable, ParameterInitFn, TrainableStateless};
pub use param::{broadcast_batch_shape, resolve_dtype, Param};
pub use properties::{constraining, Arg, ParameterProperties, Parameters, Trainable};
pub use transformed_variable::TransformedVariable;
pub use variable::{format_variables, with_stopped_variables, Variable};

/// Collects variables through a visitor, dropping duplicates (same storage), in visit order.
pub fn collect_variables(visit: impl FnOnce(&mut dyn FnMut(&Variable))) -> Vec<Variable> {
    let mut out: Vec<Variable> = vec![];
    visit(&mut |v: &Variable| {
        if !out.iter().any(|o| o.same_as(v)) {
            out.push(v.clone());
        }
    });
    out
}
