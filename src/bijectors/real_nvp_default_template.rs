//! TFP's `real_nvp_default_template`: the shift-and-log-scale network of a [`RealNVP`]
//! coupling, a fully connected network from the `d` masked units to `2 (D − d)` outputs (shift,
//! then log scale), or `D − d` with `shift_only` (NICE).
//!
//! ```text
//! h_0 = x0 [.., d];   h_l = act(h_{l−1} W_l + b_l)  (relu by default);   out = h_L W + b
//! shift, log_scale = out[.., :D−d], out[.., D−d:]
//! ```
//!
//! Kernels are Glorot-uniform and biases zero, as `tf.layers.dense`'s defaults. TFP's template
//! builds its variables on the first call from the input's size; here the sizes are given up
//! front, so the variables exist (and can be handed to an optimizer) before any call.
//!
//! [`RealNVP`]: super::RealNVP

use super::real_nvp::context_rows;
use super::ShiftAndLogScaleFn;
use crate::error::{Error, Result};
use crate::random::{glorot_uniform, Seed};
use crate::tensor::{DType, Tensor};
use crate::variables::Variable;

/// The network (module doc).
///
/// ```
/// use probrs::bijectors::{RealNVPDefaultTemplate, ShiftAndLogScaleFn};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let net = RealNVPDefaultTemplate::new(&[32, 32], 2, 3, false, DType::F32, Seed::new(0))?;
/// let (shift, log_scale) = net.call(&Tensor::zeros(&[5, 2], DType::F32)?, 3)?;
/// assert_eq!((shift.unwrap().shape(), log_scale.unwrap().shape()), (&[5, 3][..], &[5, 3][..]));
/// assert_eq!(net.trainable_variables().len(), 6); // three kernels and biases
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct RealNVPDefaultTemplate {
    layers: Vec<(Variable, Variable)>,
    input_units: usize,
    output_units: usize,
    shift_only: bool,
    activation: Option<fn(&Tensor) -> Result<Tensor>>,
    /// A conditional network's context size and its first-layer kernel `[c, hidden]`.
    context: Option<(usize, Variable)>,
}

