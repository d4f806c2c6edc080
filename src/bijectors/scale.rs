//! `Scale`: `y = scale · x`; constant Jacobian, `log|dy/dx| = log|scale|`.

use super::bijector::param_for;
use super::Bijector;
use crate::error::{Error, Result};
use crate::variables::{Param, Parameters, Variable};
use super::{ParameterProperties, Trainable};
use crate::tensor::{DType, Mask, Tensor};

/// Elementwise scaling.
///
/// ```
/// use probrs::bijectors::{Bijector, Scale};
/// use probrs::tensor::{DType, Tensor};
/// let b = Scale::new(2.5)?;
/// let x = Tensor::vector(&[1.0, -2.0], DType::F64)?;
/// assert_eq!(b.forward(&x)?.to_vec()?, vec![2.5, -5.0]);
/// // event_ndims = 1 sums the constant log|2.5| over the 2 elements
/// assert!((b.forward_log_det_jacobian(&x, 1)?.to_scalar()? - 2.0 * 2.5f64.ln()).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Scale {
    scale: Param,
}

impl Scale {
    /// `scale` must be non-zero.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Scale};
    /// let b = Scale::new(-2.0)?;
    /// let x = Tensor::scalar(1.5, DType::F64)?;
    /// assert_eq!(b.forward(&x)?.to_scalar()?, -3.0);
    /// assert!((b.forward_log_det_jacobian(&x, 0)?.to_scalar()? - 2f64.ln()).abs() < 1e-12); // log |−2|
    /// assert!(Scale::new(0.0).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(scale: impl Into<Param>) -> Result<Self> {
        let scale = scale.into();
        if let Param::Scalar(v) = scale {
            if v == 0.0 || !v.is_finite() {
                return Err(Error::invalid_parameter("scale", format!("must be finite and non-zero, got {v}")));
            }
        }
        Ok(Scale { scale })
    }
    /// The scale parameter.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::Scale;
    /// assert_eq!(Scale::new(3.0)?.scale().values_f64(DType::F64)?, vec![3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn scale(&self) -> &Param {
        &self.scale
    }
}

impl Bijector for Scale {
    fn name(&self) -> &str {
        "scale"
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        Ok(Some(self.scale.value(self.scale.dtype().unwrap_or(DType::F64))?.gt_scalar(0.0)?))
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.mul(&param_for(&self.scale, x)?)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        y.div(&param_for(&self.scale, y)?)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        param_for(&self.scale, x)?.abs()?.log()
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        param_for(&self.scale, y)?.abs()?.log()?.neg()
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.scale.visit_variables(f);
    }
}

impl Trainable for Scale {
    const NAME: &'static str = "Scale";
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![("scale", ParameterProperties::default())]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let b = Scale::new(p.take_required("scale", Self::NAME)?)?;
        p.finish(Self::NAME)?;
        Ok(b)
    }
}
