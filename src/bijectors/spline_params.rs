//! `SplineParams`, the conditioner of TFP's neural spline coupling example (the
//! `RationalQuadraticSpline` docs and Durkan et al. 2019): from the masked units, three dense
//! layers give each transformed unit's spline on `[−B, B]` with `nbins` bins (`B = 1` as the
//! example; `with_bound` widens it).
//!
//! ```text
//! widths  = B · (softmax(x0 W_w + b_w) · (2 − K·0.01) + 0.01)     [.., units, K]   (sum to 2B)
//! heights = B · (softmax(x0 W_h + b_h) · (2 − K·0.01) + 0.01)     [.., units, K]
//! slopes  = softplus(x0 W_s + b_s) + 0.01                         [.., units, K − 1]
//! ```
//!
//! `RealNVP::from_bijector_fn(masked, Arc::new(SplineParams::new(..)?))` is a coupling neural
//! spline flow; outside `[−B, B]` each spline is the identity (TFP's tails).
//! [`AutoregressiveSplineParams`] computes the same three from a MADE over the whole event (its
//! `3K − 1` outputs per coordinate), for `MaskedAutoregressiveFlow::from_bijector_fn`: an
//! autoregressive neural spline flow.

use super::real_nvp::context_rows;
use super::{AutoregressiveNetwork, Bijector, BijectorFn, RationalQuadraticSpline};
use crate::error::{Error, Result};
use crate::random::{glorot_uniform, Seed};
use crate::tensor::{DType, Tensor};
use crate::variables::Variable;
use std::sync::Arc;

/// The spline conditioner (module doc).
///
/// ```
/// use probrs::bijectors::{Bijector, BijectorFn, Masked, RealNVP, SplineParams};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// // 5-D events: the first 3 units condition 32-bin splines of the last 2.
/// let nsf = RealNVP::from_bijector_fn(Masked::Num(3), Arc::new(SplineParams::new(3, 2, 32, DType::F64, Seed::new(0))?))?;
/// let x = Tensor::from_slice(&[0.1, -0.2, 0.3, 0.4, -0.9, 1.0, 0.0, -1.0, 0.5, 2.5], &[2, 5], DType::F64)?;
/// let back = nsf.inverse(&nsf.forward(&x)?)?.to_vec()?;
/// assert!(back.iter().zip(x.to_vec()?).all(|(a, b)| (a - b).abs() < 1e-10));
/// assert_eq!(nsf.forward(&x)?.to_vec()?[9], 2.5); // outside [−1, 1]: the identity
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct SplineParams {
    widths: (Variable, Variable),
    heights: (Variable, Variable),
    slopes: (Variable, Variable),
    input_units: usize,
    output_units: usize,
    nbins: usize,
    bound: f64,
    /// A conditional conditioner's context size and its kernels into the widths, heights and
    /// slopes layers.
    context: Option<(usize, [Variable; 3])>,
}

impl SplineParams {
    /// Splines of `nbins` bins for `output_units` units from `input_units` masked units, the
    /// layers' kernels Glorot-uniform from `seed`, biases zero.
    ///
    /// ```
    /// use probrs::bijectors::SplineParams;
    /// use probrs::random::Seed;
    /// use probrs::tensor::DType;
    /// assert!(SplineParams::new(2, 2, 1, DType::F32, Seed::new(0)).is_err()); // at least 2 bins
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(input_units: usize, output_units: usize, nbins: usize, dtype: DType, seed: Seed) -> Result<Self> {
        if nbins < 2 || input_units == 0 || output_units == 0 || (nbins as f64) * 0.01 >= 2.0 {
            return Err(Error::invalid_parameter("spline_params", format!("needs 2 ≤ nbins < 200 and positive sizes, got {nbins} bins, {input_units} → {output_units} units")));
        }
        let layer = |name: &str, width: usize, i: u64| -> Result<(Variable, Variable)> {
            let k = Variable::new(&glorot_uniform(&[input_units, output_units * width], dtype, seed.fold_in(i))?, format!("spline_params/{name}/kernel"))?;
            let b = Variable::new(&Tensor::zeros(&[output_units * width], dtype)?, format!("spline_params/{name}/bias"))?;
            Ok((k, b))
        };
        Ok(SplineParams { widths: layer("w", nbins, 0)?, heights: layer("h", nbins, 1)?, slopes: layer("s", nbins - 1, 2)?, input_units, output_units, nbins, bound: 1.0, context: None })
    }

