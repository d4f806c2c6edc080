//! The `Distribution` trait (TFP's `tfd.Distribution`).
//!
//! A family implements `log_prob`, `sample` and whichever statistics it defines; the others
//! return [`Error::NotDefined`] naming the family and the method. Shapes follow TFP:
//! `sample(sample_shape)` has shape `sample_shape + batch_shape + event_shape`, and
//! `log_prob(x)` broadcasts `x` against the batch shape.

use crate::error::{Error, Result};
use crate::params::{Param, Variable};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};
use std::any::Any;
use std::fmt;

/// Whether samples are differentiable functions of the parameters.
///
/// ```
/// use probrs::distributions::{Distribution, Normal, Poisson, ReparameterizationType};
/// assert_eq!(Normal::new(0.0, 1.0)?.reparameterization_type(), ReparameterizationType::FullyReparameterized);
/// assert_eq!(Poisson::from_rate(3.0)?.reparameterization_type(), ReparameterizationType::NotReparameterized);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReparameterizationType {
    /// Samples are differentiable functions of the parameters (pathwise gradients).
    FullyReparameterized,
    /// Samples carry no gradient (score-function gradients are needed).
    NotReparameterized,
}

/// A probability distribution with (possibly trainable) parameters.
///
/// ```
/// use probrs::distributions::{Distribution, Gamma, Normal};
/// use probrs::random::Seed;
/// use probrs::tensor::Tensor;
/// // Code written against the trait works for every family.
/// fn average_log_prob(d: &dyn Distribution, n: usize) -> probrs::Result<f64> {
///     let x = d.sample(&[n], Seed::new(42))?;
///     d.log_prob(&x)?.mean_all()?.to_scalar()
/// }
/// let normal = Normal::new(0.0, 1.0)?;
/// // E[log p(X)] = −entropy; 4000 draws land within 0.1 of it.
/// let h = normal.entropy()?.to_scalar()?;
/// assert!((average_log_prob(&normal, 4000)? + h).abs() < 0.1);
/// assert!(average_log_prob(&Gamma::new(2.0, 1.0)?, 100)?.is_finite());
/// let x = Tensor::scalar(0.0, normal.dtype())?;
/// assert!((normal.cdf(&x)?.to_scalar()? - 0.5).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait Distribution: Send + Sync {
    /// The family (`"Normal"`).
    fn class_name(&self) -> &'static str;
    /// The instance name (defaults to the family).
    fn name(&self) -> &str;
    /// The dtype of samples and parameters.
    fn dtype(&self) -> DType;
    /// Shape of the independent, non-identical batch of distributions.
    fn batch_shape(&self) -> Vec<usize>;
    /// Shape of one draw.
    fn event_shape(&self) -> Vec<usize> {
        vec![]
    }
    /// Whether samples are differentiable in the parameters.
    fn reparameterization_type(&self) -> ReparameterizationType;
    /// Whether parameter values are checked at use (TFP's `validate_args`).
    fn validate_args(&self) -> bool {
        false
    }
    /// The tensor parameters, by name, in TFP's order.
    fn parameters(&self) -> Vec<(&'static str, &Param)> {
        vec![]
    }
    /// Calls `f` on every variable behind the parameters (and sub-distributions).
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        for (_, p) in self.parameters() {
            p.visit_variables(f);
        }
    }
    /// Every variable the distribution holds, each once, in parameter order.
    fn trainable_variables(&self) -> Vec<Variable> {
        crate::params::collect_variables(|f| self.visit_variables(f))
    }
    /// For downcasting (KL registry).
    fn as_any(&self) -> &dyn Any;

    /// Log density (or mass) at `x`.
    fn log_prob(&self, x: &Tensor) -> Result<Tensor>;
    /// Density (or mass) at `x`.
    fn prob(&self, x: &Tensor) -> Result<Tensor> {
        self.log_prob(x)?.exp()
    }
    /// Draws of shape `sample_shape + batch_shape + event_shape`.
    fn sample(&self, sample_shape: &[usize], seed: Seed) -> Result<Tensor>;
    /// A draw and its log-probability.
    fn sample_and_log_prob(&self, sample_shape: &[usize], seed: Seed) -> Result<(Tensor, Tensor)> {
        let x = self.sample(sample_shape, seed)?;
        let lp = self.log_prob(&x)?;
        Ok((x, lp))
    }
    /// `P(X ≤ x)`.
    fn cdf(&self, _x: &Tensor) -> Result<Tensor> {
        Err(Error::not_defined(self.class_name(), "cdf"))
    }
    /// `log P(X ≤ x)`.
    fn log_cdf(&self, x: &Tensor) -> Result<Tensor> {
        self.cdf(x)?.log()
    }
    /// `P(X > x)`.
    fn survival_function(&self, x: &Tensor) -> Result<Tensor> {
        self.cdf(x)?.affine(-1.0, 1.0)
    }
    /// `log P(X > x)`.
    fn log_survival_function(&self, x: &Tensor) -> Result<Tensor> {
        self.survival_function(x)?.log()
    }
    /// The inverse of the cdf.
    fn quantile(&self, _p: &Tensor) -> Result<Tensor> {
        Err(Error::not_defined(self.class_name(), "quantile"))
    }
    /// `E[X]`.
    fn mean(&self) -> Result<Tensor> {
        Err(Error::not_defined(self.class_name(), "mean"))
    }
    /// The most probable value.
    fn mode(&self) -> Result<Tensor> {
        Err(Error::not_defined(self.class_name(), "mode"))
    }
    /// `Var[X]` (elementwise for vector events).
    fn variance(&self) -> Result<Tensor> {
        Err(Error::not_defined(self.class_name(), "variance"))
    }
    /// `sqrt(Var[X])`.
    fn stddev(&self) -> Result<Tensor> {
        self.variance()?.sqrt()
    }
    /// The covariance matrix of a vector event.
    fn covariance(&self) -> Result<Tensor> {
        Err(Error::not_defined(self.class_name(), "covariance"))
    }
    /// The differential (or Shannon) entropy.
    fn entropy(&self) -> Result<Tensor> {
        Err(Error::not_defined(self.class_name(), "entropy"))
    }
    /// The bijector from unconstrained reals onto the support (TFP's
    /// `experimental_default_event_space_bijector`), for surrogate builders and MCMC.
    /// Discrete families do not define one.
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        Err(Error::not_defined(self.class_name(), "default_event_space_bijector"))
    }
}

