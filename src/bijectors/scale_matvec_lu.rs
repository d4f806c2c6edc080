//! `ScaleMatvecLU` (TFP's `tfb.ScaleMatvecLU`): `y = A x` for a square `A` held as its pivoted
//! LU factorization, Glow's invertible 1×1 convolution when applied to every pixel's channels.
//!
//! ```text
//! A = Pᵀ L U        L unit lower-triangular, U upper-triangular (packed together as
//!                   `lower_upper`: L below the diagonal, U on and above it),
//!                   (Pᵀ M)[i] = M[p⁻¹[i]]  (row k of L U is row p[k] of A, `tf.linalg.lu`'s p)
//! log |det A| = Σ log |U_ii|   (constant Jacobian)
//! A⁻¹ = U⁻¹ L⁻¹ P              (two triangular solves against the identity)
//! ```
//!
//! [`trainable_lu_factorization`] draws Glow's initial value: the LU factors of a random
//! orthonormal matrix (faer's QR and partially pivoted LU), so the map starts volume-preserving.

use super::Bijector;
use crate::error::{Error, Result};
use crate::random::{uniform, Seed};
use crate::tensor::{linalg::triangular_solve, DType, Tensor};
use crate::variables::{Param, Variable};

/// Multiplication of vector events by a matrix held as `P, L, U` (module doc).
///
/// ```
/// use probrs::bijectors::{Bijector, ScaleMatvecLU};
/// use probrs::tensor::{DType, Tensor};
/// // L = [[1, 0], [0.5, 1]], U = [[2, 1], [0, 3]], no pivoting: A = L U = [[2, 1], [1, 3.5]].
/// let lu = Tensor::from_slice(&[2.0, 1.0, 0.5, 3.0], &[2, 2], DType::F64)?;
/// let b = ScaleMatvecLU::new(lu, vec![0, 1])?;
/// let x = Tensor::vector(&[1.0, 2.0], DType::F64)?;
/// assert_eq!(b.forward(&x)?.to_vec()?, vec![4.0, 8.0]);
/// let back = b.inverse(&b.forward(&x)?)?.to_vec()?;
/// assert!((back[0] - 1.0).abs() < 1e-12 && (back[1] - 2.0).abs() < 1e-12);
/// assert!((b.forward_log_det_jacobian(&x, 1)?.to_scalar()? - 6f64.ln()).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ScaleMatvecLU {
    lower_upper: Param,
    permutation: Vec<usize>,
    inverse_permutation: Vec<u32>,
    n: usize,
}

impl ScaleMatvecLU {
    /// `lower_upper [n, n]` (L's entries below the diagonal, U's on and above it) and the row
    /// permutation `p` (a permutation of `0..n`: row `k` of `L U` is row `p[k]` of `A`).
    ///
    /// ```
    /// use probrs::bijectors::ScaleMatvecLU;
    /// use probrs::tensor::{DType, Tensor};
    /// let lu = Tensor::eye(2, &[], DType::F64)?;
    /// assert!(ScaleMatvecLU::new(lu.clone(), vec![1, 0]).is_ok());
    /// assert!(ScaleMatvecLU::new(lu.clone(), vec![0, 0]).is_err()); // not a permutation
    /// assert!(ScaleMatvecLU::new(Tensor::ones(&[2, 3], DType::F64)?, vec![0, 1]).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(lower_upper: impl Into<Param>, permutation: Vec<usize>) -> Result<Self> {
        let lower_upper = lower_upper.into();
        let s = lower_upper.shape();
        if s.len() != 2 || s[0] != s[1] {
            return Err(Error::invalid_shape("scale_matvec_lu lower_upper", &s, "expected a square matrix [n, n]"));
        }
        let n = s[0];
        let mut inverse_permutation = vec![u32::MAX; n];
        for (k, &p) in permutation.iter().enumerate() {
            if p >= n || inverse_permutation[p] != u32::MAX {
                return Err(Error::invalid_parameter("permutation", format!("scale_matvec_lu: {permutation:?} is not a permutation of 0..{n}")));
            }
            inverse_permutation[p] = k as u32;
        }
        if permutation.len() != n {
            return Err(Error::ShapeMismatch { context: "scale_matvec_lu permutation vs lower_upper".into(), lhs: vec![permutation.len()], rhs: s });
        }
        Ok(ScaleMatvecLU { lower_upper, permutation, inverse_permutation, n })
    }

    /// The row permutation `p`.
    ///
    /// ```
    /// use probrs::bijectors::ScaleMatvecLU;
    /// use probrs::tensor::{DType, Tensor};
    /// let b = ScaleMatvecLU::new(Tensor::eye(3, &[], DType::F64)?, vec![2, 0, 1])?;
    /// assert_eq!(b.permutation(), &[2, 0, 1]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn permutation(&self) -> &[usize] {
        &self.permutation
    }

    /// `(L, U)` in `x`'s dtype.
    fn factors(&self, dtype: DType) -> Result<(Tensor, Tensor)> {
        let lu = self.lower_upper.value(dtype)?;
        let n = self.n;
        let strict: Vec<f64> = (0..n * n).map(|i| if i % n < i / n { 1.0 } else { 0.0 }).collect();
        let upper: Vec<f64> = (0..n * n).map(|i| if i % n >= i / n { 1.0 } else { 0.0 }).collect();
        let l = lu.mul(&Tensor::from_slice(&strict, &[n, n], dtype)?)?.add(&Tensor::eye(n, &[], dtype)?)?;
        let u = lu.mul(&Tensor::from_slice(&upper, &[n, n], dtype)?)?;
        Ok((l, u))
    }

    /// `A = Pᵀ L U`.
    fn matrix(&self, dtype: DType) -> Result<Tensor> {
        let (l, u) = self.factors(dtype)?;
        l.matmul(&u)?.index_select(0, &self.inverse_permutation)
    }

    /// `A⁻¹ = U⁻¹ L⁻¹ P`.
    fn inverse_matrix(&self, dtype: DType) -> Result<Tensor> {
        let (l, u) = self.factors(dtype)?;
        let l_inv = triangular_solve(&l, &Tensor::eye(self.n, &[], dtype)?, false)?;
        let ul_inv = triangular_solve(&u.matrix_transpose()?, &l_inv, true)?;
        ul_inv.index_select(1, &self.inverse_permutation)
    }
}

