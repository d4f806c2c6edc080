//! Keras's `Dense`: `activation(inputs · kernel + bias)`, the kernel `[in, units]` drawn
//! Glorot-uniform (`U(−l, l)`, `l = √(6 / (in + units))`) and the bias zero, as Keras's
//! defaults; made at the first call from the input's last dimension.

use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::params::Variable;
use crate::random::Seed;
use crate::tensor::{DType, Tensor};

use super::activation::Activation;
use super::initializers::{kernel_and_bias, Initializer};
use super::layer::{layer_builders, Layer};

/// A densely connected layer.
///
/// ```
/// use probrs::layers::{Activation, Dense, Layer};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let layer = Dense::new(2)?.with_activation(Activation::Relu).with_seed(3);
/// let y = layer.call(&Tensor::from_slice(&[1.0, -2.0, 0.5, 3.0, 0.0, 1.0], &[2, 3], DType::F32)?, Seed::new(0))?;
/// assert!(y.to_vec()?.iter().all(|v| *v >= 0.0));
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct Dense {
    units: usize,
    activation: Activation,
    use_bias: bool,
    kernel_initializer: Initializer,
    name: String,
    seed: Seed,
    dtype: DType,
    built: OnceLock<(Variable, Option<Variable>)>,
}

impl Dense {
    /// A dense layer of `units` outputs (Keras's defaults: linear, with a bias, float32,
    /// named `dense`, seed 0).
    ///
    /// ```
    /// assert!(probrs::layers::Dense::new(0).is_err());
    /// ```
    pub fn new(units: usize) -> Result<Self> {
        if units == 0 {
            return Err(Error::invalid_parameter("units", "a dense layer needs at least one unit"));
        }
        Ok(Dense { units, activation: Activation::Linear, use_bias: true, kernel_initializer: Initializer::GlorotUniform, name: "dense".into(), seed: Seed::new(0), dtype: DType::F32, built: OnceLock::new() })
    }

    /// With a kernel initializer other than Glorot-uniform (Keras's `kernel_initializer`).
    ///
    /// ```
    /// use probrs::layers::{Initializer, Dense};
    /// let _ = Dense::new(3)?.with_kernel_initializer(Initializer::HeNormal);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_kernel_initializer(mut self, init: Initializer) -> Self {
        self.kernel_initializer = init;
        self
    }

    /// With the seed its kernel is drawn from.
    ///
    /// ```
    /// let _ = probrs::layers::Dense::new(4)?.with_seed(11);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Seed::new(seed);
        self
    }

    fn build(&self, in_size: usize) -> Result<&(Variable, Option<Variable>)> {
        if let Some(b) = self.built.get() {
            return Ok(b);
        }
        let _ = self.built.set(kernel_and_bias(&[in_size, self.units], self.kernel_initializer, self.use_bias, &self.name, self.dtype, self.seed.fold_in(0))?);
        Ok(self.built.get().expect("set above"))
    }
}

/// Checks a layer's input: at least `[batch, features]`, with `features` as built.
pub(super) fn check_input(name: &str, inputs: &Tensor, built_in: Option<usize>) -> Result<usize> {
    let Some(&last) = inputs.shape().last().filter(|_| inputs.rank() >= 2) else {
        return Err(Error::InvalidShape { what: format!("layer `{name}`'s input"), shape: inputs.shape().to_vec(), reason: "needs at least two axes, [batch, features]".into() });
    };
    if let Some(in_size) = built_in {
        if in_size != last {
            return Err(Error::ShapeMismatch { context: format!("layer `{name}`: the input's features vs the kernel built for {in_size}"), lhs: inputs.shape().to_vec(), rhs: vec![in_size] });
        }
    }
    Ok(last)
}

layer_builders!([] Dense, "Dense::new(4)?");

impl Layer for Dense {
    fn call(&self, inputs: &Tensor, _seed: Seed) -> Result<Tensor> {
        let in_size = check_input(&self.name, inputs, self.built.get().map(|(k, _)| k.shape()[0]))?;
        let (kernel, bias) = self.build(in_size)?;
        let x = inputs.to_dtype(self.dtype)?;
        if let (Some(b), Activation::Linear | Activation::Relu) = (bias, &self.activation) {
            // One node for the product, the bias and relu (tensor/fused/dense.rs), the leading
            // axes stacked into the GEMM's rows.
            let rows = x.elem_count() / in_size;
            let kv = kernel.value();
            let out = x.reshape(&[rows, in_size])?.dense(&kv, &b.value(), self.activation == Activation::Relu)?;
            let mut shape = x.shape().to_vec();
            *shape.last_mut().expect("checked rank") = kv.shape()[1];
            return out.reshape(&shape);
        }
        let mut out = x.matmul(&kernel.value())?;
        if let Some(b) = bias {
            out = out.bias_add(&b.value())?;
        }
        self.activation.apply(&out)
    }

    fn trainable_variables(&self) -> Vec<Variable> {
        self.built.get().map_or(vec![], |(k, b)| std::iter::once(k.clone()).chain(b.clone()).collect())
    }

    fn name(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_is_the_hand_computation_and_bad_input_is_named() {
        let layer = Dense::new(2).unwrap().with_dtype(DType::F64).with_seed(5);
        let x = Tensor::from_slice(&[1.0, 2.0, 3.0, -1.0, 0.5, 0.0], &[2, 3], DType::F64).unwrap();
        let y = layer.call(&x, Seed::new(0)).unwrap().to_vec().unwrap();
        let vars = layer.trainable_variables();
        let k = vars[0].numpy().to_vec().unwrap();
        // Glorot-uniform bound √(6 / 5).
        assert!(k.iter().all(|v| v.abs() <= (6.0f64 / 5.0).sqrt()));
        for r in 0..2 {
            for u in 0..2 {
                let want: f64 = (0..3).map(|i| x.to_vec().unwrap()[r * 3 + i] * k[i * 2 + u]).sum();
                assert!((y[r * 2 + u] - want).abs() < 1e-12);
            }
        }
        let e = layer.call(&Tensor::ones(&[2, 4], DType::F64).unwrap(), Seed::new(0)).unwrap_err().to_string();
        assert!(e.contains("`dense`") && e.contains('4') && e.contains('3'), "{e}");
        assert!(layer.call(&Tensor::ones(&[3], DType::F64).unwrap(), Seed::new(0)).is_err());
    }
}
