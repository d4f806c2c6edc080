//! `RealNVP` (Dinh et al. 2017; TFP's `tfb.RealNVP`): a coupling layer. The first `d` units of
//! the event pass through unchanged and condition a bijector of the other `D − d`:
//!
//! ```text
//! y[0:d] = x[0:d]
//! y[d:D] = x[d:D] · exp(log_scale(x[0:d])) + shift(x[0:d])      (shift_and_log_scale_fn)
//!        = g_{x[0:d]}(x[d:D])                                   (bijector_fn: any bijector g)
//! log |det ∂y/∂x| = Σ log_scale   (or g's log-det)
//! ```
//!
//! Forward and inverse are both one pass (unlike an autoregressive flow). A negative `num_masked`
//! masks the last `|d|` units instead; `fraction_masked` sets `d = round(f · D)` (round half to
//! even, as TFP's `np.round`). With `bijector_fn` returning a `RationalQuadraticSpline`, this is a
//! coupling neural spline flow (Durkan et al. 2019).

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use crate::variables::Variable;
use std::sync::Arc;

/// The conditioner of an affine coupling: `(shift, log_scale)` of the transformed units from the
/// masked ones (TFP's `shift_and_log_scale_fn(x0, output_units)`); `None` for either means zero
/// (`log_scale = None` is NICE's volume-preserving coupling).
///
/// ```
/// use probrs::bijectors::ShiftAndLogScaleFn;
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// /// shift = 2 · (sum of the masked units), no scaling.
/// struct Twice;
/// impl ShiftAndLogScaleFn for Twice {
///     fn call(&self, x0: &Tensor, output_units: usize) -> probrs::Result<(Option<Tensor>, Option<Tensor>)> {
///         let s = x0.sum_last(1)?.unsqueeze(x0.rank() - 1)?.mul_scalar(2.0)?;
///         let mut shape = x0.shape().to_vec();
///         *shape.last_mut().unwrap() = output_units;
///         Ok((Some(s.broadcast_to(&shape)?), None))
///     }
///     fn trainable_variables(&self) -> Vec<Variable> { vec![] }
/// }
/// let (shift, log_scale) = Twice.call(&Tensor::vector(&[1.0, 2.0], DType::F64)?, 3)?;
/// assert_eq!(shift.unwrap().to_vec()?, vec![6.0, 6.0, 6.0]);
/// assert!(log_scale.is_none());
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait ShiftAndLogScaleFn: Send + Sync {
    /// `(shift, log_scale)`, each `[..., output_units]`, from the masked units `[..., d]`.
    fn call(&self, x0: &Tensor, output_units: usize) -> Result<(Option<Tensor>, Option<Tensor>)>;
    /// [`ShiftAndLogScaleFn::call`] given a context `[..., c]` broadcasting against the masked
    /// units' batch (TFP's `conditional_input` keyword, passed by
    /// [`RealNVP::with_conditional_input`]). The default: an error, for conditioners that read
    /// no context.
    fn call_conditional(&self, x0: &Tensor, output_units: usize, conditional_input: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let _ = (x0, output_units, conditional_input);
        Err(no_context())
    }
    /// The variables the conditioner holds.
    fn trainable_variables(&self) -> Vec<Variable>;
}

/// The conditioner of a general coupling: the bijector applied to the transformed units, built
/// from the masked ones (TFP's `bijector_fn(x0, output_units)`). It must act on scalar or vector
/// events without changing their rank.
///
/// ```
/// use probrs::bijectors::{Bijector, BijectorFn, Shift};
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// /// Shift the transformed units by the first masked unit.
/// struct ShiftByFirst;
/// impl BijectorFn for ShiftByFirst {
///     fn call(&self, x0: &Tensor, _output_units: usize) -> probrs::Result<Arc<dyn Bijector>> {
///         Ok(Arc::new(Shift::new(x0.narrow(x0.rank() - 1, 0, 1)?)))
///     }
///     fn trainable_variables(&self) -> Vec<Variable> { vec![] }
/// }
/// let b = ShiftByFirst.call(&Tensor::vector(&[5.0], DType::F64)?, 2)?;
/// assert_eq!(b.forward(&Tensor::vector(&[1.0, 2.0], DType::F64)?)?.to_vec()?, vec![6.0, 7.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait BijectorFn: Send + Sync {
    /// The bijector of the transformed units `[..., output_units]` given the masked ones.
    fn call(&self, x0: &Tensor, output_units: usize) -> Result<Arc<dyn Bijector>>;
    /// [`BijectorFn::call`] given a context `[..., c]` (as
    /// [`ShiftAndLogScaleFn::call_conditional`]; the default is an error).
    fn call_conditional(&self, x0: &Tensor, output_units: usize, conditional_input: &Tensor) -> Result<Arc<dyn Bijector>> {
        let _ = (x0, output_units, conditional_input);
        Err(no_context())
    }
    /// The variables the conditioner holds.
    fn trainable_variables(&self) -> Vec<Variable>;
}

