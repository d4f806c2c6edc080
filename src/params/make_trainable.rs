//! `make_trainable`: build any distribution or bijector with trainable parameters from its
//! [`Trainable::parameter_properties`] (TFP's `tfp.experimental.util.make_trainable`).
//!
//! For every tensor parameter that is preferred and not fixed by the caller, an initial value
//! is taken from `initial_parameters` (a value, or a function of `(name, shape, dtype, seed,
//! constraining_bijector)`), or else drawn from a standard normal in unconstrained space and
//! pushed through the default constraining bijector, as TFP does. The parameter is then held
//! as a [`TransformedVariable`] named after it. Parameters passed with [`MakeTrainable::fixed`]
//! stay fixed: no variable is created for them.
//!
//! ```
//! use probrs::distributions::{Distribution, Normal};
//! use probrs::params::MakeTrainable;
//! let model: Normal = MakeTrainable::new()
//!     .initial_value("loc", 0.0)
//!     .initial_value("scale", 1.0)
//!     .build()?;
//! let vars = model.trainable_variables();
//! assert_eq!(vars.len(), 2);
//! // Softplus(low = eps).inverse(1) in float32:
//! assert!((vars[1].numpy().to_scalar()? - 0.5413246).abs() < 1e-7);
//! # Ok::<(), probrs::Error>(())
//! ```

use crate::bijectors::{Bijector, Trainable};
use crate::variables::{Arg, Param, Parameters, TransformedVariable};
use crate::error::{Error, Result};
use crate::random::{self, Seed};
use crate::tensor::{DType, Tensor};
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

/// `(name, shape, dtype, seed, constraining_bijector) -> initial constrained value`.
///
/// ```
/// use probrs::bijectors::Bijector;
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::params::MakeTrainable;
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// // Start every parameter at the constrained image of 0 (loc 0, scale softplus(0)).
/// let model: Normal = MakeTrainable::new()
///     .initial_parameters_fn(|_name: &str, shape: &[usize], dtype: DType, _seed: Seed, b: &dyn Bijector| b.forward(&Tensor::zeros(shape, dtype)?))
///     .build()?;
/// assert_eq!(model.mean()?.to_scalar()?, 0.0);
/// assert!((model.stddev()?.to_scalar()? - 2f64.ln()).abs() < 1e-3);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type ParameterInitFn = Arc<dyn Fn(&str, &[usize], DType, Seed, &dyn Bijector) -> Result<Tensor> + Send + Sync>;

/// An initial value given by the caller.
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::params::{InitValue, MakeTrainable};
/// use probrs::tensor::{DType, Tensor};
/// let model: Normal = MakeTrainable::new()
///     .batch_and_event_shape(&[2])
///     .initial_value("loc", InitValue::Tensor(Tensor::vector(&[1.0, -1.0], DType::F32)?))
///     .initial_value("scale", 0.5) // a number broadcasts to the parameter's shape
///     .build()?;
/// assert_eq!(model.mean()?.to_vec()?, vec![1.0, -1.0]);
/// assert!(model.stddev()?.to_vec()?.iter().all(|s| (s - 0.5).abs() < 1e-6));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum InitValue {
    /// Broadcast to the parameter's shape.
    Scalar(f64),
    /// A value of the parameter's shape.
    Tensor(Tensor),
}
impl From<f64> for InitValue {
    fn from(v: f64) -> Self {
        InitValue::Scalar(v)
    }
}
impl From<Tensor> for InitValue {
    fn from(t: Tensor) -> Self {
        InitValue::Tensor(t)
    }
}
impl From<&Tensor> for InitValue {
    fn from(t: &Tensor) -> Self {
        InitValue::Tensor(t.clone())
    }
}

/// Options for [`make_trainable`]; a builder.
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::params::MakeTrainable;
/// // TFP: tfp.util.make_trainable(tfd.Normal, batch_and_event_shape=[3], scale=1., seed=42)
/// let model: Normal = MakeTrainable::new().batch_and_event_shape(&[3]).fixed("scale", 1.0).seed(42).build()?;
/// assert_eq!(model.batch_shape(), vec![3]);
/// assert_eq!(model.trainable_variables().len(), 1); // loc; scale stays fixed
/// // The same seed gives the same start.
/// let again: Normal = MakeTrainable::new().batch_and_event_shape(&[3]).fixed("scale", 1.0).seed(42).build()?;
/// assert_eq!(model.mean()?.to_vec()?, again.mean()?.to_vec()?);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct MakeTrainable {
    initial: BTreeMap<String, InitValue>,
    init_fn: Option<ParameterInitFn>,
    batch_and_event_shape: Vec<usize>,
    parameter_dtype: DType,
    seed: Option<Seed>,
    fixed: Parameters,
}

