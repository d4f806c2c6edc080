//! The Exponential distribution.
//!
//! ```text
//! pdf(x; λ) = λ e^{−λx} for x ≥ 0 (TFP: log_prob(0) = log λ), 0 for x < 0
//! cdf(x) = 1 − e^{−λx}     quantile(p) = −log1p(−p) / λ
//! mean = 1/λ   variance = 1/λ²   mode = 0   entropy = 1 − log λ
//! ```
//! Parameter `rate` λ > 0 (default constraining bijector Softplus(low = eps)). Samples are
//! reparameterized: `−log(U) / λ`.

use super::family::{family, family_accessors, outside_support, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

family! {
    /// Exponential(rate).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Exponential};
    /// use probrs::tensor::{DType, Tensor};
    /// let e = Exponential::new(Tensor::scalar(2.0, DType::F64)?)?;
    /// assert_eq!(e.mean()?.to_scalar()?, 0.5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Exponential, "Exponential", FullyReparameterized, { rate: Positive }, (2.0)  // the example arguments of `new`
}

impl Exponential {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
}

impl Distribution for Exponential {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Softplus::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let r = self.value("rate")?;
        outside_support(&x.lt_scalar(0.0)?, &r.log()?.sub(&r.mul(x)?)?)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        self.value("rate")?.mul(&x.maximum(&x.zeros_like()?)?)?.neg()?.expm1()?.neg()
    }
    fn survival_function(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "survival_function")?;
        self.value("rate")?.mul(&x.maximum(&x.zeros_like()?)?)?.neg()?.exp()
    }
    fn quantile(&self, p: &Tensor) -> Result<Tensor> {
        check_dtype(self, p, "quantile")?;
        p.neg()?.log1p()?.neg()?.div(&self.value("rate")?)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        // U in (0, 1]: 1 − uniform[0, 1).
        let u = random::uniform(&sample_shape(shape, &self.batch_shape), self.dtype, seed)?.affine(-1.0, 1.0)?;
        u.log()?.neg()?.div(&self.value("rate")?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.value("rate")?.recip()?)
    }
    fn mode(&self) -> Result<Tensor> {
        self.batch(self.value("rate")?.zeros_like()?)
    }
    fn variance(&self) -> Result<Tensor> {
        self.batch(self.value("rate")?.square()?.recip()?)
    }
    fn stddev(&self) -> Result<Tensor> {
        self.mean()
    }
    fn entropy(&self) -> Result<Tensor> {
        self.batch(self.value("rate")?.log()?.affine(-1.0, 1.0)?)
    }
}

/// KL(Exp(a) ‖ Exp(b)) = log(a/b) + b/a − 1.
///
/// ```
/// use probrs::distributions::{kl_exponential, Exponential};
/// // log(a/b) + b/a − 1 with a = 2, b = 1
/// let kl = kl_exponential(&Exponential::new(2.0)?, &Exponential::new(1.0)?)?.to_scalar()?;
/// assert!((kl - (2f64.ln() - 0.5)).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_exponential(p: &Exponential, q: &Exponential) -> Result<Tensor> {
    let (a, b) = (p.value("rate")?, q.value("rate")?);
    let ratio = b.div(&a)?;
    ratio.sub(&ratio.log()?)?.add_scalar(-1.0)
}
