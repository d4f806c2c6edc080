//! The Exponential distribution.
//!
//! ```text
//! pdf(x; λ) = λ e^{−λx} for x ≥ 0 (TFP: log_prob(0) = log λ), 0 for x < 0
//! cdf(x) = 1 − e^{−λx}     quantile(p) = −log1p(−p) / λ
//! mean = 1/λ   variance = 1/λ²   mode = 0   entropy = 1 − log λ
//! ```
//! Parameter `rate` λ > 0 (default constraining bijector Softplus(low = eps)). Samples are
//! reparameterized: `−log(U) / λ`.

use super::distribution::{check_dtype, impl_display};
use super::{Distribution, ReparameterizationType};
use crate::bijectors::{Bijector, Softplus};
use crate::error::{Error, Result};
use crate::params::{broadcast_batch_shape, resolve_dtype, Param, ParameterProperties, Parameters, Trainable};
use crate::random::{self, Seed};
use crate::tensor::{DType, Tensor};
use std::any::Any;
use std::sync::Arc;

/// Exponential(rate).
///
/// ```
/// use probrs::distributions::{Distribution, Exponential};
/// use probrs::tensor::{DType, Tensor};
/// let e = Exponential::new(Tensor::scalar(2.0, DType::F64)?)?;
/// assert_eq!(e.mean()?.to_scalar()?, 0.5);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Exponential {
    rate: Param,
    dtype: DType,
    batch_shape: Vec<usize>,
    name: String,
    validate_args: bool,
}

impl Exponential {
    /// A fixed `rate` must be positive.
    pub fn new(rate: impl Into<Param>) -> Result<Self> {
        let rate = rate.into();
        let dtype = resolve_dtype(&[("rate", &rate)])?;
        let batch_shape = broadcast_batch_shape(&[("rate", &rate, 0)])?;
        let e = Exponential { rate, dtype, batch_shape, name: "Exponential".into(), validate_args: false };
        if e.rate.is_constant() {
            e.check()?;
        }
        Ok(e)
    }
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    pub fn with_validate_args(mut self, v: bool) -> Result<Self> {
        self.validate_args = v;
        if v {
            self.check()?;
        }
        Ok(self)
    }
    fn check(&self) -> Result<()> {
        if let Some(bad) = self.rate.values_f64(self.dtype)?.iter().find(|v| !(**v > 0.0)) {
            return Err(Error::invalid_parameter("rate", format!("must be positive, got {bad}")));
        }
        Ok(())
    }
    fn rate(&self) -> Result<Tensor> {
        if self.validate_args {
            self.check()?;
        }
        self.rate.value(self.dtype)
    }
    fn batch(&self, t: Tensor) -> Result<Tensor> {
        t.broadcast_to(&self.batch_shape)?.contiguous()
    }
}

impl Distribution for Exponential {
    fn class_name(&self) -> &'static str {
        "Exponential"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn batch_shape(&self) -> Vec<usize> {
        self.batch_shape.clone()
    }
    fn reparameterization_type(&self) -> ReparameterizationType {
        ReparameterizationType::FullyReparameterized
    }
    fn validate_args(&self) -> bool {
        self.validate_args
    }
    fn parameters(&self) -> Vec<(&'static str, &Param)> {
        vec![("rate", &self.rate)]
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Softplus::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let r = self.rate()?;
        let lp = r.log()?.sub(&r.mul(x)?)?;
        Tensor::where_(&x.lt_scalar(0.0)?, &lp.full_like(f64::NEG_INFINITY)?, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let c = self.rate()?.mul(&x.maximum(&x.zeros_like()?)?)?.neg()?.expm1()?.neg()?;
        Ok(c)
    }
    fn survival_function(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "survival_function")?;
        self.rate()?.mul(&x.maximum(&x.zeros_like()?)?)?.neg()?.exp()
    }
    fn quantile(&self, p: &Tensor) -> Result<Tensor> {
        check_dtype(self, p, "quantile")?;
        p.neg()?.log1p()?.neg()?.div(&self.rate()?)
    }
    fn sample(&self, sample_shape: &[usize], seed: Seed) -> Result<Tensor> {
        let mut shape = sample_shape.to_vec();
        shape.extend(&self.batch_shape);
        // U in (0, 1]: 1 − uniform[0, 1).
        let u = random::uniform(&shape, self.dtype, seed)?.affine(-1.0, 1.0)?;
        u.log()?.neg()?.div(&self.rate()?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.rate()?.recip()?)
    }
    fn mode(&self) -> Result<Tensor> {
        self.batch(self.rate()?.zeros_like()?)
    }
    fn variance(&self) -> Result<Tensor> {
        self.batch(self.rate()?.square()?.recip()?)
    }
    fn stddev(&self) -> Result<Tensor> {
        self.mean()
    }
    fn entropy(&self) -> Result<Tensor> {
        self.batch(self.rate()?.log()?.affine(-1.0, 1.0)?)
    }
}

impl_display!(Exponential);

fn positive(dtype: DType) -> Arc<dyn Bijector> {
    Arc::new(Softplus::new().with_low(Tensor::scalar(dtype.eps(), dtype).expect("scalar")))
}

impl Trainable for Exponential {
    const NAME: &'static str = "Exponential";
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![("rate", ParameterProperties::constrained(positive))]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let mut e = Exponential::new(p.take_required("rate", Self::NAME)?)?;
        if let Some(n) = p.name.take() {
            e = e.with_name(&n);
        }
        let v = p.validate_args;
        p.finish(Self::NAME)?;
        e.with_validate_args(v)
    }
}

/// KL(Exp(a) ‖ Exp(b)) = log(a/b) + b/a − 1.
pub fn kl_exponential(p: &Exponential, q: &Exponential) -> Result<Tensor> {
    let (a, b) = (p.rate()?, q.rate()?);
    let ratio = b.div(&a)?;
    ratio.sub(&ratio.log()?)?.add_scalar(-1.0)
}
