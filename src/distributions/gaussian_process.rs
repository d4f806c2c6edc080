//! `GaussianProcess(kernel, index_points, mean_fn, observation_noise_variance, jitter)`: the
//! distribution of a GP's function values at `index_points [..., n, d]`,
//!
//! ```text
//! f ~ MVN(m(X), K(X, X) + (σ²_noise + jitter) I)
//! ```
//! (TFP's `tfd.GaussianProcess`; jitter defaults to 1e-6). The covariance is rebuilt from the
//! kernel at every use, so gradients reach the kernel's variables. If the Cholesky
//! factorization fails, the jitter grows tenfold up to five times; failing that, the error names
//! the matrix size and the largest jitter tried.
//!
//! ```
//! use probrs::distributions::{Distribution, GaussianProcess};
//! use probrs::psd_kernels::ExponentiatedQuadratic;
//! use probrs::random::Seed;
//! use probrs::tensor::{DType, Tensor};
//! let x = Tensor::from_slice(&[-1.0, 0.0, 1.5], &[3, 1], DType::F64)?;
//! let gp = GaussianProcess::new(ExponentiatedQuadratic::new(None, None), &x)?;
//! let f = gp.sample(&[4], Seed::new(1))?;
//! assert_eq!(f.shape(), &[4, 3]);
//! assert_eq!(gp.log_prob(&f)?.shape(), &[4]);
//! # Ok::<(), probrs::Error>(())
//! ```

use super::distribution::{check_dtype, impl_display};
use super::{Distribution, MultivariateNormalTriL};
use crate::error::{Error, Result};
use crate::params::{Param, Variable};
use crate::psd_kernels::PositiveSemidefiniteKernel;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

/// A mean function of the index points `[..., n, d] → [..., n]`.
///
/// ```
/// use probrs::distributions::{Distribution, GaussianProcess, MeanFn};
/// use probrs::psd_kernels::ExponentiatedQuadratic;
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// // m(x) = 2x for one-feature points [n, 1] -> [n]
/// let m: MeanFn = Arc::new(|x: &Tensor| x.mul_scalar(2.0)?.sum_last(1));
/// let x = Tensor::from_slice(&[0.0, 1.5], &[2, 1], DType::F64)?;
/// assert_eq!(m(&x)?.to_vec()?, vec![0.0, 3.0]);
/// let gp = GaussianProcess::new(ExponentiatedQuadratic::new(None, None), &x)?.with_mean_fn(move |x| m(x));
/// assert_eq!(gp.mean()?.to_vec()?, vec![0.0, 3.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type MeanFn = Arc<dyn Fn(&Tensor) -> Result<Tensor> + Send + Sync>;

/// A Gaussian process over finitely many index points.
///
/// ```
/// use probrs::distributions::{Distribution, GaussianProcess};
/// use probrs::psd_kernels::ExponentiatedQuadratic;
/// use probrs::tensor::{DType, Tensor};
/// // Two index points one length scale apart: K = [[1, e^(−½)], [e^(−½), 1]].
/// let x = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
/// let gp = GaussianProcess::new(ExponentiatedQuadratic::new(None, None), &x)?;
/// assert_eq!(gp.event_shape(), vec![2]);
/// let lp = gp.log_prob(&Tensor::zeros(&[2], DType::F64)?)?.to_scalar()?;
/// let det = 1.0 - (-1.0f64).exp();
/// assert!((lp - (-(2.0 * std::f64::consts::PI).ln() - 0.5 * det.ln())).abs() < 1e-5);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct GaussianProcess {
    kernel: Arc<dyn PositiveSemidefiniteKernel>,
    index_points: Tensor,
    mean_fn: Option<MeanFn>,
    observation_noise_variance: Option<Param>,
    jitter: f64,
    name: String,
}

