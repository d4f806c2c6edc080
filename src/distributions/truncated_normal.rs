//! The TruncatedNormal distribution: N(loc, scale) restricted to `[low, high]`.
//!
//! ```text
//! Z = Φ(β) − Φ(α),  α = (low − μ)/s,  β = (high − μ)/s
//! log p(x) = log φ(z) − log s − log Z on [low, high]      cdf = (Φ(z) − Φ(α)) / Z
//! mean = μ + s (φ(α) − φ(β))/Z
//! variance = s² (1 + (αφ(α) − βφ(β))/Z − ((φ(α) − φ(β))/Z)²)
//! entropy = log(√(2πe) s Z) + (αφ(α) − βφ(β))/(2Z)
//! ```
//! Samples are reparameterized by the inverse CDF: `μ + s Φ⁻¹(Φ(α) + u Z)`.

use super::family::{family, family_accessors, outside_support, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::{Error, Result};
use crate::random::{self, Seed};
use crate::tensor::Tensor;

const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

family! {
    /// TruncatedNormal(loc, scale, low, high).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, TruncatedNormal};
    /// use probrs::tensor::Tensor;
    /// // N(0, 1) restricted to [−1, 1]: φ(0) / (Φ(1) − Φ(−1)).
    /// let d = TruncatedNormal::new(0.0, 1.0, -1.0, 1.0)?;
    /// let p0 = d.prob(&Tensor::scalar(0.0, d.dtype())?)?.to_scalar()?;
    /// assert!((p0 - 0.398_942_280_4 / 0.682_689_492_1).abs() < 1e-5);
    /// assert_eq!(d.prob(&Tensor::scalar(2.0, d.dtype())?)?.to_scalar()?, 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    TruncatedNormal, "TruncatedNormal", FullyReparameterized, { loc: Real, scale: Positive, low: Real, high: Real }, (0.0, 1.0, -1.0, 1.0)  // the example arguments of `new`
}

impl TruncatedNormal {
    fn check_extra(&self) -> Result<()> {
        if self.low.is_constant() && self.high.is_constant() || self.validate_args {
            let d = self.high.value(self.dtype)?.sub(&self.low.value(self.dtype)?)?;
            if d.to_vec()?.iter().any(|v| !(*v > 0.0)) {
                return Err(Error::invalid_parameter("low", "must be below `high`"));
            }
        }
        Ok(())
    }
    /// (α, β, Z, s, μ)
    fn std(&self) -> Result<(Tensor, Tensor, Tensor, Tensor, Tensor)> {
        let (m, s) = (self.value("loc")?, self.value("scale")?);
        let a = self.value("low")?.sub(&m)?.div(&s)?;
        let b = self.value("high")?.sub(&m)?.div(&s)?;
        let z = b.ndtr()?.sub(&a.ndtr()?)?;
        Ok((a, b, z, s, m))
    }
    fn phi(t: &Tensor) -> Result<Tensor> {
        t.square()?.affine(-0.5, -HALF_LN_2PI)?.exp()
    }
}

impl Distribution for TruncatedNormal {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Sigmoid::with_bounds(self.low.clone(), self.high.clone())?))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let (_, _, z, s, m) = self.std()?;
        let t = x.sub(&m)?.div(&s)?;
        let lp = t.square()?.affine(-0.5, -HALF_LN_2PI)?.sub(&s.log()?)?.sub(&z.log()?)?;
        let out = x.lt(&self.value("low")?)?.not()?.and(&x.gt(&self.value("high")?)?.not()?)?.not()?;
        outside_support(&out, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let (a, _, z, s, m) = self.std()?;
        let c = x.sub(&m)?.div(&s)?.ndtr()?.sub(&a.ndtr()?)?.div(&z)?;
        c.maximum(&c.zeros_like()?)?.minimum(&c.ones_like()?)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let (a, _, z, s, m) = self.std()?;
        let u = random::uniform(&sample_shape(shape, &self.batch_shape), self.dtype, seed)?;
        u.mul(&z)?.add(&a.ndtr()?)?.ndtri()?.mul(&s)?.add(&m)
    }
    fn mean(&self) -> Result<Tensor> {
        let (a, b, z, s, m) = self.std()?;
        self.batch(Self::phi(&a)?.sub(&Self::phi(&b)?)?.div(&z)?.mul(&s)?.add(&m)?)
    }
    fn variance(&self) -> Result<Tensor> {
        let (a, b, z, s, _) = self.std()?;
        let (pa, pb) = (Self::phi(&a)?, Self::phi(&b)?);
        let r = pa.sub(&pb)?.div(&z)?;
        let t = a.mul(&pa)?.sub(&b.mul(&pb)?)?.div(&z)?;
        self.batch(s.square()?.mul(&t.add_scalar(1.0)?.sub(&r.square()?)?)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        let (a, b, z, s, _) = self.std()?;
        let t = a.mul(&Self::phi(&a)?)?.sub(&b.mul(&Self::phi(&b)?)?)?.div(&z)?;
        self.batch(s.mul(&z)?.log()?.add_scalar(HALF_LN_2PI + 0.5)?.add(&t.mul_scalar(0.5)?)?)
    }
}
