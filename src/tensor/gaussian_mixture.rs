//! A fused kernel for the log-density of a mixture of multivariate normals with Cholesky
//! factors, and its gradient, each in one pass over the points (the hot path of fitting
//! mixture models: W5).
//!
//! ```text
//! lp_ik  = lw_k − ½‖z_ik‖² − Σ_j log L_k,jj − (n/2) log 2π,   L_k z_ik = x_i − μ_k
//! out_i  = logsumexp_k lp_ik
//! ```
//! Backward, with responsibilities `r_ik = exp(lp_ik − out_i)`, `c = g_i r_ik` and
//! `w = L_k⁻ᵀ z_ik`: `∂μ_k += c w`, `∂x_i −= c w`, `∂L_k += c (tril(w zᵀ) − diag(1/L_jj))`,
//! `∂lw_k += c`. Nothing proportional to the number of points is allocated besides the
//! output and the gradient of `x`. Work is split over at most two threads in fixed chunks
//! with a fixed reduction order, so results do not depend on scheduling.

use super::{storage_f64, Tensor};
use crate::error::{Error, Result};
use candle_core::{CpuStorage, CustomOp3, Layout, Shape, Storage};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

struct GaussianMixture {
    n: usize,
    k: usize,
    /// Responsibilities `r_ik` saved by the forward pass for the backward (the one working
    /// buffer proportional to the number of points).
    resp: std::sync::Mutex<Vec<f64>>,
}

/// Component constants for event size `N`: μ, L (lower), 1/L_jj, lw − Σ log L_jj − (N/2) log 2π.
struct Components<const N: usize> {
    mu: Vec<[f64; N]>,
    l: Vec<[[f64; N]; N]>,
    inv_diag: Vec<[f64; N]>,
    c: Vec<f64>,
}

impl<const N: usize> Components<N> {
    fn new(k: usize, packed: &[f64], l: &[f64]) -> Self {
        let mut cm = Components { mu: vec![[0.0; N]; k], l: vec![[[0.0; N]; N]; k], inv_diag: vec![[0.0; N]; k], c: vec![0.0; k] };
        for kk in 0..k {
            let mut logdet = 0.0;
            for j in 0..N {
                cm.mu[kk][j] = packed[kk * (N + 1) + j];
                for m in 0..=j {
                    cm.l[kk][j][m] = l[kk * N * N + j * N + m];
                }
                cm.inv_diag[kk][j] = 1.0 / cm.l[kk][j][j];
                logdet += cm.l[kk][j][j].abs().ln();
            }
            cm.c[kk] = packed[kk * (N + 1) + N] - logdet - 0.5 * N as f64 * LN_2PI;
        }
        cm
    }

    /// z = L_k⁻¹ (x − μ_k); returns ½‖z‖².
    #[inline(always)]
    fn whiten(&self, kk: usize, x: &[f64; N], z: &mut [f64; N]) -> f64 {
        let (l, mu, inv) = (&self.l[kk], &self.mu[kk], &self.inv_diag[kk]);
        let mut q = 0.0;
        for j in 0..N {
            let mut s = x[j] - mu[j];
            for m in 0..j {
                s -= l[j][m] * z[m];
            }
            z[j] = s * inv[j];
            q += z[j] * z[j];
        }
        0.5 * q
    }

    /// Writes `out_i` and the responsibilities `r_ik`.
    fn forward_range<T: Copy + Into<f64>>(&self, x: &[T], out: &mut [f64], resp: &mut [f64]) {
        let k = self.c.len();
        let mut z = [0.0; N];
        for (i, o) in out.iter_mut().enumerate() {
            let xi: [f64; N] = std::array::from_fn(|j| x[i * N + j].into());
            let xi = &xi;
            let r = &mut resp[i * k..(i + 1) * k];
            let mut mx = f64::NEG_INFINITY;
            for kk in 0..k {
                r[kk] = self.c[kk] - self.whiten(kk, xi, &mut z);
                mx = mx.max(r[kk]);
            }
            let mut s = 0.0;
            for v in r.iter_mut() {
                *v = (*v - mx).exp();
                s += *v;
            }
            let inv = 1.0 / s;
            r.iter_mut().for_each(|v| *v *= inv);
            *o = mx + s.ln();
        }
    }

