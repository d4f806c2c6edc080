//! `MultivariateNormalTriL(loc, scale_tril)`: `X = loc + L Z` with lower-triangular `L`
//! (the Cholesky factor of the covariance `L Lᵀ`). Parameters: `loc [..., n]`,
//! `scale_tril [..., n, n]` (default constraining bijector `FillScaleTriL`, so `make_trainable`
//! stores `n(n+1)/2` unconstrained numbers per matrix). A fixed `scale_tril` must be lower
//! triangular with a non-zero diagonal.

use super::mvn_linear_operator::{mvn_family, MvnCore, ScaleSpec};
use crate::bijectors::{Bijector, FillScaleTriL};
use crate::error::Result;
use crate::params::{Param, ParameterProperties, Parameters, Trainable};
use crate::tensor::DType;
use std::sync::Arc;

/// A multivariate normal with lower-triangular scale.
///
/// ```
/// use probrs::distributions::{Distribution, MultivariateNormalTriL};
/// use probrs::tensor::{DType, Tensor};
/// let l = Tensor::from_slice(&[2.0, 0.0, 0.5, 1.0], &[2, 2], DType::F64)?;
/// let d = MultivariateNormalTriL::new(Tensor::zeros(&[2], DType::F64)?, l)?;
/// assert_eq!(d.covariance()?.to_vec()?, vec![4.0, 1.0, 1.0, 1.25]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct MultivariateNormalTriL {
    core: MvnCore,
    name: String,
}

impl MultivariateNormalTriL {
    /// `N(loc, L Lᵀ)` for the lower-triangular `scale_tril = L` (its upper triangle is ignored).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, MultivariateNormalTriL};
    /// let l = Tensor::from_slice(&[2.0, 0.0, 1.0, 3.0], &[2, 2], DType::F64)?;
    /// let d = MultivariateNormalTriL::new(Tensor::zeros(&[2], DType::F64)?, l)?;
    /// assert_eq!(d.covariance()?.to_vec()?, vec![4.0, 2.0, 2.0, 10.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(loc: impl Into<Param>, scale_tril: impl Into<Param>) -> Result<Self> {
        Ok(MultivariateNormalTriL { core: MvnCore::new(loc.into(), ScaleSpec::TriL(scale_tril.into()))?, name: "MultivariateNormalTriL".into() })
    }
}

mvn_family!(
    MultivariateNormalTriL,
    "MultivariateNormalTriL",
    // the examples' instance
    "MultivariateNormalTriL::new(Tensor::zeros(&[3], DType::F64)?, Tensor::from_slice(&[1.0, 0.0, 0.0, 0.5, 2.0, 0.0, -1.0, 0.3, 1.5], &[3, 3], DType::F64)?)?"
);

/// `[..., n]` → `[..., n, n]`: a matrix parameter's shape from the event's.
pub(crate) fn tril_shape(s: &[usize]) -> Vec<usize> {
    let mut v = s.to_vec();
    if let Some(&n) = s.last() {
        v.push(n);
    }
    v
}
fn fill_scale_tril(_: DType) -> Arc<dyn Bijector> {
    Arc::new(FillScaleTriL::new())
}

impl Trainable for MultivariateNormalTriL {
    const NAME: &'static str = "MultivariateNormalTriL";
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![
            ("loc", ParameterProperties { event_ndims: 1, ..Default::default() }),
            ("scale_tril", ParameterProperties { event_ndims: 2, shape_fn: tril_shape, default_constraining_bijector: fill_scale_tril, ..Default::default() }),
        ]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let mut d = Self::new(p.take_required("loc", Self::NAME)?, p.take_required("scale_tril", Self::NAME)?)?;
        if let Some(n) = p.name.take() {
            d = d.with_name(&n);
        }
        let v = p.validate_args;
        p.finish(Self::NAME)?;
        d.with_validate_args(v)
    }
}
