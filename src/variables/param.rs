//! `Param`: how a distribution or bijector holds one parameter.
//!
//! A parameter is a plain tensor, a Python-style float that adopts the dtype of its siblings,
//! a [`Variable`], a [`TransformedVariable`] or a [`DeferredTensor`]. Reading it with
//! [`Param::value`] runs any transform now, so gradients reach the variables behind it.

use super::{DeferredTensor, TransformedVariable, Variable};
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

/// One parameter of a distribution or bijector.
///
/// ```
/// use probrs::bijectors::Softplus;
/// use probrs::params::{Param, TransformedVariable, Variable};
/// use probrs::tensor::{DType, Tensor};
/// let fixed = Param::from(2.0);
/// assert!(fixed.is_constant() && fixed.dtype().is_none());
/// let v = Param::from(Variable::new(&Tensor::scalar(1.0, DType::F64)?, "v")?);
/// assert!(!v.is_constant());
/// let t = Param::from(TransformedVariable::new(&Tensor::scalar(3.0, DType::F64)?, Softplus::new(), "s")?);
/// assert!((t.value(DType::F64)?.to_scalar()? - 3.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum Param {
    /// A bare number; takes the dtype of the other parameters (float32 if none has one).
    Scalar(f64),
    /// A fixed tensor.
    Tensor(Tensor),
    /// A trainable variable, used as is.
    Variable(Variable),
    /// A trainable variable read through a bijector.
    Transformed(TransformedVariable),
    /// A trainable variable read through a function.
    Deferred(DeferredTensor),
}

impl Param {
    /// The current value in `dtype` (a tracked tensor: gradients flow to variables).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::{Param, Variable};
    /// let v = Variable::new(&Tensor::scalar(2.0, DType::F64)?, "v")?;
    /// let p = Param::from(&v);
    /// let x = p.value(DType::F64)?;
    /// assert_eq!(x.to_scalar()?, 2.0);
    /// assert!(x.square()?.grad(&[&x])?[0].is_some()); // tracked
    /// assert_eq!(Param::from(1.5).value(DType::F32)?.dtype(), DType::F32);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn value(&self, dtype: DType) -> Result<Tensor> {
        let t = match self {
            Param::Scalar(v) => return Tensor::scalar(*v, dtype),
            Param::Tensor(t) => t.clone(),
            Param::Variable(v) => v.value(),
            Param::Transformed(v) => v.value()?,
            Param::Deferred(d) => d.value()?,
        };
        if t.dtype() != dtype {
            return Err(Error::DTypeMismatch { context: "parameter".into(), lhs: t.dtype().name().into(), rhs: dtype.name().into() });
        }
        Ok(t)
    }
    /// The dtype this parameter imposes, if any.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::Param;
    /// assert_eq!(Param::from(Tensor::scalar(1.0, DType::F64)?).dtype(), Some(DType::F64));
    /// assert_eq!(Param::from(1.0).dtype(), None);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn dtype(&self) -> Option<DType> {
        match self {
            Param::Scalar(_) => None,
            Param::Tensor(t) => Some(t.dtype()),
            Param::Variable(v) => Some(v.dtype()),
            Param::Transformed(v) => Some(v.dtype()),
            Param::Deferred(d) => Some(d.dtype()),
        }
    }
    /// The shape of the presented value.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::Param;
    /// assert_eq!(Param::from(Tensor::zeros(&[3, 2], DType::F64)?).shape(), vec![3, 2]);
    /// assert_eq!(Param::from(1.0).shape(), Vec::<usize>::new());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn shape(&self) -> Vec<usize> {
        match self {
            Param::Scalar(_) => vec![],
            Param::Tensor(t) => t.shape().to_vec(),
            Param::Variable(v) => v.shape().to_vec(),
            Param::Transformed(v) => v.shape().to_vec(),
            Param::Deferred(d) => d.shape().to_vec(),
        }
    }
    /// Calls `f` on every variable behind this parameter.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::Softplus;
    /// use probrs::params::{Param, TransformedVariable};
    /// let p = Param::from(TransformedVariable::new(&Tensor::scalar(1.0, DType::F64)?, Softplus::new(), "s")?);
    /// let mut names = vec![];
    /// p.visit_variables(&mut |v| names.push(v.name().to_string()));
    /// assert_eq!(names, vec!["s"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        match self {
            Param::Scalar(_) | Param::Tensor(_) => {}
            Param::Variable(v) => f(v),
            Param::Transformed(v) => v.trainable_variables().iter().for_each(|x| f(x)),
            Param::Deferred(d) => f(d.pretransformed_input()),
        }
    }
    /// True for a fixed value (no variable behind it).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::{Param, Variable};
    /// assert!(Param::from(1.0).is_constant());
    /// assert!(!Param::from(Variable::new(&Tensor::scalar(1.0, DType::F64)?, "v")?).is_constant());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn is_constant(&self) -> bool {
        matches!(self, Param::Scalar(_) | Param::Tensor(_))
    }
    /// The current values as f64s, without tracking.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::Param;
    /// let p = Param::from(Tensor::vector(&[0.5, 1.5], DType::F32)?);
    /// assert_eq!(p.values_f64(DType::F32)?, vec![0.5, 1.5]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn values_f64(&self, dtype: DType) -> Result<Vec<f64>> {
        self.value(dtype)?.to_vec()
    }
}

