//! The Uniform distribution on `[low, high]` (both ends included, as TFP).
//!
//! ```text
//! log p(x) = −log(high − low) on [low, high], −∞ outside     cdf = clamp((x − low)/(high − low), 0, 1)
//! mean = (low + high)/2   variance = (high − low)²/12   entropy = log(high − low)
//! ```

use super::family::{family, family_accessors, outside_support, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::{Error, Result};
use crate::random::{self, Seed};
use crate::tensor::Tensor;

family! {
    /// Uniform(low, high).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Uniform};
    /// use probrs::random::Seed;
    /// use probrs::tensor::Tensor;
    /// let d = Uniform::new(1.0, 3.0)?;
    /// assert_eq!(d.prob(&Tensor::scalar(2.5, d.dtype())?)?.to_scalar()?, 0.5);
    /// assert_eq!(d.mean()?.to_scalar()?, 2.0);
    /// let s = d.sample(&[100], Seed::new(7))?.to_vec()?;
    /// assert!(s.iter().all(|v| (1.0..3.0).contains(v)));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Uniform, "Uniform", FullyReparameterized, { low: Real, high: Real }, (1.0, 3.0)  // the example arguments of `new`
}

impl Uniform {
    fn check_extra(&self) -> Result<()> {
        if self.low.is_constant() && self.high.is_constant() || self.validate_args {
            let (l, h) = (self.low.value(self.dtype)?, self.high.value(self.dtype)?);
            if h.sub(&l)?.to_vec()?.iter().any(|d| !(*d > 0.0)) {
                return Err(Error::invalid_parameter("low", "must be below `high`"));
            }
        }
        Ok(())
    }
    fn width(&self) -> Result<Tensor> {
        self.value("high")?.sub(&self.value("low")?)
    }
}

impl Distribution for Uniform {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Sigmoid::with_bounds(self.low.clone(), self.high.clone())?))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let lp = self.width()?.log()?.neg()?.add(&x.zeros_like()?)?;
        let out = x.lt(&self.value("low")?)?.not()?.and(&x.gt(&self.value("high")?)?.not()?)?.not()?;
        outside_support(&out, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let c = x.sub(&self.value("low")?)?.div(&self.width()?)?;
        c.maximum(&c.zeros_like()?)?.minimum(&c.ones_like()?)
    }
    fn quantile(&self, p: &Tensor) -> Result<Tensor> {
        check_dtype(self, p, "quantile")?;
        p.mul(&self.width()?)?.add(&self.value("low")?)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        random::uniform(&sample_shape(shape, &self.batch_shape), self.dtype, seed)?.mul(&self.width()?)?.add(&self.value("low")?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.value("low")?.add(&self.value("high")?)?.mul_scalar(0.5)?)
    }
    fn variance(&self) -> Result<Tensor> {
        self.batch(self.width()?.square()?.mul_scalar(1.0 / 12.0)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        self.batch(self.width()?.log()?)
    }
}

/// KL(U(a₁, b₁) ‖ U(a₂, b₂)) = log((b₂ − a₂)/(b₁ − a₁)) when [a₁, b₁] ⊆ [a₂, b₂], else +∞.
///
/// ```
/// use probrs::distributions::{kl_uniform, Uniform};
/// // log of the width ratio when p's support lies inside q's
/// let kl = kl_uniform(&Uniform::new(0.0, 1.0)?, &Uniform::new(0.0, 4.0)?)?.to_scalar()?;
/// assert!((kl - 4f64.ln()).abs() < 1e-6);
/// assert_eq!(kl_uniform(&Uniform::new(0.0, 4.0)?, &Uniform::new(0.0, 1.0)?)?.to_scalar()?, f64::INFINITY);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_uniform(p: &Uniform, q: &Uniform) -> Result<Tensor> {
    let (a1, b1, a2, b2) = (p.value("low")?, p.value("high")?, q.value("low")?, q.value("high")?);
    let v = q.width()?.div(&p.width()?)?.log()?;
    let inside = a1.lt(&a2)?.not()?.and(&b1.gt(&b2)?.not()?)?;
    Tensor::where_(&inside, &v, &v.full_like(f64::INFINITY)?)
}
