//! Batched linear algebra with gradients: Cholesky and triangular solves run on faer inside
//! candle custom ops; the structural ops (`diag_part`, `matrix_diag`, `fill_triangular`) are
//! index gathers, so their gradients come from candle.
//!
//! Backward rules (as TensorFlow's `linalg_grad.py`):
//! - `L = cholesky(A)`: `Ā = ½ (S + Sᵀ)`, `S = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹`, Φ = lower triangle with the
//!   diagonal halved; computed with two triangular solves, no explicit inverse.
//! - `X = solve(L, B)` (or `Lᵀ X = B` with `adjoint`): `B̄ = solve(L, X̄, !adjoint)`,
//!   `L̄ = −B̄ Xᵀ` (or `−X B̄ᵀ`), restricted to L's triangle.
//!
//! TFP's packing order for `fill_triangular`: `[1, 2, 3, 4, 5, 6]` fills
//! `[[4, 0, 0], [6, 5, 0], [3, 2, 1]]`.

use super::{DType, Tensor};
use crate::error::{Error, Result};
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape};
use faer::{Mat, Par};

fn storage_like(s: &CpuStorage, v: Vec<f64>) -> CpuStorage {
    match s {
        CpuStorage::F32(_) => CpuStorage::F32(v.into_iter().map(|x| x as f32).collect()),
        _ => CpuStorage::F64(v),
    }
}

fn lift(e: Error) -> candle_core::Error {
    candle_core::Error::Msg(e.to_string())
}

/// Number of rows `n` of a triangle holding `m = n (n + 1) / 2` entries.
///
/// ```
/// use probrs::tensor::linalg::tril_rows;
/// assert_eq!(tril_rows(6), Some(3));
/// assert_eq!(tril_rows(5), None); // not a triangular number
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn tril_rows(m: usize) -> Option<usize> {
    let n = (((8 * m + 1) as f64).sqrt() as usize).saturating_sub(1) / 2;
    (n * (n + 1) / 2 == m).then_some(n)
}

/// Index map of `fill_triangular`: for each of the n*n output positions, the index into `x`
/// (or `m` for a position outside the triangle, which reads the appended zero).
fn fill_map(n: usize, upper: bool) -> Vec<u32> {
    let m = n * (n + 1) / 2;
    // TFP: lower = concat([x[n:], reverse(x)]), upper = concat([x, reverse(x[n:])]), reshaped to
    // [n, n] with the other band zeroed.
    let seq: Vec<usize> = if upper { (0..m).chain((n..m).rev()).collect() } else { (n..m).chain((0..m).rev()).collect() };
    let mut map = vec![m as u32; n * n];
    for i in 0..n {
        for j in 0..n {
            if (upper && j >= i) || (!upper && j <= i) {
                map[i * n + j] = seq[i * n + j] as u32;
            }
        }
    }
    map
}

// ----- Cholesky ---------------------------------------------------------------------------

struct Cholesky;

impl CustomOp1 for Cholesky {
    fn name(&self) -> &'static str {
        "cholesky"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        // faer's parallelism follows CANDLE_NUM_THREADS / RAYON_NUM_THREADS (set once).
        super::fix_matmul_thread_count();
        let dims = l.shape().dims();
        let n = dims[dims.len() - 1];
        let a = super::storage_f64(s, l)?;
        let mut out = vec![0.0; a.len()];
        for (b, chunk) in a.chunks(n * n).enumerate() {
            let m = Mat::from_fn(n, n, |i, j| chunk[i * n + j]);
            let llt = m.llt(faer::Side::Lower).map_err(|_| {
                candle_core::Error::Msg(format!("cholesky: matrix {b} of the batch is not positive definite"))
            })?;
            let f = llt.L();
            for i in 0..n {
                for j in 0..=i {
                    out[b * n * n + i * n + j] = f[(i, j)];
                }
            }
        }
        Ok((storage_like(s, out), l.shape().clone()))
    }
    fn bwd(&self, _a: &candle_core::Tensor, res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<Option<candle_core::Tensor>> {
        let l = Tensor(res.clone());
        let g = Tensor(g.clone());
        let grad = (|| -> Result<Tensor> {
            let n = l.shape()[l.rank() - 1];
            let middle = l.matrix_transpose()?.matmul(&g)?; // Lᵀ L̄
            let d = middle.diag_part()?;
            let middle = middle.band_lower()?.sub(&Tensor::matrix_diag(&d.mul_scalar(0.5)?)?)?;
            // S = L⁻ᵀ P L⁻¹ = (L⁻ᵀ (L⁻ᵀ P)ᵀ)ᵀ
            let x = triangular_solve(&l, &middle, true)?;
            let s = triangular_solve(&l, &x.matrix_transpose()?, true)?.matrix_transpose()?;
            let _ = n;
            s.add(&s.matrix_transpose()?)?.mul_scalar(0.5)
        })()
        .map_err(lift)?;
        Ok(Some(grad.0))
    }
}

