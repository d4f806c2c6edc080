//! The logistic-regression log-likelihood and gradient at a single weight vector, the shape of
//! an MCMC gradient evaluation (one chain, one point): rows packed in 8-row feature-major blocks
//! so that eight rows' logits are one vector of lanes, `η = Σ_j x_{·j} w_j` by eight-lane FMAs,
//! the link (`log σ`, `σ`) on all eight at once, and `g_j += Σ_lanes r · x_{·j}` while the block
//! is in L1 — one pass over X, no matrix-product set-up per call (faer's matmul with one column
//! cost 280 µs per evaluation at N = 5,000, D = 20; this kernel in AVX2 intrinsics costs ~20x
//! less on the same core).
//! Accumulation is in float32 lanes flushed to float64 every 64 blocks.

use wide::f32x8;

/// 8 rows per block.
pub(super) const ROWS: usize = 8;

/// The packed data: block `b`'s feature `j` is the lanes `xp[b·D + j]` (rows 8b..8b+8), its
/// labels `yp[b]`; rows past N are zero with `valid = 0`.
pub(super) struct Packed {
    xp: Vec<f32x8>,
    yp: Vec<f32x8>,
    valid: Vec<f32x8>,
}

/// Packs `x [N, D]` (`row(i, j)` gives entry (i, j)) and `y [N]`.
pub(super) fn pack(row: impl Fn(usize, usize) -> f32, y: &[f32], n: usize, d: usize) -> Packed {
    let nb = n.div_ceil(ROWS);
    let lane = |f: &dyn Fn(usize) -> f32| f32x8::new(std::array::from_fn(f));
    let xp = (0..nb * d).map(|k| lane(&|l| if (k / d) * ROWS + l < n { row((k / d) * ROWS + l, k % d) } else { 0.0 })).collect();
    let yp = (0..nb).map(|b| lane(&|l| if b * ROWS + l < n { y[b * ROWS + l] } else { 0.0 })).collect();
    let valid = (0..nb).map(|b| lane(&|l| if b * ROWS + l < n { 1.0 } else { 0.0 })).collect();
    Packed { xp, yp, valid }
}

/// Blocks per chunk: a chunk's float32 lane sums are flushed to float64 partials, and the
/// partials are summed in chunk order, so the result is the same bits however the chunks are
/// shared between threads.
const FLUSH: usize = 64;

/// `(Σ_n log Bernoulli(y_n | x_n·w), ∇_w)` over the packed data, on the calling thread and, with
/// `helper` (a two-way split of the chunks), on one more thread for the second half.
pub(super) fn log_prob_and_gradient(p: &Packed, d: usize, w: &[f32], helper: Option<&dyn Fn(&(dyn Fn() + Sync), &dyn Fn())>) -> (f64, Vec<f64>) {
    run_chunks(p, d, w, helper, false)
}

/// The portable kernel, whatever the CPU (for tests comparing the two).
pub(super) fn log_prob_and_gradient_portable(p: &Packed, d: usize, w: &[f32]) -> (f64, Vec<f64>) {
    run_chunks(p, d, w, None, true)
}

fn run_chunks(p: &Packed, d: usize, w: &[f32], helper: Option<&dyn Fn(&(dyn Fn() + Sync), &dyn Fn())>, portable: bool) -> (f64, Vec<f64>) {
    let nb = p.yp.len();
    let chunks = nb.div_ceil(FLUSH);
    let width = d + 1;
    let mut partials = vec![0f64; chunks * width];
    // Chunks [c0, c1) into `out` (their partials, `width` per chunk).
    let part = |c0: usize, c1: usize, out: &mut [f64]| {
        let (b0, b1) = (c0 * FLUSH, (c1 * FLUSH).min(nb));
        let (xp, yp, valid) = (&p.xp[b0 * d..b1 * d], &p.yp[b0..b1], &p.valid[b0..b1]);
        #[cfg(target_arch = "x86_64")]
        {
            if !portable && std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU supports the features the function is compiled for.
                return unsafe { kernel_avx2(xp, yp, valid, d, w, out) };
            }
        }
        let _ = portable;
        kernel(xp, yp, valid, d, w, out)
    };
    match helper {
        Some(run_both) if chunks >= 2 => {
            let mid = chunks / 2;
            let (first, second) = partials.split_at_mut(mid * width);
            let second = std::sync::Mutex::new(second);
            let first = std::cell::RefCell::new(first);
            run_both(&|| part(mid, chunks, &mut second.lock().unwrap_or_else(|e| e.into_inner())), &|| part(0, mid, &mut first.borrow_mut()));
        }
        _ => part(0, chunks, &mut partials),
    }
    let mut ll = 0f64;
    let mut g = vec![0f64; d];
    for chunk in partials.chunks_exact(width) {
        ll += chunk[0];
        g.iter_mut().zip(&chunk[1..]).for_each(|(a, v)| *a += v);
    }
    (ll, g)
}

