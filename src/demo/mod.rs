//! The seed examples as library functions, shared by `probrs demo`, `examples/` and the
//! integration tests (so each runs the same code).

mod bnn;
mod copula;
mod flow;
mod sts;
mod vae;

pub use bnn::{bnn_digits, bnn_model, BnnModel, BnnReport};
pub use flow::{flow_data, maf_two_moons, two_moons, FlowOptions, FlowReport};
pub use sts::{sts_co2, StsOptions, StsReport};
pub use copula::{copula_fit, warped_gaussian_copula, CopulaOptions, CopulaParameters, CopulaReport};
pub use vae::{vae_digits, Vae, VaeOptions, VaeReport};

use crate::distributions::{Distribution, Normal};
use crate::error::Result;
use crate::optim::{minimize, trace_loss, Adam, MinimizeOptions};
use crate::params::{format_variables, MakeTrainable};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};

/// The ten samples of TFP's `make_trainable` page.
///
/// ```
/// use probrs::demo::{seed_moments, SEED_SAMPLES};
/// assert_eq!(SEED_SAMPLES.len(), 10);
/// let (mean, _) = seed_moments();
/// assert!((mean - 5.397).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub const SEED_SAMPLES: [f64; 10] = [4.57, 6.37, 5.93, 7.98, 2.03, 3.59, 8.55, 3.45, 5.06, 6.44];

/// The result of fitting a Normal to [`SEED_SAMPLES`].
///
/// ```
/// use probrs::demo::fit_normal;
/// use probrs::tensor::DType;
/// let fit = fit_normal(200, Some((0.0, 1.0)), 0, DType::F32)?;
/// assert_eq!(fit.losses.len(), 200);
/// assert!(fit.model.starts_with("Normal(\"Normal\", batch_shape=[], event_shape=[], dtype=float32"), "{}", fit.model);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FitNormal {
    /// The fitted mean.
    pub mean: f64,
    /// The fitted standard deviation.
    pub stddev: f64,
    /// The loss before each update.
    pub losses: Vec<f64>,
    /// How the trained model prints.
    pub model: String,
    /// How its trainable variables print.
    pub variables: String,
}

/// `make_trainable(Normal)` fitted by `minimize(-log_prob(samples).sum(), Adam(0.1))`.
///
/// With `initial` = `Some((loc, scale))` the start is fixed (as the baselines' W1 and TFP's
/// `initial_parameters`); otherwise it is drawn from `seed` as `make_trainable` does.
///
/// ```
/// use probrs::demo::fit_normal;
/// use probrs::tensor::DType;
/// // Page 000's run: 200 Adam(0.1) steps from loc 0, scale 1 end at mean 5.14798, stddev 2.42913.
/// let fit = fit_normal(200, Some((0.0, 1.0)), 0, DType::F32)?;
/// assert!((fit.mean - 5.14798).abs() < 1e-3 && (fit.stddev - 2.42913).abs() < 1e-3);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn fit_normal(num_steps: usize, initial: Option<(f64, f64)>, seed: u64, dtype: DType) -> Result<FitNormal> {
    let samples = Tensor::vector(&SEED_SAMPLES, dtype)?;
    let mut builder = MakeTrainable::new().parameter_dtype(dtype).seed(Seed::new(seed));
    if let Some((loc, scale)) = initial {
        builder = builder.initial_value("loc", loc).initial_value("scale", scale);
    }
    let model: Normal = builder.build()?;
    let result = minimize(
        || model.log_prob(&samples)?.sum_all()?.neg(),
        num_steps,
        &mut Adam::new(0.1),
        MinimizeOptions::default(),
        trace_loss,
    )?;
    Ok(FitNormal {
        mean: model.mean()?.to_scalar()?,
        stddev: model.stddev()?.to_scalar()?,
        losses: result.trace,
        model: model.to_string(),
        variables: format_variables(&model.trainable_variables()),
    })
}

/// The sample mean and (population) standard deviation: the MLE the fit should reach.
///
/// ```
/// use probrs::demo::seed_moments;
/// let (mean, stddev) = seed_moments();
/// assert!((mean - 5.397).abs() < 1e-12 && stddev > 1.9 && stddev < 2.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn seed_moments() -> (f64, f64) {
    let n = SEED_SAMPLES.len() as f64;
    let m = SEED_SAMPLES.iter().sum::<f64>() / n;
    let v = SEED_SAMPLES.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
    (m, v.sqrt())
}

// ----- Seed page 002: the learnable distributions zoo --------------------------------------

#[path = "../../examples/zoo/pad_eye.rs"]
pub mod pad_eye;

use crate::bijectors::{Bijector, Chain, Exp, FillScaleTriL, IntoArcBijector, Pad, Softplus};
use crate::distributions::{Categorical, Independent, MixtureSameFamily, MultivariateNormalTriL};
use crate::params::{Param, TransformedVariable, Variable};
use crate::random;
use std::sync::Arc;

/// The page's `event_size`.
///
/// ```
/// use probrs::demo::{zoo_data, EVENT_SIZE};
/// assert_eq!(zoo_data(10, 0)?.shape(), &[10, EVENT_SIZE]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub const EVENT_SIZE: usize = 4;
/// The page's `num_components`.
///
/// ```
/// use probrs::demo::{learnable_zoo, parameter_value, NUM_COMPONENTS};
/// let zoo = learnable_zoo(0)?;
/// let (_, mixture) = zoo.iter().find(|(n, _)| n.contains("mix_")).expect("the zoo has mixtures");
/// assert_eq!(parameter_value(mixture.as_ref(), "logits")?.shape(), &[NUM_COMPONENTS]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub const NUM_COMPONENTS: usize = 3;

