//! `ExponentiatedQuadratic(amplitude a, length_scale ℓ)`: `k(x, y) = a² exp(−‖x − y‖²/(2ℓ²))`.

use super::kernel::{batch_param, check_points, scale_by, squared_distance, squared_or_one, visit_params, PositiveSemidefiniteKernel};
use crate::error::Result;
use crate::params::{Param, Variable};
use crate::tensor::Tensor;

/// The squared-exponential (RBF) kernel.
///
/// ```
/// use probrs::psd_kernels::{ExponentiatedQuadratic, PositiveSemidefiniteKernel};
/// use probrs::tensor::{DType, Tensor};
/// // a² exp(−|x − y|² / (2ℓ²))
/// let k = ExponentiatedQuadratic::new(Some(2.0.into()), Some(0.5.into()));
/// let x = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
/// let m = k.matrix(&x, &x)?.to_vec()?;
/// assert!((m[0] - 4.0).abs() < 1e-12);
/// assert!((m[1] - 4.0 * (-2.0f64).exp()).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct ExponentiatedQuadratic {
    /// Amplitude `a` (1 when `None`).
    pub amplitude: Option<Param>,
    /// Length scale `ℓ` (1 when `None`).
    pub length_scale: Option<Param>,
}

impl ExponentiatedQuadratic {
    /// The squared-exponential kernel; `None` takes the default 1.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::psd_kernels::{ExponentiatedQuadratic, PositiveSemidefiniteKernel};
    /// let x = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
    /// let m = ExponentiatedQuadratic::new(None, None).matrix(&x, &x)?.to_vec()?;
    /// assert!((m[1] - (-0.5f64).exp()).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(amplitude: Option<Param>, length_scale: Option<Param>) -> Self {
        ExponentiatedQuadratic { amplitude, length_scale }
    }
}

impl PositiveSemidefiniteKernel for ExponentiatedQuadratic {
    fn name(&self) -> &str {
        "ExponentiatedQuadratic"
    }
    fn matrix(&self, x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
        let dt = check_points(x1, x2, self.name())?;
        // Unbatched points and scalar parameters: one fused node.
        if x1.rank() == 2 && x2.rank() == 2 {
            let scalar = |p: &Option<Param>| -> Result<Option<Tensor>> {
                match p {
                    None => Ok(Some(Tensor::scalar(1.0, dt)?)),
                    Some(p) => {
                        let v = p.value(dt)?;
                        Ok((v.rank() == 0).then_some(v))
                    }
                }
            };
            if let (Some(a), Some(l)) = (scalar(&self.amplitude)?, scalar(&self.length_scale)?) {
                return Tensor::exponentiated_quadratic_matrix(x1, x2, &a, &l);
            }
        }
        let mut e = squared_distance(x1, x2)?.mul_scalar(-0.5)?;
        if let Some(l) = &self.length_scale {
            e = e.div(&batch_param(l, dt)?.square()?)?;
        }
        scale_by(squared_or_one(&self.amplitude, dt)?, e.exp()?)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        visit_params(&[&self.amplitude, &self.length_scale], f)
    }
}
