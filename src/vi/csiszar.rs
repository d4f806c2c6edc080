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
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::amari_alpha;
/// let logu = Tensor::scalar(2f64.ln(), DType::F64)?;
/// // α = 2: (u² − 1)/(α(α − 1)) at u = 2
/// assert!((amari_alpha(&logu, 2.0, false)?.to_scalar()? - 1.5).abs() < 1e-12);
/// // Self-normalized Csiszar functions vanish with their derivative at u = 1.
/// let zero = Tensor::scalar(0.0, DType::F64)?;
/// assert_eq!(amari_alpha(&zero, 2.0, true)?.to_scalar()?, 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
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
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::kl_reverse;
/// let logu = Tensor::scalar(2f64.ln(), DType::F64)?;
/// assert!((kl_reverse(&logu, false)?.to_scalar()? + 2f64.ln()).abs() < 1e-12); // −log u
/// assert!((kl_reverse(&logu, true)?.to_scalar()? - (1.0 - 2f64.ln())).abs() < 1e-12); // + (u − 1)
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_reverse(logu: &Tensor, self_normalized: bool) -> Result<Tensor> {
    amari_alpha(logu, 0.0, self_normalized)
}

/// Forward KL: `D_f[p, q] = KL[p‖q]`.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::kl_forward;
/// let logu = Tensor::scalar(2f64.ln(), DType::F64)?;
/// assert!((kl_forward(&logu, false)?.to_scalar()? - 2.0 * 2f64.ln()).abs() < 1e-12); // u log u
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_forward(logu: &Tensor, self_normalized: bool) -> Result<Tensor> {
    amari_alpha(logu, 1.0, self_normalized)
}

/// Jensen–Shannon: `D_f[p, q] = KL[p‖m] + KL[q‖m]`, `m = (p + q)/2` (self-normalized).
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::jensen_shannon;
/// let logu = Tensor::scalar(2f64.ln(), DType::F64)?;
/// // u log u − (1 + u) log((1 + u)/2) at u = 2
/// let expected = 5.0 * 2f64.ln() - 3.0 * 3f64.ln();
/// assert!((jensen_shannon(&logu, true)?.to_scalar()? - expected).abs() < 1e-12);
/// assert!(jensen_shannon(&Tensor::scalar(0.0, DType::F64)?, true)?.to_scalar()?.abs() < 1e-15);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn jensen_shannon(logu: &Tensor, self_normalized: bool) -> Result<Tensor> {
    let mut y = logu.softplus()?;
    if self_normalized {
        y = y.add_scalar(-LN_2)?;
    }
    let u = logu.exp()?;
    u.mul(logu)?.sub(&u.add_scalar(1.0)?.mul(&y)?)
}

/// Arithmetic–geometric: `D_f[p, q] = KL[m‖p] + KL[m‖q]` (self-normalized).
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::arithmetic_geometric;
/// let logu = Tensor::scalar(2f64.ln(), DType::F64)?;
/// // (1 + u) log((1 + u)/(2√u)) at u = 2
/// let expected = 3.0 * (3.0 / (2.0 * 2f64.sqrt())).ln();
/// assert!((arithmetic_geometric(&logu, true)?.to_scalar()? - expected).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn arithmetic_geometric(logu: &Tensor, self_normalized: bool) -> Result<Tensor> {
    let mut y = logu.softplus()?.sub(&logu.mul_scalar(0.5)?)?;
    if self_normalized {
        y = y.add_scalar(-LN_2)?;
    }
    logu.exp()?.add_scalar(1.0)?.mul(&y)
}

/// Total variation: `½ |u − 1|`.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::total_variation;
/// let logu = Tensor::vector(&[2f64.ln(), 0.5f64.ln()], DType::F64)?;
/// let v = total_variation(&logu)?.to_vec()?;
/// assert!((v[0] - 0.5).abs() < 1e-12 && (v[1] - 0.25).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn total_variation(logu: &Tensor) -> Result<Tensor> {
    logu.expm1()?.abs()?.mul_scalar(0.5)
}

