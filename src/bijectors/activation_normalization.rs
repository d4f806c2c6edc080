//! `ActivationNormalization` (ActNorm; Kingma & Dhariwal 2018, TFP's
//! `tfb.glow.ActivationNormalization`): a per-channel affine map whose parameters are set from
//! the first batch it sees, so that batch comes out with zero mean and unit variance per channel.
//!
//! ```text
//! forward(x) = x / s − m,    inverse(y) = s (y + m),    log |det J_f| = −Σ_c log s_c
//! s = exp(log_scale) (trainable through log_scale), m trainable
//! first call, inverse direction (data y):  s = 1 / (σ + ε),  m = −μ
//! first call, forward direction (data x):  s = σ + ε,        m = μ / s
//! ```
//! `μ, σ` are the batch's per-channel mean and (population) standard deviation over every axis
//! but the last, `ε` ten times the dtype's machine epsilon. The statistics are read from the
//! input without tracking it; afterwards the two variables train like any others.

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};
use crate::variables::Variable;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Activation normalization over the last axis (module doc).
///
/// ```
/// use probrs::bijectors::{ActivationNormalization, Bijector};
/// use probrs::tensor::{DType, Tensor};
/// let an = ActivationNormalization::new(2, DType::F64, "actnorm")?;
/// // Data seen first in the inverse direction comes out standardized per channel.
/// let y = Tensor::from_slice(&[1.0, 10.0, 3.0, 20.0, 5.0, 30.0], &[3, 2], DType::F64)?;
/// let z = an.inverse(&y)?.to_vec()?;
/// assert!((z[0] + 1.224_744_871).abs() < 1e-6 && (z[1] + 1.224_744_871).abs() < 1e-6);
/// assert!(an.initialized());
/// // Afterwards it is a fixed affine map, inverted exactly.
/// let back = an.forward(&an.inverse(&y)?)?.to_vec()?;
/// assert!(back.iter().zip(y.to_vec()?).all(|(a, b)| (a - b).abs() < 1e-9));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct ActivationNormalization {
    shift: Variable,
    log_scale: Variable,
    initialized: Arc<AtomicBool>,
    channels: usize,
}

impl ActivationNormalization {
    /// ActNorm over `channels` channels: `m = 0`, `s = 1` until the first call; variables
    /// `{name}/shift` and `{name}/log_scale`.
    ///
    /// ```
    /// use probrs::bijectors::ActivationNormalization;
    /// use probrs::tensor::DType;
    /// let an = ActivationNormalization::new(3, DType::F32, "an")?;
    /// assert!(!an.initialized());
    /// assert!(ActivationNormalization::new(0, DType::F32, "an").is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(channels: usize, dtype: DType, name: &str) -> Result<Self> {
        if channels == 0 {
            return Err(Error::invalid_parameter("channels", "activation normalization needs at least one channel"));
        }
        Ok(ActivationNormalization {
            shift: Variable::new(&Tensor::zeros(&[channels], dtype)?, format!("{name}/shift"))?,
            log_scale: Variable::new(&Tensor::zeros(&[channels], dtype)?, format!("{name}/log_scale"))?,
            initialized: Arc::new(AtomicBool::new(false)),
            channels,
        })
    }

    /// Whether the data-dependent initialization has run (or was skipped by
    /// [`ActivationNormalization::mark_initialized`]).
    ///
    /// ```
    /// use probrs::bijectors::{ActivationNormalization, Bijector};
    /// use probrs::tensor::{DType, Tensor};
    /// let an = ActivationNormalization::new(1, DType::F64, "an")?;
    /// an.forward(&Tensor::from_slice(&[1.0, 2.0], &[2, 1], DType::F64)?)?;
    /// assert!(an.initialized());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn initialized(&self) -> bool {
        self.initialized.load(Ordering::Acquire)
    }

    /// Skips the data-dependent initialization (for variables restored from a saved fit).
    ///
    /// ```
    /// use probrs::bijectors::{ActivationNormalization, Bijector};
    /// use probrs::tensor::{DType, Tensor};
    /// let an = ActivationNormalization::new(1, DType::F64, "an")?;
    /// an.mark_initialized();
    /// let x = Tensor::from_slice(&[5.0, 7.0], &[2, 1], DType::F64)?;
    /// assert_eq!(an.forward(&x)?.to_vec()?, vec![5.0, 7.0]); // m = 0, s = 1 kept
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn mark_initialized(&self) {
        self.initialized.store(true, Ordering::Release);
    }

    /// Sets `m` and `s` from the first batch (module doc); `inverse` for data in `y` space.
    fn maybe_init(&self, t: &Tensor, inverse: bool) -> Result<()> {
        if self.initialized() {
            return Ok(());
        }
        let c = self.channels;
        if t.rank() == 0 || t.shape()[t.rank() - 1] != c {
            return Err(Error::ShapeMismatch { context: "activation_normalization input channels".into(), lhs: t.shape().to_vec(), rhs: vec![c] });
        }
        let v = t.detach().to_vec()?;
        let rows = v.len() / c;
        if rows == 0 {
            return Err(Error::invalid_shape("activation_normalization input", t.shape(), "needs at least one point for its initialization"));
        }
        let eps = 10.0 * if t.dtype() == DType::F32 { f32::EPSILON as f64 } else { f64::EPSILON };
        let (mut shift, mut log_scale) = (vec![0.0; c], vec![0.0; c]);
        for j in 0..c {
            let mean = (0..rows).map(|i| v[i * c + j]).sum::<f64>() / rows as f64;
            let sd = ((0..rows).map(|i| (v[i * c + j] - mean).powi(2)).sum::<f64>() / rows as f64).sqrt() + eps;
            (shift[j], log_scale[j]) = if inverse { (-mean, -sd.ln()) } else { (mean / sd, sd.ln()) };
        }
        let dtype = self.shift.dtype();
        self.shift.assign(&Tensor::from_slice(&shift, &[c], dtype)?)?;
        self.log_scale.assign(&Tensor::from_slice(&log_scale, &[c], dtype)?)?;
        self.mark_initialized();
        Ok(())
    }

    /// `(m, log s)` in `dtype`.
    fn params(&self, dtype: DType) -> Result<(Tensor, Tensor)> {
        Ok((self.shift.value().to_dtype(dtype)?, self.log_scale.value().to_dtype(dtype)?))
    }
}

impl Bijector for ActivationNormalization {
    fn name(&self) -> &str {
        "activation_normalization"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.maybe_init(x, false)?;
        let (m, log_s) = self.params(x.dtype())?;
        x.mul(&log_s.neg()?.exp()?)?.sub(&m)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        self.maybe_init(y, true)?;
        let (m, log_s) = self.params(y.dtype())?;
        y.add(&m)?.mul(&log_s.exp()?)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        self.maybe_init(x, false)?;
        self.params(x.dtype())?.1.sum_all()?.neg()
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        self.maybe_init(y, true)?;
        self.params(y.dtype())?.1.sum_all()
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        f(&self.shift);
        f(&self.log_scale);
    }
}