/// The six constructions of TFP's "Learnable Distributions Zoo", in float32, by name.
///
/// ```
/// use probrs::demo::{learnable_zoo, EVENT_SIZE};
/// let zoo = learnable_zoo(0)?;
/// assert_eq!(zoo.len(), 6);
/// for (name, d) in &zoo {
///     assert_eq!(d.event_shape(), vec![EVENT_SIZE], "{name}");
///     assert!(!d.trainable_variables().is_empty(), "{name}");
/// }
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn learnable_zoo(seed: u64) -> Result<Vec<(&'static str, Arc<dyn Distribution>)>> {
    let (e, k, f) = (EVENT_SIZE, NUM_COMPONENTS, DType::F32);
    let seeds = Seed::new(seed).split(2);
    // -log(r) * range(k), as a true product so that -0. stays -0. (the page prints `-0.`).
    let geometric = |r: f64| -> Result<Tensor> { Tensor::arange(0, k, f)?.mul(&Tensor::scalar(-r.ln(), f)?) };
    let ten_eye = Tensor::eye(e, &[k], f)?.mul_scalar(10.0)?;
    let mut zoo: Vec<(&'static str, Arc<dyn Distribution>)> = vec![];

    // Multivariate normal with scaled identity for chol(Cov).
    let d = Independent::new(
        Normal::new(
            Variable::new(&Tensor::zeros(&[e], f)?, "loc")?,
            TransformedVariable::new(&Tensor::ones(&[1], f)?, Exp::new(), "scale")?,
        )?,
        1,
    )?
    .with_name("learnable_mvn_scaled_identity");
    zoo.push(("learnable_mvn_scaled_identity", Arc::new(d)));

    // Multivariate normal with diagonal for chol(Cov).
    let d = Independent::new(
        Normal::new(
            Variable::new(&Tensor::zeros(&[e], f)?, "loc")?,
            TransformedVariable::new(&Tensor::ones(&[e], f)?, Softplus::new(), "scale")?,
        )?,
        1,
    )?
    .with_name("learnable_mvn_diag");
    zoo.push(("learnable_mvn_diag", Arc::new(d)));

    // Mixture of multivariate normals (spherical).
    let d = MixtureSameFamily::new(
        Categorical::from_logits(Variable::new(&geometric(1.0)?, "logits")?)?,
        Independent::new(
            Normal::new(
                Variable::new(&random::normal(&[k, e], f, seeds[0])?, "loc")?,
                TransformedVariable::new(&Tensor::full(10.0, &[k, 1], f)?, Softplus::new(), "scale")?,
            )?,
            1,
        )?,
    )?
    .with_name("learnable_mix_mvn_scaled_identity");
    zoo.push(("learnable_mix_mvn_scaled_identity", Arc::new(d)));

    // Mixture of multivariate normals (spherical) with the first mixture weight unlearnable.
    let d = MixtureSameFamily::new(
        Categorical::from_logits(TransformedVariable::new(&geometric(1.5)?, Pad::new(vec![(1, 0)])?, "Variable")?)?,
        Independent::new(
            Normal::new(
                Variable::new(&random::rademacher(&[k, e], f, seeds[1])?, "loc")?,
                TransformedVariable::new(&Tensor::full(10.0, &[k, 1], f)?, Softplus::new(), "scale")?,
            )?,
            1,
        )?,
    )?
    .with_name("learnable_mix_mvndiag_first_fixed");
    zoo.push(("learnable_mix_mvndiag_first_fixed", Arc::new(d)));

    // Mixture of multivariate normals (full covariance).
    let d = MixtureSameFamily::new(
        Categorical::from_logits(Variable::new(&geometric(1.0)?, "logits")?)?,
        MultivariateNormalTriL::new(
            Variable::new(&Tensor::zeros(&[k, e], f)?, "loc")?,
            TransformedVariable::new(&ten_eye, FillScaleTriL::new(), "scale_tril")?,
        )?,
    )?
    .with_name("learnable_mix_mvntril");
    zoo.push(("learnable_mix_mvntril", Arc::new(d)));

    // Mixture of multivariate normals (full covariance) with the first mixture weight and the
    // first component unlearnable.
    let tril_bijector: Arc<dyn Bijector> = FillScaleTriL::with_options(Softplus::new().into_arc(), Some(1e-5)).into_arc();
    let d = MixtureSameFamily::new(
        Categorical::from_logits(TransformedVariable::new(&geometric(1.0)?, Pad::new(vec![(1, 0)])?, "logits")?)?,
        MultivariateNormalTriL::new(
            TransformedVariable::new(&Tensor::zeros(&[k, e], f)?, Pad::with_axes(vec![(1, 0)], vec![-2])?, "loc")?,
            TransformedVariable::new(
                &ten_eye,
                Chain::new(vec![tril_bijector.clone(), Arc::new(pad_eye::PadEye::new(Some(tril_bijector)))]),
                "scale_tril",
            )?,
        )?,
    )?
    .with_name("learnable_mix_mvntril_fixed_first");
    zoo.push(("learnable_mix_mvntril_fixed_first", Arc::new(d)));
    Ok(zoo)
}

/// The current value of a distribution's parameter (searching sub-distributions too).
///
/// ```
/// use probrs::demo::parameter_value;
/// use probrs::distributions::{Independent, Normal};
/// let d = Independent::new(Normal::new(1.5, 2.0)?, 0)?;
/// // Found in the wrapped distribution.
/// assert_eq!(parameter_value(&d, "scale")?.to_scalar()?, 2.0);
/// assert!(parameter_value(&d, "rate").is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn parameter_value(d: &dyn Distribution, name: &str) -> Result<Tensor> {
    let found: Option<Param> = d.parameters().into_iter().find(|(n, _)| *n == name).map(|(_, p)| p.clone());
    found
        .ok_or_else(|| crate::Error::invalid_parameter(name, format!("{} has no parameter `{name}`", d.class_name())))?
        .value(d.dtype())
}

