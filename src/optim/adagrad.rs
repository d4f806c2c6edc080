//! Adagrad, as Keras: `a ← a + g²; x ← x − lr · g / √(a + ε)`, with `a` starting at
//! `initial_accumulator_value` (0.1).

use super::optimizer::{Optimizer, Slots};
use crate::error::Result;
use crate::params::Variable;
use crate::tensor::Tensor;

/// Adagrad options (Keras defaults).
///
/// ```
/// use probrs::optim::{Adagrad, AdagradOptions, Optimizer};
/// let opt = Adagrad::with_options(AdagradOptions { learning_rate: 0.5, ..AdagradOptions::default() });
/// assert_eq!(opt.learning_rate(), 0.5);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct AdagradOptions {
    /// Step size.
    pub learning_rate: f64,
    /// Starting value of the squared-gradient sums (0.1, as TF).
    pub initial_accumulator_value: f64,
    /// Added to the denominator (1e-7, as TF).
    pub epsilon: f64,
}

impl Default for AdagradOptions {
    fn default() -> Self {
        AdagradOptions { learning_rate: 0.001, initial_accumulator_value: 0.1, epsilon: 1e-7 }
    }
}

/// The Adagrad optimizer.
///
/// ```
/// use probrs::optim::{Adagrad, Optimizer};
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// let x = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "x")?;
/// let mut opt = Adagrad::new(0.1);
/// // The first step of Adagrad moves by lr · g/√(initial accumulator + g²).
/// opt.apply_gradients(&[(Tensor::scalar(2.0, DType::F64)?, x.clone())])?;
/// let expected = 1.0 - 0.1 * 2.0 / (0.1f64 + 4.0).sqrt();
/// assert!((x.numpy().to_scalar()? - expected).abs() < 1e-6);
/// assert_eq!(opt.iterations(), 1);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Adagrad {
    /// The hyperparameters.
    pub options: AdagradOptions,
    slots: Slots,
}

impl Adagrad {
    /// Adagrad with learning rate `lr` and TF's other defaults.
    ///
    /// ```
    /// use probrs::optim::{Adagrad, Optimizer};
    /// let opt = Adagrad::new(0.5);
    /// assert_eq!((opt.learning_rate(), opt.iterations()), (0.5, 0));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(lr: f64) -> Self {
        Self::with_options(AdagradOptions { learning_rate: lr, ..Default::default() })
    }
    /// Adagrad with every hyperparameter given.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::optim::{Adagrad, AdagradOptions, Optimizer};
    /// use probrs::params::Variable;
    /// // A large initial accumulator damps the first step: lr · g / √(acc + g²).
    /// let x = Variable::new(&Tensor::scalar(0.0, DType::F64)?, "x")?;
    /// let mut opt = Adagrad::with_options(AdagradOptions { learning_rate: 1.0, initial_accumulator_value: 99.0, ..Default::default() });
    /// opt.apply_gradients(&[(Tensor::scalar(1.0, DType::F64)?, x.clone())])?;
    /// assert!((x.numpy().to_scalar()? + 0.1).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_options(options: AdagradOptions) -> Self {
        Adagrad { options, slots: Slots::default() }
    }
}

impl Optimizer for Adagrad {
    fn apply_gradients(&mut self, gv: &[(Tensor, Variable)]) -> Result<()> {
        let o = self.options.clone();
        self.slots.apply(gv, 1, o.initial_accumulator_value, |_, x, g, old, new| {
            for i in 0..x.len() {
                new[0][i] = old[0][i] + g[i] * g[i];
                x[i] -= o.learning_rate * g[i] / (new[0][i] + o.epsilon).sqrt();
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
