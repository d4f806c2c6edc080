//! Fused kernels for multivariate-normal log-densities with Cholesky factors: the mixture
//! `log Σ_k w_k N(x; μ_k, L_k L_kᵀ)` (the hot path of fitting mixture models, W5) and the
//! per-component `log N(x_i; μ_k, L_k L_kᵀ)` for a batch of components — value and gradient
//! each in one pass over the points.
//!
//! ```text
//! lp_ik  = lw_k − ½‖z_ik‖² − Σ_j log L_k,jj − (n/2) log 2π,   L_k z_ik = x_i − μ_k
//! out_i  = logsumexp_k lp_ik                                   (mixture)
//! ```
//! Backward, with `c = g_i r_ik` (`r_ik = exp(lp_ik − out_i)` for the mixture, `g_ik` per
//! component) and `w = L_k⁻ᵀ z_ik`: `∂μ_k = Σ c w`, `∂x_i = −Σ_k c w`,
//! `∂L_k = Σ c (tril(w zᵀ) − diag(1/L_jj))`, `∂lw_k = Σ c`. Since `w` is linear in `z`, the
//! parameter gradients are accumulated as moments of `z` (`Σ c z`, `Σ c z zᵀ`) and `L⁻ᵀ` is
//! applied once per component at the end; the per-point solve for `w` runs only for `∂x`.
//!
//! How it is fast: points are processed in blocks of 8 f64 lanes (structure of arrays, so the
//! triangular solves vectorize), with an AVX2 + FMA build of the same code chosen at run time and
//! `wide`'s vectorized `exp`/`ln`. Lane accumulators are flushed into f64 totals every 64 blocks, which
//! bounds the rounding of long sums. For the mixture, when the parameters are tracked, the
//! forward pass also accumulates the parameter gradients of `Σ_i out_i`; the backward scales
//! them when the upstream gradient is uniform (sum or mean losses) and otherwise makes a second
//! pass. Besides the output, only one buffer of responsibilities (reused across steps) and the
//! gradient of `x` (only when `x` is tracked) are proportional to the number of points.
//! Single-threaded by measurement: on this project's 2-vCPU machine a 2-way split was slower
//! (0.68–0.84 ms vs 0.63 ms per W5 step); parallelism belongs a level up (DESIGN.md).

use crate::tensor::custom_op::{f64_like, tensor_f64};
use crate::tensor::{map_layout, storage_f64, Tensor};
use crate::error::{Error, Result};
use candle_core::{CpuStorage, CustomOp3, Layout, Shape, Storage};
use std::ops::{Add, AddAssign, Mul, MulAssign, Sub, SubAssign};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Points per SIMD block.
const L: usize = 8;

/// Blocks between flushes of the lane accumulators into f64 totals.
const FLUSH: usize = 64;

/// The largest event size the fused kernels handle.
///
/// ```
/// use probrs::tensor::gaussian_mixture::MAX_EVENT_SIZE;
/// use probrs::tensor::{DType, Tensor};
/// // Events up to this size take the fused kernel; both paths give the same densities.
/// let x = Tensor::zeros(&[1, MAX_EVENT_SIZE], DType::F64)?;
/// let loc = Tensor::zeros(&[1, MAX_EVENT_SIZE], DType::F64)?; // one component
/// let l = probrs::tensor::linalg::eye(MAX_EVENT_SIZE, DType::F64)?.unsqueeze(0)?;
/// let lp = Tensor::mvn_tril_log_prob(&x, &loc, &l)?.to_vec()?;
/// let expected = -0.5 * MAX_EVENT_SIZE as f64 * (2.0 * std::f64::consts::PI).ln();
/// assert!((lp[0] - expected).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub const MAX_EVENT_SIZE: usize = 8;

// ----- lane arithmetic -------------------------------------------------------------------

/// The arithmetic type of the lanes. Only f64 is instantiated: f32 lanes for float32 data were
/// measured slower on W5 (1.2–1.7 ms vs 0.97 ms per step, same machine state), since `wide`'s
/// f32x8 `exp` runs as two SSE halves in a portable build and the accumulator traffic dominates.
pub(crate) trait Lane:
    Copy + Default + PartialOrd + Send + Sync + 'static + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + AddAssign + SubAssign + MulAssign
{
    const NEG_INFINITY: Self;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    fn recip(self) -> Self;
    /// `exp` of every lane.
    fn exp_lanes(v: &mut [Self; L]);
    /// `ln` of every lane.
    fn ln_lanes(v: &mut [Self; L]);
    /// The CPU storage variant holding this type.
    fn slice(s: &CpuStorage) -> Option<&[Self]>;
}

impl Lane for f64 {
    const NEG_INFINITY: Self = f64::NEG_INFINITY;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn recip(self) -> Self {
        1.0 / self
    }
    #[inline(always)]
    fn exp_lanes(v: &mut [Self; L]) {
        for c in v.chunks_exact_mut(4) {
            c.copy_from_slice(&wide::f64x4::from([c[0], c[1], c[2], c[3]]).exp().to_array());
        }
    }
    #[inline(always)]
    fn ln_lanes(v: &mut [Self; L]) {
        for c in v.chunks_exact_mut(4) {
            c.copy_from_slice(&wide::f64x4::from([c[0], c[1], c[2], c[3]]).ln().to_array());
        }
    }
    fn slice(s: &CpuStorage) -> Option<&[Self]> {
        match s {
            CpuStorage::F64(v) => Some(v),
            _ => None,
        }
    }
}

