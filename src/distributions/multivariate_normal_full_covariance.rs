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
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, MultivariateNormalFullCovariance};
    /// let cov = Tensor::from_slice(&[4.0, 2.0, 2.0, 10.0], &[2, 2], DType::F64)?;
    /// let d = MultivariateNormalFullCovariance::new(Tensor::zeros(&[2], DType::F64)?, cov)?;
    /// assert_eq!(d.covariance()?.to_vec()?, vec![4.0, 2.0, 2.0, 10.0]);
    /// // A covariance that is not positive definite is an error.
    /// let bad = Tensor::from_slice(&[1.0, 2.0, 2.0, 1.0], &[2, 2], DType::F64)?;
    /// assert!(MultivariateNormalFullCovariance::new(Tensor::zeros(&[2], DType::F64)?, bad).and_then(|d| d.covariance()).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(loc: impl Into<Param>, covariance_matrix: impl Into<Param>) -> Result<Self> {
        Ok(MultivariateNormalFullCovariance {
            core: MvnCore::new(loc.into(), ScaleSpec::FullCovariance(covariance_matrix.into()))?,
            name: "MultivariateNormalFullCovariance".into(),
        })
    }
}

mvn_family!(
    MultivariateNormalFullCovariance,
    "MultivariateNormalFullCovariance",
    // the examples' instance
    "MultivariateNormalFullCovariance::new(Tensor::zeros(&[3], DType::F64)?, Tensor::from_slice(&[2.0, 0.5, 0.0, 0.5, 1.0, 0.2, 0.0, 0.2, 3.0], &[3, 3], DType::F64)?)?"
);