/// `n` points from a known 3-component, 4-dimensional mixture of full-covariance normals.
///
/// ```
/// use probrs::demo::zoo_data;
/// let x = zoo_data(100, 1)?;
/// assert_eq!(x.shape(), &[100, 4]);
/// assert!(x.all_finite()?);
/// assert_eq!(zoo_data(100, 1)?.to_vec()?, x.to_vec()?); // a fixed seed
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn zoo_data(n: usize, seed: u64) -> Result<Tensor> {
    let f = DType::F32;
    let locs = Tensor::from_slice(&[3.0, 3.0, 0.0, 0.0, -3.0, 0.0, 2.0, 1.0, 0.0, -3.0, -2.0, 2.0], &[3, 4], f)?;
    let l = Tensor::from_slice(
        &[
            1.0, 0.0, 0.0, 0.0, 0.5, 1.0, 0.0, 0.0, 0.0, 0.3, 0.8, 0.0, 0.2, 0.0, 0.1, 1.2, //
            0.7, 0.0, 0.0, 0.0, -0.2, 0.9, 0.0, 0.0, 0.1, 0.0, 1.1, 0.0, 0.0, 0.4, 0.0, 0.6, //
            1.3, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.6, 0.0, 0.9, 0.0, 0.0, 0.0, -0.3, 1.0,
        ],
        &[3, 4, 4],
        f,
    )?;
    let truth = MixtureSameFamily::new(Categorical::from_probs(Tensor::vector(&[0.5, 0.3, 0.2], f)?)?, MultivariateNormalTriL::new(locs, l)?)?;
    truth.sample(&[n], Seed::new(seed))
}

/// Fits `d` by maximum likelihood (mean NLL, Adam) and returns (initial, final) mean NLL.
///
/// ```
/// use probrs::demo::{fit_by_mle, learnable_zoo, zoo_data};
/// let zoo = learnable_zoo(0)?;
/// let data = zoo_data(200, 0)?;
/// let (before, after) = fit_by_mle(zoo[0].1.as_ref(), &data, 50, 0.1)?;
/// assert!(after < before);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn fit_by_mle(d: &dyn Distribution, data: &Tensor, steps: usize, lr: f64) -> Result<(f64, f64)> {
    let nll = || d.log_prob(data)?.mean_all()?.neg();
    let initial = nll()?.to_scalar()?;
    minimize(nll, steps, &mut Adam::new(lr), MinimizeOptions::default(), trace_loss)?;
    Ok((initial, nll()?.to_scalar()?))
}

/// Seed page 003's Normal–Normal model: `z ~ N(0, 1)`, `x ~ N(z, 1)`, the log joint at `x`.
///
/// ```
/// use probrs::demo::normal_normal_log_prob;
/// use probrs::tensor::{DType, Tensor};
/// // log N(z; 0, 1) + log N(5; z, 1) at z = 2.5
/// let lp = normal_normal_log_prob(&Tensor::scalar(2.5, DType::F64)?, 5.0)?.to_scalar()?;
/// assert!((lp - (-2.0 * 0.918_938_533_204_672_7 - 2.0 * 3.125)).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn normal_normal_log_prob(z: &Tensor, x: f64) -> Result<Tensor> {
    Normal::new(z.zeros_like()?, 1.0)?.log_prob(z)?.add(&Normal::new(z, 1.0)?.log_prob(&z.full_like(x)?)?)
}

/// The result of a variational fit of the Normal–Normal posterior.
///
/// ```
/// use probrs::demo::vi_normal_normal;
/// use probrs::tensor::DType;
/// let fit = vi_normal_normal(false, None, 1, 300, 0, DType::F32)?;
/// assert_eq!(fit.losses.len(), 300);
/// assert!(fit.final_stddev > 0.0 && fit.avg_stddev > 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct VariationalFit {
    /// q's mean and stddev after the last step.
    pub final_mean: f64,
    /// q's standard deviation after the last step.
    pub final_stddev: f64,
    /// Averages over the last 200 steps (constant-lr Adam jitters around the optimum).
    pub avg_mean: f64,
    /// q's standard deviation averaged over the last 200 steps.
    pub avg_stddev: f64,
    /// The loss before each update.
    pub losses: Vec<f64>,
}

/// Page 003: `q_z = Normal(Variable(0), TransformedVariable(1, Softplus()))` fitted to
/// `p(z | x = 5)` by `fit_surrogate_posterior` with `Adam(0.1)` — `kl_reverse` or (`forward_kl`)
/// `kl_forward`, with the given gradient estimator (`None`: reparameterization).
///
/// ```
/// use probrs::demo::vi_normal_normal;
/// use probrs::tensor::DType;
/// // The exact posterior is N(2.5, √½); the reverse-KL fit finds it.
/// let fit = vi_normal_normal(false, None, 1, 1000, 0, DType::F32)?;
/// assert!((fit.avg_mean - 2.5).abs() < 0.1 && (fit.avg_stddev - 0.5f64.sqrt()).abs() < 0.1);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn vi_normal_normal(
    forward_kl: bool,
    gradient_estimator: Option<crate::vi::GradientEstimator>,
    sample_size: usize,
    num_steps: usize,
    seed: u64,
    dtype: DType,
) -> Result<VariationalFit> {
    vi_normal_normal_with_progress(forward_kl, gradient_estimator, sample_size, num_steps, seed, dtype, None)
}