    /// Accumulates this chunk's parameter gradients into `gp [K, N+1]` and `gl [K, N, N]`, and
    /// writes `gx`.
    fn backward_range<T: Copy + Into<f64>>(&self, x: &[T], resp: &[f64], g: &[f64], mut gx: Option<&mut [f64]>, gp: &mut [f64], gl: &mut [f64]) {
        let k = self.c.len();
        let (mut z, mut w) = ([0.0; N], [0.0; N]);
        let mut csum = vec![0.0; k];
        let mut acc_l = vec![[[0.0; N]; N]; k];
        let mut acc_mu = vec![[0.0; N]; k];
        for i in 0..g.len() {
            let xi: [f64; N] = std::array::from_fn(|j| x[i * N + j].into());
            let xi = &xi;
            let mut gxi = [0.0; N];
            for kk in 0..k {
                let coef = g[i] * resp[i * k + kk];
                if coef == 0.0 {
                    continue;
                }
                self.whiten(kk, xi, &mut z);
                let (l, inv) = (&self.l[kk], &self.inv_diag[kk]);
                for j in (0..N).rev() {
                    let mut s = z[j];
                    for m in j + 1..N {
                        s -= l[m][j] * w[m];
                    }
                    w[j] = s * inv[j];
                }
                let (am, al) = (&mut acc_mu[kk], &mut acc_l[kk]);
                for j in 0..N {
                    let cw = coef * w[j];
                    am[j] += cw;
                    gxi[j] -= cw;
                    for m in 0..=j {
                        al[j][m] += cw * z[m];
                    }
                }
                csum[kk] += coef;
            }
            if let Some(gx) = gx.as_deref_mut() {
                gx[i * N..(i + 1) * N].copy_from_slice(&gxi);
            }
        }
        for kk in 0..k {
            for j in 0..N {
                gp[kk * (N + 1) + j] += acc_mu[kk][j];
                for m in 0..=j {
                    gl[kk * N * N + j * N + m] += acc_l[kk][j][m];
                }
                gl[kk * N * N + j * N + j] -= csum[kk] * self.inv_diag[kk][j];
            }
            gp[kk * (N + 1) + N] += csum[kk];
        }
    }
}

/// Runs `$body` with `N` bound to the event size as a constant (1..=8).
macro_rules! with_n {
    ($n:expr, $N:ident => $body:expr) => {
        match $n {
            1 => { const $N: usize = 1; $body }
            2 => { const $N: usize = 2; $body }
            3 => { const $N: usize = 3; $body }
            4 => { const $N: usize = 4; $body }
            5 => { const $N: usize = 5; $body }
            6 => { const $N: usize = 6; $body }
            7 => { const $N: usize = 7; $body }
            8 => { const $N: usize = 8; $body }
            other => candle_core::bail!("gaussian_mixture_log_prob supports event sizes 1..=8, got {other}"),
        }
    };
}

/// The largest event size the fused kernel handles.
pub const MAX_EVENT_SIZE: usize = 8;

/// Number of worker chunks for `npts` points (two above a size where threads pay off).
fn chunks(npts: usize) -> usize {
    if npts >= 2048 {
        2
    } else {
        1
    }
}

fn to_storage(like_f32: bool, v: Vec<f64>) -> CpuStorage {
    if like_f32 {
        CpuStorage::F32(v.into_iter().map(|x| x as f32).collect())
    } else {
        CpuStorage::F64(v)
    }
}

fn read(t: &candle_core::Tensor) -> candle_core::Result<Vec<f64>> {
    let (s, l) = t.storage_and_layout();
    match &*s {
        Storage::Cpu(c) => storage_f64(c, l),
        _ => candle_core::bail!("gaussian_mixture_log_prob runs on the CPU only"),
    }
}

fn build(v: Vec<f64>, like: &candle_core::Tensor) -> candle_core::Result<candle_core::Tensor> {
    match like.dtype() {
        candle_core::DType::F32 => candle_core::Tensor::from_vec(v.into_iter().map(|x| x as f32).collect::<Vec<f32>>(), like.dims(), like.device()),
        _ => candle_core::Tensor::from_vec(v, like.dims(), like.device()),
    }
}

