//! Elementwise special functions with gradients, as candle custom ops.
//!
//! Scalar kernels come from `libm` (log1p, expm1, lgamma, erfc) and `statrs` (digamma,
//! erfc_inv). Each op's backward is written with facade ops, so it is itself differentiable
//! where its derivative's ops are. Every gradient is checked against finite differences in
//! `tests/gradients.rs`, including at extreme inputs.
//!
//! | op | value | derivative |
//! |---|---|---|
//! | `log1p(x)` | log(1 + x) | 1 / (1 + x) |
//! | `expm1(x)` | exp(x) − 1 | exp(x) |
//! | `softplus(x)` | log(1 + eˣ), stable for any x | sigmoid(x) |
//! | `softplus_inverse(y)` | y + log(−expm1(−y)) | 1 / (−expm1(−y)) |
//! | `sigmoid(x)` | 1 / (1 + e⁻ˣ) | σ(1 − σ) |
//! | `log_sigmoid(x)` | −softplus(−x) | sigmoid(−x) |
//! | `lgamma(x)` | log Γ(x) | digamma(x) |
//! | `digamma(x)` | ψ(x) | trigamma(x) |
//! | `ndtr(x)` | Φ(x) | φ(x) |
//! | `log_ndtr(x)` | log Φ(x), asymptotic series for x ≪ 0 | φ(x) / Φ(x) |
//! | `ndtri(p)` | Φ⁻¹(p) | 1 / φ(Φ⁻¹(p)) |
//! | `xlogy(x, y)` | x·log(y), 0 where x = 0 | (log y, x / y), 0 where x = 0 |
//!
//! Beside these: [`incomplete`] (regularized incomplete gamma and beta functions, for CDFs),
//! [`bessel`] (`log I0e`/`I1e` for the von Mises family), and `vector_exp.rs` (a branch-free
//! `exp` for f32/f64 slices that the fused kernels vectorize).

pub mod bessel;
pub mod incomplete;
pub(crate) mod vector_exp;

use crate::tensor::{Mask, Tensor};
use crate::error::Result;
use crate::tensor::map_layout as unary_map;
use candle_core::{CpuStorage, CustomOp1, Layout, Shape};

const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// An elementwise op: scalar kernels for both dtypes and `dy/dx` from `(x, y)`.
pub(super) struct Elementwise {
    pub(super) name: &'static str,
    pub(super) f32: fn(f32) -> f32,
    pub(super) f64: fn(f64) -> f64,
    pub(super) deriv: Option<fn(&Tensor, &Tensor) -> Result<Tensor>>,
}

impl CustomOp1 for Elementwise {
    fn name(&self) -> &'static str {
        self.name
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let out = match s {
            CpuStorage::F32(v) => CpuStorage::F32(unary_map(v, l, self.f32)),
            CpuStorage::F64(v) => CpuStorage::F64(unary_map(v, l, self.f64)),
            _ => candle_core::bail!("{} supports float32 and float64 only", self.name),
        };
        Ok((out, l.shape().clone()))
    }
    fn bwd(&self, arg: &candle_core::Tensor, res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<Option<candle_core::Tensor>> {
        let Some(d) = self.deriv else {
            return Err(candle_core::Error::BackwardNotSupported { op: self.name });
        };
        let dydx = d(&Tensor(arg.clone()), &Tensor(res.clone())).map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        Ok(Some(g.mul(&dydx.0)?))
    }
}

pub(super) fn apply(x: &Tensor, op: Elementwise) -> Result<Tensor> {
    Ok(Tensor(x.0.apply_op1(op)?))
}

// ----- scalar kernels ---------------------------------------------------------------------

