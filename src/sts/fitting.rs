//! Fitting a structural model's parameters (TFP's `tfp.sts` inference): the joint log-density
//! of parameters and observed series, TFP's factored (mean-field) surrogate posterior, and
//! [`fit_with_vi`], which runs `vi::fit_surrogate_posterior` on them with the settings of TFP's
//! STS tutorial (Adam, learning rate 0.1, one draw per step).
//!
//! ```text
//! log p(θ, y) = Σ_i log p_i(θ_i) + log p(y | θ)      (priors + Kalman filter)
//! q(θ) = Π_i bijector_i(N(loc_i, softplus(scale_i)))   (locs uniform in (−2, 2), scales 1e-2)
//! ```

use super::structural_time_series::draw_value;
use super::{ObservedTimeSeries, StructuralTimeSeries};
use crate::distributions::Distribution;
use crate::error::{Error, Result};
use crate::joint::{JointDistributionNamed, Structure, SurrogatePart, SurrogatePosterior};
use crate::optim::{trace_loss, Adam};
use crate::random::Seed;
use crate::tensor::Tensor;
use crate::vi::FitOptions;

/// `log p(θ, y)` per draw of the parameters: `param_vals` holds one tensor per parameter (in
/// `model.parameters()` order), each `[S, ...event]` for `S` draws (`[S]` for a scalar; or a
/// single value without the draw axis); the result is
/// `[S]` (TFP's `model.joint_distribution(y).log_prob(θ)`). Differentiable in the values.
///
/// ```
/// use probrs::sts::{joint_log_prob, LocalLevel, ObservedTimeSeries, Sum};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let y = Tensor::vector(&[1.0, 1.4, f64::NAN, 2.0, 2.2], DType::F64)?;
/// let model = Sum::new(vec![Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
/// let draws = [Tensor::vector(&[0.1, 0.2], DType::F64)?, Tensor::vector(&[0.3, 0.3], DType::F64)?];
/// let lp = joint_log_prob(&model, &ObservedTimeSeries::new(&y)?, &draws)?;
/// assert_eq!(lp.shape(), &[2]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn joint_log_prob(model: &dyn StructuralTimeSeries, observed: &ObservedTimeSeries, param_vals: &[Tensor]) -> Result<Tensor> {
    let params = model.parameters();
    if param_vals.len() != params.len() {
        return Err(Error::ShapeMismatch { context: format!("{}: parameter values", model.name()), lhs: vec![param_vals.len()], rhs: vec![params.len()] });
    }
    let draws = match (param_vals.first(), params.first()) {
        (Some(v), Some(p)) => v.elem_count() / p.prior.event_shape().iter().product::<usize>().max(1),
        _ => 1,
    };
    // Each parameter as [S, ...event].
    let flat: Vec<Tensor> = param_vals
        .iter()
        .zip(&params)
        .map(|(v, p)| {
            let event = p.prior.event_shape();
            let mut shape = vec![draws];
            shape.extend_from_slice(&event);
            if v.elem_count() == shape.iter().product::<usize>() {
                v.reshape(&shape)
            } else {
                Err(Error::invalid_shape(format!("parameter `{}`", p.name), v.shape(), format!("expected {draws} draws of shape {event:?}, as the first parameter")))
            }
        })
        .collect::<Result<_>>()?;
    let mut total = None::<Tensor>;
    for (v, p) in flat.iter().zip(&params) {
        let lp = p.prior.log_prob(v)?;
        total = Some(match total {
            Some(t) => t.add(&lp)?,
            None => lp,
        });
    }
    let t_len = observed.num_timesteps();
    let mut likelihoods = Vec::with_capacity(draws);
    for s in 0..draws {
        let vals: Vec<Tensor> = flat.iter().zip(&params).map(|(v, p)| draw_value(v, s, &p.prior.event_shape())).collect::<Result<_>>()?;
        let ssm = model.make_state_space_model(t_len, &vals)?.with_mask(observed.mask().to_vec())?;
        likelihoods.push(ssm.log_prob(observed.values())?.reshape(&[1])?);
    }
    let likelihood = Tensor::concat(&likelihoods.iter().collect::<Vec<_>>(), 0)?;
    match total {
        Some(t) => t.add(&likelihood),
        None => Ok(likelihood),
    }
}

