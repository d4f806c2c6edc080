//! `MaskedAutoregressiveFlow` (Papamakarios et al. 2017; TFP's `tfb.MaskedAutoregressiveFlow`
//! with a `shift_and_log_scale_fn`): an affine autoregressive transform whose shift and log
//! scale for coordinate `d` come from a MADE network applied to the output's earlier
//! coordinates.
//!
//! ```text
//! forward  y_d = x_d · exp(log_scale_d(y)) + shift_d(y)      (D sequential passes, as TFP)
//! inverse  x   = (y − shift(y)) · exp(−log_scale(y))          (one pass: the fast direction)
//! log|det ∂y/∂x| = Σ_d log_scale_d(y)
//! ```
//!
//! The inverse (density evaluation) is one network pass, the forward (sampling) `D`: the
//! trade-off that makes MAF the density estimator and `Invert(MAF)` — an inverse autoregressive
//! flow — the fast sampler for variational surrogates.
//!
//! With `bijector_fn` (TFP's other constructor) the affine map is any bijector built from `y`
//! whose parameters for coordinate `d` depend on `y_<d` only: an autoregressive neural spline
//! flow with [`AutoregressiveSplineParams`](super::AutoregressiveSplineParams).

use super::real_nvp::affine_pass;
use super::{AutoregressiveNetwork, Bijector, BijectorFn};
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use crate::variables::Variable;
use std::sync::Arc;

#[derive(Clone)]
enum Conditioner {
    /// A MADE with two outputs per coordinate: shift and log scale.
    ShiftAndLogScale(AutoregressiveNetwork),
    /// Any bijector built from `y`, autoregressive in it.
    General(Arc<dyn BijectorFn>),
}

/// A masked autoregressive flow over vectors of the network's event size.
///
/// ```
/// use probrs::bijectors::{AutoregressiveNetwork, Bijector, MaskedAutoregressiveFlow};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let made = AutoregressiveNetwork::new(2, 3, &[16, 16], DType::F64, Seed::new(0))?.with_activation(Tensor::relu);
/// let maf = MaskedAutoregressiveFlow::new(made)?;
/// let x = Tensor::from_slice(&[0.1, -0.4, 0.8, 1.0, 0.0, -1.0], &[2, 3], DType::F64)?;
/// let y = maf.forward(&x)?;
/// let back = maf.inverse(&y)?.to_vec()?;
/// assert!(back.iter().zip(x.to_vec()?).all(|(a, b)| (a - b).abs() < 1e-10));
/// assert_eq!(maf.forward_log_det_jacobian(&x, 1)?.shape(), &[2]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct MaskedAutoregressiveFlow {
    conditioner: Conditioner,
    event_size: usize,
    /// The context a conditional network reads (TFP's `conditional_input` bijector kwarg).
    conditional_input: Option<Tensor>,
}

