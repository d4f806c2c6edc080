//! The Gamma distribution (concentration α, rate β).
//!
//! ```text
//! log p(x) = α log β + (α − 1) log x − βx − lgamma(α) (x ≥ 0)      cdf = P(α, βx)
//! mean = α/β   variance = α/β²   mode = (α − 1)/β (α ≥ 1, else NaN)
//! entropy = α − log β + lgamma(α) + (1 − α) ψ(α)
//! ```
//! Samples (rand_distr's Gamma) carry TFP's implicit reparameterization gradients.

use super::family::{family, family_accessors, implicit_reparameterize, outside_support};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

family! {
    /// Gamma(concentration, rate).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Gamma};
    /// use probrs::tensor::Tensor;
    /// // Gamma(2, rate 3): density 9 x e^(−3x)
    /// let d = Gamma::new(2.0, 3.0)?;
    /// let x = Tensor::scalar(1.0, d.dtype())?;
    /// assert!((d.log_prob(&x)?.to_scalar()? - (9f64.ln() - 3.0)).abs() < 1e-5);
    /// assert!((d.mean()?.to_scalar()? - 2.0 / 3.0).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Gamma, "Gamma", FullyReparameterized, { concentration: Positive, rate: Positive }, (2.0, 3.0)  // the example arguments of `new`
}

impl Gamma {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
}

impl Distribution for Gamma {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Softplus::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let (a, b) = (self.value("concentration")?, self.value("rate")?);
        let lp = a.mul(&b.log()?)?.add(&a.add_scalar(-1.0)?.xlogy(x)?)?.sub(&b.mul(x)?)?.sub(&a.lgamma()?)?;
        outside_support(&x.lt_scalar(0.0)?, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        Tensor::igamma(&self.value("concentration")?, &self.value("rate")?.mul(x)?)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let (a, b) = (self.value("concentration")?, self.value("rate")?);
        let ab = a.add(&b.zeros_like()?)?;
        let g = random::gamma(shape, &ab.broadcast_to(&self.batch_shape)?.contiguous()?, seed)?.div(&b.detach())?;
        implicit_reparameterize(&g, &self.cdf(&g.detach())?, &self.log_prob(&g.detach())?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.value("concentration")?.div(&self.value("rate")?)?)
    }
    fn variance(&self) -> Result<Tensor> {
        self.batch(self.value("concentration")?.div(&self.value("rate")?.square()?)?)
    }
    fn mode(&self) -> Result<Tensor> {
        let a = self.value("concentration")?;
        let m = a.add_scalar(-1.0)?.div(&self.value("rate")?)?;
        self.batch(Tensor::where_(&a.lt_scalar(1.0)?, &m.full_like(f64::NAN)?, &m)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        let (a, b) = (self.value("concentration")?, self.value("rate")?);
        self.batch(a.sub(&b.log()?)?.add(&a.lgamma()?)?.add(&a.affine(-1.0, 1.0)?.mul(&a.digamma()?)?)?)
    }
}

/// KL(Gamma(a₁, b₁) ‖ Gamma(a₂, b₂)) = (a₁ − a₂)ψ(a₁) − lgamma(a₁) + lgamma(a₂)
/// + a₂(log b₁ − log b₂) + a₁(b₂ − b₁)/b₁.
///
/// ```
/// use probrs::distributions::{kl_exponential, kl_gamma, Exponential, Gamma};
/// // Gamma(1, rate) is Exponential(rate).
/// let kl = kl_gamma(&Gamma::new(1.0, 2.0)?, &Gamma::new(1.0, 1.0)?)?.to_scalar()?;
/// let e = kl_exponential(&Exponential::new(2.0)?, &Exponential::new(1.0)?)?.to_scalar()?;
/// assert!((kl - e).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_gamma(p: &Gamma, q: &Gamma) -> Result<Tensor> {
    let (a1, b1) = (p.value("concentration")?, p.value("rate")?);
    let (a2, b2) = (q.value("concentration")?, q.value("rate")?);
    a1.sub(&a2)?
        .mul(&a1.digamma()?)?
        .sub(&a1.lgamma()?)?
        .add(&a2.lgamma()?)?
        .add(&a2.mul(&b1.log()?.sub(&b2.log()?)?)?)?
        .add(&a1.mul(&b2.sub(&b1)?)?.div(&b1)?)
}
