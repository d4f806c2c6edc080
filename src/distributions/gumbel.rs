//! The Gumbel (maximum) distribution.
//!
//! ```text
//! log p(x) = −(z + e^{−z}) − log s,  z = (x − μ)/s      cdf = exp(−e^{−z})
//! mean = μ + γ s   variance = π² s² / 6   mode = μ   entropy = log s + γ + 1
//! ```
//! Samples are reparameterized: `μ − s log(−log u)`.

use super::family::{family, family_accessors, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

family! {
    /// Gumbel(loc, scale).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Gumbel};
    /// use probrs::tensor::Tensor;
    /// // density exp(−(z + e^(−z))), z = (x − loc)/scale
    /// let d = Gumbel::new(0.0, 1.0)?;
    /// let x = Tensor::scalar(0.0, d.dtype())?;
    /// assert!((d.log_prob(&x)?.to_scalar()? + 1.0).abs() < 1e-6);
    /// assert!((d.cdf(&x)?.to_scalar()? - (-1.0f64).exp()).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Gumbel, "Gumbel", FullyReparameterized, { loc: Real, scale: Positive }, (0.0, 1.0)  // the example arguments of `new`
}

impl Gumbel {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
    fn z(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "input")?;
        x.sub(&self.value("loc")?)?.div(&self.value("scale")?)
    }
}

impl Distribution for Gumbel {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Identity::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        let z = self.z(x)?;
        z.add(&z.neg()?.exp()?)?.neg()?.sub(&self.value("scale")?.log()?)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        self.z(x)?.neg()?.exp()?.neg()?.exp()
    }
    fn quantile(&self, p: &Tensor) -> Result<Tensor> {
        check_dtype(self, p, "quantile")?;
        p.log()?.neg()?.log()?.neg()?.mul(&self.value("scale")?)?.add(&self.value("loc")?)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let u = random::uniform(&sample_shape(shape, &self.batch_shape), self.dtype, seed)?;
        let u = u.maximum(&u.full_like(f64::MIN_POSITIVE)?)?;
        u.log()?.neg()?.log()?.neg()?.mul(&self.value("scale")?)?.add(&self.value("loc")?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.mul_scalar(EULER_GAMMA)?.add(&self.value("loc")?)?)
    }
    fn mode(&self) -> Result<Tensor> {
        self.batch(self.value("loc")?.add(&self.value("scale")?.zeros_like()?)?)
    }
    fn variance(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.square()?.mul_scalar(std::f64::consts::PI.powi(2) / 6.0)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.log()?.add_scalar(EULER_GAMMA + 1.0)?)
    }
}

/// KL(Gumbel(μ₁, β₁) ‖ Gumbel(μ₂, β₂)) = log(β₂/β₁) + γ(β₁/β₂ − 1) + (μ₁ − μ₂)/β₂
/// + e^{(μ₂ − μ₁)/β₂} Γ(1 + β₁/β₂) − 1.
///
/// ```
/// use probrs::distributions::{kl_gumbel, Gumbel};
/// let same = kl_gumbel(&Gumbel::new(1.0, 2.0)?, &Gumbel::new(1.0, 2.0)?)?.to_scalar()?;
/// assert!(same.abs() < 1e-6);
/// assert!(kl_gumbel(&Gumbel::new(0.0, 1.0)?, &Gumbel::new(1.0, 2.0)?)?.to_scalar()? > 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_gumbel(p: &Gumbel, q: &Gumbel) -> Result<Tensor> {
    let (m1, b1, m2, b2) = (p.value("loc")?, p.value("scale")?, q.value("loc")?, q.value("scale")?);
    let r = b1.div(&b2)?;
    let e = m2.sub(&m1)?.div(&b2)?.add(&r.add_scalar(1.0)?.lgamma()?)?.exp()?;
    b2.log()?.sub(&b1.log()?)?.add(&r.add_scalar(-1.0)?.mul_scalar(EULER_GAMMA)?)?.add(&m1.sub(&m2)?.div(&b2)?)?.add(&e)?.add_scalar(-1.0)
}
