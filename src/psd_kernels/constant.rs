//! `Constant(c)`: `k(x, y) = c` for every pair.

use super::kernel::{batch_param, check_points, PositiveSemidefiniteKernel};
use crate::error::Result;
use crate::params::{Param, Variable};
use crate::tensor::Tensor;

/// The constant kernel.
///
/// ```
/// use probrs::psd_kernels::{Constant, PositiveSemidefiniteKernel};
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::zeros(&[3, 2], DType::F64)?;
/// let k = Constant::new(0.5).matrix(&x, &x)?;
/// assert_eq!(k.shape(), &[3, 3]);
/// assert!(k.to_vec()?.iter().all(|&v| v == 0.5));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Constant {
    /// The constant value `c ≥ 0`.
    pub constant: Param,
}

impl Constant {
    /// `k(x, y) = constant`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::psd_kernels::{Constant, PositiveSemidefiniteKernel};
    /// let x = Tensor::zeros(&[2, 1], DType::F64)?;
    /// assert_eq!(Constant::new(3.0).apply(&x, &x)?.to_vec()?, vec![3.0, 3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(constant: impl Into<Param>) -> Self {
        Constant { constant: constant.into() }
    }
}

impl PositiveSemidefiniteKernel for Constant {
    fn name(&self) -> &str {
        "Constant"
    }
    fn matrix(&self, x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
        let dt = check_points(x1, x2, self.name())?;
        // Zeros of the pairwise shape plus the constant.
        let z = x1.sum_last(1)?.unsqueeze(x1.rank() - 1)?.mul_scalar(0.0)?.add(&x2.sum_last(1)?.unsqueeze(x2.rank() - 2)?.mul_scalar(0.0)?)?;
        z.add(&batch_param(&self.constant, dt)?)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.constant.visit_variables(f)
    }
}