impl RealNVPDefaultTemplate {
    /// A network from `input_units` masked units through `hidden_layers` to the shift (and log
    /// scale, unless `shift_only`) of `output_units` units; weights drawn from `seed`.
    ///
    /// ```
    /// use probrs::bijectors::RealNVPDefaultTemplate;
    /// use probrs::random::Seed;
    /// use probrs::tensor::DType;
    /// assert!(RealNVPDefaultTemplate::new(&[8], 0, 2, false, DType::F64, Seed::new(0)).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(hidden_layers: &[usize], input_units: usize, output_units: usize, shift_only: bool, dtype: DType, seed: Seed) -> Result<Self> {
        if input_units == 0 || output_units == 0 || hidden_layers.contains(&0) {
            return Err(Error::invalid_parameter("real_nvp_default_template", format!("sizes must be positive: {input_units} inputs, hidden {hidden_layers:?}, {output_units} outputs")));
        }
        let mut sizes = vec![input_units];
        sizes.extend_from_slice(hidden_layers);
        sizes.push(if shift_only { output_units } else { 2 * output_units });
        let mut layers = Vec::with_capacity(sizes.len() - 1);
        for (l, w) in sizes.windows(2).enumerate() {
            let kernel = Variable::new(&glorot_uniform(&[w[0], w[1]], dtype, seed.fold_in(l as u64))?, format!("real_nvp/dense_{l}/kernel"))?;
            let bias = Variable::new(&Tensor::zeros(&[w[1]], dtype)?, format!("real_nvp/dense_{l}/bias"))?;
            layers.push((kernel, bias));
        }
        Ok(RealNVPDefaultTemplate { layers, input_units, output_units, shift_only, activation: None, context: None })
    }

    /// A conditional network: a context of `context_units` enters the first layer through its
    /// own Glorot-uniform kernel (no bias), `h_1 = act(x0 W_1 + c V + b_1)`, as MADE's
    /// `conditional=True` does; called through `RealNVP::with_conditional_input`.
    ///
    /// ```
    /// use probrs::bijectors::{RealNVPDefaultTemplate, ShiftAndLogScaleFn};
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// let net = RealNVPDefaultTemplate::new(&[4], 1, 1, false, DType::F64, Seed::new(0))?.with_conditional(2, Seed::new(1))?;
    /// assert_eq!(net.trainable_variables().len(), 5); // two layers and the context kernel
    /// let x0 = Tensor::from_slice(&[0.5, -0.5, 1.0], &[3, 1], DType::F64)?;
    /// // One context for the whole batch broadcasts against it.
    /// let (shift, _) = net.call_conditional(&x0, 1, &Tensor::vector(&[1.0, 2.0], DType::F64)?)?;
    /// assert_eq!(shift.unwrap().shape(), &[3, 1]);
    /// assert!(net.call(&x0, 1).is_err()); // it needs its context
    /// assert!(net.call_conditional(&x0, 1, &Tensor::vector(&[1.0], DType::F64)?).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_conditional(mut self, context_units: usize, seed: Seed) -> Result<Self> {
        if context_units == 0 {
            return Err(Error::invalid_parameter("context_units", "a conditional network needs at least one context unit"));
        }
        let (kernel, _) = &self.layers[0];
        let width = kernel.shape()[1];
        let v = Variable::new(&glorot_uniform(&[context_units, width], kernel.dtype(), seed)?, "real_nvp/dense_0/context_kernel")?;
        self.context = Some((context_units, v));
        Ok(self)
    }

    /// The network's `(shift, log_scale)` with the context rows `[N, c]` when conditional.
    fn run(&self, x0: &Tensor, output_units: usize, context: Option<&Tensor>) -> Result<(Option<Tensor>, Option<Tensor>)> {
        if x0.rank() == 0 || x0.shape()[x0.rank() - 1] != self.input_units || output_units != self.output_units {
            return Err(Error::ShapeMismatch {
                context: "real_nvp_default_template: the masked units' last axis and the output units vs the network's".into(),
                lhs: [x0.shape(), &[output_units][..]].concat(),
                rhs: vec![self.input_units, self.output_units],
            });
        }
        let batch = x0.shape()[..x0.rank() - 1].to_vec();
        let mut h = x0.reshape(&[batch.iter().product(), self.input_units])?;
        let last = self.layers.len() - 1;
        for (l, (kernel, bias)) in self.layers.iter().enumerate() {
            let (input, kernel) = match (l, &self.context, context) {
                // The context joins the first layer: [x0, c] against [W; V], one product.
                (0, Some((size, v)), Some(c)) => (Tensor::concat(&[&h, &context_rows(c, &batch, *size, "real_nvp_default_template")?], 1)?, Tensor::concat(&[&kernel.value(), &v.value()], 0)?),
                (0, Some(_), None) => return Err(Error::invalid_parameter("conditional_input", "real_nvp_default_template: a conditional network needs its conditional input (RealNVP::with_conditional_input)")),
                (0, None, Some(_)) => return Err(Error::invalid_parameter("conditional_input", "real_nvp_default_template: this network is not conditional (build it with with_conditional)")),
                _ => (h.clone(), kernel.value()),
            };
            h = match self.activation {
                None if l < last => input.dense(&kernel, &bias.value(), true)?,
                Some(act) if l < last => act(&input.dense(&kernel, &bias.value(), false)?)?,
                _ => input.dense(&kernel, &bias.value(), false)?,
            };
        }
        let unflatten = |t: Tensor| -> Result<Tensor> {
            let mut shape = batch.clone();
            shape.push(self.output_units);
            t.reshape(&shape)
        };
        if self.shift_only {
            return Ok((Some(unflatten(h)?), None));
        }
        let shift = unflatten(h.narrow(1, 0, self.output_units)?)?;
        let log_scale = unflatten(h.narrow(1, self.output_units, self.output_units)?)?;
        Ok((Some(shift), Some(log_scale)))
    }

    /// The hidden layers' activation instead of relu (`|x| Ok(x.clone())` for TFP's
    /// `activation=None`, linear).
    ///
    /// ```
    /// use probrs::bijectors::{RealNVPDefaultTemplate, ShiftAndLogScaleFn};
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// let net = RealNVPDefaultTemplate::new(&[4], 1, 1, true, DType::F64, Seed::new(0))?.with_activation(Tensor::tanh);
    /// let (shift, log_scale) = net.call(&Tensor::ones(&[1], DType::F64)?, 1)?;
    /// assert!(shift.is_some() && log_scale.is_none()); // shift_only: NICE
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_activation(mut self, activation: fn(&Tensor) -> Result<Tensor>) -> Self {
        self.activation = Some(activation);
        self
    }
}

impl ShiftAndLogScaleFn for RealNVPDefaultTemplate {
    fn call(&self, x0: &Tensor, output_units: usize) -> Result<(Option<Tensor>, Option<Tensor>)> {
        self.run(x0, output_units, None)
    }
    fn call_conditional(&self, x0: &Tensor, output_units: usize, conditional_input: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        self.run(x0, output_units, Some(conditional_input))
    }
    fn trainable_variables(&self) -> Vec<Variable> {
        self.layers.iter().flat_map(|(k, b)| [k.clone(), b.clone()]).chain(self.context.iter().map(|(_, v)| v.clone())).collect()
    }
}
