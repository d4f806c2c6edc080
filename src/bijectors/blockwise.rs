//! `Blockwise`: a list of bijectors applied to consecutive blocks of a vector's last axis
//! (TFP's `tfb.Blockwise(bijectors, block_sizes)`): how a copula's unit-cube coordinates get a
//! marginal each.
//!
//! ```text
//! x = [x_1 | x_2 | … | x_K]   (block k has size s_k along the last axis)
//! forward  y = [f_1(x_1) | … | f_K(x_K)]
//! log|det ∂y/∂x| = Σ_k log|det ∂f_k/∂x_k|   (per vector: forward_min_event_ndims = 1)
//! ```
//!
//! Each bijector must act on vectors or elements (`forward_min_event_ndims ≤ 1`) and keep its
//! block's size; block sizes default to one element per bijector, as TFP.

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use crate::variables::Variable;
use std::sync::Arc;

/// Bijectors on consecutive blocks of the last axis.
///
/// ```
/// use probrs::bijectors::{Bijector, Blockwise, Exp, IntoArcBijector, Shift};
/// use probrs::tensor::{DType, Tensor};
/// // exp on the first coordinate, +1 on the next two.
/// let b = Blockwise::new(vec![Exp::new().into_arc(), Shift::new(1.0).into_arc()], Some(vec![1, 2]))?;
/// let y = b.forward(&Tensor::vector(&[0.0, 1.0, 2.0], DType::F64)?)?;
/// assert_eq!(y.to_vec()?, vec![1.0, 2.0, 3.0]);
/// // log|det J| = x_1 (exp's) + 0 (the shift's).
/// let x = Tensor::vector(&[0.5, 1.0, 2.0], DType::F64)?;
/// assert!((b.forward_log_det_jacobian(&x, 1)?.to_scalar()? - 0.5).abs() < 1e-15);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Blockwise {
    bijectors: Vec<Arc<dyn Bijector>>,
    block_sizes: Vec<usize>,
    name: String,
}

impl std::fmt::Debug for Blockwise {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blockwise({}, block_sizes {:?})", self.name, self.block_sizes)
    }
}

impl Blockwise {
    /// `bijectors` on blocks of `block_sizes` (default: one element each). Errors name the
    /// culprit: sizes that do not match the bijectors, an empty block, a bijector on matrices
    /// or one that changes its block's size.
    ///
    /// ```
    /// use probrs::bijectors::{Blockwise, Exp, IntoArcBijector, SoftmaxCentered};
    /// assert!(Blockwise::new(vec![Exp::new().into_arc()], Some(vec![1, 1])).is_err()); // 2 sizes, 1 bijector
    /// assert!(Blockwise::new(vec![Exp::new().into_arc()], Some(vec![0])).is_err()); // empty block
    /// assert!(Blockwise::new(vec![SoftmaxCentered::new().into_arc()], Some(vec![2])).is_err()); // 2 → 3
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(bijectors: Vec<Arc<dyn Bijector>>, block_sizes: Option<Vec<usize>>) -> Result<Self> {
        let sizes = block_sizes.unwrap_or_else(|| vec![1; bijectors.len()]);
        if sizes.len() != bijectors.len() || bijectors.is_empty() {
            return Err(Error::invalid_parameter("block_sizes", format!("{} block sizes for {} bijectors (one each, at least one)", sizes.len(), bijectors.len())));
        }
        for (b, &s) in bijectors.iter().zip(&sizes) {
            if s == 0 {
                return Err(Error::invalid_parameter("block_sizes", format!("the block of `{}` is empty", b.name())));
            }
            if b.forward_min_event_ndims() > 1 || b.inverse_min_event_ndims() > 1 {
                return Err(Error::invalid_parameter("bijectors", format!("`{}` acts on events of rank {}; Blockwise takes elementwise or vector bijectors", b.name(), b.forward_min_event_ndims())));
            }
            let out = b.forward_event_shape(&[s])?;
            if out != [s] {
                return Err(Error::invalid_parameter("bijectors", format!("`{}` maps a block of {s} to {out:?}; Blockwise needs sizes kept", b.name())));
            }
        }
        let name = format!("blockwise_of_{}", bijectors.iter().map(|b| b.name().to_string()).collect::<Vec<_>>().join("_and_"));
        Ok(Blockwise { bijectors, block_sizes: sizes, name })
    }

