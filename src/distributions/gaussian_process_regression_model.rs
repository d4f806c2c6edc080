//! `GaussianProcessRegressionModel`: the posterior predictive of a GP at `index_points X*`
//! given noisy `observations y` at `observation_index_points X` (TFP's
//! `tfd.GaussianProcessRegressionModel`):
//!
//! ```text
//! K = k(X, X) + σ²_obs I = L Lᵀ,   A = L⁻¹ k(X, X*)
//! mean = m(X*) + Aᵀ L⁻¹ (y − m(X))
//! cov  = k(X*, X*) − Aᵀ A + σ²_pred I          (σ²_pred defaults to σ²_obs)
//! ```
//! Triangular solves only; the predictive covariance is factored with growing jitter.
//!
//! ```
//! use probrs::distributions::{Distribution, GaussianProcessRegressionModel};
//! use probrs::psd_kernels::ExponentiatedQuadratic;
//! use probrs::tensor::{DType, Tensor};
//! let x = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
//! let y = Tensor::vector(&[1.0, -1.0], DType::F64)?;
//! let gprm = GaussianProcessRegressionModel::new(ExponentiatedQuadratic::new(None, None), &x, &x, &y, 1e-8)?;
//! // Nearly noiseless: the predictive mean interpolates the observations.
//! let m = gprm.mean()?.to_vec()?;
//! assert!((m[0] - 1.0).abs() < 1e-5 && (m[1] + 1.0).abs() < 1e-5);
//! # Ok::<(), probrs::Error>(())
//! ```

use super::distribution::{check_dtype, impl_display};
use super::gaussian_process::{cholesky_with_jitter, eye_times, mean_at, mvn_backed, MeanFn};
use super::{Distribution, MultivariateNormalTriL};
use crate::error::{Error, Result};
use crate::params::{Param, Variable};
use crate::psd_kernels::PositiveSemidefiniteKernel;
use crate::tensor::linalg::triangular_solve;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

/// The GP posterior predictive distribution.
///
/// ```
/// use probrs::distributions::{Distribution, GaussianProcessRegressionModel};
/// use probrs::psd_kernels::ExponentiatedQuadratic;
/// use probrs::tensor::{DType, Tensor};
/// // One observation y = 1 at x = 0 with noise variance 1: the predictive mean there is
/// // k/(k + σ²) · y = ½, and far away it returns to the prior mean 0.
/// let obs_x = Tensor::from_slice(&[0.0], &[1, 1], DType::F64)?;
/// let obs_y = Tensor::vector(&[1.0], DType::F64)?;
/// let at = Tensor::from_slice(&[0.0, 10.0], &[2, 1], DType::F64)?;
/// let m = GaussianProcessRegressionModel::new(ExponentiatedQuadratic::new(None, None), &at, &obs_x, &obs_y, 1.0)?;
/// let mean = m.mean()?.to_vec()?;
/// assert!((mean[0] - 0.5).abs() < 1e-5 && mean[1].abs() < 1e-5);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct GaussianProcessRegressionModel {
    kernel: Arc<dyn PositiveSemidefiniteKernel>,
    index_points: Tensor,
    observation_index_points: Tensor,
    observations: Tensor,
    observation_noise_variance: Param,
    predictive_noise_variance: Option<Param>,
    mean_fn: Option<MeanFn>,
    jitter: f64,
    name: String,
}

