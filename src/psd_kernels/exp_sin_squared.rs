//! `ExpSinSquared(a, ℓ, p)`: the periodic kernel `k = a² exp(−2 Σ_i sin²(π (x_i − y_i)/p) / ℓ²)`
//! (TFP's form: the sum runs over feature dimensions).

use super::kernel::{batch_param, check_points, differences, scale_by, squared_or_one, visit_params, PositiveSemidefiniteKernel};
use crate::error::Result;
use crate::params::{Param, Variable};
use crate::tensor::Tensor;

/// The periodic (exp-sine-squared) kernel.
///
/// ```
/// use probrs::psd_kernels::{ExpSinSquared, PositiveSemidefiniteKernel};
/// use probrs::tensor::{DType, Tensor};
/// // Periodic: points one period apart are perfectly correlated.
/// let k = ExpSinSquared::new(Some(2.0.into()), Some(1.0.into()), Some(3.0.into()));
/// let x = Tensor::from_slice(&[0.0, 3.0, 1.5], &[3, 1], DType::F64)?;
/// let m = k.matrix(&x, &x)?.to_vec()?;
/// assert!((m[1] - 4.0).abs() < 1e-12); // k(0, 3) = a²
/// assert!((m[2] - 4.0 * (-2.0f64).exp()).abs() < 1e-12); // half a period: a² exp(−2 sin²(π/2)/ℓ²)
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct ExpSinSquared {
    /// Amplitude `a` (1 when `None`).
    pub amplitude: Option<Param>,
    /// Length scale `ℓ` (1 when `None`).
    pub length_scale: Option<Param>,
    /// Period `p` (1 when `None`).
    pub period: Option<Param>,
}

impl ExpSinSquared {
    /// The periodic kernel; `None` takes the default 1.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::psd_kernels::{ExpSinSquared, PositiveSemidefiniteKernel};
    /// let k = ExpSinSquared::new(None, None, Some(2.0.into()));
    /// let x = Tensor::from_slice(&[0.0, 2.0, 4.0], &[3, 1], DType::F64)?;
    /// assert!(k.matrix(&x, &x)?.to_vec()?.iter().all(|v| (v - 1.0).abs() < 1e-12)); // whole periods apart
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(amplitude: Option<Param>, length_scale: Option<Param>, period: Option<Param>) -> Self {
        ExpSinSquared { amplitude, length_scale, period }
    }
}

impl PositiveSemidefiniteKernel for ExpSinSquared {
    fn name(&self) -> &str {
        "ExpSinSquared"
    }
    fn matrix(&self, x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
        let dt = check_points(x1, x2, self.name())?;
        let mut d = differences(x1, x2)?.mul_scalar(std::f64::consts::PI)?;
        if let Some(p) = &self.period {
            d = d.div(&batch_param(p, dt)?.unsqueeze(p.shape().len() + 2)?)?;
        }
        let mut e = d.sin()?.square()?.sum_last(1)?.mul_scalar(-2.0)?;
        if let Some(l) = &self.length_scale {
            e = e.div(&batch_param(l, dt)?.square()?)?;
        }
        scale_by(squared_or_one(&self.amplitude, dt)?, e.exp()?)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        visit_params(&[&self.amplitude, &self.length_scale, &self.period], f)
    }
}
