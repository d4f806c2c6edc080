//! The Laplace distribution.
//!
//! ```text
//! log p(x) = −log(2s) − |x − μ|/s      cdf = ½ e^{z} (z < 0), 1 − ½ e^{−z} (z ≥ 0)
//! mean = mode = μ   variance = 2s²   entropy = 1 + log(2s)
//! ```
//! Parameters `loc` μ, `scale` s > 0. Samples are reparameterized: `μ − s·sign(u)·log(1 − 2|u|)`.

use super::family::{family, family_accessors, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

family! {
    /// Laplace(loc, scale).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Laplace};
    /// use probrs::tensor::Tensor;
    /// // density e^(−|x − loc|/b) / (2b)
    /// let d = Laplace::new(0.0, 2.0)?;
    /// let x = Tensor::scalar(2.0, d.dtype())?;
    /// assert!((d.log_prob(&x)?.to_scalar()? - (-1.0 - 4f64.ln())).abs() < 1e-6);
    /// assert!((d.variance()?.to_scalar()? - 8.0).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Laplace, "Laplace", FullyReparameterized, { loc: Real, scale: Positive }, (0.0, 2.0)  // the example arguments of `new`
}

impl Laplace {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
    fn z(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "input")?;
        x.sub(&self.value("loc")?)?.div(&self.value("scale")?)
    }
}

impl Distribution for Laplace {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Identity::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        self.z(x)?.abs()?.neg()?.sub(&self.value("scale")?.mul_scalar(2.0)?.log()?)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        let z = self.z(x)?;
        let lower = z.exp()?.mul_scalar(0.5)?;
        let upper = z.neg()?.exp()?.affine(-0.5, 1.0)?;
        Tensor::where_(&z.lt_scalar(0.0)?, &lower, &upper)
    }
    fn quantile(&self, p: &Tensor) -> Result<Tensor> {
        check_dtype(self, p, "quantile")?;
        let lower = p.mul_scalar(2.0)?.log()?;
        let upper = p.affine(-2.0, 2.0)?.log()?.neg()?;
        let z = Tensor::where_(&p.lt_scalar(0.5)?, &lower, &upper)?;
        z.mul(&self.value("scale")?)?.add(&self.value("loc")?)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let u = random::uniform(&sample_shape(shape, &self.batch_shape), self.dtype, seed)?.add_scalar(-0.5)?;
        let z = u.sign()?.mul(&u.abs()?.affine(-2.0, 1.0)?.log()?)?.neg()?;
        z.mul(&self.value("scale")?)?.add(&self.value("loc")?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.value("loc")?)
    }
    fn mode(&self) -> Result<Tensor> {
        self.mean()
    }
    fn variance(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.square()?.mul_scalar(2.0)?)
    }
    fn stddev(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.mul_scalar(std::f64::consts::SQRT_2)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.mul_scalar(2.0)?.log()?.add_scalar(1.0)?)
    }
}

/// KL(Laplace(μ₁, b₁) ‖ Laplace(μ₂, b₂)) = log(b₂/b₁) + |μ₁ − μ₂|/b₂ + (b₁/b₂) e^{−|μ₁ − μ₂|/b₁} − 1.
///
/// ```
/// use probrs::distributions::{kl_laplace, Laplace};
/// // Same scale, shift δ: δ/b + e^(−δ/b) − 1
/// let kl = kl_laplace(&Laplace::new(0.0, 1.0)?, &Laplace::new(1.0, 1.0)?)?.to_scalar()?;
/// assert!((kl - (-1.0f64).exp()).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_laplace(p: &Laplace, q: &Laplace) -> Result<Tensor> {
    let (b1, b2) = (p.value("scale")?, q.value("scale")?);
    let d = p.value("loc")?.sub(&q.value("loc")?)?.abs()?;
    let t = b1.div(&b2)?.mul(&d.div(&b1)?.neg()?.exp()?)?;
    b2.log()?.sub(&b1.log()?)?.add(&d.div(&b2)?)?.add(&t)?.add_scalar(-1.0)
}
