//! The Beta distribution on `(0, 1)` (concentration1 α, concentration0 β).
//!
//! ```text
//! log p(x) = (α − 1) log x + (β − 1) log(1 − x) − lbeta(α, β)      cdf = I_x(α, β)
//! mean = α/(α + β)   variance = αβ / ((α + β)² (α + β + 1))
//! entropy = lbeta(α, β) − (α − 1)ψ(α) − (β − 1)ψ(β) + (α + β − 2)ψ(α + β)
//! ```
//! Samples carry implicit reparameterization gradients.

use super::family::{family, family_accessors, implicit_reparameterize, outside_support};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

family! {
    /// Beta(concentration1, concentration0).
    ///
    /// ```
    /// use probrs::distributions::{Beta, Distribution};
    /// use probrs::tensor::Tensor;
    /// // Python-float parameters give a float32 distribution, as in TFP.
    /// let d = Beta::new(2.0, 3.0)?;
    /// let x = Tensor::scalar(0.5, d.dtype())?;
    /// // density x (1 − x)² / B(2, 3) = 12 · ½ · ¼ = 1.5
    /// assert!((d.log_prob(&x)?.to_scalar()? - 1.5f64.ln()).abs() < 1e-5);
    /// assert!((d.mean()?.to_scalar()? - 0.4).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Beta, "Beta", FullyReparameterized, { concentration1: Positive, concentration0: Positive }, (2.0, 3.0)  // the example arguments of `new`
}

impl Beta {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
    fn ab(&self) -> Result<(Tensor, Tensor)> {
        Ok((self.value("concentration1")?, self.value("concentration0")?))
    }
    fn lbeta(a: &Tensor, b: &Tensor) -> Result<Tensor> {
        a.lgamma()?.add(&b.lgamma()?)?.sub(&a.add(b)?.lgamma()?)
    }
}

impl Distribution for Beta {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Sigmoid::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let (a, b) = self.ab()?;
        let lp = a.add_scalar(-1.0)?.xlogy(x)?.add(&b.add_scalar(-1.0)?.xlogy(&x.affine(-1.0, 1.0)?)?)?.sub(&Self::lbeta(&a, &b)?)?;
        outside_support(&x.lt_scalar(0.0)?.not()?.and(&x.gt_scalar(1.0)?.not()?)?.not()?, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let (a, b) = self.ab()?;
        Tensor::betainc(&a, &b, x)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let (a, b) = self.ab()?;
        let (ab, bb) = (a.broadcast_to(&self.batch_shape)?.contiguous()?, b.broadcast_to(&self.batch_shape)?.contiguous()?);
        let x = random::beta(shape, &ab, &bb, seed)?;
        // Kept inside the open interval (a draw can round to exactly 0 or 1).
        let (tiny, top) = (f64::from(f32::MIN_POSITIVE), 1.0 - self.dtype.eps());
        let x = x.maximum(&x.full_like(tiny)?)?.minimum(&x.full_like(top)?)?;
        implicit_reparameterize(&x, &self.cdf(&x)?, &self.log_prob(&x)?)
    }
    fn mean(&self) -> Result<Tensor> {
        let (a, b) = self.ab()?;
        self.batch(a.div(&a.add(&b)?)?)
    }
    fn variance(&self) -> Result<Tensor> {
        let (a, b) = self.ab()?;
        let s = a.add(&b)?;
        self.batch(a.mul(&b)?.div(&s.square()?.mul(&s.add_scalar(1.0)?)?)?)
    }
    fn mode(&self) -> Result<Tensor> {
        let (a, b) = self.ab()?;
        let m = a.add_scalar(-1.0)?.div(&a.add(&b)?.add_scalar(-2.0)?)?;
        let undefined = a.le_scalar(1.0)?.not()?.and(&b.le_scalar(1.0)?.not()?)?.not()?;
        self.batch(Tensor::where_(&undefined, &m.full_like(f64::NAN)?, &m)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        let (a, b) = self.ab()?;
        let s = a.add(&b)?;
        let h = Self::lbeta(&a, &b)?
            .sub(&a.add_scalar(-1.0)?.mul(&a.digamma()?)?)?
            .sub(&b.add_scalar(-1.0)?.mul(&b.digamma()?)?)?
            .add(&s.add_scalar(-2.0)?.mul(&s.digamma()?)?)?;
        self.batch(h)
    }
}

/// KL(Beta(a₁, b₁) ‖ Beta(a₂, b₂)) = lbeta(a₂, b₂) − lbeta(a₁, b₁) + (a₁ − a₂)ψ(a₁)
/// + (b₁ − b₂)ψ(b₁) + (a₂ − a₁ + b₂ − b₁)ψ(a₁ + b₁).
///
/// ```
/// use probrs::distributions::{kl_beta, Beta};
/// // KL(Beta(2, 1) ‖ Uniform = Beta(1, 1)) = ∫ 2x log(2x) dx = log 2 − ½
/// let kl = kl_beta(&Beta::new(2.0, 1.0)?, &Beta::new(1.0, 1.0)?)?.to_scalar()?;
/// assert!((kl - (2f64.ln() - 0.5)).abs() < 1e-5);
/// assert!(kl_beta(&Beta::new(2.0, 3.0)?, &Beta::new(2.0, 3.0)?)?.to_scalar()?.abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_beta(p: &Beta, q: &Beta) -> Result<Tensor> {
    let (a1, b1) = p.ab()?;
    let (a2, b2) = q.ab()?;
    Beta::lbeta(&a2, &b2)?
        .sub(&Beta::lbeta(&a1, &b1)?)?
        .add(&a1.sub(&a2)?.mul(&a1.digamma()?)?)?
        .add(&b1.sub(&b2)?.mul(&b1.digamma()?)?)?
        .add(&a2.sub(&a1)?.add(&b2.sub(&b1)?)?.mul(&a1.add(&b1)?.digamma()?)?)
}
