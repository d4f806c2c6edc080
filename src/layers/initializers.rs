//! Keras's default initializers, seeded: `GlorotUniform` for kernels, zeros for biases.
//!
//! ```text
//! W ~ U(−l, l),  l = √(6 / (fan_in + fan_out))
//! fan_in = Π shape[..−1], fan_out = Π shape[..−2] · shape[−1]   (a convolution's receptive field counts in both)
//! ```
//!
//! For a rank-1 shape both fans are its length (Keras's rule).

use crate::error::Result;
use crate::params::Variable;
use crate::random::Seed;
use crate::tensor::{DType, Tensor};

pub use crate::random::glorot_uniform;

/// A layer's kernel of `kernel_shape` (Glorot-uniform from `seed`, named `{name}/kernel`) and,
/// when `use_bias`, its zero bias over the last axis (`{name}/bias`).
pub(super) fn kernel_and_bias(kernel_shape: &[usize], use_bias: bool, name: &str, dtype: DType, seed: Seed) -> Result<(Variable, Option<Variable>)> {
    let kernel = Variable::new(&glorot_uniform(kernel_shape, dtype, seed)?, format!("{name}/kernel"))?;
    let units = *kernel_shape.last().expect("a kernel has axes");
    let bias = if use_bias { Some(Variable::new(&Tensor::zeros(&[units], dtype)?, format!("{name}/bias"))?) } else { None };
    Ok((kernel, bias))
}
