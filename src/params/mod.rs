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
pub use properties::{constraining, Arg, OneOf, ParameterProperties, Parameters, Trainable};
pub use transformed_variable::TransformedVariable;
pub use variable::{format_variables, with_stopped_variables, Variable};

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
