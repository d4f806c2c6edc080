//! `MultivariateNormalDiagPlusLowRank(loc, scale_diag, scale_perturb_factor,
//! scale_perturb_diag)`: `X = loc + S Z` with `S = diag(scale_diag) + U diag(v) Uᵀ`
//! (`U = scale_perturb_factor [..., n, r]`, `v = scale_perturb_diag [..., r]`, default ones), as
//! TFP's class of that name. The covariance `S Sᵀ` is factored by Cholesky for densities.

use super::mvn_linear_operator::{mvn_family, MvnCore, ScaleSpec};
use crate::error::Result;
use crate::params::Param;

/// A multivariate normal whose scale is a diagonal plus a low-rank update.
///
/// ```
/// use probrs::distributions::{Distribution, MultivariateNormalDiagPlusLowRank};
/// use probrs::tensor::{DType, Tensor};
/// // S = I + u uᵀ with u = (1, 0) is diag(2, 1), so the covariance S Sᵀ is diag(4, 1).
/// let d = MultivariateNormalDiagPlusLowRank::new(
///     Tensor::zeros(&[2], DType::F64)?,
///     Tensor::vector(&[1.0, 1.0], DType::F64)?,
///     Tensor::from_slice(&[1.0, 0.0], &[2, 1], DType::F64)?,
///     None,
/// )?;
/// let c = d.covariance()?.to_vec()?;
/// assert!(c.iter().zip([4.0, 0.0, 0.0, 1.0]).all(|(a, b)| (a - b).abs() < 1e-12));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct MultivariateNormalDiagPlusLowRank {
    core: MvnCore,
    name: String,
}

impl MultivariateNormalDiagPlusLowRank {
    /// `N(loc, S Sᵀ)` with `S = diag(scale_diag) + U diag(d) Uᵀ` for `U = scale_perturb_factor` (`[..., n, r]`) and `d = scale_perturb_diag` (ones when `None`).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, MultivariateNormalDiagPlusLowRank};
    /// use probrs::params::Param;
    /// // With perturbation diagonal d = [3]: S = I + 3 u uᵀ, u = (0, 1): diag(1, 4), covariance diag(1, 16).
    /// let d = MultivariateNormalDiagPlusLowRank::new(
    ///     Tensor::zeros(&[2], DType::F64)?,
    ///     Tensor::ones(&[2], DType::F64)?,
    ///     Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?,
    ///     Some(Param::from(Tensor::vector(&[3.0], DType::F64)?)),
    /// )?;
    /// let v = d.variance()?.to_vec()?;
    /// assert!((v[0] - 1.0).abs() < 1e-12 && (v[1] - 16.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(
        loc: impl Into<Param>,
        scale_diag: impl Into<Param>,
        scale_perturb_factor: impl Into<Param>,
        scale_perturb_diag: Option<Param>,
    ) -> Result<Self> {
        let scale = ScaleSpec::DiagPlusLowRank { diag: scale_diag.into(), factor: scale_perturb_factor.into(), perturb_diag: scale_perturb_diag };
        Ok(MultivariateNormalDiagPlusLowRank { core: MvnCore::new(loc.into(), scale)?, name: "MultivariateNormalDiagPlusLowRank".into() })
    }
}

mvn_family!(
    MultivariateNormalDiagPlusLowRank,
    "MultivariateNormalDiagPlusLowRank",
    // the examples' instance
    "MultivariateNormalDiagPlusLowRank::new(Tensor::zeros(&[3], DType::F64)?, Tensor::ones(&[3], DType::F64)?, Tensor::from_slice(&[1.0, 0.5, -1.0], &[3, 1], DType::F64)?, None)?"
);