/// [`vi_normal_normal`] reporting every step to `progress`.
///
/// ```
/// use probrs::demo::vi_normal_normal_with_progress;
/// use probrs::progress::Progress;
/// use probrs::tensor::DType;
/// use std::sync::{Arc, Mutex};
/// let count = Arc::new(Mutex::new(0));
/// let c = count.clone();
/// vi_normal_normal_with_progress(false, None, 1, 50, 0, DType::F32, Some(Box::new(move |_: &Progress| *c.lock().unwrap() += 1)))?;
/// assert_eq!(*count.lock().unwrap(), 50);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn vi_normal_normal_with_progress(
    forward_kl: bool,
    gradient_estimator: Option<crate::vi::GradientEstimator>,
    sample_size: usize,
    num_steps: usize,
    seed: u64,
    dtype: DType,
    progress: Option<crate::progress::ProgressFn>,
) -> Result<VariationalFit> {
    use crate::bijectors::Softplus;
    use crate::params::{TransformedVariable, Variable};
    use crate::vi::{fit_surrogate_posterior, Discrepancy, FitOptions};
    let loc = Variable::new(&Tensor::scalar(0.0, dtype)?, "q_z_loc")?;
    let scale = TransformedVariable::new(&Tensor::scalar(1.0, dtype)?, Softplus::new(), "q_z_scale")?;
    let q_z = Normal::new(&loc, scale.clone())?;
    let options = FitOptions {
        sample_size,
        seed,
        discrepancy_fn: if forward_kl { Discrepancy::kl_forward() } else { Discrepancy::kl_reverse() },
        gradient_estimator,
        progress,
        ..Default::default()
    };
    // The trace reads q's location and scale (the scale's softplus in plain f64 arithmetic).
    let raw_scale = scale.trainable_variables().remove(0);
    let r = fit_surrogate_posterior(|z| normal_normal_log_prob(z.as_tensor()?, 5.0), &q_z, &mut Adam::new(0.1), num_steps, options, |t| {
        let raw = raw_scale.numpy().to_scalar().unwrap_or(f64::NAN);
        (t.loss_value, loc.numpy().to_scalar().unwrap_or(f64::NAN), raw.max(0.0) + (-raw.abs()).exp().ln_1p())
    })?;
    let tail = &r.trace[r.trace.len().saturating_sub(200)..];
    let n = tail.len().max(1) as f64;
    Ok(VariationalFit {
        final_mean: q_z.mean()?.to_scalar()?,
        final_stddev: q_z.stddev()?.to_scalar()?,
        avg_mean: tail.iter().map(|t| t.1).sum::<f64>() / n,
        avg_stddev: tail.iter().map(|t| t.2).sum::<f64>() / n,
        losses: r.trace.iter().map(|t| t.0).collect(),
    })
}

/// Page 003's index points (`[8, 1]`) and observed counts.
///
/// ```
/// use probrs::demo::{POISSON_COUNTS, POISSON_INDEX_POINTS};
/// assert_eq!(POISSON_INDEX_POINTS.len(), POISSON_COUNTS.len());
/// # Ok::<(), probrs::Error>(())
/// ```
pub const POISSON_INDEX_POINTS: [f64; 8] = [-10., -7.2, -4., -0.1, 0.1, 4., 6.2, 9.];
/// Page 003's observed counts, one per index point.
///
/// ```
/// use probrs::demo::POISSON_COUNTS;
/// assert_eq!(POISSON_COUNTS.iter().sum::<f64>(), 415.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub const POISSON_COUNTS: [f64; 8] = [100., 90., 60., 13., 18., 37., 55., 42.];

/// The result of page 003's inhomogeneous Poisson process fit.
///
/// ```
/// use probrs::demo::vi_poisson_process;
/// let fit = vi_poisson_process(5, 42, true)?;
/// assert_eq!(fit.sample_path.len(), 5);
/// assert_eq!(fit.sample_path[0].shape(), &[5, 8]);
/// assert_eq!(fit.q_loc.len(), 8);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PoissonProcessFit {
    /// Per step: the loss, the kernel's log amplitude, and `q.sample(5, seed 42)`'s latent rates.
    pub losses: Vec<f64>,
    /// The kernel's log amplitude after each step.
    pub log_amplitude_path: Vec<f64>,
    /// `q.sample(5, seed 42)`'s latent rates after each step (`[5, 8]` each).
    pub sample_path: Vec<Tensor>,
    /// The fitted kernel amplitude.
    pub kernel_amplitude: f64,
    /// The fitted kernel length scale.
    pub kernel_length_scale: f64,
    /// The fitted observation noise variance.
    pub observation_noise_variance: f64,
    /// The surrogate's locations and scales of the latent log rates.
    pub q_loc: Vec<f64>,
    /// The surrogate's scales of the latent log rates.
    pub q_scale: Vec<f64>,
    /// `E_q[exp(log rate)] = exp(loc + scale²/2)`.
    pub posterior_mean_rate: Vec<f64>,
}

/// Page 003: a GP prior on latent log rates (ExponentiatedQuadratic with trainable log amplitude
/// and log length scale, trainable observation noise), Poisson counts; the variational model has
/// an Independent Normal over the latent rates and a VectorDeterministic for the observed
/// counts; model and surrogate fitted jointly by `fit_surrogate_posterior` (Adam(0.1)), tracing
/// the loss, the log amplitude and (`trace_samples`) `q.sample(5, seed = 42)` at every step.
///
/// ```
/// use probrs::demo::vi_poisson_process;
/// // The page's first loss is about 1352.9 (TFP-on-JAX); 20 steps already bring it down.
/// let fit = vi_poisson_process(20, 42, false)?;
/// assert!((fit.losses[0] - 1352.0).abs() < 10.0, "{}", fit.losses[0]);
/// assert!(fit.losses[19] < fit.losses[0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn vi_poisson_process(num_steps: usize, seed: u64, trace_samples: bool) -> Result<PoissonProcessFit> {
    vi_poisson_process_with_progress(num_steps, seed, trace_samples, None)
}

