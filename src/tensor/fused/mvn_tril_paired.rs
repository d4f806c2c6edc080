//! `log N(x_pk; μ_k, L_k L_kᵀ)` for draws paired with their own batch member — a batch of `K`
//! multivariate normals with Cholesky factors evaluated at `[P, K, n]` points, point `(p, k)`
//! under member `k` only (the VAE's posterior at its own draws `[S, B, n]`) — as one autodiff
//! node. `gaussian_mixture.rs` covers the other case, every point under every member.
//!
//! ```text
//! L_k z_pk = x_pk − μ_k,     lp_pk = −½‖z_pk‖² − Σ_j log L_k,jj − (n/2) log 2π
//! with w = L_kᵀ⁻¹ z_pk and c = ∂out/∂lp_pk:
//! ∂x_pk = −c w,   ∂μ_k = Σ_p c w,   ∂L_k,ij = Σ_p c (w_i z_j − δ_ij / L_k,ii)   (i ≥ j)
//! ```
//!
//! As facade ops the same density was a broadcast of `μ` and `L` to every draw, a batched
//! triangular solve, squares, sums and their backward passes: a tenth of the VAE's training
//! step. Here the forward pass solves each point once (in f64) and keeps `z` for the backward
//! pass, which solves once more for `w`. Entries of `L` above the diagonal are not read.

use crate::error::{Error, Result};
use crate::tensor::{storage_f64, Tensor};
use candle_core::{CpuStorage, CustomOp3, Layout, Shape};
use std::sync::Mutex;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

struct PairedLogProb {
    k: usize,
    n: usize,
    /// The whitened points `z`, `[P, K, n]`, kept for the backward pass.
    z: Mutex<Vec<f64>>,
}

impl CustomOp3 for PairedLogProb {
    fn name(&self) -> &'static str {
        "mvn_tril_log_prob_paired"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, loc, l) = (storage_f64(s1, l1)?, storage_f64(s2, l2)?, storage_f64(s3, l3)?);
        let (k, n) = (self.k, self.n);
        let p = x.len() / (k * n);
        let half_logdet: Vec<f64> = (0..k).map(|c| (0..n).map(|j| l[c * n * n + j * n + j].ln()).sum()).collect();
        let inv = inverse_diagonals(&l, k, n);
        let mut z = vec![0f64; x.len()];
        let mut out = Vec::with_capacity(p * k);
        for (i, (xi, zi)) in x.chunks_exact(n).zip(z.chunks_exact_mut(n)).enumerate() {
            let c = i % k;
            let (mu, lc, ic) = (&loc[c * n..(c + 1) * n], &l[c * n * n..(c + 1) * n * n], &inv[c * n..(c + 1) * n]);
            let mut sq = 0.0;
            for r in 0..n {
                let mut v = xi[r] - mu[r];
                for j in 0..r {
                    v -= lc[r * n + j] * zi[j];
                }
                zi[r] = v * ic[r];
                sq += zi[r] * zi[r];
            }
            out.push(-0.5 * sq - half_logdet[c] - 0.5 * n as f64 * LN_2PI);
        }
        *self.z.lock().map_err(|_| candle_core::Error::Msg("mvn_tril_log_prob_paired: poisoned lock".into()))? = z;
        let storage = match s1 {
            CpuStorage::F32(_) => CpuStorage::F32(out.into_iter().map(|v| v as f32).collect()),
            _ => CpuStorage::F64(out),
        };
        Ok((storage, Shape::from((p, k))))
    }
    fn bwd(
        &self,
        x: &candle_core::Tensor,
        loc: &candle_core::Tensor,
        l: &candle_core::Tensor,
        _res: &candle_core::Tensor,
        g: &candle_core::Tensor,
    ) -> candle_core::Result<(Option<candle_core::Tensor>, Option<candle_core::Tensor>, Option<candle_core::Tensor>)> {
        let (k, n) = (self.k, self.n);
        let read = |t: &candle_core::Tensor| -> candle_core::Result<Vec<f64>> {
            let (s, layout) = t.storage_and_layout();
            match &*s {
                candle_core::Storage::Cpu(c) => storage_f64(c, layout),
                _ => candle_core::bail!("mvn_tril_log_prob_paired runs on the CPU only"),
            }
        };
        let (gv, lv) = (read(g)?, read(l)?);
        let inv = inverse_diagonals(&lv, k, n);
        let z = self.z.lock().map_err(|_| candle_core::Error::Msg("mvn_tril_log_prob_paired: poisoned lock".into()))?;
        let (want_x, want_loc, want_l) = (x.track_op(), loc.track_op(), l.track_op());
        let mut dx = vec![0f64; if want_x { z.len() } else { 0 }];
        let mut dloc = vec![0f64; k * n];
        let mut dl = vec![0f64; k * n * n];
        // Σ_p c per member: the −δ_ij / L_ii term, added once at the end.
        let mut gsum = vec![0f64; k];
        let mut w = vec![0f64; n];
        for (i, zi) in z.chunks_exact(n).enumerate() {
            let (c, gi) = (i % k, gv[i]);
            let (lc, ic) = (&lv[c * n * n..(c + 1) * n * n], &inv[c * n..(c + 1) * n]);
            // w = L⁻ᵀ z by back substitution.
            for r in (0..n).rev() {
                let mut v = zi[r];
                for j in r + 1..n {
                    v -= lc[j * n + r] * w[j];
                }
                w[r] = v * ic[r];
            }
            if want_x {
                for (d, wj) in dx[i * n..(i + 1) * n].iter_mut().zip(&w) {
                    *d = -gi * wj;
                }
            }
            for (d, wj) in dloc[c * n..(c + 1) * n].iter_mut().zip(&w) {
                *d += gi * wj;
            }
            if want_l {
                gsum[c] += gi;
                let d = &mut dl[c * n * n..(c + 1) * n * n];
                for r in 0..n {
                    let gw = gi * w[r];
                    for (dj, zj) in d[r * n..=r * n + r].iter_mut().zip(zi) {
                        *dj += gw * zj;
                    }
                }
            }
        }
        for c in 0..k {
            for r in 0..n {
                dl[c * n * n + r * n + r] -= gsum[c] * inv[c * n + r];
            }
        }
        let make = |v: Vec<f64>, like: &candle_core::Tensor| -> candle_core::Result<candle_core::Tensor> { candle_core::Tensor::from_vec(v, like.dims(), like.device())?.to_dtype(like.dtype()) };
        Ok((
            if want_x { Some(make(dx, x)?) } else { None },
            if want_loc { Some(make(dloc, loc)?) } else { None },
            if want_l { Some(make(dl, l)?) } else { None },
        ))
    }
}

