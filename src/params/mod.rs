//! Trainable parameters, as users reach them: [`Variable`], [`TransformedVariable`],
//! [`DeferredTensor`], the [`Param`] a distribution holds, [`ParameterProperties`], and
//! [`make_trainable`].
//!
//! Only `make_trainable` is defined here. The plain parameter types live below the bijectors
//! (`src/variables/`), `ParameterProperties`, `Trainable` and the constraining defaults beside
//! them (`src/bijectors/parameter_properties.rs`, since every bijector with a parameter
//! declares its properties), and this module gathers them under one path.

mod make_trainable;

pub use crate::bijectors::{constraining, ParameterProperties, Trainable};
pub use crate::variables::{
    broadcast_batch_shape, collect_variables, format_variables, resolve_dtype, variables_of, with_stopped_variables, Arg, DeferredTensor, OneOf, Param,
    Parameters, Transform, TransformedVariable, Variable,
};
pub use make_trainable::{make_trainable, InitValue, MakeTrainable, ParameterInitFn, TrainableStateless};
