//! TFP's independent distribution layers (`tfp.layers.IndependentNormal`, `IndependentLogistic`,
//! `IndependentBernoulli`, `IndependentPoisson`): a network's last `params_size` outputs become
//! a distribution over an event of shape `event_shape`, its batch the outputs' leading axes.
//!
//! ```text
//! IndependentNormal    params = [loc | ρ]   → Independent(Normal(loc, softplus(ρ)))       2·size
//! IndependentLogistic  params = [loc | ρ]   → Independent(Logistic(loc, softplus(ρ)))     2·size
//! IndependentBernoulli params = logits      → Independent(Bernoulli(logits))              size
//! IndependentPoisson   params = log rate    → Independent(Poisson(log_rate))              size
//! ```
//!
//! (`size` is the product of `event_shape`; the halves are split on the last axis and each
//! reshaped to `batch + event_shape`, as TFP's `new`.) Train one by minimizing
//! `−distribution(params).log_prob(y)`.

use crate::distributions::{Bernoulli, Distribution, Independent, Logistic, Normal, Poisson};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// A layer that makes a distribution from its input `params` (TFP's distribution layers).
///
/// ```
/// use probrs::distributions::Distribution;
/// use probrs::layers::{DistributionLayer, IndependentNormal};
/// use probrs::tensor::{DType, Tensor};
/// let layer = IndependentNormal::new(&[2]);
/// assert_eq!(layer.params_size(), 4);
/// let d = layer.distribution(&Tensor::zeros(&[5, 4], DType::F64)?)?;
/// assert_eq!((d.batch_shape(), d.event_shape()), (vec![5], vec![2]));
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait DistributionLayer: Send + Sync {
    /// The distribution it makes.
    type Output: Distribution + Clone + 'static;
    /// The number of inputs one distribution takes (TFP's static `params_size`).
    fn params_size(&self) -> usize;
    /// The distribution made from `params` `[batch..., params_size]`; an error names the layer
    /// and the shapes when the last axis is not `params_size`.
    fn distribution(&self, params: &Tensor) -> Result<Self::Output>;
}

/// Checks that `params`' last axis holds `params_size` numbers; the error names the layer
/// (`what`) and the shapes.
pub(super) fn check_params(what: &str, params: &Tensor, params_size: usize) -> Result<()> {
    if params.rank() == 0 || params.shape().last() != Some(&params_size) {
        return Err(Error::ShapeMismatch { context: format!("{what}: params' last axis vs params_size"), lhs: params.shape().to_vec(), rhs: vec![params_size] });
    }
    Ok(())
}

/// `params`' last axis split into `parts` equal pieces, each reshaped to `batch + event_shape`.
fn split(name: &str, params: &Tensor, event_shape: &[usize], parts: usize) -> Result<Vec<Tensor>> {
    let size: usize = event_shape.iter().product();
    check_params(&format!("{name} ({parts} × event size {size})"), params, parts * size)?;
    let mut out_shape = params.shape()[..params.rank() - 1].to_vec();
    out_shape.extend_from_slice(event_shape);
    (0..parts).map(|k| params.narrow(params.rank() - 1, k * size, size)?.reshape(&out_shape)).collect()
}

macro_rules! independent_layer {
    ($t:ident, $parts:expr, $doc:literal, |$p:ident| $make:expr) => {
        #[doc = $doc]
        ///
        /// ```
        /// use probrs::distributions::Distribution;
        /// use probrs::layers::DistributionLayer;
        #[doc = concat!("let layer = probrs::layers::", stringify!($t), "::new(&[2]);")]
        /// let d = layer.distribution(&probrs::tensor::Tensor::zeros(&[3, layer.params_size()], probrs::tensor::DType::F64)?)?;
        /// assert_eq!((d.batch_shape(), d.event_shape()), (vec![3], vec![2]));
        /// assert!(d.log_prob(&d.sample(&[], probrs::random::Seed::new(0))?)?.to_vec()?.iter().all(|v| v.is_finite()));
        /// # Ok::<(), probrs::Error>(())
        /// ```
        #[derive(Clone, Debug)]
        pub struct $t {
            event_shape: Vec<usize>,
        }

        impl $t {
            /// The layer for events of `event_shape` (`&[]` for a scalar).
            ///
            /// ```
            /// use probrs::layers::DistributionLayer;
            #[doc = concat!("let layer = probrs::layers::", stringify!($t), "::new(&[3]);")]
            #[doc = concat!("assert_eq!(layer.params_size(), ", stringify!($parts), " * 3);")]
            /// ```
            pub fn new(event_shape: &[usize]) -> Self {
                $t { event_shape: event_shape.to_vec() }
            }
        }

        impl DistributionLayer for $t {
            type Output = Independent;

            fn params_size(&self) -> usize {
                $parts * self.event_shape.iter().product::<usize>()
            }

            fn distribution(&self, params: &Tensor) -> Result<Independent> {
                let $p = split(stringify!($t), params, &self.event_shape, $parts)?;
                Independent::new($make, self.event_shape.len() as isize)
            }
        }
    };
}

independent_layer!(IndependentNormal, 2, "TFP's `IndependentNormal`: `[loc | ρ]` → `Independent(Normal(loc, softplus(ρ)))`.", |p| Normal::new(p[0].clone(), p[1].softplus()?)?);
independent_layer!(IndependentLogistic, 2, "TFP's `IndependentLogistic`: `[loc | ρ]` → `Independent(Logistic(loc, softplus(ρ)))`.", |p| Logistic::new(p[0].clone(), p[1].softplus()?)?);
independent_layer!(IndependentBernoulli, 1, "TFP's `IndependentBernoulli`: logits → `Independent(Bernoulli(logits))`.", |p| Bernoulli::from_logits(p[0].clone())?);
independent_layer!(IndependentPoisson, 1, "TFP's `IndependentPoisson`: log rates → `Independent(Poisson(log_rate))`.", |p| Poisson::from_log_rate(p[0].clone())?);
