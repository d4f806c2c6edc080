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

/// One Adam update of a variable's elements in place; `c` is `[alpha, beta_1, beta_2, epsilon]`.
/// Compiled twice, the second time for AVX2 where the CPU has it (4 lanes of `sqrt` and `/`
/// instead of SSE2's 2; the same IEEE operations in the same order, so the same bits): the
/// update was a tenth of the VAE's training step.
fn adam_step(x: &mut [f64], g: &[f64], old: [&[f64]; 2], m: &mut [f64], v: &mut [f64], c: [f64; 4]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { adam_step_avx2(x, g, old, m, v, c) };
        return;
    }
    adam_step_portable(x, g, old, m, v, c)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn adam_step_avx2(x: &mut [f64], g: &[f64], old: [&[f64]; 2], m: &mut [f64], v: &mut [f64], c: [f64; 4]) {
    adam_step_portable(x, g, old, m, v, c)
}

#[inline(always)]
fn adam_step_portable(x: &mut [f64], g: &[f64], [m0, v0]: [&[f64]; 2], m: &mut [f64], v: &mut [f64], [alpha, b1, b2, eps]: [f64; 4]) {
    let n = x.len();
    let (g, m0, v0, m, v) = (&g[..n], &m0[..n], &v0[..n], &mut m[..n], &mut v[..n]);
    for i in 0..n {
        let gi = g[i];
        m[i] = b1 * m0[i] + (1.0 - b1) * gi;
        v[i] = b2 * v0[i] + (1.0 - b2) * gi * gi;
        x[i] -= alpha * m[i] / (v[i].sqrt() + eps);
    }
}
impl Optimizer for Adam {
    fn apply_gradients(&mut self, gv: &[(Tensor, Variable)]) -> Result<()> {
        let o = self.options.clone();
        self.slots.apply(gv, if o.amsgrad { 3 } else { 2 }, 0.0, |t, x, g, old, s| {
            let alpha = o.learning_rate * (1.0 - o.beta_2.powi(t as i32)).sqrt() / (1.0 - o.beta_1.powi(t as i32));
            let (b1, b2, eps) = (o.beta_1, o.beta_2, o.epsilon);
            let (m, rest) = s.split_at_mut(1);
            let (v, rest) = rest.split_at_mut(1);
            if o.amsgrad {
                for i in 0..x.len() {
                    m[0][i] = b1 * old[0][i] + (1.0 - b1) * g[i];
                    v[0][i] = b2 * old[1][i] + (1.0 - b2) * g[i] * g[i];
                    rest[0][i] = old[2][i].max(v[0][i]);
                    x[i] -= alpha * m[0][i] / (rest[0][i].sqrt() + eps);
                }
            } else {
                adam_step(x, g, [&old[0], &old[1]], &mut m[0], &mut v[0], [alpha, b1, b2, eps]);
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
