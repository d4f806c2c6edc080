//! `Linear(bias_amplitude b, slope_amplitude s, shift c)`: `k = b² + s² (x − c)·(y − c)`.

use super::kernel::{batch_param, check_points, visit_params, PositiveSemidefiniteKernel};
use crate::error::Result;
use crate::params::{Param, Variable};
use crate::tensor::{DType, Tensor};

/// The linear (dot-product) kernel.
///
/// ```
/// use probrs::psd_kernels::{Linear, PositiveSemidefiniteKernel};
/// use probrs::tensor::{DType, Tensor};
/// // b² + s² (x − c)(y − c) with b = 1, s = 2, c = 1
/// let k = Linear::new(Some(1.0.into()), Some(2.0.into()), Some(1.0.into()));
/// let x = Tensor::from_slice(&[2.0, 3.0], &[2, 1], DType::F64)?;
/// assert_eq!(k.matrix(&x, &x)?.to_vec()?, vec![5.0, 9.0, 9.0, 17.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Linear {
    /// Bias amplitude `b` (0 when `None`).
    pub bias_amplitude: Option<Param>,
    /// Slope amplitude `s` (1 when `None`).
    pub slope_amplitude: Option<Param>,
    /// Shift `c` (0 when `None`).
    pub shift: Option<Param>,
}

impl Linear {
    /// The linear kernel; `None` takes the defaults.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::psd_kernels::{Linear, PositiveSemidefiniteKernel};
    /// let x = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
    /// assert_eq!(Linear::new(None, None, None).matrix(&x, &x)?.to_vec()?, vec![5.0, 11.0, 11.0, 25.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(bias_amplitude: Option<Param>, slope_amplitude: Option<Param>, shift: Option<Param>) -> Self {
        Linear { bias_amplitude, slope_amplitude, shift }
    }
}

/// `s² (x − c)·(y − c)` as `[..., n, m]`.
pub(crate) fn shifted_dot(x1: &Tensor, x2: &Tensor, slope: &Option<Param>, shift: &Option<Param>, dt: DType) -> Result<Tensor> {
    let (mut a, mut b) = (x1.clone(), x2.clone());
    if let Some(c) = shift {
        // The shift is a batch parameter: broadcast against [..., n, d].
        let c = batch_param(c, dt)?;
        a = a.sub(&c)?;
        b = b.sub(&c)?;
    }
    let mut dot = a.matmul(&b.matrix_transpose()?)?;
    if let Some(s) = slope {
        dot = dot.mul(&batch_param(s, dt)?.square()?)?;
    }
    Ok(dot)
}

impl PositiveSemidefiniteKernel for Linear {
    fn name(&self) -> &str {
        "Linear"
    }
    fn matrix(&self, x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
        let dt = check_points(x1, x2, self.name())?;
        let dot = shifted_dot(x1, x2, &self.slope_amplitude, &self.shift, dt)?;
        match &self.bias_amplitude {
            Some(b) => dot.add(&batch_param(b, dt)?.square()?),
            None => Ok(dot),
        }
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        visit_params(&[&self.bias_amplitude, &self.slope_amplitude, &self.shift], f)
    }
}