/// The `Distribution` methods a GP-like distribution delegates to its multivariate normal
/// (`self.mvn()`, rebuilt from the kernel at each call); each writes its own `log_prob`.
macro_rules! mvn_backed {
    () => {
        fn batch_shape(&self) -> Vec<usize> {
            self.mvn().map(|m| m.batch_shape()).unwrap_or_default()
        }
        fn reparameterization_type(&self) -> $crate::distributions::ReparameterizationType {
            $crate::distributions::ReparameterizationType::FullyReparameterized
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
        fn default_event_space_bijector(&self) -> $crate::Result<std::sync::Arc<dyn $crate::bijectors::Bijector>> {
            Ok(std::sync::Arc::new($crate::bijectors::Identity::new()))
        }
        fn sample(&self, sample_shape: &[usize], seed: $crate::random::Seed) -> $crate::Result<$crate::tensor::Tensor> {
            self.mvn()?.sample(sample_shape, seed)
        }
        fn sample_and_log_prob(&self, sample_shape: &[usize], seed: $crate::random::Seed) -> $crate::Result<($crate::tensor::Tensor, $crate::tensor::Tensor)> {
            self.mvn()?.sample_and_log_prob(sample_shape, seed)
        }
    };
}
pub(crate) use mvn_backed;

/// `m(X)` broadcast to `[..., n]` for index points `X [..., n, d]` (zeros without a mean function).
pub(crate) fn mean_at(mean_fn: &Option<MeanFn>, x: &Tensor) -> Result<Tensor> {
    let zeros = x.sum_last(1)?.mul_scalar(0.0)?;
    match mean_fn {
        Some(f) => f(x)?.add(&zeros),
        None => Ok(zeros),
    }
}

/// `v · I_n` for a (batch) variance parameter `v`: `[..., n, n]`.
pub(crate) fn eye_times(n: usize, v: &Param, dtype: DType) -> Result<Tensor> {
    let v = v.value(dtype)?;
    let r = v.rank();
    Tensor::eye(n, &[], dtype)?.mul(&v.unsqueeze(r)?.unsqueeze(r + 1)?)
}

/// `cholesky(K + jitter·I)`, growing the jitter tenfold up to five times on failure.
pub(crate) fn cholesky_with_jitter(k: &Tensor, jitter: f64, what: &str) -> Result<Tensor> {
    let n = k.shape()[k.rank() - 1];
    let eye = Tensor::eye(n, &[], k.dtype())?;
    let mut j = jitter;
    let mut last = String::new();
    for _ in 0..6 {
        match k.add(&eye.mul_scalar(j)?)?.cholesky() {
            Ok(l) if l.all_finite()? => return Ok(l),
            Ok(_) => last = "non-finite factor".into(),
            Err(Error::LinearAlgebra { reason, .. }) => last = reason,
            Err(e) => return Err(e),
        }
        j = if j > 0.0 { j * 10.0 } else { 1e-6 };
    }
    Err(Error::LinearAlgebra {
        op: format!("{what} cholesky"),
        reason: format!("the {n}x{n} covariance matrix is not positive definite even with jitter {:e} ({last})", j / 10.0),
    })
}

impl GaussianProcess {
    /// A zero-mean GP with no observation noise and jitter 1e-6.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, GaussianProcess};
    /// use probrs::psd_kernels::ExponentiatedQuadratic;
    /// let x = Tensor::from_slice(&[0.0, 1.0, 2.0], &[3, 1], DType::F64)?;
    /// let gp = GaussianProcess::new(ExponentiatedQuadratic::new(None, None), &x)?;
    /// assert_eq!((gp.batch_shape(), gp.event_shape()), (vec![], vec![3]));
    /// // Index points need a feature axis: [n, d].
    /// assert!(GaussianProcess::new(ExponentiatedQuadratic::new(None, None), &Tensor::zeros(&[3], DType::F64)?).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(kernel: impl PositiveSemidefiniteKernel + 'static, index_points: &Tensor) -> Result<Self> {
        Self::from_arc(Arc::new(kernel), index_points)
    }
    /// As `new`, with a shared kernel.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, GaussianProcess};
    /// use probrs::psd_kernels::{ExponentiatedQuadratic, PositiveSemidefiniteKernel};
    /// use std::sync::Arc;
    /// let k: Arc<dyn PositiveSemidefiniteKernel> = Arc::new(ExponentiatedQuadratic::new(None, None));
    /// let a = GaussianProcess::from_arc(k.clone(), &Tensor::zeros(&[2, 1], DType::F64)?)?;
    /// let b = GaussianProcess::from_arc(k, &Tensor::zeros(&[5, 1], DType::F64)?)?;
    /// assert_eq!((a.event_shape(), b.event_shape()), (vec![2], vec![5]));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_arc(kernel: Arc<dyn PositiveSemidefiniteKernel>, index_points: &Tensor) -> Result<Self> {
        if index_points.rank() < 2 {
            return Err(Error::invalid_shape("GaussianProcess index_points", index_points.shape(), "expected [..., n, d] (one feature dimension)"));
        }
        Ok(GaussianProcess { kernel, index_points: index_points.clone(), mean_fn: None, observation_noise_variance: None, jitter: 1e-6, name: "GaussianProcess".into() })
    }
    /// The mean function of the index points (default: zero).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, GaussianProcess};
    /// use probrs::psd_kernels::ExponentiatedQuadratic;
    /// let x = Tensor::from_slice(&[1.0, 2.0], &[2, 1], DType::F64)?;
    /// let gp = GaussianProcess::new(ExponentiatedQuadratic::new(None, None), &x)?.with_mean_fn(|x| x.sum_last(1));
    /// assert_eq!(gp.mean()?.to_vec()?, vec![1.0, 2.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_mean_fn(mut self, f: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static) -> Self {
        self.mean_fn = Some(Arc::new(f));
        self
    }
    /// Noise variance added to the kernel matrix's diagonal (default 0).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, GaussianProcess};
    /// use probrs::psd_kernels::ExponentiatedQuadratic;
    /// let x = Tensor::zeros(&[1, 1], DType::F64)?;
    /// let gp = GaussianProcess::new(ExponentiatedQuadratic::new(None, None), &x)?.with_observation_noise_variance(0.5);
    /// assert!((gp.variance()?.to_vec()?[0] - 1.5).abs() < 1e-5); // k(x, x) + noise
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_observation_noise_variance(mut self, v: impl Into<Param>) -> Self {
        self.observation_noise_variance = Some(v.into());
        self
    }
    /// The diagonal jitter for a stable factorization (default 1e-6, as TFP).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::GaussianProcess;
    /// use probrs::psd_kernels::ExponentiatedQuadratic;
    /// // Two identical points make K singular; the jitter keeps the factorization possible.
    /// let x = Tensor::zeros(&[2, 1], DType::F64)?;
    /// let gp = GaussianProcess::new(ExponentiatedQuadratic::new(None, None), &x)?.with_jitter(1e-4);
    /// assert!(gp.mvn().is_ok());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter;
        self
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, GaussianProcess};
    /// use probrs::psd_kernels::ExponentiatedQuadratic;
    /// let gp = GaussianProcess::new(ExponentiatedQuadratic::new(None, None), &Tensor::zeros(&[2, 1], DType::F64)?)?.with_name("f");
    /// assert_eq!(gp.name(), "f");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    fn n(&self) -> usize {
        self.index_points.shape()[self.index_points.rank() - 2]
    }
    /// `m(X)`, broadcast to `[..., n]`.
    fn loc(&self) -> Result<Tensor> {
        mean_at(&self.mean_fn, &self.index_points)
    }
    /// `K(X, X) + σ²_noise I` (without the jitter).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::GaussianProcess;
    /// use probrs::psd_kernels::ExponentiatedQuadratic;
    /// let x = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
    /// let gp = GaussianProcess::new(ExponentiatedQuadratic::new(None, None), &x)?.with_observation_noise_variance(0.1);
    /// let k = gp.covariance_matrix()?.to_vec()?;
    /// assert!((k[0] - 1.1).abs() < 1e-12 && (k[1] - (-0.5f64).exp()).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn covariance_matrix(&self) -> Result<Tensor> {
        let x = &self.index_points;
        let k = self.kernel.matrix(x, x)?;
        match &self.observation_noise_variance {
            Some(v) => k.add(&eye_times(self.n(), v, x.dtype())?),
            None => Ok(k),
        }
    }
    /// The equivalent multivariate normal (rebuilt from the kernel now).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Distribution, GaussianProcess};
    /// use probrs::psd_kernels::ExponentiatedQuadratic;
    /// let x = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
    /// let gp = GaussianProcess::new(ExponentiatedQuadratic::new(None, None), &x)?;
    /// let y = Tensor::vector(&[0.3, -0.2], DType::F64)?;
    /// let (a, b) = (gp.log_prob(&y)?.to_scalar()?, gp.mvn()?.log_prob(&y)?.to_scalar()?);
    /// assert!((a - b).abs() < 1e-9);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn mvn(&self) -> Result<MultivariateNormalTriL> {
        let l = cholesky_with_jitter(&self.covariance_matrix()?, self.jitter, "GaussianProcess")?;
        MultivariateNormalTriL::new(self.loc()?, l)
    }
}

