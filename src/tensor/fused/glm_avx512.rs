//! The AVX-512 kernel of [`BernoulliLogitGlm`](super::glm::BernoulliLogitGlm): log-likelihood and
//! gradient of a logistic regression for eight weight vectors at a time, in one pass over `X`.
//!
//! `X` is stored once, at construction, in blocks of 16 rows, feature-major within a block
//! (`X̃[b, j]` = the 16 values of feature `j` in rows `16b .. 16b+16`), so that one 16-lane
//! vector holds one feature of 16 rows and no horizontal sums are needed:
//! - **logits**, 32 rows at a time: `l[k] += X̃[b, j] · w[k, j]` (broadcast) for the 8 weight
//!   vectors `k` and the two row blocks, 16 accumulators in registers — 50 multiply-adds a row at
//!   D = 100, the minimum;
//! - **link**, on each vector of 16 logits: `e = exp(−|l|)`, `softplus(l) = max(l, 0) + log1p(e)`,
//!   `σ(l) = 1/(1+e)` or `e/(1+e)`; the log-likelihood `y l − softplus(l)` is accumulated and the
//!   residual `y − σ(l)` kept (Cephes' single-precision `exp` and `log` polynomials, with
//!   AVX-512's `scalef` for the power of two; within 2.5e-7 relative, tested);
//! - **gradient** `G[k, j] += Σ_rows r[row, k] X[row, j]`, per super-block of [`SUPER`] row-block
//!   pairs (resident in L2), in tiles of 3 features × 8 weight vectors kept in 24 registers; the
//!   16 lanes (rows) of each `G[k, j]` are summed once, in f64, at the end.
//!
//! Padding rows (to a multiple of 32) are zero with weight 0, so they add nothing; weight
//! vectors are padded to a multiple of 8 with zeros and their lanes ignored.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Rows per block (one 512-bit vector of f32).
pub(super) const ROWS: usize = 16;
/// Row-block pairs per super-block: 256 rows, 100 KB of `X̃` at D = 100, resident in L2 between
/// the logits and the gradient.
const SUPER: usize = 8;
/// Features per gradient tile: 8 · TILE accumulators stay in registers (24 of 32).
const TILE: usize = 3;

/// Rows per super-block.
pub(super) const SUPER_ROWS: usize = 2 * SUPER * ROWS;

/// Where `X[i, j]` lives in the packed layout: super-blocks of [`SUPER_ROWS`] rows, within them
/// feature-major, then row block, then the 16 rows of the block (`[sb][j][block][lane]`).
pub(super) fn index(i: usize, j: usize, d: usize) -> usize {
    let (sb, within) = (i / SUPER_ROWS, i % SUPER_ROWS);
    sb * SUPER_ROWS * d + (j * 2 * SUPER + within / ROWS) * ROWS + within % ROWS
}

/// Whether this CPU runs the kernel.
pub(super) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `X [N, D]` (row-major) and labels in the kernel's layout: `(X̃, y, row weights)`, with `N`
/// padded to a multiple of [`SUPER_ROWS`] by zero rows of weight 0.
pub(super) fn pack(x: &[f32], y: &[f32], n: usize, d: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let nb = n.div_ceil(SUPER_ROWS) * SUPER_ROWS / ROWS;
    let mut xp = vec![0f32; nb * d * ROWS];
    for i in 0..n {
        for j in 0..d {
            xp[index(i, j, d)] = x[i * d + j];
        }
    }
    let mut yp = vec![0f32; nb * ROWS];
    yp[..n].copy_from_slice(&y[..n]);
    let mut valid = vec![0f32; nb * ROWS];
    valid[..n].fill(1.0);
    (xp, yp, valid)
}