/// [`vi_poisson_process`] reporting every step to `progress`.
///
/// ```
/// use probrs::demo::vi_poisson_process_with_progress;
/// use probrs::progress::Progress;
/// use std::sync::{Arc, Mutex};
/// let last = Arc::new(Mutex::new(0));
/// let l = last.clone();
/// vi_poisson_process_with_progress(10, 42, false, Some(Box::new(move |p: &Progress| *l.lock().unwrap() = p.step)))?;
/// assert_eq!(*last.lock().unwrap(), 10);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn vi_poisson_process_with_progress(num_steps: usize, seed: u64, trace_samples: bool, progress: Option<crate::progress::ProgressFn>) -> Result<PoissonProcessFit> {
    use crate::distributions::{GaussianProcess, Independent, Poisson, VectorDeterministic};
    use crate::joint::{JointDistributionCoroutine, Root};
    use crate::params::Variable;
    use crate::psd_kernels::ExponentiatedQuadratic;
    use crate::vi::{fit_surrogate_posterior, FitOptions};
    let f = DType::F32;
    let index_points = Tensor::from_slice(&POISSON_INDEX_POINTS, &[8, 1], f)?;
    let observed_counts = Tensor::vector(&POISSON_COUNTS, f)?;
    // Trainable GP hyperparameters.
    let kernel_log_amplitude = Variable::new(&Tensor::scalar(0.0, f)?, "kernel_log_amplitude")?;
    let kernel_log_lengthscale = Variable::new(&Tensor::scalar(0.0, f)?, "kernel_log_lengthscale")?;
    let observation_noise_log_scale = Variable::new(&Tensor::scalar(0.0, f)?, "observation_noise_log_scale")?;
    // Generative model.
    let (a, l, o, x) = (kernel_log_amplitude.clone(), kernel_log_lengthscale.clone(), observation_noise_log_scale.clone(), index_points.clone());
    let model = JointDistributionCoroutine::new(move |m| {
        let kernel = ExponentiatedQuadratic::new(Some(a.value().exp()?.into()), Some(l.value().exp()?.into()));
        let gp = GaussianProcess::new(kernel, &x)?.with_observation_noise_variance(o.value().exp()?).with_name("latent_log_rates");
        let latent_log_rates = m.sample("latent_log_rates", Root(gp))?;
        m.sample("y", Independent::new(Poisson::from_log_rate(&latent_log_rates)?, 1)?)?;
        Ok(())
    });
    // Variational model: the observations enter as a point mass.
    let logit_locs = Variable::new(&Tensor::zeros(&[8], f)?, "logit_locs")?;
    let logit_softplus_scales = Variable::new(&Tensor::full(-4.0, &[8], f)?, "logit_softplus_scales")?;
    let (ll, ls, y_obs) = (logit_locs.clone(), logit_softplus_scales.clone(), observed_counts.clone());
    let q = JointDistributionCoroutine::new(move |m| {
        m.sample("latent_rates", Root(Independent::new(Normal::new(&ll, ls.value().softplus()?)?, 1)?))?;
        m.sample("y", VectorDeterministic::new(&y_obs)?)?;
        Ok(())
    });
    let mut log_amplitude_path = Vec::with_capacity(num_steps);
    let mut sample_path = Vec::with_capacity(num_steps);
    let r = fit_surrogate_posterior(
        // TFP's `lambda *args: model.log_prob(args)`: the surrogate's parts, by position.
        |args| model.log_prob(&args.to_list()),
        &q,
        &mut Adam::new(0.1),
        num_steps,
        FitOptions { seed, progress, ..Default::default() },
        |t| {
            log_amplitude_path.push(kernel_log_amplitude.numpy().to_scalar().unwrap_or(f64::NAN));
            if trace_samples {
                if let Ok(s) = q.sample(&[5], Seed::new(42)).and_then(|s| s.part(0).cloned()) {
                    sample_path.push(s);
                }
            }
            t.loss_value
        },
    )?;
    let q_loc = logit_locs.numpy().to_vec()?;
    let q_scale = logit_softplus_scales.numpy().softplus()?.to_vec()?;
    Ok(PoissonProcessFit {
        losses: r.trace,
        log_amplitude_path,
        sample_path,
        kernel_amplitude: kernel_log_amplitude.numpy().exp()?.to_scalar()?,
        kernel_length_scale: kernel_log_lengthscale.numpy().exp()?.to_scalar()?,
        observation_noise_variance: observation_noise_log_scale.numpy().exp()?.to_scalar()?,
        posterior_mean_rate: q_loc.iter().zip(&q_scale).map(|(m, s)| (m + 0.5 * s * s).exp()).collect(),
        q_loc,
        q_scale,
    })
}

/// What [`mcmc_eight_schools`] reports.
///
/// ```
/// use probrs::demo::mcmc_eight_schools;
/// let d = mcmc_eight_schools(200, 1)?;
/// assert_eq!(d.summary.draws_per_chain, vec![200; 4]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct McmcDemo {
    /// The summary table of the draws (CmdStan's columns).
    pub summary: crate::mcmc::CmdStanSummary,
    /// posteriordb's criterion per reference quantity.
    pub checks: Vec<crate::models::ReferenceCheck>,
    /// Divergent transitions over all chains.
    pub divergences: usize,
    /// Gradient evaluations over all chains (warm-up included).
    pub gradients: usize,
    /// Wall time of the run.
    pub seconds: f64,
}

/// NUTS with Stan's defaults (4 chains, `num_draws` draws after as many warm-up iterations,
/// Stan's random inits) on the eight schools (non-centred), checked against posteriordb's
/// reference posterior: the MCMC example of `probrs demo`.
///
/// ```
/// use probrs::demo::mcmc_eight_schools;
/// let d = mcmc_eight_schools(500, 1)?;
/// let tau = d.summary.rows.iter().find(|r| r.name == "tau").unwrap();
/// assert!(tau.mean > 2.5 && tau.mean < 4.5 && tau.r_hat < 1.02);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn mcmc_eight_schools(num_draws: usize, seed: u64) -> Result<McmcDemo> {
    let model = crate::models::reference_model("eight_schools")?;
    let options = crate::mcmc::NutsOptions { num_draws, num_warmup: num_draws, seed: Seed::new(seed), init_radius: Some(2.0), ..Default::default() };
    let t0 = std::time::Instant::now();
    let run = model.sample(&options)?;
    let seconds = t0.elapsed().as_secs_f64();
    run.check()?;
    Ok(McmcDemo {
        summary: run.summary()?,
        checks: model.check(&run)?,
        divergences: run.chains.iter().map(|c| c.num_divergent()).sum(),
        gradients: run.chains.iter().map(|c| c.num_gradient_evaluations()).sum(),
        seconds,
    })
}

