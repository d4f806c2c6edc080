//! Sums and products of kernels (TFP's `k1 + k2`, `k1 * k2`).

use super::kernel::PositiveSemidefiniteKernel;
use crate::error::{Error, Result};
use crate::params::Variable;
use crate::tensor::Tensor;
use std::sync::Arc;

/// `Σ k_i`.
///
/// ```
/// use probrs::psd_kernels::{Constant, Linear, PositiveSemidefiniteKernel, SumKernel};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// // 1 + x·y
/// let k = SumKernel::new(vec![Arc::new(Constant::new(1.0)), Arc::new(Linear::new(None, None, None))])?;
/// let x = Tensor::from_slice(&[2.0, 3.0], &[2, 1], DType::F64)?;
/// assert_eq!(k.matrix(&x, &x)?.to_vec()?, vec![5.0, 7.0, 7.0, 10.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct SumKernel {
    /// The summed kernels.
    pub kernels: Vec<Arc<dyn PositiveSemidefiniteKernel>>,
}

/// `Π k_i`.
///
/// ```
/// use probrs::psd_kernels::{Constant, Linear, PositiveSemidefiniteKernel, ProductKernel};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// // 2 · x·y
/// let k = ProductKernel::new(vec![Arc::new(Constant::new(2.0)), Arc::new(Linear::new(None, None, None))])?;
/// let x = Tensor::from_slice(&[2.0, 3.0], &[2, 1], DType::F64)?;
/// assert_eq!(k.matrix(&x, &x)?.to_vec()?, vec![8.0, 12.0, 12.0, 18.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct ProductKernel {
    /// The multiplied kernels.
    pub kernels: Vec<Arc<dyn PositiveSemidefiniteKernel>>,
}

impl SumKernel {
    /// The sum of `kernels` (at least one).
    ///
    /// ```
    /// use probrs::psd_kernels::SumKernel;
    /// assert!(SumKernel::new(vec![]).is_err()); // at least one kernel
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(kernels: Vec<Arc<dyn PositiveSemidefiniteKernel>>) -> Result<Self> {
        if kernels.is_empty() {
            return Err(Error::invalid_parameter("kernels", "SumKernel needs at least one kernel"));
        }
        Ok(SumKernel { kernels })
    }
}

impl ProductKernel {
    /// The product of `kernels` (at least one).
    ///
    /// ```
    /// use probrs::psd_kernels::ProductKernel;
    /// assert!(ProductKernel::new(vec![]).is_err()); // at least one kernel
    /// # Ok::<(), probrs::Error>(())
    /// ```
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