/// `x ↦ M x` on the last axis of `[..., n]` points: one GEMM over the points as rows.
fn apply(m: &Tensor, x: &Tensor) -> Result<Tensor> {
    let n = m.shape()[0];
    if x.rank() == 0 || x.shape()[x.rank() - 1] != n {
        return Err(Error::ShapeMismatch { context: "scale_matvec_lu input events vs the matrix".into(), lhs: x.shape().to_vec(), rhs: vec![n, n] });
    }
    let rows = x.elem_count() / n;
    x.reshape(&[rows, n])?.matmul(&m.matrix_transpose()?)?.reshape(x.shape())
}

impl Bijector for ScaleMatvecLU {
    fn name(&self) -> &str {
        "scale_matvec_lu"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        apply(&self.matrix(x.dtype())?, x)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        apply(&self.inverse_matrix(y.dtype())?, y)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        self.lower_upper.value(x.dtype())?.diag_part()?.abs()?.log()?.sum_last(1)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.lower_upper.visit_variables(f)
    }
}

/// Glow's initial 1×1 convolution (TFP's `OneByOneConv.trainable_lu_factorization`): the
/// pivoted LU factors of a random orthonormal `n × n` matrix (the Q of a uniform matrix's QR),
/// as a trainable `lower_upper` variable named `name` and the permutation. `|det A| = 1`.
///
/// ```
/// use probrs::bijectors::{trainable_lu_factorization, Bijector, ScaleMatvecLU};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let (lu, p) = trainable_lu_factorization(4, DType::F64, Seed::new(0), "conv1x1")?;
/// let b = ScaleMatvecLU::new(&lu, p)?;
/// let x = Tensor::vector(&[1.0, -2.0, 0.5, 3.0], DType::F64)?;
/// // Orthonormal: lengths and volumes are kept.
/// let y = b.forward(&x)?.to_vec()?;
/// assert!((y.iter().map(|v| v * v).sum::<f64>() - 14.25).abs() < 1e-10);
/// assert!(b.forward_log_det_jacobian(&x, 1)?.to_scalar()?.abs() < 1e-10);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn trainable_lu_factorization(n: usize, dtype: DType, seed: Seed, name: &str) -> Result<(Variable, Vec<usize>)> {
    if n == 0 {
        return Err(Error::invalid_parameter("event_size", "trainable_lu_factorization needs at least one channel"));
    }
    let r = uniform(&[n, n], DType::F64, seed)?.to_vec()?;
    let q = faer::Mat::from_fn(n, n, |i, j| r[i * n + j]).qr().compute_Q();
    let lu = q.partial_piv_lu();
    let (l, u) = (lu.L(), lu.U());
    let product = l * u;
    // Row k of L U is row p[k] of Q (found by value: the rows of an orthonormal matrix differ).
    let mut permutation = Vec::with_capacity(n);
    for k in 0..n {
        let dist = |i: usize| (0..n).map(|j| (product[(k, j)] - q[(i, j)]).abs()).fold(0.0, f64::max);
        let p = (0..n).min_by(|a, b| dist(*a).total_cmp(&dist(*b))).expect("n > 0");
        permutation.push(p);
    }
    let packed: Vec<f64> = (0..n * n).map(|i| if i % n < i / n { l[(i / n, i % n)] } else { u[(i / n, i % n)] }).collect();
    let var = Variable::new(&Tensor::from_slice(&packed, &[n, n], dtype)?, name)?;
    Ok((var, permutation))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matrix rebuilt from the drawn factors is orthonormal and its inverse is exact.
    #[test]
    fn factorization_rebuilds_an_orthonormal_matrix() {
        for n in [1, 3, 6] {
            let (lu, p) = trainable_lu_factorization(n, DType::F64, Seed::new(n as u64), "w").unwrap();
            let b = ScaleMatvecLU::new(&lu, p).unwrap();
            let a = b.matrix(DType::F64).unwrap();
            let ata = a.matrix_transpose().unwrap().matmul(&a).unwrap().to_vec().unwrap();
            for i in 0..n {
                for j in 0..n {
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((ata[i * n + j] - want).abs() < 1e-10, "n = {n}: AᵀA[{i}, {j}] = {}", ata[i * n + j]);
                }
            }
            let prod = a.matmul(&b.inverse_matrix(DType::F64).unwrap()).unwrap().to_vec().unwrap();
            for i in 0..n {
                assert!((prod[i * n + i] - 1.0).abs() < 1e-10);
            }
        }
    }
}
