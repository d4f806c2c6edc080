//! The HalfNormal distribution: `|X|` for `X ~ N(0, s)`.
//!
//! ```text
//! log p(x) = ½ log(2/π) − log s − x²/(2s²) for x ≥ 0, −∞ for x < 0
//! cdf = erf(x / (s√2))   mean = s√(2/π)   variance = s²(1 − 2/π)   mode = 0
//! entropy = ½ log(π s² / 2) + ½
//! ```

use super::family::{family, family_accessors, outside_support, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;
use std::f64::consts::PI;

family! {
    /// HalfNormal(scale).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, HalfNormal};
    /// use probrs::tensor::Tensor;
    /// let d = HalfNormal::new(2.0)?;
    /// let c = (2.0 / std::f64::consts::PI).sqrt();
    /// assert!((d.prob(&Tensor::scalar(0.0, d.dtype())?)?.to_scalar()? - c / 2.0).abs() < 1e-6);
    /// assert!((d.mean()?.to_scalar()? - 2.0 * c).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    HalfNormal, "HalfNormal", FullyReparameterized, { scale: Positive }, (2.0)  // the example arguments of `new`
}

impl HalfNormal {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
}

impl Distribution for HalfNormal {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Softplus::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let s = self.value("scale")?;
        let lp = x.div(&s)?.square()?.affine(-0.5, 0.5 * (2.0 / PI).ln())?.sub(&s.log()?)?;
        outside_support(&x.lt_scalar(0.0)?, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let c = x.div(&self.value("scale")?)?.mul_scalar(std::f64::consts::FRAC_1_SQRT_2)?.erf()?;
        Tensor::where_(&x.lt_scalar(0.0)?, &c.zeros_like()?, &c)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        random::normal(&sample_shape(shape, &self.batch_shape), self.dtype, seed)?.abs()?.mul(&self.value("scale")?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.mul_scalar((2.0 / PI).sqrt())?)
    }
    fn mode(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.zeros_like()?)
    }
    fn variance(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.square()?.mul_scalar(1.0 - 2.0 / PI)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.log()?.add_scalar(0.5 * (PI / 2.0).ln() + 0.5)?)
    }
}

/// KL(HalfNormal(s₁) ‖ HalfNormal(s₂)) = log(s₂/s₁) + s₁²/(2s₂²) − ½.
///
/// ```
/// use probrs::distributions::{kl_half_normal, HalfNormal};
/// // log(σ₂/σ₁) + (σ₁² − σ₂²)/(2σ₂²), as for centred normals
/// let kl = kl_half_normal(&HalfNormal::new(1.0)?, &HalfNormal::new(2.0)?)?.to_scalar()?;
/// assert!((kl - (2f64.ln() + (1.0 - 4.0) / 8.0)).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_half_normal(p: &HalfNormal, q: &HalfNormal) -> Result<Tensor> {
    let r = p.value("scale")?.div(&q.value("scale")?)?;
    r.square()?.affine(0.5, -0.5)?.sub(&r.log()?)
}