impl CustomOp3 for GaussianMixture {
    fn name(&self) -> &'static str {
        "gaussian_mixture_log_prob"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (packed, lv) = (storage_f64(s2, l2)?, storage_f64(s3, l3)?);
        let (n, k) = (self.n, self.k);
        let npts = l1.shape().elem_count() / n;
        let mut out = vec![0.0; npts];
        let mut resp = take_buffer(npts * k);
        with_n!(n, N => {
            let cm = Components::<N>::new(k, &packed, &lv);
            match s1 {
                CpuStorage::F32(v) => run_forward(&cm, &points(v, l1), &mut out, &mut resp),
                CpuStorage::F64(v) => run_forward(&cm, &points(v, l1), &mut out, &mut resp),
                _ => candle_core::bail!("gaussian_mixture_log_prob supports float32 and float64 only"),
            }
        });
        *self.resp.lock().unwrap_or_else(|p| p.into_inner()) = resp;
        Ok((to_storage(matches!(s1, CpuStorage::F32(_)), out), Shape::from(vec![npts])))
    }
    fn bwd(
        &self,
        x: &candle_core::Tensor,
        packed: &candle_core::Tensor,
        l: &candle_core::Tensor,
        _res: &candle_core::Tensor,
        g: &candle_core::Tensor,
    ) -> candle_core::Result<(Option<candle_core::Tensor>, Option<candle_core::Tensor>, Option<candle_core::Tensor>)> {
        let (n, k) = (self.n, self.k);
        let (pv, lv, gv) = (read(packed)?, read(l)?, read(g)?);
        let resp = std::mem::take(&mut *self.resp.lock().unwrap_or_else(|p| p.into_inner()));
        let npts = gv.len();
        if resp.len() != npts * k {
            candle_core::bail!("gaussian_mixture_log_prob: backward without its forward");
        }
        // Data points that no gradient can reach get none computed.
        let mut gx = x.track_op().then(|| vec![0.0; npts * n]);
        let parts = chunks(npts);
        let mut partial: Vec<(Vec<f64>, Vec<f64>)> = (0..parts).map(|_| (vec![0.0; k * (n + 1)], vec![0.0; k * n * n])).collect();
        {
            let (storage, layout) = x.storage_and_layout();
            let Storage::Cpu(cpu) = &*storage else { candle_core::bail!("gaussian_mixture_log_prob runs on the CPU only") };
            with_n!(n, N => {
                let cm = Components::<N>::new(k, &pv, &lv);
                match cpu {
                    CpuStorage::F32(v) => run_backward(&cm, &points(v, layout), &resp, &gv, gx.as_deref_mut(), &mut partial),
                    CpuStorage::F64(v) => run_backward(&cm, &points(v, layout), &resp, &gv, gx.as_deref_mut(), &mut partial),
                    _ => candle_core::bail!("gaussian_mixture_log_prob supports float32 and float64 only"),
                }
            });
        }
        give_buffer(resp);
        // Fixed reduction order.
        let (mut gp, mut gl) = (vec![0.0; k * (n + 1)], vec![0.0; k * n * n]);
        for (p, q) in &partial {
            gp.iter_mut().zip(p).for_each(|(a, b)| *a += b);
            gl.iter_mut().zip(q).for_each(|(a, b)| *a += b);
        }
        let gx = match gx {
            Some(v) => Some(build(v, x)?),
            None => None,
        };
        Ok((gx, Some(build(gp, packed)?), Some(build(gl, l)?)))
    }
}

/// The points as a contiguous slice (borrowed when the layout already is).
fn points<'a, T: Copy>(v: &'a [T], l: &Layout) -> std::borrow::Cow<'a, [T]> {
    match l.contiguous_offsets() {
        Some((a, b)) => std::borrow::Cow::Borrowed(&v[a..b]),
        None => std::borrow::Cow::Owned(super::map_layout(v, l, |x| x)),
    }
}

fn run_forward<const N: usize, T: Copy + Into<f64> + Sync>(cm: &Components<N>, x: &[T], out: &mut [f64], resp: &mut [f64]) {
    let k = cm.c.len();
    let npts = out.len();
    let parts = chunks(npts);
    let per = npts.div_ceil(parts).max(1);
    std::thread::scope(|sc| {
        for (c, (o, r)) in out.chunks_mut(per).zip(resp.chunks_mut(per * k)).enumerate() {
            let xs = &x[c * per * N..(c * per + o.len()) * N];
            if c + 1 == parts {
                cm.forward_range(xs, o, r);
            } else {
                sc.spawn(move || cm.forward_range(xs, o, r));
            }
        }
    });
}