    /// A conditional conditioner: a context of `context_units` enters each of the three layers
    /// through its own Glorot-uniform kernel (no bias); called through
    /// `RealNVP::with_conditional_input`.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, BijectorFn, SplineParams};
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// let p = SplineParams::new(1, 1, 4, DType::F64, Seed::new(0))?.with_conditional(1, Seed::new(1))?;
    /// assert_eq!(p.trainable_variables().len(), 9);
    /// let x0 = Tensor::from_slice(&[0.3], &[1, 1], DType::F64)?;
    /// let at = |c: f64| -> probrs::Result<f64> {
    ///     let s = p.call_conditional(&x0, 1, &Tensor::from_slice(&[c], &[1, 1], DType::F64)?)?;
    ///     Ok(s.forward(&Tensor::from_slice(&[0.5], &[1, 1], DType::F64)?)?.to_vec()?[0])
    /// };
    /// assert_ne!(at(-1.0)?, at(1.0)?);
    /// assert!(p.call(&x0, 1).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_conditional(mut self, context_units: usize, seed: Seed) -> Result<Self> {
        if context_units == 0 {
            return Err(Error::invalid_parameter("context_units", "a conditional conditioner needs at least one context unit"));
        }
        let dtype = self.widths.0.dtype();
        let kernel = |name: &str, width: usize, i: u64| Variable::new(&glorot_uniform(&[context_units, self.output_units * width], dtype, seed.fold_in(i))?, format!("spline_params/{name}/context_kernel"));
        let k = self.nbins;
        self.context = Some((context_units, [kernel("w", k, 0)?, kernel("h", k, 1)?, kernel("s", k - 1, 2)?]));
        Ok(self)
    }

    /// The spline at `x0`, with the context when conditional.
    fn run(&self, x0: &Tensor, output_units: usize, context: Option<&Tensor>) -> Result<Arc<dyn Bijector>> {
        if x0.rank() == 0 || x0.shape()[x0.rank() - 1] != self.input_units || output_units != self.output_units {
            return Err(Error::ShapeMismatch {
                context: "spline_params: the masked units' last axis and the output units vs the network's".into(),
                lhs: [x0.shape(), &[output_units][..]].concat(),
                rhs: vec![self.input_units, self.output_units],
            });
        }
        let batch = x0.shape()[..x0.rank() - 1].to_vec();
        let mut x = x0.reshape(&[batch.iter().product(), self.input_units])?;
        let kernels = match (&self.context, context) {
            (Some((size, v)), Some(c)) => {
                x = Tensor::concat(&[&x, &context_rows(c, &batch, *size, "spline_params")?], 1)?;
                Some(v)
            }
            (None, None) => None,
            (Some(_), None) => return Err(Error::invalid_parameter("conditional_input", "spline_params: a conditional conditioner needs its conditional input (RealNVP::with_conditional_input)")),
            (None, Some(_)) => return Err(Error::invalid_parameter("conditional_input", "spline_params: this conditioner is not conditional (build it with with_conditional)")),
        };
        let k = self.nbins;
        let params = |(w, b): &(Variable, Variable), width: usize, i: usize| -> Result<Tensor> {
            let mut shape = batch.clone();
            shape.extend([self.output_units, width]);
            let kernel = match kernels {
                Some(v) => Tensor::concat(&[&w.value(), &v[i].value()], 0)?,
                None => w.value(),
            };
            x.dense(&kernel, &b.value(), false)?.reshape(&shape)
        };
        spline(params(&self.widths, k, 0)?, params(&self.heights, k, 1)?, params(&self.slopes, k - 1, 2)?, self.bound)
    }

    /// Splines on `[−bound, bound]` instead of `[−1, 1]` (a standard-normal base puts a third of
    /// its mass outside `[−1, 1]`, where the splines are the identity).
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, BijectorFn, SplineParams};
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// let p = SplineParams::new(1, 1, 8, DType::F64, Seed::new(0))?.with_bound(3.0)?;
    /// let spline = p.call(&Tensor::from_slice(&[0.5], &[1, 1], DType::F64)?, 1)?;
    /// // 2.5 lies inside [−3, 3]: moved by the spline; 3.5 does not.
    /// let y = spline.forward(&Tensor::from_slice(&[2.5], &[1, 1], DType::F64)?)?.to_vec()?[0];
    /// assert_ne!(y, 2.5);
    /// assert_eq!(spline.forward(&Tensor::from_slice(&[3.5], &[1, 1], DType::F64)?)?.to_vec()?[0], 3.5);
    /// assert!(SplineParams::new(1, 1, 8, DType::F64, Seed::new(0))?.with_bound(0.0).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_bound(mut self, bound: f64) -> Result<Self> {
        self.bound = checked_bound(bound)?;
        Ok(self)
    }
}

impl BijectorFn for SplineParams {
    fn call(&self, x0: &Tensor, output_units: usize) -> Result<Arc<dyn Bijector>> {
        self.run(x0, output_units, None)
    }
    fn call_conditional(&self, x0: &Tensor, output_units: usize, conditional_input: &Tensor) -> Result<Arc<dyn Bijector>> {
        self.run(x0, output_units, Some(conditional_input))
    }
    fn trainable_variables(&self) -> Vec<Variable> {
        [&self.widths, &self.heights, &self.slopes].iter().flat_map(|(k, b)| [k.clone(), b.clone()]).chain(self.context.iter().flat_map(|(_, v)| v.iter().cloned())).collect()
    }
}

