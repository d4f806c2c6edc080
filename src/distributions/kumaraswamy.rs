//! The Kumaraswamy distribution on `(0, 1)` (concentration1 a, concentration0 b).
//!
//! ```text
//! log p(x) = log a + log b + (a − 1) log x + (b − 1) log(1 − x^a)      cdf = 1 − (1 − x^a)^b
//! mean = b B(1 + 1/a, b)   variance = b B(1 + 2/a, b) − mean²
//! entropy = (1 − 1/b) + (1 − 1/a)(γ + ψ(b + 1)) − log(ab)
//! ```
//! Samples are reparameterized by the inverse CDF: `(1 − (1 − u)^{1/b})^{1/a}`.

use super::family::{family, family_accessors, outside_support, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

family! {
    /// Kumaraswamy(concentration1, concentration0).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Kumaraswamy};
    /// use probrs::tensor::Tensor;
    /// // density a b x^(a−1) (1 − x^a)^(b−1); with a = 2, b = 1 it is 2x.
    /// let d = Kumaraswamy::new(2.0, 1.0)?;
    /// assert!((d.prob(&Tensor::scalar(0.25, d.dtype())?)?.to_scalar()? - 0.5).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Kumaraswamy, "Kumaraswamy", FullyReparameterized, { concentration1: Positive, concentration0: Positive }, (2.0, 1.0)  // the example arguments of `new`
}

impl Kumaraswamy {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
    fn ab(&self) -> Result<(Tensor, Tensor)> {
        Ok((self.value("concentration1")?, self.value("concentration0")?))
    }
    /// b · B(1 + k/a, b)
    fn moment(&self, k: f64) -> Result<Tensor> {
        let (a, b) = self.ab()?;
        let p = a.recip()?.mul_scalar(k)?.add_scalar(1.0)?;
        b.log()?.add(&p.lgamma()?)?.add(&b.lgamma()?)?.sub(&p.add(&b)?.lgamma()?)?.exp()
    }
}

impl Distribution for Kumaraswamy {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Sigmoid::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let (a, b) = self.ab()?;
        // log(1 − x^a) = log(−expm1(a log x)): accurate as x → 1.
        let log1m_xa = x.log()?.mul(&a)?.expm1()?.neg()?.log()?;
        let lp = a.log()?.add(&b.log()?)?.add(&a.add_scalar(-1.0)?.xlogy(x)?)?.add(&b.add_scalar(-1.0)?.mul(&log1m_xa)?)?;
        outside_support(&x.lt_scalar(0.0)?.not()?.and(&x.gt_scalar(1.0)?.not()?)?.not()?, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let (a, b) = self.ab()?;
        let xc = x.maximum(&x.zeros_like()?)?.minimum(&x.ones_like()?)?;
        // 1 − (1 − x^a)^b = −expm1(b log(−expm1(a log x)))
        xc.log()?.mul(&a)?.expm1()?.neg()?.log()?.mul(&b)?.expm1()?.neg()
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let (a, b) = self.ab()?;
        let u = random::uniform(&sample_shape(shape, &self.batch_shape), self.dtype, seed)?;
        // (1 − (1 − u)^{1/b})^{1/a}, kept inside the open interval: in floating point the
        // transform can round to exactly 0 or 1, where the density is infinite or zero.
        let x = u.neg()?.log1p()?.div(&b)?.exp()?.affine(-1.0, 1.0)?.log()?.div(&a)?.exp()?;
        let (tiny, top) = (f64::from(f32::MIN_POSITIVE), 1.0 - self.dtype.eps());
        x.maximum(&x.full_like(tiny)?)?.minimum(&x.full_like(top)?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.moment(1.0)?)
    }
    fn variance(&self) -> Result<Tensor> {
        self.batch(self.moment(2.0)?.sub(&self.moment(1.0)?.square()?)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        let (a, b) = self.ab()?;
        let harmonic_b = b.add_scalar(1.0)?.digamma()?.add_scalar(0.577_215_664_901_532_9)?;
        let h = b.recip()?.affine(-1.0, 1.0)?.add(&a.recip()?.affine(-1.0, 1.0)?.mul(&harmonic_b)?)?.sub(&a.mul(&b)?.log()?)?;
        self.batch(h)
    }
}