/// InstEval's columns as the seed page's program uses them: each rating's service indicator,
/// student, instructor and department (0-based codes), and the ratings.
///
/// ```
/// use probrs::demo::InstEvalData;
/// let d = InstEvalData::new(&probrs::mixed_effects::inst_eval()?)?;
/// assert_eq!((d.ratings.len(), d.num_students, d.num_instructors, d.num_depts), (73421, 2972, 1128, 14));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct InstEvalData {
    /// `service` (1 when the lecture is outside the instructor's main department).
    pub service: Vec<f64>,
    /// Each rating's student.
    pub students: Vec<u32>,
    /// Each rating's instructor.
    pub instructors: Vec<u32>,
    /// Each rating's department.
    pub depts: Vec<u32>,
    /// The ratings, 1 to 5.
    pub ratings: Vec<f64>,
    /// Number of students.
    pub num_students: usize,
    /// Number of instructors.
    pub num_instructors: usize,
    /// Number of departments.
    pub num_depts: usize,
}

impl InstEvalData {
    /// The columns `s`, `d`, `dept`, `service` and `y` of a data frame (lme4's InstEval layout).
    ///
    /// ```
    /// use probrs::demo::InstEvalData;
    /// use probrs::mixed_effects::DataFrame;
    /// let df = DataFrame::from_csv_str("s,d,dept,service,y\n1,7,2,0,4\n2,7,2,1,5\n1,9,3,0,2\n", "t.csv")?;
    /// let d = InstEvalData::new(&df)?;
    /// assert_eq!((d.students.clone(), d.instructors.clone(), d.num_depts), (vec![0, 1, 0], vec![0, 0, 1], 2));
    /// assert!(InstEvalData::new(&DataFrame::from_csv_str("s,y\n1,2\n", "t.csv")?).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(df: &crate::mixed_effects::DataFrame) -> Result<Self> {
        let codes = |name: &str| -> Result<(Vec<u32>, usize)> {
            let (levels, codes) = df.factor(name)?;
            Ok((codes.iter().map(|c| *c as u32).collect(), levels.len()))
        };
        let (students, num_students) = codes("s")?;
        let (instructors, num_instructors) = codes("d")?;
        let (depts, num_depts) = codes("dept")?;
        Ok(InstEvalData { service: df.numeric("service")?, ratings: df.numeric("y")?, students, instructors, depts, num_students, num_instructors, num_depts })
    }
}

/// The seed page's linear mixed-effects program on InstEval, made fully Bayesian: intercept
/// and service effect, student, instructor and department effects as `MultivariateNormalDiag`
/// random effects around zero with their scales, ratings `Normal` around
/// `service_effects·service + gather(student_effects, students) + gather(instructor_effects,
/// instructors) + gather(dept_effects, depts) + intercept`. Where the page holds the intercept,
/// the service effect and the scales as variables (fitted by Monte Carlo EM in TFP's tutorial),
/// this program gives them priors: `intercept ~ Normal(0, 5)`, `service_effects ~ Normal(0, 1)`,
/// every scale `HalfNormal(1)` (ratings run from 1 to 5). Values may carry leading sample
/// dimensions (the program gathers on the last axis).
///
/// ```
/// use probrs::demo::{inst_eval_program, InstEvalData};
/// use probrs::ppl::{seed, trace};
/// use probrs::random::Seed;
/// use std::sync::Arc;
/// let d = Arc::new(InstEvalData::new(&probrs::mixed_effects::inst_eval()?)?);
/// let (ratings, tr) = trace(seed(inst_eval_program(d.clone(), false)?, Seed::new(0))).get_trace()?;
/// assert_eq!(ratings.shape(), &[73421]);
/// assert_eq!(tr.names(), ["intercept", "service_effects", "student_scale", "instructor_scale", "dept_scale", "noise_scale", "student_effects", "instructor_effects", "dept_effects", "ratings"]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn inst_eval_program(d: std::sync::Arc<InstEvalData>, observed: bool) -> Result<impl crate::ppl::Program<Tensor> + Clone + 'static> {
    use crate::distributions::{HalfNormal, Independent, MultivariateNormalDiag};
    let f = DType::F64;
    let service = Tensor::vector(&d.service, f)?;
    let ratings = Tensor::vector(&d.ratings, f)?;
    Ok(crate::ppl::program(move |fx: &mut crate::ppl::Effects| {
        let s = |v: f64| Tensor::scalar(v, f);
        let intercept = fx.sample("intercept", Normal::new(s(0.0)?, 5.0)?)?;
        let service_effects = fx.sample("service_effects", Normal::new(s(0.0)?, 1.0)?)?;
        let student_scale = fx.sample("student_scale", HalfNormal::new(s(1.0)?)?)?;
        let instructor_scale = fx.sample("instructor_scale", HalfNormal::new(s(1.0)?)?)?;
        let dept_scale = fx.sample("dept_scale", HalfNormal::new(s(1.0)?)?)?;
        let noise_scale = fx.sample("noise_scale", HalfNormal::new(s(1.0)?)?)?;
        let random_effects = |scale: &Tensor, n: usize| -> Result<MultivariateNormalDiag> {
            MultivariateNormalDiag::new(Tensor::zeros(&[n], f)?, scale.unsqueeze(scale.rank())?.mul(&Tensor::ones(&[n], f)?)?)
        };
        let student_effects = fx.sample("student_effects", random_effects(&student_scale, d.num_students)?)?;
        let instructor_effects = fx.sample("instructor_effects", random_effects(&instructor_scale, d.num_instructors)?)?;
        let dept_effects = fx.sample("dept_effects", random_effects(&dept_scale, d.num_depts)?)?;
        let gather = |effects: &Tensor, index: &[u32]| effects.index_select(effects.rank() - 1, index);
        let r = intercept.rank();
        let loc = service_effects
            .unsqueeze(r)?
            .mul(&service)?
            .add(&gather(&student_effects, &d.students)?)?
            .add(&gather(&instructor_effects, &d.instructors)?)?
            .add(&gather(&dept_effects, &d.depts)?)?
            .add(&intercept.unsqueeze(r)?)?;
        let likelihood = Independent::new(Normal::new(loc, noise_scale.unsqueeze(r)?)?, 1)?;
        if observed {
            fx.observe("ratings", likelihood, &ratings)
        } else {
            fx.sample("ratings", likelihood)
        }
    }))
}

