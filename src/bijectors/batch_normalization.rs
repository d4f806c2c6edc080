//! `BatchNormalization` (Ioffe and Szegedy 2015; TFP's `tfb.BatchNormalization`, as used between
//! the layers of a normalizing flow by Dinh et al. 2017 and Papamakarios et al. 2017): the
//! inverse (data → latent) normalizes each feature of the last axis, the forward undoes it.
//!
//! ```text
//! inverse  x = (y − μ) / √(σ² + ε) · γ + β
//! forward  y = (x − β) / γ · √(σ² + ε) + μ
//! log |det ∂x/∂y| = Σ_features [ log |γ| − ½ log(σ² + ε) ]
//! ```
//!
//! `γ` (scale) and `β` (center) are trainable. In training mode the inverse uses the batch's own
//! mean and (biased) variance over every axis but the last — gradients flow through them — and
//! updates the moving averages Keras's way, `m ← momentum · m + (1 − momentum) · batch`; the
//! forward, its log-det and every pass outside training mode use the moving statistics. So in
//! training mode forward and inverse are not exact inverses of each other, as in TFP.
//! Defaults as Keras's layer: momentum 0.99, ε = 1e-3, moving mean 0 and variance 1.

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};
use crate::variables::Variable;
use std::sync::{Arc, Mutex};

/// The bijector (module doc).
///
/// ```
/// use probrs::bijectors::{BatchNormalization, Bijector};
/// use probrs::tensor::{DType, Tensor};
/// let bn = BatchNormalization::new(2, DType::F64)?;
/// let y = Tensor::from_slice(&[1.0, 10.0, 3.0, 30.0], &[2, 2], DType::F64)?;
/// // Training: each feature normalized by the batch's mean and variance.
/// let x = bn.inverse(&y)?.to_vec()?;
/// let s = (1.0f64 + 1e-3).sqrt();
/// assert!((x[0] + 1.0 / s).abs() < 1e-12 && (x[2] - 1.0 / s).abs() < 1e-12);
/// // ... and the moving averages took one step toward the batch's statistics.
/// assert!((bn.moving_mean().to_vec()?[1] - 0.01 * 20.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct BatchNormalization {
    beta: Variable,
    gamma: Variable,
    /// `(moving mean, moving variance)`, shared by clones (one layer, as in Keras).
    moving: Arc<Mutex<(Tensor, Tensor)>>,
    momentum: f64,
    epsilon: f64,
    training: bool,
    event_size: usize,
}