impl GaussianProcessRegressionModel {
    /// The GP posterior predictive at `index_points` given `observations` at `observation_index_points` (points `[..., n, d]`) with Gaussian observation noise of variance `observation_noise_variance`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, GaussianProcessRegressionModel};
    /// use probrs::psd_kernels::ExponentiatedQuadratic;
    /// let obs_x = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
    /// let obs_y = Tensor::vector(&[1.0, -1.0], DType::F64)?;
    /// let at = Tensor::from_slice(&[0.5], &[1, 1], DType::F64)?;
    /// let m = GaussianProcessRegressionModel::new(ExponentiatedQuadratic::new(None, None), &at, &obs_x, &obs_y, 1e-4)?;
    /// // Halfway between +1 and −1, by symmetry the predictive mean is 0.
    /// assert!(m.mean()?.to_vec()?[0].abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(
        kernel: impl PositiveSemidefiniteKernel + 'static,
        index_points: &Tensor,
        observation_index_points: &Tensor,
        observations: &Tensor,
        observation_noise_variance: impl Into<Param>,
    ) -> Result<Self> {
        for (what, t) in [("index_points", index_points), ("observation_index_points", observation_index_points)] {
            if t.rank() < 2 {
                return Err(Error::invalid_shape(format!("GaussianProcessRegressionModel {what}"), t.shape(), "expected [..., n, d]"));
            }
        }
        let n_obs = observation_index_points.shape()[observation_index_points.rank() - 2];
        if observations.shape().last() != Some(&n_obs) {
            return Err(Error::ShapeMismatch {
                context: "GaussianProcessRegressionModel observations vs observation_index_points".into(),
                lhs: observations.shape().to_vec(),
                rhs: observation_index_points.shape().to_vec(),
            });
        }
        Ok(GaussianProcessRegressionModel {
            kernel: Arc::new(kernel),
            index_points: index_points.clone(),
            observation_index_points: observation_index_points.clone(),
            observations: observations.clone(),
            observation_noise_variance: observation_noise_variance.into(),
            predictive_noise_variance: None,
            mean_fn: None,
            jitter: 1e-6,
            name: "GaussianProcessRegressionModel".into(),
        })
    }
    /// Noise added to the predictive covariance (default: the observation noise variance).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, GaussianProcessRegressionModel};
    /// use probrs::psd_kernels::ExponentiatedQuadratic;
    /// let obs_x = Tensor::from_slice(&[0.0], &[1, 1], DType::F64)?;
    /// let obs_y = Tensor::vector(&[0.0], DType::F64)?;
    /// let far = Tensor::from_slice(&[50.0], &[1, 1], DType::F64)?;
    /// // Far from the data the predictive variance is the prior's k(x, x) = 1 plus the predictive noise.
    /// let m = GaussianProcessRegressionModel::new(ExponentiatedQuadratic::new(None, None), &far, &obs_x, &obs_y, 0.1)?
    ///     .with_predictive_noise_variance(0.0);
    /// assert!((m.variance()?.to_vec()?[0] - 1.0).abs() < 1e-4);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_predictive_noise_variance(mut self, v: impl Into<Param>) -> Self {
        self.predictive_noise_variance = Some(v.into());
        self
    }
    /// The prior mean function of the index points (default zero).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, GaussianProcessRegressionModel};
    /// use probrs::psd_kernels::ExponentiatedQuadratic;
    /// let obs_x = Tensor::from_slice(&[0.0], &[1, 1], DType::F64)?;
    /// let obs_y = Tensor::vector(&[5.0], DType::F64)?;
    /// let far = Tensor::from_slice(&[50.0], &[1, 1], DType::F64)?;
    /// // Far from the data the prediction returns to the prior mean, here 5.
    /// let m = GaussianProcessRegressionModel::new(ExponentiatedQuadratic::new(None, None), &far, &obs_x, &obs_y, 0.1)?
    ///     .with_mean_fn(|x| x.sum_last(1)?.zeros_like()?.add_scalar(5.0));
    /// assert!((m.mean()?.to_vec()?[0] - 5.0).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_mean_fn(mut self, f: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static) -> Self {
        self.mean_fn = Some(Arc::new(f));
        self
    }
    /// Diagonal jitter added to the covariance before factorization (default `1e-6`).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, GaussianProcessRegressionModel};
    /// use probrs::psd_kernels::ExponentiatedQuadratic;
    /// let x = Tensor::from_slice(&[0.0], &[1, 1], DType::F64)?;
    /// let m = GaussianProcessRegressionModel::new(ExponentiatedQuadratic::new(None, None), &x, &x, &Tensor::vector(&[1.0], DType::F64)?, 0.0)?
    ///     .with_jitter(1e-3);
    /// assert!(m.mean()?.to_vec()?[0] > 0.99);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter;
        self
    }
    /// The predictive mean and covariance.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::GaussianProcessRegressionModel;
    /// use probrs::psd_kernels::ExponentiatedQuadratic;
    /// let obs_x = Tensor::from_slice(&[0.0], &[1, 1], DType::F64)?;
    /// let at = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
    /// let m = GaussianProcessRegressionModel::new(ExponentiatedQuadratic::new(None, None), &at, &obs_x, &Tensor::vector(&[2.0], DType::F64)?, 1.0)?;
    /// let (mean, cov) = m.predictive()?;
    /// assert_eq!((mean.shape(), cov.shape()), (&[2usize][..], &[2usize, 2][..]));
    /// assert!((mean.to_vec()?[0] - 1.0).abs() < 1e-5); // k/(k + σ²) · y = ½ · 2
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn predictive(&self) -> Result<(Tensor, Tensor)> {
        let (xs, xo) = (&self.index_points, &self.observation_index_points);
        let n_obs = xo.shape()[xo.rank() - 2];
        let n = xs.shape()[xs.rank() - 2];
        let dt = xs.dtype();
        let k_oo = self.kernel.matrix(xo, xo)?.add(&eye_times(n_obs, &self.observation_noise_variance, dt)?)?;
        let l = cholesky_with_jitter(&k_oo, self.jitter, "GaussianProcessRegressionModel observations")?;
        let k_os = self.kernel.matrix(xo, xs)?;
        let a = triangular_solve(&l.broadcast_to(&broadcast_batch(&l, &k_os)?)?, &k_os, false)?;
        let resid = self.observations.sub(&mean_at(&self.mean_fn, xo)?)?;
        let r = resid.rank();
        let w = triangular_solve(&l.broadcast_to(&broadcast_batch(&l, &resid.unsqueeze(r)?)?)?, &resid.unsqueeze(r)?, false)?;
        let mean = mean_at(&self.mean_fn, xs)?.add(&a.matrix_transpose()?.matmul(&w)?.squeeze(w.rank() - 1)?)?;
        let pred_noise = self.predictive_noise_variance.as_ref().unwrap_or(&self.observation_noise_variance);
        let cov = self.kernel.matrix(xs, xs)?.sub(&a.matrix_transpose()?.matmul(&a)?)?.add(&eye_times(n, pred_noise, dt)?)?;
        Ok((mean, cov))
    }
    fn mvn(&self) -> Result<MultivariateNormalTriL> {
        let (mean, cov) = self.predictive()?;
        MultivariateNormalTriL::new(mean, cholesky_with_jitter(&cov, self.jitter, "GaussianProcessRegressionModel predictive")?)
    }
}

