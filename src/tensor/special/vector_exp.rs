//! A branch-free `exp` for float32 and float64, written so that a loop over a slice
//! auto-vectorizes (libm's `exp` is a function call per element, which no compiler vectorizes):
//!
//! ```text
//! exp x = 2^k · p(r),   k = round(x / ln 2),   r = x − k ln 2  (Cody–Waite: ln 2 in two parts)
//! ```
//!
//! `k` is rounded by adding and subtracting 1.5 · 2^52 (2^23 for float32), so it also sits in the
//! low bits of the sum, from which `2^k` is assembled as an exponent field — integer adds and
//! shifts, no float-to-int conversion. `p` is Cephes' degree-7 polynomial (Moshier's `expf`) for float32 and the
//! Taylor series to degree 13 for float64 (|r| ≤ ln 2 / 2, truncation below 5e-18). Arguments
//! under −708 (float32: −86.5), near the smallest normal result, give 0 (results in the
//! subnormal range and just above are flushed); over the largest finite result's, `+∞`; NaN
//! stays NaN. Errors against the standard library (tested below): under 2 ulp.
//!
//! Callers put the loop inside a function compiled for AVX-512 or AVX2 (`#[target_feature]`,
//! chosen at run time) to get 16 or 8 lanes.

/// The two precisions, with the operations the vectorized kernels need.
pub(crate) trait Real: Copy + PartialOrd + Send + Sync + std::ops::Add<Output = Self> + std::ops::Sub<Output = Self> + std::ops::Mul<Output = Self> {
    const ZERO: Self;
    fn of(x: f64) -> Self;
    fn to_f64(self) -> f64;
    /// `exp(self)`, branch-free.
    fn vexp(self) -> Self;
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn of(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn vexp(self) -> Self {
        const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52
        const LN2_HI: f64 = 6.931_471_803_691_238_164_9e-1;
        const LN2_LO: f64 = 1.908_214_929_270_587_700_0e-10;
        const LOG2E: f64 = std::f64::consts::LOG2_E;
        let x = self;
        let xc = x.clamp(-708.0, 709.79);
        let t = xc * LOG2E + SHIFT;
        let k = t - SHIFT;
        let r = (xc - k * LN2_HI) - k * LN2_LO;
        // Taylor coefficients 1/j!, j = 13 down to 2, by Horner.
        let mut p = 1.0 / 6_227_020_800.0;
        for c in [1.0 / 479_001_600.0, 1.0 / 39_916_800.0, 1.0 / 3_628_800.0, 1.0 / 362_880.0, 1.0 / 40_320.0, 1.0 / 5_040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5] {
            p = p * r + c;
        }
        let p = (p * r * r + r) + 1.0;
        // t's low bits hold k (two's complement, offset by SHIFT's).
        let ki = t.to_bits().wrapping_sub(SHIFT.to_bits());
        // −1021 ≤ k ≤ 1024 after the clamp: 2^k as 2 · 2^(k−1) keeps the exponent field in range.
        let scale = f64::from_bits(ki.wrapping_add(1022) << 52);
        let y = p * scale * 2.0;
        let y = if x < -708.0 { 0.0 } else { y };
        let y = if x > 709.782_712_893_384 { f64::INFINITY } else { y };
        if x.is_nan() {
            x
        } else {
            y
        }
    }
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn vexp(self) -> Self {
        const SHIFT: f32 = 12_582_912.0; // 1.5 · 2^23
        const LN2_HI: f32 = 0.693_359_375;
        const LN2_LO: f32 = -2.121_944_4e-4;
        const LOG2E: f32 = std::f32::consts::LOG2_E;
        let x = self;
        let xc = x.clamp(-86.5, 88.73);
        let t = xc * LOG2E + SHIFT;
        let k = t - SHIFT;
        let r = (xc - k * LN2_HI) - k * LN2_LO;
        let mut p = 1.987_569_1e-4;
        for c in [1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 5.000_000_1e-1] {
            p = p * r + c;
        }
        let p = (p * r * r + r) + 1.0;
        let ki = t.to_bits().wrapping_sub(SHIFT.to_bits());
        // −125 ≤ k ≤ 128 after the clamp: 2^k as 2 · 2^(k−1).
        let scale = f32::from_bits(ki.wrapping_add(126) << 23);
        let y = p * scale * 2.0;
        let y = if x < -86.5 { 0.0 } else { y };
        let y = if x > 88.722_84 { f32::INFINITY } else { y };
        if x.is_nan() {
            x
        } else {
            y
        }
    }
}

/// Runs `$body` (a block using only `#[inline(always)]` code) compiled for AVX-512 or AVX2 + FMA
/// when the CPU has them, else for the baseline target: the loops in it vectorize to the widest
/// lanes available.
macro_rules! multiversion {
    ($body:expr) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
            unsafe fn avx512<R>(f: impl FnOnce() -> R) -> R {
                f()
            }
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
                f()
            }
            if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512dq") {
                // SAFETY: the CPU has the features the wrapper is compiled for.
                unsafe { avx512(#[inline(always)] || $body) }
            } else if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                // SAFETY: as above.
                unsafe { avx2(#[inline(always)] || $body) }
            } else {
                $body
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            $body
        }
    }};
}
pub(crate) use multiversion;