impl BatchNormalization {
    /// Batch normalization of `event_size` features, in training mode, with Keras's defaults
    /// (γ = 1, β = 0, momentum 0.99, ε = 1e-3).
    ///
    /// ```
    /// use probrs::bijectors::{BatchNormalization, Bijector};
    /// use probrs::tensor::DType;
    /// assert_eq!(BatchNormalization::new(3, DType::F32)?.trainable_variables().len(), 2);
    /// assert!(BatchNormalization::new(0, DType::F32).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(event_size: usize, dtype: DType) -> Result<Self> {
        if event_size == 0 {
            return Err(Error::invalid_parameter("event_size", "batch normalization needs at least one feature"));
        }
        let beta = Variable::new(&Tensor::zeros(&[event_size], dtype)?, "batch_normalization/beta")?;
        let gamma = Variable::new(&Tensor::ones(&[event_size], dtype)?, "batch_normalization/gamma")?;
        let moving = Arc::new(Mutex::new((Tensor::zeros(&[event_size], dtype)?, Tensor::ones(&[event_size], dtype)?)));
        Ok(BatchNormalization { beta, gamma, moving, momentum: 0.99, epsilon: 1e-3, training: true, event_size })
    }

    /// The same layer in training mode (`true`) or inference mode (`false`: the inverse uses the
    /// moving statistics and leaves them alone). The statistics and variables are shared.
    ///
    /// ```
    /// use probrs::bijectors::{BatchNormalization, Bijector};
    /// use probrs::tensor::{DType, Tensor};
    /// let bn = BatchNormalization::new(1, DType::F64)?.with_training(false);
    /// let x = Tensor::from_slice(&[0.5, -2.0], &[2, 1], DType::F64)?;
    /// let back = bn.inverse(&bn.forward(&x)?)?.to_vec()?;
    /// assert!(back.iter().zip([0.5, -2.0]).all(|(a, b)| (a - b).abs() < 1e-12));
    /// assert_eq!(bn.moving_mean().to_vec()?, vec![0.0]); // inference leaves the statistics
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_training(mut self, training: bool) -> Self {
        self.training = training;
        self
    }

    /// Keras's `momentum` (in `[0, 1]`) and `epsilon` (positive) instead of 0.99 and 1e-3.
    ///
    /// ```
    /// use probrs::bijectors::BatchNormalization;
    /// use probrs::tensor::DType;
    /// assert!(BatchNormalization::new(2, DType::F64)?.with_momentum_and_epsilon(0.9, 1e-5).is_ok());
    /// assert!(BatchNormalization::new(2, DType::F64)?.with_momentum_and_epsilon(0.9, 0.0).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_momentum_and_epsilon(mut self, momentum: f64, epsilon: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&momentum) {
            return Err(Error::invalid_parameter("momentum", format!("must lie in [0, 1], got {momentum}")));
        }
        if !(epsilon > 0.0 && epsilon.is_finite()) {
            return Err(Error::invalid_parameter("epsilon", format!("must be positive and finite (σ² + ε must stay invertible), got {epsilon}")));
        }
        self.momentum = momentum;
        self.epsilon = epsilon;
        Ok(self)
    }

    /// The moving mean of each feature.
    ///
    /// ```
    /// use probrs::bijectors::BatchNormalization;
    /// use probrs::tensor::DType;
    /// assert_eq!(BatchNormalization::new(2, DType::F64)?.moving_mean().to_vec()?, vec![0.0, 0.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn moving_mean(&self) -> Tensor {
        self.stats().0
    }

    /// The moving variance of each feature.
    ///
    /// ```
    /// use probrs::bijectors::BatchNormalization;
    /// use probrs::tensor::DType;
    /// assert_eq!(BatchNormalization::new(2, DType::F64)?.moving_variance().to_vec()?, vec![1.0, 1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn moving_variance(&self) -> Tensor {
        self.stats().1
    }

    fn stats(&self) -> (Tensor, Tensor) {
        // A poisoned lock still holds the last statistics written whole (each write is one
        // assignment of both tensors).
        let g = self.moving.lock().unwrap_or_else(|e| e.into_inner());
        (g.0.clone(), g.1.clone())
    }

    /// The event's features on the last axis, and an invertible γ (no zero scale).
    fn check(&self, t: &Tensor) -> Result<Tensor> {
        if t.rank() == 0 || t.shape()[t.rank() - 1] != self.event_size {
            return Err(Error::ShapeMismatch { context: "batch_normalization: the last axis vs the number of features".into(), lhs: t.shape().to_vec(), rhs: vec![self.event_size] });
        }
        let gamma = self.gamma.value();
        if let Some(j) = gamma.to_vec()?.iter().position(|g| *g == 0.0 || !g.is_finite()) {
            return Err(Error::invalid_parameter("gamma", format!("batch_normalization is not invertible: feature {j}'s scale γ is zero or not finite")));
        }
        Ok(gamma)
    }

    /// `(x, log|det ∂x/∂y|)` for data `y`, updating the moving statistics when `update` (and
    /// training).
    fn normalize(&self, y: &Tensor, update: bool) -> Result<(Tensor, Tensor)> {
        let gamma = self.check(y)?;
        let (mean, var) = if self.training {
            let axes: Vec<usize> = (0..y.rank() - 1).collect();
            if axes.is_empty() {
                return Err(Error::invalid_shape("batch_normalization", y.shape(), "training mode needs a batch axis to take statistics over"));
            }
            let mean = y.mean_axes(&axes, false)?;
            let var = y.sub(&mean)?.square()?.mean_axes(&axes, false)?;
            if update {
                let mut g = self.moving.lock().unwrap_or_else(|e| e.into_inner());
                let m = self.momentum;
                let new_mean = g.0.affine(m, 0.0)?.add(&mean.detach().affine(1.0 - m, 0.0)?)?;
                let new_var = g.1.affine(m, 0.0)?.add(&var.detach().affine(1.0 - m, 0.0)?)?;
                *g = (new_mean, new_var);
            }
            (mean, var)
        } else {
            self.stats()
        };
        let scale = var.add_scalar(self.epsilon)?;
        let x = y.sub(&mean)?.div(&scale.sqrt()?)?.mul(&gamma)?.add(&self.beta.value())?;
        let ildj = gamma.abs()?.log()?.sub(&scale.log()?.affine(0.5, 0.0)?)?.sum_all()?;
        Ok((x, ildj.broadcast_to(&y.shape()[..y.rank() - 1])?))
    }
}

