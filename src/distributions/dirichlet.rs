//! The Dirichlet distribution on the simplex (concentration α `[..., K]`).
//!
//! ```text
//! log p(x) = Σ (α_k − 1) log x_k − lbeta(α),   lbeta(α) = Σ lgamma(α_k) − lgamma(α₀)
//! mean = α/α₀   variance = α(α₀ − α) / (α₀² (α₀ + 1))
//! entropy = lbeta(α) + (α₀ − K) ψ(α₀) − Σ (α_k − 1) ψ(α_k)
//! ```
//! Samples normalize Gamma draws, each carrying implicit reparameterization gradients.

use crate::params::constraining;
use super::distribution::{check_dtype, impl_display};
use super::family::{implicit_reparameterize, outside_support};
use super::{Distribution, ReparameterizationType};
use crate::error::{Error, Result};
use crate::params::{resolve_dtype, Param, ParameterProperties, Parameters, Trainable};
use crate::random::{self, Seed};
use crate::tensor::{DType, Tensor};
use std::any::Any;

/// Dirichlet(concentration).
///
/// ```
/// use probrs::distributions::{Dirichlet, Distribution};
/// use probrs::tensor::{DType, Tensor};
/// // Dirichlet(1, 1, 1) is uniform on the 2-simplex, whose area (in these coordinates) is ½.
/// let d = Dirichlet::new(Tensor::vector(&[1.0, 1.0, 1.0], DType::F64)?)?;
/// let x = Tensor::vector(&[0.2, 0.3, 0.5], DType::F64)?;
/// assert!((d.log_prob(&x)?.to_scalar()? - 2f64.ln()).abs() < 1e-12);
/// assert_eq!(d.event_shape(), vec![3]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Dirichlet {
    concentration: Param,
    dtype: DType,
    batch_shape: Vec<usize>,
    k: usize,
    name: String,
    validate_args: bool,
}

impl Dirichlet {
    /// `concentration [..., K]`, positive.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Dirichlet, Distribution};
    /// let d = Dirichlet::new(Tensor::vector(&[2.0, 6.0], DType::F64)?)?;
    /// assert_eq!(d.mean()?.to_vec()?, vec![0.25, 0.75]);
    /// assert!(Dirichlet::new(Tensor::vector(&[1.0, 0.0], DType::F64)?).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(concentration: impl Into<Param>) -> Result<Self> {
        let concentration = concentration.into();
        let s = concentration.shape();
        let Some(&k) = s.last() else {
            return Err(Error::invalid_shape("concentration", &s, "needs a last dimension (the number of categories)"));
        };
        let dtype = resolve_dtype(&[("concentration", &concentration)])?;
        let d = Dirichlet { batch_shape: s[..s.len() - 1].to_vec(), k, concentration, dtype, name: "Dirichlet".into(), validate_args: false };
        if d.concentration.is_constant() {
            d.check()?;
        }
        Ok(d)
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Dirichlet, Distribution};
    /// let d = Dirichlet::new(Tensor::vector(&[1.0, 1.0], DType::F64)?)?.with_name("weights");
    /// assert_eq!(d.name(), "weights");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    /// Checks the parameters at every use too (they may be variables).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Dirichlet, Distribution};
    /// use probrs::params::Variable;
    /// let a = Variable::new(&Tensor::vector(&[1.0, 1.0], DType::F64)?, "a")?;
    /// let d = Dirichlet::new(&a)?.with_validate_args(true)?;
    /// a.assign(&Tensor::vector(&[1.0, -1.0], DType::F64)?)?;
    /// assert!(d.mean().is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_validate_args(mut self, v: bool) -> Result<Self> {
        self.validate_args = v;
        self.check()?;
        Ok(self)
    }
    fn check(&self) -> Result<()> {
        if let Some(bad) = self.concentration.values_f64(self.dtype)?.iter().find(|v| !(**v > 0.0)) {
            return Err(Error::invalid_parameter("concentration", format!("must be constraining::positive, got {bad}")));
        }
        Ok(())
    }
    fn alpha(&self) -> Result<Tensor> {
        if self.validate_args {
            self.check()?;
        }
        self.concentration.value(self.dtype)
    }
    fn lbeta(a: &Tensor) -> Result<Tensor> {
        a.lgamma()?.sum_last(1)?.sub(&a.sum_last(1)?.lgamma()?)
    }
}

