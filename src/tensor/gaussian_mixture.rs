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
//! output, the gradient of `x` (only when `x` is tracked) and one reused buffer of
//! responsibilities. Points are processed in blocks of 8 lanes (structure of arrays, so the
//! solves vectorize; an AVX2 + FMA build of the same code is chosen at run time). When the
//! parameters are tracked, the forward pass also accumulates the parameter gradients of
//! `Σ_i out_i` (the loss's value and gradient in one pass over the data); the backward scales
//! them when the upstream gradient is uniform (sum or mean losses) and otherwise makes a second
//! pass.

use super::{storage_f64, Tensor};
use crate::error::{Error, Result};
use candle_core::{CpuStorage, CustomOp3, Layout, Shape, Storage};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

struct GaussianMixture {
    n: usize,
    k: usize,
    /// Accumulate the parameter gradients during the forward pass (the parameters are tracked).
    fused: bool,
    /// Responsibilities `r_ik` saved by the forward pass for a general backward (the one working
    /// buffer proportional to the number of points).
    resp: std::sync::Mutex<Vec<f64>>,
    /// Parameter gradients of `Σ_i out_i` from the fused forward: `([K, n+1], [K, n, n])`.
    sums: std::sync::Mutex<Option<(Vec<f64>, Vec<f64>)>>,
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

    /// Writes `out_i` and the responsibilities `r_ik` for a range of points; with `acc`, also
    /// accumulates the parameter gradients of `Σ_i out_i` (the fused single pass).
    #[inline(always)]
    fn forward_range<T: Elem>(&self, x: &[T], out: &mut [f64], resp: &mut [f64], mut acc: Option<&mut Acc<N>>) {
        let k = self.c.len();
        let npts = out.len();
        let mut lp = vec![[0.0f64; L]; k];
        let mut zs = vec![[[0.0f64; L]; N]; k];
        let mut xb = [[0.0f64; L]; N];
        let mut start = 0;
        while start < npts {
            let m = L.min(npts - start);
            load_block(x, start, m, &mut xb);
            for kk in 0..k {
                let q = self.whiten_block(kk, &xb, &mut zs[kk]);
                for l in 0..L {
                    lp[kk][l] = self.c[kk] - q[l];
                }
            }
            let mut mx = [f64::NEG_INFINITY; L];
            for lpk in &lp {
                for l in 0..L {
                    mx[l] = mx[l].max(lpk[l]);
                }
            }
            let mut sum = [0.0; L];
            for lpk in lp.iter_mut() {
                for l in 0..L {
                    lpk[l] -= mx[l];
                }
                T::exp_lanes(lpk);
                for l in 0..L {
                    sum[l] += lpk[l];
                }
            }
            let mut log_sum = sum;
            T::ln_lanes(&mut log_sum);
            let mut inv = [0.0; L];
            for l in 0..L {
                inv[l] = if l < m { 1.0 / sum[l] } else { 0.0 };
            }
            for (kk, lpk) in lp.iter_mut().enumerate() {
                for l in 0..L {
                    lpk[l] *= inv[l]; // responsibilities; 0 on padding lanes
                }
                for l in 0..m {
                    resp[(start + l) * k + kk] = lpk[l];
                }
                if let Some(acc) = acc.as_deref_mut() {
                    self.accumulate(kk, lpk, &zs[kk], acc, None);
                }
            }
            for l in 0..m {
                out[start + l] = mx[l] + log_sum[l];
            }
            start += m;
        }
    }

    /// z = L_k⁻¹ (x − μ_k) for a block of points; returns ½‖z‖² per lane.
    #[inline(always)]
    fn whiten_block(&self, kk: usize, xb: &[[f64; L]; N], z: &mut [[f64; L]; N]) -> [f64; L] {
        let (lm, mu, inv) = (&self.l[kk], &self.mu[kk], &self.inv_diag[kk]);
        let mut q = [0.0; L];
        for j in 0..N {
            let mut s = [0.0; L];
            for l in 0..L {
                s[l] = xb[j][l] - mu[j];
            }
            for m in 0..j {
                let c = lm[j][m];
                for l in 0..L {
                    s[l] -= c * z[m][l];
                }
            }
            for l in 0..L {
                z[j][l] = s[l] * inv[j];
                q[l] += z[j][l] * z[j][l];
            }
        }
        for v in q.iter_mut() {
            *v *= 0.5;
        }
        q
    }