/// Log-likelihoods `[S]` and gradients `[S, D]` (row-major) of the super-blocks `[lo, hi)`
/// (rows `SUPER_ROWS lo .. SUPER_ROWS hi`) of the packed data, for weights `w [S, D]`. Call only when
/// [`available`].
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
pub(super) fn block(xp: &[f32], yp: &[f32], valid: &[f32], d: usize, w: &[f32], s: usize, lo: usize, hi: usize) -> (Vec<f64>, Vec<f64>) {
    assert!(available(), "glm_avx512::block needs AVX-512F");
    assert!(xp.len() >= hi * SUPER_ROWS * d && yp.len() >= hi * SUPER_ROWS && valid.len() >= hi * SUPER_ROWS && w.len() == s * d, "glm_avx512::block: slice lengths");
    // SAFETY: the CPU supports AVX-512F (checked above); every load and store below is a whole
    // 16-lane vector inside the slices (lengths checked above).
    unsafe { block_impl(xp, yp, valid, d, w, s, lo, hi) }
}

#[cfg(not(target_arch = "x86_64"))]
#[allow(clippy::too_many_arguments)]
pub(super) fn block(_xp: &[f32], _yp: &[f32], _valid: &[f32], _d: usize, _w: &[f32], _s: usize, _lo: usize, _hi: usize) -> (Vec<f64>, Vec<f64>) {
    unreachable!("glm_avx512::block is only called when available()")
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn block_impl(xp: &[f32], yp: &[f32], valid: &[f32], d: usize, w: &[f32], s: usize, lo: usize, hi: usize) -> (Vec<f64>, Vec<f64>) {
    let groups = s.div_ceil(8);
    // Weights transposed per group of 8: wt[g][j][k] = w[8g + k, j] (zero past S).
    let mut wt = vec![0f32; groups * d * 8];
    for k in 0..s {
        for j in 0..d {
            wt[((k / 8) * d + j) * 8 + k % 8] = w[k * d + j];
        }
    }
    // Gradient partial sums, 16 lanes each: gacc[g][k][j][lane].
    let mut gacc = vec![0f32; groups * 8 * d * ROWS];
    let mut ll = vec![0f64; s];
    // Residuals of one super-block: r[row block][k][lane].
    let mut r = vec![0f32; 2 * SUPER * 8 * ROWS];
    let x = xp.as_ptr();
    let rp = r.as_mut_ptr();
    for sb in lo..hi {
        let xs = x.add(sb * SUPER_ROWS * d);
        for g in 0..groups {
            let wg = wt.as_ptr().add(g * d * 8);
            let mut llacc = [_mm512_setzero_ps(); 8];
            for p in 0..SUPER {
                let x0 = xs.add(2 * p * ROWS);
                let mut a0 = [_mm512_setzero_ps(); 8];
                let mut a1 = [_mm512_setzero_ps(); 8];
                for j in 0..d {
                    let v0 = _mm512_loadu_ps(x0.add(j * 2 * SUPER * ROWS));
                    let v1 = _mm512_loadu_ps(x0.add(j * 2 * SUPER * ROWS + ROWS));
                    for k in 0..8 {
                        let wk = _mm512_set1_ps(*wg.add(j * 8 + k));
                        a0[k] = _mm512_fmadd_ps(v0, wk, a0[k]);
                        a1[k] = _mm512_fmadd_ps(v1, wk, a1[k]);
                    }
                }
                let rb = sb * 2 * SUPER + 2 * p;
                for (h, a) in [a0, a1].iter().enumerate() {
                    let y = _mm512_loadu_ps(yp.as_ptr().add((rb + h) * ROWS));
                    let m = _mm512_loadu_ps(valid.as_ptr().add((rb + h) * ROWS));
                    for k in 0..8 {
                        let (lik, res) = link(a[k], y);
                        llacc[k] = _mm512_fmadd_ps(lik, m, llacc[k]);
                        _mm512_storeu_ps(rp.add(((2 * p + h) * 8 + k) * ROWS), _mm512_mul_ps(res, m));
                    }
                }
            }
            for (k, acc) in llacc.iter().enumerate() {
                if g * 8 + k < s {
                    ll[g * 8 + k] += hsum(*acc);
                }
            }
            // Gradient tiles: TILE features × 8 weight vectors in registers over the super-block
            // (each feature's row blocks are contiguous). The next super-block is prefetched
            // into L2 meanwhile, so that the logits loop finds it there.
            let gg = gacc.as_mut_ptr().add(g * 8 * d * ROWS);
            let next = if g + 1 == groups && sb + 1 < hi { xs.add(SUPER_ROWS * d) } else { std::ptr::null() };
            let tiles = d.div_ceil(TILE);
            let lines_per_tile = (2 * SUPER * d).div_ceil(tiles);
            for tile in 0..tiles {
                let j = tile * TILE;
                let pf = if next.is_null() { next } else { next.wrapping_add(tile * lines_per_tile * ROWS) };
                let xj = xs.add(j * 2 * SUPER * ROWS);
                match d - j {
                    1 => grad_tile::<1>(xj, rp, gg.add(j * ROWS), d, pf, lines_per_tile),
                    2 => grad_tile::<2>(xj, rp, gg.add(j * ROWS), d, pf, lines_per_tile),
                    _ => grad_tile::<TILE>(xj, rp, gg.add(j * ROWS), d, pf, lines_per_tile),
                }
            }
        }
    }
    let mut grad = vec![0f64; s * d];
    for k in 0..s {
        for j in 0..d {
            let lanes = &gacc[(k * d + j) * ROWS..][..ROWS];
            grad[k * d + j] = lanes.iter().map(|v| *v as f64).sum();
        }
    }
    (ll, grad)
}

/// `G[k, j + f] += Σ_b r[b, k] ⊙ X̃[j + f, b]` for `f < F` over the super-block's row blocks
/// (lane-wise; the lanes are summed at the end): `8 F` accumulators in registers. `x` points at
/// `X̃[j, block 0]`, `g` at `G[k = 0, j]`; `pf_lines` cache lines from `pf` (unless null) are
/// prefetched into L2 along the way.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn grad_tile<const F: usize>(x: *const f32, r: *const f32, g: *mut f32, gd: usize, pf: *const f32, pf_lines: usize) {
    const BLOCKS: usize = 2 * SUPER;
    let mut acc = [[_mm512_setzero_ps(); 8]; F];
    for (f, af) in acc.iter_mut().enumerate() {
        for (k, a) in af.iter_mut().enumerate() {
            *a = _mm512_loadu_ps(g.add((k * gd + f) * ROWS));
        }
    }
    let per_block = pf_lines.div_ceil(BLOCKS);
    for b in 0..BLOCKS {
        if !pf.is_null() {
            for q in 0..per_block {
                _mm_prefetch::<_MM_HINT_T1>(pf.wrapping_add((b * per_block + q) * ROWS) as *const i8);
            }
        }
        let mut v = [_mm512_setzero_ps(); F];
        for (f, vf) in v.iter_mut().enumerate() {
            *vf = _mm512_loadu_ps(x.add((f * BLOCKS + b) * ROWS));
        }
        for k in 0..8 {
            let rk = _mm512_loadu_ps(r.add((b * 8 + k) * ROWS));
            for f in 0..F {
                acc[f][k] = _mm512_fmadd_ps(v[f], rk, acc[f][k]);
            }
        }
    }
    for (f, af) in acc.iter().enumerate() {
        for (k, a) in af.iter().enumerate() {
            _mm512_storeu_ps(g.add((k * gd + f) * ROWS), *a);
        }
    }
}

