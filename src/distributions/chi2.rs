//! The chi-squared distribution with `df` k degrees of freedom: Gamma(k/2, rate ½).
//!
//! ```text
//! log p(x) = (k/2 − 1) log x − x/2 − (k/2) log 2 − lgamma(k/2) (x ≥ 0)      cdf = P(k/2, x/2)
//! mean = k   variance = 2k   entropy = k/2 + log 2 + lgamma(k/2) + (1 − k/2) ψ(k/2)
//! ```

use super::family::{family, family_accessors, implicit_reparameterize, outside_support};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;
use std::f64::consts::LN_2;

family! {
    /// Chi2(df).
    ///
    /// ```
    /// use probrs::distributions::{Chi2, Distribution};
    /// use probrs::tensor::Tensor;
    /// // With 2 degrees of freedom the density is ½ e^(−x/2).
    /// let d = Chi2::new(2.0)?;
    /// let x = Tensor::scalar(2.0, d.dtype())?;
    /// assert!((d.log_prob(&x)?.to_scalar()? - (-(2f64.ln()) - 1.0)).abs() < 1e-5);
    /// assert!((d.mean()?.to_scalar()? - 2.0).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Chi2, "Chi2", FullyReparameterized, { df: Positive }, (2.0)  // the example arguments of `new`
}

impl Chi2 {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
}

impl Distribution for Chi2 {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Softplus::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let h = self.value("df")?.mul_scalar(0.5)?;
        let lp = h.add_scalar(-1.0)?.xlogy(x)?.sub(&x.mul_scalar(0.5)?)?.sub(&h.mul_scalar(LN_2)?)?.sub(&h.lgamma()?)?;
        outside_support(&x.lt_scalar(0.0)?, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        Tensor::igamma(&self.value("df")?.mul_scalar(0.5)?, &x.mul_scalar(0.5)?)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let h = self.value("df")?.mul_scalar(0.5)?.broadcast_to(&self.batch_shape)?.contiguous()?;
        let x = random::gamma(shape, &h.detach(), seed)?.mul_scalar(2.0)?;
        implicit_reparameterize(&x, &self.cdf(&x)?, &self.log_prob(&x)?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.value("df")?)
    }
    fn variance(&self) -> Result<Tensor> {
        self.batch(self.value("df")?.mul_scalar(2.0)?)
    }
    fn mode(&self) -> Result<Tensor> {
        let k = self.value("df")?;
        self.batch(k.add_scalar(-2.0)?.maximum(&k.zeros_like()?)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        let h = self.value("df")?.mul_scalar(0.5)?;
        self.batch(h.add_scalar(LN_2)?.add(&h.lgamma()?)?.add(&h.affine(-1.0, 1.0)?.mul(&h.digamma()?)?)?)
    }
}

/// KL(Chi2(k₁) ‖ Chi2(k₂)), as Gamma(k/2, ½) with equal rates:
/// (a₁ − a₂)ψ(a₁) − lgamma(a₁) + lgamma(a₂), a = k/2.
///
/// ```
/// use probrs::distributions::{kl_chi2, kl_divergence, Chi2};
/// // The registry finds the same closed form.
/// let kl = kl_chi2(&Chi2::new(2.0)?, &Chi2::new(4.0)?)?.to_scalar()?;
/// assert!(kl > 0.0);
/// assert!((kl - kl_divergence(&Chi2::new(2.0)?, &Chi2::new(4.0)?)?.to_scalar()?).abs() < 1e-12);
/// // (a₁ − a₂) ψ(a₁) − lgamma(a₁) + lgamma(a₂) with a = 1, 2: −ψ(1) = γ (Euler's constant)
/// assert!((kl - 0.577_215_664_9).abs() < 1e-5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_chi2(p: &Chi2, q: &Chi2) -> Result<Tensor> {
    let (a1, a2) = (p.value("df")?.mul_scalar(0.5)?, q.value("df")?.mul_scalar(0.5)?);
    a1.sub(&a2)?.mul(&a1.digamma()?)?.sub(&a1.lgamma()?)?.add(&a2.lgamma()?)
}
