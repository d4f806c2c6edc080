//! The Weibull distribution (concentration k, scale λ).
//!
//! ```text
//! log p(x) = log k − log λ + (k − 1) log(x/λ) − (x/λ)^k (x ≥ 0)      cdf = 1 − exp(−(x/λ)^k)
//! mean = λ Γ(1 + 1/k)   variance = λ² (Γ(1 + 2/k) − Γ(1 + 1/k)²)   entropy = γ (1 − 1/k) + log(λ/k) + 1
//! ```
//! Samples are reparameterized: `λ (−log(1 − u))^{1/k}`.

use super::family::{family, family_accessors, outside_support, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

family! {
    /// Weibull(concentration, scale).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Weibull};
    /// use probrs::tensor::Tensor;
    /// // Weibull(k = 2, λ = 1): density 2x e^(−x²)
    /// let d = Weibull::new(2.0, 1.0)?;
    /// let x = Tensor::scalar(1.0, d.dtype())?;
    /// assert!((d.log_prob(&x)?.to_scalar()? - (2f64.ln() - 1.0)).abs() < 1e-5);
    /// assert!((d.cdf(&x)?.to_scalar()? - (1.0 - (-1.0f64).exp())).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Weibull, "Weibull", FullyReparameterized, { concentration: Positive, scale: Positive }, (2.0, 1.0)  // the example arguments of `new`
}

impl Weibull {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
    fn kl(&self) -> Result<(Tensor, Tensor)> {
        Ok((self.value("concentration")?, self.value("scale")?))
    }
}

impl Distribution for Weibull {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Softplus::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let (k, l) = self.kl()?;
        let r = x.div(&l)?;
        let lp = k.log()?.sub(&l.log()?)?.add(&k.add_scalar(-1.0)?.xlogy(&r)?)?.sub(&r.log()?.mul(&k)?.exp()?)?;
        outside_support(&x.lt_scalar(0.0)?, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let (k, l) = self.kl()?;
        let r = x.maximum(&x.zeros_like()?)?.div(&l)?;
        r.log()?.mul(&k)?.exp()?.neg()?.expm1()?.neg()
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let (k, l) = self.kl()?;
        let u = random::uniform(&sample_shape(shape, &self.batch_shape), self.dtype, seed)?;
        u.neg()?.log1p()?.neg()?.log()?.div(&k)?.exp()?.mul(&l)
    }
    fn mean(&self) -> Result<Tensor> {
        let (k, l) = self.kl()?;
        self.batch(l.mul(&k.recip()?.add_scalar(1.0)?.lgamma()?.exp()?)?)
    }
    fn variance(&self) -> Result<Tensor> {
        let (k, l) = self.kl()?;
        let g1 = k.recip()?.add_scalar(1.0)?.lgamma()?.exp()?;
        let g2 = k.recip()?.mul_scalar(2.0)?.add_scalar(1.0)?.lgamma()?.exp()?;
        self.batch(l.square()?.mul(&g2.sub(&g1.square()?)?)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        let (k, l) = self.kl()?;
        let g = 0.577_215_664_901_532_9;
        self.batch(k.recip()?.affine(-g, g)?.add(&l.div(&k)?.log()?)?.add_scalar(1.0)?)
    }
}

/// KL(Weibull(k₁, λ₁) ‖ Weibull(k₂, λ₂)) = log(k₁/λ₁^{k₁}) − log(k₂/λ₂^{k₂})
/// + (k₁ − k₂)(log λ₁ − γ/k₁) + (λ₁/λ₂)^{k₂} Γ(k₂/k₁ + 1) − 1.
///
/// ```
/// use probrs::distributions::{kl_exponential, kl_weibull, Exponential, Weibull};
/// // Weibull(k = 1, λ) is Exponential(rate 1/λ).
/// let kl = kl_weibull(&Weibull::new(1.0, 0.5)?, &Weibull::new(1.0, 1.0)?)?.to_scalar()?;
/// let e = kl_exponential(&Exponential::new(2.0)?, &Exponential::new(1.0)?)?.to_scalar()?;
/// assert!((kl - e).abs() < 1e-5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_weibull(p: &Weibull, q: &Weibull) -> Result<Tensor> {
    const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
    let (k1, l1, k2, l2) = (p.value("concentration")?, p.value("scale")?, q.value("concentration")?, q.value("scale")?);
    let (ll1, ll2) = (l1.log()?, l2.log()?);
    let t1 = k1.log()?.sub(&k1.mul(&ll1)?)?.sub(&k2.log()?.sub(&k2.mul(&ll2)?)?)?;
    let t2 = k1.sub(&k2)?.mul(&ll1.sub(&k1.recip()?.mul_scalar(EULER_GAMMA)?)?)?;
    let t3 = k2.mul(&ll1.sub(&ll2)?)?.add(&k2.div(&k1)?.add_scalar(1.0)?.lgamma()?)?.exp()?;
    t1.add(&t2)?.add(&t3)?.add_scalar(-1.0)
}
