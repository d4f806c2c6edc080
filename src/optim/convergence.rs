//! Convergence criteria for [`crate::optim::minimize`] (TFP's
//! `tfp.optimizer.convergence_criteria`).
//!
//! `minimize` calls [`ConvergenceCriterion::bootstrap`] after the first step and
//! [`ConvergenceCriterion::one_step`] after each later one; convergence is only reported once
//! `step >= min_num_steps`.

use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Decides, step by step, whether an optimization has converged.
///
/// ```
/// use probrs::optim::{minimize, trace_loss, Adam, ConvergenceCriterion, MinimizeOptions};
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// /// Stops as soon as the loss is below a threshold.
/// struct Below(f64);
/// impl ConvergenceCriterion for Below {
///     fn min_num_steps(&self) -> usize { 1 }
///     fn bootstrap(&mut self, _: f64, _: &[Tensor], _: &[Tensor]) -> probrs::Result<()> { Ok(()) }
///     fn one_step(&mut self, _: usize, loss: f64, _: &[Tensor], _: &[Tensor]) -> probrs::Result<bool> { Ok(loss < self.0) }
///     fn state(&self) -> Vec<(&'static str, f64)> { vec![("threshold", self.0)] }
/// }
/// let x = Variable::new(&Tensor::scalar(0.0, DType::F64)?, "x")?;
/// let options = MinimizeOptions { convergence_criterion: Some(Box::new(Below(0.5))), ..Default::default() };
/// let run = minimize(|| x.value().add_scalar(-3.0)?.square(), 1000, &mut Adam::new(0.1), options, trace_loss)?;
/// assert!(run.converged && run.num_steps_run < 1000);
/// # Ok::<(), probrs::Error>(())
/// ```
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
///
/// ```
/// use probrs::optim::{minimize, trace_loss, Adam, LossNotDecreasing, MinimizeOptions};
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// // (x − 3)² flattens out near x = 3; the run stops once the loss stops falling by 1e-4 a step.
/// let x = Variable::new(&Tensor::scalar(0.0, DType::F64)?, "x")?;
/// let criterion = LossNotDecreasing::new(Some(1e-4), None, 10, 20)?;
/// let options = MinimizeOptions { convergence_criterion: Some(Box::new(criterion)), ..Default::default() };
/// let run = minimize(|| x.value().add_scalar(-3.0)?.square(), 5000, &mut Adam::new(0.1), options, trace_loss)?;
/// assert!(run.converged && run.num_steps_run < 5000);
/// assert!((x.numpy().to_scalar()? - 3.0).abs() < 0.1);
/// // A window of 0 steps is rejected.
/// assert!(LossNotDecreasing::new(Some(1e-4), None, 0, 20).is_err());
/// # Ok::<(), probrs::Error>(())
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
    ///
    /// ```
    /// use probrs::optim::{ConvergenceCriterion, LossNotDecreasing};
    /// let c = LossNotDecreasing::new(Some(0.01), Some(0.01), 10, 20)?;
    /// assert_eq!(c.min_num_steps(), 20);
    /// assert!(LossNotDecreasing::new(None, None, 10, 20).is_err()); // needs atol or rtol
    /// # Ok::<(), probrs::Error>(())
    /// ```
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
    ///
    /// ```
    /// use probrs::optim::{ConvergenceCriterion, LossNotDecreasing};
    /// assert_eq!(LossNotDecreasing::with_atol(1e-3).min_num_steps(), 20);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_atol(atol: f64) -> Self {
        Self::new(Some(atol), None, 10, 20).expect("atol given")
    }
    /// `rtol` only, TFP's default window and minimum.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::optim::{minimize, trace_loss, Adam, LossNotDecreasing, MinimizeOptions};
    /// use probrs::params::Variable;
    /// // Stop when the loss falls by less than 1% of its early average decrease per step.
    /// let x = Variable::new(&Tensor::scalar(10.0, DType::F64)?, "x")?;
    /// let options = MinimizeOptions { convergence_criterion: Some(Box::new(LossNotDecreasing::with_rtol(0.01))), ..Default::default() };
    /// let run = minimize(|| x.value().square(), 10_000, &mut Adam::new(0.1), options, trace_loss)?;
    /// assert!(run.converged && run.num_steps_run < 10_000);
    /// # Ok::<(), probrs::Error>(())
    /// ```
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
///
/// ```
/// use probrs::optim::{minimize, trace_loss, MinimizeOptions, Sgd, SuccessiveGradientsAreUncorrelated};
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// // Constant-step SGD on a noisy quadratic bounces around the optimum; the gradients' signs then
/// // alternate and the criterion stops the run.
/// let x = Variable::new(&Tensor::scalar(5.0, DType::F64)?, "x")?;
/// let mut k = 0;
/// let criterion = SuccessiveGradientsAreUncorrelated::new(10, 20)?;
/// let options = MinimizeOptions { convergence_criterion: Some(Box::new(criterion)), ..Default::default() };
/// let run = minimize(|| { k += 1; x.value().add_scalar(if k % 2 == 0 { 0.3 } else { -0.3 })?.square() },
///     1000, &mut Sgd::new(0.4), options, trace_loss)?;
/// assert!(run.converged && run.num_steps_run < 1000);
/// assert!(x.numpy().to_scalar()?.abs() < 0.5);
/// # Ok::<(), probrs::Error>(())
/// ```
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
    ///
    /// ```
    /// use probrs::optim::{ConvergenceCriterion, SuccessiveGradientsAreUncorrelated};
    /// assert_eq!(SuccessiveGradientsAreUncorrelated::new(10, 20)?.min_num_steps(), 20);
    /// assert!(SuccessiveGradientsAreUncorrelated::new(0, 20).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
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
