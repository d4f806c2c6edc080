//! The Kalman filter's per-step log-likelihoods for a univariate linear-Gaussian state-space
//! model, as one autodiff node with a hand-written reverse pass (TFP's
//! `LinearGaussianStateSpaceModel.log_prob` on an observed series, the hot path of every
//! structural time-series fit).
//!
//! Model (state size `k`, one observation per step, `n` series sharing the terms):
//!
//! ```text
//! m⁻_0 = μ_0, P⁻_0 = P_0;   m⁻_t = A_t m_{t−1} + b_t,  P⁻_t = A_t P_{t−1} A_tᵀ + Q_t
//! u = P⁻ h,  s = h·u + r,   f = h·m⁻ + d,   v = x − f
//! ll_t = −½ (log 2π + log s + v²/s);   m = m⁻ + u v/s,   P = P⁻ − u uᵀ/s
//! ```
//! with each term chosen per step from a few distinct values ([`Indexed`]: a seasonal
//! transition alternates between two matrices, a regression's offset has one value per step).
//! Masked steps contribute zero and keep the prediction (`m = m⁻`, `P = P⁻`).
//!
//! How it is fast: the transition matrices of structural models are sparse (a trend is
//! `[[1, 1], [0, 1]]`, a seasonal a shifted identity), so `A P Aᵀ` and the backward pass's
//! `Aᵀ P̄ A` run over each matrix's nonzeros, `O(nnz · k)` instead of `O(k³)`, on f64 buffers
//! reused across steps. The reverse pass walks the steps backwards with the adjoints `m̄`
//! (per series) and `P̄` (kept symmetric: the covariances are symmetric, so their gradients
//! are symmetrized), reading the forward pass's predicted moments, gains and innovations.
//! The dense `2 P̄ A P` term of `Ā` is formed only when the transition matrices are tracked.
//!
//! The covariance update is the standard form `P⁻ − u uᵀ/s`, symmetrized each step; the facade
//! path (`forward_filter`) keeps the Joseph form. They agree to rounding on the statsmodels
//! cases of `tests/sts_state_space.rs`, approximate-diffuse start included.

use std::sync::{Arc, Mutex};

use candle_core::{CpuStorage, CustomOp2, Layout, Shape};
use faer::linalg::solvers::Solve;

use crate::error::{Error, Result};
use crate::tensor::custom_op::{f64_like, storage_f64, tensor_f64};
use crate::tensor::Tensor;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// A term's distinct values stacked on a leading axis `[M, ...]` and, per step, which one
/// applies (`index[t] < M`; for transitions, the move into step `t`, unused at `t = 0`).
pub(crate) struct Indexed {
    pub values: Tensor,
    pub index: Vec<usize>,
}

/// The filter's terms (module doc); `p = 1`.
pub(crate) struct KalmanInputs {
    /// `A` `[M, k, k]`.
    pub transition_matrix: Indexed,
    /// `Q` `[M, k, k]`.
    pub transition_covariance: Indexed,
    /// `b` `[M, k]`.
    pub transition_loc: Indexed,
    /// `h` `[M, k]` (the observation matrix's one row).
    pub observation_matrix: Indexed,
    /// `r` `[M]` (the observation noise variance).
    pub observation_variance: Indexed,
    /// `d` `[M]` (the observation noise mean).
    pub observation_loc: Indexed,
    /// `μ_0` `[k]`.
    pub initial_loc: Tensor,
    /// `P_0` `[k, k]`.
    pub initial_covariance: Tensor,
    /// `true` where the step is missing.
    pub mask: Vec<bool>,
    /// The first step's number, for error messages (the model's `initial_step`).
    pub first_step: usize,
}

// Slots of the packed parameter vector, in order.
const A: usize = 0;
const Q: usize = 1;
const B: usize = 2;
const H: usize = 3;
const R: usize = 4;
const D: usize = 5;
const MU0: usize = 6;
const P0: usize = 7;