/// The sum of the 16 lanes, in f64.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn hsum(v: __m512) -> f64 {
    let mut lanes = [0f32; ROWS];
    _mm512_storeu_ps(lanes.as_mut_ptr(), v);
    lanes.iter().map(|x| *x as f64).sum()
}

/// `(y l − softplus(l), y − σ(l))` lane-wise.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn link(l: __m512, y: __m512) -> (__m512, __m512) {
    let one = _mm512_set1_ps(1.0);
    let e = exp_nonpositive(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(l)));
    let softplus = _mm512_add_ps(_mm512_max_ps(l, _mm512_setzero_ps()), log1p_unit(e));
    let one_e = _mm512_add_ps(one, e);
    let nonneg = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(l, _mm512_setzero_ps());
    // 1 / (1 + e) by rcp14 and one Newton step (1 + e ∈ [1, 2]: relative error ~2⁻²⁸), instead
    // of a division (one every ten cycles on one port).
    let r0 = _mm512_rcp14_ps(one_e);
    let inv = _mm512_mul_ps(r0, _mm512_fnmadd_ps(one_e, r0, _mm512_set1_ps(2.0)));
    let sig = _mm512_mul_ps(_mm512_mask_blend_ps(nonneg, e, one), inv);
    (_mm512_fmsub_ps(y, l, softplus), _mm512_sub_ps(y, sig))
}