/// Pearson: `(u − 1)²`.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::pearson;
/// assert!((pearson(&Tensor::scalar(3f64.ln(), DType::F64)?)?.to_scalar()? - 4.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn pearson(logu: &Tensor) -> Result<Tensor> {
    logu.expm1()?.square()
}

/// Squared Hellinger: `(√u − 1)²`.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::squared_hellinger;
/// assert!((squared_hellinger(&Tensor::scalar(4f64.ln(), DType::F64)?)?.to_scalar()? - 1.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn squared_hellinger(logu: &Tensor) -> Result<Tensor> {
    pearson(&logu.mul_scalar(0.5)?)
}

/// Triangular: `(u − 1)² / (1 + u)`.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::triangular;
/// assert!((triangular(&Tensor::scalar(2f64.ln(), DType::F64)?)?.to_scalar()? - 1.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn triangular(logu: &Tensor) -> Result<Tensor> {
    pearson(logu)?.div(&logu.exp()?.add_scalar(1.0)?)
}

/// T-power: `s (u^t − 1)` (minus `s t (u − 1)` when self-normalized), `s = −1` for `0 < t < 1`.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::t_power;
/// let logu = Tensor::scalar(2f64.ln(), DType::F64)?;
/// assert!((t_power(&logu, 2.0, false)?.to_scalar()? - 3.0).abs() < 1e-12); // u² − 1
/// assert!((t_power(&logu, 0.5, false)?.to_scalar()? + (2f64.sqrt() - 1.0)).abs() < 1e-12); // −(√u − 1)
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn t_power(logu: &Tensor, t: f64, self_normalized: bool) -> Result<Tensor> {
    let mut fu = logu.mul_scalar(t)?.expm1()?;
    if self_normalized {
        fu = fu.sub(&logu.expm1()?.mul_scalar(t)?)?;
    }
    fu.mul_scalar(if 0.0 < t && t < 1.0 { -1.0 } else { 1.0 })
}

/// Log1p-abs: `u^{sign(u − 1)} − 1`.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::log1p_abs;
/// // Symmetric in log u: 1 at both u = 2 and u = ½.
/// let v = log1p_abs(&Tensor::vector(&[2f64.ln(), 0.5f64.ln()], DType::F64)?)?.to_vec()?;
/// assert!((v[0] - 1.0).abs() < 1e-12 && (v[1] - 1.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn log1p_abs(logu: &Tensor) -> Result<Tensor> {
    logu.abs()?.expm1()
}

/// Jeffreys: `½ (u log u − log u)`, the symmetrized KL.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::{jeffreys, kl_reverse, symmetrized_csiszar_function};
/// let logu = Tensor::scalar(2f64.ln(), DType::F64)?;
/// assert!((jeffreys(&logu)?.to_scalar()? - 0.5 * 2f64.ln()).abs() < 1e-12);
/// // It is the symmetrized reverse KL.
/// let s = symmetrized_csiszar_function(&logu, |l| kl_reverse(l, false))?.to_scalar()?;
/// assert!((s - 0.5 * 2f64.ln()).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn jeffreys(logu: &Tensor) -> Result<Tensor> {
    logu.expm1()?.mul(logu)?.mul_scalar(0.5)
}

/// Chi-square: `u² − 1`.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::chi_square;
/// assert!((chi_square(&Tensor::scalar(2f64.ln(), DType::F64)?)?.to_scalar()? - 3.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn chi_square(logu: &Tensor) -> Result<Tensor> {
    logu.mul_scalar(2.0)?.expm1()
}

/// Modified GAN: `log(1 + u) − log u` (plus `½ (u − 1)` when self-normalized).
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::modified_gan;
/// let logu = Tensor::scalar(2f64.ln(), DType::F64)?;
/// assert!((modified_gan(&logu, false)?.to_scalar()? - (1.5f64).ln()).abs() < 1e-12); // log(1 + u) − log u
/// assert!((modified_gan(&logu, true)?.to_scalar()? - (1.5f64.ln() + 0.5)).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn modified_gan(logu: &Tensor, self_normalized: bool) -> Result<Tensor> {
    let y = logu.softplus()?.sub(logu)?;
    if self_normalized {
        return y.add(&logu.expm1()?.mul_scalar(0.5)?);
    }
    Ok(y)
}