/// The AVX2 + FMA kernel in intrinsics (`wide` picks its instructions at compile time, so
/// under the default target its eight lanes are two SSE halves and its `exp`/`ln` are slow):
/// Cephes `expf`/`logf` polynomials as in `glm_avx512.rs`, `2ⁿ` by the exponent bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel_avx2(xp: &[f32x8], yp: &[f32x8], valid: &[f32x8], d: usize, w: &[f32], out: &mut [f64]) {
    use std::arch::x86_64::*;
    let nb = yp.len();
    let ld = |v: &f32x8| _mm256_loadu_ps(v as *const f32x8 as *const f32);
    let hsum = |v: __m256| -> f64 {
        let mut lanes = [0f32; 8];
        _mm256_storeu_ps(lanes.as_mut_ptr(), v);
        lanes.iter().map(|x| *x as f64).sum()
    };
    let ws: Vec<__m256> = w.iter().map(|v| _mm256_set1_ps(*v)).collect();
    let mut g = vec![_mm256_setzero_ps(); d];
    let mut ll = _mm256_setzero_ps();
    let zero = _mm256_setzero_ps();
    let one = _mm256_set1_ps(1.0);
    // Two blocks per iteration, each logit summed in two halves: independent dependency
    // chains for the out-of-order core (one chain of 20 FMAs and a polynomial link per block
    // was latency-bound: 52 → 31 → ~17 µs per evaluation at N = 5,000, D = 20).
    let link = |eta: __m256, y: __m256, valid: __m256| -> (__m256, __m256) {
        let neg_abs = _mm256_sub_ps(zero, _mm256_andnot_ps(_mm256_set1_ps(-0.0), eta));
        let e = exp_nonpositive_avx2(neg_abs);
        let softplus = _mm256_add_ps(_mm256_max_ps(eta, zero), log1p_unit_avx2(e));
        let one_e = _mm256_add_ps(one, e);
        let r0 = _mm256_rcp_ps(one_e);
        let inv = _mm256_mul_ps(r0, _mm256_fnmadd_ps(one_e, r0, _mm256_set1_ps(2.0)));
        let nonneg = _mm256_cmp_ps::<_CMP_GE_OQ>(eta, zero);
        let sig = _mm256_mul_ps(_mm256_blendv_ps(e, one, nonneg), inv);
        (_mm256_mul_ps(_mm256_fmsub_ps(y, eta, softplus), valid), _mm256_sub_ps(y, sig))
    };
    let logit = |xb: &[f32x8]| -> __m256 {
        let (mut a, mut c) = (zero, zero);
        let mut pairs = xb.chunks_exact(2);
        for (pair, w2) in (&mut pairs).zip(ws.chunks_exact(2)) {
            a = _mm256_fmadd_ps(ld(&pair[0]), w2[0], a);
            c = _mm256_fmadd_ps(ld(&pair[1]), w2[1], c);
        }
        if let [x] = pairs.remainder() {
            a = _mm256_fmadd_ps(ld(x), ws[d - 1], a);
        }
        _mm256_add_ps(a, c)
    };
    let mut b = 0;
    while b < nb {
        let two = b + 1 < nb && (b + 1) % FLUSH != 0;
        if two {
            let (xa, xc) = (&xp[b * d..(b + 1) * d], &xp[(b + 1) * d..(b + 2) * d]);
            let (la, ra) = link(logit(xa), ld(&yp[b]), ld(&valid[b]));
            let (lc, rc) = link(logit(xc), ld(&yp[b + 1]), ld(&valid[b + 1]));
            ll = _mm256_add_ps(ll, _mm256_add_ps(la, lc));
            for ((x, z), gj) in xa.iter().zip(xc).zip(g.iter_mut()) {
                *gj = _mm256_fmadd_ps(ld(z), rc, _mm256_fmadd_ps(ld(x), ra, *gj));
            }
            b += 2;
        } else {
            let xa = &xp[b * d..(b + 1) * d];
            let (la, ra) = link(logit(xa), ld(&yp[b]), ld(&valid[b]));
            ll = _mm256_add_ps(ll, la);
            for (x, gj) in xa.iter().zip(g.iter_mut()) {
                *gj = _mm256_fmadd_ps(ld(x), ra, *gj);
            }
            b += 1;
        }
        if b % FLUSH == 0 || b == nb {
            let chunk = &mut out[(b - 1) / FLUSH * (d + 1)..][..d + 1];
            chunk[0] = hsum(ll);
            ll = zero;
            for (a, v) in chunk[1..].iter_mut().zip(g.iter_mut()) {
                *a = hsum(*v);
                *v = zero;
            }
        }
    }
}