/// Settings of [`lme_bayes`].
///
/// ```
/// let o = probrs::demo::LmeBayesOptions::default();
/// assert_eq!((o.num_chains, o.num_warmup, o.num_draws), (2, 500, 500));
/// ```
#[derive(Clone, Debug)]
pub struct LmeBayesOptions {
    /// NUTS chains (run in parallel).
    pub num_chains: usize,
    /// Warm-up iterations per chain.
    pub num_warmup: usize,
    /// Kept draws per chain.
    pub num_draws: usize,
    /// Adam steps of the variational fit (0 skips it).
    pub vi_steps: usize,
    /// Posterior predictive replications of the 73,421 ratings (spread over the draws).
    pub predictive_draws: usize,
    /// Seed of the chains, the variational fit and the predictive draws.
    pub seed: u64,
}

impl Default for LmeBayesOptions {
    fn default() -> Self {
        LmeBayesOptions { num_chains: 2, num_warmup: 500, num_draws: 500, vi_steps: 1000, predictive_draws: 100, seed: 1 }
    }
}

/// One scalar of [`lme_bayes`]: the program's site, its NUTS posterior, its variational
/// posterior and lmer's ML estimate.
///
/// ```
/// let r = probrs::demo::LmeRow { site: "noise_scale".into(), nuts: None, vi_mean: f64::NAN, vi_sd: f64::NAN, ml: 1.17 };
/// assert_eq!(r.site, "noise_scale");
/// ```
#[derive(Clone, Debug)]
pub struct LmeRow {
    /// The program's site (`intercept`, `student_scale`, ...).
    pub site: String,
    /// Its row of the NUTS summary.
    pub nuts: Option<crate::mcmc::SummaryRow>,
    /// Mean of the variational posterior (NaN when VI was skipped).
    pub vi_mean: f64,
    /// Standard deviation of the variational posterior.
    pub vi_sd: f64,
    /// `lmer`'s ML estimate of the same quantity.
    pub ml: f64,
}

/// What [`lme_bayes`] reports.
///
/// ```
/// use probrs::demo::{lme_bayes, LmeBayesOptions};
/// let o = LmeBayesOptions { num_chains: 1, num_warmup: 30, num_draws: 10, vi_steps: 0, predictive_draws: 2, seed: 1 };
/// let r = lme_bayes(&o)?;
/// assert_eq!(r.rows.len(), 6);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LmeBayes {
    /// The fixed effects and scales, side by side.
    pub rows: Vec<LmeRow>,
    /// `lmer`'s ML fit of `y ~ service + (1|s) + (1|d) + (1|dept)`, the rows' `ml` column.
    pub ml: crate::mixed_effects::LmerFit,
    /// Its wall time.
    pub ml_seconds: f64,
    /// NUTS wall time (warm-up and sampling, chains in parallel).
    pub nuts_seconds: f64,
    /// Gradient evaluations over all chains.
    pub gradients: usize,
    /// Divergent transitions over all chains.
    pub divergences: usize,
    /// The smallest bulk ESS over every coordinate (4,120 with the effects).
    pub min_ess_bulk: f64,
    /// The largest R-hat over every coordinate.
    pub max_r_hat: f64,
    /// Variational fit wall time.
    pub vi_seconds: f64,
    /// The observed ratings' mean and standard deviation.
    pub observed: (f64, f64),
    /// Each posterior predictive replication's mean and standard deviation.
    pub replicated: Vec<(f64, f64)>,
    /// The share of replicated ratings that round to a value outside 1..5 (the Normal
    /// likelihood's misfit to ratings on a five-point scale).
    pub replicated_outside_1_5: f64,
}

