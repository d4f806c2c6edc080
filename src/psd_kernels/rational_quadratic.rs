//! `RationalQuadratic(a, ℓ, α)`: `k = a² (1 + r²/(2αℓ²))^(−α)` (`α = scale_mixture_rate`,
//! default 1).

use super::kernel::{batch_param, check_points, scale_by, squared_distance, squared_or_one, visit_params, PositiveSemidefiniteKernel};
use crate::error::Result;
use crate::params::{Param, Variable};
use crate::tensor::Tensor;

/// A scale mixture of squared-exponential kernels.
#[derive(Clone)]
pub struct RationalQuadratic {
    pub amplitude: Option<Param>,
    pub length_scale: Option<Param>,
    pub scale_mixture_rate: Option<Param>,
}

impl RationalQuadratic {
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