    /// Adds `coef · ∂lp_k/∂(μ_k, L_k, lw_k)` for a block (per lane), and `−coef w` to `gxb`.
    #[inline(always)]
    fn accumulate(&self, kk: usize, coef: &[f64; L], z: &[[f64; L]; N], acc: &mut Acc<N>, gxb: Option<&mut [[f64; L]; N]>) {
        let (lm, inv) = (&self.l[kk], &self.inv_diag[kk]);
        let mut w = [[0.0f64; L]; N];
        for j in (0..N).rev() {
            let mut s = z[j];
            for mm in j + 1..N {
                let c = lm[mm][j];
                for l in 0..L {
                    s[l] -= c * w[mm][l];
                }
            }
            for l in 0..L {
                w[j][l] = s[l] * inv[j];
            }
        }
        let (am, al, ac) = (&mut acc.mu[kk], &mut acc.l[kk], &mut acc.c[kk]);
        for l in 0..L {
            ac[l] += coef[l];
        }
        let mut gxb = gxb;
        for j in 0..N {
            let mut cw = [0.0; L];
            for l in 0..L {
                cw[l] = coef[l] * w[j][l];
                am[j][l] += cw[l];
            }
            if let Some(g) = gxb.as_deref_mut() {
                for l in 0..L {
                    g[j][l] -= cw[l];
                }
            }
            for mm in 0..=j {
                for l in 0..L {
                    al[j][mm][l] += cw[l] * z[mm][l];
                }
            }
        }
    }

    /// The second pass, for a general upstream gradient `g` (or when `x` needs a gradient).
    #[inline(always)]
    fn backward_range<T: Elem>(&self, x: &[T], resp: &[f64], g: &[f64], mut gx: Option<&mut [f64]>, acc: &mut Acc<N>) {
        let k = self.c.len();
        let npts = g.len();
        let mut xb = [[0.0f64; L]; N];
        let mut z = [[0.0f64; L]; N];
        let mut start = 0;
        while start < npts {
            let m = L.min(npts - start);
            load_block(x, start, m, &mut xb);
            let mut gxb = [[0.0f64; L]; N];
            for kk in 0..k {
                let mut coef = [0.0; L];
                for l in 0..m {
                    coef[l] = g[start + l] * resp[(start + l) * k + kk];
                }
                self.whiten_block(kk, &xb, &mut z);
                self.accumulate(kk, &coef, &z, acc, Some(&mut gxb));
            }
            if let Some(gx) = gx.as_deref_mut() {
                for l in 0..m {
                    for j in 0..N {
                        gx[(start + l) * N + j] = gxb[j][l];
                    }
                }
            }
            start += m;
        }
    }
}

/// Per-lane gradient accumulators of one chunk of points, reduced once (fixed order).
struct Acc<const N: usize> {
    l: Vec<[[[f64; L]; N]; N]>,
    mu: Vec<[[f64; L]; N]>,
    c: Vec<[f64; L]>,
}

impl<const N: usize> Acc<N> {
    fn new(k: usize) -> Self {
        Acc { l: vec![[[[0.0; L]; N]; N]; k], mu: vec![[[0.0; L]; N]; k], c: vec![[0.0; L]; k] }
    }
    /// Adds the reduced sums into `gp [K, N+1]` and `gl [K, N, N]` (the −diag(1/L) term included).
    fn reduce_into(&self, cm: &Components<N>, gp: &mut [f64], gl: &mut [f64]) {
        for kk in 0..self.c.len() {
            let csum: f64 = self.c[kk].iter().sum();
            for j in 0..N {
                gp[kk * (N + 1) + j] += self.mu[kk][j].iter().sum::<f64>();
                for mm in 0..=j {
                    gl[kk * N * N + j * N + mm] += self.l[kk][j][mm].iter().sum::<f64>();
                }
                gl[kk * N * N + j * N + j] -= csum * cm.inv_diag[kk][j];
            }
            gp[kk * (N + 1) + N] += csum;
        }
    }
}

