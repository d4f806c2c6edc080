//! Adam, in TF/Keras's formulation:
//!
//! ```text
//! m ← β₁ m + (1 − β₁) g          v ← β₂ v + (1 − β₂) g²
//! α_t = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)
//! x ← x − α_t · m / (√v + ε)     (ε = 1e-7; with amsgrad, v̂ = max(v̂, v) replaces v)
//! ```

use super::optimizer::{Optimizer, Slots};
use crate::error::Result;
use crate::params::Variable;
use crate::tensor::Tensor;

/// Adam options (Keras defaults).
///
/// ```
/// use probrs::optim::{Adam, AdamOptions, Optimizer};
/// let opt = Adam::with_options(AdamOptions { learning_rate: 0.01, amsgrad: true, ..AdamOptions::default() });
/// assert_eq!(opt.learning_rate(), 0.01);
/// assert_eq!(AdamOptions::default().beta_1, 0.9);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct AdamOptions {
    /// Step size (TF's default 0.001).
    pub learning_rate: f64,
    /// Decay of the first-moment estimate (0.9).
    pub beta_1: f64,
    /// Decay of the second-moment estimate (0.999).
    pub beta_2: f64,
    /// Added to the denominator (1e-7, as TF).
    pub epsilon: f64,
    /// Use the AMSGrad variant (the running maximum of the second moment).
    pub amsgrad: bool,
}

impl Default for AdamOptions {
    fn default() -> Self {
        AdamOptions { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false }
    }
}

/// The Adam optimizer.
///
/// ```
/// use probrs::optim::{Adam, Optimizer};
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// let x = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "x")?;
/// let mut opt = Adam::new(0.1);
/// // Adam's first step moves each coordinate by about lr, whatever the gradient's size.
/// opt.apply_gradients(&[(Tensor::scalar(250.0, DType::F64)?, x.clone())])?;
/// assert!((x.numpy().to_scalar()? - 0.9).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Adam {
    /// The hyperparameters.
    pub options: AdamOptions,
    slots: Slots,
}

impl Adam {
    /// Adam with learning rate `lr` and Keras's other defaults.
    ///
    /// ```
    /// use probrs::optim::{Adam, Optimizer};
    /// assert_eq!(Adam::new(0.1).learning_rate(), 0.1);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(lr: f64) -> Self {
        Self::with_options(AdamOptions { learning_rate: lr, ..Default::default() })
    }
    /// Adam with every hyperparameter given.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::optim::{Adam, AdamOptions, Optimizer};
    /// use probrs::params::Variable;
    /// let x = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "x")?;
    /// let mut opt = Adam::with_options(AdamOptions { learning_rate: 0.5, ..AdamOptions::default() });
    /// opt.apply_gradients(&[(Tensor::scalar(-3.0, DType::F64)?, x.clone())])?;
    /// assert!((x.numpy().to_scalar()? - 1.5).abs() < 1e-6); // the first step has size lr
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_options(options: AdamOptions) -> Self {
        Adam { options, slots: Slots::default() }
    }
}

impl Optimizer for Adam {
    fn apply_gradients(&mut self, gv: &[(Tensor, Variable)]) -> Result<()> {
        let o = self.options.clone();
        self.slots.apply(gv, if o.amsgrad { 3 } else { 2 }, 0.0, |t, x, g, s| {
            let alpha = o.learning_rate * (1.0 - o.beta_2.powi(t as i32)).sqrt() / (1.0 - o.beta_1.powi(t as i32));
            let (m, rest) = s.split_at_mut(1);
            let (v, rest) = rest.split_at_mut(1);
            let (m, v) = (&mut m[0], &mut v[0]);
            for i in 0..x.len() {
                m[i] = o.beta_1 * m[i] + (1.0 - o.beta_1) * g[i];
                v[i] = o.beta_2 * v[i] + (1.0 - o.beta_2) * g[i] * g[i];
                let denom = if o.amsgrad {
                    rest[0][i] = rest[0][i].max(v[i]);
                    rest[0][i]
                } else {
                    v[i]
                };
                x[i] -= alpha * m[i] / (denom.sqrt() + o.epsilon);
            }
        })
    }
    fn iterations(&self) -> u64 {
        self.slots.iterations
    }
    fn learning_rate(&self) -> f64 {
        self.options.learning_rate
    }
}