#[cfg(test)]
mod tests {
    use super::Real;

    fn ulps64(a: f64, b: f64) -> f64 {
        ((a - b) / (b.abs() * f64::EPSILON)).abs()
    }

    #[test]
    fn exp_f64_within_2_ulp_of_std() {
        let mut worst: f64 = 0.0;
        for i in 0..200_001 {
            let x = -708.0 + 1417.7 * i as f64 / 200_000.0;
            let (got, want) = (x.vexp(), x.exp());
            if want.is_finite() && want > f64::MIN_POSITIVE {
                worst = worst.max(ulps64(got, want));
            }
        }
        assert!(worst < 2.0, "worst error {worst} ulp");
        // Arguments near 0 and the special values.
        for x in [0.0, -0.0, 1e-300, -1e-17, 0.5, -0.5, 1.0, std::f64::consts::LN_2] {
            assert!(ulps64(x.vexp(), x.exp()) < 2.0, "{x}");
        }
        assert_eq!((-1e4f64).vexp(), 0.0);
        assert_eq!(f64::NEG_INFINITY.vexp(), 0.0);
        assert_eq!(710.0f64.vexp(), f64::INFINITY);
        assert_eq!(f64::INFINITY.vexp(), f64::INFINITY);
        assert!(f64::NAN.vexp().is_nan());
    }

    #[test]
    fn exp_f32_within_2_ulp_of_std() {
        let mut worst: f64 = 0.0;
        for i in 0..200_001 {
            let x = -86.5f32 + 175.2 * i as f32 / 200_000.0;
            let (got, want) = (x.vexp() as f64, (x as f64).exp());
            if want.is_finite() && want < f32::MAX as f64 && want > f32::MIN_POSITIVE as f64 {
                worst = worst.max(((got - want) / (want * f32::EPSILON as f64)).abs());
            }
        }
        assert!(worst < 2.0, "worst error {worst} ulp (against the exact value)");
        assert_eq!((-200.0f32).vexp(), 0.0);
        assert_eq!(f32::NEG_INFINITY.vexp(), 0.0);
        assert_eq!(89.0f32.vexp(), f32::INFINITY);
        assert!(f32::NAN.vexp().is_nan());
    }

    #[test]
    fn multiversioned_loop_matches_scalar() {
        let xs: Vec<f64> = (0..1000).map(|i| -30.0 + 0.05 * i as f64).collect();
        let v = super::multiversion!(xs.iter().map(|x| x.vexp()).collect::<Vec<_>>());
        for (x, y) in xs.iter().zip(v) {
            assert_eq!(x.vexp(), y);
        }
    }
}
