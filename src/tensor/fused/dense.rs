//! A dense layer's `act(x · W + b)` as one autodiff node (act = identity or relu): the bias is
//! written into the output first and the GEMM accumulates onto it, relu is applied in place,
//! and the backward pass computes all three gradients from the kept output — instead of a GEMM
//! into a zero-filled buffer, a bias node copying it, a relu node copying it again, and three
//! backward nodes with their own buffers (a tenth of the VAE's training step).
//!
//! ```text
//! y = act(x W + b)      x [m, k], W [k, n], b [n]
//! ḡ = g · 1[y > 0] (relu) or g      ∂/∂x = ḡ Wᵀ,   ∂/∂W = xᵀ ḡ,   ∂/∂b = Σ_rows ḡ
//! ```
//!
//! The products are `gemm`'s (the crate candle's CPU matmul runs on), reading the transposes
//! through strides; the gradient of an operand that leads to no variable is not computed.

use crate::error::{Error, Result};
use crate::tensor::special::vector_exp::Real;
use crate::tensor::Tensor;
use candle_core::{CpuStorage, CustomOp3, Layout, Shape};

struct Dense {
    relu: bool,
}

/// A GEMM operand: its first element and its row and column strides.
#[derive(Clone, Copy)]
struct Operand<T> {
    ptr: *const T,
    rs: usize,
    cs: usize,
}

impl<T> Operand<T> {
    /// A row-major matrix with `cols` columns.
    fn rows(v: &[T], cols: usize) -> Self {
        Operand { ptr: v.as_ptr(), rs: cols, cs: 1 }
    }
    /// The transpose of a row-major matrix with `cols` columns.
    fn transposed(v: &[T], cols: usize) -> Self {
        Operand { ptr: v.as_ptr(), rs: 1, cs: cols }
    }
}

/// `dst [m, n] (+)= lhs [m, k] · rhs [k, n]`.
///
/// # Safety
/// `dst` holds `m·n` elements (row stride `n`); `lhs` and `rhs` reach every element their
/// strides address.
unsafe fn gemm_into<T: 'static + Real>(m: usize, n: usize, k: usize, dst: *mut T, accumulate: bool, lhs: Operand<T>, rhs: Operand<T>) {
    let threads = crate::tensor::threads_for(m * n * k);
    let par = if threads > 1 { gemm::Parallelism::Rayon(threads) } else { gemm::Parallelism::None };
    let one = T::of(1.0);
    gemm::gemm(m, n, k, dst, 1, n as isize, accumulate, lhs.ptr, lhs.cs as isize, lhs.rs as isize, rhs.ptr, rhs.cs as isize, rhs.rs as isize, one, one, false, false, false, par)
}

/// `lhs [m, k] · rhs [k, n]` into a fresh buffer the GEMM overwrites entirely (`read_dst =
/// false`, so it is never zero-filled). The operands must come from slices covering them.
fn gemm_output<T: 'static + Real>(m: usize, n: usize, k: usize, lhs: Operand<T>, rhs: Operand<T>) -> Vec<T> {
    let mut out = Vec::<T>::with_capacity(m * n);
    // SAFETY: `out` has capacity m·n; gemm with read_dst = false writes every element of the
    // m × n destination before the length is set; the operands cover their matrices (callers
    // build them from the full slices).
    unsafe {
        gemm_into(m, n, k, out.as_mut_ptr(), false, lhs, rhs);
        out.set_len(m * n);
    }
    out
}

fn forward<T: 'static + Real>(x: &[T], w: &[T], b: &[T], relu: bool) -> Vec<T> {
    let n = b.len();
    let k = w.len() / n;
    let m = x.len() / k;
    let mut out = Vec::with_capacity(m * n);
    for _ in 0..m {
        out.extend_from_slice(b);
    }
    // SAFETY: out has m·n elements; x is m × k and w is k × n, row-major.
    unsafe { gemm_into(m, n, k, out.as_mut_ptr(), true, Operand::rows(x, k), Operand::rows(w, n)) };
    if relu {
        // A select, not a conditional store: the branch mispredicts on half the entries.
        for o in out.iter_mut() {
            *o = if *o > T::ZERO { *o } else { T::ZERO };
        }
    }
    out
}

/// The gradients `(ḡ Wᵀ, xᵀ ḡ, Σ_rows ḡ)` for `n` output units, the first two only where wanted.
fn backward<T: 'static + Real>(x: &[T], w: &[T], y: &[T], g: &[T], n: usize, relu: bool, want: [bool; 2]) -> (Option<Vec<T>>, Option<Vec<T>>, Vec<T>) {
    let (k, m) = (w.len() / n, y.len() / n);
    let masked: Vec<T>;
    let gb: &[T] = if relu {
        masked = g.iter().zip(y).map(|(g, y)| if *y > T::ZERO { *g } else { T::ZERO }).collect();
        &masked
    } else {
        g
    };
    // Wᵀ [n, k] read from W [k, n]; xᵀ [k, m] read from x [m, k].
    let dx = want[0].then(|| gemm_output(m, k, n, Operand::rows(gb, n), Operand::transposed(w, n)));
    let dw = want[1].then(|| gemm_output(k, n, m, Operand::transposed(x, k), Operand::rows(gb, n)));
    let mut db = vec![T::ZERO; n];
    for row in gb.chunks_exact(n) {
        for (d, v) in db.iter_mut().zip(row) {
            *d = *d + *v;
        }
    }
    (dx, dw, db)
}