/// The common dtype of a set of parameters: the dtype of any tensor-like one (all must
/// agree), else float32 as TFP does for Python floats.
///
/// ```
/// use probrs::params::{resolve_dtype, Param};
/// use probrs::tensor::{DType, Tensor};
/// let a = Param::from(Tensor::scalar(1.0, DType::F64)?);
/// let b = Param::from(2.0);
/// assert_eq!(resolve_dtype(&[("a", &a), ("b", &b)])?, DType::F64);
/// assert_eq!(resolve_dtype(&[("b", &b)])?, DType::F32); // numbers alone: float32
/// let c = Param::from(Tensor::scalar(1.0, DType::F32)?);
/// assert!(resolve_dtype(&[("a", &a), ("c", &c)]).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn resolve_dtype(params: &[(&str, &Param)]) -> Result<DType> {
    let mut found: Option<(&str, DType)> = None;
    for (name, p) in params {
        if let Some(d) = p.dtype() {
            match found {
                None => found = Some((name, d)),
                Some((n0, d0)) if d0 != d => {
                    return Err(Error::DTypeMismatch {
                        context: format!("parameters `{n0}` and `{name}`"),
                        lhs: d0.name().into(),
                        rhs: d.name().into(),
                    })
                }
                _ => {}
            }
        }
    }
    Ok(found.map(|(_, d)| d).unwrap_or(DType::F32))
}

/// Broadcast batch shape of several parameters, each with `event_ndims` trailing event dims.
///
/// ```
/// use probrs::params::{broadcast_batch_shape, Param};
/// use probrs::tensor::{DType, Tensor};
/// let loc = Param::from(Tensor::zeros(&[3, 1], DType::F64)?);
/// let scale = Param::from(Tensor::ones(&[4], DType::F64)?);
/// assert_eq!(broadcast_batch_shape(&[("loc", &loc, 0), ("scale", &scale, 0)])?, vec![3, 4]);
/// // With one event dimension, a [3, 2] scale_diag has batch shape [3].
/// let diag = Param::from(Tensor::ones(&[3, 2], DType::F64)?);
/// assert_eq!(broadcast_batch_shape(&[("scale_diag", &diag, 1)])?, vec![3]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn broadcast_batch_shape(params: &[(&str, &Param, usize)]) -> Result<Vec<usize>> {
    let mut out: Vec<usize> = vec![];
    let mut first: Option<(&str, Vec<usize>)> = None;
    for (name, p, ev) in params {
        let s = p.shape();
        if s.len() < *ev {
            return Err(Error::invalid_shape(*name, &s, format!("needs at least {ev} dimensions")));
        }
        let b = &s[..s.len() - ev];
        out = crate::tensor::broadcast_shapes(&out, b).map_err(|_| Error::ShapeMismatch {
            context: format!("batch shapes of `{}` and `{name}`", first.as_ref().map(|f| f.0).unwrap_or("?")),
            lhs: first.as_ref().map(|f| f.1.clone()).unwrap_or_default(),
            rhs: b.to_vec(),
        })?;
        if first.is_none() {
            first = Some((name, b.to_vec()));
        }
    }
    Ok(out)
}

impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Param::Scalar(v)
    }
}
impl From<f32> for Param {
    fn from(v: f32) -> Self {
        Param::Tensor(Tensor::from_f32s(vec![v], &[]).expect("a scalar tensor is always constructible"))
    }
}
impl From<Tensor> for Param {
    fn from(t: Tensor) -> Self {
        Param::Tensor(t)
    }
}
impl From<&Tensor> for Param {
    fn from(t: &Tensor) -> Self {
        Param::Tensor(t.clone())
    }
}
impl From<Variable> for Param {
    fn from(v: Variable) -> Self {
        Param::Variable(v)
    }
}
impl From<&Variable> for Param {
    fn from(v: &Variable) -> Self {
        Param::Variable(v.clone())
    }
}
impl From<TransformedVariable> for Param {
    fn from(v: TransformedVariable) -> Self {
        Param::Transformed(v)
    }
}
impl From<&TransformedVariable> for Param {
    fn from(v: &TransformedVariable) -> Self {
        Param::Transformed(v.clone())
    }
}
impl From<DeferredTensor> for Param {
    fn from(v: DeferredTensor) -> Self {
        Param::Deferred(v)
    }
}