/// `exp(x)` for `x ≤ 0`, clamped at −87 (the smallest normal float32 power of e).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn exp_nonpositive_avx2(x: std::arch::x86_64::__m256) -> std::arch::x86_64::__m256 {
    use std::arch::x86_64::*;
    let x = _mm256_max_ps(x, _mm256_set1_ps(-87.0));
    let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(x, _mm256_set1_ps(std::f32::consts::LOG2_E)));
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693_359_4), x);
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.121_944_4e-4), r);
    let mut p = _mm256_set1_ps(1.987_569_1e-4);
    for c in [1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5] {
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
    }
    let r2 = _mm256_mul_ps(r, r);
    let e = _mm256_add_ps(_mm256_fmadd_ps(p, r2, r), _mm256_set1_ps(1.0));
    // 2ⁿ from the exponent bits (n ≥ −126 after the clamp).
    let pow2 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127))));
    _mm256_mul_ps(e, pow2)
}

/// `log(1 + e)` for `0 ≤ e ≤ 1`, as `glm_avx512.rs`'s.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn log1p_unit_avx2(e: std::arch::x86_64::__m256) -> std::arch::x86_64::__m256 {
    use std::arch::x86_64::*;
    let big = _mm256_cmp_ps::<_CMP_GT_OQ>(e, _mm256_set1_ps(std::f32::consts::SQRT_2 - 1.0));
    let xm = _mm256_blendv_ps(e, _mm256_mul_ps(_mm256_sub_ps(e, _mm256_set1_ps(1.0)), _mm256_set1_ps(0.5)), big);
    let k = _mm256_and_ps(big, _mm256_set1_ps(1.0));
    let mut p = _mm256_set1_ps(7.037_683_6e-2);
    for c in [-1.151_461e-1, 1.167_699_9e-1, -1.242_014_1e-1, 1.424_932_3e-1, -1.666_805_8e-1, 2.000_071_4e-1, -2.499_999_4e-1, 3.333_333e-1] {
        p = _mm256_fmadd_ps(p, xm, _mm256_set1_ps(c));
    }
    let y = _mm256_mul_ps(xm, xm);
    let mut z = _mm256_mul_ps(_mm256_mul_ps(p, xm), y);
    z = _mm256_fmadd_ps(k, _mm256_set1_ps(-2.121_944_4e-4), z);
    z = _mm256_fnmadd_ps(y, _mm256_set1_ps(0.5), z);
    z = _mm256_add_ps(xm, z);
    _mm256_fmadd_ps(k, _mm256_set1_ps(0.693_359_4), z)
}

#[inline(always)]
fn kernel(xp: &[f32x8], yp: &[f32x8], valid: &[f32x8], d: usize, w: &[f32], out: &mut [f64]) {
    let nb = yp.len();
    let ws: Vec<f32x8> = w.iter().map(|v| f32x8::splat(*v)).collect();
    let mut g = vec![f32x8::ZERO; d];
    let mut ll = f32x8::ZERO;
    for b in 0..nb {
        let xb = &xp[b * d..(b + 1) * d];
        let mut eta = f32x8::ZERO;
        for (x, wj) in xb.iter().zip(&ws) {
            eta = x.mul_add(*wj, eta);
        }
        let y = yp[b];
        let e = (-eta.abs()).exp();
        let one_e = e + f32x8::ONE;
        let softplus = eta.max(f32x8::ZERO) + one_e.ln();
        let sig = eta.simd_ge(f32x8::ZERO).select(f32x8::ONE / one_e, e / one_e);
        ll = (y * eta - softplus).mul_add(valid[b], ll);
        let r = y - sig;
        for (x, gj) in xb.iter().zip(g.iter_mut()) {
            *gj = x.mul_add(r, *gj);
        }
        if (b + 1) % FLUSH == 0 || b + 1 == nb {
            let chunk = &mut out[b / FLUSH * (d + 1)..][..d + 1];
            chunk[0] = ll.to_array().iter().map(|v| *v as f64).sum::<f64>();
            ll = f32x8::ZERO;
            for (a, v) in chunk[1..].iter_mut().zip(g.iter_mut()) {
                *a = v.to_array().iter().map(|v| *v as f64).sum::<f64>();
                *v = f32x8::ZERO;
            }
        }
    }
}
