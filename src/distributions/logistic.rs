//! The Logistic distribution.
//!
//! ```text
//! log p(x) = −z − 2 softplus(−z) − log s,  z = (x − μ)/s      cdf = sigmoid(z)
//! mean = mode = μ   variance = π² s² / 3   entropy = log s + 2
//! ```
//! Samples are reparameterized: `μ + s (log u − log(1 − u))`.

use super::family::{family, family_accessors, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

family! {
    /// Logistic(loc, scale).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Logistic};
    /// use probrs::tensor::Tensor;
    /// let d = Logistic::new(0.0, 1.0)?;
    /// let x = Tensor::scalar(0.0, d.dtype())?;
    /// assert!((d.prob(&x)?.to_scalar()? - 0.25).abs() < 1e-6);
    /// assert!((d.cdf(&x)?.to_scalar()? - 0.5).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Logistic, "Logistic", FullyReparameterized, { loc: Real, scale: Positive }, (0.0, 1.0)  // the example arguments of `new`
}

impl Logistic {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
    fn z(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "input")?;
        x.sub(&self.value("loc")?)?.div(&self.value("scale")?)
    }
}

impl Distribution for Logistic {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Identity::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        let z = self.z(x)?;
        z.neg()?.sub(&z.neg()?.softplus()?.mul_scalar(2.0)?)?.sub(&self.value("scale")?.log()?)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        self.z(x)?.sigmoid()
    }
    fn log_cdf(&self, x: &Tensor) -> Result<Tensor> {
        self.z(x)?.log_sigmoid()
    }
    fn quantile(&self, p: &Tensor) -> Result<Tensor> {
        check_dtype(self, p, "quantile")?;
        p.log()?.sub(&p.neg()?.log1p()?)?.mul(&self.value("scale")?)?.add(&self.value("loc")?)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let u = random::uniform(&sample_shape(shape, &self.batch_shape), self.dtype, seed)?;
        // u in [0, 1): logit(u) with u = 0 mapped to the smallest positive float.
        let u = u.maximum(&u.full_like(f64::MIN_POSITIVE)?)?;
        u.log()?.sub(&u.neg()?.log1p()?)?.mul(&self.value("scale")?)?.add(&self.value("loc")?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.value("loc")?)
    }
    fn mode(&self) -> Result<Tensor> {
        self.mean()
    }
    fn variance(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.square()?.mul_scalar(std::f64::consts::PI.powi(2) / 3.0)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.log()?.add_scalar(2.0)?)
    }
}