    /// The blocks of `t`'s last axis, or an error naming the shapes.
    fn split(&self, t: &Tensor) -> Result<Vec<Tensor>> {
        let total: usize = self.block_sizes.iter().sum();
        if t.rank() == 0 || t.shape()[t.rank() - 1] != total {
            return Err(Error::ShapeMismatch { context: format!("{}: the last axis vs the block sizes {:?}", self.name, self.block_sizes), lhs: t.shape().to_vec(), rhs: vec![total] });
        }
        let axis = t.rank() - 1;
        let mut start = 0;
        self.block_sizes
            .iter()
            .map(|&s| {
                let block = t.narrow(axis, start, s);
                start += s;
                block
            })
            .collect()
    }

    fn map(&self, t: &Tensor, f: impl Fn(&dyn Bijector, &Tensor) -> Result<Tensor>) -> Result<Tensor> {
        let parts = self.split(t)?.iter().zip(&self.bijectors).map(|(x, b)| f(b.as_ref(), x)).collect::<Result<Vec<_>>>()?;
        Tensor::concat(&parts.iter().collect::<Vec<_>>(), t.rank() - 1)
    }

    fn sum_ldj(&self, t: &Tensor, f: impl Fn(&dyn Bijector, &Tensor) -> Result<Tensor>) -> Result<Tensor> {
        let mut total: Option<Tensor> = None;
        for (x, b) in self.split(t)?.iter().zip(&self.bijectors) {
            let l = f(b.as_ref(), x)?;
            total = Some(match total {
                None => l,
                Some(acc) => acc.add(&l)?,
            });
        }
        total.ok_or_else(|| Error::invalid_parameter("bijectors", "none"))
    }

    /// Each block's `(image, log-det)` pair computed together (a Glow block's couplings run
    /// their networks once), the images concatenated and the log-dets summed.
    fn map_with_ldj(&self, t: &Tensor, f: impl Fn(&dyn Bijector, &Tensor) -> Result<(Tensor, Tensor)>) -> Result<(Tensor, Tensor)> {
        let (mut parts, mut total) = (Vec::with_capacity(self.bijectors.len()), None::<Tensor>);
        for (x, b) in self.split(t)?.iter().zip(&self.bijectors) {
            let (y, l) = f(b.as_ref(), x)?;
            parts.push(y);
            total = Some(match total {
                None => l,
                Some(acc) => acc.add(&l)?,
            });
        }
        let ldj = total.ok_or_else(|| Error::invalid_parameter("bijectors", "none"))?;
        Ok((Tensor::concat(&parts.iter().collect::<Vec<_>>(), t.rank() - 1)?, ldj))
    }
}

impl Bijector for Blockwise {
    fn name(&self) -> &str {
        &self.name
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn is_constant_jacobian(&self) -> bool {
        self.bijectors.iter().all(|b| b.is_constant_jacobian())
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.map(x, |b, x| b.forward(x))
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        self.map(y, |b, y| b.inverse(y))
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        self.sum_ldj(x, |b, x| b.forward_log_det_jacobian(x, 1))
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        self.sum_ldj(y, |b, y| b.inverse_log_det_jacobian(y, 1))
    }
    fn inverse_and_inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<(Tensor, Tensor)> {
        self.map_with_ldj(y, |b, y| b.inverse_and_inverse_log_det_jacobian(y, 1))
    }
    fn forward_and_forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        self.map_with_ldj(x, |b, x| b.forward_and_forward_log_det_jacobian(x, 1))
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        for b in &self.bijectors {
            b.visit_variables(f);
        }
    }
}