/// `exp(x)` for `x ≤ 0` (Cephes `expf`: x = n ln 2 + r, |r| ≤ ln 2 / 2, degree-6 polynomial,
/// `scalef` for 2ⁿ; underflows to 0 below about −103).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn exp_nonpositive(x: __m512) -> __m512 {
    let x = _mm512_max_ps(x, _mm512_set1_ps(-104.0));
    let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E)));
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693_359_4), x);
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.121_944_4e-4), r);
    let mut p = _mm512_set1_ps(1.987_569_1e-4);
    for c in [1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5] {
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
    }
    let r2 = _mm512_mul_ps(r, r);
    let e = _mm512_add_ps(_mm512_fmadd_ps(p, r2, r), _mm512_set1_ps(1.0));
    _mm512_scalef_ps(e, n)
}

/// `log(1 + e)` for `0 ≤ e ≤ 1` (Cephes `logf` on `m = 1 + e` or `(1 + e)/2`, with `m − 1`
/// computed without rounding `1 + e` when `e ≤ √2 − 1`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn log1p_unit(e: __m512) -> __m512 {
    let big = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(e, _mm512_set1_ps(std::f32::consts::SQRT_2 - 1.0));
    // m − 1: e itself, or (1 + e)/2 − 1 = (e − 1)/2 (exact in f32).
    let xm = _mm512_mask_mul_ps(e, big, _mm512_sub_ps(e, _mm512_set1_ps(1.0)), _mm512_set1_ps(0.5));
    let k = _mm512_maskz_mov_ps(big, _mm512_set1_ps(1.0));
    let mut p = _mm512_set1_ps(7.037_683_6e-2);
    for c in [-1.151_461e-1, 1.167_699_9e-1, -1.242_014_1e-1, 1.424_932_3e-1, -1.666_805_8e-1, 2.000_071_4e-1, -2.499_999_4e-1, 3.333_333e-1] {
        p = _mm512_fmadd_ps(p, xm, _mm512_set1_ps(c));
    }
    let y = _mm512_mul_ps(xm, xm);
    let mut z = _mm512_mul_ps(_mm512_mul_ps(p, xm), y);
    z = _mm512_fmadd_ps(k, _mm512_set1_ps(-2.121_944_4e-4), z);
    z = _mm512_fnmadd_ps(y, _mm512_set1_ps(0.5), z);
    z = _mm512_add_ps(xm, z);
    _mm512_fmadd_ps(k, _mm512_set1_ps(0.693_359_4), z)
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    #[test]
    fn exp_and_log1p_match_f64_within_2_5e_7_relative() {
        if !available() {
            return;
        }
        let xs: Vec<f32> = (0..4096).map(|i| -(i as f32) * 0.025).collect();
        for chunk in xs.chunks(16) {
            let mut a = [0f32; 16];
            a[..chunk.len()].copy_from_slice(chunk);
            let mut e = [0f32; 16];
            let mut l = [0f32; 16];
            // SAFETY: AVX-512F checked above.
            unsafe {
                let ev = exp_nonpositive(_mm512_loadu_ps(a.as_ptr()));
                _mm512_storeu_ps(e.as_mut_ptr(), ev);
                _mm512_storeu_ps(l.as_mut_ptr(), log1p_unit(ev));
            }
            for (i, x) in chunk.iter().enumerate() {
                let want = (*x as f64).exp();
                assert!((e[i] as f64 - want).abs() <= 2.5e-7 * want + 1e-44, "exp({x}) = {} vs {want}", e[i]);
                let want_l = (e[i] as f64).ln_1p();
                assert!((l[i] as f64 - want_l).abs() <= 2.5e-7 * want_l + 1e-44, "log1p({}) = {} vs {want_l}", e[i], l[i]);
            }
        }
    }
}
