//! `Deterministic`: a point mass at `loc` (exact equality, as TFP with `atol = rtol = 0`).
//!
//! ```text
//! log p(x) = 0 if x = loc, −∞ otherwise      cdf = [x ≥ loc]
//! mean = mode = loc   variance = 0   entropy = 0
//! ```

use super::family::{family, family_accessors, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::Seed;
use crate::tensor::Tensor;

family! {
    /// Deterministic(loc).
    ///
    /// ```
    /// use probrs::distributions::{Deterministic, Distribution};
    /// use probrs::random::Seed;
    /// use probrs::tensor::Tensor;
    /// let d = Deterministic::new(3.0)?;
    /// assert_eq!(d.log_prob(&Tensor::scalar(3.0, d.dtype())?)?.to_scalar()?, 0.0);
    /// assert_eq!(d.log_prob(&Tensor::scalar(2.0, d.dtype())?)?.to_scalar()?, f64::NEG_INFINITY);
    /// assert_eq!(d.sample(&[2], Seed::new(0))?.to_vec()?, vec![3.0, 3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Deterministic, "Deterministic", FullyReparameterized, { loc: Real }, (3.0)  // the example arguments of `new`
}

impl Deterministic {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
}

impl Distribution for Deterministic {
    family_accessors!();
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let loc = self.value("loc")?;
        let z = x.zeros_like()?.add(&loc.zeros_like()?)?;
        Tensor::where_(&x.eq(&loc)?, &z, &z.full_like(f64::NEG_INFINITY)?)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let loc = self.value("loc")?;
        let z = x.zeros_like()?.add(&loc.zeros_like()?)?;
        Tensor::where_(&x.ge(&loc)?, &z.ones_like()?, &z)
    }
    fn sample(&self, shape: &[usize], _seed: Seed) -> Result<Tensor> {
        self.value("loc")?.broadcast_to(&sample_shape(shape, &self.batch_shape))?.contiguous()
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.value("loc")?)
    }
    fn mode(&self) -> Result<Tensor> {
        self.mean()
    }
    fn variance(&self) -> Result<Tensor> {
        self.batch(self.value("loc")?.zeros_like()?)
    }
    fn entropy(&self) -> Result<Tensor> {
        self.variance()
    }
}