/// `1 / L_k,jj`, `[K, n]`: the solves multiply by it instead of dividing.
fn inverse_diagonals(l: &[f64], k: usize, n: usize) -> Vec<f64> {
    (0..k * n).map(|i| 1.0 / l[(i / n) * n * n + (i % n) * (n + 1)]).collect()
}

impl Tensor {
    /// `log N(x[p, k]; loc[k], L_k L_kᵀ)` for points `x [P, K, n]` each under its own member of
    /// a batch of `K` normals (`loc [K, n]`, lower-triangular `scale_tril [K, n, n]`): `[P, K]`,
    /// one autodiff node (module doc). Entries above the diagonal are ignored.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// // Two draws for each of two 1-D normals N(0, 1) and N(1, 2²).
    /// let x = Tensor::from_slice(&[0.0, 1.0, 1.0, 3.0], &[2, 2, 1], DType::F64)?;
    /// let loc = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
    /// let l = Tensor::from_slice(&[1.0, 2.0], &[2, 1, 1], DType::F64)?;
    /// let lp = Tensor::mvn_tril_log_prob_paired(&x, &loc, &l)?.to_vec()?;
    /// let c = 0.5 * (2.0 * std::f64::consts::PI).ln();
    /// assert!((lp[0] + c).abs() < 1e-12); // 0 under N(0, 1)
    /// assert!((lp[1] + c + 2f64.ln()).abs() < 1e-12); // 1 under N(1, 4)
    /// assert!((lp[3] + c + 2f64.ln() + 0.5).abs() < 1e-12); // 3 under N(1, 4): z = 1
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn mvn_tril_log_prob_paired(x: &Tensor, loc: &Tensor, scale_tril: &Tensor) -> Result<Tensor> {
        let what = "mvn_tril_log_prob_paired";
        let (xs, ls, ss) = (x.shape(), loc.shape(), scale_tril.shape());
        if xs.len() != 3 || ls.len() != 2 || ls != &xs[1..] || ss != [ls[0], ls[1], ls[1]] {
            return Err(Error::ShapeMismatch { context: format!("{what}: x [P, K, n], loc [K, n], scale_tril [K, n, n]"), lhs: xs.to_vec(), rhs: [ls, ss].concat() });
        }
        x.check_dtype(loc, what)?;
        x.check_dtype(scale_tril, what)?;
        let op = PairedLogProb { k: ls[0], n: ls[1], z: Mutex::new(Vec::new()) };
        Ok(Tensor(x.0.apply_op3(&loc.0, &scale_tril.0, op)?))
    }
}

#[cfg(test)]
mod tests {
    use crate::params::Variable;
    use crate::tensor::{DType, Tensor};