impl MaskedAutoregressiveFlow {
    /// The flow whose shift and log scale are `network`'s two outputs per coordinate (TFP's
    /// `shift_and_log_scale_fn` with `params=2`); another `params` is an error.
    ///
    /// ```
    /// use probrs::bijectors::{AutoregressiveNetwork, MaskedAutoregressiveFlow};
    /// use probrs::random::Seed;
    /// use probrs::tensor::DType;
    /// let one = AutoregressiveNetwork::new(1, 3, &[4], DType::F64, Seed::new(0))?;
    /// assert!(MaskedAutoregressiveFlow::new(one).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(network: AutoregressiveNetwork) -> Result<Self> {
        if network.params() != 2 {
            return Err(Error::invalid_parameter("shift_and_log_scale_fn", format!("the network must give 2 outputs (shift, log scale) per coordinate, not {}", network.params())));
        }
        let event_size = network.event_size();
        Ok(MaskedAutoregressiveFlow { conditioner: Conditioner::ShiftAndLogScale(network), event_size, conditional_input: None })
    }

    /// The flow whose map at `y` is `bijector_fn(y, event_size)` (TFP's `bijector_fn`): the
    /// bijector's parameters for coordinate `d` must depend on `y_<d` only.
    ///
    /// ```
    /// use probrs::bijectors::{AutoregressiveSplineParams, Bijector, MaskedAutoregressiveFlow};
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// // An autoregressive neural spline flow over 3-D events: 8-bin splines on [−3, 3].
    /// let params = AutoregressiveSplineParams::new(3, 8, &[16], DType::F64, Seed::new(0))?.with_bound(3.0)?;
    /// let nsf = MaskedAutoregressiveFlow::from_bijector_fn(3, Arc::new(params))?;
    /// let x = Tensor::from_slice(&[0.1, -0.5, 2.0, 1.0, 0.0, -1.0], &[2, 3], DType::F64)?;
    /// let back = nsf.inverse(&nsf.forward(&x)?)?.to_vec()?;
    /// assert!(back.iter().zip(x.to_vec()?).all(|(a, b)| (a - b).abs() < 1e-10));
    /// assert!(MaskedAutoregressiveFlow::from_bijector_fn(0, Arc::new(AutoregressiveSplineParams::new(3, 8, &[16], DType::F64, Seed::new(0))?)).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_bijector_fn(event_size: usize, bijector_fn: Arc<dyn BijectorFn>) -> Result<Self> {
        if event_size == 0 {
            return Err(Error::invalid_parameter("event_size", "must be positive"));
        }
        Ok(MaskedAutoregressiveFlow { conditioner: Conditioner::General(bijector_fn), event_size, conditional_input: None })
    }

    /// The flow at context `conditional_input` (TFP's `bijector_kwargs={'conditional_input': c}`)
    /// for a conditional MADE (`AutoregressiveNetwork::with_conditional`): a conditional
    /// density `p(y | c)` is `TransformedDistribution(base, maf.with_conditional_input(c)?)`.
    /// The returned flow shares the network's variables.
    ///
    /// ```
    /// use probrs::bijectors::{AutoregressiveNetwork, Bijector, ConditionalInputLayers, MaskedAutoregressiveFlow};
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// let made = AutoregressiveNetwork::new(2, 2, &[8], DType::F64, Seed::new(0))?.with_conditional(1, ConditionalInputLayers::AllLayers, Seed::new(1))?;
    /// let maf = MaskedAutoregressiveFlow::new(made)?;
    /// let x = Tensor::from_slice(&[0.5, -0.5], &[1, 2], DType::F64)?;
    /// let at = |c: f64| maf.with_conditional_input(Tensor::from_slice(&[c], &[1, 1], DType::F64)?)?.forward(&x);
    /// assert_ne!(at(0.0)?.to_vec()?, at(1.0)?.to_vec()?);
    /// assert!(maf.forward(&x).is_err()); // the conditional network needs a context
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_conditional_input(&self, conditional_input: Tensor) -> Result<Self> {
        if matches!(self.conditioner, Conditioner::General(_)) {
            return Err(Error::invalid_parameter("conditional_input", "a bijector_fn flow reads no conditional input; condition inside the bijector_fn"));
        }
        Ok(MaskedAutoregressiveFlow { conditional_input: Some(conditional_input), ..self.clone() })
    }

    /// The affine conditioner's `(shift, log_scale)` at `y`, each `[..., D]`.
    fn shift_and_log_scale(network: &AutoregressiveNetwork, y: &Tensor, context: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
        let out = match context {
            Some(c) => network.call_conditional(y, c)?,
            None => network.call(y)?,
        };
        let axis = out.rank() - 1;
        Ok((out.narrow(axis, 0, 1)?.squeeze(axis)?, out.narrow(axis, 1, 1)?.squeeze(axis)?))
    }

    /// One autoregressive step: `(f_y(x), log|det ∂f_y/∂x|)` for the map built at `y`.
    fn step_forward(&self, y: &Tensor, x: &Tensor) -> Result<(Tensor, Tensor)> {
        match &self.conditioner {
            Conditioner::ShiftAndLogScale(net) => {
                let (shift, log_scale) = Self::shift_and_log_scale(net, y, self.conditional_input.as_ref())?;
                let (out, ldj) = affine_pass(x, Some(&shift), Some(&log_scale), true)?;
                Ok((out, ldj.ok_or_else(|| Error::invalid_parameter("log_scale", "the affine step lost its log-scale"))?))
            }
            Conditioner::General(f) => f.call(y, self.event_size)?.forward_and_forward_log_det_jacobian(x, 1),
        }
    }

    /// `(f_y⁻¹(y), log|det ∂f_y⁻¹/∂y|)` for the map built at `y` itself.
    fn step_inverse(&self, y: &Tensor) -> Result<(Tensor, Tensor)> {
        match &self.conditioner {
            Conditioner::ShiftAndLogScale(net) => {
                let (shift, log_scale) = Self::shift_and_log_scale(net, y, self.conditional_input.as_ref())?;
                let (out, ldj) = affine_pass(y, Some(&shift), Some(&log_scale), false)?;
                Ok((out, ldj.ok_or_else(|| Error::invalid_parameter("log_scale", "the affine step lost its log-scale"))?))
            }
            Conditioner::General(f) => f.call(y, self.event_size)?.inverse_and_inverse_log_det_jacobian(y, 1),
        }
    }

    fn check(&self, t: &Tensor) -> Result<()> {
        if t.rank() == 0 || t.shape()[t.rank() - 1] != self.event_size {
            return Err(Error::ShapeMismatch { context: "masked_autoregressive_flow: the last axis vs the network's event size".into(), lhs: t.shape().to_vec(), rhs: vec![self.event_size] });
        }
        Ok(())
    }
}

impl Bijector for MaskedAutoregressiveFlow {
    fn name(&self) -> &str {
        "masked_autoregressive_flow"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.forward_and_forward_log_det_jacobian_min(x)?.0)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        Ok(self.inverse_and_inverse_log_det_jacobian_min(y)?.0)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        Ok(self.inverse_and_inverse_log_det_jacobian_min(y)?.1)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.forward_and_forward_log_det_jacobian_min(x)?.1)
    }
    fn inverse_and_inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<(Tensor, Tensor)> {
        // One network call for both (log_prob's path).
        self.check(y)?;
        self.step_inverse(y)
    }
    fn forward_and_forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        // y starts at zero; pass d fixes coordinate d for good (its inputs are y_<d, final by
        // then). The last pass's map is the one built at the final y (it reads y_<d only), so
        // its log-det is the answer with no further network call.
        self.check(x)?;
        let mut y = x.zeros_like()?;
        let mut fldj = None;
        for _ in 0..self.event_size {
            let (next, ldj) = self.step_forward(&y, x)?;
            y = next;
            fldj = Some(ldj);
        }
        Ok((y, fldj.expect("event_size ≥ 1")))
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        let vars = match &self.conditioner {
            Conditioner::ShiftAndLogScale(net) => net.trainable_variables(),
            Conditioner::General(c) => c.trainable_variables(),
        };
        for v in &vars {
            f(v);
        }
    }
}
