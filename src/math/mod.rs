//! TFP's `tfp.math`, as one path: [`minimize()`] (defined in [`crate::optim`]), the special
//! functions with gradients (defined in [`crate::tensor::special`] as methods of
//! [`Tensor`]), and [`value_and_gradient`].
//!
//! Nothing numerical is defined here: this module only gathers, from the layers below, what TFP
//! users look for under `tfp.math`.
//!
//! ```
//! use probrs::math::{minimize, value_and_gradient};
//! use probrs::params::Variable;
//! use probrs::tensor::{DType, Tensor};
//! let x = Variable::new(&Tensor::vector(&[1.0, 2.0], DType::F64)?, "x")?;
//! let (v, g) = value_and_gradient(|| x.value().square()?.sum_all(), &[x.clone()])?;
//! assert_eq!(v.to_scalar()?, 5.0);
//! assert_eq!(g[0].to_vec()?, vec![2.0, 4.0]);
//! # Ok::<(), probrs::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::tensor::Tensor;
use crate::variables::Variable;

pub use crate::optim::{minimize, trace_loss, MinimizeOptions, MinimizeResult, TraceableQuantities};
pub use crate::tensor::special;
pub use crate::variables::variables_of;

/// The path `probrs::math::minimize::...` of earlier releases: `minimize`, its options and
/// result, and `variables_of`.
///
/// ```
/// use probrs::math::minimize::{minimize, variables_of, MinimizeOptions};
/// # Ok::<(), probrs::Error>(())
/// ```
pub mod minimize {
    pub use crate::optim::{minimize, trace_loss, MinimizeOptions, MinimizeResult, TraceableQuantities};
    pub use crate::variables::variables_of;
}

/// TFP's `tfp.math.value_and_gradient`: the value of `f()` (a scalar) and its gradient with
/// respect to each of `variables`, in their order. A variable `f` does not depend on is an
/// error naming it ([`Error::NoGradient`]), as in `minimize`.
///
/// ```
/// use probrs::math::value_and_gradient;
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// let a = Variable::new(&Tensor::scalar(3.0, DType::F64)?, "a")?;
/// let b = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "b")?;
/// let (v, g) = value_and_gradient(|| a.value().mul(&a.value())?.mul_scalar(0.5), &[a.clone()])?;
/// assert_eq!((v.to_scalar()?, g[0].to_scalar()?), (4.5, 3.0));
/// // `b` is not in the graph: named in the error.
/// assert!(value_and_gradient(|| a.value().square(), &[b]).unwrap_err().to_string().contains("b"));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn value_and_gradient(f: impl FnOnce() -> Result<Tensor>, variables: &[Variable]) -> Result<(Tensor, Vec<Tensor>)> {
    let value = f()?;
    if value.elem_count() != 1 {
        return Err(Error::invalid_shape("value_and_gradient: f()", value.shape(), "must be a scalar"));
    }
    let tracked: Vec<Tensor> = variables.iter().map(|v| v.value()).collect();
    let grads = value.grad(&tracked.iter().collect::<Vec<_>>())?;
    let grads = grads
        .into_iter()
        .zip(variables)
        .map(|(g, v)| g.ok_or_else(|| Error::NoGradient { variable: v.name().into() }))
        .collect::<Result<Vec<_>>>()?;
    Ok((value.detach(), grads))
}