// ----- triangular solve -------------------------------------------------------------------

struct TriSolve {
    /// Solve `Lᵀ X = B` instead of `L X = B`.
    adjoint: bool,
}

impl CustomOp2 for TriSolve {
    fn name(&self) -> &'static str {
        "triangular_solve"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let ld = l1.shape().dims();
        let bd = l2.shape().dims();
        let n = ld[ld.len() - 1];
        let k = bd[bd.len() - 1];
        let lv = super::storage_f64(s1, l1)?;
        let bv = super::storage_f64(s2, l2)?;
        let batches = lv.len() / (n * n).max(1);
        let mut out = vec![0.0; bv.len()];
        for b in 0..batches {
            let lm = Mat::from_fn(n, n, |i, j| if j <= i { lv[b * n * n + i * n + j] } else { 0.0 });
            let mut rhs = Mat::from_fn(n, k, |i, j| bv[b * n * k + i * k + j]);
            if self.adjoint {
                faer::linalg::triangular_solve::solve_upper_triangular_in_place(lm.as_ref().transpose(), rhs.as_mut(), Par::Seq);
            } else {
                faer::linalg::triangular_solve::solve_lower_triangular_in_place(lm.as_ref(), rhs.as_mut(), Par::Seq);
            }
            for i in 0..n {
                for j in 0..k {
                    out[b * n * k + i * k + j] = rhs[(i, j)];
                }
            }
        }
        Ok((storage_like(s2, out), l2.shape().clone()))
    }
    fn bwd(
        &self,
        l: &candle_core::Tensor,
        _b: &candle_core::Tensor,
        res: &candle_core::Tensor,
        g: &candle_core::Tensor,
    ) -> candle_core::Result<(Option<candle_core::Tensor>, Option<candle_core::Tensor>)> {
        let (l, x, g) = (Tensor(l.clone()), Tensor(res.clone()), Tensor(g.clone()));
        let (gl, gb) = (|| -> Result<(Tensor, Tensor)> {
            let gb = triangular_solve(&l, &g, !self.adjoint)?;
            let gl = if self.adjoint { x.matmul(&gb.matrix_transpose()?)?.neg()? } else { gb.matmul(&x.matrix_transpose()?)?.neg()? };
            Ok((gl.band_lower()?, gb))
        })()
        .map_err(lift)?;
        Ok((Some(gl.0), Some(gb.0)))
    }
}

/// Solves `L X = B` (or `Lᵀ X = B` when `adjoint`) for lower-triangular `L [..., n, n]` and
/// `B [..., n, k]`; batch dims broadcast. Entries of `L` above the diagonal are ignored.
///
/// ```
/// use probrs::tensor::linalg::triangular_solve;
/// use probrs::tensor::{DType, Tensor};
/// let l = Tensor::from_slice(&[2.0, 0.0, 1.0, 4.0], &[2, 2], DType::F64)?;
/// let b = Tensor::from_slice(&[2.0, 9.0], &[2, 1], DType::F64)?;
/// // 2 x₀ = 2, x₀ + 4 x₁ = 9
/// assert_eq!(triangular_solve(&l, &b, false)?.to_vec()?, vec![1.0, 2.0]);
/// // Lᵀ x = b: 4 x₁ = 9, 2 x₀ + x₁ = 2
/// let x = triangular_solve(&l, &b, true)?.to_vec()?;
/// assert!((x[1] - 2.25).abs() < 1e-15 && (x[0] + 0.125).abs() < 1e-15);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn triangular_solve(l: &Tensor, b: &Tensor, adjoint: bool) -> Result<Tensor> {
    if l.rank() < 2 || b.rank() < 2 || l.shape()[l.rank() - 1] != l.shape()[l.rank() - 2] || l.shape()[l.rank() - 1] != b.shape()[b.rank() - 2] {
        return Err(Error::ShapeMismatch { context: "triangular_solve".into(), lhs: l.shape().to_vec(), rhs: b.shape().to_vec() });
    }
    let batch = super::broadcast_shapes(&l.shape()[..l.rank() - 2], &b.shape()[..b.rank() - 2])?;
    let mut sl = batch.clone();
    sl.extend_from_slice(&l.shape()[l.rank() - 2..]);
    let mut sb = batch;
    sb.extend_from_slice(&b.shape()[b.rank() - 2..]);
    let l = l.broadcast_to(&sl)?;
    let b = b.broadcast_to(&sb)?;
    Ok(Tensor(l.0.apply_op2(&b.0, TriSolve { adjoint })?))
}

