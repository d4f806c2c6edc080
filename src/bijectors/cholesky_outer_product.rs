//! `CholeskyOuterProduct`: `Y = L Lᵀ` for lower-triangular `L` with positive diagonal; the
//! inverse is the Cholesky factorization.
//! `log|det J| = n log 2 + Σ_{i=1}^{n} (n − i + 1) log L_ii`.

use super::Bijector;
use crate::error::Result;
use crate::tensor::Tensor;

/// Cholesky factors to symmetric positive-definite matrices.
///
/// ```
/// use probrs::bijectors::{Bijector, CholeskyOuterProduct};
/// use probrs::tensor::{DType, Tensor};
/// let l = Tensor::from_slice(&[2.0, 0.0, 1.0, 3.0], &[2, 2], DType::F64)?;
/// let b = CholeskyOuterProduct::new();
/// let s = b.forward(&l)?;
/// assert_eq!(s.to_vec()?, vec![4.0, 2.0, 2.0, 10.0]);
/// let back = b.inverse(&s)?.to_vec()?;
/// assert!(back.iter().zip([2.0, 0.0, 1.0, 3.0]).all(|(a, b)| (a - b).abs() < 1e-12));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct CholeskyOuterProduct;

impl CholeskyOuterProduct {
    /// The bijector `L ↦ L Lᵀ`.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, CholeskyOuterProduct};
    /// assert_eq!(CholeskyOuterProduct::new().forward_min_event_ndims(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new() -> Self {
        CholeskyOuterProduct
    }
}

impl Bijector for CholeskyOuterProduct {
    fn name(&self) -> &str {
        "cholesky_outer_product"
    }
    fn forward_min_event_ndims(&self) -> usize {
        2
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let l = x.band_lower()?;
        l.matmul(&l.matrix_transpose()?)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        y.cholesky()
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        let n = x.shape()[x.rank() - 1];
        let coeffs: Vec<f64> = (0..n).map(|i| (n - i) as f64).collect();
        let c = Tensor::vector(&coeffs, x.dtype())?;
        x.diag_part()?.abs()?.log()?.mul(&c)?.sum_last(1)?.add_scalar(n as f64 * std::f64::consts::LN_2)
    }
}
