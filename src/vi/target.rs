//! Calling the target log-density on a batch of surrogate draws, with the shape checks every
//! gradient estimator shares (one value per draw, matching the surrogate's log-density).

use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::tensor::Tensor;

/// Calls the target and checks that the surrogate's log-density and the target's value both
/// have one entry per draw (`n` leading).
pub(crate) fn call_target(target: &dyn Fn(&Structure) -> Result<Tensor>, x: &Structure, q_lp: &Tensor, n: usize) -> Result<Tensor> {
    if q_lp.rank() == 0 || q_lp.shape()[0] != n {
        return Err(Error::ShapeMismatch {
            context: format!(
                "surrogate_posterior log_prob of {n} draws ({}): no leading draw dimension (a joint surrogate needs Root sites, or Part::deferred for functions of no earlier site)",
                x.describe()
            ),
            lhs: q_lp.shape().to_vec(),
            rhs: vec![n],
        });
    }
    let t = target(x)?;
    let ok = t.rank() >= 1 && t.shape()[0] == n && crate::tensor::broadcast_shapes(t.shape(), q_lp.shape()).map(|s| s == q_lp.shape()).unwrap_or(false);
    if !ok {
        return Err(Error::ShapeMismatch {
            context: format!("target_log_prob_fn output (one value per draw of {}) vs the surrogate's log_prob", x.describe()),
            lhs: t.shape().to_vec(),
            rhs: q_lp.shape().to_vec(),
        });
    }
    Ok(t)
}
