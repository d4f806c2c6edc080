//! An observed series with its missing steps (TFP's `MaskedTimeSeries`): what fitting,
//! forecasting and the queries take. NaN marks a missing value; infinite values are rejected
//! with the step named; a series with no observed value cannot be fitted.

use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

/// A univariate series `[T, 1]` and its mask (`true`: missing).
///
/// ```
/// use probrs::sts::ObservedTimeSeries;
/// use probrs::tensor::{DType, Tensor};
/// let y = ObservedTimeSeries::new(&Tensor::vector(&[1.0, f64::NAN, 3.0], DType::F64)?)?;
/// assert_eq!((y.num_timesteps(), y.mask()), (3, &[false, true, false][..]));
/// assert!(ObservedTimeSeries::new(&Tensor::vector(&[1.0, f64::INFINITY], DType::F64)?).is_err_and(|e| e.to_string().contains("step 1")));
/// assert!(ObservedTimeSeries::new(&Tensor::vector(&[f64::NAN; 4], DType::F64)?).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ObservedTimeSeries {
    values: Tensor,
    mask: Vec<bool>,
}

impl ObservedTimeSeries {
    /// A series `[T]` or `[T, 1]`, NaN where missing.
    ///
    /// ```
    /// use probrs::sts::ObservedTimeSeries;
    /// use probrs::tensor::{DType, Tensor};
    /// let y = ObservedTimeSeries::new(&Tensor::from_slice(&[1.0, 2.0], &[2, 1], DType::F64)?)?;
    /// assert_eq!(y.values().shape(), &[2, 1]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(series: &Tensor) -> Result<Self> {
        let v = match series.shape() {
            [_] | [_, 1] => series.to_vec()?,
            s => return Err(Error::invalid_shape("observed_time_series", s, "expected a univariate series [T] or [T, 1]")),
        };
        ObservedTimeSeries::with_mask(series, v.iter().map(|x| x.is_nan()).collect())
    }

    /// A series with an explicit mask (`true`: missing; masked values are ignored, NaN or not).
    ///
    /// ```
    /// use probrs::sts::ObservedTimeSeries;
    /// use probrs::tensor::{DType, Tensor};
    /// let y = ObservedTimeSeries::with_mask(&Tensor::vector(&[1.0, 99.0], DType::F64)?, vec![false, true])?;
    /// assert!(y.values().to_vec()?[1].is_nan());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_mask(series: &Tensor, mask: Vec<bool>) -> Result<Self> {
        let v = match series.shape() {
            [_] | [_, 1] => series.to_vec()?,
            s => return Err(Error::invalid_shape("observed_time_series", s, "expected a univariate series [T] or [T, 1]")),
        };
        if mask.len() != v.len() {
            return Err(Error::ShapeMismatch { context: "observed_time_series mask vs the series".into(), lhs: vec![mask.len()], rhs: vec![v.len()] });
        }
        if v.is_empty() {
            return Err(Error::invalid_parameter("observed_time_series", "the series is empty"));
        }
        let mut clean = Vec::with_capacity(v.len());
        for (t, (x, m)) in v.iter().zip(&mask).enumerate() {
            if *m {
                clean.push(f64::NAN);
            } else if !x.is_finite() {
                return Err(Error::NonFinite { what: "observed_time_series value (NaN marks a missing value; infinities are rejected)".into(), step: t, variable: None });
            } else {
                clean.push(*x);
            }
        }
        if mask.iter().all(|m| *m) {
            return Err(Error::invalid_parameter("observed_time_series", format!("all {} values are missing: there is nothing to fit or forecast from", v.len())));
        }
        Ok(ObservedTimeSeries { values: Tensor::from_slice(&clean, &[v.len(), 1], series.dtype())?, mask })
    }

    /// The values `[T, 1]`, NaN where missing.
    ///
    /// ```
    /// use probrs::sts::ObservedTimeSeries;
    /// use probrs::tensor::{DType, Tensor};
    /// let y = ObservedTimeSeries::new(&Tensor::vector(&[1.0, f64::NAN], DType::F64)?)?;
    /// assert!(y.values().to_vec()?[1].is_nan());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn values(&self) -> &Tensor {
        &self.values
    }

    /// `true` where missing.
    ///
    /// ```
    /// use probrs::sts::ObservedTimeSeries;
    /// use probrs::tensor::{DType, Tensor};
    /// let y = ObservedTimeSeries::new(&Tensor::vector(&[f64::NAN, 1.0], DType::F64)?)?;
    /// assert_eq!(y.mask(), &[true, false]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn mask(&self) -> &[bool] {
        &self.mask
    }

    /// `T`.
    ///
    /// ```
    /// use probrs::sts::ObservedTimeSeries;
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(ObservedTimeSeries::new(&Tensor::vector(&[1.0, 2.0, 3.0], DType::F64)?)?.num_timesteps(), 3);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn num_timesteps(&self) -> usize {
        self.mask.len()
    }

    /// The values' dtype.
    ///
    /// ```
    /// use probrs::sts::ObservedTimeSeries;
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(ObservedTimeSeries::new(&Tensor::vector(&[1.0], DType::F32)?)?.dtype(), DType::F32);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn dtype(&self) -> DType {
        self.values.dtype()
    }
}
