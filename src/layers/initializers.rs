//! Keras's initializers, seeded: `GlorotUniform` for kernels (the default), `HeNormal` and
//! `Zeros` on request ([`Initializer`]), zeros for biases.
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

/// A kernel initializer (Keras's `kernel_initializer`): `GlorotUniform` (the default),
/// `HeNormal` (truncated normal, `random::he_normal`) or `Zeros` (as Glow's last coupling
/// convolution, so each coupling starts as the identity).
///
/// ```
/// use probrs::layers::{Dense, Initializer, Layer};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let d = Dense::new(3)?.with_kernel_initializer(Initializer::Zeros);
/// let y = d.call(&Tensor::ones(&[2, 4], DType::F32)?, Seed::new(0))?;
/// assert!(y.to_vec()?.iter().all(|v| *v == 0.0));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Initializer {
    /// `U(−l, l)`, `l = √(6 / (fan_in + fan_out))`.
    #[default]
    GlorotUniform,
    /// Normal truncated at two standard deviations, variance `2 / fan_in`.
    HeNormal,
    /// All zeros.
    Zeros,
}

impl Initializer {
    /// A tensor of `shape` drawn from this initializer.
    ///
    /// ```
    /// use probrs::layers::Initializer;
    /// use probrs::random::Seed;
    /// use probrs::tensor::DType;
    /// assert_eq!(Initializer::Zeros.draw(&[2, 2], DType::F64, Seed::new(0))?.to_vec()?, vec![0.0; 4]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn draw(self, shape: &[usize], dtype: DType, seed: Seed) -> Result<Tensor> {
        match self {
            Initializer::GlorotUniform => glorot_uniform(shape, dtype, seed),
            Initializer::HeNormal => crate::random::he_normal(shape, dtype, seed),
            Initializer::Zeros => Tensor::zeros(shape, dtype),
        }
    }
}

/// A layer's kernel of `kernel_shape` (drawn by `init` from `seed`, named `{name}/kernel`) and,
/// when `use_bias`, its zero bias over the last axis (`{name}/bias`).
pub(super) fn kernel_and_bias(kernel_shape: &[usize], init: Initializer, use_bias: bool, name: &str, dtype: DType, seed: Seed) -> Result<(Variable, Option<Variable>)> {
    let kernel = Variable::new(&init.draw(kernel_shape, dtype, seed)?, format!("{name}/kernel"))?;
    let units = *kernel_shape.last().expect("a kernel has axes");
    let bias = if use_bias { Some(Variable::new(&Tensor::zeros(&[units], dtype)?, format!("{name}/bias"))?) } else { None };
    Ok((kernel, bias))
}
