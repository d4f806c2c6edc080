//! The zero-mean Gaussian log-likelihood of points under one covariance matrix, as a single
//! autodiff node (the Gaussian-process marginal likelihood's hot path):
//!
//! ```text
//! ℓ_s = −½ d_sᵀ K⁻¹ d_s − ½ log det K − (n/2) log 2π,    d_s [n], K [n, n]
//! ∂ℓ_s/∂K = ½ (α_s α_sᵀ − K⁻¹),   ∂ℓ_s/∂d_s = −α_s,   α_s = K⁻¹ d_s
//! ```
//! faer factors `K` once (Cholesky) in the input's precision; the backward forms `K⁻¹` from the
//! same factor. The
//! generic path (a Cholesky node, triangular solves, and the Cholesky backward through
//! matmuls) builds the same values from many more operations. Gradients are checked against
//! finite differences in the tests.

use super::Tensor;
use crate::error::{Error, Result};
use candle_core::{CpuStorage, CustomOp3, Layout, Shape, WithDType};
use faer::linalg::solvers::{DenseSolveCore, Llt, Solve};
use faer::Mat;
use std::sync::Mutex;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// The two precisions the op computes in (the input's own: float32 data is factored in f32, as
/// TFP does).
trait Real: faer::traits::RealField + WithDType + Copy {}
impl Real for f32 {}
impl Real for f64 {}

/// The forward's factor and `α` (columns: one per point), reused by the backward.
enum Saved {
    F32(Llt<f32>, Mat<f32>),
    F64(Llt<f64>, Mat<f64>),
}

struct Op {
    saved: Mutex<Option<Saved>>,
}


/// `(ℓ_s for each point, factor, α)` of `K + v I`.
fn forward<T: Real>(k: &[T], v: T, d: &[T], n: usize) -> candle_core::Result<(Vec<f64>, Llt<T>, Mat<T>)> {
    let pts = d.len() / n.max(1);
    let km = Mat::from_fn(n, n, |i, j| if i == j { k[i * n + j] + v } else { k[i * n + j] });
    let llt = km.llt(faer::Side::Lower).map_err(|_| candle_core::Error::Msg(format!("gaussian_log_likelihood: the {n}x{n} covariance is not positive definite")))?;
    let dm = Mat::from_fn(n, pts, |i, s| d[s * n + i]);
    let alpha = llt.solve(&dm);
    let l = llt.L();
    let half_logdet: f64 = (0..n).map(|i| l[(i, i)].to_f64().ln()).sum();
    let out = (0..pts).map(|s| -0.5 * (0..n).map(|i| dm[(i, s)].to_f64() * alpha[(i, s)].to_f64()).sum::<f64>() - half_logdet - 0.5 * n as f64 * LN_2PI).collect();
    Ok((out, llt, alpha))
}

/// `(∂/∂K, ∂/∂v, ∂/∂d)` for upstream gradients `g [pts]`.
fn backward<T: Real>(llt: &Llt<T>, alpha: &Mat<T>, g: &[f64]) -> (Vec<T>, T, Vec<T>) {
    let n = alpha.nrows();
    let pts = alpha.ncols();
    let gsum: f64 = g.iter().sum();
    let kinv = llt.inverse();
    // Both K⁻¹ and Σ_s g_s α_s α_sᵀ are symmetric, so the column-major walk below (contiguous
    // in K⁻¹'s storage) fills the row-major result as well.
    let alphas: Vec<Vec<f64>> = (0..pts).map(|s| (0..n).map(|i| alpha[(i, s)].to_f64()).collect()).collect();
    let mut gk = vec![T::zero(); n * n];
    let mut trace = 0.0;
    for j in 0..n {
        let col = kinv.col(j).try_as_col_major().expect("faer matrices are column-major");
        let col = col.as_slice();
        let out = &mut gk[j * n..(j + 1) * n];
        if pts == 1 {
            let (a, gj) = (&alphas[0], g[0] * alphas[0][j]);
            for i in 0..n {
                out[i] = T::from_f64(0.5 * (gj * a[i] - gsum * col[i].to_f64()));
            }
        } else {
            for i in 0..n {
                let aa: f64 = g.iter().zip(&alphas).map(|(gs, a)| gs * a[i] * a[j]).sum();
                out[i] = T::from_f64(0.5 * (aa - gsum * col[i].to_f64()));
            }
        }
        trace += out[j].to_f64();
    }
    let mut gd = vec![T::zero(); n * pts];
    for (s, gs) in g.iter().enumerate() {
        for i in 0..n {
            gd[s * n + i] = T::from_f64(-gs * alpha[(i, s)].to_f64());
        }
    }
    (gk, T::from_f64(trace), gd)
}

