//! The `Optimizer` trait and the slot bookkeeping shared by Adam, SGD, RMSProp and Adagrad.
//!
//! Updates are all-or-nothing: every variable's new value is computed first and checked to be
//! finite; only then are the variables written and the slots committed. A non-finite update
//! leaves every variable and every slot as it was and names the variable.

use crate::error::{Error, Result};
use crate::params::Variable;
use crate::tensor::Tensor;
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
#[derive(Default, Clone)]
pub(crate) struct Slots {
    map: HashMap<TensorId, Vec<Vec<f64>>>,
    pub iterations: u64,
}

impl Slots {
    /// Runs `rule(t, x, g, slots)` for every variable (t = 1-based step), then commits.
    pub(crate) fn apply(
        &mut self,
        grads_and_vars: &[(Tensor, Variable)],
        num_slots: usize,
        init: f64,
        mut rule: impl FnMut(u64, &mut [f64], &[f64], &mut [Vec<f64>]),
    ) -> Result<()> {
        let t = self.iterations + 1;
        let mut pending = Vec::with_capacity(grads_and_vars.len());
        for (g, v) in grads_and_vars {
            if g.shape() != v.shape() {
                return Err(Error::ShapeMismatch { context: format!("gradient of `{}`", v.name()), lhs: v.shape().to_vec(), rhs: g.shape().to_vec() });
            }
            let mut x = v.value().to_vec()?;
            let gv = g.to_vec()?;
            let mut s = self.map.get(&v.id()).cloned().unwrap_or_else(|| vec![vec![init; x.len()]; num_slots]);
            rule(t, &mut x, &gv, &mut s);
            if x.iter().any(|z| !z.is_finite()) {
                return Err(Error::NonFinite { what: "updated value".into(), step: t as usize - 1, variable: Some(v.name().into()) });
            }
            pending.push((v, x, s));
        }
        for (v, x, s) in pending {
            v.assign(&Tensor::from_slice(&x, v.shape(), v.dtype())?)?;
            self.map.insert(v.id(), s);
        }
        self.iterations = t;
        Ok(())
    }
}