/// The parameters' values in a draw of the surrogate (or any structure naming them), in
/// `model.parameters()` order.
///
/// ```
/// use probrs::random::Seed;
/// use probrs::sts::{build_factored_surrogate_posterior, parameter_values, LocalLevel, StructuralTimeSeries};
/// use probrs::tensor::DType;
/// use probrs::vi::SurrogatePosterior;
/// let model = LocalLevel::new(None, DType::F64)?;
/// let q = build_factored_surrogate_posterior(&model, 0)?;
/// let vals = parameter_values(&model, &q.sample_structure(&[3], Seed::new(1))?)?;
/// assert_eq!((vals.len(), vals[0].shape()), (1, &[3][..]));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn parameter_values(model: &dyn StructuralTimeSeries, draws: &Structure) -> Result<Vec<Tensor>> {
    model.parameters().iter().map(|p| draws.get(&p.name).cloned()).collect()
}

/// TFP's `tfp.sts.build_factored_surrogate_posterior`: an independent normal per parameter in
/// unconstrained space, pushed through the parameter's bijector; trainable locations start
/// uniform in (−2, 2) (from `seed`) and scales at 0.01.
///
/// ```
/// use probrs::sts::{build_factored_surrogate_posterior, LocalLinearTrend};
/// use probrs::tensor::DType;
/// use probrs::vi::SurrogatePosterior;
/// let q = build_factored_surrogate_posterior(&LocalLinearTrend::new(None, DType::F64)?, 0)?;
/// assert_eq!(q.surrogate_variables().len(), 4); // a location and a scale per parameter
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn build_factored_surrogate_posterior(model: &dyn StructuralTimeSeries, seed: u64) -> Result<JointDistributionNamed> {
    let params = model.parameters();
    if params.is_empty() {
        return Err(Error::invalid_parameter("model", format!("`{}` has no parameters to fit", model.name())));
    }
    let dtype = params[0].prior.dtype();
    let parts: Vec<SurrogatePart> = params.iter().map(|p| SurrogatePart { name: p.name.clone(), event_shape: p.prior.event_shape(), bijector: p.bijector.clone() }).collect();
    crate::vi::build_factored_surrogate_posterior(&parts, dtype, seed, 1e-2)
}

/// A fitted surrogate posterior and the loss (negative ELBO) at every step.
///
/// ```
/// let _: fn(probrs::sts::VariationalFit) -> Vec<f64> = |f| f.losses;
/// ```
pub struct VariationalFit {
    /// The fitted factored surrogate.
    pub surrogate_posterior: JointDistributionNamed,
    /// The negative ELBO estimate per step.
    pub losses: Vec<f64>,
}

impl VariationalFit {
    /// `num_draws` draws of the parameters from the fitted surrogate, in
    /// `model.parameters()` order, each `[num_draws]`.
    ///
    /// ```
    /// use probrs::sts::{fit_with_vi, LocalLevel, ObservedTimeSeries, Sum};
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// let y = Tensor::vector(&(0..30).map(|t| (t as f64 * 0.3).sin()).collect::<Vec<_>>(), DType::F64)?;
    /// let model = Sum::new(vec![Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
    /// let fit = fit_with_vi(&model, &ObservedTimeSeries::new(&y)?, 50, 0)?;
    /// let draws = fit.parameter_samples(&model, 20, 1)?;
    /// assert_eq!((draws.len(), draws[1].shape()), (2, &[20][..]));
    /// assert!(fit.losses[49] < fit.losses[0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn parameter_samples(&self, model: &dyn StructuralTimeSeries, num_draws: usize, seed: u64) -> Result<Vec<Tensor>> {
        parameter_values(model, &self.surrogate_posterior.sample_structure(&[num_draws], Seed::new(seed))?)
    }
}

/// Fits the factored surrogate to `p(θ | y)` by `num_steps` Adam steps (learning rate 0.1, one
/// draw per step, TFP's tutorial settings); `seed` draws the initial locations and the steps'
/// Monte Carlo draws. A non-finite loss stops the fit with an error naming the step; the
/// surrogate keeps its last good values (`minimize`'s rule).
///
/// ```
/// use probrs::sts::{fit_with_vi, LocalLinearTrend, ObservedTimeSeries, Sum};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let y = Tensor::vector(&(0..40).map(|t| 0.1 * t as f64 + (t as f64 * 0.9).sin()).collect::<Vec<_>>(), DType::F64)?;
/// let model = Sum::new(vec![Arc::new(LocalLinearTrend::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
/// let fit = fit_with_vi(&model, &ObservedTimeSeries::new(&y)?, 100, 0)?;
/// assert_eq!(fit.losses.len(), 100);
/// assert!(fit.losses[99] < fit.losses[0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn fit_with_vi(model: &dyn StructuralTimeSeries, observed: &ObservedTimeSeries, num_steps: usize, seed: u64) -> Result<VariationalFit> {
    let q = build_factored_surrogate_posterior(model, seed)?;
    let names: Vec<String> = model.parameters().into_iter().map(|p| p.name).collect();
    let target = |z: &Structure| -> Result<Tensor> {
        let vals: Vec<Tensor> = names.iter().map(|n| z.get(n).cloned()).collect::<Result<_>>()?;
        joint_log_prob(model, observed, &vals)
    };
    let options = FitOptions { seed: seed.wrapping_add(1), ..FitOptions::default() };
    let run = crate::vi::fit_surrogate_posterior(target, &q, &mut Adam::new(0.1), num_steps, options, trace_loss)?;
    Ok(VariationalFit { surrogate_posterior: q, losses: run.trace })
}

