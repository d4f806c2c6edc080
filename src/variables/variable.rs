//! A named, trainable tensor (TF's `tf.Variable`).
//!
//! Variables have identity: clones share storage, so a distribution built from a variable
//! sees every later `assign`. Each live variable is recorded in a registry so that
//! [`crate::optim::minimize`] can find the variables a loss touched without being told
//! (as TF's gradient tape does).

use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};
use candle_core::{TensorId, Var};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

struct Inner {
    var: Var,
    name: String,
    /// Creation order, for a deterministic variable order.
    serial: u64,
}

/// A named trainable tensor.
///
/// ```
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// let v = Variable::new(&Tensor::zeros(&[4], DType::F32)?, "loc")?;
/// assert_eq!(format!("{v}"), "<Variable 'loc:0' shape=(4,) dtype=float32, numpy=array([0., 0., 0., 0.], dtype=float32)>");
/// v.assign(&Tensor::ones(&[4], DType::F32)?)?;
/// assert_eq!(v.value().to_vec()?, vec![1.0; 4]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Variable(Arc<Inner>);

static SERIAL: AtomicU64 = AtomicU64::new(0);

fn registry() -> &'static Mutex<HashMap<TensorId, Weak<Inner>>> {
    static R: OnceLock<Mutex<HashMap<TensorId, Weak<Inner>>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Variable {
    /// A variable holding a copy of `initial_value`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::Variable;
    /// let v = Variable::new(&Tensor::vector(&[1.0, 2.0], DType::F32)?, "w")?;
    /// assert_eq!((v.name(), v.shape(), v.dtype()), ("w", &[2usize][..], DType::F32));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(initial_value: &Tensor, name: impl Into<String>) -> Result<Self> {
        let var = Var::from_tensor(&initial_value.detach().as_candle().contiguous()?)?;
        let inner = Arc::new(Inner { var, name: name.into(), serial: SERIAL.fetch_add(1, Ordering::Relaxed) });
        let mut reg = registry().lock().unwrap_or_else(|p| p.into_inner());
        if reg.len() > 1024 && reg.len().is_power_of_two() {
            reg.retain(|_, w| w.strong_count() > 0);
        }
        reg.insert(inner.var.as_tensor().id(), Arc::downgrade(&inner));
        Ok(Variable(inner))
    }
    /// The live variable whose tensor has this id, if any.
    pub(crate) fn lookup(id: TensorId) -> Option<Variable> {
        let reg = registry().lock().unwrap_or_else(|p| p.into_inner());
        reg.get(&id).and_then(|w| w.upgrade()).map(Variable)
    }
    /// The variable's name.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::Variable;
    /// assert_eq!(Variable::new(&Tensor::scalar(0.0, DType::F64)?, "loc")?.name(), "loc");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.0.name
    }
    /// The current value, tracked for autodiff.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::Variable;
    /// let v = Variable::new(&Tensor::scalar(3.0, DType::F64)?, "v")?;
    /// let x = v.value();
    /// let g = x.square()?.grad(&[&x])?[0].clone().unwrap();
    /// assert_eq!(g.to_scalar()?, 6.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn value(&self) -> Tensor {
        if STOPPED.with(|s| s.get()) {
            return self.numpy();
        }
        Tensor(self.0.var.as_tensor().clone())
    }
    /// The current value, detached from autodiff.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::Variable;
    /// let v = Variable::new(&Tensor::scalar(3.0, DType::F64)?, "v")?;
    /// assert_eq!(v.numpy().to_scalar()?, 3.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn numpy(&self) -> Tensor {
        Tensor(self.0.var.as_detached_tensor())
    }
    /// The shape of the value.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::Variable;
    /// assert_eq!(Variable::new(&Tensor::zeros(&[2, 2], DType::F64)?, "m")?.shape(), &[2, 2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.0.var.as_tensor().dims()
    }
    /// The dtype of the value.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::Variable;
    /// assert_eq!(Variable::new(&Tensor::zeros(&[2], DType::F64)?, "m")?.dtype(), DType::F64);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn dtype(&self) -> DType {
        self.value().dtype()
    }
    pub(crate) fn id(&self) -> TensorId {
        self.0.var.as_tensor().id()
    }
    pub(crate) fn serial(&self) -> u64 {
        self.0.serial
    }
    /// Overwrites the value; the shape must match and the dtype is converted.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::Variable;
    /// let v = Variable::new(&Tensor::vector(&[1.0, 2.0], DType::F32)?, "v")?;
    /// v.assign(&Tensor::vector(&[3.0, 4.0], DType::F64)?)?; // converted to float32
    /// assert_eq!((v.numpy().to_vec()?, v.dtype()), (vec![3.0, 4.0], DType::F32));
    /// // A different shape is an error, and the value is kept.
    /// assert!(v.assign(&Tensor::vector(&[1.0], DType::F32)?).is_err());
    /// assert_eq!(v.numpy().to_vec()?, vec![3.0, 4.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn assign(&self, value: &Tensor) -> Result<()> {
        if value.shape() != self.shape() {
            return Err(Error::ShapeMismatch {
                context: format!("assign to variable `{}`", self.name()),
                lhs: self.shape().to_vec(),
                rhs: value.shape().to_vec(),
            });
        }
        let v = value.to_dtype(self.dtype())?;
        self.0.var.set(v.as_candle())?;
        Ok(())
    }
    /// Same underlying storage?
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::Variable;
    /// let a = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "a")?;
    /// let b = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "a")?;
    /// assert!(a.same_as(&a.clone()) && !a.same_as(&b));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn same_as(&self, other: &Variable) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// TF's shape notation: `()`, `(4,)`, `(3, 4)`.