/// A contiguous input's elements, borrowed (the shared helper, with this op's name).
fn slice<'a, T>(s: &'a [T], l: &Layout) -> candle_core::Result<&'a [T]> {
    super::contiguous_slice(s, l, "gaussian_log_likelihood")
}

impl CustomOp3 for Op {
    fn name(&self) -> &'static str {
        "gaussian_log_likelihood"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        super::fix_matmul_thread_count();
        let n = l1.shape().dims()[0];
        let (out, saved) = match (s1, s2, s3) {
            (CpuStorage::F32(k), CpuStorage::F32(v), CpuStorage::F32(d)) => {
                let (out, llt, alpha) = forward(slice(k, l1)?, slice(v, l2)?[0], slice(d, l3)?, n)?;
                (CpuStorage::F32(out.iter().map(|x| *x as f32).collect()), Saved::F32(llt, alpha))
            }
            (CpuStorage::F64(k), CpuStorage::F64(v), CpuStorage::F64(d)) => {
                let (out, llt, alpha) = forward(slice(k, l1)?, slice(v, l2)?[0], slice(d, l3)?, n)?;
                (CpuStorage::F64(out), Saved::F64(llt, alpha))
            }
            _ => candle_core::bail!("gaussian_log_likelihood: float32 or float64 inputs of one dtype"),
        };
        let pts = l3.shape().elem_count() / n.max(1);
        *self.saved.lock().unwrap_or_else(|p| p.into_inner()) = Some(saved);
        Ok((out, Shape::from(vec![pts])))
    }
    #[allow(clippy::type_complexity)]
    fn bwd(&self, k: &candle_core::Tensor, v: &candle_core::Tensor, d: &candle_core::Tensor, _res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<(Option<candle_core::Tensor>, Option<candle_core::Tensor>, Option<candle_core::Tensor>)> {
        let guard = self.saved.lock().unwrap_or_else(|p| p.into_inner());
        let gv = Tensor(g.clone()).to_vec().map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        let dev = k.device();
        match guard.as_ref() {
            Some(Saved::F32(llt, alpha)) => {
                let (gk, gvv, gd) = backward(llt, alpha, &gv);
                Ok((Some(candle_core::Tensor::from_vec(gk, k.dims(), dev)?), Some(candle_core::Tensor::new(gvv, dev)?.reshape(v.dims())?), Some(candle_core::Tensor::from_vec(gd, d.dims(), dev)?)))
            }
            Some(Saved::F64(llt, alpha)) => {
                let (gk, gvv, gd) = backward(llt, alpha, &gv);
                Ok((Some(candle_core::Tensor::from_vec(gk, k.dims(), dev)?), Some(candle_core::Tensor::new(gvv, dev)?.reshape(v.dims())?), Some(candle_core::Tensor::from_vec(gd, d.dims(), dev)?)))
            }
            None => candle_core::bail!("gaussian_log_likelihood backward before forward"),
        }
    }
}

impl Tensor {
    /// `log N(d; 0, K)` for points `d [..., n]` under one covariance `K [n, n]`: `[...]`.
    pub fn gaussian_log_likelihood(cov: &Tensor, dev: &Tensor) -> Result<Tensor> {
        Self::gaussian_log_likelihood_plus_diagonal(cov, &Tensor::scalar(0.0, cov.dtype())?, dev)
    }

    /// `log N(d; 0, K + v I)` for a scalar `v` (observation noise and jitter added inside the
    /// node, with gradient `tr ∂ℓ/∂K`, instead of building `v I` and a sum of two n × n
    /// matrices).
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