/// Points per SIMD block.
const L: usize = 8;

/// A point coordinate type, with the lane-wise `exp`/`ln` of its precision (float32 data gets
/// float32 exponentials, 8 lanes at once; its outputs are float32 anyway).
pub(crate) trait Elem: Copy + Into<f64> + Sync {
    fn exp_lanes(v: &mut [f64; L]);
    fn ln_lanes(v: &mut [f64; L]);
}

impl Elem for f64 {
    #[inline(always)]
    fn exp_lanes(v: &mut [f64; L]) {
        simd_exp(v)
    }
    #[inline(always)]
    fn ln_lanes(v: &mut [f64; L]) {
        simd_ln(v)
    }
}

impl Elem for f32 {
    #[inline(always)]
    fn exp_lanes(v: &mut [f64; L]) {
        let e = wide::f32x8::from(std::array::from_fn::<f32, 8, _>(|i| v[i] as f32)).exp().to_array();
        for i in 0..L {
            v[i] = e[i] as f64;
        }
    }
    #[inline(always)]
    fn ln_lanes(v: &mut [f64; L]) {
        let e = wide::f32x8::from(std::array::from_fn::<f32, 8, _>(|i| v[i] as f32)).ln().to_array();
        for i in 0..L {
            v[i] = e[i] as f64;
        }
    }
}

/// `exp` of every lane, 4 at a time (`wide`'s vectorized exp, ~1 ulp).
#[inline(always)]
fn simd_exp(v: &mut [f64; L]) {
    for c in v.chunks_exact_mut(4) {
        let e = wide::f64x4::from([c[0], c[1], c[2], c[3]]).exp().to_array();
        c.copy_from_slice(&e);
    }
}

/// `ln` of every lane, 4 at a time.
#[inline(always)]
fn simd_ln(v: &mut [f64; L]) {
    for c in v.chunks_exact_mut(4) {
        let e = wide::f64x4::from([c[0], c[1], c[2], c[3]]).ln().to_array();
        c.copy_from_slice(&e);
    }
}