impl Default for MakeTrainable {
    fn default() -> Self {
        Self::new()
    }
}

/// The default initializer: a standard normal in unconstrained space, pushed forward.
fn default_init(_: &str, shape: &[usize], dtype: DType, seed: Seed, b: &dyn Bijector) -> Result<Tensor> {
    let raw = random::normal(&b.inverse_event_shape(shape)?, dtype, seed)?;
    b.forward(&raw)
}

struct Plan {
    /// (parameter name, constraining bijector, initial constrained value)
    trainable: Vec<(String, Arc<dyn Bijector>, Tensor)>,
}

impl MakeTrainable {
    /// float32, batch and event shape `[]`, random initial values.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Normal};
    /// use probrs::params::MakeTrainable;
    /// let d: Normal = MakeTrainable::new().build()?;
    /// assert_eq!((d.dtype(), d.batch_shape()), (DType::F32, vec![]));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new() -> Self {
        MakeTrainable {
            initial: BTreeMap::new(),
            init_fn: None,
            batch_and_event_shape: vec![],
            parameter_dtype: DType::F32,
            seed: None,
            fixed: Parameters::new(),
        }
    }
    /// The initial (constrained) value of one parameter.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Normal};
    /// use probrs::params::MakeTrainable;
    /// let d: Normal = MakeTrainable::new().initial_value("scale", 3.0).seed(0).build()?;
    /// assert!((d.stddev()?.to_scalar()? - 3.0).abs() < 1e-6);
    /// // A name the family does not have is an error.
    /// assert!(MakeTrainable::new().initial_value("rate", 1.0).build::<Normal>().is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn initial_value(mut self, name: &str, value: impl Into<InitValue>) -> Self {
        self.initial.insert(name.into(), value.into());
        self
    }
    /// A function giving the initial value of every parameter not given by value.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::Bijector;
    /// use probrs::distributions::{Distribution, Gamma};
    /// use probrs::params::MakeTrainable;
    /// use probrs::random::Seed;
    /// // Every parameter starts at 1 (in its constrained space).
    /// let g: Gamma = MakeTrainable::new()
    ///     .initial_parameters_fn(|_: &str, shape: &[usize], dt: DType, _: Seed, _: &dyn Bijector| Tensor::ones(shape, dt))
    ///     .build()?;
    /// assert!((g.mean()?.to_scalar()? - 1.0).abs() < 1e-5); // concentration / rate
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn initial_parameters_fn(
        mut self,
        f: impl Fn(&str, &[usize], DType, Seed, &dyn Bijector) -> Result<Tensor> + Send + Sync + 'static,
    ) -> Self {
        self.init_fn = Some(Arc::new(f));
        self
    }
    /// Shape of samples (distributions) or inputs (bijectors), fixing the parameters' shapes.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, MultivariateNormalTriL};
    /// use probrs::params::MakeTrainable;
    /// // A batch of 2 trivariate normals: loc [2, 3], scale_tril [2, 3, 3].
    /// let d: MultivariateNormalTriL = MakeTrainable::new().batch_and_event_shape(&[2, 3]).seed(1).build()?;
    /// assert_eq!((d.batch_shape(), d.event_shape()), (vec![2], vec![3]));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn batch_and_event_shape(mut self, shape: &[usize]) -> Self {
        self.batch_and_event_shape = shape.to_vec();
        self
    }
    /// Dtype of the created variables (default `F32`, as in TFP).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Normal};
    /// use probrs::params::MakeTrainable;
    /// let d: Normal = MakeTrainable::new().parameter_dtype(DType::F64).build()?;
    /// assert_eq!(d.dtype(), DType::F64);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn parameter_dtype(mut self, dtype: DType) -> Self {
        self.parameter_dtype = dtype;
        self
    }
    /// Seed for the random initial values (fixed seed = same values every run).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Normal};
    /// use probrs::params::MakeTrainable;
    /// let a: Normal = MakeTrainable::new().seed(9).build()?;
    /// let b: Normal = MakeTrainable::new().seed(9).build()?;
    /// assert_eq!(a.mean()?.to_scalar()?, b.mean()?.to_scalar()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn seed(mut self, seed: impl Into<Seed>) -> Self {
        self.seed = Some(seed.into());
        self
    }
    /// A fixed value for a parameter (TFP's `**init_kwargs`): no variable is created for it.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Normal};
    /// use probrs::params::MakeTrainable;
    /// let d: Normal = MakeTrainable::new().fixed("loc", 0.0).seed(0).build()?;
    /// assert_eq!(d.trainable_variables().len(), 1); // scale only
    /// assert_eq!(d.mean()?.to_scalar()?, 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn fixed(mut self, name: &str, value: impl Into<Param>) -> Self {
        self.fixed.insert(name, value.into());
        self
    }
    /// A non-tensor constructor argument.
    ///
    /// ```
    /// use probrs::distributions::{CholeskyLKJ, Distribution};
    /// use probrs::params::{Arg, MakeTrainable};
    /// let d: CholeskyLKJ = MakeTrainable::new().arg("dimension", Arg::Int(2)).seed(0).build()?;
    /// assert_eq!(d.event_shape(), vec![2, 2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn arg(mut self, name: &str, a: Arg) -> Self {
        self.fixed = self.fixed.with_arg(name, a);
        self
    }
    /// The instance's name.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Normal};
    /// use probrs::params::MakeTrainable;
    /// let d: Normal = MakeTrainable::new().name("prior").build()?;
    /// assert_eq!(d.name(), "prior");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn name(mut self, name: &str) -> Self {
        self.fixed.name = Some(name.into());
        self
    }

    fn plan<T: Trainable>(&self, seed: Seed) -> Result<Plan> {
        let props = T::parameter_properties(self.parameter_dtype);
        for name in self.initial.keys() {
            if !props.iter().any(|(n, _)| n == name) {
                return Err(Error::UnknownParameter { name: name.clone(), family: T::NAME.into() });
            }
        }
        let seeds = seed.split(props.len().max(1));
        let mut trainable = vec![];
        for (i, (name, p)) in props.iter().enumerate() {
            if !p.is_tensor || self.fixed.contains(name) || (!p.is_preferred && !self.initial.contains_key(*name)) {
                continue;
            }
            let shape = (p.shape_fn)(&self.batch_and_event_shape);
            let bij = (p.default_constraining_bijector)(self.parameter_dtype);
            let value = match self.initial.get(*name) {
                Some(InitValue::Scalar(v)) => Tensor::full(*v, &shape, self.parameter_dtype)?,
                Some(InitValue::Tensor(t)) => {
                    let t = t.to_dtype(self.parameter_dtype)?;
                    t.broadcast_to(&shape)
                        .map_err(|_| Error::invalid_shape(format!("initial value of `{name}`"), t.shape(), format!("expected shape {shape:?}")))?
                        .contiguous()?
                }
                None => match &self.init_fn {
                    Some(f) => f(name, &shape, self.parameter_dtype, seeds[i], bij.as_ref())?,
                    None => default_init(name, &shape, self.parameter_dtype, seeds[i], bij.as_ref())?,
                },
            };
            if value.shape() != shape.as_slice() {
                return Err(Error::invalid_shape(format!("initial value of `{name}`"), value.shape(), format!("expected shape {shape:?}")));
            }
            trainable.push((name.to_string(), bij, value));
        }
        Ok(Plan { trainable })
    }

    /// Builds `T` with every trainable parameter held as a [`TransformedVariable`].
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Shift};
    /// use probrs::params::MakeTrainable;
    /// // Bijectors are trainable too.
    /// let b: Shift = MakeTrainable::new().batch_and_event_shape(&[2]).initial_value("shift", 1.0).build()?;
    /// let y = b.forward(&Tensor::vector(&[0.0, 1.0], DType::F32)?)?;
    /// assert_eq!(y.to_vec()?, vec![1.0, 2.0]);
    /// assert_eq!(b.trainable_variables().len(), 1);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn build<T: Trainable>(self) -> Result<T> {
        let seed = self.seed.unwrap_or_else(|| Seed::new(rand::random()));
        let plan = self.plan::<T>(seed)?;
        let mut params = self.fixed.clone();
        for (name, bij, value) in plan.trainable {
            params.insert(&name, Param::Transformed(TransformedVariable::from_arc(&value, bij, name.clone())?));
        }
        T::from_parameters(params)
    }

    /// The stateless form: an `init_fn(seed)` giving unconstrained parameter values and an
    /// `apply_fn(values)` building the instance (TFP's `make_trainable_stateless`).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Gamma};
    /// use probrs::params::MakeTrainable;
    /// let s = MakeTrainable::new().fixed("rate", 1.0).stateless::<Gamma>()?;
    /// assert_eq!(s.parameter_names(), &["concentration".to_string()]);
    /// let g = s.apply_fn(&[Tensor::scalar(0.0, DType::F32)?])?; // softplus(0) + eps
    /// assert!((g.mean()?.to_scalar()? - 2f64.ln()).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn stateless<T: Trainable>(self) -> Result<TrainableStateless<T>> {
        // Validate names and shapes once, eagerly.
        let probe = self.plan::<T>(self.seed.unwrap_or(Seed::new(0)))?;
        let names = probe.trainable.iter().map(|(n, _, _)| n.clone()).collect();
        let bijectors = probe.trainable.iter().map(|(_, b, _)| b.clone()).collect();
        Ok(TrainableStateless { options: self, names, bijectors, _t: PhantomData })
    }
}

