//! The zero-mean Gaussian log-likelihood of points under one covariance matrix, as a single
//! autodiff node (the Gaussian-process marginal likelihood's hot path):
//!
//! ```text
//! ℓ_s = −½ d_sᵀ K⁻¹ d_s − ½ log det K − (n/2) log 2π,    d_s [n], K [n, n]
//! ∂ℓ_s/∂K = ½ (α_s α_sᵀ − K⁻¹),   ∂ℓ_s/∂d_s = −α_s,   α_s = K⁻¹ d_s
//! ```
//! faer factors `K` once (Cholesky, one triangle read) in the input's precision, in place
//! in a buffer of our own; the backward forms `K⁻¹` from the same factor directly in the buffer
//! that becomes `∂/∂K` (faer's low-level API: no zeroed or mirrored copies of the factor or of
//! the inverse). The generic path (a Cholesky node, triangular solves, and the Cholesky backward through
//! matmuls) builds the same values from many more operations. Gradients are checked against
//! finite differences in the tests.

use crate::tensor::Tensor;
use crate::error::{Error, Result};
use candle_core::{CpuStorage, CustomOp3, Layout, Shape};
use crate::tensor::special::vector_exp::Real as VReal;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::{factor, solve};
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::mat::AsMatMut;
use faer::{Accum, MatMut, MatRef, Par};
use std::sync::Mutex;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// The two precisions the op computes in (the input's own: float32 data is factored in f32, as
/// TFP does).
trait Real: faer::traits::RealField + Copy + VReal {}
impl Real for f32 {}
impl Real for f64 {}

/// What the forward keeps for the backward: the factor `L` (column-major `n × n`, lower
/// triangle) and `α` (column-major `n × pts`).
struct Factor<T> {
    l: Vec<T>,
    alpha: Vec<T>,
    n: usize,
}

enum Saved {
    F32(Factor<f32>),
    F64(Factor<f64>),
}

struct Op {
    saved: Mutex<Option<Saved>>,
}

/// faer's parallelism for an `n × n` operation that gains from a second thread from `min_n` on:
/// rayon's pool when probrs runs on more than one thread and `n ≥ min_n`, else sequential.
fn par_for(n: usize, min_n: usize) -> Par {
    let t = crate::tensor::op_threads();
    if t > 1 && n >= min_n {
        Par::rayon(t)
    } else {
        Par::Seq
    }
}

/// From this size the Cholesky factorization runs on rayon's pool (measured on 2 cores, in one
/// process alternating: n = 1000 f32 5.9–8.3 ms sequential vs 6.8 ms on the pool, n = 2000 f64
/// 96–105 vs 72–87 ms). An 8 × 8 factor on the pool took 40% longer than sequentially.
const PAR_MIN_FACTOR: usize = 1536;
/// From this size the inverse (triangular inverse and `L⁻ᵀ L⁻¹`) runs on the pool (n = 1000
/// f32: 21–26 ms sequential vs 16 ms).
const PAR_MIN_INVERSE: usize = 256;

/// `(ℓ_s for each point, factor and α)` of `K + v I`, `K`'s upper triangle read (`K` is taken to
/// be symmetric).
fn forward<T: Real>(k: &[T], v: T, d: &[T], n: usize) -> candle_core::Result<(Vec<f64>, Factor<T>)> {
    let pts = d.len() / n.max(1);
    let par = par_for(n, PAR_MIN_FACTOR);
    // Row-major K read as column-major is Kᵀ: its lower triangle (column j from the diagonal
    // down) is K's upper (row j from the diagonal on). One contiguous copy; the factorization
    // reads and writes the lower triangle only.
    let mut l = k.to_vec();
    for i in 0..n {
        l[i * n + i] += v;
    }
    let mut mem = MemBuffer::new(factor::cholesky_in_place_scratch::<T>(n, par, Default::default()));
    factor::cholesky_in_place(MatMut::from_column_major_slice_mut(&mut l, n, n), Default::default(), par, MemStack::new(&mut mem), Default::default())
        .map_err(|e| match e {
            factor::LltError::NonPositivePivot { index } => candle_core::Error::Msg(format!("gaussian_log_likelihood: the {n}x{n} covariance is not positive definite (pivot {index} of the Cholesky factorization is not positive)")),
        })?;
    // d is [pts, n] row-major, i.e. column-major n × pts: α = K⁻¹ d in place of a copy.
    let mut alpha = d.to_vec();
    let lr = MatRef::from_column_major_slice(&l, n, n);
    solve::solve_in_place(lr, MatMut::from_column_major_slice_mut(&mut alpha, n, pts), par, MemStack::new(&mut MemBuffer::new(solve::solve_in_place_scratch::<T>(n, pts, par))));
    let half_logdet: f64 = (0..n).map(|i| l[i * n + i].to_f64().ln()).sum();
    let out = (0..pts)
        .map(|s| -0.5 * d[s * n..(s + 1) * n].iter().zip(&alpha[s * n..(s + 1) * n]).map(|(x, a)| x.to_f64() * a.to_f64()).sum::<f64>() - half_logdet - 0.5 * n as f64 * LN_2PI)
        .collect();
    Ok((out, Factor { l, alpha, n }))
}