/// The affine coupling step on the transformed units: forward `x · e^s + t` with log-det `Σ s`,
/// inverse `(x − t) · e^−s` with `−Σ s` (an absent shift or log-scale is zero; no log-det when
/// there is no log-scale). Shared by `RealNVP` and the masked autoregressive flow.
pub(crate) fn affine_pass(x: &Tensor, shift: Option<&Tensor>, log_scale: Option<&Tensor>, forward: bool) -> Result<(Tensor, Option<Tensor>)> {
    let (mut out, mut ldj) = (x.clone(), None);
    if forward {
        if let Some(l) = log_scale {
            out = out.mul(&l.exp()?)?;
            ldj = Some(l.sum_last(1)?);
        }
        if let Some(s) = shift {
            out = out.add(s)?;
        }
    } else {
        if let Some(s) = shift {
            out = out.sub(s)?;
        }
        if let Some(l) = log_scale {
            out = out.mul(&l.neg()?.exp()?)?;
            ldj = Some(l.sum_last(1)?.neg()?);
        }
    }
    Ok((out, ldj))
}

fn no_context() -> Error {
    Error::invalid_parameter("conditional_input", "this conditioner reads no conditional input (build it with with_conditional)")
}

/// A context `[..., size]` broadcast against a batch `batch` and flattened to `[Π batch, size]`
/// rows (the conditioners' context input); `who` names the conditioner in errors.
pub(crate) fn context_rows(c: &Tensor, batch: &[usize], size: usize, who: &str) -> Result<Tensor> {
    if c.rank() == 0 || c.shape()[c.rank() - 1] != size {
        return Err(Error::ShapeMismatch { context: format!("{who}: the conditional input's last axis vs the context size"), lhs: c.shape().to_vec(), rhs: vec![size] });
    }
    let mut shape = batch.to_vec();
    shape.push(size);
    c.broadcast_to(&shape)?.reshape(&[batch.iter().product(), size])
}

/// How many units a [`RealNVP`] masks: TFP's `num_masked` or `fraction_masked`; negative masks
/// the last units instead of the first.
///
/// ```
/// use probrs::bijectors::Masked;
/// assert_eq!(Masked::Num(-2).count(5)?, -2);
/// assert_eq!(Masked::Fraction(0.5).count(5)?, 2); // round(2.5) to even
/// assert!(Masked::Num(5).count(5).is_err()); // must leave a unit to transform
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Masked {
    /// `d` units: the first `d`, or the last `|d|` when negative; `|d| < D`.
    Num(isize),
    /// The fraction `f ∈ (−1, 1)` of the units, `d = round(f · D)`.
    Fraction(f64),
}

impl Masked {
    /// The signed number of masked units for an event of `event_size` units.
    ///
    /// ```
    /// use probrs::bijectors::Masked;
    /// assert_eq!(Masked::Fraction(-0.25).count(8)?, -2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn count(&self, event_size: usize) -> Result<isize> {
        let d = match *self {
            Masked::Num(d) => d,
            Masked::Fraction(f) => (f * event_size as f64).round_ties_even() as isize,
        };
        if d.unsigned_abs() >= event_size {
            return Err(Error::ShapeMismatch { context: format!("real_nvp: {} masked units must be fewer than the event size", d.unsigned_abs()), lhs: vec![d.unsigned_abs()], rhs: vec![event_size] });
        }
        Ok(d)
    }
}

#[derive(Clone)]
enum Conditioner {
    Affine(Arc<dyn ShiftAndLogScaleFn>),
    General(Arc<dyn BijectorFn>),
}

