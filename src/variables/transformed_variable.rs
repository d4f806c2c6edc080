//! `TransformedVariable`: a variable stored unconstrained and read through a bijector.
//!
//! `TransformedVariable::new(initial, bijector, name)` stores `bijector.transform_inverse(initial)` in a
//! [`Variable`] and presents `bijector.transform_forward(variable)` at every read, so the transform runs
//! at use time and gradients reach the stored variable (TFP's `tfp.util.TransformedVariable`).

use super::Variable;
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};
use std::fmt;
use std::sync::Arc;

/// What a [`TransformedVariable`] needs of its bijector: the map, its inverse, a name and the
/// variables the bijector itself holds.
///
/// Every [`Bijector`](crate::bijectors::Bijector) is a `Transform` (a blanket impl in
/// `bijectors/bijector.rs`; `Bijector` has it as a supertrait, so an `Arc<dyn Bijector>` is an
/// `Arc<dyn Transform>` too). The trait is defined here, below the bijectors, so that a
/// parameter can hold a variable read through a bijector while the bijectors hold parameters:
/// each layer imports only the one below it. There is no reason to implement it by hand.
///
/// ```
/// use probrs::bijectors::Softplus;
/// use probrs::params::Transform;
/// use probrs::tensor::{DType, Tensor};
/// let t: &dyn Transform = &Softplus::new();
/// assert_eq!(t.transform_name(), "softplus");
/// let y = t.transform_forward(&Tensor::scalar(0.0, DType::F64)?)?;
/// assert!((y.to_scalar()? - 2f64.ln()).abs() < 1e-15);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait Transform: Send + Sync {
    /// The bijector's name (`"softplus"`).
    fn transform_name(&self) -> &str;
    /// The bijector's forward map.
    fn transform_forward(&self, x: &Tensor) -> Result<Tensor>;
    /// The bijector's inverse map.
    fn transform_inverse(&self, y: &Tensor) -> Result<Tensor>;
    /// Visits the variables the bijector holds.
    fn visit_transform_variables(&self, f: &mut dyn FnMut(&Variable));
}

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
    bijector: Arc<dyn Transform>,
    shape: Vec<usize>,
}

