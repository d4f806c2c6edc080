//! TFP's `tfd.LinearGaussianStateSpaceModel`: a distribution over time series `x [T, p]` from
//! a latent linear-Gaussian Markov chain `z [T, k]`.
//!
//! ```text
//! z_0 ~ N(μ_0, P_0)                                   (initial_state_prior)
//! z_{t+1} = A_t z_t + b_t + η_t,   η_t ~ N(0, Q_t)    (transition matrix, noise loc and cov)
//! x_t     = H_t z_t + d_t + ε_t,   ε_t ~ N(0, R_t)    (observation matrix, noise loc and cov)
//! ```
//! with `t` counted from `initial_step`. `log_prob` runs the Kalman filter
//! ([`LinearGaussianStateSpaceModel::forward_filter`]): predict `m⁻ = A m + b`,
//! `P⁻ = A P Aᵀ + Q`; observe with `S = H P⁻ Hᵀ + R`, `K = P⁻ Hᵀ S⁻¹`,
//! `log p(x_t | x_<t) = log N(x_t; H m⁻ + d, S)`, `m = m⁻ + K (x_t − H m⁻ − d)` and the covariance
//! in Joseph form `P = (I − K H) P⁻ (I − K H)ᵀ + K R Kᵀ`, which stays symmetric positive
//! semi-definite under rounding. Masked (missing) steps contribute nothing and keep the
//! prediction. [`LinearGaussianStateSpaceModel::posterior_marginals`] is the
//! Rauch–Tung–Striebel smoother, [`LinearGaussianStateSpaceModel::posterior_sample`] forward
//! filtering, backward sampling. Every step is facade ops, so log-likelihoods differentiate in
//! the parameters (the matrices and noise terms may be tracked tensors or time-varying).
//!
//! statsmodels' approximate-diffuse initialization is this model with `P_0 = 10⁶ I` and its
//! likelihood burn-in ([`LinearGaussianStateSpaceModel::with_log_likelihood_burn`]): the first
//! `k` steps' terms are left out of `log_prob`.
//!
//! A model has one parameter set; observed series may carry leading batch axes
//! (`x [..., T, p]`), which share the mask. A batch of parameter draws is
//! [`LinearGaussianStateSpaceModel::stack`] of one model per draw (`batch_shape = [S]`, what a
//! structural model's `make_state_space_model` returns for `[S]` draws): `log_prob` and
//! `sample` run over the members (a series batch whose last axis is `S` pairs with them,
//! TFP's broadcasting); the filter, smoother and posterior draws are asked of each member.

use std::any::Any;
use std::sync::Arc;

use crate::distributions::{Distribution, ReparameterizationType};
use crate::error::{Error, Result};
use crate::random::{self, Seed};
use crate::tensor::fused::kalman::{kalman_filter, kalman_log_likelihoods, kalman_smoother, FilterMoments, Indexed, KalmanInputs};
use crate::tensor::{DType, Tensor};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// The filter's inputs and forward moments, the series' batch shape and count (the graph-free
/// paths' shared setup).
type UntrackedMoments = (KalmanInputs, FilterMoments, Vec<usize>, usize);

/// How [`TimeVarying::combine`] makes one value from its parts' values at a step.
pub(crate) type Combiner = Arc<dyn Fn(&[Tensor]) -> Result<Tensor> + Send + Sync>;

/// A matrix or vector that is the same at every step, or a function of the step `t` (TFP's
/// callables `transition_matrix(t)`).
///
/// ```
/// use probrs::sts::TimeVarying;
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let a = TimeVarying::from(Tensor::eye(2, &[], DType::F64)?);
/// assert_eq!(a.at(7)?.shape(), &[2, 2]);
/// let b = TimeVarying::Function(Arc::new(|t| Tensor::full(t as f64, &[1, 1], DType::F64)));
/// assert_eq!(b.at(3)?.to_vec()?, vec![3.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub enum TimeVarying {
    /// The same tensor at every step.
    Constant(Tensor),
    /// The tensor at step `t`.
    Function(Arc<dyn Fn(usize) -> Result<Tensor> + Send + Sync>),
    /// A few distinct values stacked on a leading axis `[M, ...]` and, per step, which applies
    /// (`None`: the term has no value at that step, an error naming it). Structural components
    /// use this form (a seasonal transition alternates between two matrices, a regression's
    /// offset has one value per step), which the fused Kalman filter reads without evaluating
    /// a function per step.
    ///
    /// ```
    /// use probrs::sts::TimeVarying;
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// let two = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?; // values 0 and 1
    /// let odd = TimeVarying::Indexed { values: two, index: Arc::new(|t| (t < 10).then_some(t % 2)) };
    /// assert_eq!(odd.at(3)?.to_vec()?, vec![1.0]);
    /// assert!(odd.at(10).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Indexed {
        /// The distinct values `[M, ...]`.
        values: Tensor,
        /// Step to value.
        index: Arc<dyn Fn(usize) -> Option<usize> + Send + Sync>,
    },
}

impl From<Tensor> for TimeVarying {
    fn from(t: Tensor) -> Self {
        TimeVarying::Constant(t)
    }
}

impl From<&Tensor> for TimeVarying {
    fn from(t: &Tensor) -> Self {
        TimeVarying::Constant(t.clone())
    }
}