/// [`make_trainable`] with all defaults: float32, random initial values.
///
/// ```
/// use probrs::distributions::{Distribution, Gamma};
/// use probrs::params::make_trainable;
/// // Random start, float32, each parameter in its domain.
/// let g: Gamma = make_trainable()?;
/// assert_eq!(g.trainable_variables().len(), 2);
/// assert!(g.mean()?.to_scalar()? > 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn make_trainable<T: Trainable>() -> Result<T> {
    MakeTrainable::new().build()
}

/// The `(init_fn, apply_fn)` pair of [`MakeTrainable::stateless`].
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::params::MakeTrainable;
/// use probrs::tensor::Tensor;
/// let s = MakeTrainable::new().stateless::<Normal>()?;
/// assert_eq!(s.parameter_names(), &["loc".to_string(), "scale".to_string()]);
/// let init = s.init_fn(0u64)?; // unconstrained values
/// let model = s.apply_fn(&init)?;
/// assert!(model.stddev()?.to_scalar()? > 0.0);
/// let x = Tensor::scalar(0.0, model.dtype())?;
/// assert!(model.log_prob(&x)?.to_scalar()?.is_finite());
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct TrainableStateless<T> {
    options: MakeTrainable,
    names: Vec<String>,
    bijectors: Vec<Arc<dyn Bijector>>,
    _t: PhantomData<fn() -> T>,
}

