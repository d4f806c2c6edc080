//! `MultivariateNormalFullCovariance(loc, covariance_matrix)`: the covariance is factored by
//! Cholesky at use; a fixed covariance must be symmetric positive definite.

use super::mvn_linear_operator::{mvn_family, MvnCore, ScaleSpec};
use crate::error::Result;
use crate::bijectors::{Bijector, Chain, CholeskyOuterProduct, FillScaleTriL, IntoArcBijector};
use crate::params::{Param, ParameterProperties, Parameters, Trainable};
use crate::tensor::DType;
use std::sync::Arc;

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

/// Unconstrained triangle-vectors onto positive-definite matrices: `CholeskyOuterProduct ∘
/// FillScaleTriL(diag_shift = eps(dtype))`, as TFP.
fn positive_definite(dtype: DType) -> Arc<dyn Bijector> {
    let fill = FillScaleTriL::with_options(Arc::new(crate::bijectors::Softplus::new()), Some(dtype.eps()));
    Arc::new(Chain::new(vec![CholeskyOuterProduct::new().into_arc(), fill.into_arc()]))
}

impl Trainable for MultivariateNormalFullCovariance {
    const NAME: &'static str = "MultivariateNormalFullCovariance";
    /// `loc` `[..., n]` and `covariance_matrix` `[..., n, n]`, the latter held as a
    /// triangle-vector mapped onto positive-definite matrices (TFP's properties).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, MultivariateNormalFullCovariance};
    /// use probrs::params::MakeTrainable;
    /// let d: MultivariateNormalFullCovariance = MakeTrainable::new().batch_and_event_shape(&[3]).seed(0).build()?;
    /// assert_eq!(d.covariance()?.shape(), &[3, 3]);
    /// assert_eq!(d.trainable_variables()[1].shape(), &[6]); // the packed triangle
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![
            ("loc", ParameterProperties { event_ndims: 1, ..Default::default() }),
            ("covariance_matrix", ParameterProperties { event_ndims: 2, shape_fn: super::multivariate_normal_tril::tril_shape, default_constraining_bijector: positive_definite, ..Default::default() }),
        ]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let mut d = Self::new(p.take_required("loc", Self::NAME)?, p.take_required("covariance_matrix", Self::NAME)?)?;
        if let Some(n) = p.name.take() {
            d = d.with_name(&n);
        }
        let v = p.validate_args;
        p.finish(Self::NAME)?;
        d.with_validate_args(v)
    }
}