impl TimeVarying {
    /// The value at step `t`.
    ///
    /// ```
    /// use probrs::sts::TimeVarying;
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(TimeVarying::from(Tensor::ones(&[3], DType::F32)?).at(0)?.shape(), &[3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn at(&self, t: usize) -> Result<Tensor> {
        match self {
            TimeVarying::Constant(v) => Ok(v.clone()),
            TimeVarying::Function(f) => f(t),
            TimeVarying::Indexed { values, index } => match index(t) {
                Some(i) if i < values.shape().first().copied().unwrap_or(0) => values.narrow(0, i, 1)?.squeeze(0),
                Some(i) => Err(Error::invalid_parameter("time-varying term", format!("step {t} picks value {i} of {}", values.shape().first().copied().unwrap_or(0)))),
                None => Err(Error::invalid_parameter("time-varying term", format!("no value at step {t} (a regressor shorter than the series or forecast horizon?)"))),
            },
        }
    }

    /// `f` applied to the value at every step (`f` must act on each value of a stacked
    /// [`TimeVarying::Indexed`] alike: elementwise, or broadcasting over the leading axis).
    ///
    /// ```
    /// use probrs::sts::TimeVarying;
    /// use probrs::tensor::{DType, Tensor};
    /// let plus_one = TimeVarying::from(Tensor::vector(&[2.0], DType::F64)?).map(|v| v.add_scalar(1.0))?;
    /// assert_eq!(plus_one.at(5)?.to_vec()?, vec![3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn map(self, f: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static) -> Result<TimeVarying> {
        Ok(match self {
            TimeVarying::Constant(v) => TimeVarying::Constant(f(&v)?),
            TimeVarying::Indexed { values, index } => TimeVarying::Indexed { values: f(&values)?, index },
            g @ TimeVarying::Function(_) => TimeVarying::Function(Arc::new(move |t| f(&g.at(t)?))),
        })
    }

    /// `f` of the parts' values at each step (a sum model's block-diagonal transition): constant
    /// when every part is; indexed when the parts are constant or indexed and have at most
    /// 4,096 combinations of values (each combination built once, indexed by its parts'
    /// indices in mixed radix); otherwise a function of the step.
    pub(crate) fn combine(parts: &[TimeVarying], f: Combiner) -> Result<TimeVarying> {
        if parts.iter().all(|p| matches!(p, TimeVarying::Constant(_))) {
            return Ok(TimeVarying::Constant(f(&parts.iter().map(|p| p.at(0)).collect::<Result<Vec<_>>>()?)?));
        }
        let sizes: Vec<usize> = parts
            .iter()
            .map(|p| match p {
                TimeVarying::Constant(_) => 1,
                TimeVarying::Indexed { values, .. } => values.shape().first().copied().unwrap_or(0),
                TimeVarying::Function(_) => usize::MAX,
            })
            .collect();
        let total = sizes.iter().try_fold(1usize, |acc, &m| acc.checked_mul(m)).filter(|&c| c <= 4096);
        let Some(total) = total else {
            let parts = parts.to_vec();
            return Ok(TimeVarying::Function(Arc::new(move |t| f(&parts.iter().map(|p| p.at(t)).collect::<Result<Vec<_>>>()?))));
        };
        let pick = |p: &TimeVarying, i: usize| -> Result<Tensor> {
            match p {
                TimeVarying::Indexed { values, .. } => values.narrow(0, i, 1)?.squeeze(0),
                other => other.at(0),
            }
        };
        let mut combos = Vec::with_capacity(total);
        for c in 0..total {
            let (mut rest, mut vals) = (c, Vec::with_capacity(parts.len()));
            for (p, &m) in parts.iter().zip(&sizes) {
                vals.push(pick(p, rest % m)?);
                rest /= m;
            }
            combos.push(f(&vals)?);
        }
        let parts = parts.to_vec();
        let index = move |t: usize| -> Option<usize> {
            let (mut at, mut stride) = (0, 1);
            for (p, &m) in parts.iter().zip(&sizes) {
                let i = match p {
                    TimeVarying::Indexed { index, .. } => index(t)?,
                    _ => 0,
                };
                at += i * stride;
                stride *= m;
            }
            Some(at)
        };
        Ok(TimeVarying::Indexed { values: stack(&combos, 0)?, index: Arc::new(index) })
    }

    /// The values over steps `first..first + len` as distinct values `[M, ...]` with each step's
    /// choice (what the fused Kalman filter reads): a constant once, an indexed term as it is, a
    /// function evaluated at every step.
    pub(crate) fn resolve(&self, first: usize, len: usize) -> Result<(Tensor, Vec<usize>)> {
        match self {
            TimeVarying::Constant(v) => Ok((v.unsqueeze(0)?, vec![0; len])),
            TimeVarying::Indexed { values, index } => {
                let m = values.shape().first().copied().unwrap_or(0);
                let idx = (first..first + len).map(|t| match index(t) {
                    Some(i) if i < m => Ok(i),
                    _ => self.at(t).map(|_| 0),
                });
                Ok((values.clone(), idx.collect::<Result<_>>()?))
            }
            TimeVarying::Function(_) => Ok((stack(&(first..first + len).map(|t| self.at(t)).collect::<Result<Vec<_>>>()?, 0)?, (0..len).collect())),
        }
    }
}

/// A Gaussian term `N(loc, covariance)` of a state-space model: its initial-state prior or a
/// noise (TFP takes `MultivariateNormal*` distributions there).
///
/// ```
/// use probrs::sts::GaussianTerm;
/// use probrs::tensor::{DType, Tensor};
/// // Zero-mean noise with standard deviations 0.5 and 2.
/// let noise = GaussianTerm::diag(&Tensor::vector(&[0.5, 2.0], DType::F64)?)?;
/// assert_eq!(noise.covariance_at(0)?.to_vec()?, vec![0.25, 0.0, 0.0, 4.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct GaussianTerm {
    loc: Option<TimeVarying>,
    covariance: TimeVarying,
}

