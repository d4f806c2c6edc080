//! TFP's `tfp.layers.VariableLayer(shape)`: a layer whose output is a trainable variable,
//! whatever the input — the learnable parameters of a prior or a posterior built as layers
//! (TFP's `DenseVariational` tutorials), initialized to zeros (TFP's default) or a given value.

use crate::error::Result;
use crate::params::Variable;
use crate::random::Seed;
use crate::tensor::{DType, Tensor};

use super::activation::Activation;
use super::layer::Layer;

/// The layer.
///
/// ```
/// use probrs::layers::{Layer, VariableLayer};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let layer = VariableLayer::new(&[3], DType::F64)?;
/// let y = layer.call(&Tensor::ones(&[7, 2], DType::F64)?, Seed::new(0))?;
/// assert_eq!(y.to_vec()?, vec![0.0, 0.0, 0.0]);
/// assert_eq!(layer.trainable_variables()[0].name(), "variable_layer/constant");
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct VariableLayer {
    variable: Variable,
    activation: Activation,
}

impl VariableLayer {
    /// A variable of `shape`, zeros.
    ///
    /// ```
    /// let l = probrs::layers::VariableLayer::new(&[2, 2], probrs::tensor::DType::F32)?;
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(shape: &[usize], dtype: DType) -> Result<Self> {
        Self::with_initial_value(&Tensor::zeros(shape, dtype)?)
    }

    /// A variable starting at `value`.
    ///
    /// ```
    /// use probrs::layers::{Layer, VariableLayer};
    /// let l = VariableLayer::with_initial_value(&probrs::tensor::Tensor::vector(&[1.5], probrs::tensor::DType::F64)?)?;
    /// assert_eq!(l.call(&probrs::tensor::Tensor::zeros(&[1, 1], probrs::tensor::DType::F64)?, probrs::random::Seed::new(0))?.to_vec()?, vec![1.5]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_initial_value(value: &Tensor) -> Result<Self> {
        Ok(VariableLayer { variable: Variable::new(value, "variable_layer/constant")?, activation: Activation::Linear })
    }

    /// With an activation applied to the variable.
    ///
    /// ```
    /// use probrs::layers::{Activation, Layer, VariableLayer};
    /// let l = VariableLayer::new(&[1], probrs::tensor::DType::F64)?.with_activation(Activation::Sigmoid);
    /// assert_eq!(l.call(&probrs::tensor::Tensor::zeros(&[1, 1], probrs::tensor::DType::F64)?, probrs::random::Seed::new(0))?.to_vec()?, vec![0.5]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }
}

impl Layer for VariableLayer {
    fn call(&self, _inputs: &Tensor, _seed: Seed) -> Result<Tensor> {
        self.activation.apply(&self.variable.value())
    }

    fn trainable_variables(&self) -> Vec<Variable> {
        vec![self.variable.clone()]
    }

    fn name(&self) -> &str {
        "variable_layer"
    }
}