/// `bound` if it is a valid half-width of the splines' interval.
fn checked_bound(bound: f64) -> Result<f64> {
    if !(bound > 0.0 && bound.is_finite()) {
        return Err(Error::invalid_parameter("bound", format!("must be positive and finite, got {bound}")));
    }
    Ok(bound)
}

/// The spline from unconstrained widths, heights `[.., K]` and slopes `[.., K − 1]` (module doc).
fn spline(widths: Tensor, heights: Tensor, slopes: Tensor, bound: f64) -> Result<Arc<dyn Bijector>> {
    let k = widths.shape()[widths.rank() - 1];
    let positions = |t: Tensor| -> Result<Tensor> {
        let axis = t.rank() - 1;
        t.sub(&t.logsumexp(axis, true)?)?.exp()?.affine(bound * (2.0 - k as f64 * 0.01), bound * 0.01)
    };
    Ok(Arc::new(RationalQuadraticSpline::new(positions(widths)?, positions(heights)?, slopes.softplus()?.affine(1.0, 0.01)?, -bound)?))
}

/// The conditioner of an autoregressive neural spline flow: a MADE over the event with `3K − 1`
/// outputs per coordinate, read as that coordinate's spline (module doc).
///
/// ```
/// use probrs::bijectors::{AutoregressiveSplineParams, Bijector, BijectorFn};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let p = AutoregressiveSplineParams::new(2, 4, &[8], DType::F64, Seed::new(1))?;
/// let spline = p.call(&Tensor::from_slice(&[0.3, -0.2], &[1, 2], DType::F64)?, 2)?;
/// assert_eq!(spline.forward(&Tensor::from_slice(&[0.5, 0.5], &[1, 2], DType::F64)?)?.shape(), &[1, 2]);
/// assert!(p.call(&Tensor::zeros(&[1, 3], DType::F64)?, 3).is_err()); // the MADE's event is 2
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct AutoregressiveSplineParams {
    made: AutoregressiveNetwork,
    nbins: usize,
    bound: f64,
}

impl AutoregressiveSplineParams {
    /// `nbins`-bin splines on `[−1, 1]` for each of `event_size` coordinates from a MADE with
    /// `hidden_units` (relu; TFP's degrees, left-to-right), kernels from `seed`.
    ///
    /// ```
    /// use probrs::bijectors::AutoregressiveSplineParams;
    /// use probrs::random::Seed;
    /// use probrs::tensor::DType;
    /// assert!(AutoregressiveSplineParams::new(2, 1, &[8], DType::F64, Seed::new(0)).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(event_size: usize, nbins: usize, hidden_units: &[usize], dtype: DType, seed: Seed) -> Result<Self> {
        if nbins < 2 || (nbins as f64) * 0.01 >= 2.0 {
            return Err(Error::invalid_parameter("nbins", format!("needs 2 ≤ nbins < 200, got {nbins}")));
        }
        let made = AutoregressiveNetwork::new(3 * nbins - 1, event_size, hidden_units, dtype, seed)?.with_activation(Tensor::relu);
        Ok(AutoregressiveSplineParams { made, nbins, bound: 1.0 })
    }

    /// Splines on `[−bound, bound]` instead of `[−1, 1]`.
    ///
    /// ```
    /// use probrs::bijectors::AutoregressiveSplineParams;
    /// use probrs::random::Seed;
    /// use probrs::tensor::DType;
    /// assert!(AutoregressiveSplineParams::new(2, 4, &[8], DType::F64, Seed::new(0))?.with_bound(f64::NAN).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_bound(mut self, bound: f64) -> Result<Self> {
        self.bound = checked_bound(bound)?;
        Ok(self)
    }
}

impl BijectorFn for AutoregressiveSplineParams {
    fn call(&self, y: &Tensor, output_units: usize) -> Result<Arc<dyn Bijector>> {
        if output_units != self.made.event_size() {
            return Err(Error::ShapeMismatch { context: "autoregressive_spline_params: the event size vs the network's".into(), lhs: vec![output_units], rhs: vec![self.made.event_size()] });
        }
        let out = self.made.call(y)?;
        let (axis, k) = (out.rank() - 1, self.nbins);
        spline(out.narrow(axis, 0, k)?, out.narrow(axis, k, k)?, out.narrow(axis, 2 * k, k - 1)?, self.bound)
    }
    fn trainable_variables(&self) -> Vec<Variable> {
        self.made.trainable_variables()
    }
}