impl GaussianTerm {
    /// `N(loc, covariance)` (`[n]`, `[n, n]`; either may vary in time).
    ///
    /// ```
    /// use probrs::sts::GaussianTerm;
    /// use probrs::tensor::{DType, Tensor};
    /// let g = GaussianTerm::new(Tensor::vector(&[1.0], DType::F64)?, Tensor::ones(&[1, 1], DType::F64)?);
    /// assert_eq!(g.loc_at(0)?.unwrap().to_vec()?, vec![1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(loc: impl Into<TimeVarying>, covariance: impl Into<TimeVarying>) -> Self {
        GaussianTerm { loc: Some(loc.into()), covariance: covariance.into() }
    }

    /// Zero-mean with `covariance`.
    ///
    /// ```
    /// use probrs::sts::GaussianTerm;
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(GaussianTerm::zero_mean(Tensor::eye(2, &[], DType::F64)?).loc_at(0)?.is_none());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn zero_mean(covariance: impl Into<TimeVarying>) -> Self {
        GaussianTerm { loc: None, covariance: covariance.into() }
    }

    /// Zero-mean with independent coordinates of standard deviations `scale_diag [n]` (TFP's
    /// `MultivariateNormalDiag(scale_diag=...)`); differentiable in `scale_diag`.
    ///
    /// ```
    /// use probrs::sts::GaussianTerm;
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(GaussianTerm::diag(&Tensor::ones(&[2, 2], DType::F64)?).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn diag(scale_diag: &Tensor) -> Result<Self> {
        if scale_diag.rank() != 1 {
            return Err(Error::invalid_shape("scale_diag", scale_diag.shape(), "expected a vector [n]"));
        }
        Ok(GaussianTerm::zero_mean(Tensor::matrix_diag(&scale_diag.square()?)?))
    }

    /// The mean at step `t` (`None`: zero).
    ///
    /// ```
    /// use probrs::sts::GaussianTerm;
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(GaussianTerm::zero_mean(Tensor::ones(&[1, 1], DType::F64)?).loc_at(4)?.is_none());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn loc_at(&self, t: usize) -> Result<Option<Tensor>> {
        self.loc.as_ref().map(|l| l.at(t)).transpose()
    }

    /// The covariance at step `t`.
    ///
    /// ```
    /// use probrs::sts::GaussianTerm;
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(GaussianTerm::zero_mean(Tensor::ones(&[1, 1], DType::F64)?).covariance_at(2)?.to_vec()?, vec![1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn covariance_at(&self, t: usize) -> Result<Tensor> {
        self.covariance.at(t)
    }

    /// The mean over steps `first..first + len` as [`TimeVarying::resolve`] gives it; zeros
    /// `[1, size]` when zero-mean.
    fn resolve_loc(&self, first: usize, len: usize, size: usize, dtype: DType) -> Result<(Tensor, Vec<usize>)> {
        match &self.loc {
            Some(l) => l.resolve(first, len),
            None => Ok((Tensor::zeros(&[1, size], dtype)?, vec![0; len])),
        }
    }
}

/// The Kalman filter's outputs over `x [..., T, p]` (TFP's `forward_filter` tuple): per step
/// the log-likelihood `[..., T]`, the filtered and predicted state means `[..., T, k]` and
/// covariances `[T, k, k]`, and the one-step predictive observation means `[..., T, p]` and
/// covariances `[T, p, p]` (the covariances are shared by every series: they do not depend on
/// the observed values).
///
/// ```
/// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
/// use probrs::tensor::{DType, Tensor};
/// let one = Tensor::ones(&[1, 1], DType::F64)?;
/// let m = LinearGaussianStateSpaceModel::new(3, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one))?;
/// let r = m.forward_filter(&Tensor::zeros(&[4, 3, 1], DType::F64)?)?; // four series
/// assert_eq!((r.log_likelihoods.shape(), r.filtered_covs.shape()), (&[4, 3][..], &[3, 1, 1][..]));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FilterResults {
    /// `log p(x_t | x_<t)` per step; zero at masked steps.
    pub log_likelihoods: Tensor,
    /// `E[z_t | x_≤t]`.
    pub filtered_means: Tensor,
    /// `Cov[z_t | x_≤t]`.
    pub filtered_covs: Tensor,
    /// `E[z_t | x_<t]`.
    pub predicted_means: Tensor,
    /// `Cov[z_t | x_<t]`.
    pub predicted_covs: Tensor,
    /// `E[x_t | x_<t]`.
    pub observation_means: Tensor,
    /// `Cov[x_t | x_<t]`.
    pub observation_covs: Tensor,
}

/// `parts` (equal shapes) stacked on a new axis `axis`.
fn stack(parts: &[Tensor], axis: usize) -> Result<Tensor> {
    let parts: Vec<Tensor> = parts.iter().map(|x| x.unsqueeze(axis)).collect::<Result<_>>()?;
    Tensor::concat(&parts.iter().collect::<Vec<_>>(), axis)
}

/// A factor `L` with `L Lᵀ = cov` for a positive semi-definite `cov` (symmetrized): Cholesky,
/// or for a singular one (a seasonal drift of rank one, deterministic states) Cholesky after a
/// jitter of 1e-12 of the largest variance; zero for a zero matrix. `what` names it in errors.
fn psd_factor(cov: &Tensor, what: &str) -> Result<Tensor> {
    let sym = cov.add(&cov.matrix_transpose()?)?.mul_scalar(0.5)?;
    let largest = sym.diag_part()?.to_vec()?.into_iter().fold(0.0, f64::max);
    if largest == 0.0 && sym.abs()?.to_vec()?.iter().all(|v| *v == 0.0) {
        return sym.zeros_like();
    }
    let k = sym.shape()[0];
    sym.cholesky()
        .or_else(|_| sym.add(&Tensor::eye(k, &[], sym.dtype())?.mul_scalar(1e-12 * (1.0 + largest))?)?.cholesky())
        .map_err(|_| Error::invalid_parameter("covariance", format!("the {what} is not positive semi-definite")))
}

/// TFP's `LinearGaussianStateSpaceModel` (module doc).
///
/// ```
/// use probrs::distributions::Distribution;
/// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
/// use probrs::tensor::{DType, Tensor};
/// // A local level: z_{t+1} = z_t + N(0, 0.5²), x_t = z_t + N(0, 0.3²), z_0 ~ N(0, 1).
/// let one = Tensor::ones(&[1, 1], DType::F64)?;
/// let ssm = LinearGaussianStateSpaceModel::new(
///     3, &one, GaussianTerm::diag(&Tensor::vector(&[0.5], DType::F64)?)?,
///     &one, GaussianTerm::diag(&Tensor::vector(&[0.3], DType::F64)?)?,
///     GaussianTerm::zero_mean(&one),
/// )?;
/// let x = Tensor::from_slice(&[0.1, 0.4, 0.2], &[3, 1], DType::F64)?;
/// // The filter's log-likelihood is the joint Gaussian density of the three values.
/// let lp = ssm.log_prob(&x)?.to_scalar()?;
/// let (q, r) = (0.25, 0.09);
/// let cov = Tensor::from_slice(&[1.0 + r, 1.0, 1.0, 1.0, 1.0 + q + r, 1.0 + q, 1.0, 1.0 + q, 1.0 + 2.0 * q + r], &[3, 3], DType::F64)?;
/// let mvn = probrs::distributions::MultivariateNormalTriL::new(Tensor::zeros(&[3], DType::F64)?, cov.cholesky()?)?;
/// assert!((lp - mvn.log_prob(&x.reshape(&[3])?)?.to_scalar()?).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct LinearGaussianStateSpaceModel {
    num_timesteps: usize,
    transition_matrix: TimeVarying,
    transition_noise: GaussianTerm,
    observation_matrix: TimeVarying,
    observation_noise: GaussianTerm,
    initial_state_prior: GaussianTerm,
    initial_step: usize,
    mask: Option<Vec<bool>>,
    burn: usize,
    latent_size: usize,
    observation_size: usize,
    dtype: DType,
    /// A batch of models, one per parameter draw (`stack`); `None` for a single model.
    members: Option<Arc<Vec<LinearGaussianStateSpaceModel>>>,
}