impl<T: Trainable> TrainableStateless<T> {
    /// Names of the trainable parameters, in the order of `init_fn`'s values.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::params::MakeTrainable;
    /// assert_eq!(MakeTrainable::new().stateless::<Normal>()?.parameter_names(), &["loc", "scale"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn parameter_names(&self) -> &[String] {
        &self.names
    }
    /// Unconstrained initial values, one per trainable parameter.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::params::MakeTrainable;
    /// let s = MakeTrainable::new().initial_value("scale", 1.0).stateless::<Normal>()?;
    /// let init = s.init_fn(0u64)?;
    /// // The scale is returned unconstrained: softplus⁻¹(1 − eps) ≈ 0.5413.
    /// assert!((init[1].to_scalar()? - 0.541_324_854_6).abs() < 1e-5);
    /// assert_eq!(s.init_fn(0u64)?[0].to_scalar()?, init[0].to_scalar()?); // same seed, same values
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn init_fn(&self, seed: impl Into<Seed>) -> Result<Vec<Tensor>> {
        let plan = self.options.plan::<T>(seed.into())?;
        plan.trainable.iter().map(|(_, b, v)| b.inverse(v)).collect()
    }
    /// Builds the instance from unconstrained values (pass variables' values to train them).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, Normal};
    /// use probrs::params::MakeTrainable;
    /// let s = MakeTrainable::new().stateless::<Normal>()?;
    /// let d = s.apply_fn(&[Tensor::scalar(1.5, DType::F32)?, Tensor::scalar(0.0, DType::F32)?])?;
    /// assert_eq!(d.mean()?.to_scalar()?, 1.5);
    /// assert!(s.apply_fn(&[Tensor::scalar(1.5, DType::F32)?]).is_err()); // one value per parameter
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn apply_fn(&self, values: &[Tensor]) -> Result<T> {
        if values.len() != self.names.len() {
            return Err(Error::InvalidParameter {
                name: "apply_fn".into(),
                reason: format!("expected {} values ({:?}), got {}", self.names.len(), self.names, values.len()),
            });
        }
        let mut params = self.options.fixed.clone();
        for ((name, b), v) in self.names.iter().zip(&self.bijectors).zip(values) {
            params.insert(name, Param::Tensor(b.forward(v)?));
        }
        T::from_parameters(params)
    }
}
