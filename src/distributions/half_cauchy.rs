//! The HalfCauchy distribution on `[loc, ∞)`.
//!
//! ```text
//! log p(x) = log(2/π) − log s − log1p(z²) (x ≥ loc)      cdf = (2/π) atan(z)
//! mean, variance: undefined (NaN)   mode = loc   entropy = log(2π s)
//! ```

use super::family::{family, family_accessors, outside_support, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;
use std::f64::consts::PI;

family! {
    /// HalfCauchy(loc, scale).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, HalfCauchy};
    /// use probrs::tensor::Tensor;
    /// let d = HalfCauchy::new(0.0, 1.0)?;
    /// assert!((d.prob(&Tensor::scalar(0.0, d.dtype())?)?.to_scalar()? - 2.0 / std::f64::consts::PI).abs() < 1e-6);
    /// assert_eq!(d.prob(&Tensor::scalar(-1.0, d.dtype())?)?.to_scalar()?, 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    HalfCauchy, "HalfCauchy", FullyReparameterized, { loc: Real, scale: Positive }, (0.0, 1.0)  // the example arguments of `new`
}

impl HalfCauchy {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
    fn z(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "input")?;
        x.sub(&self.value("loc")?)?.div(&self.value("scale")?)
    }
}

impl Distribution for HalfCauchy {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        use crate::bijectors::{Chain, IntoArcBijector, Shift, Softplus};
        Ok(Chain::new(vec![Shift::new(self.loc.clone()).into_arc(), Softplus::new().into_arc()]).into_arc())
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        let z = self.z(x)?;
        let lp = z.square()?.log1p()?.neg()?.sub(&self.value("scale")?.log()?)?.add_scalar((2.0 / PI).ln())?;
        outside_support(&z.lt_scalar(0.0)?, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        let z = self.z(x)?;
        let c = z.atan()?.mul_scalar(2.0 / PI)?;
        Tensor::where_(&z.lt_scalar(0.0)?, &c.zeros_like()?, &c)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let u = random::uniform(&sample_shape(shape, &self.batch_shape), self.dtype, seed)?;
        let a = u.mul_scalar(PI / 2.0)?;
        a.sin()?.div(&a.cos()?)?.mul(&self.value("scale")?)?.add(&self.value("loc")?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.value("loc")?.full_like(f64::NAN)?)
    }
    fn variance(&self) -> Result<Tensor> {
        self.mean()
    }
    fn mode(&self) -> Result<Tensor> {
        self.batch(self.value("loc")?.add(&self.value("scale")?.zeros_like()?)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        self.batch(self.value("scale")?.mul_scalar(2.0 * PI)?.log()?)
    }
}