impl LinearGaussianStateSpaceModel {
    /// The model over `num_timesteps` steps (module doc; TFP's argument order). The sizes `k`
    /// and `p` are read from the observation matrix at the initial step `[p, k]`.
    ///
    /// ```
    /// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
    /// use probrs::tensor::{DType, Tensor};
    /// let one = Tensor::ones(&[1, 1], DType::F64)?;
    /// let bad_prior = GaussianTerm::zero_mean(Tensor::eye(2, &[], DType::F64)?);
    /// let err = LinearGaussianStateSpaceModel::new(5, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), bad_prior);
    /// assert!(err.is_err_and(|e| e.to_string().contains("initial_state_prior")));
    /// assert!(LinearGaussianStateSpaceModel::new(0, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one)).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(
        num_timesteps: usize,
        transition_matrix: impl Into<TimeVarying>,
        transition_noise: GaussianTerm,
        observation_matrix: impl Into<TimeVarying>,
        observation_noise: GaussianTerm,
        initial_state_prior: GaussianTerm,
    ) -> Result<Self> {
        if num_timesteps == 0 {
            return Err(Error::invalid_parameter("num_timesteps", "a state-space model needs at least one step"));
        }
        let (transition_matrix, observation_matrix) = (transition_matrix.into(), observation_matrix.into());
        let h = observation_matrix.at(0)?;
        if h.rank() != 2 {
            return Err(Error::invalid_shape("observation_matrix", h.shape(), "expected [p, k]"));
        }
        let (p, k) = (h.shape()[0], h.shape()[1]);
        let m = LinearGaussianStateSpaceModel {
            num_timesteps,
            transition_matrix,
            transition_noise,
            observation_matrix,
            observation_noise,
            initial_state_prior,
            initial_step: 0,
            mask: None,
            burn: 0,
            latent_size: k,
            observation_size: p,
            dtype: h.dtype(),
            members: None,
        };
        m.check_step(0)?;
        Ok(m)
    }

    /// Counts steps from `initial_step` when evaluating time-varying terms (TFP's `initial_step`).
    ///
    /// ```
    /// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
    /// use probrs::tensor::{DType, Tensor};
    /// let one = Tensor::ones(&[1, 1], DType::F64)?;
    /// let m = LinearGaussianStateSpaceModel::new(2, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one))?.with_initial_step(10);
    /// assert_eq!(m.initial_step(), 10);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_initial_step(mut self, initial_step: usize) -> Self {
        self.initial_step = initial_step;
        if let Some(m) = &self.members {
            self.members = Some(Arc::new(m.iter().cloned().map(|x| x.with_initial_step(initial_step)).collect()));
        }
        self
    }

    /// A batch of models over the same steps, one per parameter draw (`batch_shape = [S]`;
    /// TFP's batched parameters): equal step counts, sizes and dtypes; builders apply to every
    /// member. See the module doc for what runs over the batch.
    ///
    /// ```
    /// use probrs::distributions::Distribution;
    /// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
    /// use probrs::tensor::{DType, Tensor};
    /// let one = Tensor::ones(&[1, 1], DType::F64)?;
    /// let level = |q: f64| LinearGaussianStateSpaceModel::new(3, &one, GaussianTerm::zero_mean(one.mul_scalar(q)?), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one));
    /// let batch = LinearGaussianStateSpaceModel::stack(vec![level(0.1)?, level(0.5)?])?;
    /// assert_eq!(batch.batch_shape(), vec![2]);
    /// let x = Tensor::from_slice(&[0.1, 0.4, 0.2], &[3, 1], DType::F64)?;
    /// let lp = batch.log_prob(&x)?.to_vec()?; // one value per draw
    /// assert_eq!(lp[1], level(0.5)?.log_prob(&x)?.to_scalar()?);
    /// assert_eq!(batch.sample(&[4], probrs::random::Seed::new(0))?.shape(), &[4, 2, 3, 1]);
    /// assert!(batch.forward_filter(&x).is_err()); // ask each member
    /// assert!(LinearGaussianStateSpaceModel::stack(vec![]).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn stack(members: Vec<LinearGaussianStateSpaceModel>) -> Result<Self> {
        let Some(first) = members.first().cloned() else {
            return Err(Error::invalid_parameter("members", "a batch needs at least one model"));
        };
        for (i, m) in members.iter().enumerate() {
            if m.members.is_some() {
                return Err(Error::invalid_parameter("members", format!("member {i} is itself a batch")));
            }
            let (a, b) = ([m.num_timesteps, m.latent_size, m.observation_size], [first.num_timesteps, first.latent_size, first.observation_size]);
            if a != b || m.dtype != first.dtype {
                return Err(Error::ShapeMismatch { context: format!("linear_gaussian_state_space_model stack: member {i}'s (steps, latent, observation) sizes vs member 0's"), lhs: a.to_vec(), rhs: b.to_vec() });
            }
        }
        Ok(LinearGaussianStateSpaceModel { members: Some(Arc::new(members)), ..first })
    }

    /// The models of a batch (`stack`), `None` for a single model.
    ///
    /// ```
    /// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
    /// use probrs::tensor::{DType, Tensor};
    /// let one = Tensor::ones(&[1, 1], DType::F64)?;
    /// let m = LinearGaussianStateSpaceModel::new(2, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one))?;
    /// assert!(m.members().is_none());
    /// assert_eq!(LinearGaussianStateSpaceModel::stack(vec![m.clone(), m])?.members().unwrap().len(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn members(&self) -> Option<&[LinearGaussianStateSpaceModel]> {
        self.members.as_deref().map(|v| v.as_slice())
    }

    /// A typed error for the queries asked of each member of a batch.
    fn unbatched(&self, what: &str) -> Result<()> {
        match &self.members {
            Some(m) => Err(Error::invalid_parameter("model", format!("{what} of a batch of {} parameter draws: call it on each of `members()`", m.len()))),
            None => Ok(()),
        }
    }

    /// Applies a builder to every member of a batch.
    fn map_members(mut self, f: impl Fn(LinearGaussianStateSpaceModel) -> Result<LinearGaussianStateSpaceModel>) -> Result<Self> {
        if let Some(m) = &self.members {
            self.members = Some(Arc::new(m.iter().cloned().map(f).collect::<Result<_>>()?));
        }
        Ok(self)
    }

    /// Replaces the initial-state prior (TFP's `make_state_space_model(...,
    /// initial_state_prior=...)`: a forecast starts from the filtered state); checked like the
    /// constructor's.
    ///
    /// ```
    /// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
    /// use probrs::tensor::{DType, Tensor};
    /// let one = Tensor::ones(&[1, 1], DType::F64)?;
    /// let m = LinearGaussianStateSpaceModel::new(2, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one))?;
    /// let start = GaussianTerm::new(Tensor::vector(&[5.0], DType::F64)?, one.mul_scalar(0.1)?);
    /// assert!(m.clone().with_initial_state_prior(start).is_ok());
    /// assert!(m.with_initial_state_prior(GaussianTerm::zero_mean(Tensor::eye(2, &[], DType::F64)?)).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_initial_state_prior(mut self, initial_state_prior: GaussianTerm) -> Result<Self> {
        self.initial_state_prior = initial_state_prior.clone();
        self.check_step(0)?;
        self.map_members(|m| m.with_initial_state_prior(initial_state_prior.clone()))
    }

    /// The first step's index for time-varying terms.
    ///
    /// ```
    /// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
    /// use probrs::tensor::{DType, Tensor};
    /// let one = Tensor::ones(&[1, 1], DType::F64)?;
    /// let m = LinearGaussianStateSpaceModel::new(2, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one))?;
    /// assert_eq!(m.initial_step(), 0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn initial_step(&self) -> usize {
        self.initial_step
    }

    /// Missing observations (TFP's `mask`: `true` where the value is missing); their values
    /// are ignored (NaN allowed there) and they contribute nothing to `log_prob`.
    ///
    /// ```
    /// use probrs::distributions::Distribution;
    /// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
    /// use probrs::tensor::{DType, Tensor};
    /// let one = Tensor::ones(&[1, 1], DType::F64)?;
    /// let m = LinearGaussianStateSpaceModel::new(2, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one))?;
    /// let x = Tensor::from_slice(&[0.5, f64::NAN], &[2, 1], DType::F64)?;
    /// let masked = m.clone().with_mask(vec![false, true])?;
    /// let first_only = LinearGaussianStateSpaceModel::new(1, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one))?;
    /// assert_eq!(masked.log_prob(&x)?.to_scalar()?, first_only.log_prob(&x.narrow(0, 0, 1)?)?.to_scalar()?);
    /// assert!(m.log_prob(&x).is_err()); // an unmasked NaN is an error naming the step
    /// assert!(m.with_mask(vec![true]).is_err()); // one flag per step
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_mask(mut self, mask: Vec<bool>) -> Result<Self> {
        if mask.len() != self.num_timesteps {
            return Err(Error::ShapeMismatch { context: "linear_gaussian_state_space_model mask vs num_timesteps".into(), lhs: vec![mask.len()], rhs: vec![self.num_timesteps] });
        }
        self.mask = Some(mask.clone());
        self.map_members(|m| m.with_mask(mask.clone()))
    }

    /// Leaves the first `steps` log-likelihood terms out of `log_prob` (statsmodels'
    /// `loglikelihood_burn`, used with an approximately diffuse initial-state prior, module
    /// doc); `forward_filter` still reports them.
    ///
    /// ```
    /// use probrs::distributions::Distribution;
    /// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
    /// use probrs::tensor::{DType, Tensor};
    /// let one = Tensor::ones(&[1, 1], DType::F64)?;
    /// let m = LinearGaussianStateSpaceModel::new(2, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one))?;
    /// let x = Tensor::from_slice(&[0.5, 0.7], &[2, 1], DType::F64)?;
    /// let per_step = m.forward_filter(&x)?.log_likelihoods.to_vec()?;
    /// assert!((m.with_log_likelihood_burn(1).log_prob(&x)?.to_scalar()? - per_step[1]).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_log_likelihood_burn(mut self, steps: usize) -> Self {
        self.burn = steps;
        if let Some(m) = &self.members {
            self.members = Some(Arc::new(m.iter().cloned().map(|x| x.with_log_likelihood_burn(steps)).collect()));
        }
        self
    }

    /// The number of steps `T`.
    ///
    /// ```
    /// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
    /// use probrs::tensor::{DType, Tensor};
    /// let one = Tensor::ones(&[1, 1], DType::F64)?;
    /// let m = LinearGaussianStateSpaceModel::new(4, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one))?;
    /// assert_eq!((m.num_timesteps(), m.latent_size(), m.observation_size()), (4, 1, 1));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn num_timesteps(&self) -> usize {
        self.num_timesteps
    }

    /// The state size `k`.
    ///
    /// ```
    /// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
    /// use probrs::tensor::{DType, Tensor};
    /// let h = Tensor::ones(&[1, 3], DType::F64)?;
    /// let (a, one) = (Tensor::eye(3, &[], DType::F64)?, Tensor::ones(&[1, 1], DType::F64)?);
    /// let m = LinearGaussianStateSpaceModel::new(4, &a, GaussianTerm::zero_mean(&a), &h, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&a))?;
    /// assert_eq!(m.latent_size(), 3);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn latent_size(&self) -> usize {
        self.latent_size
    }

    /// The observation size `p`.
    ///
    /// ```
    /// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
    /// use probrs::tensor::{DType, Tensor};
    /// let one = Tensor::ones(&[1, 1], DType::F64)?;
    /// let m = LinearGaussianStateSpaceModel::new(4, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one))?;
    /// assert_eq!(m.observation_size(), 1);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn observation_size(&self) -> usize {
        self.observation_size
    }

    fn masked(&self, t: usize) -> bool {
        self.mask.as_ref().is_some_and(|m| m[t])
    }

    /// Checks every term's shape at model step `t` (0-based), naming the term.
    fn check_step(&self, t: usize) -> Result<()> {
        let (k, p, s) = (self.latent_size, self.observation_size, self.initial_step + t);
        let want = |name: &str, v: &Tensor, shape: &[usize]| -> Result<()> {
            if v.shape() != shape {
                return Err(Error::ShapeMismatch { context: format!("linear_gaussian_state_space_model {name} at step {s}"), lhs: v.shape().to_vec(), rhs: shape.to_vec() });
            }
            if v.dtype() != self.dtype {
                return Err(Error::DTypeMismatch { context: format!("linear_gaussian_state_space_model {name}"), lhs: v.dtype().name().into(), rhs: self.dtype.name().into() });
            }
            Ok(())
        };
        want("transition_matrix", &self.transition_matrix.at(s)?, &[k, k])?;
        want("observation_matrix", &self.observation_matrix.at(s)?, &[p, k])?;
        for (name, term, n) in [("transition_noise", &self.transition_noise, k), ("observation_noise", &self.observation_noise, p), ("initial_state_prior", &self.initial_state_prior, k)] {
            want(&format!("{name} covariance"), &term.covariance_at(s)?, &[n, n])?;
            if let Some(l) = term.loc_at(s)? {
                want(&format!("{name} loc"), &l, &[n])?;
            }
        }
        Ok(())
    }

    /// `x [..., T, p]` as `[N, T, p]` rows with the batch shape, masked values zeroed; errors
    /// name a shape mismatch or an unmasked non-finite value's step.
    fn rows(&self, x: &Tensor) -> Result<(Tensor, Vec<usize>)> {
        let (t, p) = (self.num_timesteps, self.observation_size);
        let r = x.rank();
        if r < 2 || x.shape()[r - 2..] != [t, p] {
            return Err(Error::ShapeMismatch { context: "linear_gaussian_state_space_model input [..., num_timesteps, observation_size]".into(), lhs: x.shape().to_vec(), rhs: vec![t, p] });
        }
        let batch = x.shape()[..r - 2].to_vec();
        let n: usize = batch.iter().product();
        let v = x.detach().to_vec()?;
        for (i, chunk) in v.chunks(p).enumerate() {
            let step = i % t;
            if !self.masked(step) && chunk.iter().any(|z| !z.is_finite()) {
                return Err(Error::NonFinite { what: "observation (mask it if it is missing)".into(), step, variable: None });
            }
        }
        let mut rows = x.reshape(&[n, t, p])?;
        if let Some(mask) = &self.mask {
            if mask.iter().any(|m| *m) {
                let keep: Vec<f64> = mask.iter().flat_map(|m| std::iter::repeat_n(if *m { 0.0 } else { 1.0 }, p)).collect();
                let keep = Tensor::from_slice(&keep, &[t, p], x.dtype())?;
                // Zero the masked entries without touching NaN arithmetic: where, not a product.
                rows = Tensor::where_(&keep.gt_scalar(0.5)?, &rows, &rows.zeros_like()?)?;
            }
        }
        Ok((rows, batch))
    }

    /// TFP's `forward_filter`: the Kalman filter over `x [..., T, p]` ([`FilterResults`]).
    ///
    /// ```
    /// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
    /// use probrs::tensor::{DType, Tensor};
    /// let one = Tensor::ones(&[1, 1], DType::F64)?;
    /// let m = LinearGaussianStateSpaceModel::new(2, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one))?;
    /// let r = m.forward_filter(&Tensor::from_slice(&[2.0, 1.0], &[2, 1], DType::F64)?)?;
    /// // Step 0: prior N(0, 1), observation noise 1: the filtered mean halves the value.
    /// assert!((r.filtered_means.to_vec()?[0] - 1.0).abs() < 1e-12);
    /// assert!((r.filtered_covs.to_vec()?[0] - 0.5).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn forward_filter(&self, x: &Tensor) -> Result<FilterResults> {
        self.unbatched("forward_filter")?;
        if self.observation_size == 1 {
            if let Some(r) = self.untracked_filter(x)? {
                return Ok(r);
            }
        }
        self.graph_filter(x)
    }

    /// The filter as facade ops (Joseph form), differentiable in every term.
    fn graph_filter(&self, x: &Tensor) -> Result<FilterResults> {
        let (rows, batch) = self.rows(x)?;
        let (t_len, k, p) = (self.num_timesteps, self.latent_size, self.observation_size);
        let n = rows.shape()[0];
        let dtype = self.dtype;
        let eye_k = Tensor::eye(k, &[], dtype)?;
        let mut mean = self.initial_state_prior.loc_at(self.initial_step)?.map_or_else(|| Tensor::zeros(&[k], dtype), Ok)?.unsqueeze(0)?.broadcast_to(&[n, k])?;
        let mut cov = self.initial_state_prior.covariance_at(self.initial_step)?;
        let (mut lls, mut fm, mut fc, mut pm, mut pc, mut om, mut oc) = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for t in 0..t_len {
            let s = self.initial_step + t;
            self.check_step(t)?;
            if t > 0 {
                let a = self.transition_matrix.at(s - 1)?;
                mean = mean.matmul(&a.matrix_transpose()?)?;
                if let Some(b) = self.transition_noise.loc_at(s - 1)? {
                    mean = mean.add(&b)?;
                }
                cov = a.matmul(&cov)?.matmul(&a.matrix_transpose()?)?.add(&self.transition_noise.covariance_at(s - 1)?)?;
            }
            pm.push(mean.clone());
            pc.push(cov.clone());
            let h = self.observation_matrix.at(s)?;
            let r = self.observation_noise.covariance_at(s)?;
            let mut y_pred = mean.matmul(&h.matrix_transpose()?)?;
            if let Some(d) = self.observation_noise.loc_at(s)? {
                y_pred = y_pred.add(&d)?;
            }
            let ph = cov.matmul(&h.matrix_transpose()?)?; // [k, p]
            let s_cov = h.matmul(&ph)?.add(&r)?;
            let s_cov = s_cov.add(&s_cov.matrix_transpose()?)?.mul_scalar(0.5)?;
            om.push(y_pred.clone());
            oc.push(s_cov.clone());
            if self.masked(t) {
                lls.push(Tensor::zeros(&[n], dtype)?);
            } else {
                let chol = s_cov.cholesky().map_err(|_| Error::invalid_parameter("observation_noise", format!("the predictive covariance at step {s} is not positive definite")))?;
                let resid = rows.narrow(1, t, 1)?.squeeze(1)?.sub(&y_pred)?; // [n, p]
                let z = crate::tensor::linalg::triangular_solve(&chol, &resid.matrix_transpose()?, false)?; // [p, n]
                let half_logdet = chol.diag_part()?.log()?.sum_all()?;
                lls.push(z.square()?.sum_axes(&[0], false)?.affine(-0.5, -0.5 * p as f64 * LN_2PI)?.sub(&half_logdet)?);
                // K = P Hᵀ S⁻¹: Kᵀ = S⁻¹ H P.
                let gain = chol.cholesky_solve(&ph.matrix_transpose()?)?.matrix_transpose()?; // [k, p]
                mean = mean.add(&resid.matmul(&gain.matrix_transpose()?)?)?;
                let ikh = eye_k.sub(&gain.matmul(&h)?)?;
                cov = ikh.matmul(&cov)?.matmul(&ikh.matrix_transpose()?)?.add(&gain.matmul(&r)?.matmul(&gain.matrix_transpose()?)?)?;
            }
            fm.push(mean.clone());
            fc.push(cov.clone());
        }
        // Per-series rows [n, ...] stacked on the step axis, back to the batch shape.
        let per_series = |v: &[Tensor], tail: &[usize]| -> Result<Tensor> {
            let mut shape = batch.clone();
            shape.push(t_len);
            shape.extend_from_slice(tail);
            stack(v, 1)?.reshape(&shape)
        };
        Ok(FilterResults {
            log_likelihoods: per_series(&lls, &[])?,
            filtered_means: per_series(&fm, &[k])?,
            filtered_covs: stack(&fc, 0)?,
            predicted_means: per_series(&pm, &[k])?,
            predicted_covs: stack(&pc, 0)?,
            observation_means: per_series(&om, &[p])?,
            observation_covs: stack(&oc, 0)?,
        })
    }

    /// The fused filter's inputs for a univariate model (its terms over the model's steps).
    fn kalman_inputs(&self) -> Result<KalmanInputs> {
        let (t_len, k, dtype) = (self.num_timesteps, self.latent_size, self.dtype);
        for t in 0..t_len {
            self.check_step(t)?;
        }
        let s0 = self.initial_step;
        // The move into step t uses the terms at step t − 1: the steps' indices shift by one
        // (the first entry is unused).
        let shift = |(v, mut idx): (Tensor, Vec<usize>)| -> (Tensor, Vec<usize>) {
            idx.pop();
            idx.insert(0, 0);
            (v, idx)
        };
        let (a, a_idx) = shift(self.transition_matrix.resolve(s0, t_len)?);
        let (q, q_idx) = shift(self.transition_noise.covariance.resolve(s0, t_len)?);
        let (b, b_idx) = shift(self.transition_noise.resolve_loc(s0, t_len, k, dtype)?);
        let (h, h_idx) = self.observation_matrix.resolve(s0, t_len)?;
        let (r, r_idx) = self.observation_noise.covariance.resolve(s0, t_len)?;
        let (d, d_idx) = self.observation_noise.resolve_loc(s0, t_len, 1, dtype)?;
        let ix = |values: Tensor, index: Vec<usize>| Indexed { values, index };
        Ok(KalmanInputs {
            transition_matrix: ix(a, a_idx),
            transition_covariance: ix(q, q_idx),
            transition_loc: ix(b, b_idx),
            observation_matrix: ix(h, h_idx),
            observation_variance: ix(r, r_idx),
            observation_loc: ix(d, d_idx),
            initial_loc: self.initial_state_prior.loc_at(s0)?.map_or_else(|| Tensor::zeros(&[k], dtype), Ok)?,
            initial_covariance: self.initial_state_prior.covariance_at(s0)?,
            mask: (0..t_len).map(|t| self.masked(t)).collect(),
            first_step: s0,
        })
    }

    /// The per-step log-likelihoods `[..., T]` of a univariate model by the fused Kalman filter.
    fn fused_log_likelihoods(&self, x: &Tensor) -> Result<Tensor> {
        let (rows, batch) = self.rows(x)?;
        let t_len = self.num_timesteps;
        let ll = kalman_log_likelihoods(&rows.reshape(&[rows.shape()[0], t_len])?, &self.kalman_inputs()?)?;
        let mut shape = batch;
        shape.push(t_len);
        ll.reshape(&shape)
    }

    /// Whether neither the series nor any term is tracked (the graph-free paths apply).
    fn untracked(&self, x: &Tensor, inputs: &KalmanInputs) -> bool {
        let terms = [&inputs.transition_matrix, &inputs.transition_covariance, &inputs.transition_loc, &inputs.observation_matrix, &inputs.observation_variance, &inputs.observation_loc];
        !(x.is_tracked() || inputs.initial_loc.is_tracked() || inputs.initial_covariance.is_tracked() || terms.iter().any(|t| t.values.is_tracked()))
    }

    /// The fused filter's forward moments over `x [..., T, 1]` when neither the series nor any
    /// term is tracked (with the filter's inputs, the batch shape and the series count);
    /// `None` otherwise.
    fn untracked_moments(&self, x: &Tensor) -> Result<Option<UntrackedMoments>> {
        let inputs = self.kalman_inputs()?;
        if !self.untracked(x, &inputs) {
            return Ok(None);
        }
        let (rows, batch) = self.rows(x)?;
        let n = rows.shape()[0];
        let f = kalman_filter(&rows.reshape(&[n, self.num_timesteps])?, &inputs)?;
        Ok(Some((inputs, f, batch, n)))
    }

    /// `forward_filter` of a univariate model whose terms and series are not tracked, by the
    /// fused filter's forward pass (no autodiff graph; `None` when something is tracked).
    fn untracked_filter(&self, x: &Tensor) -> Result<Option<FilterResults>> {
        let Some((_, f, batch, n)) = self.untracked_moments(x)? else {
            return Ok(None);
        };
        let (t_len, k, dtype) = (self.num_timesteps, self.latent_size, self.dtype);
        let with_batch = |tail: &[usize]| -> Vec<usize> { batch.iter().copied().chain(std::iter::once(t_len)).chain(tail.iter().copied()).collect() };
        // [T, n, ...] step-major arrays to [..., T, ...].
        let per_series = |v: &[f64], tail: &[usize]| -> Result<Tensor> {
            let mut shape = vec![t_len, n];
            shape.extend_from_slice(tail);
            let mut axes = vec![1, 0];
            axes.extend(2..2 + tail.len());
            Tensor::from_slice(v, &shape, dtype)?.permute(&axes)?.contiguous()?.reshape(&with_batch(tail))
        };
        let ll = Tensor::from_slice(&f.log_likelihoods, &[n, t_len], dtype)?.reshape(&with_batch(&[]))?;
        Ok(Some(FilterResults {
            log_likelihoods: ll,
            filtered_means: per_series(&f.filtered_means, &[k])?,
            filtered_covs: Tensor::from_slice(&f.filtered_covs, &[t_len, k, k], dtype)?,
            predicted_means: per_series(&f.predicted_means, &[k])?,
            predicted_covs: Tensor::from_slice(&f.predicted_covs, &[t_len, k, k], dtype)?,
            observation_means: per_series(&f.observation_means, &[1])?,
            observation_covs: Tensor::from_slice(&f.observation_variances, &[t_len, 1, 1], dtype)?,
        }))
    }

    /// TFP's `posterior_marginals`: `E[z_t | x]` `[..., T, k]` and `Cov[z_t | x]` `[T, k, k]` by
    /// the Rauch–Tung–Striebel smoother over the filter's results.
    ///
    /// ```
    /// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
    /// use probrs::tensor::{DType, Tensor};
    /// let one = Tensor::ones(&[1, 1], DType::F64)?;
    /// let m = LinearGaussianStateSpaceModel::new(2, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one))?;
    /// let (means, covs) = m.posterior_marginals(&Tensor::from_slice(&[2.0, 1.0], &[2, 1], DType::F64)?)?;
    /// // The last step's smoothed moments are its filtered ones; the first uses both values.
    /// assert_eq!((means.shape(), covs.shape()), (&[2, 1][..], &[2, 1, 1][..]));
    /// assert!((covs.to_vec()?[0] - 0.4).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn posterior_marginals(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        self.unbatched("posterior_marginals")?;
        if self.observation_size == 1 {
            if let Some(r) = self.untracked_smoother(x)? {
                return Ok(r);
            }
        }
        self.graph_smoother(x)
    }

    /// `posterior_marginals` of an untracked univariate model by the fused filter's forward
    /// pass and a plain-f64 smoother (`None` when something is tracked).
    fn untracked_smoother(&self, x: &Tensor) -> Result<Option<(Tensor, Tensor)>> {
        let Some((inputs, f, batch, n)) = self.untracked_moments(x)? else {
            return Ok(None);
        };
        let (t_len, k, dtype) = (self.num_timesteps, self.latent_size, self.dtype);
        let (means, covs) = kalman_smoother(&inputs, &f, n)?;
        let mut shape = batch;
        shape.extend([t_len, k]);
        let means = Tensor::from_slice(&means, &[t_len, n, k], dtype)?.permute(&[1, 0, 2])?.contiguous()?.reshape(&shape)?;
        Ok(Some((means, Tensor::from_slice(&covs, &[t_len, k, k], dtype)?)))
    }

    /// The smoother as facade ops over the graph filter.
    fn graph_smoother(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let FilterResults { filtered_means: fm, filtered_covs: fc, predicted_means: pm, predicted_covs: pc, .. } = self.forward_filter(x)?;
        let t_len = self.num_timesteps;
        let out_shape = fm.shape().to_vec();
        let k = self.latent_size;
        let n = fm.elem_count() / (t_len * k);
        let (fm, pm) = (fm.reshape(&[n, t_len, k])?, pm.reshape(&[n, t_len, k])?);
        let axis = 1;
        let at = |m: &Tensor, t: usize| m.narrow(axis, t, 1)?.squeeze(axis);
        let cov_at = |c: &Tensor, t: usize| c.narrow(0, t, 1)?.squeeze(0);
        let mut means = vec![at(&fm, t_len - 1)?];
        let mut covs = vec![cov_at(&fc, t_len - 1)?];
        for t in (0..t_len - 1).rev() {
            let (f_cov, p_next) = (cov_at(&fc, t)?, cov_at(&pc, t + 1)?);
            let gain = self.smoother_gain(t, &f_cov, &p_next)?;
            let (next_mean, next_cov) = (means.last().expect("one entry").clone(), covs.last().expect("one entry").clone());
            let mean = at(&fm, t)?.add(&next_mean.sub(&at(&pm, t + 1)?)?.matmul(&gain.matrix_transpose()?)?)?;
            let cov = f_cov.add(&gain.matmul(&next_cov.sub(&p_next)?)?.matmul(&gain.matrix_transpose()?)?)?;
            means.push(mean);
            covs.push(cov.add(&cov.matrix_transpose()?)?.mul_scalar(0.5)?);
        }
        means.reverse();
        covs.reverse();
        Ok((stack(&means, axis)?.reshape(&out_shape)?, stack(&covs, 0)?))
    }

    /// The smoother's gain at step `t`: `J = P_t A_tᵀ (P⁻_{t+1})⁻¹`, as `Jᵀ = (P⁻)⁻¹ A P_t` by
    /// a Cholesky solve.
    fn smoother_gain(&self, t: usize, filtered_cov: &Tensor, predicted_next: &Tensor) -> Result<Tensor> {
        let a = self.transition_matrix.at(self.initial_step + t)?;
        let chol = predicted_next.cholesky().map_err(|_| Error::invalid_parameter("transition_noise", format!("the predicted covariance at step {} is not positive definite", self.initial_step + t + 1)))?;
        chol.cholesky_solve(&a.matmul(filtered_cov)?)?.matrix_transpose()
    }

    /// TFP's `posterior_sample`: latent trajectories `z [sample_shape, ..., T, k]` drawn from
    /// `p(z | x)` by forward filtering, backward sampling: `z_{T−1} ~ N(m_{T−1}, P_{T−1})`, then
    /// `z_t | z_{t+1} ~ N(m_t + J_t (z_{t+1} − m⁻_{t+1}), P_t − J_t P⁻_{t+1} J_tᵀ)` with
    /// `J_t = P_t A_tᵀ (P⁻_{t+1})⁻¹`.
    ///
    /// ```
    /// use probrs::random::Seed;
    /// use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
    /// use probrs::tensor::{DType, Tensor};
    /// let one = Tensor::ones(&[1, 1], DType::F64)?;
    /// let m = LinearGaussianStateSpaceModel::new(2, &one, GaussianTerm::zero_mean(&one), &one, GaussianTerm::zero_mean(&one), GaussianTerm::zero_mean(&one))?;
    /// let x = Tensor::from_slice(&[2.0, 1.0], &[2, 1], DType::F64)?;
    /// let z = m.posterior_sample(&x, &[20_000], Seed::new(0))?;
    /// assert_eq!(z.shape(), &[20_000, 2, 1]);
    /// // The draws' mean at step 0 is the smoothed mean (standard error 0.0045).
    /// let (means, _) = m.posterior_marginals(&x)?;
    /// let draws = z.to_vec()?;
    /// let avg = draws.iter().step_by(2).sum::<f64>() / 20_000.0;
    /// assert!((avg - means.to_vec()?[0]).abs() < 0.03);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn posterior_sample(&self, x: &Tensor, sample_shape: &[usize], seed: Seed) -> Result<Tensor> {
        self.unbatched("posterior_sample")?;
        let FilterResults { filtered_means: fm, filtered_covs: fc, predicted_means: pm, predicted_covs: pc, .. } = self.forward_filter(x)?;
        let (t_len, k, dtype) = (self.num_timesteps, self.latent_size, self.dtype);
        let batch = fm.shape()[..fm.rank() - 2].to_vec();
        let n: usize = batch.iter().product();
        let draws: usize = sample_shape.iter().product();
        let (fm, pm) = (fm.reshape(&[1, n, t_len, k])?, pm.reshape(&[1, n, t_len, k])?);
        let mean_at = |m: &Tensor, t: usize| -> Result<Tensor> { m.narrow(2, t, 1)?.squeeze(2)?.broadcast_to(&[draws, n, k])?.reshape(&[draws * n, k]) };
        let cov_at = |c: &Tensor, t: usize| c.narrow(0, t, 1)?.squeeze(0);
        // A draw of N(mean [draws·n, k], cov [k, k]).
        let gaussian = |mean: Tensor, cov: &Tensor, seed: Seed| -> Result<Tensor> {
            let scale = psd_factor(cov, "posterior covariance")?;
            mean.add(&random::normal(&[draws * n, k], dtype, seed)?.matmul(&scale.matrix_transpose()?)?)
        };
        let mut z = gaussian(mean_at(&fm, t_len - 1)?, &cov_at(&fc, t_len - 1)?, seed.fold_in(t_len as u64))?;
        let mut out = vec![z.clone()];
        for t in (0..t_len - 1).rev() {
            let (f_cov, p_next) = (cov_at(&fc, t)?, cov_at(&pc, t + 1)?);
            let gain = self.smoother_gain(t, &f_cov, &p_next)?;
            let mean = mean_at(&fm, t)?.add(&z.sub(&mean_at(&pm, t + 1)?)?.matmul(&gain.matrix_transpose()?)?)?;
            let cov = f_cov.sub(&gain.matmul(&p_next)?.matmul(&gain.matrix_transpose()?)?)?;
            z = gaussian(mean, &cov, seed.fold_in(t as u64))?;
            out.push(z.clone());
        }
        out.reverse();
        let mut shape = sample_shape.to_vec();
        shape.extend_from_slice(&batch);
        shape.extend([t_len, k]);
        stack(&out, 1)?.reshape(&shape)
    }
}