/// `(∂/∂K, ∂/∂v, ∂/∂d)` for upstream gradients `g [pts]`, consuming the factor: `W = ½ (Σ_s g_s
/// α_s α_sᵀ − (Σ_s g_s) K⁻¹)`, and `∂/∂K` the derivative of the forward as it reads `K` — its
/// upper triangle — so `W` on the diagonal, `2W` above it, 0 below. `K⁻¹` is formed in the
/// factor's own buffer, which becomes the gradient (no n × n allocation, no mirror).
fn backward<T: Real>(mut f: Factor<T>, g: &[f64]) -> (Vec<T>, T, Vec<T>) {
    let n = f.n;
    let pts = f.alpha.len() / n.max(1);
    let par = par_for(n, PAR_MIN_INVERSE);
    let gsum: f64 = g.iter().sum();
    {
        // K⁻¹ = L⁻ᵀ L⁻¹ (lower triangle), as faer's `llt::inverse` but written over L, which is
        // no longer needed once L⁻¹ is formed.
        let mut mem = MemBuffer::new(faer::linalg::temp_mat_scratch::<T>(n, n));
        // SAFETY: as in faer's own `llt::inverse`: the triangular inverse writes the temporary's
        // lower triangle, and the product reads only that triangle.
        let (mut linv, _) = unsafe { faer::linalg::temp_mat_uninit::<T, _, _>(n, n, MemStack::new(&mut mem)) };
        let mut linv = linv.as_mat_mut();
        faer::linalg::triangular_inverse::invert_lower_triangular(linv.as_mut(), MatRef::from_column_major_slice(&f.l, n, n), par);
        let linv = linv.as_ref();
        triangular::matmul(
            MatMut::from_column_major_slice_mut(&mut f.l, n, n),
            BlockStructure::TriangularLower,
            Accum::Replace,
            linv.transpose(),
            BlockStructure::TriangularUpper,
            linv,
            BlockStructure::TriangularLower,
            T::of(1.0),
            par,
        );
    }
    let mut gk = f.l;
    let (two, mgsum) = (T::of(2.0), T::of(-0.5 * gsum));
    let ga: Vec<T> = (0..pts).flat_map(|s| f.alpha[s * n..(s + 1) * n].iter().map(move |a| T::of(g[s] * a.to_f64()))).collect();
    let mut trace = 0.0;
    crate::tensor::special::vector_exp::multiversion!({
        for j in 0..n {
            // Column j: rows above the diagonal (row-major: below it) are 0; from the diagonal
            // down, 2W (the diagonal W).
            let (above, col) = gk[j * n..(j + 1) * n].split_at_mut(j);
            above.fill(T::ZERO);
            for v in col.iter_mut() {
                *v = mgsum * *v;
            }
            for s in 0..pts {
                let aj = T::of(0.5) * f.alpha[s * n + j];
                for (v, &ga_i) in col.iter_mut().zip(&ga[s * n + j..(s + 1) * n]) {
                    *v = *v + ga_i * aj;
                }
            }
            trace += col[0].to_f64();
            let diag = col[0];
            for v in col.iter_mut() {
                *v = two * *v;
            }
            col[0] = diag;
        }
    });
    let gd = (0..pts).flat_map(|s| f.alpha[s * n..(s + 1) * n].iter().map(move |a| T::of(-g[s] * a.to_f64()))).collect();
    (gk, T::of(trace), gd)
}

/// A contiguous input's elements, borrowed (the shared helper, with this op's name).
fn slice<'a, T>(s: &'a [T], l: &Layout) -> candle_core::Result<&'a [T]> {
    crate::tensor::contiguous_slice(s, l, "gaussian_log_likelihood")
}

