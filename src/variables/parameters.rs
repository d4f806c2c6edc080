//! `Parameters`: the named parameters and arguments a constructor receives from
//! `make_trainable`, a saved file or a generic builder (`from_parameters`), with the checks
//! every constructor shares (a required parameter, one of two alternatives, nothing left over).

use super::Param;
use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// A non-tensor constructor argument (`reinterpreted_batch_ndims`, `paddings`, ...).
///
/// ```
/// use probrs::distributions::{Distribution, LKJ};
/// use probrs::params::{Arg, MakeTrainable};
/// // LKJ's `dimension` is an integer argument, not a parameter: it is passed through as is.
/// let d: LKJ = MakeTrainable::new().arg("dimension", Arg::Int(3)).seed(0).build()?;
/// assert_eq!(d.event_shape(), vec![3, 3]);
/// assert_eq!(d.trainable_variables().len(), 1); // the concentration
/// // The wrong kind of argument is an error naming it.
/// let err = MakeTrainable::new().arg("dimension", Arg::Str("three".into())).build::<LKJ>().err().unwrap();
/// assert!(err.to_string().contains("dimension"));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum Arg {
    /// An integer (`reinterpreted_batch_ndims`, ...).
    Int(i64),
    /// A number that is not a parameter.
    Float(f64),
    /// A flag.
    Bool(bool),
    /// A list of integers (`paddings`, ...).
    Ints(Vec<i64>),
    /// A string.
    Str(String),
}

/// The arguments a constructor receives from `make_trainable` or a generic builder:
/// parameters by name, other arguments by name, and the dtype.
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::params::{Parameters, Trainable};
/// let d = Normal::from_parameters(Parameters::new().with("loc", 1.0).with("scale", 2.0))?;
/// assert!((d.stddev()?.to_scalar()? - 2.0).abs() < 1e-6);
/// // A name the family does not know is rejected.
/// assert!(Normal::from_parameters(Parameters::new().with("loc", 1.0).with("scale", 2.0).with("rate", 1.0)).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Parameters {
    params: BTreeMap<String, Param>,
    args: BTreeMap<String, Arg>,
    /// Optional instance name.
    pub name: Option<String>,
    /// Turn on argument validation (TFP's `validate_args`).
    pub validate_args: bool,
}

impl Parameters {
    /// No parameters yet.
    ///
    /// ```
    /// use probrs::params::Parameters;
    /// let p = Parameters::new();
    /// assert!(!p.contains("loc") && p.name.is_none());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a parameter.
    ///
    /// ```
    /// use probrs::params::Parameters;
    /// let p = Parameters::new().with("loc", 0.0);
    /// assert!(p.contains("loc"));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with(mut self, name: &str, p: impl Into<Param>) -> Self {
        self.params.insert(name.into(), p.into());
        self
    }
    /// Adds a non-tensor argument.
    ///
    /// ```
    /// use probrs::params::{Arg, Parameters};
    /// assert!(Parameters::new().with_arg("dimension", Arg::Int(3)).contains("dimension"));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_arg(mut self, name: &str, a: Arg) -> Self {
        self.args.insert(name.into(), a);
        self
    }
    /// Adds (or replaces) a parameter in place.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::params::{Param, Parameters};
    /// let mut p = Parameters::new().with("loc", 0.0);
    /// p.insert("loc", Param::from(2.0)); // replaces
    /// assert_eq!(p.take("loc").unwrap().values_f64(DType::F64)?, vec![2.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn insert(&mut self, name: &str, p: Param) {
        self.params.insert(name.into(), p);
    }
    /// Whether a parameter or argument of that name was given.
    ///
    /// ```
    /// use probrs::params::Parameters;
    /// assert!(!Parameters::new().contains("scale"));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn contains(&self, name: &str) -> bool {
        self.params.contains_key(name) || self.args.contains_key(name)
    }
    /// Removes and returns a parameter.
    ///
    /// ```
    /// use probrs::params::Parameters;
    /// let mut p = Parameters::new().with("rate", 2.0);
    /// assert!(p.take("rate").is_some());
    /// assert!(p.take("rate").is_none()); // consumed
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn take(&mut self, name: &str) -> Option<Param> {
        self.params.remove(name)
    }
    /// Removes and returns a parameter that the family requires.
    ///
    /// ```
    /// use probrs::params::Parameters;
    /// let mut p = Parameters::new();
    /// let err = p.take_required("rate", "Poisson").unwrap_err();
    /// assert!(err.to_string().contains("rate") && err.to_string().contains("Poisson"));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn take_required(&mut self, name: &str, family: &str) -> Result<Param> {
        self.take(name).ok_or_else(|| Error::invalid_parameter(name, format!("{family} requires `{name}`")))
    }
    /// Removes exactly one of two alternative parameterizations (`logits` or `probs`, `rate` or
    /// `log_rate`); an error naming the family and both names when neither or both are given.
    ///
    /// ```
    /// use probrs::params::{OneOf, Parameters};
    /// let mut p = Parameters::new().with("probs", 0.25);
    /// assert!(matches!(p.take_one_of("logits", "probs", "Bernoulli")?, OneOf::Second(_)));
    /// let mut both = Parameters::new().with("logits", 0.0).with("probs", 0.5);
    /// let err = both.take_one_of("logits", "probs", "Bernoulli").err().unwrap();
    /// assert!(err.to_string().contains("exactly one of `logits` and `probs`"));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn take_one_of(&mut self, first: &str, second: &str, family: &str) -> Result<OneOf> {
        match (self.take(first), self.take(second)) {
            (Some(a), None) => Ok(OneOf::First(a)),
            (None, Some(b)) => Ok(OneOf::Second(b)),
            _ => Err(Error::invalid_parameter(first, format!("{family} needs exactly one of `{first}` and `{second}`"))),
        }
    }
    /// Removes and returns a non-tensor argument.
    ///
    /// ```
    /// use probrs::params::{Arg, Parameters};
    /// let mut p = Parameters::new().with_arg("validate", Arg::Bool(true));
    /// assert!(matches!(p.take_arg("validate"), Some(Arg::Bool(true))));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn take_arg(&mut self, name: &str) -> Option<Arg> {
        self.args.remove(name)
    }
    /// Fails naming the first argument the constructor did not consume.
    ///
    /// ```
    /// use probrs::params::Parameters;
    /// assert!(Parameters::new().finish("Normal").is_ok());
    /// let err = Parameters::new().with("sigma", 1.0).finish("Normal").unwrap_err();
    /// assert!(err.to_string().contains("sigma"));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn finish(self, family: &str) -> Result<()> {
        if let Some(k) = self.params.keys().chain(self.args.keys()).next() {
            return Err(Error::UnknownParameter { name: k.clone(), family: family.into() });
        }
        Ok(())
    }
}

/// Which of two alternative parameters was given ([`Parameters::take_one_of`]).
///
/// ```
/// use probrs::params::{OneOf, Parameters};
/// let mut p = Parameters::new().with("log_rate", 0.0);
/// let given = match p.take_one_of("rate", "log_rate", "Poisson")? {
///     OneOf::First(_) => "rate",
///     OneOf::Second(_) => "log_rate",
/// };
/// assert_eq!(given, "log_rate");
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum OneOf {
    /// The first name's parameter (e.g. `logits`).
    First(Param),
    /// The second name's parameter (e.g. `probs`).
    Second(Param),
}