/// The per-step log-likelihoods `[n, T]` of the series `x [n, T]` (masked entries' values are
/// ignored), differentiable in every term and in `x`.
pub(crate) fn kalman_log_likelihoods(x: &Tensor, inputs: &KalmanInputs) -> Result<Tensor> {
    let (op, theta) = build_op(x, inputs)?;
    let failure = op.failure.clone();
    let (theta, x) = (theta.contiguous()?, x.contiguous()?);
    theta.0.apply_op2(&x.0, op).map(Tensor).map_err(|e| match failure.lock().unwrap_or_else(|p| p.into_inner()).take() {
        Some((step, s)) => Error::invalid_parameter("observation_noise", format!("the one-step predictive variance at step {} is {s}, not positive", inputs.first_step + step)),
        None => Error::from(e),
    })
}

/// The op for `x [n, T]` and the packed parameters it reads.
fn build_op(x: &Tensor, inputs: &KalmanInputs) -> Result<(Kalman, Tensor)> {
    let (n, t) = match x.shape() {
        [n, t] => (*n, *t),
        s => return Err(Error::invalid_shape("kalman filter input", s, "expected [n, T]")),
    };
    let k = inputs.initial_loc.elem_count();
    let terms = [&inputs.transition_matrix, &inputs.transition_covariance, &inputs.transition_loc, &inputs.observation_matrix, &inputs.observation_variance, &inputs.observation_loc];
    let elems = [k * k, k * k, k, k, 1, 1];
    let mut parts = Vec::with_capacity(8);
    let mut offsets = [0usize; 9];
    let mut index: [Vec<usize>; 6] = Default::default();
    for (slot, (term, e)) in terms.iter().zip(elems).enumerate() {
        let m = term.values.elem_count() / e.max(1);
        if term.values.elem_count() != m * e || term.index.len() != t || term.index.iter().any(|&i| i >= m) {
            return Err(Error::invalid_shape("kalman filter term", term.values.shape(), format!("slot {slot}: expected [M, ...] of {e} elements each and {t} step indices below M")));
        }
        parts.push(term.values.reshape(&[m * e])?);
        offsets[slot + 1] = offsets[slot] + m * e;
        index[slot] = term.index.clone();
    }
    if inputs.initial_covariance.elem_count() != k * k || inputs.mask.len() != t {
        return Err(Error::invalid_shape("kalman filter initial covariance", inputs.initial_covariance.shape(), format!("expected [{k}, {k}] and a mask of {t} steps")));
    }
    parts.push(inputs.initial_loc.reshape(&[k])?);
    offsets[MU0 + 1] = offsets[MU0] + k;
    parts.push(inputs.initial_covariance.reshape(&[k * k])?);
    offsets[P0 + 1] = offsets[P0] + k * k;
    let theta = Tensor::concat(&parts.iter().collect::<Vec<_>>(), 0)?;
    let op = Kalman {
        k,
        n,
        t,
        offsets,
        index,
        mask: inputs.mask.clone(),
        keep: theta.0.track_op() || x.0.track_op(),
        a_tracked: inputs.transition_matrix.values.0.track_op(),
        cache: Mutex::new(None),
        failure: Arc::new(Mutex::new(None)),
    };
    Ok((op, theta))
}

/// The filter's moments without autodiff (`forward_filter` of an untracked univariate model):
/// per step and series the log-likelihoods `[n, T]`, predicted and filtered means `[T, n, k]`,
/// predicted and filtered covariances `[T, k, k]`, and the predictive observation means
/// `[T, n]` and variances `[T]`.
pub(crate) struct FilterMoments {
    pub log_likelihoods: Vec<f64>,
    pub predicted_means: Vec<f64>,
    pub predicted_covs: Vec<f64>,
    pub filtered_means: Vec<f64>,
    pub filtered_covs: Vec<f64>,
    pub observation_means: Vec<f64>,
    pub observation_variances: Vec<f64>,
}

