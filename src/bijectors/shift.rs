//! `Shift`: `y = x + shift`; constant Jacobian, `log|dy/dx| = 0`.

use super::bijector::param_for;
use super::Bijector;
use crate::error::Result;
use crate::variables::{Param, Parameters, Variable};
use super::{ParameterProperties, Trainable};
use crate::tensor::{DType, Mask, Tensor};

/// Elementwise translation.
///
/// ```
/// use probrs::bijectors::{Bijector, Shift};
/// use probrs::tensor::{DType, Tensor};
/// let b = Shift::new(Tensor::vector(&[1.0, -1.0], DType::F64)?);
/// let x = Tensor::vector(&[0.5, 0.5], DType::F64)?;
/// assert_eq!(b.forward(&x)?.to_vec()?, vec![1.5, -0.5]);
/// assert_eq!(b.forward_log_det_jacobian(&x, 1)?.to_scalar()?, 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Shift {
    shift: Param,
}

impl Shift {
    /// `y = x + shift` (broadcast).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Shift};
    /// assert_eq!(Shift::new(-1.0).forward(&Tensor::scalar(1.0, DType::F64)?)?.to_scalar()?, 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(shift: impl Into<Param>) -> Self {
        Shift { shift: shift.into() }
    }
}

impl Bijector for Shift {
    fn name(&self) -> &str {
        "shift"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.add(&param_for(&self.shift, x)?)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        y.sub(&param_for(&self.shift, y)?)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        x.scalar_like(0.0)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        y.scalar_like(0.0)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.shift.visit_variables(f);
    }
}

impl Trainable for Shift {
    const NAME: &'static str = "Shift";
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![("shift", ParameterProperties::default())]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let b = Shift::new(p.take_required("shift", Self::NAME)?);
        p.finish(Self::NAME)?;
        Ok(b)
    }
}