/// The seed page's InstEval model, fully Bayesian ([`inst_eval_program`]), fitted three ways
/// beside each other: NUTS on [`crate::mixed_effects::BayesianLmm`] (the same density as the
/// program pinned to the ratings, with a fused gradient), `fit_surrogate_posterior` on the
/// program itself (a factored Normal surrogate in unconstrained space), and `lmer`'s ML fit;
/// then NumPyro-style posterior predictive replications of the ratings from the NUTS draws
/// ([`crate::ppl::Predictive`] on the program).
///
/// ```
/// use probrs::demo::{lme_bayes, LmeBayesOptions};
/// let o = LmeBayesOptions { num_chains: 1, num_warmup: 30, num_draws: 10, vi_steps: 0, predictive_draws: 2, seed: 1 };
/// let r = lme_bayes(&o)?;
/// assert_eq!(r.replicated.len(), 2);
/// assert!((r.observed.0 - 3.2057).abs() < 1e-3);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn lme_bayes(o: &LmeBayesOptions) -> Result<LmeBayes> {
    use crate::mcmc::{LogDensity, NutsOptions};
    use crate::mixed_effects::{inst_eval, lmer, BayesianLmm, LmerOptions, LmmPriors};
    use crate::ppl::{pinned_joint, Predictive};
    use std::sync::Arc;
    let df = inst_eval()?;
    let data = Arc::new(InstEvalData::new(&df)?);
    let formula = "y ~ service + (1|s) + (1|d) + (1|dept)";
    let t_ml = std::time::Instant::now();
    let ml = lmer(formula, &df, &LmerOptions { reml: false, ..Default::default() })?;
    let ml_seconds = t_ml.elapsed().as_secs_f64();
    let mean_sd = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (m, (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt())
    };
    // The program's priors (intercept N(0, 5), service N(0, 1), scales HalfNormal(1)).
    let priors = LmmPriors { intercept: Some((0.0, 5.0)), coefficient_scale: Some(1.0), sd_scale: Some(1.0), sigma_scale: Some(1.0) };
    let density = BayesianLmm::new(formula, &df, &priors)?;
    let t0 = std::time::Instant::now();
    let run = density.sample(&NutsOptions { num_chains: o.num_chains, num_warmup: o.num_warmup, num_draws: o.num_draws, seed: Seed::new(o.seed), ..Default::default() })?;
    let nuts_seconds = t0.elapsed().as_secs_f64();
    run.check()?;
    let summary = run.summary()?;
    // The density's coordinates by the program's site names.
    let sites = [
        ("intercept", "(Intercept)"),
        ("service_effects", "service"),
        ("student_scale", "sd_s"),
        ("instructor_scale", "sd_d"),
        ("dept_scale", "sd_dept"),
        ("noise_scale", "sigma"),
    ];
    let sd_of = |g: &str| ml.components.iter().find(|c| c.group == g).map_or(f64::NAN, |c| c.sd[0]);
    let ml_values = [ml.beta[0], ml.beta[1], sd_of("s"), sd_of("d"), sd_of("dept"), ml.sigma];
    let program = inst_eval_program(data.clone(), true)?;
    // Variational inference on the program itself.
    let t1 = std::time::Instant::now();
    let mut vi = vec![(f64::NAN, f64::NAN); sites.len()];
    if o.vi_steps > 0 {
        use crate::vi::{build_factored_surrogate_posterior, fit_surrogate_posterior, FitOptions, SurrogatePart, SurrogatePosterior};
        let posterior = pinned_joint(program.clone())?;
        let parts = SurrogatePart::from_pinned(&posterior)?;
        let q = build_factored_surrogate_posterior(&parts, DType::F64, o.seed, 1e-2)?;
        // Start at the unconstrained origin (Stan's `init=0`) rather than TFP's uniform (−2, 2)
        // draws, with the intercept at the ratings' mean.
        for v in q.surrogate_variables() {
            if let Some(site) = v.name().strip_suffix("_loc") {
                let start = if site == "intercept" { data.ratings.iter().sum::<f64>() / data.ratings.len() as f64 } else { 0.0 };
                v.assign(&Tensor::full(start, v.shape(), DType::F64)?)?;
            }
        }
        fit_surrogate_posterior(|v| posterior.unnormalized_log_prob(v), &q, &mut Adam::new(0.05), o.vi_steps, crate::vi::FitOptions { sample_size: 1, seed: o.seed, ..FitOptions::default() }, |t| t.loss_value)?;
        let draws = q.sample_structure(&[1000], Seed::new(o.seed).fold_in(1))?;
        for (k, (site, _)) in sites.iter().enumerate() {
            let v = draws.get(site)?.to_vec()?;
            vi[k] = mean_sd(&v);
        }
    }
    let vi_seconds = t1.elapsed().as_secs_f64();
    let rows = sites
        .iter()
        .zip(ml_values)
        .zip(&vi)
        .map(|(((site, coord), ml), (vi_mean, vi_sd))| LmeRow { site: site.to_string(), nuts: summary.rows.iter().find(|r| r.name == *coord).cloned(), vi_mean: *vi_mean, vi_sd: *vi_sd, ml })
        .collect();
    // Posterior predictive: replications of the ratings at draws spread over the chains.
    let names = density.param_names();
    let all: Vec<&Vec<f64>> = run.chains.iter().flat_map(|c| c.draws.iter()).collect();
    let picks: Vec<&Vec<f64>> = (0..o.predictive_draws.min(all.len())).map(|i| all[i * all.len() / o.predictive_draws.min(all.len())]).collect();
    let block = |prefix: &str| -> Result<Tensor> {
        let cols: Vec<usize> = names.iter().enumerate().filter(|(_, n)| n.starts_with(prefix)).map(|(j, _)| j).collect();
        let flat: Vec<f64> = picks.iter().flat_map(|d| cols.iter().map(|j| d[*j])).collect();
        Tensor::from_slice(&flat, &[picks.len(), cols.len()], DType::F64)
    };
    let mut samples = vec![];
    for (site, coord) in sites {
        samples.push((site.to_string(), block(coord)?.squeeze(1)?));
    }
    for (site, prefix) in [("student_effects", "r_s."), ("instructor_effects", "r_d."), ("dept_effects", "r_dept.")] {
        samples.push((site.to_string(), block(prefix)?));
    }
    let (mut replicated, mut outside, mut total) = (vec![], 0usize, 0usize);
    if !picks.is_empty() {
        let out = Predictive::new(program, samples)?.call(Seed::new(o.seed).fold_in(2))?;
        let ratings = out.iter().find(|(n, _)| n == "ratings").map(|(_, t)| t.clone()).ok_or_else(|| crate::error::Error::invalid_parameter("ratings", "no replicated ratings"))?;
        for i in 0..picks.len() {
            let v = ratings.narrow(0, i, 1)?.to_vec()?;
            outside += v.iter().filter(|x| **x < 0.5 || **x > 5.5).count();
            total += v.len();
            replicated.push(mean_sd(&v));
        }
    }
    Ok(LmeBayes {
        rows,
        ml,
        ml_seconds,
        nuts_seconds,
        gradients: run.chains.iter().map(|c| c.num_gradient_evaluations()).sum(),
        divergences: run.chains.iter().map(|c| c.num_divergent()).sum(),
        min_ess_bulk: summary.rows.iter().filter(|r| !r.name.ends_with("__")).map(|r| r.ess_bulk).fold(f64::INFINITY, f64::min),
        max_r_hat: summary.rows.iter().filter(|r| !r.name.ends_with("__")).map(|r| r.r_hat).fold(0.0, f64::max),
        vi_seconds,
        observed: mean_sd(&data.ratings),
        replicated,
        replicated_outside_1_5: outside as f64 / total.max(1) as f64,
    })
}