/// The Kalman filter's moments (no autodiff) for the series `x [n, T]`.
pub(crate) fn kalman_filter(x: &Tensor, inputs: &KalmanInputs) -> Result<FilterMoments> {
    let (op, theta) = build_op(x, inputs)?;
    let (th, xv) = (tensor_f64(&theta.detach().0)?, tensor_f64(&x.detach().contiguous()?.0)?);
    let (k, n, tl) = (op.k, op.n, op.t);
    let kalman = Kalman { keep: true, a_tracked: true, ..op };
    let (ll, cache) = kalman.forward(&th, &xv, true).map_err(|(step, s)| Error::invalid_parameter("observation_noise", format!("the one-step predictive variance at step {} is {s}, not positive", inputs.first_step + step)))?;
    let c = cache.expect("kept");
    let mut fm = c.mp.clone();
    for t in 0..tl {
        for j in 0..n {
            let g = c.v[t * n + j] / c.s[t];
            for i in 0..k {
                fm[(t * n + j) * k + i] += c.u[t * k + i] * g;
            }
        }
    }
    let mut om = vec![0.0; tl * n];
    for t in 0..tl {
        let h = kalman.slot(&th, H, kalman.index[H][t], k);
        let d = kalman.slot(&th, D, kalman.index[D][t], 1)[0];
        for j in 0..n {
            om[t * n + j] = dot(h, &c.mp[(t * n + j) * k..(t * n + j + 1) * k]) + d;
        }
    }
    Ok(FilterMoments { log_likelihoods: ll, predicted_means: c.mp, predicted_covs: c.pp, filtered_means: fm, filtered_covs: c.pf.expect("kept"), observation_means: om, observation_variances: c.s })
}

/// The Rauch–Tung–Striebel smoother over the filter's moments (no autodiff): smoothed means
/// `[T, n, k]` and covariances `[T, k, k]`. `J_t = P_t A_{t+1}ᵀ (P⁻_{t+1})⁻¹` by a Cholesky
/// solve (with a jitter of 1e-12 of the largest variance when `P⁻` is singular, as for
/// deterministic states), `m^s_t = m_t + J_t (m^s_{t+1} − m⁻_{t+1})`,
/// `P^s_t = P_t + J_t (P^s_{t+1} − P⁻_{t+1}) J_tᵀ`.
pub(crate) fn kalman_smoother(inputs: &KalmanInputs, f: &FilterMoments, n: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    let k = inputs.initial_loc.elem_count();
    let tl = inputs.mask.len();
    let a_vals = inputs.transition_matrix.values.detach().to_vec()?;
    let (mut means, mut covs) = (f.filtered_means.clone(), f.filtered_covs.clone());
    let mat = |v: &[f64]| faer::Mat::<f64>::from_fn(k, k, |i, j| v[i * k + j]);
    for t in (0..tl.saturating_sub(1)).rev() {
        let a = mat(&a_vals[inputs.transition_matrix.index[t + 1] * k * k..][..k * k]);
        let p = mat(&f.filtered_covs[t * k * k..(t + 1) * k * k]);
        let pp = &f.predicted_covs[(t + 1) * k * k..(t + 2) * k * k];
        let largest = (0..k).map(|i| pp[i * k + i]).fold(0.0, f64::max);
        let chol = mat(pp).llt(faer::Side::Lower).or_else(|_| faer::Mat::<f64>::from_fn(k, k, |i, j| pp[i * k + j] + if i == j { 1e-12 * (1.0 + largest) } else { 0.0 }).llt(faer::Side::Lower));
        let chol = chol.map_err(|_| Error::invalid_parameter("transition_noise", format!("the predicted covariance at step {} is not positive semi-definite", inputs.first_step + t + 1)))?;
        // Jᵀ = (P⁻)⁻¹ A P.
        let jt = chol.solve(&a * &p);
        let j = jt.transpose().to_owned();
        let ps_next = mat(&covs[(t + 1) * k * k..(t + 2) * k * k]);
        let ps = &p + &j * (&ps_next - mat(pp)) * &jt;
        for r in 0..k {
            for c in 0..k {
                covs[t * k * k + r * k + c] = 0.5 * (ps[(r, c)] + ps[(c, r)]);
            }
        }
        for s in 0..n {
            let diff: Vec<f64> = (0..k).map(|i| means[((t + 1) * n + s) * k + i] - f.predicted_means[((t + 1) * n + s) * k + i]).collect();
            for r in 0..k {
                means[(t * n + s) * k + r] += (0..k).map(|c| j[(r, c)] * diff[c]).sum::<f64>();
            }
        }
    }
    Ok((means, covs))
}