    /// Values against the dense formula, gradients in all three inputs against central
    /// differences; f32 and f64.
    #[test]
    fn values_and_gradients() {
        let (p, k, n) = (3usize, 2usize, 3usize);
        let xs: Vec<f64> = (0..p * k * n).map(|i| ((i * 5 % 7) as f64 * 0.41).sin()).collect();
        let locs: Vec<f64> = (0..k * n).map(|i| 0.1 * i as f64 - 0.2).collect();
        let mut ls = vec![0f64; k * n * n];
        for c in 0..k {
            for r in 0..n {
                for j in 0..=r {
                    ls[c * n * n + r * n + j] = if r == j { 0.8 + 0.3 * (r + c) as f64 } else { 0.2 * (r as f64 - j as f64) - 0.1 * c as f64 };
                }
            }
        }
        // The dense formula: z = L⁻¹(x − μ) by forward substitution, straight from the definition.
        let dense = |x: &[f64], loc: &[f64], l: &[f64]| -> Vec<f64> {
            let mut out = Vec::new();
            for pi in 0..p {
                for c in 0..k {
                    let mut z = vec![0.0; n];
                    for r in 0..n {
                        let s: f64 = (0..r).map(|j| l[c * n * n + r * n + j] * z[j]).sum();
                        z[r] = (x[(pi * k + c) * n + r] - loc[c * n + r] - s) / l[c * n * n + r * n + r];
                    }
                    let logdet: f64 = (0..n).map(|j| l[c * n * n + j * n + j].ln()).sum();
                    out.push(-0.5 * z.iter().map(|v| v * v).sum::<f64>() - logdet - 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln());
                }
            }
            out
        };
        let w: Vec<f64> = (0..p * k).map(|i| 1.0 + 0.3 * i as f64).collect();
        let objective = |x: &[f64], loc: &[f64], l: &[f64]| -> f64 { dense(x, loc, l).iter().zip(&w).map(|(a, b)| a * b).sum() };
        for dtype in [DType::F64, DType::F32] {
            let xv = Variable::new(&Tensor::from_slice(&xs, &[p, k, n], dtype).unwrap(), "x").unwrap().value();
            let lov = Variable::new(&Tensor::from_slice(&locs, &[k, n], dtype).unwrap(), "loc").unwrap().value();
            let lv = Variable::new(&Tensor::from_slice(&ls, &[k, n, n], dtype).unwrap(), "l").unwrap().value();
            let lp = Tensor::mvn_tril_log_prob_paired(&xv, &lov, &lv).unwrap();
            let tol = if dtype == DType::F64 { 1e-12 } else { 1e-5 };
            for (a, b) in lp.to_vec().unwrap().iter().zip(dense(&xs, &locs, &ls)) {
                assert!((a - b).abs() < tol * (1.0 + b.abs()), "{dtype:?}: {a} vs {b}");
            }
            let loss = lp.mul(&Tensor::from_slice(&w, &[p, k], dtype).unwrap()).unwrap().sum_all().unwrap();
            let g = loss.grad(&[&xv, &lov, &lv]).unwrap();
            let grads: Vec<Vec<f64>> = g.iter().map(|t| t.as_ref().unwrap().to_vec().unwrap()).collect();
            let h = 1e-6;
            let gtol = if dtype == DType::F64 { 1e-7 } else { 1e-4 };
            for (which, base) in [&xs, &locs, &ls].into_iter().enumerate() {
                for i in 0..base.len() {
                    let bump = |d: f64| {
                        let mut v = [xs.clone(), locs.clone(), ls.clone()];
                        v[which][i] += d;
                        objective(&v[0], &v[1], &v[2])
                    };
                    let upper = which == 2 && (i % n) > (i / n) % n; // above the diagonal: unread
                    let fd = if upper { 0.0 } else { (bump(h) - bump(-h)) / (2.0 * h) };
                    assert!((fd - grads[which][i]).abs() < gtol * (1.0 + fd.abs()), "{dtype:?} input {which} [{i}]: {} vs {fd}", grads[which][i]);
                }
            }
        }
        // Shapes that do not pair are errors naming them.
        let x = Tensor::zeros(&[3, 2, 3], DType::F64).unwrap();
        assert!(Tensor::mvn_tril_log_prob_paired(&x, &Tensor::zeros(&[3, 3], DType::F64).unwrap(), &Tensor::zeros(&[3, 3, 3], DType::F64).unwrap()).is_err());
        assert!(Tensor::mvn_tril_log_prob_paired(&x, &Tensor::zeros(&[2, 3], DType::F64).unwrap(), &Tensor::zeros(&[2, 3, 2], DType::F64).unwrap()).is_err());
    }
}