/// A RealNVP coupling layer over vector events (module doc).
///
/// ```
/// use probrs::bijectors::{Bijector, Masked, RealNVP, RealNVPDefaultTemplate};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// // 3-D events: the first unit conditions the other two through a [16, 16] relu network.
/// let net = RealNVPDefaultTemplate::new(&[16, 16], 1, 2, false, DType::F64, Seed::new(0))?;
/// let nvp = RealNVP::new(Masked::Num(1), Arc::new(net))?;
/// let x = Tensor::from_slice(&[0.3, -1.0, 2.0, 1.5, 0.2, -0.7], &[2, 3], DType::F64)?;
/// let y = nvp.forward(&x)?;
/// assert_eq!(y.to_vec()?[0], 0.3); // the masked unit passes through
/// let back = nvp.inverse(&y)?.to_vec()?;
/// assert!(back.iter().zip(x.to_vec()?).all(|(a, b)| (a - b).abs() < 1e-12));
/// assert_eq!(nvp.forward_log_det_jacobian(&x, 1)?.shape(), &[2]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct RealNVP {
    masked: Masked,
    conditioner: Conditioner,
    /// The context a conditional conditioner reads (TFP's `conditional_input` keyword).
    conditional_input: Option<Tensor>,
}

impl RealNVP {
    /// An affine coupling from `shift_and_log_scale_fn` (TFP's `RealNVP(num_masked=...,
    /// shift_and_log_scale_fn=...)`; `Masked::Fraction` for `fraction_masked`).
    ///
    /// ```
    /// use probrs::bijectors::{Masked, RealNVP, RealNVPDefaultTemplate};
    /// use probrs::random::Seed;
    /// use probrs::tensor::DType;
    /// use std::sync::Arc;
    /// let net = Arc::new(RealNVPDefaultTemplate::new(&[8], 2, 2, false, DType::F32, Seed::new(0))?);
    /// assert!(RealNVP::new(Masked::Fraction(0.5), net.clone()).is_ok());
    /// assert!(RealNVP::new(Masked::Fraction(1.0), net).is_err()); // |f| < 1
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(masked: Masked, shift_and_log_scale_fn: Arc<dyn ShiftAndLogScaleFn>) -> Result<Self> {
        Self::build(masked, Conditioner::Affine(shift_and_log_scale_fn))
    }

