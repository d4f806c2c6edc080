//! The kernel trait and the helpers the kernels share.

use crate::error::{Error, Result};
use crate::params::{Param, Variable};
use crate::tensor::{DType, Tensor};

/// A positive semidefinite kernel over index points with one feature dimension.
///
/// ```
/// use probrs::psd_kernels::{ExponentiatedQuadratic, PositiveSemidefiniteKernel};
/// use probrs::tensor::{DType, Tensor};
/// let k = ExponentiatedQuadratic::new(None, None);
/// let x1 = Tensor::from_slice(&[0.0, 1.0, 2.0], &[3, 1], DType::F64)?;
/// let x2 = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
/// assert_eq!(k.matrix(&x1, &x2)?.shape(), &[3, 2]);
/// // `apply` pairs the points elementwise: k(x, x) = 1 for this kernel.
/// assert_eq!(k.apply(&x1, &x1)?.to_vec()?, vec![1.0, 1.0, 1.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait PositiveSemidefiniteKernel: Send + Sync {
    /// The kernel's name.
    fn name(&self) -> &str;
    /// The `[..., n, m]` matrix `k(x1_i, x2_j)` for `x1 [..., n, d]`, `x2 [..., m, d]`.
    fn matrix(&self, x1: &Tensor, x2: &Tensor) -> Result<Tensor>;
    /// `k(x1_i, x2_i)` elementwise: `[..., n]` from two `[..., n, d]`.
    fn apply(&self, x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
        let (r1, r2) = (x1.rank(), x2.rank());
        let m = self.matrix(&x1.unsqueeze(r1 - 1)?, &x2.unsqueeze(r2 - 1)?)?;
        let r = m.rank();
        m.squeeze(r - 1)?.squeeze(r - 2)
    }
    /// The variables the kernel reads.
    fn visit_variables(&self, _f: &mut dyn FnMut(&Variable)) {}
    /// Every variable, each once.
    fn trainable_variables(&self) -> Vec<Variable> {
        let mut out: Vec<Variable> = vec![];
        self.visit_variables(&mut |v| {
            if !out.iter().any(|o| o.same_as(v)) {
                out.push(v.clone());
            }
        });
        out
    }
}

/// Checks index points `[..., n, d]` and returns their dtype.
pub(crate) fn check_points(x1: &Tensor, x2: &Tensor, kernel: &str) -> Result<DType> {
    if x1.rank() < 2 || x2.rank() < 2 {
        return Err(Error::invalid_shape(format!("{kernel} index points"), if x1.rank() < 2 { x1.shape() } else { x2.shape() }, "expected [..., n, d] (one feature dimension)"));
    }
    if x1.shape()[x1.rank() - 1] != x2.shape()[x2.rank() - 1] {
        return Err(Error::ShapeMismatch { context: format!("{kernel}: feature dimensions of the two sets of index points"), lhs: x1.shape().to_vec(), rhs: x2.shape().to_vec() });
    }
    if x1.dtype() != x2.dtype() {
        return Err(Error::DTypeMismatch { context: kernel.into(), lhs: x1.dtype().name().into(), rhs: x2.dtype().name().into() });
    }
    Ok(x1.dtype())
}

/// A kernel parameter as a batch tensor broadcasting against `[..., n, m]` (two trailing 1s).
pub(crate) fn batch_param(p: &Param, dtype: DType) -> Result<Tensor> {
    let v = p.value(dtype)?;
    let r = v.rank();
    v.unsqueeze(r)?.unsqueeze(r + 1)
}

/// The same for an optional amplitude-like parameter, squared (`None` → 1).
pub(crate) fn squared_or_one(p: &Option<Param>, dtype: DType) -> Result<Option<Tensor>> {
    p.as_ref().map(|p| batch_param(p, dtype)?.square()).transpose()
}

/// `[..., n, m, d]` differences `x1_i − x2_j`.
pub(crate) fn differences(x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
    let (r1, r2) = (x1.rank(), x2.rank());
    x1.unsqueeze(r1 - 1)?.sub(&x2.unsqueeze(r2 - 2)?)
}

/// `[..., n, m]` squared distances.
pub(crate) fn squared_distance(x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
    let d = differences(x1, x2)?;
    d.square()?.sum_last(1)
}

/// `r = ‖x − y‖` with a finite gradient at `r = 0` (the squared distance is floored at a tiny
/// value inside the root; every kernel here has zero derivative in r there).
pub(crate) fn distance(x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
    let d2 = squared_distance(x1, x2)?;
    let tiny = if d2.dtype() == DType::F32 { 1e-30 } else { 1e-300 };
    d2.maximum(&d2.full_like(tiny)?)?.sqrt()
}

/// `a² · m` (or `m` when the amplitude is `None`).
pub(crate) fn scale_by(amplitude_sq: Option<Tensor>, m: Tensor) -> Result<Tensor> {
    match amplitude_sq {
        Some(a) => m.mul(&a),
        None => Ok(m),
    }
}

/// Visits the variables of optional parameters.
pub(crate) fn visit_params(ps: &[&Option<Param>], f: &mut dyn FnMut(&Variable)) {
    for p in ps.iter().copied().flatten() {
        p.visit_variables(f);
    }
}
