//! The tensor facade: a thin layer over candle-core's CPU tensors and reverse-mode autodiff.
//!
//! What it adds to candle:
//! - numpy/TFP broadcasting for every binary op (candle's `a + b` requires equal shapes);
//! - the ops TFP relies on and candle lacks, each with a gradient (see [`special`] and
//!   [`linalg`]): `log1p`, `expm1`, stable `softplus`, `lgamma`, `log_ndtr`, `cholesky`, ...;
//! - float-only tensors in `float32` / `float64` ([`DType`]), printed the way numpy prints.
//!
//! ```
//! use probrs::tensor::{DType, Tensor};
//! let a = Tensor::from_slice(&[1.0, 2.0, 3.0], &[3, 1], DType::F64)?;
//! let b = Tensor::from_slice(&[10.0, 20.0], &[2], DType::F64)?;
//! let c = a.add(&b)?; // broadcasts to [3, 2]
//! assert_eq!(c.shape(), &[3, 2]);
//! assert_eq!(c.to_vec()?, vec![11.0, 21.0, 12.0, 22.0, 13.0, 23.0]);
//! # Ok::<(), probrs::Error>(())
//! ```

//! The facade is split by concern, one file each: [`DType`] (`dtype.rs`), building and reading
//! tensors (`construct.rs`), elementwise arithmetic and operators (`elementwise.rs`),
//! comparisons and masks (`compare.rs`), reductions (`reduce.rs`), shape ops and matrix
//! products (`shape.rs`), numpy-style printing (`display.rs`). Below them: [`special`] (special
//! functions with gradients), [`linalg`] (Cholesky and triangular solves on faer), [`fused`]
//! (fused kernels of hot log-densities), and `custom_op.rs` (what every custom op shares).

mod compare;
mod construct;
mod custom_gradient;
mod custom_op;
mod display;
mod dtype;
mod elementwise;
pub mod fused;
pub mod linalg;
mod reduce;
mod shape;
pub mod special;

pub use dtype::DType;
pub use fused::{exponentiated_quadratic, gaussian_log_likelihood, gaussian_mixture, glm};
pub use special::{bessel, incomplete};
pub(crate) use custom_op::*;

use crate::error::{Error, Result};
use candle_core::{Device, Tensor as CTensor};

/// A float32/float64 tensor on the CPU that records the ops applied to it for autodiff.
///
/// Cloning is cheap (shared storage). Every binary op broadcasts as numpy does.
///
/// ```
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
/// // numpy broadcasting: [2, 2] + [2]
/// let y = x.add(&Tensor::vector(&[10.0, 20.0], DType::F64)?)?;
/// assert_eq!(y.to_vec()?, vec![11.0, 22.0, 13.0, 24.0]);
/// // Reverse-mode gradients (of tensors that depend on a variable): d/dx Σ x² = 2x
/// let x = Variable::new(&x, "x")?.value();
/// let loss = x.square()?.sum_all()?;
/// let g = loss.grad(&[&x])?[0].clone().expect("loss depends on x");
/// assert_eq!(g.to_vec()?, vec![2.0, 4.0, 6.0, 8.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Tensor(pub(crate) CTensor);

/// A boolean mask produced by comparisons, consumed by [`Tensor::where_`].
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::vector(&[-1.0, 0.5, 2.0], DType::F64)?;
/// let inside = x.gt_scalar(0.0)?.and(&x.lt_scalar(1.0)?)?;
/// assert!(inside.any()? && !inside.all()?);
/// let clipped = Tensor::where_(&inside, &x, &x.zeros_like()?)?;
/// assert_eq!(clipped.to_vec()?, vec![0.0, 0.5, 0.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Mask(pub(crate) CTensor);

/// numpy broadcasting of two shapes.
///
/// ```
/// use probrs::tensor::broadcast_shapes;
/// assert_eq!(broadcast_shapes(&[3, 1], &[4])?, vec![3, 4]);
/// assert!(broadcast_shapes(&[3], &[4]).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i < n - a.len() { 1 } else { a[i - (n - a.len())] };
        let db = if i < n - b.len() { 1 } else { b[i - (n - b.len())] };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::ShapeMismatch { context: "broadcast".into(), lhs: a.to_vec(), rhs: b.to_vec() });
        };
    }
    Ok(out)
}

pub(crate) fn cpu() -> &'static Device {
    static CPU: Device = Device::Cpu;
    &CPU
}

impl Tensor {
    // ----- autodiff -----------------------------------------------------------------------

    /// A copy that autodiff tracks as a leaf: [`Tensor::grad`] of anything computed from it
    /// reaches it (what `Variable::value` returns, without a variable; the MCMC kernels take
    /// gradients of a target at a state this way).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::vector(&[1.0, 3.0], DType::F64)?.tracked()?;
    /// let g = x.square()?.sum_all()?.grad(&[&x])?[0].clone().expect("tracked");
    /// assert_eq!(g.to_vec()?, vec![2.0, 6.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn tracked(&self) -> Result<Tensor> {
        Ok(Tensor(candle_core::Var::from_tensor(&self.0.detach().contiguous()?)?.as_tensor().clone()))
    }

    /// Whether autodiff tracks this tensor (a variable, or computed from one): gradients can
    /// reach something through it.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::vector(&[1.0], DType::F64)?;
    /// assert!(!x.is_tracked() && x.tracked()?.exp()?.is_tracked());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn is_tracked(&self) -> bool {
        self.0.track_op()
    }

    /// Reverse-mode gradients of this (scalar) tensor with respect to `wrt`.
    ///
    /// Returns `None` for a tensor the value does not depend on.
    ///
    /// ```
    /// use probrs::params::Variable;
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Variable::new(&Tensor::vector(&[1.0, 2.0], DType::F64)?, "x")?.value();
    /// let unused = Variable::new(&Tensor::scalar(0.0, DType::F64)?, "u")?.value();
    /// let g = x.exp()?.sum_all()?.grad(&[&x, &unused])?;
    /// assert_eq!(g[0].as_ref().unwrap().to_vec()?, vec![1f64.exp(), 2f64.exp()]);
    /// assert!(g[1].is_none());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn grad(&self, wrt: &[&Tensor]) -> Result<Vec<Option<Tensor>>> {
        let store = self.0.backward()?;
        Ok(wrt.iter().map(|t| store.get(&t.0).map(|g| Tensor(g.clone()))).collect())
    }
}