/// Transposes points `start..start+m` into a block (lanes past `m` repeat the last point, with
/// zero weight in the backward pass).
#[inline(always)]
fn load_block<const N: usize, T: Copy + Into<f64>>(x: &[T], start: usize, m: usize, xb: &mut [[f64; L]; N]) {
    for l in 0..L {
        let p = start + l.min(m - 1);
        for j in 0..N {
            xb[j][l] = x[p * N + j].into();
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

/// The block kernels compiled for the baseline target and, on x86-64, for AVX2 + FMA (chosen
/// at run time): the same code, wider vectors.
mod dispatch {
    use super::{Acc, Components, Elem};

    #[inline(always)]
    fn has_avx2() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn forward_avx2<const N: usize, T: Elem>(cm: &Components<N>, x: &[T], out: &mut [f64], resp: &mut [f64], acc: Option<&mut Acc<N>>) {
        cm.forward_range(x, out, resp, acc)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn backward_avx2<const N: usize, T: Elem>(cm: &Components<N>, x: &[T], resp: &[f64], g: &[f64], gx: Option<&mut [f64]>, acc: &mut Acc<N>) {
        cm.backward_range(x, resp, g, gx, acc)
    }

    pub fn forward<const N: usize, T: Elem>(cm: &Components<N>, x: &[T], out: &mut [f64], resp: &mut [f64], acc: Option<&mut Acc<N>>) {
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            // SAFETY: the CPU supports AVX2 and FMA (checked above).
            return unsafe { forward_avx2(cm, x, out, resp, acc) };
        }
        cm.forward_range(x, out, resp, acc)
    }

    pub fn backward<const N: usize, T: Elem>(cm: &Components<N>, x: &[T], resp: &[f64], g: &[f64], gx: Option<&mut [f64]>, acc: &mut Acc<N>) {
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            // SAFETY: the CPU supports AVX2 and FMA (checked above).
            return unsafe { backward_avx2(cm, x, resp, g, gx, acc) };
        }
        cm.backward_range(x, resp, g, gx, acc)
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
        let sums = with_n!(n, N => {
            let cm = Components::<N>::new(k, &packed, &lv);
            match s1 {
                CpuStorage::F32(v) => run_forward(&cm, &points(v, l1), &mut out, &mut resp, self.fused),
                CpuStorage::F64(v) => run_forward(&cm, &points(v, l1), &mut out, &mut resp, self.fused),
                _ => candle_core::bail!("gaussian_mixture_log_prob supports float32 and float64 only"),
            }
        });
        *self.resp.lock().unwrap_or_else(|p| p.into_inner()) = resp;
        *self.sums.lock().unwrap_or_else(|p| p.into_inner()) = sums;
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
        let gv = read(g)?;
        // Read, not taken: a graph may be differentiated more than once.
        let resp_guard = self.resp.lock().unwrap_or_else(|p| p.into_inner());
        let resp: &[f64] = &resp_guard;
        let sums = self.sums.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let npts = gv.len();
        if resp.len() != npts * k {
            candle_core::bail!("gaussian_mixture_log_prob: backward without its forward");
        }
        // The fused pass already holds ∂(Σ out)/∂θ: a uniform upstream gradient (sum or mean
        // of the log-densities) just scales it.
        let uniform = gv.first().map(|g0| gv.iter().all(|v| v == g0)).unwrap_or(true);
        if let (Some((gp, gl)), true, false) = (&sums, uniform, x.track_op()) {
            let c = gv.first().copied().unwrap_or(0.0);
            return Ok((None, Some(build(gp.iter().map(|v| v * c).collect(), packed)?), Some(build(gl.iter().map(|v| v * c).collect(), l)?)));
        }
        let (pv, lv) = (read(packed)?, read(l)?);
        // Data points that no gradient can reach get none computed.
        let mut gx = x.track_op().then(|| vec![0.0; npts * n]);
        let (mut gp, mut gl) = (vec![0.0; k * (n + 1)], vec![0.0; k * n * n]);
        {
            let (storage, layout) = x.storage_and_layout();
            let Storage::Cpu(cpu) = &*storage else { candle_core::bail!("gaussian_mixture_log_prob runs on the CPU only") };
            with_n!(n, N => {
                let cm = Components::<N>::new(k, &pv, &lv);
                match cpu {
                    CpuStorage::F32(v) => run_backward(&cm, &points(v, layout), resp, &gv, gx.as_deref_mut(), &mut gp, &mut gl),
                    CpuStorage::F64(v) => run_backward(&cm, &points(v, layout), resp, &gv, gx.as_deref_mut(), &mut gp, &mut gl),
                    _ => candle_core::bail!("gaussian_mixture_log_prob supports float32 and float64 only"),
                }
            });
        }
        let gx = match gx {
            Some(v) => Some(build(v, x)?),
            None => None,
        };
        Ok((gx, Some(build(gp, packed)?), Some(build(gl, l)?)))
    }
}

impl Drop for GaussianMixture {
    /// The responsibilities buffer goes back to the pool when the graph holding this op is dropped.
    fn drop(&mut self) {
        give_buffer(std::mem::take(self.resp.get_mut().unwrap_or_else(|p| p.into_inner())));
    }
}

/// The points as a contiguous slice (borrowed when the layout already is).
fn points<'a, T: Copy>(v: &'a [T], l: &Layout) -> std::borrow::Cow<'a, [T]> {
    match l.contiguous_offsets() {
        Some((a, b)) => std::borrow::Cow::Borrowed(&v[a..b]),
        None => std::borrow::Cow::Owned(super::map_layout(v, l, |x| x)),
    }
}

