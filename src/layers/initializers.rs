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
use crate::random::{self, Seed};
use crate::tensor::{DType, Tensor};

/// Keras's `GlorotUniform` draw of a tensor of `shape`.
///
/// ```
/// use probrs::layers::glorot_uniform;
/// use probrs::random::Seed;
/// use probrs::tensor::DType;
/// // A dense kernel 3 → 2: |w| ≤ √(6/5); a 5 × 5 convolution 1 → 4: |w| ≤ √(6 / (25 + 100)).
/// assert!(glorot_uniform(&[3, 2], DType::F64, Seed::new(0))?.to_vec()?.iter().all(|w| w.abs() <= (1.2f64).sqrt()));
/// assert!(glorot_uniform(&[5, 5, 1, 4], DType::F64, Seed::new(0))?.to_vec()?.iter().all(|w| w.abs() <= (6.0f64 / 125.0).sqrt()));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn glorot_uniform(shape: &[usize], dtype: DType, seed: Seed) -> Result<Tensor> {
    let (fan_in, fan_out) = match shape {
        [] => (1, 1),
        [n] => (*n, *n),
        [.., o] => {
            let fan_in: usize = shape[..shape.len() - 1].iter().product();
            (fan_in, shape[..shape.len() - 2].iter().product::<usize>() * o)
        }
    };
    let limit = (6.0 / (fan_in + fan_out).max(1) as f64).sqrt();
    random::uniform_range(shape, -limit, limit, dtype, seed)
}

/// A layer's kernel of `kernel_shape` (Glorot-uniform from `seed`, named `{name}/kernel`) and,
/// when `use_bias`, its zero bias over the last axis (`{name}/bias`).
pub(super) fn kernel_and_bias(kernel_shape: &[usize], use_bias: bool, name: &str, dtype: DType, seed: Seed) -> Result<(Variable, Option<Variable>)> {
    let kernel = Variable::new(&glorot_uniform(kernel_shape, dtype, seed)?, format!("{name}/kernel"))?;
    let units = *kernel_shape.last().expect("a kernel has axes");
    let bias = if use_bias { Some(Variable::new(&Tensor::zeros(&[units], dtype)?, format!("{name}/bias"))?) } else { None };
    Ok((kernel, bias))
}