/// What the reverse pass reads from the forward pass.
struct Cache {
    /// `m⁻_t` per series `[T, n, k]`.
    mp: Vec<f64>,
    /// `P⁻_t` `[T, k, k]`.
    pp: Vec<f64>,
    /// `P_t` `[T, k, k]`, kept only when the transition matrices are tracked.
    pf: Option<Vec<f64>>,
    /// `u_t = P⁻_t h_t` `[T, k]`.
    u: Vec<f64>,
    /// `s_t` `[T]`.
    s: Vec<f64>,
    /// `v_t` per series `[T, n]` (zero at masked steps).
    v: Vec<f64>,
}

struct Kalman {
    k: usize,
    n: usize,
    t: usize,
    /// Where each slot starts in the packed parameters (and the end).
    offsets: [usize; 9],
    /// Per step, which value of A, Q, b, h, r, d applies.
    index: [Vec<usize>; 6],
    mask: Vec<bool>,
    /// Keep the forward pass's intermediates for a backward pass.
    keep: bool,
    a_tracked: bool,
    cache: Mutex<Option<Cache>>,
    /// The step and value of a non-positive predictive variance, for the wrapper's error.
    failure: Arc<Mutex<Option<(usize, f64)>>>,
}

/// Each distinct transition matrix's nonzeros `(row, column, value)`, row by row.
fn nonzeros(a: &[f64], k: usize) -> Vec<Vec<(usize, usize, f64)>> {
    a.chunks(k * k).map(|m| m.iter().enumerate().filter(|(_, v)| **v != 0.0).map(|(e, v)| (e / k, e % k, *v)).collect()).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl Kalman {
    fn slot<'a>(&self, th: &'a [f64], slot: usize, which: usize, len: usize) -> &'a [f64] {
        let at = self.offsets[slot] + which * len;
        &th[at..at + len]
    }

    /// `out = A P Aᵀ` for symmetric `P`, through `A`'s nonzeros (`w` is scratch).
    fn sandwich(nz: &[(usize, usize, f64)], p: &[f64], w: &mut [f64], out: &mut [f64], k: usize) {
        w.fill(0.0);
        for &(i, c, a) in nz {
            let (src, dst) = (&p[c * k..(c + 1) * k], &mut w[i * k..(i + 1) * k]);
            dst.iter_mut().zip(src).for_each(|(d, s)| *d += a * s);
        }
        out.fill(0.0);
        for i in 0..k {
            let wi = &w[i * k..(i + 1) * k];
            let oi = &mut out[i * k..(i + 1) * k];
            for &(l, c, a) in nz {
                oi[l] += wi[c] * a;
            }
        }
    }

    /// `out = Aᵀ X A` for symmetric `X`, through `A`'s nonzeros (`w` is scratch).
    fn sandwich_t(nz: &[(usize, usize, f64)], x: &[f64], w: &mut [f64], out: &mut [f64], k: usize) {
        // w = X A: w[r, c] = Σ_i X[r, i] a_ic.
        w.fill(0.0);
        for r in 0..k {
            let (xr, wr) = (&x[r * k..(r + 1) * k], &mut w[r * k..(r + 1) * k]);
            for &(i, c, a) in nz {
                wr[c] += xr[i] * a;
            }
        }
        // out = Aᵀ w: out[c, :] = Σ_i a_ic w[i, :].
        out.fill(0.0);
        for &(i, c, a) in nz {
            let (src, dst) = (&w[i * k..(i + 1) * k], &mut out[c * k..(c + 1) * k]);
            dst.iter_mut().zip(src).for_each(|(d, s)| *d += a * s);
        }
    }

    /// The filter (module doc): per-step log-likelihoods `[n, T]` and, when asked, the cache.
    fn forward(&self, th: &[f64], x: &[f64], keep: bool) -> std::result::Result<(Vec<f64>, Option<Cache>), (usize, f64)> {
        let (k, n, tl) = (self.k, self.n, self.t);
        let a_nz = nonzeros(&th[self.offsets[A]..self.offsets[A + 1]], k);
        let mut ll = vec![0.0; n * tl];
        let mut m = vec![0.0; n * k];
        let mut p = self.slot(th, P0, 0, k * k).to_vec();
        let (mut w, mut p2, mut m2) = (vec![0.0; k * k], vec![0.0; k * k], vec![0.0; k]);
        let mut u = vec![0.0; k];
        let mut cache = keep.then(|| Cache {
            mp: Vec::with_capacity(tl * n * k),
            pp: Vec::with_capacity(tl * k * k),
            pf: self.a_tracked.then(|| Vec::with_capacity(tl * k * k)),
            u: Vec::with_capacity(tl * k),
            s: Vec::with_capacity(tl),
            v: Vec::with_capacity(tl * n),
        });
        for mj in m.chunks_mut(k) {
            mj.copy_from_slice(self.slot(th, MU0, 0, k));
        }
        for t in 0..tl {
            if t > 0 {
                let nz = &a_nz[self.index[A][t]];
                let b = self.slot(th, B, self.index[B][t], k);
                for mj in m.chunks_mut(k) {
                    m2.copy_from_slice(b);
                    for &(i, c, a) in nz {
                        m2[i] += a * mj[c];
                    }
                    mj.copy_from_slice(&m2);
                }
                Self::sandwich(nz, &p, &mut w, &mut p2, k);
                let q = self.slot(th, Q, self.index[Q][t], k * k);
                for i in 0..k {
                    for l in i..k {
                        let v = 0.5 * (p2[i * k + l] + p2[l * k + i] + q[i * k + l] + q[l * k + i]);
                        p[i * k + l] = v;
                        p[l * k + i] = v;
                    }
                }
            }
            let h = self.slot(th, H, self.index[H][t], k);
            let (r, d) = (self.slot(th, R, self.index[R][t], 1)[0], self.slot(th, D, self.index[D][t], 1)[0]);
            for (i, ui) in u.iter_mut().enumerate() {
                *ui = dot(&p[i * k..(i + 1) * k], h);
            }
            let s = dot(h, &u) + r;
            if !(s > 0.0 && s.is_finite()) {
                return Err((t, s));
            }
            if let Some(c) = cache.as_mut() {
                c.mp.extend_from_slice(&m);
                c.pp.extend_from_slice(&p);
                c.u.extend_from_slice(&u);
                c.s.push(s);
            }
            let masked = self.mask[t];
            for (j, mj) in m.chunks_mut(k).enumerate() {
                let v = if masked { 0.0 } else { x[j * tl + t] - dot(h, mj) - d };
                if !masked {
                    ll[j * tl + t] = -0.5 * (LN_2PI + s.ln() + v * v / s);
                    let g = v / s;
                    mj.iter_mut().zip(&u).for_each(|(mi, ui)| *mi += ui * g);
                }
                if let Some(c) = cache.as_mut() {
                    c.v.push(v);
                }
            }
            if !masked {
                for i in 0..k {
                    let ui = u[i] / s;
                    for l in i..k {
                        let v = p[i * k + l] - ui * u[l];
                        p[i * k + l] = v;
                        p[l * k + i] = v;
                    }
                }
            }
            if let Some(pf) = cache.as_mut().and_then(|c| c.pf.as_mut()) {
                pf.extend_from_slice(&p);
            }
        }
        Ok((ll, cache))
    }

    /// The reverse pass: gradients of `Σ g ⊙ ll` in the packed parameters and in `x`.
    fn backward(&self, th: &[f64], c: &Cache, g: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let (k, n, tl) = (self.k, self.n, self.t);
        let a_nz = nonzeros(&th[self.offsets[A]..self.offsets[A + 1]], k);
        let mut gth = vec![0.0; self.offsets[8]];
        let mut gx = vec![0.0; n * tl];
        let mut mbar = vec![0.0; n * k];
        let mut pbar = vec![0.0; k * k];
        let (mut w, mut p2, mut m2, mut ubar, mut pu) = (vec![0.0; k * k], vec![0.0; k * k], vec![0.0; k], vec![0.0; k], vec![0.0; k]);
        for t in (0..tl).rev() {
            let (hi, ri, di) = (self.index[H][t], self.index[R][t], self.index[D][t]);
            let h = self.slot(th, H, hi, k);
            let (mp, pp) = (&c.mp[t * n * k..(t + 1) * n * k], &c.pp[t * k * k..(t + 1) * k * k]);
            let (u, s) = (&c.u[t * k..(t + 1) * k], c.s[t]);
            if !self.mask[t] {
                let (mut sbar, mut dbar) = (0.0, 0.0);
                let mut hbar = vec![0.0; k];
                ubar.fill(0.0);
                for j in 0..n {
                    let (wgt, v) = (g[j * tl + t], c.v[t * n + j]);
                    let mj = &mut mbar[j * k..(j + 1) * k];
                    let cj = dot(mj, u);
                    let vbar = -wgt * v / s + cj / s;
                    sbar += -0.5 * wgt * (1.0 / s - v * v / (s * s)) - cj * v / (s * s);
                    ubar.iter_mut().zip(mj.iter()).for_each(|(ub, mb)| *ub += mb * v / s);
                    gx[j * tl + t] = vbar;
                    // v = x − h·m⁻ − d.
                    hbar.iter_mut().zip(&mp[j * k..(j + 1) * k]).for_each(|(hb, m)| *hb -= vbar * m);
                    dbar -= vbar;
                    mj.iter_mut().zip(h).for_each(|(mb, hh)| *mb -= vbar * hh);
                }
                for (i, pui) in pu.iter_mut().enumerate() {
                    *pui = dot(&pbar[i * k..(i + 1) * k], u);
                }
                sbar += dot(u, &pu) / (s * s);
                ubar.iter_mut().zip(&pu).for_each(|(ub, p)| *ub -= 2.0 * p / s);
                // s = h·u + r.
                hbar.iter_mut().zip(u).for_each(|(hb, ui)| *hb += sbar * ui);
                ubar.iter_mut().zip(h).for_each(|(ub, hh)| *ub += sbar * hh);
                // u = P⁻ h.
                for i in 0..k {
                    for l in 0..k {
                        pbar[i * k + l] += 0.5 * (ubar[i] * h[l] + h[i] * ubar[l]);
                    }
                    hbar[i] += dot(&pp[i * k..(i + 1) * k], &ubar);
                }
                let at = self.offsets[H] + hi * k;
                gth[at..at + k].iter_mut().zip(&hbar).for_each(|(gg, hb)| *gg += hb);
                gth[self.offsets[R] + ri] += sbar;
                gth[self.offsets[D] + di] += dbar;
            }
            // m̄, P̄ now belong to m⁻_t, P⁻_t.
            let (mslot, pslot, mi, pi) = if t == 0 { (MU0, P0, 0, 0) } else { (B, Q, self.index[B][t], self.index[Q][t]) };
            let at = self.offsets[mslot] + mi * k;
            for mj in mbar.chunks(k) {
                gth[at..at + k].iter_mut().zip(mj).for_each(|(gg, mb)| *gg += mb);
            }
            let at = self.offsets[pslot] + pi * k * k;
            gth[at..at + k * k].iter_mut().zip(&pbar).for_each(|(gg, pb)| *gg += pb);
            if t == 0 {
                break;
            }
            let ai = self.index[A][t];
            let nz = &a_nz[ai];
            if let Some(pf) = &c.pf {
                // Ā += Σ_j m̄⁻_j m_{t−1,j}ᵀ + 2 P̄⁻ A P_{t−1}.
                let at = self.offsets[A] + ai * k * k;
                let (mp1, u1, s1) = (&c.mp[(t - 1) * n * k..t * n * k], &c.u[(t - 1) * k..t * k], c.s[t - 1]);
                for j in 0..n {
                    let g1 = c.v[(t - 1) * n + j] / s1;
                    for (l, ml) in m2.iter_mut().enumerate() {
                        *ml = mp1[j * k + l] + u1[l] * g1;
                    }
                    for i in 0..k {
                        let mb = mbar[j * k + i];
                        gth[at + i * k..at + (i + 1) * k].iter_mut().zip(&m2).for_each(|(gg, ml)| *gg += mb * ml);
                    }
                }
                let pf1 = &pf[(t - 1) * k * k..t * k * k];
                w.fill(0.0);
                for &(i, cc, a) in nz {
                    let (src, dst) = (&pf1[cc * k..(cc + 1) * k], &mut w[i * k..(i + 1) * k]);
                    dst.iter_mut().zip(src).for_each(|(d, sv)| *d += a * sv);
                }
                for i in 0..k {
                    for l in 0..k {
                        let v: f64 = (0..k).map(|e| pbar[i * k + e] * w[e * k + l]).sum();
                        gth[at + i * k + l] += 2.0 * v;
                    }
                }
            }
            for mj in mbar.chunks_mut(k) {
                m2.fill(0.0);
                for &(i, cc, a) in nz {
                    m2[cc] += a * mj[i];
                }
                mj.copy_from_slice(&m2);
            }
            Self::sandwich_t(nz, &pbar, &mut w, &mut p2, k);
            std::mem::swap(&mut pbar, &mut p2);
        }
        (gth, gx)
    }
}