/// What [`fit_with_hmc`] returns: the sampler's run (chains, diagnostics, CmdStan CSV) and the
/// draws of every parameter, chains concatenated, in `model.parameters()` order, each
/// `[S, ...event]` (what `forecast` and the queries take).
///
/// ```
/// let _: fn(&probrs::sts::HmcFit) -> usize = |f| f.run.chains.len();
/// ```
pub struct HmcFit {
    /// The NUTS run (constrained draws, `lp__` with the Jacobian, step sizes, divergences).
    pub run: crate::mcmc::NutsRun,
    /// The draws per parameter.
    pub parameter_samples: Vec<Tensor>,
}

/// TFP's `fit_with_hmc`, with Stan's NUTS: the posterior `p(θ | y)` sampled in unconstrained
/// space through each parameter's bijector (`mcmc::sample_nuts_transformed`), every chain
/// started at the mean of a short variational fit (150 steps, as TFP's initialization).
/// `options` sets chains, warm-up, draws, adaptation and the seed (`NutsOptions::default()`
/// is Stan's 4 chains of 1,000 draws after 1,000 warm-up iterations).
///
/// ```
/// use probrs::mcmc::NutsOptions;
/// use probrs::sts::{fit_with_hmc, LocalLevel, ObservedTimeSeries, Sum};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let y = Tensor::vector(&(0..30).map(|t| (t as f64 * 0.4).sin() + 0.05 * t as f64).collect::<Vec<_>>(), DType::F64)?;
/// let model = Sum::new(vec![Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
/// let options = NutsOptions { num_chains: 2, num_warmup: 200, num_draws: 100, ..Default::default() };
/// let fit = fit_with_hmc(&model, &ObservedTimeSeries::new(&y)?, &options)?;
/// assert_eq!(fit.parameter_samples[0].shape(), &[200]); // 2 chains × 100 draws
/// assert!(fit.parameter_samples[1].to_vec()?.iter().all(|s| *s > 0.0)); // scales stay positive
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn fit_with_hmc<M: StructuralTimeSeries + Clone + 'static>(model: &M, observed: &ObservedTimeSeries, options: &crate::mcmc::NutsOptions) -> Result<HmcFit> {
    let params = model.parameters();
    let init_seed = options.seed.fold_in(0x5757).0[0];
    let vi = fit_with_vi(model, observed, 150, init_seed)?;
    let draws = vi.parameter_samples(model, 200, init_seed.wrapping_add(1))?;
    let init = Structure::Named(params.iter().zip(&draws).map(|(p, d)| Ok((p.name.clone(), d.mean_axes(&[0], false)?))).collect::<Result<_>>()?);
    let (m, o) = (model.clone(), observed.clone());
    let names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
    let target = move |z: &Structure| -> Result<Tensor> {
        let vals: Vec<Tensor> = names.iter().map(|n| z.get(n).cloned()).collect::<Result<_>>()?;
        joint_log_prob(&m, &o, &vals)?.reshape(&[])
    };
    let run = crate::mcmc::sample_nuts_transformed(target, &init, params.iter().map(|p| p.bijector.clone()).collect(), options)?;
    let sizes: Vec<usize> = params.iter().map(|p| p.prior.event_shape().iter().product::<usize>().max(1)).collect();
    let total: usize = run.chains.iter().map(|c| c.draws.len()).sum();
    let dtype = params.first().map(|p| p.prior.dtype()).unwrap_or(crate::tensor::DType::F64);
    let mut parameter_samples = Vec::with_capacity(params.len());
    let mut at = 0;
    for (p, size) in params.iter().zip(&sizes) {
        let v: Vec<f64> = run.chains.iter().flat_map(|c| c.draws.iter().flat_map(move |d| d[at..at + size].to_vec())).collect();
        let mut shape = vec![total];
        shape.extend(p.prior.event_shape());
        parameter_samples.push(Tensor::from_slice(&v, &shape, dtype)?);
        at += size;
    }
    Ok(HmcFit { run, parameter_samples })
}
