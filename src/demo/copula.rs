//! The seed page's "Gaussian Copulas with TFP Bijectors": a Gaussian copula is a
//! `MultivariateNormalTriL` with unit variances pushed through `NormalCDF` onto the unit square;
//! warping each coordinate by an inverse CDF (`Blockwise([Invert(KumaraswamyCDF),
//! Invert(GumbelCDF)])`) gives a joint with those marginals and the normal's dependence. Here
//! the warped copula is sampled at known parameters, then its correlation and both marginals'
//! parameters are fitted back by maximum likelihood with `minimize` (Adam).
//!
//! ```text
//! L = [[1, 0], [ρ, √(1 − ρ²)]],  u = Φ(L ε),  x = (K⁻¹_{a,b}(u_1), G⁻¹_{μ,s}(u_2))
//! log p(x) = log c_ρ(K(x_1), G(x_2)) + log k_{a,b}(x_1) + log g_{μ,s}(x_2)
//! ```
//! The fit reads ρ through `tanh`, the positive parameters through `softplus`.

use crate::bijectors::{Blockwise, GumbelCDF, IntoArcBijector, Invert, KumaraswamyCDF, NormalCDF, Softplus, Tanh};
use crate::distributions::{Distribution, MultivariateNormalTriL, TransformedDistribution};
use crate::error::Result;
use crate::optim::{minimize, trace_loss, Adam, MinimizeOptions};
use crate::params::{Param, TransformedVariable, Variable};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

/// The warped copula's parameters: the copula's correlation `ρ`, the Kumaraswamy marginal's
/// concentrations `(a, b)` and the Gumbel marginal's `(loc, scale)`.
///
/// ```
/// let p = probrs::demo::CopulaParameters::default();
/// assert!(p.correlation.abs() < 1.0 && p.kumaraswamy[0] > 0.0 && p.gumbel[1] > 0.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CopulaParameters {
    /// ρ in (−1, 1).
    pub correlation: f64,
    /// Kumaraswamy `[concentration1, concentration0]`.
    pub kumaraswamy: [f64; 2],
    /// Gumbel `[loc, scale]`.
    pub gumbel: [f64; 2],
}

impl Default for CopulaParameters {
    /// The truth the demo samples from: ρ = 0.7, Kumaraswamy(2, 3), Gumbel(0.5, 1.5).
    ///
    /// ```
    /// assert_eq!(probrs::demo::CopulaParameters::default().kumaraswamy, [2.0, 3.0]);
    /// ```
    fn default() -> Self {
        CopulaParameters { correlation: 0.7, kumaraswamy: [2.0, 3.0], gumbel: [0.5, 1.5] }
    }
}

/// The warped Gaussian copula over `(x_1, x_2)` from parameters of any kind (numbers, or
/// variables read through bijectors); `rho` is the correlation as a scalar tensor.
fn build(rho: &Tensor, a: impl Into<Param>, b: impl Into<Param>, loc: impl Into<Param>, scale: impl Into<Param>) -> Result<TransformedDistribution> {
    let dtype = rho.dtype();
    let r = rho.reshape(&[1])?;
    let one = Tensor::ones(&[1], dtype)?;
    let zero = Tensor::zeros(&[1], dtype)?;
    let rest = r.square()?.neg()?.add_scalar(1.0)?.sqrt()?;
    let scale_tril = Tensor::concat(&[&one, &zero, &r, &rest], 0)?.reshape(&[2, 2])?;
    let normal = MultivariateNormalTriL::new(Tensor::zeros(&[2], dtype)?, scale_tril)?;
    let copula = TransformedDistribution::new(normal, NormalCDF::new())?.with_name("GaussianCopulaTriL");
    let marginals = Blockwise::new(vec![Invert::new(KumaraswamyCDF::new(a, b)).into_arc(), Invert::new(GumbelCDF::new(loc, scale)).into_arc()], None)?;
    Ok(TransformedDistribution::from_arcs(Arc::new(copula), Arc::new(marginals))?.with_name("WarpedGaussianCopula"))
}

/// The warped Gaussian copula at fixed parameters (float64).
///
/// ```
/// use probrs::distributions::Distribution;
/// use probrs::demo::{warped_gaussian_copula, CopulaParameters};
/// let d = warped_gaussian_copula(&CopulaParameters::default())?;
/// let x = d.sample(&[5], probrs::random::Seed::new(0))?;
/// assert_eq!(x.shape(), &[5, 2]);
/// assert!(d.log_prob(&x)?.to_vec()?.iter().all(|v| v.is_finite()));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn warped_gaussian_copula(p: &CopulaParameters) -> Result<TransformedDistribution> {
    build(&Tensor::scalar(p.correlation, DType::F64)?, p.kumaraswamy[0], p.kumaraswamy[1], p.gumbel[0], p.gumbel[1])
}

