//! The Geometric distribution: failures before the first success, with success probability p.
//!
//! ```text
//! log P(k) = k log(1 − p) + log p (integer k ≥ 0)      cdf = 1 − (1 − p)^{⌊x⌋ + 1}
//! mean = (1 − p)/p   variance = (1 − p)/p²   mode = 0   entropy = −((1 − p) log(1 − p) + p log p)/p
//! ```

use super::family::{family, family_accessors, outside_support, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

family! {
    /// Geometric(probs).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Geometric};
    /// use probrs::tensor::Tensor;
    /// // Failures before the first success: P(k) = (1 − p)^k p.
    /// let d = Geometric::new(0.25)?;
    /// let k = Tensor::scalar(2.0, d.dtype())?;
    /// assert!((d.prob(&k)?.to_scalar()? - 0.75 * 0.75 * 0.25).abs() < 1e-6);
    /// assert!((d.mean()?.to_scalar()? - 3.0).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Geometric, "Geometric", NotReparameterized, { probs: UnitInterval }, (0.25)  // the example arguments of `new`
}

impl Geometric {
    fn check_extra(&self) -> Result<()> {
        if self.probs.is_constant() && self.probs.values_f64(self.dtype)?.iter().any(|p| *p == 0.0) {
            return Err(crate::Error::invalid_parameter("probs", "must be positive (p = 0 never succeeds)"));
        }
        Ok(())
    }
}

impl Distribution for Geometric {
    family_accessors!();
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let p = self.value("probs")?;
        let lp = x.mul(&p.neg()?.log1p()?)?.add(&p.log()?)?;
        let bad = x.lt_scalar(0.0)?.not()?.and(&x.eq(&x.floor()?)?)?.not()?;
        outside_support(&bad, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let p = self.value("probs")?;
        let k = x.floor()?.add_scalar(1.0)?;
        let c = k.mul(&p.neg()?.log1p()?)?.exp()?.affine(-1.0, 1.0)?;
        Tensor::where_(&x.lt_scalar(0.0)?, &c.zeros_like()?, &c)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let p = self.value("probs")?.detach();
        let u = random::uniform(&sample_shape(shape, &self.batch_shape), self.dtype, seed)?.affine(-1.0, 1.0)?;
        u.log()?.div(&p.neg()?.log1p()?)?.floor()
    }
    fn mean(&self) -> Result<Tensor> {
        let p = self.value("probs")?;
        self.batch(p.affine(-1.0, 1.0)?.div(&p)?)
    }
    fn variance(&self) -> Result<Tensor> {
        let p = self.value("probs")?;
        self.batch(p.affine(-1.0, 1.0)?.div(&p.square()?)?)
    }
    fn mode(&self) -> Result<Tensor> {
        self.batch(self.value("probs")?.zeros_like()?)
    }
    fn entropy(&self) -> Result<Tensor> {
        let p = self.value("probs")?;
        let q = p.affine(-1.0, 1.0)?;
        self.batch(q.xlogy(&q)?.add(&p.xlogy(&p)?)?.neg()?.div(&p)?)
    }
}