/// TFP's `str(distribution)`: `Normal("Normal", batch_shape=[], event_shape=[], dtype=float32)`.
///
/// ```
/// use probrs::distributions::{describe, Normal};
/// let d = Normal::new(0.0, 1.0)?.with_name("prior");
/// assert_eq!(describe(&d), r#"Normal("prior", batch_shape=[], event_shape=[], dtype=float32)"#);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn describe(d: &dyn Distribution) -> String {
    format!(
        "{}(\"{}\", batch_shape={:?}, event_shape={:?}, dtype={})",
        d.class_name(),
        d.name(),
        d.batch_shape(),
        d.event_shape(),
        d.dtype()
    )
}

/// Implements `Display` and `Debug` with [`describe`].
macro_rules! impl_display {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&$crate::distributions::describe(self))
            }
        }
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&$crate::distributions::describe(self))
            }
        }
    };
}
pub(crate) use impl_display;

impl fmt::Debug for dyn Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(self))
    }
}

/// Checks that `x` has the distribution's dtype (TFP does not cast silently).
pub(crate) fn check_dtype(d: &dyn Distribution, x: &Tensor, what: &str) -> Result<()> {
    if x.dtype() != d.dtype() {
        return Err(Error::DTypeMismatch {
            context: format!("{}.{what}", d.class_name()),
            lhs: d.dtype().name().into(),
            rhs: x.dtype().name().into(),
        });
    }
    Ok(())
}