/// Settings of [`copula_fit`].
///
/// ```
/// let o = probrs::demo::CopulaOptions::default();
/// assert_eq!((o.num_samples, o.num_steps), (2000, 800));
/// ```
#[derive(Clone, Debug)]
pub struct CopulaOptions {
    /// The parameters the data are drawn from.
    pub truth: CopulaParameters,
    /// Points drawn.
    pub num_samples: usize,
    /// Adam steps.
    pub num_steps: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Seeds the draws.
    pub seed: u64,
}

impl Default for CopulaOptions {
    /// 2,000 points, 800 steps of Adam(0.05), seed 0.
    ///
    /// ```
    /// assert_eq!(probrs::demo::CopulaOptions::default().learning_rate, 0.05);
    /// ```
    fn default() -> Self {
        CopulaOptions { truth: CopulaParameters::default(), num_samples: 2000, num_steps: 800, learning_rate: 0.05, seed: 0 }
    }
}

/// What [`copula_fit`] found.
///
/// ```
/// let o = probrs::demo::CopulaOptions { num_samples: 200, num_steps: 5, ..Default::default() };
/// let r = probrs::demo::copula_fit(&o)?;
/// assert_eq!(r.losses.len(), 5);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CopulaReport {
    /// The parameters the data came from.
    pub truth: CopulaParameters,
    /// The maximum-likelihood fit.
    pub fitted: CopulaParameters,
    /// Mean negative log-likelihood of the data at the truth and at the fit.
    pub nll_truth: f64,
    /// Mean negative log-likelihood at the fit.
    pub nll_fitted: f64,
    /// The loss per step.
    pub losses: Vec<f64>,
    /// The data, `[N, 2]`.
    pub data: Tensor,
    /// Wall time of the fit, seconds.
    pub seconds: f64,
}

/// Samples the warped copula at `options.truth`, then fits all five parameters by maximum
/// likelihood from ρ = 0 and unit marginal parameters (module doc).
///
/// ```
/// let o = probrs::demo::CopulaOptions { num_samples: 300, num_steps: 300, ..Default::default() };
/// let r = probrs::demo::copula_fit(&o)?;
/// assert!(r.nll_fitted <= r.nll_truth + 1e-3); // the MLE fits its sample at least as well
/// assert!(r.fitted.correlation > 0.4);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn copula_fit(options: &CopulaOptions) -> Result<CopulaReport> {
    let truth_dist = warped_gaussian_copula(&options.truth)?;
    let data = truth_dist.sample(&[options.num_samples], Seed::new(options.seed))?;
    let nll_truth = truth_dist.log_prob(&data)?.mean_all()?.neg()?.to_scalar()?;
    let scalar = |v: f64| Tensor::scalar(v, DType::F64);
    let rho = TransformedVariable::new(&scalar(0.0)?, Tanh::new(), "correlation")?;
    let a = TransformedVariable::new(&scalar(1.0)?, Softplus::new(), "kumaraswamy_concentration1")?;
    let b = TransformedVariable::new(&scalar(1.0)?, Softplus::new(), "kumaraswamy_concentration0")?;
    let loc = Variable::new(&scalar(0.0)?, "gumbel_loc")?;
    let scale = TransformedVariable::new(&scalar(1.0)?, Softplus::new(), "gumbel_scale")?;
    let loss = || build(&rho.value()?, &a, &b, &loc, &scale)?.log_prob(&data)?.mean_all()?.neg();
    let started = std::time::Instant::now();
    let result = minimize(loss, options.num_steps, &mut Adam::new(options.learning_rate), MinimizeOptions::default(), trace_loss)?;
    let seconds = started.elapsed().as_secs_f64();
    let value = |t: Result<Tensor>| -> Result<f64> { t?.to_scalar() };
    let fitted = CopulaParameters { correlation: value(rho.value())?, kumaraswamy: [value(a.value())?, value(b.value())?], gumbel: [loc.value().to_scalar()?, value(scale.value())?] };
    let nll_fitted = warped_gaussian_copula(&fitted)?.log_prob(&data)?.mean_all()?.neg()?.to_scalar()?;
    Ok(CopulaReport { truth: options.truth, fitted, nll_truth, nll_fitted, losses: result.trace, data, seconds })
}
