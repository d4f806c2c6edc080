//! `ParameterProperties`: what `make_trainable`, surrogate builders and property tests need to
//! know about each parameter of a distribution or bijector (TFP's
//! `tfp.util.ParameterProperties`).

use super::{constraining, Bijector};
use crate::error::Result;
use crate::variables::Parameters;
use crate::tensor::DType;
use std::sync::Arc;

/// Properties of one parameter.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::params::Trainable;
/// use probrs::tensor::{DType, Tensor};
/// let props = Normal::parameter_properties(DType::F64);
/// assert_eq!(props.iter().map(|(n, _)| *n).collect::<Vec<_>>(), vec!["loc", "scale"]);
/// let scale = &props[1].1;
/// assert_eq!((scale.shape_fn)(&[3]), vec![3]);
/// let b = (scale.default_constraining_bijector)(DType::F64);
/// assert!(b.forward(&Tensor::scalar(-5.0, DType::F64)?)?.to_scalar()? > 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
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
    ///
    /// ```
    /// use probrs::params::{constraining, ParameterProperties};
    /// let p = ParameterProperties::constrained(constraining::positive);
    /// assert_eq!((p.event_ndims, p.is_preferred, p.is_tensor), (0, true, true));
    /// assert_eq!((p.shape_fn)(&[4]), vec![4]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn constrained(bijector: fn(DType) -> Arc<dyn Bijector>) -> Self {
        ParameterProperties { default_constraining_bijector: bijector, ..Default::default() }
    }
}


/// A type that `make_trainable` can build: it declares its parameters and can be constructed
/// from them.
///
/// ```
/// use probrs::params::{MakeTrainable, ParameterProperties, Parameters, Trainable};
/// use probrs::params::constraining;
/// use probrs::tensor::DType;
/// use probrs::Result;
/// /// A user type with one positive parameter, trainable like the built-in families.
/// struct Rate(probrs::params::Param);
/// impl Trainable for Rate {
///     const NAME: &'static str = "Rate";
///     fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
///         vec![("rate", ParameterProperties::constrained(constraining::positive))]
///     }
///     fn from_parameters(mut p: Parameters) -> Result<Self> {
///         let rate = p.take_required("rate", Self::NAME)?;
///         p.finish(Self::NAME)?;
///         Ok(Rate(rate))
///     }
/// }
/// let r: Rate = MakeTrainable::new().initial_value("rate", 2.5).build()?;
/// assert!((r.0.value(DType::F32)?.to_scalar()? - 2.5).abs() < 1e-5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait Trainable: Sized {
    /// The class name, for messages.
    const NAME: &'static str;
    /// The parameters, in TFP's order.
    fn parameter_properties(dtype: DType) -> Vec<(&'static str, ParameterProperties)>;
    /// Builds an instance; consumes what it uses from `params` and rejects the rest.
    fn from_parameters(params: Parameters) -> Result<Self>;
}

/// `Trainable` for a bijector without tensor parameters: no properties; construction rejects any
/// argument.
macro_rules! parameterless {
    ($($t:ident),*) => {$(
        impl Trainable for super::$t {
            const NAME: &'static str = stringify!($t);
            fn parameter_properties(_: crate::tensor::DType) -> Vec<(&'static str, ParameterProperties)> {
                vec![]
            }
            fn from_parameters(p: Parameters) -> Result<Self> {
                p.finish(Self::NAME)?;
                Ok(super::$t::new())
            }
        }
    )*};
}
parameterless!(Ascending, Identity, Exp, Tanh, Square, SoftmaxCentered, CholeskyOuterProduct, CorrelationCholesky, FillTriangular, FillScaleTriL);