type Grads = (Option<candle_core::Tensor>, Option<candle_core::Tensor>, Option<candle_core::Tensor>);

fn gradients<T: 'static + Real + candle_core::WithDType>(x: &candle_core::Tensor, w: &candle_core::Tensor, b: &candle_core::Tensor, y: &candle_core::Tensor, g: &candle_core::Tensor, relu: bool) -> candle_core::Result<Grads> {
    use crate::tensor::with_slice;
    let g = g.contiguous()?;
    let want = [x.track_op(), w.track_op()];
    let n = b.elem_count();
    let (dx, dw, db) = with_slice::<T, _>(x, |xv| with_slice::<T, _>(w, |wv| with_slice::<T, _>(y, |yv| with_slice::<T, _>(&g, |gv| backward(xv, wv, yv, gv, n, relu, want)))))????;
    let dev = x.device();
    let dx = dx.map(|v| candle_core::Tensor::from_vec(v, x.dims(), dev)).transpose()?;
    let dw = dw.map(|v| candle_core::Tensor::from_vec(v, w.dims(), dev)).transpose()?;
    Ok((dx, dw, Some(candle_core::Tensor::from_vec(db, b.dims(), dev)?)))
}

impl CustomOp3 for Dense {
    fn name(&self) -> &'static str {
        "dense"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        use crate::tensor::contiguous_slice as s;
        let out = match (s1, s2, s3) {
            (CpuStorage::F32(x), CpuStorage::F32(w), CpuStorage::F32(b)) => CpuStorage::F32(forward(s(x, l1, "dense")?, s(w, l2, "dense")?, s(b, l3, "dense")?, self.relu)),
            (CpuStorage::F64(x), CpuStorage::F64(w), CpuStorage::F64(b)) => CpuStorage::F64(forward(s(x, l1, "dense")?, s(w, l2, "dense")?, s(b, l3, "dense")?, self.relu)),
            _ => candle_core::bail!("dense: float32 or float64 operands of one dtype"),
        };
        Ok((out, Shape::from((l1.dims()[0], l3.dims()[0]))))
    }
    fn bwd(&self, x: &candle_core::Tensor, w: &candle_core::Tensor, b: &candle_core::Tensor, res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<Grads> {
        match x.dtype() {
            candle_core::DType::F32 => gradients::<f32>(x, w, b, res, g, self.relu),
            _ => gradients::<f64>(x, w, b, res, g, self.relu),
        }
    }
}

impl Tensor {
    /// `x · kernel + bias`, with relu applied when `relu`, for `x [m, k]`, `kernel [k, n]`,
    /// `bias [n]`: one autodiff node (module doc). A dense layer's forward pass.
    ///
    /// ```
    /// use probrs::params::Variable;
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::from_slice(&[1.0, 2.0, -1.0, 0.5], &[2, 2], DType::F64)?;
    /// let w = Variable::new(&Tensor::from_slice(&[1.0, -1.0, 0.5, 2.0], &[2, 2], DType::F64)?, "w")?.value();
    /// let b = Tensor::vector(&[0.1, -0.2], DType::F64)?;
    /// // rows: [1 + 1 + .1, -1 + 4 - .2] and [-1 + .25 + .1, 1 + 1 - .2]
    /// let y = x.dense(&w, &b, true)?;
    /// let want = [2.1, 2.8, 0.0, 1.8];
    /// assert!(y.to_vec()?.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12));
    /// // ∂Σy/∂W = xᵀ · 1[y > 0]: the second row of x counts only in the second column.
    /// let gw = y.sum_all()?.grad(&[&w])?[0].clone().unwrap().to_vec()?;
    /// assert_eq!(gw, vec![1.0, 0.0, 2.0, 2.5]);
    /// assert!(x.dense(&w, &Tensor::vector(&[0.0], DType::F64)?, false).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn dense(&self, kernel: &Tensor, bias: &Tensor, relu: bool) -> Result<Tensor> {
        self.check_dtype(kernel, "dense")?;
        self.check_dtype(bias, "dense")?;
        let ok = self.rank() == 2 && kernel.rank() == 2 && bias.rank() == 1 && self.shape()[1] == kernel.shape()[0] && kernel.shape()[1] == bias.shape()[0];
        if !ok {
            let mut rhs = kernel.shape().to_vec();
            rhs.extend(bias.shape());
            return Err(Error::ShapeMismatch { context: "dense: x [m, k] against kernel [k, n] and bias [n] (kernel and bias dims listed together)".into(), lhs: self.shape().to_vec(), rhs });
        }
        if self.elem_count() == 0 || kernel.elem_count() == 0 {
            let out = self.matmul(kernel)?.bias_add(bias)?;
            return if relu { out.relu() } else { Ok(out) };
        }
        Ok(Tensor(self.0.contiguous()?.apply_op3(&kernel.0.contiguous()?, &bias.0.contiguous()?, Dense { relu })?))
    }
}

