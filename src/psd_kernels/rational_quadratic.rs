//! `RationalQuadratic(a, ℓ, α)`: `k = a² (1 + r²/(2αℓ²))^(−α)` (`α = scale_mixture_rate`,
//! default 1).

use super::kernel::{batch_param, check_points, scale_by, squared_distance, squared_or_one, visit_params, PositiveSemidefiniteKernel};
use crate::error::Result;
use crate::params::{Param, Variable};
use crate::tensor::Tensor;

/// A scale mixture of squared-exponential kernels.
///
/// ```
/// use probrs::psd_kernels::{PositiveSemidefiniteKernel, RationalQuadratic};
/// use probrs::tensor::{DType, Tensor};
/// // a² (1 + r²/(2αℓ²))^(−α) with a = ℓ = 1, α = 2, r = 2: (1 + 1)^(−2)
/// let k = RationalQuadratic::new(None, None, Some(2.0.into()));
/// let x = Tensor::from_slice(&[0.0, 2.0], &[2, 1], DType::F64)?;
/// assert!((k.matrix(&x, &x)?.to_vec()?[1] - 0.25).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct RationalQuadratic {
    /// Amplitude `a` (1 when `None`).
    pub amplitude: Option<Param>,
    /// Length scale `ℓ` (1 when `None`).
    pub length_scale: Option<Param>,
    /// Scale-mixture rate `α` (1 when `None`).
    pub scale_mixture_rate: Option<Param>,
}

impl RationalQuadratic {
    /// The rational quadratic kernel; `None` takes the default 1.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::psd_kernels::{PositiveSemidefiniteKernel, RationalQuadratic};
    /// let x = Tensor::from_slice(&[0.0], &[1, 1], DType::F64)?;
    /// assert_eq!(RationalQuadratic::new(Some(3.0.into()), None, None).matrix(&x, &x)?.to_vec()?, vec![9.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(amplitude: Option<Param>, length_scale: Option<Param>, scale_mixture_rate: Option<Param>) -> Self {
        RationalQuadratic { amplitude, length_scale, scale_mixture_rate }
    }
}

impl PositiveSemidefiniteKernel for RationalQuadratic {
    fn name(&self) -> &str {
        "RationalQuadratic"
    }
    fn matrix(&self, x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
        let dt = check_points(x1, x2, self.name())?;
        let mut q = squared_distance(x1, x2)?.mul_scalar(0.5)?;
        if let Some(l) = &self.length_scale {
            q = q.div(&batch_param(l, dt)?.square()?)?;
        }
        let k = match &self.scale_mixture_rate {
            Some(a) => {
                let a = batch_param(a, dt)?;
                q.div(&a)?.log1p()?.mul(&a)?.neg()?.exp()?
            }
            None => q.add_scalar(1.0)?.recip()?,
        };
        scale_by(squared_or_one(&self.amplitude, dt)?, k)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        visit_params(&[&self.amplitude, &self.length_scale, &self.scale_mixture_rate], f)
    }
}
