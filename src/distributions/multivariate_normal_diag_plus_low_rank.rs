//! `MultivariateNormalDiagPlusLowRank(loc, scale_diag, scale_perturb_factor,
//! scale_perturb_diag)`: `X = loc + S Z` with `S = diag(scale_diag) + U diag(v) Uᵀ`
//! (`U = scale_perturb_factor [..., n, r]`, `v = scale_perturb_diag [..., r]`, default ones), as
//! TFP's class of that name. The covariance `S Sᵀ` is factored by Cholesky for densities.

use super::mvn_linear_operator::{mvn_family, MvnCore, ScaleSpec};
use crate::error::Result;
use crate::params::Param;

/// A multivariate normal whose scale is a diagonal plus a low-rank update.
#[derive(Clone)]
pub struct MultivariateNormalDiagPlusLowRank {
    core: MvnCore,
    name: String,
}

impl MultivariateNormalDiagPlusLowRank {
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

mvn_family!(MultivariateNormalDiagPlusLowRank, "MultivariateNormalDiagPlusLowRank");