impl Bijector for BatchNormalization {
    fn name(&self) -> &str {
        "batch_normalization"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let gamma = self.check(x)?;
        let (mean, var) = self.stats();
        x.sub(&self.beta.value())?.div(&gamma)?.mul(&var.add_scalar(self.epsilon)?.sqrt()?)?.add(&mean)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        Ok(self.normalize(y, true)?.0)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        // Always the moving statistics, as TFP (`use_saved_statistics=True`).
        let gamma = self.check(x)?;
        let var = self.stats().1;
        let fldj = var.add_scalar(self.epsilon)?.log()?.affine(0.5, 0.0)?.sub(&gamma.abs()?.log()?)?.sum_all()?;
        fldj.broadcast_to(&x.shape()[..x.rank() - 1])
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        Ok(self.normalize(y, false)?.1)
    }
    fn inverse_and_inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<(Tensor, Tensor)> {
        // One set of batch statistics for both, the moving averages updated once.
        self.normalize(y, true)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        f(&self.beta);
        f(&self.gamma);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Training-mode log-det: against the Jacobian of the normalization by finite differences
    /// would need the batch statistics' own derivatives; the closed form is checked instead,
    /// and inference mode's round trip and log-dets against each other.
    #[test]
    fn log_dets_match_the_closed_form_and_zero_gamma_is_refused() {
        let bn = BatchNormalization::new(2, DType::F64).unwrap();
        let y = Tensor::from_slice(&[1.0, 2.0, 3.0, 6.0, 5.0, 1.0], &[3, 2], DType::F64).unwrap();
        let (_, ildj) = bn.inverse_and_inverse_log_det_jacobian(&y, 1).unwrap();
        // Batch variances 8/3 and 14/3.
        let want = -0.5 * ((8.0f64 / 3.0 + 1e-3).ln() + (14.0f64 / 3.0 + 1e-3).ln());
        assert!(ildj.to_vec().unwrap().iter().all(|v| (v - want).abs() < 1e-12));
        let inf = bn.clone().with_training(false);
        let x = inf.inverse(&y).unwrap();
        let f = inf.forward_log_det_jacobian(&x, 1).unwrap().to_vec().unwrap();
        let i = inf.inverse_log_det_jacobian(&y, 1).unwrap().to_vec().unwrap();
        assert!(f.iter().zip(&i).all(|(a, b)| (a + b).abs() < 1e-12));
        bn.gamma.assign(&Tensor::vector(&[1.0, 0.0], DType::F64).unwrap()).unwrap();
        let e = bn.inverse(&y).unwrap_err().to_string();
        assert!(e.contains("gamma") && e.contains("feature 1"), "{e}");
        // A lone event in training mode has no batch to take statistics over.
        assert!(BatchNormalization::new(2, DType::F64).unwrap().inverse(&Tensor::vector(&[1.0, 2.0], DType::F64).unwrap()).is_err());
    }
}
