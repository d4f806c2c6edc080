//! Convergence criteria for [`crate::math::minimize`] (TFP's
//! `tfp.optimizer.convergence_criteria`).
//!
//! `minimize` calls [`ConvergenceCriterion::bootstrap`] after the first step and
//! [`ConvergenceCriterion::one_step`] after each later one; convergence is only reported once
//! `step >= min_num_steps`.

use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Decides, step by step, whether an optimization has converged.
pub trait ConvergenceCriterion {
    /// Steps before convergence may be reported.
    fn min_num_steps(&self) -> usize;
    /// Initializes the state from the first step's loss, gradients and parameters.
    fn bootstrap(&mut self, loss: f64, grads: &[Tensor], params: &[Tensor]) -> Result<()>;
    /// Updates the state; returns whether the criterion is met (before `min_num_steps`).
    fn one_step(&mut self, step: usize, loss: f64, grads: &[Tensor], params: &[Tensor]) -> Result<bool>;
    /// The current state, by name (for `trace_fn`).
    fn state(&self) -> Vec<(&'static str, f64)>;
}

/// Converged when an exponential moving average of the per-step decrease in loss drops below
/// `max(atol, rtol · average decrease over the first window_size steps)`.
///
/// ```text
/// decay = 1 − 1/window_size
/// avg[t] = d[t] + decay (avg[t−1] − d[t]),   d[t] = loss[t−1] − loss[t]
/// ```
#[derive(Clone, Debug)]
pub struct LossNotDecreasing {
    /// Converged when the average decrease falls below this absolute tolerance.
    pub atol: Option<f64>,
    /// Converged when the average decrease falls below this fraction of the initial decrease.
    pub rtol: Option<f64>,
    /// The moving average's window (its decay is `(w − 1)/w`).
    pub window_size: usize,
    /// Never report convergence before this step.
    pub min_num_steps: usize,
    previous_loss: f64,
    average_decrease_in_loss: f64,
    average_initial_decrease_in_loss: f64,
}

impl LossNotDecreasing {
    /// At least one of `atol` and `rtol` is required; `window_size` 10 and `min_num_steps` 20
    /// are TFP's defaults.
    pub fn new(atol: Option<f64>, rtol: Option<f64>, window_size: usize, min_num_steps: usize) -> Result<Self> {
        if atol.is_none() && rtol.is_none() {
            return Err(Error::invalid_parameter("atol", "LossNotDecreasing needs at least one of `atol` and `rtol`"));
        }
        if window_size == 0 {
            return Err(Error::invalid_parameter("window_size", "must be positive"));
        }
        Ok(LossNotDecreasing {
            atol,
            rtol,
            window_size,
            min_num_steps,
            previous_loss: f64::NAN,
            average_decrease_in_loss: 0.0,
            average_initial_decrease_in_loss: 0.0,
        })
    }
    /// `atol` only, TFP's default window and minimum.
    pub fn with_atol(atol: f64) -> Self {
        Self::new(Some(atol), None, 10, 20).expect("atol given")
    }
    /// `rtol` only, TFP's default window and minimum.
    pub fn with_rtol(rtol: f64) -> Self {
        Self::new(None, Some(rtol), 10, 20).expect("rtol given")
    }
}

impl ConvergenceCriterion for LossNotDecreasing {
    fn min_num_steps(&self) -> usize {
        self.min_num_steps
    }
    fn bootstrap(&mut self, loss: f64, _: &[Tensor], _: &[Tensor]) -> Result<()> {
        self.previous_loss = loss;
        self.average_decrease_in_loss = 0.0;
        self.average_initial_decrease_in_loss = 0.0;
        Ok(())
    }
    fn one_step(&mut self, step: usize, loss: f64, _: &[Tensor], _: &[Tensor]) -> Result<bool> {
        let decay = 1.0 - 1.0 / self.window_size as f64;
        let d = self.previous_loss - loss;
        let avg = d + decay * (self.average_decrease_in_loss - d);
        let threshold = self.atol.unwrap_or(0.0).max(self.rtol.unwrap_or(0.0) * self.average_initial_decrease_in_loss);
        let converged = avg < threshold;
        self.previous_loss = loss;
        self.average_decrease_in_loss = avg;
        if step <= self.window_size {
            self.average_initial_decrease_in_loss = avg;
        }
        Ok(converged)
    }
    fn state(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("previous_loss", self.previous_loss),
            ("average_decrease_in_loss", self.average_decrease_in_loss),
            ("average_initial_decrease_in_loss", self.average_initial_decrease_in_loss),
        ]
    }
}

/// Converged when successive gradients become uncorrelated: an exponential moving average of
/// the inner product `⟨g[t−1], g[t]⟩` turns negative (Pflug's diagnostic for constant-step
/// SGD). Compares each gradient with the previous step's.
#[derive(Clone, Debug)]
pub struct SuccessiveGradientsAreUncorrelated {
    /// The moving average's window (its decay is `(w − 1)/w`).
    pub window_size: usize,
    /// Never report convergence before this step.
    pub min_num_steps: usize,
    previous: Vec<Vec<f64>>,
    moving_product: f64,
}

impl SuccessiveGradientsAreUncorrelated {
    /// TFP's defaults are `window_size = 10`, `min_num_steps = 20`.
    pub fn new(window_size: usize, min_num_steps: usize) -> Result<Self> {
        if window_size == 0 {
            return Err(Error::invalid_parameter("window_size", "must be positive"));
        }
        Ok(SuccessiveGradientsAreUncorrelated { window_size, min_num_steps, previous: vec![], moving_product: 0.0 })
    }
}

impl Default for SuccessiveGradientsAreUncorrelated {
    fn default() -> Self {
        Self::new(10, 20).expect("valid defaults")
    }
}

fn grads_to_vecs(grads: &[Tensor]) -> Result<Vec<Vec<f64>>> {
    grads.iter().map(|g| g.to_vec()).collect()
}

impl ConvergenceCriterion for SuccessiveGradientsAreUncorrelated {
    fn min_num_steps(&self) -> usize {
        self.min_num_steps
    }
    fn bootstrap(&mut self, _: f64, grads: &[Tensor], _: &[Tensor]) -> Result<()> {
        self.previous = grads_to_vecs(grads)?;
        self.moving_product = 0.0;
        Ok(())
    }
    fn one_step(&mut self, _: usize, _: f64, grads: &[Tensor], _: &[Tensor]) -> Result<bool> {
        let decay = 1.0 - 1.0 / self.window_size as f64;
        let now = grads_to_vecs(grads)?;
        let inner: f64 = self.previous.iter().zip(&now).map(|(a, b)| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>()).sum();
        self.moving_product = inner + decay * (self.moving_product - inner);
        self.previous = now;
        Ok(self.moving_product < 0.0)
    }
    fn state(&self) -> Vec<(&'static str, f64)> {
        vec![("moving_product", self.moving_product)]
    }
}
