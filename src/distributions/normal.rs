//! The Normal (Gaussian) distribution.
//!
//! ```text
//! pdf(x; μ, σ) = exp(−½ ((x − μ)/σ)²) / (σ √(2π))
//! cdf(x) = Φ((x − μ)/σ)        quantile(p) = μ + σ Φ⁻¹(p)
//! mean = mode = μ              variance = σ²
//! entropy = ½ log(2π e) + log σ
//! ```
//! Parameters: `loc` μ (any real), `scale` σ > 0. The default constraining bijector of
//! `scale` is `Softplus(low = eps(dtype))`, as in TFP, so `make_trainable::<Normal>` with
//! scale 1 stores 0.5413246 in float32. Samples are reparameterized: `μ + σ ε`.

use crate::params::constraining;
use super::distribution::{check_dtype, impl_display};
use super::{Distribution, ReparameterizationType};
use crate::error::{Error, Result};
use crate::params::{broadcast_batch_shape, resolve_dtype, Param, ParameterProperties, Parameters, Trainable};
use crate::random::{self, Seed};
use crate::tensor::{fused::TernaryKernel, DType, Tensor};
use std::any::Any;

const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// log N(x; μ, σ) fused with its partials: ∂x = −z/σ, ∂μ = z/σ, ∂σ = (z² − 1)/σ.
static LOG_PROB: TernaryKernel = TernaryKernel {
    name: "normal_log_prob",
    value: |x, m, s| {
        let z = (x - m) / s;
        -0.5 * z * z - s.ln() - HALF_LN_2PI
    },
    partials: |x, m, s| {
        let z = (x - m) / s;
        [-z / s, z / s, (z * z - 1.0) / s]
    },
};

/// `loc + scale · ε` as one autodiff node (a reparameterized draw from its standard draw ε).
static LOC_SCALE: TernaryKernel = TernaryKernel { name: "normal_loc_scale", value: |m, s, e| m + s * e, partials: |_, s, e| [1.0, e, s] };

/// `log N(loc + scale ε; loc, scale) = −½ε² − log scale − ½ log 2π` from the standard draw ε
/// (arguments `(scale, ε, ε)`), as one node; its gradient w.r.t. scale is the total derivative
/// through the draw.
static LOG_PROB_FROM_STANDARD: TernaryKernel = TernaryKernel {
    name: "normal_log_prob_from_standard",
    value: |s, e, _| -0.5 * e * e - s.ln() - HALF_LN_2PI,
    partials: |s, _, _| [-1.0 / s, 0.0, 0.0],
};

/// Normal(loc, scale).
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::tensor::{DType, Tensor};
/// let n = Normal::new(0.0, 1.0)?;
/// assert_eq!(n.to_string(), "Normal(\"Normal\", batch_shape=[], event_shape=[], dtype=float32)");
/// let lp = n.log_prob(&Tensor::scalar(0.0, DType::F32)?)?;
/// assert!((lp.to_scalar()? + 0.9189385).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Normal {
    loc: Param,
    scale: Param,
    dtype: DType,
    batch_shape: Vec<usize>,
    name: String,
    validate_args: bool,
}

impl Normal {
    /// Fails if the shapes do not broadcast, the dtypes differ, or a fixed `scale` is not
    /// positive.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Normal};
    /// let d = Normal::new(Tensor::vector(&[0.0, 10.0], DType::F64)?, 2.0)?; // a batch of two
    /// assert_eq!(d.batch_shape(), vec![2]);
    /// assert_eq!(d.stddev()?.to_vec()?, vec![2.0, 2.0]);
    /// assert!(Normal::new(0.0, -1.0).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(loc: impl Into<Param>, scale: impl Into<Param>) -> Result<Self> {
        let (loc, scale) = (loc.into(), scale.into());
        let dtype = resolve_dtype(&[("loc", &loc), ("scale", &scale)])?;
        let batch_shape = broadcast_batch_shape(&[("loc", &loc, 0), ("scale", &scale, 0)])?;
        let n = Normal { loc, scale, dtype, batch_shape, name: "Normal".into(), validate_args: false };
        if n.scale.is_constant() {
            n.check_scale()?;
        }
        Ok(n)
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Normal};
    /// assert_eq!(Normal::new(0.0, 1.0)?.with_name("prior").name(), "prior");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    /// Check `scale > 0` at every use (it may be a variable).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Normal};
    /// use probrs::params::Variable;
    /// let scale = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "scale")?;
    /// let d = Normal::new(0.0, &scale)?.with_validate_args(true)?;
    /// scale.assign(&Tensor::scalar(-1.0, DType::F64)?)?;
    /// let err = d.log_prob(&Tensor::scalar(0.0, DType::F64)?).unwrap_err();
    /// assert!(err.to_string().contains("scale"));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_validate_args(mut self, validate: bool) -> Result<Self> {
        self.validate_args = validate;
        if validate {
            self.check_scale()?;
        }
        Ok(self)
    }
    /// The location parameter as given.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::Normal;
    /// let d = Normal::new(1.5, 2.0)?;
    /// assert_eq!(d.loc().values_f64(DType::F64)?, vec![1.5]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn loc(&self) -> &Param {
        &self.loc
    }
    /// The scale parameter as given.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// let d = Normal::new(1.5, 2.0)?;
    /// assert!(d.scale().is_constant());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn scale(&self) -> &Param {
        &self.scale
    }
    fn check_scale(&self) -> Result<()> {
        let s = self.scale.values_f64(self.dtype)?;
        if let Some(bad) = s.iter().find(|v| !(**v > 0.0)) {
            return Err(Error::invalid_parameter("scale", format!("must be positive, got {bad}")));
        }
        Ok(())
    }
    fn params(&self) -> Result<(Tensor, Tensor)> {
        if self.validate_args {
            self.check_scale()?;
        }
        Ok((self.loc.value(self.dtype)?, self.scale.value(self.dtype)?))
    }
    fn z(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        check_dtype(self, x, "log_prob")?;
        let (loc, scale) = self.params()?;
        Ok((x.sub(&loc)?.div(&scale)?, scale))
    }
    fn broadcast(&self, t: Tensor) -> Result<Tensor> {
        t.broadcast_to(&self.batch_shape)
    }
}