impl CustomOp3 for Op {
    fn name(&self) -> &'static str {
        "gaussian_log_likelihood"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        crate::tensor::fix_matmul_thread_count();
        let n = l1.shape().dims()[0];
        let (out, saved) = match (s1, s2, s3) {
            (CpuStorage::F32(k), CpuStorage::F32(v), CpuStorage::F32(d)) => {
                let (out, f) = forward(slice(k, l1)?, slice(v, l2)?[0], slice(d, l3)?, n)?;
                (CpuStorage::F32(out.iter().map(|x| *x as f32).collect()), Saved::F32(f))
            }
            (CpuStorage::F64(k), CpuStorage::F64(v), CpuStorage::F64(d)) => {
                let (out, f) = forward(slice(k, l1)?, slice(v, l2)?[0], slice(d, l3)?, n)?;
                (CpuStorage::F64(out), Saved::F64(f))
            }
            _ => candle_core::bail!("gaussian_log_likelihood: float32 or float64 inputs of one dtype"),
        };
        let pts = l3.shape().elem_count() / n.max(1);
        *self.saved.lock().unwrap_or_else(|p| p.into_inner()) = Some(saved);
        Ok((out, Shape::from(vec![pts])))
    }
    #[allow(clippy::type_complexity)]
    fn bwd(&self, k: &candle_core::Tensor, v: &candle_core::Tensor, d: &candle_core::Tensor, _res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<(Option<candle_core::Tensor>, Option<candle_core::Tensor>, Option<candle_core::Tensor>)> {
        // The factor is consumed (its buffer becomes ∂/∂K); a second backward through the same
        // node factors again from the inputs.
        let saved = self.saved.lock().unwrap_or_else(|p| p.into_inner()).take();
        let gv = Tensor(g.clone()).to_vec().map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        let dev = k.device();
        macro_rules! grads {
            ($f:expr) => {{
                let (gk, gvv, gd) = backward($f, &gv);
                Ok((Some(candle_core::Tensor::from_vec(gk, k.dims(), dev)?), Some(candle_core::Tensor::new(gvv, dev)?.reshape(v.dims())?), Some(candle_core::Tensor::from_vec(gd, d.dims(), dev)?)))
            }};
        }
        macro_rules! refactor {
            ($t:ty) => {{
                let flat = |t: &candle_core::Tensor| t.flatten_all()?.to_vec1::<$t>();
                let (kv, vv, dv) = (flat(k)?, flat(v)?, flat(d)?);
                forward(&kv, vv[0], &dv, k.dims()[0])?.1
            }};
        }
        match saved {
            Some(Saved::F32(f)) => grads!(f),
            Some(Saved::F64(f)) => grads!(f),
            None if k.dtype() == candle_core::DType::F32 => grads!(refactor!(f32)),
            None => grads!(refactor!(f64)),
        }
    }
}

impl Tensor {
    /// `log N(d; 0, K)` for points `d [..., n]` under one covariance `K [n, n]`: `[...]`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// // K = 2 I in two dimensions, d = 0: −log(2π) − ½ log 4
    /// let k = Tensor::from_slice(&[2.0, 0.0, 0.0, 2.0], &[2, 2], DType::F64)?;
    /// let ll = Tensor::gaussian_log_likelihood(&k, &Tensor::zeros(&[2], DType::F64)?)?.to_scalar()?;
    /// assert!((ll - (-(2.0 * std::f64::consts::PI).ln() - 0.5 * 4f64.ln())).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn gaussian_log_likelihood(cov: &Tensor, dev: &Tensor) -> Result<Tensor> {
        Self::gaussian_log_likelihood_plus_diagonal(cov, &Tensor::scalar(0.0, cov.dtype())?, dev)
    }

    /// `log N(d; 0, K + v I)` for a scalar `v` (observation noise and jitter added inside the
    /// node, with gradient `tr ∂ℓ/∂K`, instead of building `v I` and a sum of two n × n
    /// matrices).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// // K + v I with K = I, v = 1 equals the plain likelihood under 2 I.
    /// let i = Tensor::from_slice(&[1.0, 0.0, 0.0, 1.0], &[2, 2], DType::F64)?;
    /// let d = Tensor::vector(&[0.3, -1.0], DType::F64)?;
    /// let a = Tensor::gaussian_log_likelihood_plus_diagonal(&i, &Tensor::scalar(1.0, DType::F64)?, &d)?.to_scalar()?;
    /// let b = Tensor::gaussian_log_likelihood(&i.mul_scalar(2.0)?, &d)?.to_scalar()?;
    /// assert!((a - b).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn gaussian_log_likelihood_plus_diagonal(cov: &Tensor, diagonal: &Tensor, dev: &Tensor) -> Result<Tensor> {
        if diagonal.elem_count() != 1 {
            return Err(Error::invalid_shape("gaussian_log_likelihood diagonal addend", diagonal.shape(), "expected a scalar"));
        }
        cov.check_dtype(diagonal, "gaussian_log_likelihood")?;
        let r = dev.rank();
        if cov.rank() != 2 || cov.shape()[0] != cov.shape()[1] || r == 0 || dev.shape()[r - 1] != cov.shape()[0] {
            return Err(Error::ShapeMismatch { context: "gaussian_log_likelihood covariance [n, n] vs points [..., n]".into(), lhs: cov.shape().to_vec(), rhs: dev.shape().to_vec() });
        }
        cov.check_dtype(dev, "gaussian_log_likelihood")?;
        let n = cov.shape()[0];
        let lead = dev.shape()[..r - 1].to_vec();
        let pts: usize = lead.iter().product();
        let flat = dev.reshape(&[pts, n])?.contiguous()?;
        let diag = diagonal.reshape(&[1])?.contiguous()?;
        let out = Tensor(cov.contiguous()?.0.apply_op3(&diag.0, &flat.0, Op { saved: Mutex::new(None) }).map_err(|e| match e {
            candle_core::Error::Msg(m) => Error::LinearAlgebra { op: "gaussian_log_likelihood".into(), reason: m },
            other => Error::Backend(other),
        })?);
        out.reshape(&lead)
    }
}