fn run_backward<const N: usize, T: Copy + Into<f64> + Sync>(
    cm: &Components<N>,
    x: &[T],
    resp: &[f64],
    g: &[f64],
    gx: Option<&mut [f64]>,
    partial: &mut [(Vec<f64>, Vec<f64>)],
) {
    let k = cm.c.len();
    let npts = g.len();
    let parts = partial.len();
    let per = npts.div_ceil(parts).max(1);
    let mut gx_chunks: Vec<Option<&mut [f64]>> = match gx {
        Some(gx) => gx.chunks_mut(per * N).map(Some).collect(),
        None => (0..parts).map(|_| None).collect(),
    };
    gx_chunks.resize_with(parts, || None);
    std::thread::scope(|sc| {
        for (c, (gxc, (gp, gl))) in gx_chunks.into_iter().zip(partial.iter_mut()).enumerate() {
            let (lo, hi) = (c * per, ((c + 1) * per).min(npts));
            let (xs, rs, gs) = (&x[lo * N..hi * N], &resp[lo * k..hi * k], &g[lo..hi]);
            if c + 1 == parts {
                cm.backward_range(xs, rs, gs, gxc, gp, gl);
            } else {
                sc.spawn(move || cm.backward_range(xs, rs, gs, gxc, gp, gl));
            }
        }
    });
}

thread_local! {
    /// Reused responsibility buffers: one fit reuses the same memory every step.
    static BUFFERS: std::cell::RefCell<Vec<Vec<f64>>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn take_buffer(len: usize) -> Vec<f64> {
    let mut v = BUFFERS.with(|b| b.borrow_mut().pop()).unwrap_or_default();
    v.clear();
    v.resize(len, 0.0);
    v
}

fn give_buffer(v: Vec<f64>) {
    BUFFERS.with(|b| {
        let mut b = b.borrow_mut();
        if b.len() < 4 {
            b.push(v);
        }
    });
}

impl Tensor {
    /// `log Σ_k exp(log_weights_k) N(x_i; loc_k, L_k L_kᵀ)` for points `x [N, n]`, `loc [K, n]`,
    /// lower-triangular `scale_tril [K, n, n]` and normalized `log_weights [K]`; returns `[N]`.
    /// One autodiff node; entries of `scale_tril` above the diagonal are ignored.
    pub fn gaussian_mixture_log_prob(x: &Tensor, loc: &Tensor, scale_tril: &Tensor, log_weights: &Tensor) -> Result<Tensor> {
        let (ls, ss, ws) = (loc.shape(), scale_tril.shape(), log_weights.shape());
        if x.rank() != 2 || ls.len() != 2 || ss.len() != 3 || ws.len() != 1 {
            return Err(Error::invalid_shape("gaussian_mixture_log_prob inputs", x.shape(), "expected x [N, n], loc [K, n], scale_tril [K, n, n], log_weights [K]"));
        }
        let (n, k) = (x.shape()[1], ls[0]);
        if ls[1] != n || ss != [k, n, n] || ws[0] != k {
            return Err(Error::ShapeMismatch { context: "gaussian_mixture_log_prob loc / scale_tril / log_weights".into(), lhs: ls.to_vec(), rhs: ss.to_vec() });
        }
        x.check_dtype(loc, "gaussian_mixture_log_prob")?;
        x.check_dtype(scale_tril, "gaussian_mixture_log_prob")?;
        let packed = Tensor::concat(&[loc, &log_weights.unsqueeze(1)?], 1)?;
        if n == 0 || n > MAX_EVENT_SIZE {
            return Err(Error::invalid_shape("gaussian_mixture_log_prob event", &[n], format!("supported event sizes are 1..={MAX_EVENT_SIZE}")));
        }
        Ok(Tensor(x.0.apply_op3(&packed.0, &scale_tril.0, GaussianMixture { n, k, resp: Default::default() })?))
    }
}