impl Distribution for Normal {
    fn class_name(&self) -> &'static str {
        "Normal"
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
        vec![("loc", &self.loc), ("scale", &self.scale)]
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::Identity::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let (loc, scale) = self.params()?;
        Tensor::ternary(x, &loc, &scale, &LOG_PROB)
    }
    fn sample(&self, sample_shape: &[usize], seed: Seed) -> Result<Tensor> {
        let (loc, scale) = self.params()?;
        let mut shape = sample_shape.to_vec();
        shape.extend(&self.batch_shape);
        Tensor::ternary(&loc, &scale, &random::normal(&shape, self.dtype, seed)?, &LOC_SCALE)
    }
    /// From the standard draws ε (as TFP): `x = μ + σε`, `log p = −½ε² − log σ − ½ log 2π`,
    /// which equals `log_prob(x)` as a function of (μ, σ) through `x`, gradients included.
    fn sample_and_log_prob(&self, sample_shape: &[usize], seed: Seed) -> Result<(Tensor, Tensor)> {
        let (loc, scale) = self.params()?;
        let mut shape = sample_shape.to_vec();
        shape.extend(&self.batch_shape);
        let eps = random::normal(&shape, self.dtype, seed)?;
        let lp = Tensor::ternary(&scale, &eps, &eps, &LOG_PROB_FROM_STANDARD)?;
        Ok((Tensor::ternary(&loc, &scale, &eps, &LOC_SCALE)?, lp))
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        self.z(x)?.0.ndtr()
    }
    fn log_cdf(&self, x: &Tensor) -> Result<Tensor> {
        self.z(x)?.0.log_ndtr()
    }
    fn survival_function(&self, x: &Tensor) -> Result<Tensor> {
        self.z(x)?.0.neg()?.ndtr()
    }
    fn log_survival_function(&self, x: &Tensor) -> Result<Tensor> {
        self.z(x)?.0.neg()?.log_ndtr()
    }
    fn quantile(&self, p: &Tensor) -> Result<Tensor> {
        check_dtype(self, p, "quantile")?;
        let (loc, scale) = self.params()?;
        p.ndtri()?.mul(&scale)?.add(&loc)
    }
    fn mean(&self) -> Result<Tensor> {
        let (loc, scale) = self.params()?;
        self.broadcast(loc.add(&scale.zeros_like()?)?)
    }
    fn mode(&self) -> Result<Tensor> {
        self.mean()
    }
    fn stddev(&self) -> Result<Tensor> {
        let (loc, scale) = self.params()?;
        self.broadcast(scale.add(&loc.zeros_like()?)?)
    }
    fn variance(&self) -> Result<Tensor> {
        self.stddev()?.square()
    }
    fn entropy(&self) -> Result<Tensor> {
        let (loc, scale) = self.params()?;
        self.broadcast(scale.log()?.add_scalar(0.5 + HALF_LN_2PI)?.add(&loc.zeros_like()?)?)
    }
}

impl_display!(Normal);


impl Trainable for Normal {
    const NAME: &'static str = "Normal";
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![("loc", ParameterProperties::default()), ("scale", ParameterProperties::constrained(constraining::positive))]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let mut n = Normal::new(p.take_required("loc", Self::NAME)?, p.take_required("scale", Self::NAME)?)?;
        if let Some(name) = p.name.take() {
            n = n.with_name(&name);
        }
        let v = p.validate_args;
        p.finish(Self::NAME)?;
        n.with_validate_args(v)
    }
}

/// KL(N(μ₁, σ₁) ‖ N(μ₂, σ₂)) = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²) / (2σ₂²) − ½.
///
/// ```
/// use probrs::distributions::{kl_normal_normal, Normal};
/// // log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½
/// let kl = kl_normal_normal(&Normal::new(0.0, 1.0)?, &Normal::new(1.0, 2.0)?)?.to_scalar()?;
/// assert!((kl - (2f64.ln() + 2.0 / 8.0 - 0.5)).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_normal_normal(p: &Normal, q: &Normal) -> Result<Tensor> {
    if p.dtype != q.dtype {
        return Err(Error::DTypeMismatch { context: "kl_divergence(Normal, Normal)".into(), lhs: p.dtype.name().into(), rhs: q.dtype.name().into() });
    }
    let (m1, s1) = p.params()?;
    let (m2, s2) = q.params()?;
    let ratio = s1.div(&s2)?;
    let diff = m1.sub(&m2)?.div(&s2)?;
    ratio.square()?.add(&diff.square()?)?.affine(0.5, -0.5)?.sub(&ratio.log()?)
}
