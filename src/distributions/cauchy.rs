//! The Cauchy distribution.
//!
//! ```text
//! log p(x) = −log(π s) − log1p(z²)      cdf = ½ + atan(z)/π
//! mean, variance, stddev: undefined (NaN, as TFP)   mode = μ   entropy = log(4π s)
//! ```
//! Samples are reparameterized: `μ + s tan(π(u − ½))`.

use super::family::{family, family_accessors, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;
use std::f64::consts::PI;

family! {
    /// Cauchy(loc, scale).
    ///
    /// ```
    /// use probrs::distributions::{Cauchy, Distribution};
    /// use probrs::tensor::Tensor;
    /// let d = Cauchy::new(0.0, 1.0)?;
    /// let x = Tensor::scalar(0.0, d.dtype())?;
    /// assert!((d.prob(&x)?.to_scalar()? - 1.0 / std::f64::consts::PI).abs() < 1e-6);
    /// assert!((d.cdf(&Tensor::scalar(1.0, d.dtype())?)?.to_scalar()? - 0.75).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Cauchy, "Cauchy", FullyReparameterized, { loc: Real, scale: Positive }, (0.0, 1.0)  // the example arguments of `new`
}

impl Cauchy {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
    fn z(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "input")?;
        x.sub(&self.value("loc")?)?.div(&self.value("scale")?)
    }
    fn nan(&self) -> Result<Tensor> {
        self.batch(self.value("loc")?.full_like(f64::NAN)?)
    }
}

impl Distribution for Cauchy {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Identity::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        let z = self.z(x)?;
        z.square()?.log1p()?.neg()?.sub(&self.value("scale")?.mul_scalar(PI)?.log()?)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        self.z(x)?.atan()?.affine(1.0 / PI, 0.5)
    }
    fn quantile(&self, p: &Tensor) -> Result<Tensor> {
        check_dtype(self, p, "quantile")?;
        let a = p.affine(PI, -PI / 2.0)?;
        a.sin()?.div(&a.cos()?)?.mul(&self.value("scale")?)?.add(&self.value("loc")?)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let u = random::uniform(&sample_shape(shape, &self.batch_shape), self.dtype, seed)?;
        let a = u.affine(PI, -PI / 2.0)?;
        a.sin()?.div(&a.cos()?)?.mul(&self.value("scale")?)?.add(&self.value("loc")?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.nan()
    }
    fn variance(&self) -> Result<Tensor> {
        self.nan()
    }
    fn stddev(&self) -> Result<Tensor> {
        self.nan()
    }
    fn mode(&self) -> Result<Tensor> {
        self.batch(self.value("loc")?.add(&self.value("scale")?.zeros_like()?)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.mul_scalar(4.0 * PI)?.log()?)
    }
}
