//! Default constraining bijectors, as `fn(DType)` for [`ParameterProperties`](super::ParameterProperties):
//! what `make_trainable` maps an unconstrained variable through, per domain.

use super::{Bijector, Identity, Sigmoid};
use crate::tensor::DType;
use std::sync::Arc;

/// Any real: Identity.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::params::constraining;
/// let b = constraining::real(DType::F64);
/// assert_eq!(b.name(), "identity");
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn real(_: DType) -> Arc<dyn Bijector> {
    Arc::new(Identity::new())
}
/// `> 0`: Softplus with `low = eps(dtype)`, as TFP.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::params::constraining;
/// let b = constraining::positive(DType::F32);
/// // Softplus with a floor at float32's eps: never exactly 0.
/// assert!(b.forward(&Tensor::scalar(-200.0, DType::F32)?)?.to_scalar()? >= f32::EPSILON as f64);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn positive(dtype: DType) -> Arc<dyn Bijector> {
    super::softplus::softplus_with_eps_floor(dtype)
}
/// In `(0, 1)`: Sigmoid.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::params::constraining;
/// let b = constraining::unit_interval(DType::F64);
/// assert_eq!(b.forward(&Tensor::scalar(0.0, DType::F64)?)?.to_scalar()?, 0.5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn unit_interval(_: DType) -> Arc<dyn Bijector> {
    Arc::new(Sigmoid::new())
}
