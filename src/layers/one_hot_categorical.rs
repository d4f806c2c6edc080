//! TFP's `tfp.layers.OneHotCategorical(event_size)`: `event_size` logits become a one-hot
//! categorical distribution (`params_size = event_size`).

use crate::distributions::OneHotCategorical as Dist;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

use super::independent::{check_params, DistributionLayer};

/// The layer.
///
/// ```
/// use probrs::distributions::Distribution;
/// use probrs::layers::{DistributionLayer, OneHotCategorical};
/// use probrs::tensor::{DType, Tensor};
/// let layer = OneHotCategorical::new(3)?;
/// let d = layer.distribution(&Tensor::from_slice(&[0.0, 0.0, 0.0], &[1, 3], DType::F64)?)?;
/// let p = d.log_prob(&Tensor::from_slice(&[0.0, 1.0, 0.0], &[1, 3], DType::F64)?)?.to_vec()?;
/// assert!((p[0] + 3f64.ln()).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct OneHotCategorical {
    event_size: usize,
}

impl OneHotCategorical {
    /// The layer for `event_size` classes.
    ///
    /// ```
    /// assert!(probrs::layers::OneHotCategorical::new(0).is_err());
    /// ```
    pub fn new(event_size: usize) -> Result<Self> {
        if event_size == 0 {
            return Err(Error::invalid_parameter("event_size", "OneHotCategorical needs at least one class"));
        }
        Ok(OneHotCategorical { event_size })
    }
}

impl DistributionLayer for OneHotCategorical {
    type Output = Dist;

    fn params_size(&self) -> usize {
        self.event_size
    }

    fn distribution(&self, params: &Tensor) -> Result<Dist> {
        check_params(&format!("OneHotCategorical({})", self.event_size), params, self.event_size)?;
        Dist::from_logits(params.clone())
    }
}