/// The forward pass over all points; returns the fused parameter gradients when `fused`.
///
/// Single-threaded by measurement: on this project's 2-vCPU machine a 2-way split on rayon was
/// slower (0.68–0.84 ms vs 0.63 ms per W5 step); parallelism belongs a level up (chains,
/// restarts), as DESIGN.md says.
fn run_forward<const N: usize, T: Elem>(cm: &Components<N>, x: &[T], out: &mut [f64], resp: &mut [f64], fused: bool) -> Option<(Vec<f64>, Vec<f64>)> {
    let k = cm.c.len();
    let mut acc = fused.then(|| Acc::new(k));
    dispatch::forward(cm, x, out, resp, acc.as_mut());
    acc.map(|a| {
        let (mut gp, mut gl) = (vec![0.0; k * (N + 1)], vec![0.0; k * N * N]);
        a.reduce_into(cm, &mut gp, &mut gl);
        (gp, gl)
    })
}

/// The general backward pass.
fn run_backward<const N: usize, T: Elem>(cm: &Components<N>, x: &[T], resp: &[f64], g: &[f64], gx: Option<&mut [f64]>, gp: &mut [f64], gl: &mut [f64]) {
    let mut acc = Acc::new(cm.c.len());
    dispatch::backward(cm, x, resp, g, gx, &mut acc);
    acc.reduce_into(cm, gp, gl);
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

/// `lp_ik = log N(x_i; μ_k, L_k L_kᵀ)` for every point and component, `[N, K]` (the
/// multivariate normal's batched log-density: no copy of the points per component).
struct ComponentLogProb {
    n: usize,
    k: usize,
}

impl<const N: usize> Components<N> {
    #[inline(always)]
    fn component_forward<T: Elem>(&self, x: &[T], out: &mut [f64]) {
        let k = self.c.len();
        let npts = out.len() / k;
        let (mut xb, mut z) = ([[0.0f64; L]; N], [[0.0f64; L]; N]);
        let mut start = 0;
        while start < npts {
            let m = L.min(npts - start);
            load_block(x, start, m, &mut xb);
            for kk in 0..k {
                let q = self.whiten_block(kk, &xb, &mut z);
                for l in 0..m {
                    out[(start + l) * k + kk] = self.c[kk] - q[l];
                }
            }
            start += m;
        }
    }

    #[inline(always)]
    fn component_backward<T: Elem>(&self, x: &[T], g: &[f64], mut gx: Option<&mut [f64]>, acc: &mut Acc<N>) {
        let k = self.c.len();
        let npts = g.len() / k;
        let (mut xb, mut z) = ([[0.0f64; L]; N], [[0.0f64; L]; N]);
        let mut start = 0;
        while start < npts {
            let m = L.min(npts - start);
            load_block(x, start, m, &mut xb);
            let mut gxb = [[0.0f64; L]; N];
            for kk in 0..k {
                let mut coef = [0.0; L];
                for l in 0..m {
                    coef[l] = g[(start + l) * k + kk];
                }
                self.whiten_block(kk, &xb, &mut z);
                self.accumulate(kk, &coef, &z, acc, Some(&mut gxb));
            }
            if let Some(gx) = gx.as_deref_mut() {
                for l in 0..m {
                    for j in 0..N {
                        gx[(start + l) * N + j] = gxb[j][l];
                    }
                }
            }
            start += m;
        }
    }
}

impl CustomOp3 for ComponentLogProb {
    fn name(&self) -> &'static str {
        "mvn_tril_log_prob"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (packed, lv) = (storage_f64(s2, l2)?, storage_f64(s3, l3)?);
        let (n, k) = (self.n, self.k);
        let npts = l1.shape().elem_count() / n;
        let mut out = vec![0.0; npts * k];
        with_n!(n, N => {
            let cm = Components::<N>::new(k, &packed, &lv);
            match s1 {
                CpuStorage::F32(v) => cm.component_forward(&points(v, l1), &mut out),
                CpuStorage::F64(v) => cm.component_forward(&points(v, l1), &mut out),
                _ => candle_core::bail!("mvn_tril_log_prob supports float32 and float64 only"),
            }
        });
        Ok((to_storage(matches!(s1, CpuStorage::F32(_)), out), Shape::from(vec![npts, k])))
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
        let npts = gv.len() / k;
        let mut gx = x.track_op().then(|| vec![0.0; npts * n]);
        let (mut gp, mut gl) = (vec![0.0; k * (n + 1)], vec![0.0; k * n * n]);
        {
            let (storage, layout) = x.storage_and_layout();
            let Storage::Cpu(cpu) = &*storage else { candle_core::bail!("mvn_tril_log_prob runs on the CPU only") };
            with_n!(n, N => {
                let cm = Components::<N>::new(k, &pv, &lv);
                let mut acc = Acc::new(k);
                match cpu {
                    CpuStorage::F32(v) => cm.component_backward(&points(v, layout), &gv, gx.as_deref_mut(), &mut acc),
                    CpuStorage::F64(v) => cm.component_backward(&points(v, layout), &gv, gx.as_deref_mut(), &mut acc),
                    _ => candle_core::bail!("mvn_tril_log_prob supports float32 and float64 only"),
                }
                acc.reduce_into(&cm, &mut gp, &mut gl);
            });
        }
        let gx = match gx {
            Some(v) => Some(build(v, x)?),
            None => None,
        };
        Ok((gx, Some(build(gp, packed)?), Some(build(gl, l)?)))
    }
}