impl TransformedVariable {
    /// Stores `bijector.transform_inverse(initial_value)`; fails if that is not finite.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::Exp;
    /// use probrs::params::TransformedVariable;
    /// // A positive value stored as its logarithm.
    /// let s = TransformedVariable::new(&Tensor::scalar(2.0, DType::F64)?, Exp::new(), "scale")?;
    /// assert!((s.pretransformed_input().numpy().to_scalar()? - 2f64.ln()).abs() < 1e-15);
    /// // A value outside the bijector's range is rejected (log of a negative number).
    /// assert!(TransformedVariable::new(&Tensor::scalar(-1.0, DType::F64)?, Exp::new(), "bad").is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(initial_value: &Tensor, bijector: impl Transform + 'static, name: impl Into<String>) -> Result<Self> {
        Self::from_arc(initial_value, Arc::new(bijector), name)
    }
    /// As [`TransformedVariable::new`] with a shared bijector.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Softplus};
    /// use probrs::params::TransformedVariable;
    /// use std::sync::Arc;
    /// let b: Arc<dyn Bijector> = Arc::new(Softplus::new());
    /// let a = TransformedVariable::from_arc(&Tensor::scalar(1.0, DType::F64)?, b.clone(), "a")?;
    /// let c = TransformedVariable::from_arc(&Tensor::scalar(2.0, DType::F64)?, b, "c")?;
    /// assert!((a.value()?.to_scalar()? - 1.0).abs() < 1e-12 && (c.value()?.to_scalar()? - 2.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_arc(initial_value: &Tensor, bijector: Arc<dyn Transform>, name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let raw = bijector.transform_inverse(initial_value)?;
        if !raw.all_finite()? {
            return Err(Error::invalid_parameter(
                name,
                format!("initial value {} is outside the domain of bijector {}", initial_value, bijector.transform_name()),
            ));
        }
        Ok(TransformedVariable { var: Variable::new(&raw, name)?, bijector, shape: initial_value.shape().to_vec() })
    }
    /// A variable whose stored (unconstrained) values are `pretransformed` exactly — the
    /// inverse of [`TransformedVariable::pretransformed_input`], for loading a saved variable
    /// bit for bit (`new` would store `bijector.transform_inverse(value)`, which need not round-trip).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::Exp;
    /// use probrs::params::TransformedVariable;
    /// use std::sync::Arc;
    /// let t = TransformedVariable::from_pretransformed(&Tensor::scalar(0.0, DType::F64)?, Arc::new(Exp::new()), "t")?;
    /// assert_eq!(t.value()?.to_scalar()?, 1.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_pretransformed(pretransformed: &Tensor, bijector: Arc<dyn Transform>, name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let value = bijector.transform_forward(pretransformed)?;
        if !value.all_finite()? {
            return Err(Error::invalid_parameter(name, format!("stored value {pretransformed} maps outside the reals through bijector {}", bijector.transform_name())));
        }
        Ok(TransformedVariable { var: Variable::new(pretransformed, name)?, bijector, shape: value.shape().to_vec() })
    }
    /// `bijector.transform_forward(pretransformed)`, computed now (tracked for autodiff).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::Exp;
    /// use probrs::params::TransformedVariable;
    /// let t = TransformedVariable::new(&Tensor::scalar(3.0, DType::F64)?, Exp::new(), "t")?;
    /// let v = t.value()?;
    /// // Gradients reach the stored (unconstrained) variable: d exp(u)/du = exp(u) = 3.
    /// let u = t.pretransformed_input().value();
    /// let g = v.grad(&[&u])?[0].clone().expect("the value depends on the stored variable");
    /// assert!((v.to_scalar()? - 3.0).abs() < 1e-12);
    /// assert!((g.to_scalar()? - 3.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn value(&self) -> Result<Tensor> {
        self.bijector.transform_forward(&self.var.value())
    }
    /// The stored, unconstrained variable.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::Softplus;
    /// use probrs::params::TransformedVariable;
    /// let t = TransformedVariable::new(&Tensor::scalar(2f64.exp().ln_1p(), DType::F64)?, Softplus::new(), "t")?;
    /// assert!((t.pretransformed_input().numpy().to_scalar()? - 2.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn pretransformed_input(&self) -> &Variable {
        &self.var
    }
    /// The bijector applied at every read.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::Exp;
    /// use probrs::params::TransformedVariable;
    /// let t = TransformedVariable::new(&Tensor::scalar(1.0, DType::F64)?, Exp::new(), "t")?;
    /// assert_eq!(t.bijector().transform_name(), "exp");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn bijector(&self) -> &Arc<dyn Transform> {
        &self.bijector
    }
    /// The variable's name.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::Exp;
    /// use probrs::params::TransformedVariable;
    /// assert_eq!(TransformedVariable::new(&Tensor::scalar(1.0, DType::F64)?, Exp::new(), "scale")?.name(), "scale");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        self.var.name()
    }
    /// Shape of the presented (constrained) value.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::Exp;
    /// use probrs::params::TransformedVariable;
    /// let t = TransformedVariable::new(&Tensor::ones(&[2, 3], DType::F64)?, Exp::new(), "t")?;
    /// assert_eq!(t.shape(), &[2, 3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// The dtype of the value.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::Exp;
    /// use probrs::params::TransformedVariable;
    /// assert_eq!(TransformedVariable::new(&Tensor::scalar(1.0, DType::F32)?, Exp::new(), "t")?.dtype(), DType::F32);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn dtype(&self) -> DType {
        self.var.dtype()
    }
    /// Sets the presented value: stores `bijector.transform_inverse(value)`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::Exp;
    /// use probrs::params::TransformedVariable;
    /// let t = TransformedVariable::new(&Tensor::scalar(1.0, DType::F64)?, Exp::new(), "t")?;
    /// t.assign(&Tensor::scalar(5.0, DType::F64)?)?;
    /// assert!((t.value()?.to_scalar()? - 5.0).abs() < 1e-12);
    /// assert!((t.pretransformed_input().numpy().to_scalar()? - 5f64.ln()).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn assign(&self, value: &Tensor) -> Result<()> {
        if value.shape() != self.shape() {
            return Err(Error::ShapeMismatch {
                context: format!("assign to transformed variable `{}`", self.name()),
                lhs: self.shape.clone(),
                rhs: value.shape().to_vec(),
            });
        }
        let raw = self.bijector.transform_inverse(value)?;
        if !raw.all_finite()? {
            return Err(Error::invalid_parameter(self.name(), format!("value {value} is outside the bijector's range")));
        }
        self.var.assign(&raw)
    }
    /// The stored variable, then any variables the bijector holds.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Shift};
    /// use probrs::params::{TransformedVariable, Variable};
    /// // The bijector's own variable (a trainable shift) is trained along with the stored value.
    /// let shift = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "shift")?;
    /// let t = TransformedVariable::new(&Tensor::scalar(3.0, DType::F64)?, Shift::new(&shift), "t")?;
    /// let names: Vec<String> = t.trainable_variables().iter().map(|v| v.name().to_string()).collect();
    /// assert_eq!(names, vec!["t", "shift"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn trainable_variables(&self) -> Vec<Variable> {
        let mut v = vec![self.var.clone()];
        self.bijector.visit_transform_variables(&mut |x| v.push(x.clone()));
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
            self.bijector.transform_name(),
            val
        )
    }
}

impl fmt::Debug for TransformedVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