fn softplus64(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}
fn softplus32(x: f32) -> f32 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}
fn softplus_inv64(y: f64) -> f64 {
    y + (-libm::expm1(-y)).ln()
}
fn softplus_inv32(y: f32) -> f32 {
    y + (-libm::expm1f(-y)).ln()
}
fn sigmoid64(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}
fn sigmoid32(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Trigamma ψ′(x) by the recurrence ψ′(x) = ψ′(x+1) + 1/x² and the asymptotic series
/// (no maintained Rust crate ships it; statrs stops at digamma). Reflection for x < 0.
///
/// ```
/// use probrs::tensor::special::trigamma_scalar;
/// // ψ′(1) = π²/6
/// assert!((trigamma_scalar(1.0) - std::f64::consts::PI.powi(2) / 6.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn trigamma_scalar(mut x: f64) -> f64 {
    if x.is_nan() || (x <= 0.0 && x == x.floor()) {
        return f64::NAN;
    }
    if x < 0.0 {
        // ψ′(1 − x) + ψ′(x) = π² / sin²(πx)
        let s = (std::f64::consts::PI * x).sin();
        return -trigamma_scalar(1.0 - x) + std::f64::consts::PI * std::f64::consts::PI / (s * s);
    }
    let mut acc = 0.0;
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    // 1/x + 1/(2x²) + 1/(6x³) − 1/(30x⁵) + 1/(42x⁷) − 1/(30x⁹) + 5/(66x¹¹) − 691/(2730x¹³)
    acc + 1.0 / x
        + x2 / 2.0
        + x2 / x * (1.0 / 6.0 - x2 * (1.0 / 30.0 - x2 * (1.0 / 42.0 - x2 * (1.0 / 30.0 - x2 * (5.0 / 66.0 - x2 * 691.0 / 2730.0)))))
}

fn ndtr64(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// σ(x) = 1/(1 + e⁻ˣ) on one `f64` (`Tensor::sigmoid`'s scalar form; no overflow either side).
///
/// ```
/// use probrs::tensor::special::sigmoid_scalar;
/// assert_eq!(sigmoid_scalar(0.0), 0.5);
/// assert!(sigmoid_scalar(-800.0) >= 0.0 && sigmoid_scalar(800.0) == 1.0);
/// ```
pub fn sigmoid_scalar(x: f64) -> f64 {
    sigmoid64(x)
}

/// softplus(x) = log(1 + eˣ) on one `f64` (`Tensor::softplus`'s scalar form).
///
/// ```
/// use probrs::tensor::special::softplus_scalar;
/// assert_eq!(softplus_scalar(0.0), 2f64.ln());
/// assert_eq!(softplus_scalar(800.0), 800.0);
/// ```
pub fn softplus_scalar(x: f64) -> f64 {
    softplus64(x)
}

/// Φ(x), the standard normal CDF, on one `f64` (`Tensor::ndtr`'s scalar form).
///
/// ```
/// assert!((probrs::tensor::special::ndtr_scalar(1.959963984540054) - 0.975).abs() < 1e-15);
/// ```
pub fn ndtr_scalar(x: f64) -> f64 {
    ndtr64(x)
}

/// log Φ(x) on one `f64`, accurate far in the lower tail (`Tensor::log_ndtr`'s scalar form).
///
/// ```
/// let v = probrs::tensor::special::log_ndtr_scalar(-40.0);
/// assert!((v - (-804.608442013754)).abs() < 1e-9);
/// ```
pub fn log_ndtr_scalar(x: f64) -> f64 {
    log_ndtr64(x)
}

/// log Φ(x) following TFP: log1p(−Φ(−x)) above `upper`, log Φ(x) in the middle, and the
/// asymptotic series of order 3 below `lower` (−20 for float64, −10 for float32).
fn log_ndtr_impl(x: f64, lower: f64, upper: f64) -> f64 {
    if x > upper {
        libm::log1p(-ndtr64(-x))
    } else if x > lower {
        ndtr64(x).ln()
    } else {
        let x2 = x * x;
        let log_scale = -0.5 * x2 - (-x).ln() - LN_SQRT_2PI;
        // 1 + Σ_{n=1}^{3} (−1)^n (2n−1)!! / x^{2n}
        let (mut even, mut odd, mut xp, mut dfact) = (1.0, 0.0, 1.0, 1.0);
        for n in 1..=3 {
            dfact *= (2 * n - 1) as f64;
            xp *= x2;
            if n % 2 == 1 {
                odd += dfact / xp;
            } else {
                even += dfact / xp;
            }
        }
        log_scale + (even - odd).ln()
    }
}
fn log_ndtr64(x: f64) -> f64 {
    log_ndtr_impl(x, -20.0, 8.0)
}
fn log_ndtr32(x: f32) -> f32 {
    log_ndtr_impl(x as f64, -10.0, 5.0) as f32
}
fn ndtri64(p: f64) -> f64 {
    if p <= 0.0 {
        return if p == 0.0 { f64::NEG_INFINITY } else { f64::NAN };
    }
    if p >= 1.0 {
        return if p == 1.0 { f64::INFINITY } else { f64::NAN };
    }
    -std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * p)
}

// ----- public ops -------------------------------------------------------------------------