#[inline(always)]
fn lanes<F: Lane>(v: F) -> [F; L] {
    [v; L]
}

// ----- components and accumulators -------------------------------------------------------

/// Component constants for event size `N`: μ, L (lower), 1/L_jj, lw − Σ log L_jj − (N/2) log 2π.
/// With `D` (diagonal scales) the whitening and the moments skip the entries below the
/// diagonal, which are zero: `N` operations a point and component instead of `N(N+1)/2`.
struct Components<const N: usize, F: Lane, const D: bool> {
    mu: Vec<[F; N]>,
    l: Vec<[[F; N]; N]>,
    inv_diag: Vec<[F; N]>,
    /// 1/L_jj in f64, for the −diag(1/L) gradient term.
    inv_diag64: Vec<[f64; N]>,
    c: Vec<F>,
}

/// Per-lane accumulators of `Σ c`, `Σ c z` and `Σ c z zᵀ` (lower triangle) per component,
/// flushed into f64 totals every `FLUSH` blocks.
struct Acc<const N: usize, F: Lane> {
    l: Vec<[[[F; L]; N]; N]>,
    mu: Vec<[[F; L]; N]>,
    c: Vec<[F; L]>,
    blocks: usize,
    tl: Vec<[[f64; N]; N]>,
    tmu: Vec<[f64; N]>,
    tc: Vec<f64>,
}

impl<const N: usize, F: Lane> Acc<N, F> {
    fn new(k: usize) -> Self {
        Acc {
            l: vec![[[[F::default(); L]; N]; N]; k],
            mu: vec![[[F::default(); L]; N]; k],
            c: vec![[F::default(); L]; k],
            blocks: 0,
            tl: vec![[[0.0; N]; N]; k],
            tmu: vec![[0.0; N]; k],
            tc: vec![0.0; k],
        }
    }
    /// Called after each block: flushes the lanes every `FLUSH` blocks.
    #[inline(always)]
    fn tick(&mut self) {
        self.blocks += 1;
        if self.blocks == FLUSH {
            self.flush();
        }
    }
    fn flush(&mut self) {
        let sum = |v: &mut [F; L]| -> f64 {
            let s = v.iter().map(|x| x.to_f64()).sum();
            *v = [F::default(); L];
            s
        };
        for kk in 0..self.c.len() {
            self.tc[kk] += sum(&mut self.c[kk]);
            for j in 0..N {
                self.tmu[kk][j] += sum(&mut self.mu[kk][j]);
                for m in 0..=j {
                    self.tl[kk][j][m] += sum(&mut self.l[kk][j][m]);
                }
            }
        }
        self.blocks = 0;
    }
    /// The gradients `gp [K, N+1]` (μ then lw) and `gl [K, N, N]` from the z-moments:
    /// `∂μ = L⁻ᵀ Σ c z`, `∂L = tril(L⁻ᵀ Σ c z zᵀ) − (Σ c) diag(1/L)`, `∂lw = Σ c`.
    fn finish<const D: bool>(mut self, cm: &Components<N, F, D>) -> (Vec<f64>, Vec<f64>) {
        self.flush();
        let k = self.c.len();
        let (mut gp, mut gl) = (vec![0.0; k * (N + 1)], vec![0.0; k * N * N]);
        for kk in 0..k {
            let lk: [[f64; N]; N] = std::array::from_fn(|j| std::array::from_fn(|m| if m <= j { cm.l[kk][j][m].to_f64() } else { 0.0 }));
            // Solve Lᵀ X = B (back substitution), column by column.
            let solve_t = |b: [f64; N]| -> [f64; N] {
                let mut x = [0.0; N];
                for j in (0..N).rev() {
                    let mut s = b[j];
                    for m in j + 1..N {
                        s -= lk[m][j] * x[m];
                    }
                    x[j] = s * cm.inv_diag64[kk][j];
                }
                x
            };
            let gmu = solve_t(self.tmu[kk]);
            let szz: [[f64; N]; N] = std::array::from_fn(|j| std::array::from_fn(|m| if m <= j { self.tl[kk][j][m] } else { self.tl[kk][m][j] }));
            for col in 0..N {
                let x = solve_t(std::array::from_fn(|j| szz[j][col]));
                for j in col..N {
                    gl[kk * N * N + j * N + col] = x[j];
                }
            }
            for j in 0..N {
                gp[kk * (N + 1) + j] = gmu[j];
                gl[kk * N * N + j * N + j] -= self.tc[kk] * cm.inv_diag64[kk][j];
            }
            gp[kk * (N + 1) + N] = self.tc[kk];
        }
        (gp, gl)
    }
}

impl<const N: usize, F: Lane, const D: bool> Components<N, F, D> {
    fn new(k: usize, packed: &[f64], l: &[f64]) -> Self {
        let z = F::default();
        let mut cm = Components { mu: vec![[z; N]; k], l: vec![[[z; N]; N]; k], inv_diag: vec![[z; N]; k], inv_diag64: vec![[0.0; N]; k], c: vec![z; k] };
        for kk in 0..k {
            let mut logdet = 0.0;
            for j in 0..N {
                cm.mu[kk][j] = F::from_f64(packed[kk * (N + 1) + j]);
                for m in 0..=j {
                    cm.l[kk][j][m] = F::from_f64(l[kk * N * N + j * N + m]);
                }
                let d = l[kk * N * N + j * N + j];
                cm.inv_diag64[kk][j] = 1.0 / d;
                cm.inv_diag[kk][j] = F::from_f64(1.0 / d);
                logdet += d.abs().ln();
            }
            cm.c[kk] = F::from_f64(packed[kk * (N + 1) + N] - logdet - 0.5 * N as f64 * LN_2PI);
        }
        cm
    }