impl Tensor {
    /// `log N(x_i; loc_k, L_k L_kᵀ)` for points `x [N, n]` against every component
    /// (`loc [K, n]`, lower-triangular `scale_tril [K, n, n]`): `[N, K]`, one autodiff node,
    /// without copying the points per component. Event sizes 1..=8.
    pub fn mvn_tril_log_prob(x: &Tensor, loc: &Tensor, scale_tril: &Tensor) -> Result<Tensor> {
        let (ls, ss) = (loc.shape(), scale_tril.shape());
        if x.rank() != 2 || ls.len() != 2 || ss.len() != 3 {
            return Err(Error::invalid_shape("mvn_tril_log_prob inputs", x.shape(), "expected x [N, n], loc [K, n], scale_tril [K, n, n]"));
        }
        let (n, k) = (x.shape()[1], ls[0]);
        if ls[1] != n || ss != [k, n, n] {
            return Err(Error::ShapeMismatch { context: "mvn_tril_log_prob loc / scale_tril".into(), lhs: ls.to_vec(), rhs: ss.to_vec() });
        }
        if n == 0 || n > MAX_EVENT_SIZE {
            return Err(Error::invalid_shape("mvn_tril_log_prob event", &[n], format!("supported event sizes are 1..={MAX_EVENT_SIZE}")));
        }
        x.check_dtype(loc, "mvn_tril_log_prob")?;
        x.check_dtype(scale_tril, "mvn_tril_log_prob")?;
        let packed = Tensor::concat(&[loc, &Tensor::zeros(&[k, 1], loc.dtype())?], 1)?;
        Ok(Tensor(x.0.apply_op3(&packed.0, &scale_tril.0, ComponentLogProb { n, k })?))
    }

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
        let fused = loc.0.track_op() || scale_tril.0.track_op() || log_weights.0.track_op();
        Ok(Tensor(x.0.apply_op3(&packed.0, &scale_tril.0, GaussianMixture { n, k, fused, resp: Default::default(), sums: Default::default() })?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn simd_exp_and_ln_match_libm() {
        // The responsibilities use exp on (−∞, 0] and ln on [1, K]; check both ranges and beyond.
        let mut worst: f64 = 0.0;
        for i in 0..4000 {
            let x = -700.0 + 0.1751 * i as f64;
            let mut v = [x.min(0.0); L];
            simd_exp(&mut v);
            let e = x.min(0.0).exp();
            if e > 0.0 {
                worst = worst.max(((v[0] - e) / e).abs());
            }
            let y = 1.0 + 0.01 * i as f64;
            let mut w = [y; L];
            simd_ln(&mut w);
            worst = worst.max(((w[3] - y.ln()) / y.ln().max(1e-300)).abs());
        }
        assert!(worst < 1e-14, "max relative error {worst}");
        let mut inf = [f64::NEG_INFINITY; L];
        simd_exp(&mut inf);
        assert_eq!(inf[0], 0.0);
    }
}
