//! Csiszar functions in log space (TFP's `tfp.vi.*`): each maps `log u` to `f(u)` for a convex
//! `f` with `f(1) = 0`, and defines the f-divergence `D_f[p, q] = E_q[f(p(x)/q(x))]`.
//! `monte_carlo_variational_loss` averages `f(log p(z) − log q(z))` over draws of `q`, so
//! `kl_reverse` gives `KL[q‖p]` (the negative ELBO) and `kl_forward` gives `KL[p‖q]`.
//!
//! | function | f(u) | `self_normalized` adds |
//! |---|---|---|
//! | `amari_alpha(α)` | −log u (α = 0); u log u (α = 1); (u^α − 1)/(α(α − 1)) | +(u − 1); −(u − 1); −(u − 1)/(α − 1) |
//! | `kl_reverse` | −log u | +(u − 1) |
//! | `kl_forward` | u log u | −(u − 1) |
//! | `jensen_shannon` | u log u − (1 + u) log(1 + u) | +(1 + u) log 2 |
//! | `arithmetic_geometric` | (1 + u) log((1 + u)/√u) | −(1 + u) log 2 |
//! | `total_variation` | ½ \|u − 1\| | |
//! | `pearson` | (u − 1)² | |
//! | `squared_hellinger` | (√u − 1)² | |
//! | `triangular` | (u − 1)²/(1 + u) | |
//! | `t_power(t)` | s (u^t − 1), s = −1 for 0 < t < 1 else 1 | −s t (u − 1) |
//! | `log1p_abs` | u^{sign(u − 1)} − 1 | |
//! | `jeffreys` | ½ (u log u − log u) | |
//! | `chi_square` | u² − 1 | |
//! | `modified_gan` | log(1 + u) − log u | +½ (u − 1) |
//! | `dual_csiszar_function(g)` | u g(1/u) | |
//! | `symmetrized_csiszar_function(g)` | ½ g(u) + ½ u g(1/u) | |
//!
//! A discrepancy is any `Fn(&Tensor) -> Result<Tensor>` of `log u`; [`Discrepancy`] holds one
//! (`Discrepancy::kl_forward()`, `Discrepancy::new(|logu| amari_alpha(logu, 0.5, true))`).
//!
//! ```
//! use probrs::tensor::{DType, Tensor};
//! use probrs::vi::csiszar;
//! let logu = Tensor::vector(&[0.0, 2f64.ln()], DType::F64)?;
//! // f(1) = 0 for every Csiszar function; Pearson at u = 2 is (2 − 1)² = 1.
//! let f = csiszar::pearson(&logu)?.to_vec()?;
//! assert!(f[0] == 0.0 && (f[1] - 1.0).abs() < 1e-15);
//! # Ok::<(), probrs::Error>(())
//! ```

use crate::error::Result;
use crate::tensor::Tensor;
use std::f64::consts::LN_2;
use std::sync::Arc;

/// The Amari-α Csiszar function.
pub fn amari_alpha(logu: &Tensor, alpha: f64, self_normalized: bool) -> Result<Tensor> {
    let f = if alpha == 0.0 {
        logu.neg()?
    } else if alpha == 1.0 {
        logu.exp()?.mul(logu)?
    } else {
        logu.mul_scalar(alpha)?.expm1()?.mul_scalar(1.0 / (alpha * (alpha - 1.0)))?
    };
    if !self_normalized {
        return Ok(f);
    }
    let um1 = logu.expm1()?;
    if alpha == 0.0 {
        f.add(&um1)
    } else if alpha == 1.0 {
        f.sub(&um1)
    } else {
        f.sub(&um1.mul_scalar(1.0 / (alpha - 1.0))?)
    }
}

/// Reverse KL: `D_f[p, q] = KL[q‖p]`.
pub fn kl_reverse(logu: &Tensor, self_normalized: bool) -> Result<Tensor> {
    amari_alpha(logu, 0.0, self_normalized)
}

/// Forward KL: `D_f[p, q] = KL[p‖q]`.
pub fn kl_forward(logu: &Tensor, self_normalized: bool) -> Result<Tensor> {
    amari_alpha(logu, 1.0, self_normalized)
}

/// Jensen–Shannon: `D_f[p, q] = KL[p‖m] + KL[q‖m]`, `m = (p + q)/2` (self-normalized).
pub fn jensen_shannon(logu: &Tensor, self_normalized: bool) -> Result<Tensor> {
    let mut y = logu.softplus()?;
    if self_normalized {
        y = y.add_scalar(-LN_2)?;
    }
    let u = logu.exp()?;
    u.mul(logu)?.sub(&u.add_scalar(1.0)?.mul(&y)?)
}