impl Tensor {
    /// `log(1 + x)`, accurate for small `x`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::scalar(1e-20, DType::F64)?;
    /// assert_eq!(x.log1p()?.to_scalar()?, 1e-20); // log(1 + 1e-20) in f64 would be 0
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn log1p(&self) -> Result<Tensor> {
        apply(self, Elementwise { name: "log1p", f32: libm::log1pf, f64: libm::log1p, deriv: Some(|x, _| x.add_scalar(1.0)?.recip()) })
    }
    /// `exp(x) − 1`, accurate for small `x`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::scalar(1e-20, DType::F64)?.expm1()?.to_scalar()?, 1e-20);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn expm1(&self) -> Result<Tensor> {
        apply(self, Elementwise { name: "expm1", f32: libm::expm1f, f64: libm::expm1, deriv: Some(|_, y| y.add_scalar(1.0)) })
    }
    /// `log(1 + exp(x))`, finite with a finite gradient for every finite `x`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let y = Tensor::vector(&[0.0, 1000.0, -1000.0], DType::F64)?.softplus()?.to_vec()?;
    /// assert!((y[0] - 2f64.ln()).abs() < 1e-15 && y[1] == 1000.0 && y[2] >= 0.0 && y[2] < 1e-300);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn softplus(&self) -> Result<Tensor> {
        apply(self, Elementwise { name: "softplus", f32: softplus32, f64: softplus64, deriv: Some(|x, _| x.sigmoid()) })
    }
    /// The inverse of softplus, `log(exp(y) − 1)`, for `y > 0`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let y = Tensor::scalar(2f64.ln(), DType::F64)?;
    /// assert!(y.softplus_inverse()?.to_scalar()?.abs() < 1e-15);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn softplus_inverse(&self) -> Result<Tensor> {
        apply(
            self,
            Elementwise {
                name: "softplus_inverse",
                f32: softplus_inv32,
                f64: softplus_inv64,
                deriv: Some(|y, _| y.neg()?.expm1()?.neg()?.recip()),
            },
        )
    }
    /// The logistic function `1 / (1 + exp(−x))`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::scalar(0.0, DType::F64)?.sigmoid()?.to_scalar()?, 0.5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sigmoid(&self) -> Result<Tensor> {
        apply(
            self,
            Elementwise { name: "sigmoid", f32: sigmoid32, f64: sigmoid64, deriv: Some(|_, y| y.mul(&y.affine(-1.0, 1.0)?)) },
        )
    }
    /// `log(sigmoid(x)) = −softplus(−x)`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// // Stays finite far into the tail: log σ(−1000) = −1000.
    /// assert!((Tensor::scalar(-1000.0, DType::F64)?.log_sigmoid()?.to_scalar()? + 1000.0).abs() < 1e-9);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn log_sigmoid(&self) -> Result<Tensor> {
        apply(
            self,
            Elementwise {
                name: "log_sigmoid",
                f32: |x| -softplus32(-x),
                f64: |x| -softplus64(-x),
                deriv: Some(|x, _| x.neg()?.sigmoid()),
            },
        )
    }
    /// `log Γ(x)` (log of the absolute value for negative non-integers).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let v = Tensor::vector(&[1.0, 5.0], DType::F64)?.lgamma()?.to_vec()?;
    /// assert!(v[0].abs() < 1e-15 && (v[1] - 24f64.ln()).abs() < 1e-13);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn lgamma(&self) -> Result<Tensor> {
        apply(self, Elementwise { name: "lgamma", f32: libm::lgammaf, f64: libm::lgamma, deriv: Some(|x, _| x.digamma()) })
    }
    /// The digamma function ψ(x) = d/dx log Γ(x).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// // ψ(1) = −γ
    /// assert!((Tensor::scalar(1.0, DType::F64)?.digamma()?.to_scalar()? + 0.577_215_664_901_532_9).abs() < 1e-14);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn digamma(&self) -> Result<Tensor> {
        apply(
            self,
            Elementwise {
                name: "digamma",
                f32: |x| statrs::function::gamma::digamma(x as f64) as f32,
                f64: statrs::function::gamma::digamma,
                deriv: Some(|x, _| x.trigamma()),
            },
        )
    }
    /// The trigamma function ψ′(x) (no gradient).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert!((Tensor::scalar(1.0, DType::F64)?.trigamma()?.to_scalar()? - std::f64::consts::PI.powi(2) / 6.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn trigamma(&self) -> Result<Tensor> {
        apply(self, Elementwise { name: "trigamma", f32: |x| trigamma_scalar(x as f64) as f32, f64: trigamma_scalar, deriv: None })
    }
    /// The standard normal CDF Φ(x).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let p = Tensor::vector(&[0.0, 1.0], DType::F64)?.ndtr()?.to_vec()?;
    /// assert!(p[0] == 0.5 && (p[1] - 0.841_344_746_068_542_9).abs() < 1e-15);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn ndtr(&self) -> Result<Tensor> {
        apply(
            self,
            Elementwise {
                name: "ndtr",
                f32: |x| ndtr64(x as f64) as f32,
                f64: ndtr64,
                deriv: Some(|x, _| x.square()?.affine(-0.5, -LN_SQRT_2PI)?.exp()),
            },
        )
    }
    /// `log Φ(x)`, accurate far into both tails.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// // log Φ(−40) ≈ −804.608 (Φ itself underflows to 0 in f64)
    /// let v = Tensor::scalar(-40.0, DType::F64)?.log_ndtr()?.to_scalar()?;
    /// assert!((v + 804.608_442_013_754).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn log_ndtr(&self) -> Result<Tensor> {
        apply(
            self,
            Elementwise {
                name: "log_ndtr",
                f32: log_ndtr32,
                f64: log_ndtr64,
                deriv: Some(|x, y| x.square()?.affine(-0.5, -LN_SQRT_2PI)?.sub(y)?.exp()),
            },
        )
    }
    /// The standard normal quantile Φ⁻¹(p).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let q = Tensor::vector(&[0.5, 0.975], DType::F64)?.ndtri()?.to_vec()?;
    /// assert!(q[0].abs() < 1e-15 && (q[1] - 1.959_963_984_540_054).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn ndtri(&self) -> Result<Tensor> {
        apply(
            self,
            Elementwise {
                name: "ndtri",
                f32: |p| ndtri64(p as f64) as f32,
                f64: ndtri64,
                deriv: Some(|_, y| y.square()?.affine(0.5, LN_SQRT_2PI)?.exp()),
            },
        )
    }
    /// The error function (candle's kernel).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert!((Tensor::scalar(1.0, DType::F64)?.erf()?.to_scalar()? - 0.842_700_792_949_714_9).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn erf(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.erf()?))
    }
    /// `x · log(y)` with the convention `0 · log(0) = 0`; the gradients are 0 where `x = 0`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::vector(&[0.0, 2.0], DType::F64)?;
    /// let y = Tensor::vector(&[0.0, 3.0], DType::F64)?;
    /// assert_eq!(x.xlogy(&y)?.to_vec()?, vec![0.0, 2.0 * 3f64.ln()]); // 0 · log 0 = 0
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn xlogy(&self, y: &Tensor) -> Result<Tensor> {
        let zero = self.eq_scalar(0.0)?;
        let safe_y = Tensor::where_(&zero, &y.ones_like()?, y)?;
        let v = self.mul(&safe_y.log()?)?;
        Tensor::where_(&zero, &v.zeros_like()?, &v)
    }
    /// A tensor of ones with this tensor's shape and dtype.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::zeros(&[2], DType::F32)?.ones_like()?.to_vec()?, vec![1.0, 1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn ones_like(&self) -> Result<Tensor> {
        Tensor::ones(self.shape(), self.dtype())
    }
    /// Mask of finite elements.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::vector(&[1.0, f64::INFINITY, f64::NAN], DType::F64)?;
    /// let finite = x.is_finite()?;
    /// assert_eq!(Tensor::where_(&finite, &x, &x.zeros_like()?)?.to_vec()?, vec![1.0, 0.0, 0.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn is_finite(&self) -> Result<Mask> {
        Ok(Mask(self.0.abs()?.lt(f64::INFINITY)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn trigamma_known_values() {
        // ψ′(1) = π²/6, ψ′(1/2) = π²/2
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma_scalar(1.0) - pi2 / 6.0).abs() < 1e-12);
        assert!((trigamma_scalar(0.5) - pi2 / 2.0).abs() < 1e-12);
        assert!((trigamma_scalar(-0.5) - (pi2 / 2.0 + 4.0)).abs() < 1e-10);
    }
    #[test]
    fn log_ndtr_tails() {
        // mpmath (30 digits): log Φ(−30) = −454.3212439563432, log Φ(10) = −7.619853024160526e-24 (40 digits)
        assert!((log_ndtr64(-30.0) - (-454.321_243_956_343_2)).abs() < 1e-9);
        let v = log_ndtr64(10.0);
        assert!((v / -7.619_853_024_160_526e-24 - 1.0).abs() < 1e-12, "{v:e}");
        assert!((log_ndtr64(0.0) - 0.5f64.ln()).abs() < 1e-15);
    }
}