impl Tensor {
    /// Lower Cholesky factor of symmetric positive-definite matrices `[..., n, n]`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::from_slice(&[4.0, 2.0, 2.0, 10.0], &[2, 2], DType::F64)?;
    /// assert_eq!(a.cholesky()?.to_vec()?, vec![2.0, 0.0, 1.0, 3.0]);
    /// // Not positive definite: a typed linear-algebra error.
    /// assert!(Tensor::from_slice(&[1.0, 2.0, 2.0, 1.0], &[2, 2], DType::F64)?.cholesky().is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn cholesky(&self) -> Result<Tensor> {
        let r = self.rank();
        if r < 2 || self.shape()[r - 1] != self.shape()[r - 2] {
            return Err(Error::invalid_shape("cholesky input", self.shape(), "expected [..., n, n]"));
        }
        self.0.apply_op1(Cholesky).map(Tensor).map_err(|e| match e {
            candle_core::Error::Msg(m) => Error::LinearAlgebra { op: "cholesky".into(), reason: m },
            other => Error::Backend(other),
        })
    }
    /// Solves `A X = B` given `L = cholesky(A)`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::from_slice(&[4.0, 2.0, 2.0, 10.0], &[2, 2], DType::F64)?;
    /// let b = Tensor::from_slice(&[6.0, 12.0], &[2, 1], DType::F64)?;
    /// let x = a.cholesky()?.cholesky_solve(&b)?.to_vec()?; // A x = b
    /// assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn cholesky_solve(&self, b: &Tensor) -> Result<Tensor> {
        let y = triangular_solve(self, b, false)?;
        triangular_solve(self, &y, true)
    }
    /// `log det A` for symmetric positive-definite `A`, via its Cholesky factor.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::from_slice(&[4.0, 2.0, 2.0, 10.0], &[2, 2], DType::F64)?;
    /// assert!((a.logdet()?.to_scalar()? - 36f64.ln()).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn logdet(&self) -> Result<Tensor> {
        self.cholesky()?.diag_part()?.log()?.sum_last(1)?.mul_scalar(2.0)
    }
    /// The diagonal `[..., n]` of matrices `[..., n, n]`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
    /// assert_eq!(a.diag_part()?.to_vec()?, vec![1.0, 4.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn diag_part(&self) -> Result<Tensor> {
        let r = self.rank();
        if r < 2 {
            return Err(Error::invalid_shape("diag_part input", self.shape(), "rank must be >= 2"));
        }
        let (m, n) = (self.shape()[r - 2], self.shape()[r - 1]);
        let k = m.min(n);
        let mut flat = self.shape()[..r - 2].to_vec();
        flat.push(m * n);
        let idx: Vec<u32> = (0..k).map(|i| (i * n + i) as u32).collect();
        self.reshape(&flat)?.index_select(r - 2, &idx)
    }
    /// Square matrices `[..., n, n]` with `self [..., n]` on the diagonal.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let m = Tensor::matrix_diag(&Tensor::vector(&[2.0, 3.0], DType::F64)?)?;
    /// assert_eq!(m.to_vec()?, vec![2.0, 0.0, 0.0, 3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn matrix_diag(d: &Tensor) -> Result<Tensor> {
        let n = *d.shape().last().ok_or_else(|| Error::invalid_shape("matrix_diag input", d.shape(), "rank must be >= 1"))?;
        let eye = Tensor::eye(n, &[], d.dtype())?;
        d.unsqueeze(d.rank() - 1)?.mul(&eye)
    }
    /// Zero the entries above the diagonal.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
    /// assert_eq!(a.band_lower()?.to_vec()?, vec![1.0, 0.0, 3.0, 4.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn band_lower(&self) -> Result<Tensor> {
        let r = self.rank();
        if r < 2 {
            return Err(Error::invalid_shape("band_lower input", self.shape(), "rank must be >= 2"));
        }
        let (m, n) = (self.shape()[r - 2], self.shape()[r - 1]);
        let mask: Vec<f64> = (0..m * n).map(|i| if i % n <= i / n { 1.0 } else { 0.0 }).collect();
        self.mul(&Tensor::from_slice(&mask, &[m, n], self.dtype())?)
    }
    /// Packs a vector `[..., n(n+1)/2]` into lower-triangular matrices `[..., n, n]` in TFP's
    /// order.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// // TFP's packing order: [1, ..., 6] fills [[4, 0, 0], [6, 5, 0], [3, 2, 1]].
    /// let v = Tensor::vector(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], DType::F64)?;
    /// assert_eq!(v.fill_triangular()?.to_vec()?, vec![4.0, 0.0, 0.0, 6.0, 5.0, 0.0, 3.0, 2.0, 1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn fill_triangular(&self) -> Result<Tensor> {
        self.fill_triangular_ext(false)
    }
    /// As [`Tensor::fill_triangular`], into upper-triangular matrices when `upper`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// // Upper: [[1, 2, 3], [0, 5, 6], [0, 0, 4]] (TFP's upper=True).
    /// let v = Tensor::vector(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], DType::F64)?;
    /// assert_eq!(v.fill_triangular_ext(true)?.to_vec()?, vec![1.0, 2.0, 3.0, 0.0, 5.0, 6.0, 0.0, 0.0, 4.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn fill_triangular_ext(&self, upper: bool) -> Result<Tensor> {
        let r = self.rank();
        let m = *self.shape().last().ok_or_else(|| Error::invalid_shape("fill_triangular input", self.shape(), "rank must be >= 1"))?;
        let n = tril_rows(m).ok_or_else(|| {
            Error::invalid_shape("fill_triangular input", self.shape(), format!("last dimension {m} is not a triangular number"))
        })?;
        let padded = self.pad(r - 1, 0, 1, 0.0)?;
        let mut shape = self.shape()[..r - 1].to_vec();
        shape.extend([n, n]);
        padded.index_select(r - 1, &fill_map(n, upper))?.reshape(&shape)
    }
    /// The inverse of [`Tensor::fill_triangular`]: `[..., n, n] -> [..., n(n+1)/2]`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let v = Tensor::vector(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], DType::F64)?;
    /// assert_eq!(v.fill_triangular()?.fill_triangular_inverse()?.to_vec()?, v.to_vec()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn fill_triangular_inverse(&self) -> Result<Tensor> {
        self.fill_triangular_inverse_ext(false)
    }
    /// The inverse of [`Tensor::fill_triangular_ext`].
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let v = Tensor::vector(&[1.0, 2.0, 3.0], DType::F64)?;
    /// assert_eq!(v.fill_triangular_ext(true)?.fill_triangular_inverse_ext(true)?.to_vec()?, vec![1.0, 2.0, 3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn fill_triangular_inverse_ext(&self, upper: bool) -> Result<Tensor> {
        let r = self.rank();
        if r < 2 || self.shape()[r - 1] != self.shape()[r - 2] {
            return Err(Error::invalid_shape("fill_triangular_inverse input", self.shape(), "expected [..., n, n]"));
        }
        let n = self.shape()[r - 1];
        let m = n * (n + 1) / 2;
        let mut inv = vec![0u32; m];
        for (pos, &src) in fill_map(n, upper).iter().enumerate() {
            if (src as usize) < m {
                inv[src as usize] = pos as u32;
            }
        }
        let mut flat = self.shape()[..r - 2].to_vec();
        flat.push(n * n);
        self.reshape(&flat)?.index_select(r - 2, &inv)
    }
    /// Replaces the diagonal of matrices `[..., n, n]` with `d [..., n]`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
    /// let b = a.set_diag(&Tensor::vector(&[0.0, 0.0], DType::F64)?)?;
    /// assert_eq!(b.to_vec()?, vec![0.0, 2.0, 3.0, 0.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn set_diag(&self, d: &Tensor) -> Result<Tensor> {
        let r = self.rank();
        if r < 2 {
            return Err(Error::invalid_shape("set_diag input", self.shape(), "rank must be >= 2"));
        }
        let n = self.shape()[r - 1];
        let off = Tensor::eye(n, &[], self.dtype())?.affine(-1.0, 1.0)?;
        self.mul(&off)?.add(&Tensor::matrix_diag(d)?)
    }
}

