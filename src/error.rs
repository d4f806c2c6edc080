//! The crate-level error type: one enum, structured variants, no panics on user input.

use thiserror::Error;

/// Every fallible probrs operation returns this error.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::Error;
/// // Bad input is a typed error naming the culprit, never a panic.
/// match Normal::new(0.0, -1.0) {
///     Err(Error::InvalidParameter { name, reason }) => {
///         assert_eq!(name, "scale");
///         assert!(reason.contains("positive"));
///     }
///     _ => panic!("expected an invalid-parameter error"),
/// }
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Debug, Error)]
pub enum Error {
    /// A parameter value is outside its domain (e.g. a negative `scale` with `validate_args`).
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Two shapes that must agree (or broadcast) do not.
    #[error("shape mismatch in {context}: {lhs:?} vs {rhs:?}")]
    ShapeMismatch {
        /// Where the shapes met.
        context: String,
        /// The first shape.
        lhs: Vec<usize>,
        /// The second shape.
        rhs: Vec<usize>,
    },

    /// A tensor argument has the wrong shape for an operation.
    #[error("invalid shape for {what}: {shape:?} ({reason})")]
    InvalidShape {
        /// The argument.
        what: String,
        /// Its shape.
        shape: Vec<usize>,
        /// What was expected.
        reason: String,
    },

    /// Two dtypes that must agree do not.
    #[error("dtype mismatch in {context}: {lhs} vs {rhs}")]
    DTypeMismatch {
        /// Where the dtypes met.
        context: String,
        /// The first dtype.
        lhs: String,
        /// The second dtype.
        rhs: String,
    },

    /// A method the family does not define (TFP raises `NotImplementedError`).
    #[error("{method} is not defined for {family}")]
    NotDefined {
        /// The distribution or bijector.
        family: String,
        /// The method.
        method: String,
    },

    /// A loss, gradient or parameter turned NaN or infinite during a fit.
    #[error("non-finite {what} at step {step}{}", variable.as_ref().map(|v| format!(" (variable `{v}`)")).unwrap_or_default())]
    NonFinite {
        /// The quantity (loss, gradient, update).
        what: String,
        /// The 0-based step.
        step: usize,
        /// The variable concerned, if one.
        variable: Option<String>,
    },

    /// A trainable variable received no gradient from the loss.
    #[error("variable `{variable}` received no gradient: the loss does not depend on it")]
    NoGradient {
        /// The variable's name.
        variable: String,
    },

    /// A linear-algebra failure: the matrix is not positive definite, singular, ...
    #[error("linear algebra error in {op}: {reason}")]
    LinearAlgebra {
        /// The operation.
        op: String,
        /// What failed (with the matrix size and jitter where known).
        reason: String,
    },

    /// Unknown parameter name given to `make_trainable` or a constructor.
    #[error("unknown parameter `{name}` for {family}")]
    UnknownParameter {
        /// The name given.
        name: String,
        /// The family or bijector.
        family: String,
    },

    /// Malformed input data (files, JSON, CSV); names the location.
    #[error("bad input {location}: {reason}")]
    BadInput {
        /// Where: a file, `file:line:column`, a family, a model.
        location: String,
        /// What is wrong there.
        reason: String,
    },

    /// A file that could not be read or written; names the path.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },

    /// A failure on one rank of a distributed run (MPI, or ranks on threads), reported on every
    /// rank with that rank's own message, so none waits for the others.
    #[error("rank {rank}: {reason}")]
    Rank {
        /// The rank that failed.
        rank: usize,
        /// Its error, as it printed it.
        reason: String,
    },

    /// An error from the tensor engine.
    #[error("tensor backend: {0}")]
    Backend(candle_core::Error),
}

impl From<candle_core::Error> for Error {
    /// Keeps the engine's message and drops the backtrace it captures when `RUST_BACKTRACE` is
    /// set (which would otherwise become part of every one-line error message).
    fn from(mut e: candle_core::Error) -> Self {
        while let candle_core::Error::WithBacktrace { inner, .. } = e {
            e = *inner;
        }
        Error::Backend(e)
    }
}

/// `Result` with the crate's [`Error`](enum@Error).
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::tensor::Tensor;
/// fn density_at_zero(scale: f64) -> probrs::Result<f64> {
///     let d = Normal::new(0.0, scale)?;
///     d.prob(&Tensor::scalar(0.0, d.dtype())?)?.to_scalar()
/// }
/// assert!(density_at_zero(1.0)? > 0.39);
/// assert!(density_at_zero(0.0).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An [`Error::InvalidParameter`] naming the parameter.
    ///
    /// ```
    /// use probrs::Error;
    /// let e = Error::invalid_parameter("rate", "must be positive, got -1");
    /// assert!(matches!(&e, Error::InvalidParameter { name, .. } if name == "rate"));
    /// assert!(e.to_string().contains("rate"));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn invalid_parameter(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidParameter { name: name.into(), reason: reason.into() }
    }
    pub(crate) fn not_defined(family: impl Into<String>, method: impl Into<String>) -> Self {
        Error::NotDefined { family: family.into(), method: method.into() }
    }
    /// An [`Error::InvalidShape`] naming what has the shape.
    ///
    /// ```
    /// use probrs::Error;
    /// let e = Error::invalid_shape("loc", &[2, 3], "expected a vector");
    /// assert!(e.to_string().contains("loc") && e.to_string().contains("[2, 3]"));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn invalid_shape(what: impl Into<String>, shape: &[usize], reason: impl Into<String>) -> Self {
        Error::InvalidShape { what: what.into(), shape: shape.to_vec(), reason: reason.into() }
    }
}
