//! A target over constrained parameters seen from unconstrained space, for NUTS: each state
//! part `x_k = f_k(z_k)` through its bijector (e.g. `Exp` for a scale, `Sigmoid` for a
//! probability, `Ascending` for an ordered vector), and
//!
//! ```text
//! log π_z(z) = log π(f(z)) + Σ_k log |det J_{f_k}(z_k)|
//! ```
//!
//! as Stan does with its constrained types (its `lp__` includes the Jacobian terms too). The
//! sampler moves `z` freely; draws are mapped back with [`constrain`](TransformedLogDensity::constrain).

use super::kernel::TargetLogProbFn;
use super::log_density::{gradient_into, Layout, LogDensity};
use crate::bijectors::Bijector;
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::tensor::Tensor;
use std::sync::Arc;

/// `log π(f(z)) + log|det J_f(z)|` over one chain's flat unconstrained vector.
///
/// ```
/// use probrs::bijectors::{Bijector, Exp};
/// use probrs::joint::Structure;
/// use probrs::mcmc::{LogDensity, TransformedLogDensity};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// // σ ~ Exponential(1) sampled as z = log σ: log π_z(z) = −e^z + z.
/// let target = |s: &Structure| s.get("sigma")?.neg()?.sum_all();
/// let init = Structure::Named(vec![("sigma".into(), Tensor::scalar(2.0, DType::F64)?)]);
/// let (density, z0) = TransformedLogDensity::new(target, &init, vec![Arc::new(Exp::new())])?;
/// assert!((z0[0] - 2f64.ln()).abs() < 1e-12);
/// let mut g = [0.0];
/// let lp = density.logp_and_grad(&[0.0], &mut g)?;
/// assert!((lp - (-1.0)).abs() < 1e-12 && (g[0] - 0.0).abs() < 1e-12); // −e⁰ + 0; d/dz = −e^z + 1
/// assert_eq!(density.constrain(&[0.0])?, vec![1.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct TransformedLogDensity {
    target: Arc<TargetLogProbFn>,
    bijectors: Vec<Arc<dyn Bijector>>,
    constrained: Layout,
    unconstrained: Layout,
}

