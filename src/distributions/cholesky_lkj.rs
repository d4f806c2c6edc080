//! CholeskyLKJ: the LKJ distribution expressed over Cholesky factors `L` of correlation
//! matrices (lower triangular, positive diagonal, unit-norm rows), with the change of variables
//! `C = L Lᵀ` included, so this is the density of `L` itself (with respect to its strictly
//! lower entries, the measure `CorrelationCholesky` maps onto):
//!
//! ```text
//! log p(L) = Σ_{k=0}^{d−1} (d − 1 − k + 2(η − 1)) log L_kk − log Z(η)
//! ```
//! with LKJ's normalizer `Z`. Samples are onion-method Cholesky factors (not reparameterized).
//!
//! ```
//! use probrs::distributions::{CholeskyLKJ, Distribution};
//! use probrs::random::Seed;
//! let d = CholeskyLKJ::new(3, 2.0)?;
//! let l = d.sample(&[4], Seed::new(7))?;
//! assert_eq!(l.shape(), &[4, 3, 3]);
//! assert!(d.log_prob(&l)?.to_vec()?.iter().all(|v| v.is_finite()));
//! # Ok::<(), probrs::Error>(())
//! ```

use super::distribution::impl_display;
use super::lkj::{lkj_accessors, lkj_builders, take_dimension, LkjCore};
use super::Distribution;
use crate::bijectors::{Bijector, CorrelationCholesky};
use crate::error::Result;
use crate::params::{constraining, Param, ParameterProperties, Parameters, Trainable};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

/// CholeskyLKJ(dimension, concentration).
///
/// ```
/// use probrs::distributions::{CholeskyLKJ, Distribution};
/// use probrs::random::Seed;
/// // Samples are Cholesky factors of 3 × 3 correlation matrices: lower triangular, unit rows.
/// let d = CholeskyLKJ::new(3, 2.0)?;
/// let l = d.sample(&[], Seed::new(1))?;
/// assert_eq!(l.shape(), &[3, 3]);
/// let v = l.to_vec()?;
/// assert_eq!((v[1], v[2], v[5]), (0.0, 0.0, 0.0));
/// for r in 0..3 {
///     let norm: f64 = (0..3).map(|c| v[3 * r + c] * v[3 * r + c]).sum();
///     assert!((norm - 1.0).abs() < 1e-5);
/// }
/// assert!(d.log_prob(&l)?.to_scalar()?.is_finite());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct CholeskyLKJ {
    core: LkjCore,
    name: String,
}

impl CholeskyLKJ {
    /// `dimension` d and `concentration` η > 0 (any batch shape).
    ///
    /// ```
    /// use probrs::distributions::{CholeskyLKJ, Distribution};
    /// let d = CholeskyLKJ::new(2, 1.5)?;
    /// assert_eq!(d.event_shape(), vec![2, 2]);
    /// assert!(CholeskyLKJ::new(2, -1.0).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(dimension: usize, concentration: impl Into<Param>) -> Result<Self> {
        Ok(CholeskyLKJ { core: LkjCore::new(dimension, concentration.into())?, name: "CholeskyLKJ".into() })
    }
    lkj_builders!(CholeskyLKJ);
}

impl Distribution for CholeskyLKJ {
    fn class_name(&self) -> &'static str {
        "CholeskyLKJ"
    }
    lkj_accessors!();
    fn default_event_space_bijector(&self) -> Result<Arc<dyn Bijector>> {
        Ok(Arc::new(CorrelationCholesky::new()))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        self.core.check_input(self, x)?;
        let d = self.core.dimension;
        let eta = self.core.eta()?;
        // Exponent of L_kk: (d − 1 − k) + 2(η − 1).
        let k_part: Vec<f64> = (0..d).map(|k| (d - 1 - k) as f64).collect();
        let expo = eta.affine(2.0, -2.0)?.unsqueeze(eta.rank())?.add(&Tensor::vector(&k_part, self.core.dtype)?)?;
        let diag = x.diag_part()?;
        // Outside the support (a non-positive diagonal): −inf.
        let lp = diag.abs()?.log()?.mul(&expo)?.sum_last(1)?.sub(&self.core.log_normalization()?)?;
        let nonpos = diag.le_scalar(0.0)?;
        let any_bad = Tensor::where_(&nonpos, &diag.ones_like()?, &diag.zeros_like()?)?.sum_last(1)?.gt_scalar(0.5)?;
        Tensor::where_(&any_bad, &lp.full_like(f64::NEG_INFINITY)?, &lp)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        self.core.sample_cholesky(shape, seed)
    }
}

impl_display!(CholeskyLKJ);

impl Trainable for CholeskyLKJ {
    const NAME: &'static str = "CholeskyLKJ";
    /// `concentration` (batch shaped); the `dimension` argument (`Arg::Int`) is required.
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![("concentration", ParameterProperties { default_constraining_bijector: constraining::positive, ..Default::default() })]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let dimension = take_dimension(&mut p, Self::NAME)?;
        let mut d = CholeskyLKJ::new(dimension, p.take_required("concentration", Self::NAME)?)?;
        if let Some(n) = p.name.take() {
            d = d.with_name(&n);
        }
        let v = p.validate_args;
        p.finish(Self::NAME)?;
        if v {
            d = d.with_validate_args(true)?;
        }
        Ok(d)
    }
}