impl CustomOp2 for Kalman {
    fn name(&self) -> &'static str {
        "kalman_log_likelihoods"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (th, x) = (storage_f64(s1, l1)?, storage_f64(s2, l2)?);
        let (ll, cache) = match self.forward(&th, &x, self.keep) {
            Ok(r) => r,
            Err(f) => {
                *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(f);
                candle_core::bail!("kalman filter: the one-step predictive variance at step {} is {}", f.0, f.1)
            }
        };
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = cache;
        let storage = match s2 {
            CpuStorage::F32(_) => CpuStorage::F32(ll.into_iter().map(|v| v as f32).collect()),
            _ => CpuStorage::F64(ll),
        };
        Ok((storage, Shape::from(vec![self.n, self.t])))
    }
    fn bwd(&self, theta: &candle_core::Tensor, x: &candle_core::Tensor, _res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<(Option<candle_core::Tensor>, Option<candle_core::Tensor>)> {
        let (th, gv) = (tensor_f64(theta)?, tensor_f64(g)?);
        let mut guard = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let xv = tensor_f64(x)?;
            *guard = self.forward(&th, &xv, true).map_err(|(t, s)| candle_core::Error::Msg(format!("kalman filter: the predictive variance at step {t} is {s}")))?.1;
        }
        let cache = guard.as_ref().expect("filled above");
        let (gth, gx) = self.backward(&th, cache, &gv);
        let gx = if x.track_op() { Some(f64_like(gx, x)?) } else { None };
        Ok((Some(f64_like(gth, theta)?), gx))
    }
}
