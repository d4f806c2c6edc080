//! Sums and products of kernels (TFP's `k1 + k2`, `k1 * k2`).

use super::kernel::PositiveSemidefiniteKernel;
use crate::error::{Error, Result};
use crate::params::Variable;
use crate::tensor::Tensor;
use std::sync::Arc;

/// `Σ k_i`.
#[derive(Clone)]
pub struct SumKernel {
    pub kernels: Vec<Arc<dyn PositiveSemidefiniteKernel>>,
}

/// `Π k_i`.
#[derive(Clone)]
pub struct ProductKernel {
    pub kernels: Vec<Arc<dyn PositiveSemidefiniteKernel>>,
}

impl SumKernel {
    pub fn new(kernels: Vec<Arc<dyn PositiveSemidefiniteKernel>>) -> Result<Self> {
        if kernels.is_empty() {
            return Err(Error::invalid_parameter("kernels", "SumKernel needs at least one kernel"));
        }
        Ok(SumKernel { kernels })
    }
}

impl ProductKernel {
    pub fn new(kernels: Vec<Arc<dyn PositiveSemidefiniteKernel>>) -> Result<Self> {
        if kernels.is_empty() {
            return Err(Error::invalid_parameter("kernels", "ProductKernel needs at least one kernel"));
        }
        Ok(ProductKernel { kernels })
    }
}

fn combine(kernels: &[Arc<dyn PositiveSemidefiniteKernel>], x1: &Tensor, x2: &Tensor, op: fn(&Tensor, &Tensor) -> Result<Tensor>) -> Result<Tensor> {
    let mut acc = kernels[0].matrix(x1, x2)?;
    for k in &kernels[1..] {
        acc = op(&acc, &k.matrix(x1, x2)?)?;
    }
    Ok(acc)
}

impl PositiveSemidefiniteKernel for SumKernel {
    fn name(&self) -> &str {
        "SumKernel"
    }
    fn matrix(&self, x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
        combine(&self.kernels, x1, x2, |a, b| a.add(b))
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.kernels.iter().for_each(|k| k.visit_variables(f))
    }
}

impl PositiveSemidefiniteKernel for ProductKernel {
    fn name(&self) -> &str {
        "ProductKernel"
    }
    fn matrix(&self, x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
        combine(&self.kernels, x1, x2, |a, b| a.mul(b))
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.kernels.iter().for_each(|k| k.visit_variables(f))
    }
}