impl Distribution for Dirichlet {
    fn class_name(&self) -> &'static str {
        "Dirichlet"
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
    fn event_shape(&self) -> Vec<usize> {
        vec![self.k]
    }
    fn reparameterization_type(&self) -> ReparameterizationType {
        ReparameterizationType::FullyReparameterized
    }
    fn validate_args(&self) -> bool {
        self.validate_args
    }
    fn parameters(&self) -> Vec<(&'static str, &Param)> {
        vec![("concentration", &self.concentration)]
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Ok(std::sync::Arc::new(crate::bijectors::SoftmaxCentered::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let a = self.alpha()?;
        let lp = a.add_scalar(-1.0)?.xlogy(x)?.sum_last(1)?.sub(&Self::lbeta(&a)?)?;
        let negative = x.lt_scalar(0.0)?;
        let any_negative = Tensor::where_(&negative, &x.ones_like()?, &x.zeros_like()?)?.sum_last(1)?.gt_scalar(0.0)?;
        outside_support(&any_negative, &lp)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let a = self.alpha()?;
        let mut full = self.batch_shape.clone();
        full.push(self.k);
        let ab = a.broadcast_to(&full)?.contiguous()?;
        let g = random::gamma(shape, &ab.detach(), seed)?;
        // Gamma(α, 1) draws with implicit gradients: dg/dα = −(∂P(α, g)/∂α) / p(g).
        let log_pdf = a.add_scalar(-1.0)?.xlogy(&g)?.sub(&g)?.sub(&a.lgamma()?)?;
        let g = implicit_reparameterize(&g, &Tensor::igamma(&a.add(&g.zeros_like()?)?, &g.detach())?, &log_pdf)?;
        g.div(&g.sum_axes(&[g.rank() - 1], true)?)
    }
    fn mean(&self) -> Result<Tensor> {
        let a = self.alpha()?;
        a.div(&a.sum_axes(&[a.rank() - 1], true)?)
    }
    fn variance(&self) -> Result<Tensor> {
        let a = self.alpha()?;
        let a0 = a.sum_axes(&[a.rank() - 1], true)?;
        a.mul(&a0.sub(&a)?)?.div(&a0.square()?.mul(&a0.add_scalar(1.0)?)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        let a = self.alpha()?;
        let a0 = a.sum_last(1)?;
        Self::lbeta(&a)?.add(&a0.add_scalar(-(self.k as f64))?.mul(&a0.digamma()?)?)?.sub(&a.add_scalar(-1.0)?.mul(&a.digamma()?)?.sum_last(1)?)
    }
}

impl_display!(Dirichlet);


impl Trainable for Dirichlet {
    const NAME: &'static str = "Dirichlet";
    /// `concentration` of shape `batch_and_event_shape` (its last dim is K).
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![("concentration", ParameterProperties { event_ndims: 1, default_constraining_bijector: constraining::positive, ..Default::default() })]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let mut d = Dirichlet::new(p.take_required("concentration", Self::NAME)?)?;
        if let Some(n) = p.name.take() {
            d = d.with_name(&n);
        }
        let v = p.validate_args;
        p.finish(Self::NAME)?;
        if v {
            d = d.with_validate_args(true)?;
        }
        Ok(d)
    }
}

/// KL(Dir(α) ‖ Dir(β)) = lgamma(α₀) − Σ lgamma(α) − lgamma(β₀) + Σ lgamma(β) + Σ (α − β)(ψ(α) − ψ(α₀)).
///
/// ```
/// use probrs::distributions::{kl_beta, kl_dirichlet, Beta, Dirichlet};
/// use probrs::tensor::{DType, Tensor};
/// // A two-category Dirichlet is a Beta.
/// let p = Dirichlet::new(Tensor::vector(&[2.0, 1.0], DType::F64)?)?;
/// let q = Dirichlet::new(Tensor::vector(&[1.0, 1.0], DType::F64)?)?;
/// let kl = kl_dirichlet(&p, &q)?.to_scalar()?;
/// assert!((kl - (2f64.ln() - 0.5)).abs() < 1e-12);
/// let b = kl_beta(&Beta::new(2.0, 1.0)?, &Beta::new(1.0, 1.0)?)?.to_scalar()?;
/// assert!((kl - b).abs() < 1e-5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_dirichlet(p: &Dirichlet, q: &Dirichlet) -> Result<Tensor> {
    let (a, b) = (p.alpha()?, q.alpha()?);
    let r = a.rank() - 1;
    let a0 = a.sum_axes(&[r], true)?;
    Dirichlet::lbeta(&b)?.sub(&Dirichlet::lbeta(&a)?)?.add(&a.sub(&b)?.mul(&a.digamma()?.sub(&a0.digamma()?)?)?.sum_last(1)?)
}