impl TransformedLogDensity {
    /// The density of `target` (over one unbatched constrained state like `init`, returning a
    /// scalar) through `bijectors` (one per state part), and `init` mapped to unconstrained
    /// space. The target must be finite at `init`.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Exp, Sigmoid};
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::TransformedLogDensity;
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// let target = |s: &Structure| s.get("p")?.log()?.sum_all();
    /// let init = Structure::Named(vec![("p".into(), Tensor::scalar(0.5, DType::F64)?)]);
    /// let (_, z0) = TransformedLogDensity::new(target, &init, vec![Arc::new(Sigmoid::new())])?;
    /// assert!(z0[0].abs() < 1e-12); // logit(½) = 0
    /// // A value on the boundary of its support has no unconstrained image.
    /// let edge = Structure::Named(vec![("p".into(), Tensor::scalar(1.0, DType::F64)?)]);
    /// assert!(TransformedLogDensity::new(target, &edge, vec![Arc::new(Sigmoid::new())]).is_err());
    /// // One bijector per part.
    /// assert!(TransformedLogDensity::new(target, &init, vec![Arc::new(Exp::new()), Arc::new(Exp::new())]).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(target: impl Fn(&Structure) -> Result<Tensor> + Send + Sync + 'static, init: &Structure, bijectors: Vec<Arc<dyn Bijector>>) -> Result<(Self, Vec<f64>)> {
        if bijectors.len() != init.len() {
            return Err(Error::invalid_parameter("bijectors", format!("{} bijectors for {}", bijectors.len(), init.describe())));
        }
        let constrained = Layout::of(init, 0)?;
        let mut k = 0;
        let z = init.try_map(|t| {
            let r = bijectors[k].inverse(t).map_err(|e| Error::BadInput { location: format!("initial state, part {k}"), reason: format!("outside the support of bijector {}: {e}", bijectors[k].name()) });
            k += 1;
            r
        })?;
        let unconstrained = Layout::of(&z, 0)?;
        let z0 = unconstrained.flatten(&z)?.remove(0);
        if let Some((i, v)) = z0.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::BadInput { location: "initial state".into(), reason: format!("unconstrained coordinate {} ({}) is {v}: the value is on the boundary of its support", i, unconstrained.param_names()[i]) });
        }
        Ok((TransformedLogDensity { target: Arc::new(target), bijectors, constrained, unconstrained }, z0))
    }

    /// The constrained state (flat, in the constrained layout's order) of an unconstrained one.
    ///
    /// ```
    /// use probrs::bijectors::{Ascending, Bijector};
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::TransformedLogDensity;
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// let init = Structure::Named(vec![("mu".into(), Tensor::vector(&[-1.0, 1.0], DType::F64)?)]);
    /// let (d, _) = TransformedLogDensity::new(|s: &Structure| s.get("mu")?.sum_all(), &init, vec![Arc::new(Ascending::new())])?;
    /// assert_eq!(d.constrain(&[0.0, 0.0])?, vec![0.0, 1.0]); // 0, 0 + e⁰
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn constrain(&self, z: &[f64]) -> Result<Vec<f64>> {
        let x = map_parts(&self.unconstrained.structure(&[z], &[])?, &self.bijectors, true)?;
        Ok(self.constrained.flatten(&x)?.remove(0))
    }

    /// How a constrained draw is laid out.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, SoftmaxCentered};
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{LogDensity, TransformedLogDensity};
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// // A probability vector of 3 entries has 2 unconstrained coordinates.
    /// let init = Structure::Named(vec![("p".into(), Tensor::vector(&[0.2, 0.3, 0.5], DType::F64)?)]);
    /// let (d, _) = TransformedLogDensity::new(|s: &Structure| s.get("p")?.log()?.sum_all(), &init, vec![Arc::new(SoftmaxCentered::new())])?;
    /// assert_eq!((d.dim(), d.constrained_layout().dim()), (2, 3));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn constrained_layout(&self) -> &Layout {
        &self.constrained
    }
}

impl LogDensity for TransformedLogDensity {
    fn dim(&self) -> usize {
        self.unconstrained.dim()
    }
    fn logp_and_grad(&self, z: &[f64], grad: &mut [f64]) -> Result<f64> {
        let zs = self.unconstrained.structure(&[z], &[])?.try_map(|t| t.tracked())?;
        let x = map_parts(&zs, &self.bijectors, true)?;
        let mut lp = (self.target)(&x)?;
        if lp.elem_count() != 1 {
            return Err(Error::ShapeMismatch { context: "target_log_prob_fn output for one unbatched state (a scalar)".into(), lhs: lp.shape().to_vec(), rhs: vec![] });
        }
        lp = lp.sum_all()?;
        let parts = zs.tensors();
        for (part, b) in parts.iter().zip(&self.bijectors) {
            lp = lp.add(&b.forward_log_det_jacobian(part, part.rank())?.sum_all()?)?;
        }
        gradient_into(&lp, &parts, grad)?;
        lp.to_scalar()
    }
    fn param_names(&self) -> Vec<String> {
        self.unconstrained.param_names()
    }
}

/// Maps each part of `s` by its bijector's forward (or inverse) map.
pub(crate) fn map_parts(s: &Structure, bijectors: &[Arc<dyn Bijector>], forward: bool) -> Result<Structure> {
    if s.len() != bijectors.len() {
        return Err(Error::invalid_parameter("bijectors", format!("{} bijectors for {}", bijectors.len(), s.describe())));
    }
    let mut k = 0;
    s.try_map(|t| {
        let r = if forward { bijectors[k].forward(t) } else { bijectors[k].inverse(t) };
        k += 1;
        r
    })
}
