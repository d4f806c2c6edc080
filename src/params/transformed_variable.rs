//! `TransformedVariable`: a variable stored unconstrained and read through a bijector.
//!
//! `TransformedVariable::new(initial, bijector, name)` stores `bijector.inverse(initial)` in a
//! [`Variable`] and presents `bijector.forward(variable)` at every read, so the transform runs
//! at use time and gradients reach the stored variable (TFP's `tfp.util.TransformedVariable`).

use super::Variable;
use crate::bijectors::Bijector;
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};
use std::fmt;
use std::sync::Arc;

/// A variable in unconstrained space, presented through a bijector.
///
/// ```
/// use probrs::bijectors::Softplus;
/// use probrs::params::TransformedVariable;
/// use probrs::tensor::{DType, Tensor};
/// let scale = TransformedVariable::new(&Tensor::ones(&[4], DType::F32)?, Softplus::new(), "scale")?;
/// // stored: softplus⁻¹(1) = 0.54132485
/// assert!((scale.pretransformed_input().value().to_vec()?[0] - 0.54132485).abs() < 1e-6);
/// assert!((scale.value()?.to_vec()?[0] - 1.0).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct TransformedVariable {
    var: Variable,
    bijector: Arc<dyn Bijector>,
    shape: Vec<usize>,
}

impl TransformedVariable {
    /// Stores `bijector.inverse(initial_value)`; fails if that is not finite.
    pub fn new(initial_value: &Tensor, bijector: impl Bijector + 'static, name: impl Into<String>) -> Result<Self> {
        Self::from_arc(initial_value, Arc::new(bijector), name)
    }
    /// As [`TransformedVariable::new`] with a shared bijector.
    pub fn from_arc(initial_value: &Tensor, bijector: Arc<dyn Bijector>, name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let raw = bijector.inverse(initial_value)?;
        if !raw.all_finite()? {
            return Err(Error::invalid_parameter(
                name,
                format!("initial value {} is outside the domain of bijector {}", initial_value, bijector.name()),
            ));
        }
        Ok(TransformedVariable { var: Variable::new(&raw, name)?, bijector, shape: initial_value.shape().to_vec() })
    }
    /// A variable whose stored (unconstrained) values are `pretransformed` exactly — the
    /// inverse of [`TransformedVariable::pretransformed_input`], for loading a saved variable
    /// bit for bit (`new` would store `bijector.inverse(value)`, which need not round-trip).
    pub fn from_pretransformed(pretransformed: &Tensor, bijector: Arc<dyn Bijector>, name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let value = bijector.forward(pretransformed)?;
        if !value.all_finite()? {
            return Err(Error::invalid_parameter(name, format!("stored value {pretransformed} maps outside the reals through bijector {}", bijector.name())));
        }
        Ok(TransformedVariable { var: Variable::new(pretransformed, name)?, bijector, shape: value.shape().to_vec() })
    }
    /// `bijector.forward(pretransformed)`, computed now (tracked for autodiff).
    pub fn value(&self) -> Result<Tensor> {
        self.bijector.forward(&self.var.value())
    }
    /// The stored, unconstrained variable.
    pub fn pretransformed_input(&self) -> &Variable {
        &self.var
    }
    /// The bijector applied at every read.
    pub fn bijector(&self) -> &Arc<dyn Bijector> {
        &self.bijector
    }
    /// The variable's name.
    pub fn name(&self) -> &str {
        self.var.name()
    }
    /// Shape of the presented (constrained) value.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// The dtype of the value.
    pub fn dtype(&self) -> DType {
        self.var.dtype()
    }
    /// Sets the presented value: stores `bijector.inverse(value)`.
    pub fn assign(&self, value: &Tensor) -> Result<()> {
        if value.shape() != self.shape() {
            return Err(Error::ShapeMismatch {
                context: format!("assign to transformed variable `{}`", self.name()),
                lhs: self.shape.clone(),
                rhs: value.shape().to_vec(),
            });
        }
        let raw = self.bijector.inverse(value)?;
        if !raw.all_finite()? {
            return Err(Error::invalid_parameter(self.name(), format!("value {value} is outside the bijector's range")));
        }
        self.var.assign(&raw)
    }
    /// The stored variable, then any variables the bijector holds.
    pub fn trainable_variables(&self) -> Vec<Variable> {
        let mut v = vec![self.var.clone()];
        self.bijector.visit_variables(&mut |x| v.push(x.clone()));
        v
    }
}

impl fmt::Display for TransformedVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let val = self.value().map(|t| t.detach().numpy_repr()).unwrap_or_else(|e| format!("<error: {e}>"));
        write!(
            f,
            "<TransformedVariable: name={}, dtype={}, shape={:?}, fn=\"{}\", numpy={}>",
            self.name(),
            self.dtype(),
            self.shape,
            self.bijector.name(),
            val
        )
    }
}

impl fmt::Debug for TransformedVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
