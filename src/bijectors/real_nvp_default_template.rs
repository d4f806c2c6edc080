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
        Ok(RealNVPDefaultTemplate { layers, input_units, output_units, shift_only, activation: None })
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
            h = match self.activation {
                None if l < last => h.dense(&kernel.value(), &bias.value(), true)?,
                Some(act) if l < last => act(&h.dense(&kernel.value(), &bias.value(), false)?)?,
                _ => h.dense(&kernel.value(), &bias.value(), false)?,
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
    fn trainable_variables(&self) -> Vec<Variable> {
        self.layers.iter().flat_map(|(k, b)| [k.clone(), b.clone()]).collect()
    }
}