#[cfg(test)]
mod tests {
    use crate::params::Variable;
    use crate::tensor::{DType, Tensor};

    /// Central differences of `Σ c ⊙ dense(x, W, b)` against the op's float64 gradients for x,
    /// W and b, with and without relu; the float32 gradients against the float64 ones (f32
    /// differences across relu's kink are too coarse); the values against matmul + bias (+ relu).
    #[test]
    fn gradients_equal_finite_differences_and_values_equal_the_composition() {
        let (m, k, n) = (5, 3, 4);
        let xs: Vec<f64> = (0..m * k).map(|i| ((i * 7 % 11) as f64 - 5.0) / 3.0 + 0.05).collect();
        let ws: Vec<f64> = (0..k * n).map(|i| ((i * 5 % 7) as f64 - 3.0) / 4.0 + 0.02).collect();
        let bs: Vec<f64> = (0..n).map(|j| 0.3 - 0.2 * j as f64).collect();
        let c: Vec<f64> = (0..m * n).map(|i| 0.5 + (i % 5) as f64 / 4.0).collect();
        let mut f64_grads = Vec::new();
        for dtype in [DType::F64, DType::F32] {
            for relu in [false, true] {
                let t = |v: &[f64], s: &[usize]| Tensor::from_slice(v, s, dtype).unwrap();
                let f = |x: &[f64], w: &[f64], b: &[f64]| -> f64 {
                    let y = t(x, &[m, k]).dense(&t(w, &[k, n]), &t(b, &[n]), relu).unwrap().to_vec().unwrap();
                    y.iter().zip(&c).map(|(y, c)| y * c).sum()
                };
                let composed = {
                    let y = t(&xs, &[m, k]).matmul(&t(&ws, &[k, n])).unwrap().bias_add(&t(&bs, &[n])).unwrap();
                    if relu { y.relu().unwrap() } else { y }
                };
                let fused = t(&xs, &[m, k]).dense(&t(&ws, &[k, n]), &t(&bs, &[n]), relu).unwrap();
                let tol_v = if dtype == DType::F64 { 1e-14 } else { 1e-6 };
                for (a, b) in fused.to_vec().unwrap().iter().zip(composed.to_vec().unwrap()) {
                    assert!((a - b).abs() < tol_v, "{dtype:?} relu={relu}: {a} vs {b}");
                }
                let vars = [("x", &xs, vec![m, k]), ("w", &ws, vec![k, n]), ("b", &bs, vec![n])].map(|(name, v, s)| Variable::new(&t(v, &s), name).unwrap().value());
                let loss = vars[0].dense(&vars[1], &vars[2], relu).unwrap().mul(&t(&c, &[m, n])).unwrap().sum_all().unwrap();
                let g = loss.grad(&[&vars[0], &vars[1], &vars[2]]).unwrap();
                let (h, tol) = (1e-6, 1e-7);
                for (which, base) in [&xs, &ws, &bs].into_iter().enumerate() {
                    let got = g[which].as_ref().unwrap().to_vec().unwrap();
                    if dtype == DType::F32 {
                        let want: &Vec<f64> = &f64_grads[usize::from(relu) * 3 + which];
                        for (a, b) in got.iter().zip(want) {
                            assert!((a - b).abs() < 1e-5 * (1.0 + b.abs()), "f32 relu={relu} operand {which}: {a} vs {b}");
                        }
                        continue;
                    }
                    f64_grads.push(got.clone());
                    for i in 0..base.len() {
                        let (mut p, mut q) = (base.clone(), base.clone());
                        p[i] += h;
                        q[i] -= h;
                        let args = |v: &Vec<f64>| match which {
                            0 => f(v, &ws, &bs),
                            1 => f(&xs, v, &bs),
                            _ => f(&xs, &ws, v),
                        };
                        let fd = (args(&p) - args(&q)) / (2.0 * h);
                        assert!((fd - got[i]).abs() < tol * (1.0 + fd.abs()), "{dtype:?} relu={relu} operand {which}[{i}]: {} vs {fd}", got[i]);
                    }
                }
            }
        }
    }

    /// A constant input gets no gradient computed; the kernel and bias still do.
    #[test]
    fn an_untracked_input_is_skipped() {
        let x = Tensor::from_slice(&[1.0, 2.0], &[1, 2], DType::F64).unwrap();
        let w = Variable::new(&Tensor::from_slice(&[1.0, 0.0, 0.0, 1.0], &[2, 2], DType::F64).unwrap(), "w").unwrap().value();
        let b = Tensor::vector(&[0.0, 0.0], DType::F64).unwrap();
        let g = x.dense(&w, &b, false).unwrap().sum_all().unwrap().grad(&[&w, &x]).unwrap();
        assert_eq!(g[0].as_ref().unwrap().to_vec().unwrap(), vec![1.0, 1.0, 2.0, 2.0]);
        assert!(g[1].is_none());
    }
}