    /// Transposes points `start..start+m` into a block (lanes past `m` repeat the last point).
    #[inline(always)]
    fn load_block(x: &[F], start: usize, m: usize, xb: &mut [[F; L]; N]) {
        for l in 0..L {
            let p = start + l.min(m - 1);
            for j in 0..N {
                xb[j][l] = x[p * N + j];
            }
        }
    }

    /// z = L_k⁻¹ (x − μ_k) for a block; returns ½‖z‖² per lane.
    #[inline(always)]
    fn whiten_block(&self, kk: usize, xb: &[[F; L]; N], z: &mut [[F; L]; N]) -> [F; L] {
        let (lm, mu, inv) = (&self.l[kk], &self.mu[kk], &self.inv_diag[kk]);
        let mut q = [F::default(); L];
        for j in 0..N {
            let mut s = [F::default(); L];
            for l in 0..L {
                s[l] = xb[j][l] - mu[j];
            }
            for m in 0..if D { 0 } else { j } {
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
        let half = F::from_f64(0.5);
        for v in q.iter_mut() {
            *v *= half;
        }
        q
    }

    /// Adds `coef · ∂lp_k/∂(μ_k, L_k, lw_k)` for a block (per lane), and `−coef w` to `gxb`.
    ///
    /// Kept out of line with its own AVX2 build: inlined into the block loop, LLVM emitted
    /// scalar code for these lane loops (measured: W5 0.85 → see `accumulate_impl`).
    #[inline(always)]
    fn accumulate(&self, kk: usize, coef: &[F; L], z: &[[F; L]; N], acc: &mut Acc<N, F>, gxb: Option<&mut [[F; L]; N]>) {
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            // SAFETY: the CPU supports AVX2 and FMA (checked by has_avx2).
            return unsafe { self.accumulate_avx2(kk, coef, z, acc, gxb) };
        }
        self.accumulate_base(kk, coef, z, acc, gxb)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    #[inline(never)]
    unsafe fn accumulate_avx2(&self, kk: usize, coef: &[F; L], z: &[[F; L]; N], acc: &mut Acc<N, F>, gxb: Option<&mut [[F; L]; N]>) {
        self.accumulate_impl(kk, coef, z, acc, gxb)
    }

    #[inline(never)]
    fn accumulate_base(&self, kk: usize, coef: &[F; L], z: &[[F; L]; N], acc: &mut Acc<N, F>, gxb: Option<&mut [[F; L]; N]>) {
        self.accumulate_impl(kk, coef, z, acc, gxb)
    }

    #[inline(always)]
    fn accumulate_impl(&self, kk: usize, coef: &[F; L], z: &[[F; L]; N], acc: &mut Acc<N, F>, gxb: Option<&mut [[F; L]; N]>) {
        // Moments of z: Σ c z and Σ c z zᵀ; `finish` applies L⁻ᵀ once per component.
        let (am, al, ac) = (&mut acc.mu[kk], &mut acc.l[kk], &mut acc.c[kk]);
        for l in 0..L {
            ac[l] += coef[l];
        }
        for j in 0..N {
            let mut cz = [F::default(); L];
            for l in 0..L {
                cz[l] = coef[l] * z[j][l];
                am[j][l] += cz[l];
            }
            for mm in if D { j } else { 0 }..=j {
                for l in 0..L {
                    al[j][mm][l] += cz[l] * z[mm][l];
                }
            }
        }
        // ∂x = −c w, w = L⁻ᵀ z, per point: only when x needs a gradient.
        if let Some(g) = gxb {
            let (lm, inv) = (&self.l[kk], &self.inv_diag[kk]);
            let mut w = [[F::default(); L]; N];
            for j in (0..N).rev() {
                let mut s = z[j];
                for mm in if D { N } else { j + 1 }..N {
                    let c = lm[mm][j];
                    for l in 0..L {
                        s[l] -= c * w[mm][l];
                    }
                }
                for l in 0..L {
                    w[j][l] = s[l] * inv[j];
                    g[j][l] -= coef[l] * w[j][l];
                }
            }
        }
    }

    /// Mixture forward: `out_i`, the responsibilities, and (with `acc`) the gradients of Σ out.
    #[inline(always)]
    /// With `gx` (and `acc`) it also writes `∂(Σ out)/∂x`.
    fn mixture_forward(&self, x: &[F], out: &mut [F], resp: &mut [F], mut acc: Option<&mut Acc<N, F>>, mut gx: Option<&mut [F]>) {
        let k = self.c.len();
        let npts = out.len();
        let mut lp = vec![[F::default(); L]; k];
        let mut zs = vec![[[F::default(); L]; N]; k];
        let mut xb = [[F::default(); L]; N];
        let mut start = 0;
        while start < npts {
            let m = L.min(npts - start);
            Self::load_block(x, start, m, &mut xb);
            for kk in 0..k {
                let q = self.whiten_block(kk, &xb, &mut zs[kk]);
                for l in 0..L {
                    lp[kk][l] = self.c[kk] - q[l];
                }
            }
            let mut mx = lanes(F::NEG_INFINITY);
            for lpk in &lp {
                for l in 0..L {
                    if lpk[l] > mx[l] {
                        mx[l] = lpk[l];
                    }
                }
            }
            let mut sum = [F::default(); L];
            for lpk in lp.iter_mut() {
                for l in 0..L {
                    lpk[l] -= mx[l];
                }
                F::exp_lanes(lpk);
                for l in 0..L {
                    sum[l] += lpk[l];
                }
            }
            let mut log_sum = sum;
            F::ln_lanes(&mut log_sum);
            let mut inv = [F::default(); L];
            for l in 0..m {
                inv[l] = sum[l].recip(); // padding lanes keep 0: no contribution
            }
            let mut gxb = [[F::default(); L]; N];
            for (kk, lpk) in lp.iter_mut().enumerate() {
                for l in 0..L {
                    lpk[l] *= inv[l];
                }
                for l in 0..m {
                    resp[(start + l) * k + kk] = lpk[l];
                }
                if let Some(acc) = acc.as_deref_mut() {
                    self.accumulate(kk, lpk, &zs[kk], acc, gx.is_some().then_some(&mut gxb));
                }
            }
            if let Some(acc) = acc.as_deref_mut() {
                acc.tick();
            }
            if let Some(gx) = gx.as_deref_mut() {
                for l in 0..m {
                    for j in 0..N {
                        gx[(start + l) * N + j] = gxb[j][l];
                    }
                }
            }
            for l in 0..m {
                out[start + l] = mx[l] + log_sum[l];
            }
            start += m;
        }
    }

    /// Per-component forward: `out [N, K]`.
    #[inline(always)]
    fn component_forward(&self, x: &[F], out: &mut [F]) {
        let k = self.c.len();
        let npts = out.len() / k;
        let (mut xb, mut z) = ([[F::default(); L]; N], [[F::default(); L]; N]);
        let mut start = 0;
        while start < npts {
            let m = L.min(npts - start);
            Self::load_block(x, start, m, &mut xb);
            for kk in 0..k {
                let q = self.whiten_block(kk, &xb, &mut z);
                for l in 0..m {
                    out[(start + l) * k + kk] = self.c[kk] - q[l];
                }
            }
            start += m;
        }
    }

    /// The general backward pass: `coef(point, k)` gives `g_i r_ik` (mixture) or `g_ik`.
    #[inline(always)]
    fn backward(&self, x: &[F], coef_of: impl Fn(usize, usize) -> F, npts: usize, mut gx: Option<&mut [F]>, acc: &mut Acc<N, F>) {
        let k = self.c.len();
        let (mut xb, mut z) = ([[F::default(); L]; N], [[F::default(); L]; N]);
        let mut start = 0;
        while start < npts {
            let m = L.min(npts - start);
            Self::load_block(x, start, m, &mut xb);
            let mut gxb = [[F::default(); L]; N];
            for kk in 0..k {
                let mut coef = [F::default(); L];
                for l in 0..m {
                    coef[l] = coef_of(start + l, kk);
                }
                self.whiten_block(kk, &xb, &mut z);
                self.accumulate(kk, &coef, &z, acc, Some(&mut gxb));
            }
            acc.tick();
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

// ----- run-time dispatch to an AVX2 + FMA build ------------------------------------------

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

/// The kernels' entry points, each compiled twice: for the baseline target and with AVX2 + FMA
/// (chosen at run time). The `#[inline(always)]` kernels are inlined into each.
mod entry {
    use super::{Acc, Components, Lane};

    macro_rules! entry {
        ($name:ident, $avx:ident, ($($arg:ident: $ty:ty),*), $body:expr) => {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn $avx<const N: usize, F: Lane, const D: bool>($($arg: $ty),*) {
                $body
            }
            pub fn $name<const N: usize, F: Lane, const D: bool>($($arg: $ty),*) {
                #[cfg(target_arch = "x86_64")]
                if super::has_avx2() {
                    // SAFETY: the CPU supports AVX2 and FMA (checked by has_avx2).
                    return unsafe { $avx::<N, F, D>($($arg),*) };
                }
                $body
            }
        };
    }

    entry!(mixture_forward, mixture_forward_avx2, (cm: &Components<N, F, D>, x: &[F], out: &mut [F], resp: &mut [F], acc: Option<&mut Acc<N, F>>, gx: Option<&mut [F]>), cm.mixture_forward(x, out, resp, acc, gx));
    entry!(component_forward, component_forward_avx2, (cm: &Components<N, F, D>, x: &[F], out: &mut [F]), cm.component_forward(x, out));
    entry!(mixture_backward, mixture_backward_avx2, (cm: &Components<N, F, D>, x: &[F], resp: &[F], g: &[F], gx: Option<&mut [F]>, acc: &mut Acc<N, F>), {
        let k = cm.c.len();
        cm.backward(x, |i, kk| g[i] * resp[i * k + kk], g.len(), gx, acc)
    });
    entry!(component_backward, component_backward_avx2, (cm: &Components<N, F, D>, x: &[F], g: &[F], gx: Option<&mut [F]>, acc: &mut Acc<N, F>), {
        let k = cm.c.len();
        cm.backward(x, |i, kk| g[i * k + kk], g.len() / k, gx, acc)
    });
}

/// Runs `$body` with `N` bound to the event size as a constant (1..=8) and `D` to whether the
/// scales are diagonal.
macro_rules! with_n {
    ($n:expr, $diag:expr, $N:ident, $D:ident => $body:expr) => {
        if $diag {
            const $D: bool = true;
            with_n!(@n $n, $N => $body)
        } else {
            const $D: bool = false;
            with_n!(@n $n, $N => $body)
        }
    };
    (@n $n:expr, $N:ident => $body:expr) => {
        match $n {
            1 => { const $N: usize = 1; $body }
            2 => { const $N: usize = 2; $body }
            3 => { const $N: usize = 3; $body }
            4 => { const $N: usize = 4; $body }
            5 => { const $N: usize = 5; $body }
            6 => { const $N: usize = 6; $body }
            7 => { const $N: usize = 7; $body }
            8 => { const $N: usize = 8; $body }
            other => candle_core::bail!("fused normal kernels support event sizes 1..={MAX_EVENT_SIZE}, got {other}"),
        }
    };
}

// ----- buffers and I/O -------------------------------------------------------------------

thread_local! {
    /// Reused responsibility buffers: one fit reuses the same memory every step.
    static POOL: std::cell::RefCell<Vec<Vec<f64>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The responsibilities of one forward pass; the buffer returns to the pool when the graph
/// holding the op is dropped.
#[derive(Default)]
struct Resp(Vec<f64>);

impl Resp {
    fn take(len: usize) -> Self {
        let mut v = POOL.with(|p| p.borrow_mut().pop()).unwrap_or_default();
        v.clear();
        v.resize(len, 0.0);
        Resp(v)
    }
}

impl Drop for Resp {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        if v.capacity() > 0 {
            POOL.with(|p| {
                if p.borrow().len() < 4 {
                    p.borrow_mut().push(v)
                }
            });
        }
    }
}

fn build<F: Lane>(v: Vec<F>, like: &candle_core::Tensor) -> candle_core::Result<candle_core::Tensor> {
    f64_like(v.into_iter().map(|x| x.to_f64()).collect(), like)
}

/// The points as a contiguous slice of lane type `F` (borrowed when possible).
fn points<'a, F: Lane>(s: &'a CpuStorage, l: &Layout) -> candle_core::Result<std::borrow::Cow<'a, [F]>> {
    Ok(match (F::slice(s), l.contiguous_offsets()) {
        (Some(v), Some((a, b))) => std::borrow::Cow::Borrowed(&v[a..b]),
        (Some(v), None) => std::borrow::Cow::Owned(map_layout(v, l, |x| x)),
        (None, _) => std::borrow::Cow::Owned(storage_f64(s, l)?.into_iter().map(F::from_f64).collect()),
    })
}

// ----- the mixture op ------------------------------------------------------------------

/// The components' scales as the kernels read them, `[K, n, n]` in f64: the lower factors
/// themselves, or (diagonal) the scales `[K, n]` on the diagonals of zero matrices.
fn dense_scales(v: Vec<f64>, diag: bool, k: usize, n: usize) -> Vec<f64> {
    if !diag {
        return v;
    }
    let mut dense = vec![0.0; k * n * n];
    for kk in 0..k {
        for j in 0..n {
            dense[kk * n * n + j * n + j] = v[kk * n + j];
        }
    }
    dense
}

/// The scales' gradient in their own shape: `gl [K, n, n]`, or its diagonals `[K, n]`.
fn scale_gradient(gl: Vec<f64>, diag: bool, k: usize, n: usize) -> Vec<f64> {
    if !diag {
        return gl;
    }
    (0..k * n).map(|i| gl[(i / n) * n * n + (i % n) * (n + 1)]).collect()
}

/// Gradients of `Σ_i out_i` from the fused forward pass: `[K, n+1]`, the scales', and `x`'s
/// (when `x` is tracked).
type Sums = (Vec<f64>, Vec<f64>, Option<Vec<f64>>);

struct GaussianMixture {
    n: usize,
    k: usize,
    /// The scales are diagonals `[K, n]` rather than lower factors `[K, n, n]`.
    diag: bool,
    /// Accumulate the parameter gradients during the forward pass (the parameters are tracked).
    fused: bool,
    /// The points are tracked: the fused pass also writes their gradient.
    x_tracked: bool,
    resp: std::sync::Mutex<Resp>,
    sums: std::sync::Mutex<Option<Sums>>,
}

impl GaussianMixture {
    fn forward<F: Lane>(&self, x: &[F], packed: &[f64], lv: &[f64], resp: &mut [F]) -> candle_core::Result<(Vec<F>, Option<Sums>)> {
        let npts = x.len() / self.n;
        let mut out = vec![F::default(); npts];
        let mut gx = (self.fused && self.x_tracked).then(|| vec![F::default(); x.len()]);
        let sums = with_n!(self.n, self.diag, N, D => {
            let cm = Components::<N, F, D>::new(self.k, packed, lv);
            let mut acc = self.fused.then(|| Acc::new(self.k));
            entry::mixture_forward(&cm, x, &mut out, resp, acc.as_mut(), gx.as_deref_mut());
            acc.map(|a| a.finish(&cm))
        });
        let gx = gx.map(|v| v.into_iter().map(|x| x.to_f64()).collect());
        Ok((out, sums.map(|(gp, gl)| (gp, scale_gradient(gl, self.diag, self.k, self.n), gx))))
    }

    fn backward<F: Lane>(&self, x: &candle_core::Tensor, packed: &[f64], lv: &[f64], resp: &[F], g: &[F]) -> candle_core::Result<(Option<Vec<F>>, Vec<f64>, Vec<f64>)> {
        let (n, k) = (self.n, self.k);
        let npts = g.len();
        let mut gx = x.track_op().then(|| vec![F::default(); npts * n]);
        let (s, l) = x.storage_and_layout();
        let Storage::Cpu(cpu) = &*s else { candle_core::bail!("fused normal kernels run on the CPU only") };
        let xs = points::<F>(cpu, l)?;
        let (gp, gl) = with_n!(n, self.diag, N, D => {
            let cm = Components::<N, F, D>::new(k, packed, lv);
            let mut acc = Acc::new(k);
            entry::mixture_backward(&cm, &xs, resp, g, gx.as_deref_mut(), &mut acc);
            acc.finish(&cm)
        });
        Ok((gx, gp, scale_gradient(gl, self.diag, k, n)))
    }
}

impl CustomOp3 for GaussianMixture {
    fn name(&self) -> &'static str {
        "gaussian_mixture_log_prob"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (packed, lv) = (storage_f64(s2, l2)?, dense_scales(storage_f64(s3, l3)?, self.diag, self.k, self.n));
        let npts = l1.shape().elem_count() / self.n;
        let mut resp = Resp::take(npts * self.k);
        let (out, sums) = self.forward::<f64>(&points::<f64>(s1, l1)?, &packed, &lv, &mut resp.0)?;
        let storage = match s1 {
            CpuStorage::F32(_) => CpuStorage::F32(out.into_iter().map(|v| v as f32).collect()),
            _ => CpuStorage::F64(out),
        };
        *self.resp.lock().unwrap_or_else(|p| p.into_inner()) = resp;
        *self.sums.lock().unwrap_or_else(|p| p.into_inner()) = sums;
        Ok((storage, Shape::from(vec![npts])))
    }
    fn bwd(
        &self,
        x: &candle_core::Tensor,
        packed: &candle_core::Tensor,
        l: &candle_core::Tensor,
        _res: &candle_core::Tensor,
        g: &candle_core::Tensor,
    ) -> candle_core::Result<(Option<candle_core::Tensor>, Option<candle_core::Tensor>, Option<candle_core::Tensor>)> {
        let gv = tensor_f64(g)?;
        // The fused pass already holds ∂(Σ out)/∂θ (and ∂x): a uniform upstream gradient (sum or
        // mean of the log-densities) just scales it. Read, not taken: a graph may be
        // differentiated more than once.
        let sums = self.sums.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let uniform = gv.first().map(|g0| gv.iter().all(|v| v == g0)).unwrap_or(true);
        if let (Some((gp, gl, gx)), true) = (&sums, uniform) {
            if gx.is_some() || !x.track_op() {
                let c = gv.first().copied().unwrap_or(0.0);
                let scaled = |v: &[f64]| v.iter().map(|v| v * c).collect::<Vec<f64>>();
                let gx = match gx.as_deref().filter(|_| x.track_op()) {
                    Some(v) => Some(f64_like(scaled(v), x)?),
                    None => None,
                };
                return Ok((gx, Some(f64_like(scaled(gp), packed)?), Some(f64_like(scaled(gl), l)?)));
            }
        }
        let (pv, lv) = (tensor_f64(packed)?, dense_scales(tensor_f64(l)?, self.diag, self.k, self.n));
        let resp = self.resp.lock().unwrap_or_else(|p| p.into_inner());
        if resp.0.len() != gv.len() * self.k {
            candle_core::bail!("gaussian_mixture_log_prob: backward without its forward");
        }
        let (gx, gp, gl) = self.backward::<f64>(x, &pv, &lv, &resp.0, &gv)?;
        let gx = gx.map(|v| build(v, x)).transpose()?;
        Ok((gx, Some(f64_like(gp, packed)?), Some(f64_like(gl, l)?)))
    }
}

// ----- the per-component op --------------------------------------------------------------

/// `lp_ik = log N(x_i; μ_k, L_k L_kᵀ)` for every point and component, `[N, K]`.
struct ComponentLogProb {
    n: usize,
    k: usize,
    /// The scales are diagonals `[K, n]` rather than lower factors `[K, n, n]`.
    diag: bool,
}

impl ComponentLogProb {
    fn forward<F: Lane>(&self, x: &[F], packed: &[f64], lv: &[f64]) -> candle_core::Result<Vec<F>> {
        let npts = x.len() / self.n;
        let mut out = vec![F::default(); npts * self.k];
        with_n!(self.n, self.diag, N, D => {
            let cm = Components::<N, F, D>::new(self.k, packed, lv);
            entry::component_forward(&cm, x, &mut out);
        });
        Ok(out)
    }

    fn backward<F: Lane>(&self, x: &candle_core::Tensor, packed: &[f64], lv: &[f64], g: &[F]) -> candle_core::Result<(Option<Vec<F>>, Vec<f64>, Vec<f64>)> {
        let (n, k) = (self.n, self.k);
        let npts = g.len() / k;
        let mut gx = x.track_op().then(|| vec![F::default(); npts * n]);
        let (s, l) = x.storage_and_layout();
        let Storage::Cpu(cpu) = &*s else { candle_core::bail!("fused normal kernels run on the CPU only") };
        let xs = points::<F>(cpu, l)?;
        let (gp, gl) = with_n!(n, self.diag, N, D => {
            let cm = Components::<N, F, D>::new(k, packed, lv);
            let mut acc = Acc::new(k);
            entry::component_backward(&cm, &xs, g, gx.as_deref_mut(), &mut acc);
            acc.finish(&cm)
        });
        Ok((gx, gp, scale_gradient(gl, self.diag, k, n)))
    }
}

impl CustomOp3 for ComponentLogProb {
    fn name(&self) -> &'static str {
        "mvn_tril_log_prob"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (packed, lv) = (storage_f64(s2, l2)?, dense_scales(storage_f64(s3, l3)?, self.diag, self.k, self.n));
        let npts = l1.shape().elem_count() / self.n;
        let out = self.forward::<f64>(&points::<f64>(s1, l1)?, &packed, &lv)?;
        let storage = match s1 {
            CpuStorage::F32(_) => CpuStorage::F32(out.into_iter().map(|v| v as f32).collect()),
            _ => CpuStorage::F64(out),
        };
        Ok((storage, Shape::from(vec![npts, self.k])))
    }
    fn bwd(
        &self,
        x: &candle_core::Tensor,
        packed: &candle_core::Tensor,
        l: &candle_core::Tensor,
        _res: &candle_core::Tensor,
        g: &candle_core::Tensor,
    ) -> candle_core::Result<(Option<candle_core::Tensor>, Option<candle_core::Tensor>, Option<candle_core::Tensor>)> {
        let (pv, lv) = (tensor_f64(packed)?, dense_scales(tensor_f64(l)?, self.diag, self.k, self.n));
        let (gx, gp, gl) = self.backward::<f64>(x, &pv, &lv, &tensor_f64(g)?)?;
        let gx = gx.map(|v| build(v, x)).transpose()?;
        Ok((gx, Some(f64_like(gp, packed)?), Some(f64_like(gl, l)?)))
    }
}

// ----- public entry points ---------------------------------------------------------------

/// Checks `x [N, n]`, `loc [K, n]` and the scales (`[K, n, n]`, or `[K, n]` when `diag`);
/// returns `(n, K)`.
fn check_inputs(what: &str, x: &Tensor, loc: &Tensor, scale: &Tensor, diag: bool) -> Result<(usize, usize)> {
    let (ls, ss) = (loc.shape(), scale.shape());
    let scale_rank = if diag { 2 } else { 3 };
    if x.rank() != 2 || ls.len() != 2 || ss.len() != scale_rank {
        let want = if diag { "expected x [N, n], loc [K, n], scale_diag [K, n]" } else { "expected x [N, n], loc [K, n], scale_tril [K, n, n]" };
        return Err(Error::invalid_shape(format!("{what} inputs"), x.shape(), want));
    }
    let (n, k) = (x.shape()[1], ls[0]);
    let want: &[usize] = if diag { &[k, n] } else { &[k, n, n] };
    if ls[1] != n || ss != want {
        return Err(Error::ShapeMismatch { context: format!("{what} loc / scale"), lhs: ls.to_vec(), rhs: ss.to_vec() });
    }
    if n == 0 || n > MAX_EVENT_SIZE {
        return Err(Error::invalid_shape(format!("{what} event"), &[n], format!("supported event sizes are 1..={MAX_EVENT_SIZE}")));
    }
    x.check_dtype(loc, what)?;
    x.check_dtype(scale, what)?;
    Ok((n, k))
}

fn component_log_prob(what: &str, x: &Tensor, loc: &Tensor, scale: &Tensor, diag: bool) -> Result<Tensor> {
    let (n, k) = check_inputs(what, x, loc, scale, diag)?;
    let packed = Tensor::concat(&[loc, &Tensor::zeros(&[k, 1], loc.dtype())?], 1)?;
    Ok(Tensor(x.0.apply_op3(&packed.0, &scale.0, ComponentLogProb { n, k, diag })?))
}

fn mixture_log_prob(what: &str, x: &Tensor, loc: &Tensor, scale: &Tensor, log_weights: &Tensor, diag: bool) -> Result<Tensor> {
    let (n, k) = check_inputs(what, x, loc, scale, diag)?;
    if log_weights.shape() != [k] {
        return Err(Error::ShapeMismatch { context: format!("{what} log_weights vs components"), lhs: log_weights.shape().to_vec(), rhs: vec![k] });
    }
    let packed = Tensor::concat(&[loc, &log_weights.unsqueeze(1)?], 1)?;
    let fused = loc.0.track_op() || scale.0.track_op() || log_weights.0.track_op();
    let op = GaussianMixture { n, k, diag, fused, x_tracked: x.0.track_op(), resp: Default::default(), sums: Default::default() };
    Ok(Tensor(x.0.apply_op3(&packed.0, &scale.0, op)?))
}

impl Tensor {
    /// `log N(x_i; loc_k, L_k L_kᵀ)` for points `x [N, n]` against every component
    /// (`loc [K, n]`, lower-triangular `scale_tril [K, n, n]`): `[N, K]`, one autodiff node,
    /// without copying the points per component. Event sizes 1..=8.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// // Two points against two 1-D components N(0, 1) and N(1, 2²): [N = 2, K = 2].
    /// let x = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
    /// let loc = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
    /// let l = Tensor::from_slice(&[1.0, 2.0], &[2, 1, 1], DType::F64)?;
    /// let lp = Tensor::mvn_tril_log_prob(&x, &loc, &l)?;
    /// assert_eq!(lp.shape(), &[2, 2]);
    /// let c = 0.5 * (2.0 * std::f64::consts::PI).ln();
    /// assert!((lp.to_vec()?[0] + c).abs() < 1e-12); // x = 0 under N(0, 1)
    /// assert!((lp.to_vec()?[3] + c + 2f64.ln()).abs() < 1e-12); // x = 1 under N(1, 4)
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn mvn_tril_log_prob(x: &Tensor, loc: &Tensor, scale_tril: &Tensor) -> Result<Tensor> {
        component_log_prob("mvn_tril_log_prob", x, loc, scale_tril, false)
    }

