//! The LogNormal distribution: `exp(X)` for `X ~ N(μ, σ)`.
//!
//! ```text
//! log p(x) = log N(log x; μ, σ) − log x (x > 0)      cdf = Φ((log x − μ)/σ)
//! mean = exp(μ + σ²/2)   variance = (e^{σ²} − 1) e^{2μ + σ²}   mode = exp(μ − σ²)
//! entropy = μ + ½ + log(σ √(2π))
//! ```

use super::family::{family, family_accessors, outside_support, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

family! {
    /// LogNormal(loc, scale).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, LogNormal};
    /// use probrs::tensor::Tensor;
    /// let d = LogNormal::new(0.0, 1.0)?;
    /// let x = Tensor::scalar(1.0, d.dtype())?;
    /// assert!((d.log_prob(&x)?.to_scalar()? + 0.5 * (2.0 * std::f64::consts::PI).ln()).abs() < 1e-6);
    /// assert!((d.mean()?.to_scalar()? - 0.5f64.exp()).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    LogNormal, "LogNormal", FullyReparameterized, { loc: Real, scale: Positive }, (0.0, 1.0)  // the example arguments of `new`
}

impl LogNormal {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
    fn z(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "input")?;
        x.log()?.sub(&self.value("loc")?)?.div(&self.value("scale")?)
    }
}

impl Distribution for LogNormal {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Exp::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        let lp = self.z(x)?.square()?.affine(-0.5, -HALF_LN_2PI)?.sub(&self.value("scale")?.log()?)?.sub(&x.log()?)?;
        outside_support(&x.le_scalar(0.0)?, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        let c = self.z(x)?.ndtr()?;
        Tensor::where_(&x.le_scalar(0.0)?, &c.zeros_like()?, &c)
    }
    fn quantile(&self, p: &Tensor) -> Result<Tensor> {
        check_dtype(self, p, "quantile")?;
        p.ndtri()?.mul(&self.value("scale")?)?.add(&self.value("loc")?)?.exp()
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        random::normal(&sample_shape(shape, &self.batch_shape), self.dtype, seed)?.mul(&self.value("scale")?)?.add(&self.value("loc")?)?.exp()
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.square()?.mul_scalar(0.5)?.add(&self.value("loc")?)?.exp()?)
    }
    fn mode(&self) -> Result<Tensor> {
        self.batch(self.value("loc")?.sub(&self.value("scale")?.square()?)?.exp()?)
    }
    fn variance(&self) -> Result<Tensor> {
        let s2 = self.value("scale")?.square()?;
        self.batch(s2.expm1()?.mul(&s2.add(&self.value("loc")?.mul_scalar(2.0)?)?.exp()?)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.log()?.add(&self.value("loc")?)?.add_scalar(0.5 + HALF_LN_2PI)?)
    }
}

/// KL(LogNormal(μ₁, s₁) ‖ LogNormal(μ₂, s₂)): the KL of the underlying normals,
/// log(s₂/s₁) + (s₁² + (μ₁ − μ₂)²)/(2s₂²) − ½.
///
/// ```
/// use probrs::distributions::{kl_log_normal, kl_normal_normal, LogNormal, Normal};
/// // The KL is invariant under exp: it equals the KL of the underlying normals.
/// let kl = kl_log_normal(&LogNormal::new(0.0, 1.0)?, &LogNormal::new(1.0, 2.0)?)?.to_scalar()?;
/// let n = kl_normal_normal(&Normal::new(0.0, 1.0)?, &Normal::new(1.0, 2.0)?)?.to_scalar()?;
/// assert!((kl - n).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_log_normal(p: &LogNormal, q: &LogNormal) -> Result<Tensor> {
    let s2 = q.value("scale")?;
    let r = p.value("scale")?.div(&s2)?;
    let d = p.value("loc")?.sub(&q.value("loc")?)?.div(&s2)?;
    r.square()?.add(&d.square()?)?.affine(0.5, -0.5)?.sub(&r.log()?)
}
