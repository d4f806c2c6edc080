//! `FeatureScaled(kernel, scale_diag σ)`: `k(x/σ, y/σ)` (automatic relevance determination).

use super::kernel::PositiveSemidefiniteKernel;
use crate::error::Result;
use crate::params::{Param, Variable};
use crate::tensor::Tensor;
use std::sync::Arc;

/// A kernel on rescaled features.
///
/// ```
/// use probrs::psd_kernels::{ExponentiatedQuadratic, FeatureScaled, PositiveSemidefiniteKernel};
/// use probrs::tensor::{DType, Tensor};
/// // Scaling the features by 2 is the same as doubling the length scale.
/// let scaled = FeatureScaled::new(ExponentiatedQuadratic::new(None, None), Tensor::vector(&[2.0], DType::F64)?);
/// let wide = ExponentiatedQuadratic::new(None, Some(2.0.into()));
/// let x = Tensor::from_slice(&[0.0, 1.0, 3.0], &[3, 1], DType::F64)?;
/// let (a, b) = (scaled.matrix(&x, &x)?.to_vec()?, wide.matrix(&x, &x)?.to_vec()?);
/// assert!(a.iter().zip(&b).all(|(a, b)| (a - b).abs() < 1e-12));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct FeatureScaled {
    /// The kernel applied to the rescaled features.
    pub kernel: Arc<dyn PositiveSemidefiniteKernel>,
    /// `[d]` (or batch + `[d]`) scales, one per feature.
    pub scale_diag: Param,
}

impl FeatureScaled {
    /// `k(x / scale_diag, y / scale_diag)`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::psd_kernels::{FeatureScaled, Linear, PositiveSemidefiniteKernel};
    /// // x·y on features divided by 2: a quarter of the plain dot product.
    /// let k = FeatureScaled::new(Linear::new(None, None, None), Tensor::vector(&[2.0], DType::F64)?);
    /// let x = Tensor::from_slice(&[2.0], &[1, 1], DType::F64)?;
    /// assert_eq!(k.matrix(&x, &x)?.to_vec()?, vec![1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(kernel: impl PositiveSemidefiniteKernel + 'static, scale_diag: impl Into<Param>) -> Self {
        FeatureScaled { kernel: Arc::new(kernel), scale_diag: scale_diag.into() }
    }
}

impl PositiveSemidefiniteKernel for FeatureScaled {
    fn name(&self) -> &str {
        "FeatureScaled"
    }
    fn matrix(&self, x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
        let s = self.scale_diag.value(x1.dtype())?;
        let s = s.unsqueeze(s.rank() - 1)?; // [..., 1, d] against [..., n, d]
        self.kernel.matrix(&x1.div(&s)?, &x2.div(&s)?)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.kernel.visit_variables(f);
        self.scale_diag.visit_variables(f);
    }
}
