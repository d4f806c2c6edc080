//! The InverseGamma distribution (concentration α, scale β): `β / G` for `G ~ Gamma(α, 1)`.
//!
//! ```text
//! log p(x) = α log β − lgamma(α) − (α + 1) log x − β/x (x > 0)      cdf = 1 − P(α, β/x)
//! mean = β/(α − 1) (α > 1, else NaN)   variance = β²/((α − 1)²(α − 2)) (α > 2, else NaN)
//! mode = β/(α + 1)   entropy = α + log β + lgamma(α) − (1 + α) ψ(α)
//! ```

use super::family::{family, family_accessors, implicit_reparameterize, outside_support};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

family! {
    /// InverseGamma(concentration, scale).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, InverseGamma};
    /// use probrs::tensor::Tensor;
    /// // InverseGamma(3, scale 2): density 2³/Γ(3) x^(−4) e^(−2/x); mean 2/(3 − 1)
    /// let d = InverseGamma::new(3.0, 2.0)?;
    /// let x = Tensor::scalar(1.0, d.dtype())?;
    /// assert!((d.log_prob(&x)?.to_scalar()? - (4f64.ln() - 2.0)).abs() < 1e-5);
    /// assert!((d.mean()?.to_scalar()? - 1.0).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    InverseGamma, "InverseGamma", FullyReparameterized, { concentration: Positive, scale: Positive }, (3.0, 2.0)  // the example arguments of `new`
}

impl InverseGamma {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
    fn ab(&self) -> Result<(Tensor, Tensor)> {
        Ok((self.value("concentration")?, self.value("scale")?))
    }
}

impl Distribution for InverseGamma {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Softplus::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let (a, b) = self.ab()?;
        let lp = a.mul(&b.log()?)?.sub(&a.lgamma()?)?.sub(&a.add_scalar(1.0)?.mul(&x.log()?)?)?.sub(&b.div(x)?)?;
        outside_support(&x.le_scalar(0.0)?, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let (a, b) = self.ab()?;
        let c = Tensor::igamma(&a, &b.div(&x.maximum(&x.full_like(f64::MIN_POSITIVE)?)?)?)?.affine(-1.0, 1.0)?;
        Tensor::where_(&x.le_scalar(0.0)?, &c.zeros_like()?, &c)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let (a, b) = self.ab()?;
        let ab = a.add(&b.zeros_like()?)?.broadcast_to(&self.batch_shape)?.contiguous()?;
        let x = b.detach().div(&random::gamma(shape, &ab.detach(), seed)?)?;
        implicit_reparameterize(&x, &self.cdf(&x)?, &self.log_prob(&x)?)
    }
    fn mean(&self) -> Result<Tensor> {
        let (a, b) = self.ab()?;
        let m = b.div(&a.add_scalar(-1.0)?)?;
        self.batch(Tensor::where_(&a.gt_scalar(1.0)?, &m, &m.full_like(f64::NAN)?)?)
    }
    fn variance(&self) -> Result<Tensor> {
        let (a, b) = self.ab()?;
        let v = b.square()?.div(&a.add_scalar(-1.0)?.square()?.mul(&a.add_scalar(-2.0)?)?)?;
        self.batch(Tensor::where_(&a.gt_scalar(2.0)?, &v, &v.full_like(f64::NAN)?)?)
    }
    fn mode(&self) -> Result<Tensor> {
        let (a, b) = self.ab()?;
        self.batch(b.div(&a.add_scalar(1.0)?)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        let (a, b) = self.ab()?;
        self.batch(a.add(&b.log()?)?.add(&a.lgamma()?)?.sub(&a.add_scalar(1.0)?.mul(&a.digamma()?)?)?)
    }
}
