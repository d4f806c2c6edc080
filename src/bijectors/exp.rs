//! `Exp`: `y = exp(x)`; `log|dy/dx| = x`.

use super::Bijector;
use crate::error::Result;
use crate::tensor::Tensor;

/// The exponential map onto the positive reals.
#[derive(Clone, Debug, Default)]
pub struct Exp;

impl Exp {
    pub fn new() -> Self {
        Exp
    }
}

impl Bijector for Exp {
    fn name(&self) -> &str {
        "exp"
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.exp()
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        y.log()
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.clone())
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        y.log()?.neg()
    }
}