    /// A coupling whose transformed units go through `bijector_fn`'s bijector (TFP's
    /// `RealNVP(bijector_fn=...)`): a neural spline coupling with a `RationalQuadraticSpline`.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, BijectorFn, Masked, RealNVP, Shift};
    /// use probrs::params::Variable;
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// struct ShiftByFirst;
    /// impl BijectorFn for ShiftByFirst {
    ///     fn call(&self, x0: &Tensor, _units: usize) -> probrs::Result<Arc<dyn Bijector>> {
    ///         Ok(Arc::new(Shift::new(x0.narrow(x0.rank() - 1, 0, 1)?)))
    ///     }
    ///     fn trainable_variables(&self) -> Vec<Variable> { vec![] }
    /// }
    /// // Mask the last unit: it shifts the first two.
    /// let nvp = RealNVP::from_bijector_fn(Masked::Num(-1), Arc::new(ShiftByFirst))?;
    /// let y = nvp.forward(&Tensor::vector(&[1.0, 2.0, 10.0], DType::F64)?)?;
    /// assert_eq!(y.to_vec()?, vec![11.0, 12.0, 10.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_bijector_fn(masked: Masked, bijector_fn: Arc<dyn BijectorFn>) -> Result<Self> {
        Self::build(masked, Conditioner::General(bijector_fn))
    }

    fn build(masked: Masked, conditioner: Conditioner) -> Result<Self> {
        if let Masked::Fraction(f) = masked {
            if f.is_nan() || f.abs() >= 1.0 {
                return Err(Error::invalid_parameter("fraction_masked", format!("must lie in (-1, 1), got {f}")));
            }
        }
        Ok(RealNVP { masked, conditioner, conditional_input: None })
    }

    /// The coupling at context `conditional_input` (TFP's `bijector_kwargs={'real_nvp':
    /// {'conditional_input': c}}`) for a conditioner built to read one
    /// (`RealNVPDefaultTemplate::with_conditional`, `SplineParams::with_conditional`): a
    /// conditional density `p(y | c)` is `TransformedDistribution(base, nvp.with_conditional_input(c))`.
    /// The context broadcasts against the input's batch.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Masked, RealNVP, RealNVPDefaultTemplate};
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// let net = RealNVPDefaultTemplate::new(&[8], 1, 1, false, DType::F64, Seed::new(0))?.with_conditional(1, Seed::new(1))?;
    /// let nvp = RealNVP::new(Masked::Num(1), Arc::new(net))?;
    /// let x = Tensor::from_slice(&[0.5, 1.0], &[1, 2], DType::F64)?;
    /// let at = |c: f64| nvp.with_conditional_input(Tensor::from_slice(&[c], &[1, 1], DType::F64)?)?.forward(&x);
    /// assert_ne!(at(0.0)?.to_vec()?[1], at(2.0)?.to_vec()?[1]); // the context moves the map
    /// assert!(nvp.forward(&x).is_err()); // a conditional network needs its context
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_conditional_input(&self, conditional_input: Tensor) -> Result<Self> {
        Ok(RealNVP { conditional_input: Some(conditional_input), ..self.clone() })
    }

    /// `(conditioning units, transformed units, d)` of `t`'s last axis.
    fn split(&self, t: &Tensor) -> Result<(Tensor, Tensor, isize)> {
        if t.rank() == 0 {
            return Err(Error::invalid_shape("real_nvp", t.shape(), "needs vector events"));
        }
        let (axis, size) = (t.rank() - 1, t.shape()[t.rank() - 1]);
        let d = self.masked.count(size)?;
        let k = d.unsigned_abs();
        Ok(if d >= 0 { (t.narrow(axis, 0, k)?, t.narrow(axis, k, size - k)?, d) } else { (t.narrow(axis, size - k, k)?, t.narrow(axis, 0, size - k)?, d) })
    }

    /// Puts the conditioning and transformed units back in their places.
    fn join(cond: &Tensor, out: &Tensor, d: isize) -> Result<Tensor> {
        let axis = cond.rank() - 1;
        if d >= 0 {
            Tensor::concat(&[cond, out], axis)
        } else {
            Tensor::concat(&[out, cond], axis)
        }
    }

    /// `(y, log|det J|)` or `(x, log|det J⁻¹|)`: one conditioner call for both.
    fn pass(&self, t: &Tensor, forward: bool) -> Result<(Tensor, Tensor)> {
        let (cond, rest, d) = self.split(t)?;
        let units = rest.shape()[rest.rank() - 1];
        let (out, ldj) = match &self.conditioner {
            Conditioner::Affine(f) => {
                // Direct: x · e^s + t and its inverse, without building the chain.
                let (shift, log_scale) = match &self.conditional_input {
                    Some(c) => f.call_conditional(&cond, units, c)?,
                    None => f.call(&cond, units)?,
                };
                let (out, ldj) = affine_pass(&rest, shift.as_ref(), log_scale.as_ref(), forward)?;
                let ldj = match ldj {
                    Some(l) => l,
                    None => rest.sum_last(1)?.zeros_like()?,
                };
                (out, ldj)
            }
            Conditioner::General(f) => {
                let g = match &self.conditional_input {
                    Some(c) => f.call_conditional(&cond, units, c)?,
                    None => f.call(&cond, units)?,
                };
                if forward {
                    g.forward_and_forward_log_det_jacobian(&rest, 1)?
                } else {
                    g.inverse_and_inverse_log_det_jacobian(&rest, 1)?
                }
            }
        };
        Ok((Self::join(&cond, &out, d)?, ldj))
    }
}

impl Bijector for RealNVP {
    fn name(&self) -> &str {
        "real_nvp"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.pass(x, true)?.0)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        Ok(self.pass(y, false)?.0)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.pass(x, true)?.1)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        Ok(self.pass(y, false)?.1)
    }
    fn forward_and_forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        self.pass(x, true)
    }
    fn inverse_and_inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<(Tensor, Tensor)> {
        self.pass(y, false)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        let vars = match &self.conditioner {
            Conditioner::Affine(c) => c.trainable_variables(),
            Conditioner::General(c) => c.trainable_variables(),
        };
        for v in &vars {
            f(v);
        }
    }
}
