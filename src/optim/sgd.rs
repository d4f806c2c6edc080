//! Stochastic gradient descent with optional (Nesterov) momentum, as Keras:
//!
//! ```text
//! plain:     x ← x − lr g
//! momentum:  u ← μ u − lr g;  x ← x + u            (Nesterov: x ← x + μ u − lr g)
//! ```

use super::optimizer::{Optimizer, Slots};
use crate::error::Result;
use crate::params::Variable;
use crate::tensor::Tensor;

/// SGD options.
///
/// ```
/// use probrs::optim::{Optimizer, Sgd, SgdOptions};
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// let x = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "x")?;
/// let mut opt = Sgd::with_options(SgdOptions { learning_rate: 0.1, momentum: 0.9, ..SgdOptions::default() });
/// let g = Tensor::scalar(1.0, DType::F64)?;
/// opt.apply_gradients(&[(g.clone(), x.clone())])?; // velocity −0.1
/// opt.apply_gradients(&[(g, x.clone())])?; // velocity −0.09 − 0.1
/// assert!((x.numpy().to_scalar()? - (1.0 - 0.1 - 0.19)).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SgdOptions {
    /// Step size.
    pub learning_rate: f64,
    /// Momentum (0: plain gradient descent).
    pub momentum: f64,
    /// Nesterov's look-ahead momentum.
    pub nesterov: bool,
}

impl Default for SgdOptions {
    fn default() -> Self {
        SgdOptions { learning_rate: 0.01, momentum: 0.0, nesterov: false }
    }
}

/// The SGD optimizer.
///
/// ```
/// use probrs::optim::{Optimizer, Sgd};
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// let x = Variable::new(&Tensor::vector(&[1.0, 2.0], DType::F64)?, "x")?;
/// Sgd::new(0.5).apply_gradients(&[(Tensor::vector(&[2.0, -2.0], DType::F64)?, x.clone())])?;
/// assert_eq!(x.numpy().to_vec()?, vec![0.0, 3.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Sgd {
    /// The hyperparameters.
    pub options: SgdOptions,
    slots: Slots,
}

impl Sgd {
    /// Gradient descent with learning rate `lr`, no momentum.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::optim::{Optimizer, Sgd};
    /// use probrs::params::Variable;
    /// let x = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "x")?;
    /// Sgd::new(0.1).apply_gradients(&[(Tensor::scalar(2.0, DType::F64)?, x.clone())])?;
    /// assert!((x.numpy().to_scalar()? - 0.8).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(lr: f64) -> Self {
        Self::with_options(SgdOptions { learning_rate: lr, ..Default::default() })
    }
    /// Gradient descent with every hyperparameter given.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::optim::{Optimizer, Sgd, SgdOptions};
    /// use probrs::params::Variable;
    /// // Nesterov momentum: the step looks ahead along the velocity.
    /// let x = Variable::new(&Tensor::scalar(0.0, DType::F64)?, "x")?;
    /// let mut opt = Sgd::with_options(SgdOptions { learning_rate: 0.1, momentum: 0.5, nesterov: true });
    /// opt.apply_gradients(&[(Tensor::scalar(1.0, DType::F64)?, x.clone())])?;
    /// assert!((x.numpy().to_scalar()? + 0.15).abs() < 1e-12); // −lr·g + momentum·(−lr·g)
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_options(options: SgdOptions) -> Self {
        Sgd { options, slots: Slots::default() }
    }
}

impl Optimizer for Sgd {
    fn apply_gradients(&mut self, gv: &[(Tensor, Variable)]) -> Result<()> {
        let o = self.options.clone();
        self.slots.apply(gv, 1, 0.0, |_, x, g, old, new| {
            let u = &mut new[0];
            for i in 0..x.len() {
                if o.momentum == 0.0 {
                    x[i] -= o.learning_rate * g[i];
                } else {
                    u[i] = o.momentum * old[0][i] - o.learning_rate * g[i];
                    x[i] += if o.nesterov { o.momentum * u[i] - o.learning_rate * g[i] } else { u[i] };
                }
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