impl Distribution for LinearGaussianStateSpaceModel {
    fn class_name(&self) -> &'static str {
        "LinearGaussianStateSpaceModel"
    }
    fn name(&self) -> &str {
        "LinearGaussianStateSpaceModel"
    }
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn batch_shape(&self) -> Vec<usize> {
        self.members.as_ref().map_or_else(Vec::new, |m| vec![m.len()])
    }
    fn event_shape(&self) -> Vec<usize> {
        vec![self.num_timesteps, self.observation_size]
    }
    fn reparameterization_type(&self) -> ReparameterizationType {
        ReparameterizationType::FullyReparameterized
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    /// `Σ_{t ≥ burn} log p(x_t | x_<t)` by the Kalman filter, `[...]` for `x [..., T, p]`;
    /// a univariate series goes through the fused filter (`tensor/fused/kalman.rs`).
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        if let Some(members) = &self.members {
            return batch_log_prob(members, x);
        }
        let ll = if self.observation_size == 1 { self.fused_log_likelihoods(x)? } else { self.forward_filter(x)?.log_likelihoods };
        let axis = ll.rank() - 1;
        let burn = self.burn.min(self.num_timesteps);
        ll.narrow(axis, burn, self.num_timesteps - burn)?.sum_axes(&[axis], false)
    }
    /// Simulates the chain: `[sample_shape, T, p]`.
    fn sample(&self, sample_shape: &[usize], seed: Seed) -> Result<Tensor> {
        if let Some(members) = &self.members {
            let draws: Vec<Tensor> = members.iter().enumerate().map(|(i, m)| m.sample(sample_shape, seed.fold_in(i as u64))).collect::<Result<_>>()?;
            return stack(&draws, sample_shape.len());
        }
        let (k, p, dtype) = (self.latent_size, self.observation_size, self.dtype);
        let n: usize = sample_shape.iter().product();
        let draw = |term: &GaussianTerm, t: usize, size: usize, seed: Seed| -> Result<Tensor> {
            let chol = psd_factor(&term.covariance_at(t)?, &format!("covariance at step {t}"))?;
            let e = random::normal(&[n, size], dtype, seed)?.matmul(&chol.matrix_transpose()?)?;
            match term.loc_at(t)? {
                Some(l) => e.add(&l),
                None => Ok(e),
            }
        };
        let s0 = self.initial_step;
        let mut z = draw(&self.initial_state_prior, s0, k, seed.fold_in(0))?;
        let mut xs = Vec::with_capacity(self.num_timesteps);
        for t in 0..self.num_timesteps {
            let s = s0 + t;
            if t > 0 {
                self.check_step(t)?;
                z = z.matmul(&self.transition_matrix.at(s - 1)?.matrix_transpose()?)?.add(&draw(&self.transition_noise, s - 1, k, seed.fold_in(2 * t as u64 + 1))?)?;
            }
            let x = z.matmul(&self.observation_matrix.at(s)?.matrix_transpose()?)?.add(&draw(&self.observation_noise, s, p, seed.fold_in(2 * t as u64 + 2))?)?;
            xs.push(x);
        }
        let mut shape = sample_shape.to_vec();
        shape.extend([self.num_timesteps, p]);
        stack(&xs, 1)?.reshape(&shape)
    }
}

