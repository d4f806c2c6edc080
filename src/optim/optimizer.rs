//! The `Optimizer` trait and the slot bookkeeping shared by Adam, SGD, RMSProp and Adagrad.
//!
//! Updates are all-or-nothing: every variable's new value is computed first and checked to be
//! finite; only then are the variables written and the slots committed. A non-finite update
//! leaves every variable and every slot as it was and names the variable.

use crate::error::{Error, Result};
use crate::params::Variable;
use crate::tensor::{DType, Tensor};
use candle_core::TensorId;
use std::collections::HashMap;

/// A first-order optimizer (Keras's `Optimizer.apply_gradients`).
///
/// ```
/// use probrs::optim::{Optimizer, Sgd};
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// // Any optimizer updates variables from (gradient, variable) pairs.
/// fn one_step(opt: &mut dyn Optimizer, v: &Variable, g: f64) -> probrs::Result<()> {
///     opt.apply_gradients(&[(Tensor::scalar(g, DType::F64)?, v.clone())])
/// }
/// let v = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "v")?;
/// let mut sgd = Sgd::new(0.5);
/// one_step(&mut sgd, &v, 2.0)?;
/// assert_eq!(v.numpy().to_scalar()?, 0.0);
/// assert_eq!(sgd.iterations(), 1);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait Optimizer {
    /// Applies one update to each variable from its gradient.
    fn apply_gradients(&mut self, grads_and_vars: &[(Tensor, Variable)]) -> Result<()>;
    /// Number of updates applied so far.
    fn iterations(&self) -> u64;
    /// The (base) learning rate.
    fn learning_rate(&self) -> f64;
}

/// Per-variable state vectors ("slots") and the shared update driver.
///
/// Each variable keeps two sets of slot vectors: the committed ones, which the rule reads, and
/// a scratch set it writes, swapped in on commit; so a step neither clones, copies nor
/// allocates slot state (the clone per variable and step was an eighth of the VAE's training
/// step, the copy back into scratch 3%).
#[derive(Default, Clone)]
pub(crate) struct Slots {
    map: HashMap<TensorId, SlotState>,
    pub iterations: u64,
    /// Reused buffers for a variable's value and gradient in float64 (no allocation per step).
    x: Vec<f64>,
    g: Vec<f64>,
}

#[derive(Clone)]
struct SlotState {
    committed: Vec<Vec<f64>>,
    scratch: Vec<Vec<f64>>,
}

impl Slots {
    /// Runs `rule(t, x, g, old, new)` for every variable (t = 1-based step; `old` the committed
    /// slots, `new` the ones to write; a slot the rule never writes keeps its initial value),
    /// then commits.
    pub(crate) fn apply(
        &mut self,
        grads_and_vars: &[(Tensor, Variable)],
        num_slots: usize,
        init: f64,
        mut rule: impl FnMut(u64, &mut [f64], &[f64], &[Vec<f64>], &mut [Vec<f64>]),
    ) -> Result<()> {
        let t = self.iterations + 1;
        let mut pending = Vec::with_capacity(grads_and_vars.len());
        for (g, v) in grads_and_vars {
            if g.shape() != v.shape() {
                return Err(Error::ShapeMismatch { context: format!("gradient of `{}`", v.name()), lhs: v.shape().to_vec(), rhs: g.shape().to_vec() });
            }
            v.value().read_f64_into(&mut self.x)?;
            g.read_f64_into(&mut self.g)?;
            let (x, gv) = (&mut self.x, &self.g);
            let n = x.len();
            // A new variable's state starts at `init`; entering it before the commit is
            // harmless, as that is its state whether or not this step lands.
            let state = self.map.entry(v.id()).or_insert_with(|| SlotState { committed: vec![vec![init; n]; num_slots], scratch: vec![vec![init; n]; num_slots] });
            rule(t, x, gv, &state.committed, &mut state.scratch);
            // Finite in the variable's own dtype: an f32 variable overflows past f32::MAX. One
            // pass converts and checks (a fold without early exit, so it vectorizes).
            let (value, finite) = match v.dtype() {
                DType::F32 => {
                    let out: Vec<f32> = x.iter().map(|z| *z as f32).collect();
                    let finite = out.iter().fold(true, |a, z| a & z.is_finite());
                    (Tensor::from_f32s(out, v.shape())?, finite)
                }
                DType::F64 => (Tensor::from_slice(x, v.shape(), DType::F64)?, x.iter().fold(true, |a, z| a & z.is_finite())),
            };
            if !finite {
                return Err(Error::NonFinite { what: "updated value".into(), step: t as usize - 1, variable: Some(v.name().into()) });
            }
            pending.push((v, value));
        }
        let mut committed = Vec::with_capacity(pending.len());
        for (v, x) in pending {
            v.assign(&x)?;
            // A variable listed twice commits its last update once.
            if !committed.contains(&v.id()) {
                if let Some(state) = self.map.get_mut(&v.id()) {
                    std::mem::swap(&mut state.committed, &mut state.scratch);
                }
                committed.push(v.id());
            }
        }
        self.iterations = t;
        Ok(())
    }
}