/// Arithmetic–geometric: `D_f[p, q] = KL[m‖p] + KL[m‖q]` (self-normalized).
pub fn arithmetic_geometric(logu: &Tensor, self_normalized: bool) -> Result<Tensor> {
    let mut y = logu.softplus()?.sub(&logu.mul_scalar(0.5)?)?;
    if self_normalized {
        y = y.add_scalar(-LN_2)?;
    }
    logu.exp()?.add_scalar(1.0)?.mul(&y)
}

/// Total variation: `½ |u − 1|`.
pub fn total_variation(logu: &Tensor) -> Result<Tensor> {
    logu.expm1()?.abs()?.mul_scalar(0.5)
}

/// Pearson: `(u − 1)²`.
pub fn pearson(logu: &Tensor) -> Result<Tensor> {
    logu.expm1()?.square()
}

/// Squared Hellinger: `(√u − 1)²`.
pub fn squared_hellinger(logu: &Tensor) -> Result<Tensor> {
    pearson(&logu.mul_scalar(0.5)?)
}

/// Triangular: `(u − 1)² / (1 + u)`.
pub fn triangular(logu: &Tensor) -> Result<Tensor> {
    pearson(logu)?.div(&logu.exp()?.add_scalar(1.0)?)
}

/// T-power: `s (u^t − 1)` (minus `s t (u − 1)` when self-normalized), `s = −1` for `0 < t < 1`.
pub fn t_power(logu: &Tensor, t: f64, self_normalized: bool) -> Result<Tensor> {
    let mut fu = logu.mul_scalar(t)?.expm1()?;
    if self_normalized {
        fu = fu.sub(&logu.expm1()?.mul_scalar(t)?)?;
    }
    fu.mul_scalar(if 0.0 < t && t < 1.0 { -1.0 } else { 1.0 })
}

/// Log1p-abs: `u^{sign(u − 1)} − 1`.
pub fn log1p_abs(logu: &Tensor) -> Result<Tensor> {
    logu.abs()?.expm1()
}

/// Jeffreys: `½ (u log u − log u)`, the symmetrized KL.
pub fn jeffreys(logu: &Tensor) -> Result<Tensor> {
    logu.expm1()?.mul(logu)?.mul_scalar(0.5)
}

/// Chi-square: `u² − 1`.
pub fn chi_square(logu: &Tensor) -> Result<Tensor> {
    logu.mul_scalar(2.0)?.expm1()
}

/// Modified GAN: `log(1 + u) − log u` (plus `½ (u − 1)` when self-normalized).
pub fn modified_gan(logu: &Tensor, self_normalized: bool) -> Result<Tensor> {
    let y = logu.softplus()?.sub(logu)?;
    if self_normalized {
        return y.add(&logu.expm1()?.mul_scalar(0.5)?);
    }
    Ok(y)
}

/// The Csiszar dual `f*(u) = u f(1/u)` (the dual of `kl_reverse` is `kl_forward`).
pub fn dual_csiszar_function(logu: &Tensor, f: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    logu.exp()?.mul(&f(&logu.neg()?)?)
}

/// The symmetrization `½ f(u) + ½ u f(1/u)`, whose divergence is symmetric in `p, q`.
pub fn symmetrized_csiszar_function(logu: &Tensor, f: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    f(logu)?.add(&dual_csiszar_function(logu, &f)?)?.mul_scalar(0.5)
}

type CsiszarFn = Arc<dyn Fn(&Tensor) -> Result<Tensor> + Send + Sync>;

/// A discrepancy function of `log u` (a Csiszar function), shareable across threads.
#[derive(Clone)]
pub struct Discrepancy(CsiszarFn);

impl Discrepancy {
    /// Any Csiszar function of `log u`.
    pub fn new(f: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static) -> Self {
        Discrepancy(Arc::new(f))
    }
    /// `kl_reverse` (the default: the negative ELBO).
    pub fn kl_reverse() -> Self {
        Self::new(|l| kl_reverse(l, false))
    }
    /// `kl_forward`.
    pub fn kl_forward() -> Self {
        Self::new(|l| kl_forward(l, false))
    }
    /// Evaluates `f` at `log u`.
    pub fn call(&self, logu: &Tensor) -> Result<Tensor> {
        (self.0)(logu)
    }
}

impl Default for Discrepancy {
    fn default() -> Self {
        Self::kl_reverse()
    }
}

impl std::fmt::Debug for Discrepancy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Discrepancy(..)")
    }
}
