//! Student's t distribution (df ν, loc μ, scale s).
//!
//! ```text
//! log p(x) = lgamma((ν+1)/2) − lgamma(ν/2) − ½ log(νπ) − log s − (ν+1)/2 · log1p(z²/ν)
//! cdf = 1 − ½ I_{ν/(ν+z²)}(ν/2, ½) for z > 0 (symmetric below)
//! mean = μ (ν > 1, else NaN)   variance = s² ν/(ν−2) (ν > 2), ∞ (1 < ν ≤ 2), NaN (ν ≤ 1)
//! entropy = (ν+1)/2 (ψ((ν+1)/2) − ψ(ν/2)) + log(√ν B(ν/2, ½)) + log s
//! ```
//! Samples: `μ + s Z / √(G/ν)` with `G ~ χ²(ν)`, carrying implicit reparameterization gradients.

use super::family::{family, family_accessors, implicit_reparameterize, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;
use std::f64::consts::PI;

family! {
    /// StudentT(df, loc, scale).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, StudentT};
    /// use probrs::tensor::Tensor;
    /// // At its centre, Student's t with 3 degrees of freedom has density 2/(π√3).
    /// let d = StudentT::new(3.0, 0.0, 1.0)?;
    /// let x = Tensor::scalar(0.0, d.dtype())?;
    /// let expected = 2.0 / (std::f64::consts::PI * 3f64.sqrt());
    /// assert!((d.prob(&x)?.to_scalar()? - expected).abs() < 1e-6);
    /// assert!((d.variance()?.to_scalar()? - 3.0).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    StudentT, "StudentT", FullyReparameterized, { df: Positive, loc: Real, scale: Positive }, (3.0, 0.0, 1.0)  // the example arguments of `new`
}

impl StudentT {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
    fn z(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "input")?;
        x.sub(&self.value("loc")?)?.div(&self.value("scale")?)
    }
}

impl Distribution for StudentT {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Identity::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        let z = self.z(x)?;
        let (nu, s) = (self.value("df")?, self.value("scale")?);
        let half1 = nu.add_scalar(1.0)?.mul_scalar(0.5)?;
        half1
            .lgamma()?
            .sub(&nu.mul_scalar(0.5)?.lgamma()?)?
            .sub(&nu.mul_scalar(PI)?.log()?.mul_scalar(0.5)?)?
            .sub(&s.log()?)?
            .sub(&half1.mul(&z.square()?.div(&nu)?.log1p()?)?)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        let z = self.z(x)?;
        let nu = self.value("df")?;
        let t = nu.div(&nu.add(&z.square()?)?)?;
        let half_tail = Tensor::betainc(&nu.mul_scalar(0.5)?, &t.full_like(0.5)?, &t)?.mul_scalar(0.5)?;
        Tensor::where_(&z.gt_scalar(0.0)?, &half_tail.affine(-1.0, 1.0)?, &half_tail)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let [s1, s2] = seed.split2();
        let nu = self.value("df")?.broadcast_to(&self.batch_shape)?.contiguous()?;
        let z = random::normal(&sample_shape(shape, &self.batch_shape), self.dtype, s1)?;
        let chi2 = random::gamma(shape, &nu.mul_scalar(0.5)?.detach(), s2)?.mul_scalar(2.0)?;
        let t = z.div(&chi2.div(&nu.detach())?.sqrt()?)?;
        let x = t.mul(&self.value("scale")?.detach())?.add(&self.value("loc")?.detach())?;
        implicit_reparameterize(&x, &self.cdf(&x)?, &self.log_prob(&x)?)
    }
    fn mean(&self) -> Result<Tensor> {
        let nu = self.value("df")?;
        let m = self.value("loc")?.add(&nu.zeros_like()?)?;
        self.batch(Tensor::where_(&nu.gt_scalar(1.0)?, &m, &m.full_like(f64::NAN)?)?)
    }
    fn mode(&self) -> Result<Tensor> {
        self.batch(self.value("loc")?.add(&self.value("df")?.zeros_like()?)?)
    }
    fn variance(&self) -> Result<Tensor> {
        let nu = self.value("df")?;
        let v = self.value("scale")?.square()?.mul(&nu.div(&nu.add_scalar(-2.0)?)?)?;
        let v = Tensor::where_(&nu.gt_scalar(2.0)?, &v, &v.full_like(f64::INFINITY)?)?;
        self.batch(Tensor::where_(&nu.gt_scalar(1.0)?, &v, &v.full_like(f64::NAN)?)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        let (nu, s) = (self.value("df")?, self.value("scale")?);
        let (h1, h) = (nu.add_scalar(1.0)?.mul_scalar(0.5)?, nu.mul_scalar(0.5)?);
        // log B(ν/2, ½) = lgamma(ν/2) + lgamma(½) − lgamma((ν+1)/2)
        let lbeta = h.lgamma()?.add_scalar(0.5 * PI.ln())?.sub(&h1.lgamma()?)?;
        let e = h1.mul(&h1.digamma()?.sub(&h.digamma()?)?)?.add(&nu.log()?.mul_scalar(0.5)?)?.add(&lbeta)?.add(&s.log()?)?;
        self.batch(e)
    }
}
