//! The zero-mean Gaussian log-likelihood of points under one covariance matrix, as a single
//! autodiff node (the Gaussian-process marginal likelihood's hot path):
//!
//! ```text
//! ℓ_s = −½ d_sᵀ K⁻¹ d_s − ½ log det K − (n/2) log 2π,    d_s [n], K [n, n]
//! ∂ℓ_s/∂K = ½ (α_s α_sᵀ − K⁻¹),   ∂ℓ_s/∂d_s = −α_s,   α_s = K⁻¹ d_s
//! ```
//! faer factors `K` once (Cholesky) in f64; the backward forms `K⁻¹` from the same factor. The
//! generic path (a Cholesky node, triangular solves, and the Cholesky backward through
//! matmuls) builds the same values from many more operations. Gradients are checked against
//! finite differences in the tests.

use super::{storage_f64, Tensor};
use crate::error::{Error, Result};
use candle_core::{CpuStorage, CustomOp2, Layout, Shape};
use faer::linalg::solvers::{DenseSolveCore, Solve};
use faer::Mat;
use std::sync::Mutex;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

struct Op {
    /// The forward's factor and `α` (columns: one per point), reused by the backward.
    saved: Mutex<Option<(faer::linalg::solvers::Llt<f64>, Mat<f64>)>>,
}

impl CustomOp2 for Op {
    fn name(&self) -> &'static str {
        "gaussian_log_likelihood"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let k = storage_f64(s1, l1)?;
        let d = storage_f64(s2, l2)?;
        let n = l1.shape().dims()[0];
        let pts = d.len() / n.max(1);
        let km = Mat::from_fn(n, n, |i, j| k[i * n + j]);
        let llt = km.llt(faer::Side::Lower).map_err(|_| candle_core::Error::Msg(format!("gaussian_log_likelihood: the {n}x{n} covariance is not positive definite")))?;
        let dm = Mat::from_fn(n, pts, |i, s| d[s * n + i]);
        let alpha = llt.solve(&dm);
        let l = llt.L();
        let half_logdet: f64 = (0..n).map(|i| l[(i, i)].ln()).sum();
        let out: Vec<f64> = (0..pts).map(|s| -0.5 * (0..n).map(|i| dm[(i, s)] * alpha[(i, s)]).sum::<f64>() - half_logdet - 0.5 * n as f64 * LN_2PI).collect();
        *self.saved.lock().unwrap_or_else(|p| p.into_inner()) = Some((llt, alpha));
        let out = match s1 {
            CpuStorage::F32(_) => CpuStorage::F32(out.iter().map(|v| *v as f32).collect()),
            _ => CpuStorage::F64(out),
        };
        Ok((out, Shape::from(vec![pts])))
    }
    fn bwd(&self, k: &candle_core::Tensor, d: &candle_core::Tensor, _res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<(Option<candle_core::Tensor>, Option<candle_core::Tensor>)> {
        let guard = self.saved.lock().unwrap_or_else(|p| p.into_inner());
        let (llt, alpha) = guard.as_ref().ok_or_else(|| candle_core::Error::Msg("gaussian_log_likelihood backward before forward".into()))?;
        let gv = Tensor(g.clone()).to_vec().map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        let n = alpha.nrows();
        let pts = alpha.ncols();
        let gsum: f64 = gv.iter().sum();
        let kinv = llt.inverse();
        let mut gk = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                let mut aa = 0.0;
                for (s, gs) in gv.iter().enumerate() {
                    aa += gs * alpha[(i, s)] * alpha[(j, s)];
                }
                gk[i * n + j] = 0.5 * (aa - gsum * kinv[(i, j)]);
            }
        }
        let mut gd = vec![0.0; n * pts];
        for (s, gs) in gv.iter().enumerate() {
            for i in 0..n {
                gd[s * n + i] = -gs * alpha[(i, s)];
            }
        }
        let build = |v: Vec<f64>, like: &candle_core::Tensor| candle_core::Tensor::from_vec(v, like.dims(), like.device())?.to_dtype(like.dtype());
        Ok((Some(build(gk, k)?), Some(build(gd, d)?)))
    }
}

impl Tensor {
    /// `log N(d; 0, K)` for points `d [..., n]` under one covariance `K [n, n]`: `[...]`.
    pub fn gaussian_log_likelihood(cov: &Tensor, dev: &Tensor) -> Result<Tensor> {
        let r = dev.rank();
        if cov.rank() != 2 || cov.shape()[0] != cov.shape()[1] || r == 0 || dev.shape()[r - 1] != cov.shape()[0] {
            return Err(Error::ShapeMismatch { context: "gaussian_log_likelihood covariance [n, n] vs points [..., n]".into(), lhs: cov.shape().to_vec(), rhs: dev.shape().to_vec() });
        }
        cov.check_dtype(dev, "gaussian_log_likelihood")?;
        let n = cov.shape()[0];
        let lead = dev.shape()[..r - 1].to_vec();
        let pts: usize = lead.iter().product();
        let flat = dev.reshape(&[pts, n])?.contiguous()?;
        let out = Tensor(cov.contiguous()?.0.apply_op2(&flat.0, Op { saved: Mutex::new(None) }).map_err(|e| match e {
            candle_core::Error::Msg(m) => Error::LinearAlgebra { op: "gaussian_log_likelihood".into(), reason: m },
            other => Error::Backend(other),
        })?);
        out.reshape(&lead)
    }
}