impl Distribution for GaussianProcess {
    mvn_backed!();
    /// For an unbatched kernel, one fused node (`Tensor::gaussian_log_likelihood`: a single
    /// factorization, gradient `½(ααᵀ − K⁻¹)`); otherwise, or if that factorization fails, the
    /// multivariate normal with growing jitter.
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let xs = &self.index_points;
        let k = self.kernel.matrix(xs, xs)?;
        if k.rank() == 2 {
            // Observation noise and jitter enter the node as one scalar diagonal addend.
            let noise = self.observation_noise_variance.as_ref().map(|v| v.value(xs.dtype())).transpose()?;
            if noise.as_ref().is_none_or(|v| v.elem_count() == 1) {
                let diag = match noise {
                    Some(v) => v.reshape(&[])?.add_scalar(self.jitter)?,
                    None => Tensor::scalar(self.jitter, xs.dtype())?,
                };
                match Tensor::gaussian_log_likelihood_plus_diagonal(&k, &diag, &x.sub(&self.loc()?)?) {
                    Ok(lp) => return Ok(lp),
                    Err(Error::LinearAlgebra { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        self.mvn()?.log_prob(x)
    }
    fn class_name(&self) -> &'static str {
        "GaussianProcess"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dtype(&self) -> DType {
        self.index_points.dtype()
    }
    fn event_shape(&self) -> Vec<usize> {
        vec![self.n()]
    }
    fn parameters(&self) -> Vec<(&'static str, &Param)> {
        self.observation_noise_variance.iter().map(|p| ("observation_noise_variance", p)).collect()
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.kernel.visit_variables(f);
        if let Some(p) = &self.observation_noise_variance {
            p.visit_variables(f);
        }
    }
    fn mean(&self) -> Result<Tensor> {
        self.mvn()?.mean()
    }
    fn mode(&self) -> Result<Tensor> {
        self.mean()
    }
    fn covariance(&self) -> Result<Tensor> {
        self.covariance_matrix()
    }
    fn variance(&self) -> Result<Tensor> {
        self.covariance_matrix()?.diag_part()
    }
    fn entropy(&self) -> Result<Tensor> {
        self.mvn()?.entropy()
    }
}

impl_display!(GaussianProcess);
