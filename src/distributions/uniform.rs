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
    Uniform, "Uniform", FullyReparameterized, { low: Real, high: Real }
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
pub fn kl_uniform(p: &Uniform, q: &Uniform) -> Result<Tensor> {
    let (a1, b1, a2, b2) = (p.value("low")?, p.value("high")?, q.value("low")?, q.value("high")?);
    let v = q.width()?.div(&p.width()?)?.log()?;
    let inside = a1.lt(&a2)?.not()?.and(&b1.gt(&b2)?.not()?)?;
    Tensor::where_(&inside, &v, &v.full_like(f64::INFINITY)?)
}
