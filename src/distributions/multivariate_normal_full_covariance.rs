//! `MultivariateNormalFullCovariance(loc, covariance_matrix)`: the covariance is factored by
//! Cholesky at use; a fixed covariance must be symmetric positive definite.

use super::mvn_linear_operator::{mvn_family, MvnCore, ScaleSpec};
use crate::error::Result;
use crate::params::Param;

/// A multivariate normal given by its covariance matrix.
///
/// ```
/// use probrs::distributions::{Distribution, MultivariateNormalFullCovariance};
/// use probrs::tensor::{DType, Tensor};
/// let c = Tensor::from_slice(&[4.0, 1.0, 1.0, 1.25], &[2, 2], DType::F64)?;
/// let d = MultivariateNormalFullCovariance::new(Tensor::zeros(&[2], DType::F64)?, c)?;
/// assert_eq!(d.scale_tril()?.to_vec()?, vec![2.0, 0.0, 0.5, 1.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct MultivariateNormalFullCovariance {
    core: MvnCore,
    name: String,
}

impl MultivariateNormalFullCovariance {
    /// `N(loc, covariance_matrix)`; the covariance is factored by Cholesky at every use.
    pub fn new(loc: impl Into<Param>, covariance_matrix: impl Into<Param>) -> Result<Self> {
        Ok(MultivariateNormalFullCovariance {
            core: MvnCore::new(loc.into(), ScaleSpec::FullCovariance(covariance_matrix.into()))?,
            name: "MultivariateNormalFullCovariance".into(),
        })
    }
}

mvn_family!(MultivariateNormalFullCovariance, "MultivariateNormalFullCovariance");