    /// [`Tensor::mvn_tril_log_prob`] for diagonal scales `scale_diag [K, n]` (`N(loc_k,
    /// diag(scale_diag_k)²)`): `[N, K]`, `n` operations a point and component instead of a
    /// triangular solve, and the scales' gradient `[K, n]`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::from_slice(&[0.0, 1.0, 2.0, -1.0], &[2, 2], DType::F64)?;
    /// let loc = Tensor::from_slice(&[0.0, 0.0, 1.0, 1.0], &[2, 2], DType::F64)?;
    /// let d = Tensor::from_slice(&[1.0, 2.0, 0.5, 3.0], &[2, 2], DType::F64)?;
    /// let diag = Tensor::mvn_diag_log_prob(&x, &loc, &d)?.to_vec()?;
    /// let tril = Tensor::mvn_tril_log_prob(&x, &loc, &Tensor::matrix_diag(&d)?)?.to_vec()?;
    /// assert!(diag.iter().zip(&tril).all(|(a, b)| (a - b).abs() < 1e-12));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn mvn_diag_log_prob(x: &Tensor, loc: &Tensor, scale_diag: &Tensor) -> Result<Tensor> {
        component_log_prob("mvn_diag_log_prob", x, loc, scale_diag, true)
    }

    /// `log Σ_k exp(log_weights_k) N(x_i; loc_k, L_k L_kᵀ)` for points `x [N, n]`, `loc [K, n]`,
    /// lower-triangular `scale_tril [K, n, n]` and normalized `log_weights [K]`; returns `[N]`.
    /// One autodiff node; entries of `scale_tril` above the diagonal are ignored.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// // An equal mixture of two identical components is that component.
    /// let x = Tensor::from_slice(&[0.5], &[1, 1], DType::F64)?;
    /// let loc = Tensor::zeros(&[2, 1], DType::F64)?;
    /// let l = Tensor::ones(&[2, 1, 1], DType::F64)?;
    /// let w = Tensor::vector(&[0.5f64.ln(), 0.5f64.ln()], DType::F64)?;
    /// let mix = Tensor::gaussian_mixture_log_prob(&x, &loc, &l, &w)?.to_vec()?;
    /// let one = -0.125 - 0.5 * (2.0 * std::f64::consts::PI).ln();
    /// assert!((mix[0] - one).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn gaussian_mixture_log_prob(x: &Tensor, loc: &Tensor, scale_tril: &Tensor, log_weights: &Tensor) -> Result<Tensor> {
        mixture_log_prob("gaussian_mixture_log_prob", x, loc, scale_tril, log_weights, false)
    }

    /// [`Tensor::gaussian_mixture_log_prob`] for diagonal scales `scale_diag [K, n]` (a mixture
    /// of `MultivariateNormalDiag` components, as the VAE's prior).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::from_slice(&[0.5, -1.0, 2.0, 0.0], &[2, 2], DType::F64)?;
    /// let loc = Tensor::from_slice(&[0.0, 0.0, 1.0, -1.0], &[2, 2], DType::F64)?;
    /// let d = Tensor::from_slice(&[1.0, 2.0, 0.5, 3.0], &[2, 2], DType::F64)?;
    /// let w = Tensor::vector(&[0.3f64.ln(), 0.7f64.ln()], DType::F64)?;
    /// let diag = Tensor::gaussian_mixture_diag_log_prob(&x, &loc, &d, &w)?.to_vec()?;
    /// let tril = Tensor::gaussian_mixture_log_prob(&x, &loc, &Tensor::matrix_diag(&d)?, &w)?.to_vec()?;
    /// assert!(diag.iter().zip(&tril).all(|(a, b)| (a - b).abs() < 1e-12));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn gaussian_mixture_diag_log_prob(x: &Tensor, loc: &Tensor, scale_diag: &Tensor, log_weights: &Tensor) -> Result<Tensor> {
        mixture_log_prob("gaussian_mixture_diag_log_prob", x, loc, scale_diag, log_weights, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn lane_exp_and_ln_match_libm() {
        let mut worst: f64 = 0.0;
        for i in 0..4000 {
            let x = (-700.0 + 0.1751 * i as f64).min(0.0);
            let mut v = [x; L];
            f64::exp_lanes(&mut v);
            if x.exp() > 0.0 {
                worst = worst.max(((v[0] - x.exp()) / x.exp()).abs());
            }
            let y = 1.0 + 0.01 * i as f64;
            let mut w = [y; L];
            f64::ln_lanes(&mut w);
            worst = worst.max(((w[3] - y.ln()) / y.ln().max(1e-300)).abs());
        }
        assert!(worst < 1e-14, "f64 max relative error {worst}");
        let mut inf = [f64::NEG_INFINITY; L];
        f64::exp_lanes(&mut inf);
        assert_eq!(inf[0], 0.0);
    }
}
