//! `FeatureScaled(kernel, scale_diag σ)`: `k(x/σ, y/σ)` (automatic relevance determination).

use super::kernel::PositiveSemidefiniteKernel;
use crate::error::Result;
use crate::params::{Param, Variable};
use crate::tensor::Tensor;
use std::sync::Arc;

/// A kernel on rescaled features.
#[derive(Clone)]
pub struct FeatureScaled {
    pub kernel: Arc<dyn PositiveSemidefiniteKernel>,
    /// `[d]` (or batch + `[d]`) scales, one per feature.
    pub scale_diag: Param,
}

impl FeatureScaled {
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
