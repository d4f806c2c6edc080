//! `DType`: the two float element types, float32 and float64, with their names and machine epsilons.

use crate::error::{Error, Result};
use std::fmt;

/// Floating-point element type of a [`Tensor`](super::Tensor).
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// let t = Tensor::scalar(0.1, DType::F32)?;
/// assert_eq!(t.dtype(), DType::F32);
/// assert_eq!(DType::F64.name(), "float64");
/// // float32 keeps float32's precision: 0.1 is not exactly 0.1.
/// assert_eq!(t.to_scalar()?, 0.1f32 as f64);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// IEEE single precision (TFP's default).
    F32,
    /// IEEE double precision.
    F64,
}

impl DType {
    /// Machine epsilon (`np.finfo(dtype).eps`).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(DType::F32.eps(), f32::EPSILON as f64);
    /// assert_eq!(DType::F64.eps(), f64::EPSILON);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn eps(self) -> f64 {
        match self {
            DType::F32 => f32::EPSILON as f64,
            DType::F64 => f64::EPSILON,
        }
    }
    /// The numpy name: `float32` or `float64`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(DType::F32.name(), "float32");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }
    /// Parses `float32` / `float64` (also `f32` / `f64`).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(DType::parse("float64")?, DType::F64);
    /// assert!(DType::parse("int8").is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "float32" | "f32" => Ok(DType::F32),
            "float64" | "f64" => Ok(DType::F64),
            _ => Err(Error::invalid_parameter("dtype", format!("unknown dtype `{s}`"))),
        }
    }
    pub(crate) fn to_candle(self) -> candle_core::DType {
        match self {
            DType::F32 => candle_core::DType::F32,
            DType::F64 => candle_core::DType::F64,
        }
    }
    pub(crate) fn from_candle(d: candle_core::DType) -> Result<Self> {
        match d {
            candle_core::DType::F32 => Ok(DType::F32),
            candle_core::DType::F64 => Ok(DType::F64),
            other => Err(Error::DTypeMismatch {
                context: "tensor facade".into(),
                lhs: format!("{other:?}"),
                rhs: "float32 or float64".into(),
            }),
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