pub(crate) fn tuple_shape(shape: &[usize]) -> String {
    match shape.len() {
        0 => "()".into(),
        1 => format!("({},)", shape[0]),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<Variable '{}:0' shape={} dtype={}, numpy={}>",
            self.name(),
            tuple_shape(self.shape()),
            self.dtype(),
            self.numpy().numpy_repr()
        )
    }
}

impl fmt::Debug for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Prints a list of variables as TF prints a tuple of them.
///
/// ```
/// use probrs::params::{format_variables, Variable};
/// use probrs::tensor::{DType, Tensor};
/// let w = Variable::new(&Tensor::vector(&[1.0, 2.0], DType::F32)?, "w")?;
/// let s = format_variables(&[w]);
/// assert_eq!(s, "(<Variable 'w:0' shape=(2,) dtype=float32, numpy=array([1., 2.], dtype=float32)>,)");
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn format_variables(vars: &[Variable]) -> String {
    let items: Vec<String> = vars.iter().map(|v| v.to_string()).collect();
    if items.len() == 1 {
        format!("({},)", items[0])
    } else {
        format!("({})", items.join(", "))
    }
}

thread_local! {
    static STOPPED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with every variable read detached from autodiff (TFP's "stopped" surrogate: the
/// same distribution with `stop_gradient` on its parameters). Values flowing in from outside,
/// e.g. reparameterized draws, keep their gradients. Used by doubly-reparameterized
/// gradients; nests and restores the previous mode even if `f` panics.
///
/// ```
/// use probrs::params::{with_stopped_variables, Variable};
/// use probrs::tensor::{DType, Tensor};
/// let x = Variable::new(&Tensor::scalar(3.0, DType::F64)?, "x")?;
/// let tracked = x.value().square()?;
/// // Inside, reads of x carry no gradient: the loss does not depend on x for autodiff.
/// let stopped = with_stopped_variables(|| x.value().square())?;
/// assert_eq!(stopped.to_scalar()?, 9.0);
/// assert!(probrs::params::variables_of(&stopped)?.is_empty());
/// assert_eq!(probrs::params::variables_of(&tracked)?.len(), 1);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn with_stopped_variables<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            STOPPED.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(STOPPED.with(|s| s.replace(true)));
    f()
}

/// The variables `loss` depends on and `loss`'s gradients with respect to them (one backward pass).
pub(crate) fn variables_and_gradients(loss: &Tensor) -> Result<(Vec<Variable>, Vec<Tensor>)> {
    let store = loss.as_candle().backward()?;
    let mut found: Vec<(Variable, Tensor)> = vec![];
    for id in store.get_ids() {
        if let Some(v) = Variable::lookup(*id) {
            if let Some(g) = store.get_id(*id) {
                found.push((v, Tensor(g.clone())));
            }
        }
    }
    found.sort_by_key(|(v, _)| v.serial());
    Ok(found.into_iter().unzip())
}

/// The variables `loss` depends on, found in its autodiff graph (in creation order).
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::params::variables_of;
/// use probrs::params::{MakeTrainable, Variable};
/// use probrs::tensor::{DType, Tensor};
/// let model: Normal = MakeTrainable::new().fixed("scale", 1.0).seed(0).build()?;
/// let loss = model.log_prob(&Tensor::scalar(1.0, DType::F32)?)?.neg()?;
/// let found: Vec<Variable> = variables_of(&loss)?;
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].name(), "loc");
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn variables_of(loss: &Tensor) -> Result<Vec<Variable>> {
    Ok(variables_and_gradients(loss)?.0)
}