/// Convenience: `n × n` identity of a dtype.
///
/// ```
/// use probrs::tensor::linalg::eye;
/// use probrs::tensor::DType;
/// assert_eq!(eye(2, DType::F32)?.to_vec()?, vec![1.0, 0.0, 0.0, 1.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn eye(n: usize, dtype: DType) -> Result<Tensor> {
    Tensor::eye(n, &[], dtype)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn fill_triangular_matches_tfp_order() {
        let x = Tensor::vector(&[1., 2., 3., 4., 5., 6.], DType::F64).unwrap();
        let y = x.fill_triangular().unwrap();
        assert_eq!(y.to_vec().unwrap(), vec![4., 0., 0., 6., 5., 0., 3., 2., 1.]);
        assert_eq!(y.fill_triangular_inverse().unwrap().to_vec().unwrap(), vec![1., 2., 3., 4., 5., 6.]);
        assert!(Tensor::vector(&[1., 2., 3., 4.], DType::F64).unwrap().fill_triangular().is_err());
    }
    #[test]
    fn tril_rows_detects_triangular_numbers() {
        assert_eq!(tril_rows(10), Some(4));
        assert_eq!(tril_rows(1), Some(1));
        assert_eq!(tril_rows(0), Some(0));
        assert_eq!(tril_rows(7), None);
    }
}
