//! `ParameterProperties`: what `make_trainable`, surrogate builders and property tests need to
//! know about each parameter of a distribution or bijector (TFP's
//! `tfp.util.ParameterProperties`).

use crate::bijectors::Bijector;
use crate::error::{Error, Result};
use crate::params::Param;
use crate::tensor::DType;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Properties of one parameter.
#[derive(Clone)]
pub struct ParameterProperties {
    /// Number of trailing dimensions that are the parameter's own event (0 for `loc`, 2 for
    /// `scale_tril`).
    pub event_ndims: usize,
    /// Maps a distribution's `batch_and_event_shape` (or a bijector's input shape) to the
    /// parameter's shape.
    pub shape_fn: fn(&[usize]) -> Vec<usize>,
    /// The bijector from unconstrained reals onto the parameter's domain.
    pub default_constraining_bijector: fn(DType) -> Arc<dyn Bijector>,
    /// Of alternative parameterizations (`logits` / `probs`), the one `make_trainable` uses.
    pub is_preferred: bool,
    /// False for non-tensor arguments (never made trainable).
    pub is_tensor: bool,
}

fn identity_shape(s: &[usize]) -> Vec<usize> {
    s.to_vec()
}

/// Default constraining bijectors, as `fn(DType)` for [`ParameterProperties`].
pub mod constraining {
    use crate::bijectors::{Bijector, Identity, Sigmoid, Softplus};
    use crate::tensor::{DType, Tensor};
    use std::sync::Arc;

    /// Any real: Identity.
    pub fn real(_: DType) -> Arc<dyn Bijector> {
        Arc::new(Identity::new())
    }
    /// `> 0`: Softplus with `low = eps(dtype)`, as TFP.
    pub fn positive(dtype: DType) -> Arc<dyn Bijector> {
        Arc::new(Softplus::new().with_low(Tensor::scalar(dtype.eps(), dtype).expect("a scalar tensor is always constructible")))
    }
    /// In `(0, 1)`: Sigmoid.
    pub fn unit_interval(_: DType) -> Arc<dyn Bijector> {
        Arc::new(Sigmoid::new())
    }
}

impl Default for ParameterProperties {
    /// An unconstrained, elementwise parameter (`loc`).
    fn default() -> Self {
        ParameterProperties {
            event_ndims: 0,
            shape_fn: identity_shape,
            default_constraining_bijector: constraining::real,
            is_preferred: true,
            is_tensor: true,
        }
    }
}

impl ParameterProperties {
    /// A parameter constrained by `bijector` (e.g. softplus for a positive scale).
    pub fn constrained(bijector: fn(DType) -> Arc<dyn Bijector>) -> Self {
        ParameterProperties { default_constraining_bijector: bijector, ..Default::default() }
    }
}

/// A non-tensor constructor argument (`reinterpreted_batch_ndims`, `paddings`, ...).
#[derive(Clone, Debug)]
pub enum Arg {
    /// An integer (`reinterpreted_batch_ndims`, ...).
    Int(i64),
    /// A number that is not a parameter.
    Float(f64),
    /// A flag.
    Bool(bool),
    /// A list of integers (`paddings`, ...).
    Ints(Vec<i64>),
    /// A string.
    Str(String),
}

/// The arguments a constructor receives from `make_trainable` or a generic builder:
/// parameters by name, other arguments by name, and the dtype.
#[derive(Clone, Debug, Default)]
pub struct Parameters {
    params: BTreeMap<String, Param>,
    args: BTreeMap<String, Arg>,
    /// Optional instance name.
    pub name: Option<String>,
    /// Turn on argument validation (TFP's `validate_args`).
    pub validate_args: bool,
}

impl Parameters {
    /// No parameters yet.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a parameter.
    pub fn with(mut self, name: &str, p: impl Into<Param>) -> Self {
        self.params.insert(name.into(), p.into());
        self
    }
    /// Adds a non-tensor argument.
    pub fn with_arg(mut self, name: &str, a: Arg) -> Self {
        self.args.insert(name.into(), a);
        self
    }
    /// Adds (or replaces) a parameter in place.
    pub fn insert(&mut self, name: &str, p: Param) {
        self.params.insert(name.into(), p);
    }
    /// Whether a parameter or argument of that name was given.
    pub fn contains(&self, name: &str) -> bool {
        self.params.contains_key(name) || self.args.contains_key(name)
    }
    /// Removes and returns a parameter.
    pub fn take(&mut self, name: &str) -> Option<Param> {
        self.params.remove(name)
    }
    /// Removes and returns a parameter that the family requires.
    pub fn take_required(&mut self, name: &str, family: &str) -> Result<Param> {
        self.take(name).ok_or_else(|| Error::invalid_parameter(name, format!("{family} requires `{name}`")))
    }
    /// Removes and returns a non-tensor argument.
    pub fn take_arg(&mut self, name: &str) -> Option<Arg> {
        self.args.remove(name)
    }
    /// Fails naming the first argument the constructor did not consume.
    pub fn finish(self, family: &str) -> Result<()> {
        if let Some(k) = self.params.keys().chain(self.args.keys()).next() {
            return Err(Error::UnknownParameter { name: k.clone(), family: family.into() });
        }
        Ok(())
    }
}

/// A type that `make_trainable` can build: it declares its parameters and can be constructed
/// from them.
pub trait Trainable: Sized {
    /// The class name, for messages.
    const NAME: &'static str;
    /// The parameters, in TFP's order.
    fn parameter_properties(dtype: DType) -> Vec<(&'static str, ParameterProperties)>;
    /// Builds an instance; consumes what it uses from `params` and rejects the rest.
    fn from_parameters(params: Parameters) -> Result<Self>;
}
