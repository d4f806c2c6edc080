//! `MultivariateNormalDiag(loc, scale_diag)`: `X = loc + scale_diag ⊙ Z`, covariance
//! `diag(scale_diag²)`. Parameters: `loc [..., n]`, `scale_diag [..., n]` (positive; default
//! constraining bijector Softplus(low = eps)).

use crate::params::constraining;
use super::mvn_linear_operator::{mvn_family, MvnCore, ScaleSpec};
use crate::error::Result;
use crate::params::{Param, ParameterProperties, Parameters, Trainable};
use crate::tensor::DType;

/// A multivariate normal with diagonal scale.
///
/// ```
/// use probrs::distributions::{Distribution, MultivariateNormalDiag};
/// use probrs::tensor::{DType, Tensor};
/// let d = MultivariateNormalDiag::new(Tensor::zeros(&[3], DType::F64)?, Tensor::ones(&[3], DType::F64)?)?;
/// assert!((d.entropy()?.to_scalar()? - 4.2568155996140185).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct MultivariateNormalDiag {
    core: MvnCore,
    name: String,
}

impl MultivariateNormalDiag {
    /// `N(loc, diag(scale_diag)²)`; `loc` and `scale_diag` broadcast, event size from their last axis.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, MultivariateNormalDiag};
    /// let d = MultivariateNormalDiag::new(Tensor::vector(&[1.0, 2.0], DType::F64)?, Tensor::vector(&[1.0, 3.0], DType::F64)?)?;
    /// assert_eq!(d.variance()?.to_vec()?, vec![1.0, 9.0]);
    /// // log N(loc; loc, diag) = −log(2π) − log 3
    /// let lp = d.log_prob(&Tensor::vector(&[1.0, 2.0], DType::F64)?)?.to_scalar()?;
    /// assert!((lp + (2.0 * std::f64::consts::PI).ln() + 3f64.ln()).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(loc: impl Into<Param>, scale_diag: impl Into<Param>) -> Result<Self> {
        Ok(MultivariateNormalDiag { core: MvnCore::new(loc.into(), ScaleSpec::Diag(scale_diag.into()))?, name: "MultivariateNormalDiag".into() })
    }
}

mvn_family!(
    MultivariateNormalDiag,
    "MultivariateNormalDiag",
    // the examples' instance
    "MultivariateNormalDiag::new(Tensor::zeros(&[3], DType::F64)?, Tensor::vector(&[1.0, 2.0, 3.0], DType::F64)?)?"
);


impl Trainable for MultivariateNormalDiag {
    const NAME: &'static str = "MultivariateNormalDiag";
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![
            ("loc", ParameterProperties { event_ndims: 1, ..Default::default() }),
            ("scale_diag", ParameterProperties { event_ndims: 1, default_constraining_bijector: constraining::positive, ..Default::default() }),
        ]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let mut d = Self::new(p.take_required("loc", Self::NAME)?, p.take_required("scale_diag", Self::NAME)?)?;
        if let Some(n) = p.name.take() {
            d = d.with_name(&n);
        }
        let v = p.validate_args;
        p.finish(Self::NAME)?;
        d.with_validate_args(v)
    }
}