/// `log_prob` of a batch over `x [..., T, p]`: `[..., S]`, member `s` paired with
/// `x[..., s, :, :]` when the series' last batch axis is `S`, with all of `x` when it is 1 or
/// absent (TFP's broadcasting of batch shapes).
fn batch_log_prob(members: &[LinearGaussianStateSpaceModel], x: &Tensor) -> Result<Tensor> {
    let (s, r) = (members.len(), x.rank());
    if r < 2 {
        return members[0].log_prob(x);
    }
    let xb = &x.shape()[..r - 2];
    let (paired, single) = (xb.last() == Some(&s), xb.last() == Some(&1));
    if !xb.is_empty() && !paired && !single {
        return Err(Error::ShapeMismatch { context: format!("linear_gaussian_state_space_model: a batch of {s} models vs the series' batch shape"), lhs: xb.to_vec(), rhs: vec![s] });
    }
    let parts: Vec<Tensor> = members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let xi = if xb.is_empty() { x.clone() } else { x.narrow(r - 3, if paired { i } else { 0 }, 1)?.squeeze(r - 3)? };
            m.log_prob(&xi)
        })
        .collect::<Result<_>>()?;
    let axis = parts[0].rank();
    stack(&parts, axis)
}

crate::distributions::distribution::impl_display!(LinearGaussianStateSpaceModel);
