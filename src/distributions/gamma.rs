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
    Gamma, "Gamma", FullyReparameterized, { concentration: Positive, rate: Positive }
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