/// The Csiszar dual `f*(u) = u f(1/u)` (the dual of `kl_reverse` is `kl_forward`).
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::{dual_csiszar_function, kl_forward, kl_reverse};
/// let logu = Tensor::vector(&[-1.0, 0.3, 2.0], DType::F64)?;
/// let dual = dual_csiszar_function(&logu, |l| kl_reverse(l, false))?.to_vec()?;
/// let fwd = kl_forward(&logu, false)?.to_vec()?;
/// assert!(dual.iter().zip(&fwd).all(|(a, b)| (a - b).abs() < 1e-12));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn dual_csiszar_function(logu: &Tensor, f: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    logu.exp()?.mul(&f(&logu.neg()?)?)
}

/// The symmetrization `½ f(u) + ½ u f(1/u)`, whose divergence is symmetric in `p, q`.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::{pearson, symmetrized_csiszar_function};
/// // The symmetrized function gives the same divergence with p and q swapped: g(u) = u g(1/u).
/// let f = |l: &Tensor| symmetrized_csiszar_function(l, pearson);
/// let l = 0.7;
/// let at_u = f(&Tensor::scalar(l, DType::F64)?)?.to_scalar()?;
/// let at_inv = f(&Tensor::scalar(-l, DType::F64)?)?.to_scalar()?;
/// assert!((at_u - l.exp() * at_inv).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn symmetrized_csiszar_function(logu: &Tensor, f: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    f(logu)?.add(&dual_csiszar_function(logu, &f)?)?.mul_scalar(0.5)
}

type CsiszarFn = Arc<dyn Fn(&Tensor) -> Result<Tensor> + Send + Sync>;

/// A discrepancy function of `log u` (a Csiszar function), shareable across threads.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar::{jensen_shannon, Discrepancy};
/// use probrs::vi::FitOptions;
/// let js = Discrepancy::new(|l| jensen_shannon(l, true));
/// assert!(js.call(&Tensor::scalar(0.0, DType::F64)?)?.to_scalar()?.abs() < 1e-15);
/// // Plugs into fit_surrogate_posterior's options.
/// let options = FitOptions { discrepancy_fn: js, ..FitOptions::default() };
/// assert_eq!(options.sample_size, 1);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Discrepancy(CsiszarFn);

impl Discrepancy {
    /// Any Csiszar function of `log u`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::vi::csiszar::{pearson, Discrepancy};
    /// let d = Discrepancy::new(pearson);
    /// assert!((d.call(&Tensor::scalar(2f64.ln(), DType::F64)?)?.to_scalar()? - 1.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(f: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static) -> Self {
        Discrepancy(Arc::new(f))
    }
    /// `kl_reverse` (the default: the negative ELBO).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::vi::csiszar::Discrepancy;
    /// let f = Discrepancy::kl_reverse();
    /// assert!((f.call(&Tensor::scalar(1.0, DType::F64)?)?.to_scalar()? + 1.0).abs() < 1e-15); // −log u
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn kl_reverse() -> Self {
        Self::new(|l| kl_reverse(l, false))
    }
    /// `kl_forward`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::vi::csiszar::Discrepancy;
    /// let f = Discrepancy::kl_forward();
    /// assert!((f.call(&Tensor::scalar(1.0, DType::F64)?)?.to_scalar()? - 1f64.exp()).abs() < 1e-12); // u log u
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn kl_forward() -> Self {
        Self::new(|l| kl_forward(l, false))
    }
    /// Evaluates `f` at `log u`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::vi::csiszar::Discrepancy;
    /// let v = Discrepancy::default().call(&Tensor::vector(&[0.0, -2.0], DType::F64)?)?;
    /// assert_eq!(v.to_vec()?, vec![0.0, 2.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
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