/// The batch shape of `l [..., n, n]` and `b [..., n, k]` with `l`'s matrix dims.
fn broadcast_batch(l: &Tensor, b: &Tensor) -> Result<Vec<usize>> {
    let bl = &l.shape()[..l.rank() - 2];
    let bb = &b.shape()[..b.rank() - 2];
    let mut s = crate::tensor::broadcast_shapes(bl, bb)?;
    s.extend_from_slice(&l.shape()[l.rank() - 2..]);
    Ok(s)
}

impl Distribution for GaussianProcessRegressionModel {
    mvn_backed!();
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        self.mvn()?.log_prob(x)
    }
    fn class_name(&self) -> &'static str {
        "GaussianProcessRegressionModel"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dtype(&self) -> DType {
        self.index_points.dtype()
    }
    fn event_shape(&self) -> Vec<usize> {
        vec![self.index_points.shape()[self.index_points.rank() - 2]]
    }
    fn parameters(&self) -> Vec<(&'static str, &Param)> {
        let mut v = vec![("observation_noise_variance", &self.observation_noise_variance)];
        if let Some(p) = &self.predictive_noise_variance {
            v.push(("predictive_noise_variance", p));
        }
        v
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.kernel.visit_variables(f);
        for (_, p) in self.parameters() {
            p.visit_variables(f);
        }
    }
    fn mean(&self) -> Result<Tensor> {
        self.predictive().map(|(m, _)| m)
    }
    fn covariance(&self) -> Result<Tensor> {
        self.predictive().map(|(_, c)| c)
    }
    fn variance(&self) -> Result<Tensor> {
        self.covariance()?.diag_part()
    }
}

impl_display!(GaussianProcessRegressionModel);
