//! RMSProp, as Keras:
//!
//! ```text
//! r ← ρ r + (1 − ρ) g²              (centered: ḡ ← ρ ḡ + (1 − ρ) g, d = r − ḡ²; else d = r)
//! Δ = lr · g / √(d + ε)
//! x ← x − Δ                          (momentum: p ← μ p + Δ, x ← x − p)
//! ```

use super::optimizer::{Optimizer, Slots};
use crate::error::Result;
use crate::params::Variable;
use crate::tensor::Tensor;

/// RMSProp options (Keras defaults).
///
/// ```
/// use probrs::optim::{Optimizer, RmsProp, RmsPropOptions};
/// let opt = RmsProp::with_options(RmsPropOptions { learning_rate: 0.01, centered: true, ..RmsPropOptions::default() });
/// assert_eq!(opt.learning_rate(), 0.01);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RmsPropOptions {
    /// Step size.
    pub learning_rate: f64,
    /// Decay of the squared-gradient average (0.9).
    pub rho: f64,
    /// Momentum (0: none).
    pub momentum: f64,
    /// Added to the denominator (1e-7, as TF).
    pub epsilon: f64,
    /// Normalize by the gradient's estimated variance instead of its second moment.
    pub centered: bool,
}

impl Default for RmsPropOptions {
    fn default() -> Self {
        RmsPropOptions { learning_rate: 0.001, rho: 0.9, momentum: 0.0, epsilon: 1e-7, centered: false }
    }
}

/// The RMSProp optimizer.
///
/// ```
/// use probrs::optim::{minimize, trace_loss, MinimizeOptions, RmsProp};
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// let x = Variable::new(&Tensor::scalar(0.0, DType::F64)?, "x")?;
/// minimize(|| x.value().add_scalar(-1.0)?.square(), 300, &mut RmsProp::new(0.01), MinimizeOptions::default(), trace_loss)?;
/// assert!((x.numpy().to_scalar()? - 1.0).abs() < 0.05);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct RmsProp {
    /// The hyperparameters.
    pub options: RmsPropOptions,
    slots: Slots,
}

impl RmsProp {
    /// RMSProp with learning rate `lr` and TF's other defaults.
    ///
    /// ```
    /// use probrs::optim::{Optimizer, RmsProp};
    /// assert_eq!(RmsProp::new(0.001).learning_rate(), 0.001);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(lr: f64) -> Self {
        Self::with_options(RmsPropOptions { learning_rate: lr, ..Default::default() })
    }
    /// RMSProp with every hyperparameter given.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::optim::{Optimizer, RmsProp, RmsPropOptions};
    /// use probrs::params::Variable;
    /// let x = Variable::new(&Tensor::scalar(0.0, DType::F64)?, "x")?;
    /// let mut opt = RmsProp::with_options(RmsPropOptions { learning_rate: 0.1, rho: 0.0, epsilon: 0.0, ..Default::default() });
    /// // With ρ = 0 the step is lr · g/|g|.
    /// opt.apply_gradients(&[(Tensor::scalar(5.0, DType::F64)?, x.clone())])?;
    /// assert!((x.numpy().to_scalar()? + 0.1).abs() < 1e-9);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_options(options: RmsPropOptions) -> Self {
        RmsProp { options, slots: Slots::default() }
    }
}

impl Optimizer for RmsProp {
    fn apply_gradients(&mut self, gv: &[(Tensor, Variable)]) -> Result<()> {
        let o = self.options.clone();
        self.slots.apply(gv, 3, 0.0, |_, x, g, old, s| {
            for i in 0..x.len() {
                s[0][i] = o.rho * old[0][i] + (1.0 - o.rho) * g[i] * g[i];
                let d = if o.centered {
                    s[1][i] = o.rho * old[1][i] + (1.0 - o.rho) * g[i];
                    s[0][i] - s[1][i] * s[1][i]
                } else {
                    s[0][i]
                };
                let inc = o.learning_rate * g[i] / (d + o.epsilon).sqrt();
                if o.momentum > 0.0 {
                    s[2][i] = o.momentum * old[2][i] + inc;
                    x[i] -= s[2][i];
                } else {
                    x[i] -= inc;
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
