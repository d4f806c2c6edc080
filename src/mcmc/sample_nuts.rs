//! `sample_nuts`: NUTS the way Stan runs it, in one call — several chains (on threads), Stan's
//! windowed warm-up (step size by dual averaging toward an acceptance of 0.8, a diagonal or
//! dense metric from the warm-up draws), then the draws with their sampler statistics.
//!
//! ```
//! use probrs::joint::Structure;
//! use probrs::mcmc::{sample_nuts, NutsOptions};
//! use probrs::tensor::{DType, Tensor};
//! // A correlated 2-D Gaussian, Σ = [[1, .9], [.9, 1]]; the target sees one chain's [2] state.
//! let target = |s: &Structure| {
//!     let t = s.as_tensor()?;
//!     let (a, b) = (t.narrow(0, 0, 1)?, t.narrow(0, 1, 1)?);
//!     a.square()?.add(&b.square()?)?.sub(&a.mul(&b)?.mul_scalar(1.8)?)?.mul_scalar(-0.5 / 0.19)?.sum_all()
//! };
//! let init = Structure::Tensor(Tensor::zeros(&[2], DType::F64)?);
//! // 4 chains × 500 draws after 500 warm-up iterations.
//! let run = sample_nuts(target, &init, &NutsOptions { num_warmup: 500, num_draws: 500, ..Default::default() })?;
//! let summary = run.summary()?;
//! assert_eq!(summary.rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), vec!["lp__", "x.1", "x.2"]);
//! assert!(summary.rows.iter().all(|r| r.r_hat < 1.01));
//! assert!(summary.rows[1..].iter().all(|r| r.mean.abs() < 0.2 && (r.sd - 1.0).abs() < 0.15));
//! assert_eq!(run.draws()?.as_tensor()?.shape(), &[500, 4, 2]);
//! # Ok::<(), probrs::Error>(())
//! ```

use super::cmdstan_csv::CmdStanCsv;
use super::log_density::{Layout, LogDensity, StructureLogDensity};
use super::metric::Metric;
use super::transformed_log_density::TransformedLogDensity;
use super::integrator::{map_chains, PhasePoint};
use super::no_u_turn_sampler::{find_reasonable_step_size, transition, NutsStats, TransitionOptions};
use super::summary::{summarize_cmdstan, CmdStanSummary};
use super::windowed_adaptation::{MetricEstimator, StepSizeDualAveraging, WindowedAdaptation};
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::progress::Progress;
use crate::random::Seed;
use crate::tensor::Tensor;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which metric the warm-up estimates (Stan's `metric=`).
///
/// ```
/// use probrs::mcmc::{MetricKind, NutsOptions};
/// assert_eq!(NutsOptions::default().metric, MetricKind::Diagonal);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    /// The identity, never adapted (`unit_e`).
    Unit,
    /// Marginal variances (`diag_e`, the default).
    Diagonal,
    /// The full covariance (`dense_e`).
    Dense,
}

/// A callback told of each chain's progress: `(chain, progress)`; the step counts warm-up and
/// draws together.
///
/// ```
/// use probrs::mcmc::{ChainProgressFn, NutsOptions};
/// use std::sync::Arc;
/// let report: ChainProgressFn = Arc::new(|chain, p| {
///     if p.step == p.num_steps {
///         eprintln!("chain {chain} done in {:?}", p.elapsed);
///     }
/// });
/// let options = NutsOptions { progress: Some(report), ..Default::default() };
/// assert!(options.progress.is_some());
/// ```
pub type ChainProgressFn = Arc<dyn Fn(usize, &Progress) + Send + Sync>;

/// [`sample_nuts`]'s settings, Stan's defaults.
///
/// ```
/// use probrs::mcmc::NutsOptions;
/// let o = NutsOptions::default();
/// assert_eq!((o.num_chains, o.num_warmup, o.num_draws), (4, 1000, 1000));
/// assert_eq!((o.target_accept_prob, o.max_tree_depth, o.max_energy_diff), (0.8, 10, 1000.0));
/// assert_eq!((o.init_buffer, o.base_window, o.term_buffer), (75, 25, 50));
/// let careful = NutsOptions { target_accept_prob: 0.95, ..Default::default() };
/// assert_eq!(careful.num_chains, 4);
/// ```
#[derive(Clone)]
pub struct NutsOptions {
    /// Independent chains (4).
    pub num_chains: usize,
    /// Warm-up iterations per chain, not kept (1000).
    pub num_warmup: usize,
    /// Draws kept per chain (1000).
    pub num_draws: usize,
    /// The acceptance statistic dual averaging aims at (Stan's `adapt_delta`, 0.8).
    pub target_accept_prob: f64,
    /// The deepest tree (10).
    pub max_tree_depth: usize,
    /// The energy error that counts as a divergence (1000).
    pub max_energy_diff: f64,
    /// The metric the warm-up estimates (diagonal).
    pub metric: MetricKind,
    /// A metric to start from (Stan's `inv_metric` file); `None`: the identity.
    pub init_inv_metric: Option<Metric>,
    /// The first step size before the heuristic search (1).
    pub init_step_size: f64,
    /// Stan's `init_buffer` (75), `term_buffer` (50) and `window` (25).
    pub init_buffer: usize,
    /// See `init_buffer`.
    pub term_buffer: usize,
    /// See `init_buffer`.
    pub base_window: usize,
    /// Dual averaging's γ (0.05), κ (0.75) and t₀ (10).
    pub gamma: f64,
    /// See `gamma`.
    pub kappa: f64,
    /// See `gamma`.
    pub t0: f64,
    /// The run's seed; chain `c` draws from `seed.fold_in(first_chain + c)`.
    pub seed: Seed,
    /// The global index of this run's first chain (0): a run of chains 8–11 of a larger set
    /// (another process's share; CmdStan's `id`) gives exactly the draws those chains have in
    /// one run of all of them. Progress reports and failures name global indices.
    pub first_chain: usize,
    /// Threads the chains run on (`None`: one per core, at most one per chain). The draws do
    /// not depend on it.
    pub num_threads: Option<usize>,
    /// Told of each chain's progress (`None`: nothing).
    pub progress: Option<ChainProgressFn>,
    /// Stan's random initialization (`init=2`): `Some(r)` starts each chain at a point drawn
    /// uniformly from `(−r, r)` in every unconstrained coordinate (redrawn, up to 100 times,
    /// until the log-density and its gradient are finite), ignoring the given values; `None`
    /// (the default) starts every chain at the given initial state.
    pub init_radius: Option<f64>,
}

impl Default for NutsOptions {
    fn default() -> Self {
        NutsOptions {
            num_chains: 4,
            num_warmup: 1000,
            num_draws: 1000,
            target_accept_prob: 0.8,
            max_tree_depth: 10,
            max_energy_diff: 1000.0,
            metric: MetricKind::Diagonal,
            init_inv_metric: None,
            init_step_size: 1.0,
            init_buffer: 75,
            term_buffer: 50,
            base_window: 25,
            gamma: 0.05,
            kappa: 0.75,
            t0: 10.0,
            seed: Seed::new(0),
            first_chain: 0,
            num_threads: None,
            progress: None,
            init_radius: None,
        }
    }
}

impl NutsOptions {
    fn check(&self, dim: usize) -> Result<()> {
        if self.num_chains == 0 {
            return Err(Error::invalid_parameter("num_chains", "must be at least 1"));
        }
        if !(self.target_accept_prob > 0.0 && self.target_accept_prob < 1.0) {
            return Err(Error::invalid_parameter("target_accept_prob", format!("must be in (0, 1), got {}", self.target_accept_prob)));
        }
        if !(self.init_step_size > 0.0 && self.init_step_size.is_finite()) {
            return Err(Error::invalid_parameter("init_step_size", format!("must be positive and finite, got {}", self.init_step_size)));
        }
        if self.max_tree_depth == 0 {
            return Err(Error::invalid_parameter("max_tree_depth", "must be at least 1"));
        }
        if !(self.max_energy_diff > 0.0) {
            return Err(Error::invalid_parameter("max_energy_diff", format!("must be positive, got {}", self.max_energy_diff)));
        }
        if !(self.gamma > 0.0 && self.kappa > 0.0 && self.t0 >= 0.0) {
            return Err(Error::invalid_parameter("gamma/kappa/t0", "dual averaging needs gamma > 0, kappa > 0, t0 ≥ 0"));
        }
        if let Some(r) = self.init_radius {
            if !(r > 0.0 && r.is_finite()) {
                return Err(Error::invalid_parameter("init_radius", format!("must be positive and finite, got {r}")));
            }
        }
        if let Some(m) = &self.init_inv_metric {
            m.check_dim(dim)?;
            let fits = matches!((self.metric, m), (MetricKind::Unit, Metric::Unit) | (MetricKind::Diagonal, Metric::Unit | Metric::Diagonal(_)) | (MetricKind::Dense, _));
            if !fits {
                return Err(Error::invalid_parameter("init_inv_metric", format!("a {m:?} metric does not fit metric kind {:?}", self.metric)));
            }
        }
        Ok(())
    }
}

/// Where and why a chain stopped early (its draws so far are kept).
///
/// A domain error (a parameter outside its domain, a non-finite value, a matrix that is not
/// positive definite) only rejects the point, as in Stan; other errors stop the chain.
///
/// ```
/// use probrs::mcmc::{sample_nuts_density, LogDensity, NutsOptions};
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// // A model whose data source fails on its 2000th evaluation.
/// struct Flaky(AtomicUsize);
/// impl LogDensity for Flaky {
///     fn dim(&self) -> usize {
///         1
///     }
///     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
///         if self.0.fetch_add(1, Ordering::Relaxed) == 2000 {
///             return Err(probrs::Error::BadInput { location: "data.csv".into(), reason: "failed".into() });
///         }
///         g[0] = -x[0];
///         Ok(-0.5 * x[0] * x[0])
///     }
/// }
/// let o = NutsOptions { num_chains: 1, num_warmup: 100, ..Default::default() };
/// let run = sample_nuts_density(&Flaky(AtomicUsize::new(0)), &[vec![0.0]], &o)?;
/// let f = run.chains[0].failure.as_ref().unwrap();
/// assert!(!f.warmup);
/// assert_eq!(run.chains[0].draws.len(), f.iteration - 100); // the draws before it are kept
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Debug)]
pub struct ChainFailure {
    /// The iteration that failed, counting warm-up and draws together from 0.
    pub iteration: usize,
    /// Whether it was a warm-up iteration.
    pub warmup: bool,
    /// What went wrong.
    pub error: Error,
}

/// One chain of a [`sample_nuts`] run.
///
/// ```
/// use probrs::mcmc::{sample_nuts_density, LogDensity, NutsOptions};
/// struct StdNormal;
/// impl LogDensity for StdNormal {
///     fn dim(&self) -> usize {
///         1
///     }
///     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
///         g[0] = -x[0];
///         Ok(-0.5 * x[0] * x[0])
///     }
/// }
/// let run = sample_nuts_density(&StdNormal, &[vec![0.0]], &NutsOptions { num_chains: 2, num_warmup: 100, num_draws: 100, ..Default::default() })?;
/// let chain = &run.chains[1];
/// assert_eq!((chain.draws.len(), chain.stats.len(), chain.warmup_stats.len()), (100, 100, 100));
/// assert!(chain.step_size > 0.0 && chain.failure.is_none());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Debug)]
pub struct NutsChain {
    /// The kept draws, each one flat vector (the [`Layout`]'s order).
    pub draws: Vec<Vec<f64>>,
    /// The log-density at each kept draw (Stan's `lp__`, here with constants).
    pub log_density: Vec<f64>,
    /// The sampler statistics of each kept draw.
    pub stats: Vec<NutsStats>,
    /// The statistics of each warm-up iteration.
    pub warmup_stats: Vec<NutsStats>,
    /// The step size after warm-up.
    pub step_size: f64,
    /// The inverse metric after warm-up.
    pub inv_metric: Metric,
    /// Notes on the warm-up (a shortened schedule).
    pub notes: Vec<String>,
    /// Why the chain stopped early, if it did.
    pub failure: Option<ChainFailure>,
    /// Time spent in warm-up and in drawing.
    pub warmup_time: Duration,
    /// See `warmup_time`.
    pub sampling_time: Duration,
}

impl NutsChain {
    /// Divergent transitions among the kept draws.
    ///
    /// ```
    /// use probrs::mcmc::{sample_nuts_density, LogDensity, NutsOptions};
    /// struct StdNormal;
    /// impl LogDensity for StdNormal {
    ///     fn dim(&self) -> usize {
    ///         1
    ///     }
    ///     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
    ///         g[0] = -x[0];
    ///         Ok(-0.5 * x[0] * x[0])
    ///     }
    /// }
    /// let run = sample_nuts_density(&StdNormal, &[vec![0.0]], &NutsOptions { num_chains: 2, num_warmup: 100, num_draws: 100, ..Default::default() })?;
    /// assert_eq!(run.chains[0].num_divergent(), 0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn num_divergent(&self) -> usize {
        self.stats.iter().filter(|s| s.divergent).count()
    }
    /// Kept draws whose tree stopped at the maximum depth.
    ///
    /// ```
    /// use probrs::mcmc::{sample_nuts_density, LogDensity, NutsOptions};
    /// struct StdNormal;
    /// impl LogDensity for StdNormal {
    ///     fn dim(&self) -> usize {
    ///         1
    ///     }
    ///     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
    ///         g[0] = -x[0];
    ///         Ok(-0.5 * x[0] * x[0])
    ///     }
    /// }
    /// let run = sample_nuts_density(&StdNormal, &[vec![0.0]], &NutsOptions { num_chains: 2, num_warmup: 100, num_draws: 100, ..Default::default() })?;
    /// assert_eq!(run.chains[0].num_max_tree_depth(), 0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn num_max_tree_depth(&self) -> usize {
        self.stats.iter().filter(|s| s.reached_max_depth).count()
    }
    /// Gradient evaluations over warm-up and draws.
    ///
    /// ```
    /// use probrs::mcmc::{sample_nuts_density, LogDensity, NutsOptions};
    /// struct StdNormal;
    /// impl LogDensity for StdNormal {
    ///     fn dim(&self) -> usize {
    ///         1
    ///     }
    ///     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
    ///         g[0] = -x[0];
    ///         Ok(-0.5 * x[0] * x[0])
    ///     }
    /// }
    /// let run = sample_nuts_density(&StdNormal, &[vec![0.0]], &NutsOptions { num_chains: 2, num_warmup: 100, num_draws: 100, ..Default::default() })?;
    /// assert!(run.chains[0].num_gradient_evaluations() >= 200); // at least one per iteration
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn num_gradient_evaluations(&self) -> usize {
        self.stats.iter().chain(&self.warmup_stats).map(|s| s.n_leapfrog).sum()
    }
}

/// What [`sample_nuts`] returns: every chain with its draws and statistics.
///
/// ```
/// use probrs::mcmc::{sample_nuts_density, LogDensity, NutsOptions};
/// struct StdNormal;
/// impl LogDensity for StdNormal {
///     fn dim(&self) -> usize {
///         1
///     }
///     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
///         g[0] = -x[0];
///         Ok(-0.5 * x[0] * x[0])
///     }
/// }
/// let run = sample_nuts_density(&StdNormal, &[vec![0.0]], &NutsOptions { num_chains: 2, num_warmup: 100, num_draws: 100, ..Default::default() })?;
/// assert_eq!((run.chains.len(), run.param_names.clone()), (2, vec!["x.1".to_string()]));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Debug)]
pub struct NutsRun {
    /// The chains, in order.
    pub chains: Vec<NutsChain>,
    /// The coordinates' names (CmdStan's, e.g. `theta.2`).
    pub param_names: Vec<String>,
    /// How a flat draw maps back to the target's structure (absent for a flat [`LogDensity`]).
    pub layout: Option<Layout>,
}

impl NutsRun {
    /// The first chain failure as a typed error naming the chain and iteration; `Ok` when every
    /// chain finished.
    ///
    /// ```
    /// use probrs::mcmc::{sample_nuts_density, LogDensity, NutsOptions};
    /// struct StdNormal;
    /// impl LogDensity for StdNormal {
    ///     fn dim(&self) -> usize {
    ///         1
    ///     }
    ///     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
    ///         g[0] = -x[0];
    ///         Ok(-0.5 * x[0] * x[0])
    ///     }
    /// }
    /// let run = sample_nuts_density(&StdNormal, &[vec![0.0]], &NutsOptions { num_chains: 2, num_warmup: 100, num_draws: 100, ..Default::default() })?;
    /// run.check()?;
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn check(&self) -> Result<()> {
        match self.chains.iter().enumerate().find_map(|(c, ch)| ch.failure.as_ref().map(|f| (c, f))) {
            None => Ok(()),
            Some((c, f)) => Err(Error::BadInput {
                location: format!("chain {c}, {} iteration {}", if f.warmup { "warm-up" } else { "sampling" }, f.iteration),
                reason: format!("{} (the {} draws made before are kept)", f.error, self.chains[c].draws.len()),
            }),
        }
    }

    /// The draws as a structure like the initial state, each part `[num_draws, num_chains,
    /// event...]` (as `sample_chain`'s states); an error if a chain stopped early.
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{sample_nuts, NutsOptions};
    /// use probrs::tensor::{DType, Tensor};
    /// let init = Structure::Tensor(Tensor::zeros(&[3], DType::F64)?);
    /// let run = sample_nuts(|s: &Structure| s.as_tensor()?.square()?.sum_all()?.mul_scalar(-0.5), &init, &NutsOptions { num_warmup: 50, num_draws: 20, ..Default::default() })?;
    /// assert_eq!(run.draws()?.as_tensor()?.shape(), &[20, 4, 3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn draws(&self) -> Result<Structure> {
        self.check()?;
        let layout = self.layout.as_ref().ok_or_else(|| Error::invalid_parameter("layout", "a run of a flat LogDensity has no structure; read chains[c].draws"))?;
        let n = self.chains[0].draws.len();
        let flat: Vec<&[f64]> = (0..n).flat_map(|i| self.chains.iter().map(move |c| c.draws[i].as_slice())).collect();
        layout.structure(&flat, &[n, self.chains.len()])
    }

    /// Chain `c`'s draws of the coordinate named `name`.
    ///
    /// ```
    /// use probrs::mcmc::{sample_nuts_density, LogDensity, NutsOptions};
    /// struct StdNormal;
    /// impl LogDensity for StdNormal {
    ///     fn dim(&self) -> usize {
    ///         1
    ///     }
    ///     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
    ///         g[0] = -x[0];
    ///         Ok(-0.5 * x[0] * x[0])
    ///     }
    /// }
    /// let run = sample_nuts_density(&StdNormal, &[vec![0.0]], &NutsOptions { num_chains: 2, num_warmup: 100, num_draws: 100, ..Default::default() })?;
    /// assert_eq!(run.column(1, "x.1").unwrap(), run.chains[1].draws.iter().map(|d| d[0]).collect::<Vec<_>>());
    /// assert!(run.column(0, "y").is_none());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn column(&self, chain: usize, name: &str) -> Option<Vec<f64>> {
        let j = self.param_names.iter().position(|n| n == name)?;
        Some(self.chains.get(chain)?.draws.iter().map(|d| d[j]).collect())
    }

    /// Each chain as CmdStan writes it: `lp__, accept_stat__, stepsize__, treedepth__,
    /// n_leapfrog__, divergent__, energy__`, then the parameters.
    ///
    /// ```
    /// use probrs::mcmc::{sample_nuts_density, LogDensity, NutsOptions};
    /// struct StdNormal;
    /// impl LogDensity for StdNormal {
    ///     fn dim(&self) -> usize {
    ///         1
    ///     }
    ///     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
    ///         g[0] = -x[0];
    ///         Ok(-0.5 * x[0] * x[0])
    ///     }
    /// }
    /// let run = sample_nuts_density(&StdNormal, &[vec![0.0]], &NutsOptions { num_chains: 2, num_warmup: 100, num_draws: 100, ..Default::default() })?;
    /// let csv = run.to_cmdstan();
    /// assert_eq!(csv[0].names.len(), 8);
    /// assert_eq!(csv[0].column("treedepth__").unwrap().len(), 100);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn to_cmdstan(&self) -> Vec<CmdStanCsv> {
        self.chains
            .iter()
            .map(|ch| {
                let mut names: Vec<String> = ["lp__", "accept_stat__", "stepsize__", "treedepth__", "n_leapfrog__", "divergent__", "energy__"].iter().map(|s| s.to_string()).collect();
                let s = &ch.stats;
                let mut columns = vec![
                    ch.log_density.clone(),
                    s.iter().map(|s| s.accept_prob).collect(),
                    s.iter().map(|s| s.step_size).collect(),
                    s.iter().map(|s| s.tree_depth as f64).collect(),
                    s.iter().map(|s| s.n_leapfrog as f64).collect(),
                    s.iter().map(|s| f64::from(u8::from(s.divergent))).collect(),
                    s.iter().map(|s| s.energy).collect(),
                ];
                for (j, name) in self.param_names.iter().enumerate() {
                    names.push(name.clone());
                    columns.push(ch.draws.iter().map(|d| d[j]).collect());
                }
                CmdStanCsv { names, columns }
            })
            .collect()
    }

    /// The summary table (mean, sd, quantiles, R-hat, bulk and tail ESS) of the parameters and
    /// `lp__`, as CmdStan's `stansummary`.
    ///
    /// ```
    /// use probrs::mcmc::{sample_nuts_density, LogDensity, NutsOptions};
    /// struct StdNormal;
    /// impl LogDensity for StdNormal {
    ///     fn dim(&self) -> usize {
    ///         1
    ///     }
    ///     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
    ///         g[0] = -x[0];
    ///         Ok(-0.5 * x[0] * x[0])
    ///     }
    /// }
    /// let run = sample_nuts_density(&StdNormal, &[vec![0.0]], &NutsOptions { num_chains: 2, num_warmup: 100, num_draws: 100, ..Default::default() })?;
    /// let s = run.summary()?;
    /// assert_eq!(s.rows[1].name, "x.1");
    /// assert!(s.rows[1].mean.abs() < 0.5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn summary(&self) -> Result<CmdStanSummary> {
        self.check()?;
        summarize_cmdstan(&self.to_cmdstan())
    }
}

/// NUTS on a target over one state (a [`Structure`] without chain dimensions, returning a
/// scalar log-density), from `init` for every chain, with Stan's warm-up; see the module
/// documentation for an example.
///
/// Errors before sampling (bad options; a target that is not finite at `init`) are returned;
/// a chain that fails later stops, keeps its draws and records the failure
/// ([`NutsRun::check`]).
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{sample_nuts, NutsOptions};
/// use probrs::tensor::{DType, Tensor};
/// // log σ must be finite at the start: σ = 0 is a typed error naming the chain.
/// let target = |s: &Structure| s.get("sigma")?.log()?.sum_all();
/// let init = Structure::Named(vec![("sigma".into(), Tensor::scalar(0.0, DType::F64)?)]);
/// let err = sample_nuts(target, &init, &NutsOptions::default()).unwrap_err();
/// assert!(err.to_string().contains("chain 0"), "{err}");
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn sample_nuts(target_log_prob_fn: impl Fn(&Structure) -> Result<Tensor> + Send + Sync + 'static, init: &Structure, options: &NutsOptions) -> Result<NutsRun> {
    let layout = Layout::of(init, 0)?;
    let density = StructureLogDensity::from_arc(Arc::new(target_log_prob_fn), layout.clone(), 0);
    let x0 = layout.flatten(init)?.remove(0);
    let mut run = sample_nuts_density(&density, &[x0], options)?;
    run.layout = Some(layout);
    Ok(run)
}

/// NUTS on a target over constrained parameters (one unbatched state like `init`, returning a
/// scalar), sampled in unconstrained space through `bijectors` (one per state part; see
/// [`TransformedLogDensity`]); the draws come back constrained, `lp__` includes the Jacobian
/// (as Stan's).
///
/// ```
/// use probrs::bijectors::{Bijector, Exp};
/// use probrs::joint::Structure;
/// use probrs::mcmc::{sample_nuts_transformed, NutsOptions};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// // σ ~ Gamma(3, 2) (mean 1.5, sd √3/2), on its positive support through Exp.
/// let target = |s: &Structure| { let x = s.get("sigma")?; x.log()?.mul_scalar(2.0)?.sub(&x.mul_scalar(2.0)?)?.sum_all() };
/// let init = Structure::Named(vec![("sigma".into(), Tensor::scalar(1.0, DType::F64)?)]);
/// let run = sample_nuts_transformed(target, &init, vec![Arc::new(Exp::new())], &NutsOptions { num_warmup: 300, num_draws: 500, ..Default::default() })?;
/// let s = run.summary()?;
/// assert!(run.chains.iter().all(|c| c.draws.iter().all(|d| d[0] > 0.0)));
/// assert!((s.rows[1].mean - 1.5).abs() < 0.1, "{}", s.rows[1].mean);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn sample_nuts_transformed(
    target_log_prob_fn: impl Fn(&Structure) -> Result<Tensor> + Send + Sync + 'static,
    init: &Structure,
    bijectors: Vec<Arc<dyn crate::bijectors::Bijector>>,
    options: &NutsOptions,
) -> Result<NutsRun> {
    let (density, z0) = TransformedLogDensity::new(target_log_prob_fn, init, bijectors)?;
    let mut run = sample_nuts_density(&density, &[z0], options)?;
    for (c, chain) in run.chains.iter_mut().enumerate() {
        for (i, d) in chain.draws.iter_mut().enumerate() {
            *d = density.constrain(d).map_err(|e| Error::BadInput { location: format!("chain {c}, draw {i}"), reason: format!("mapping the draw to constrained space: {e}") })?;
        }
    }
    run.param_names = density.constrained_layout().param_names();
    run.layout = Some(density.constrained_layout().clone());
    Ok(run)
}

/// NUTS on the posterior of a pinned joint distribution (TFP's `experimental_pin`): every
/// unpinned site sampled in unconstrained space through its distribution's default event-space
/// bijector (TFP's `experimental_default_event_space_bijector`, Stan's constraints); each chain
/// starts at the unconstrained origin (Stan's `init=0`) or, with `init_radius`, at Stan's random
/// inits. The draws come back constrained and named by site.
///
/// ```
/// use probrs::distributions::{Gamma, Normal, Sample};
/// use probrs::joint::{JointDistributionCoroutine, Root};
/// use probrs::mcmc::{sample_nuts_pinned, NutsOptions};
/// use probrs::tensor::{DType, Tensor};
/// // σ ~ Gamma(2, 2), y_i ~ N(0, σ) observed; σ > 0 is sampled through its Softplus.
/// let model = JointDistributionCoroutine::new(|m| {
///     let s = m.sample("sigma", Root(Gamma::new(2.0f64, 2.0f64)?))?;
///     m.sample("y", Sample::new(Normal::new(0.0f64, &s)?, &[5])?)?;
///     Ok(())
/// });
/// let y = Tensor::vector(&[0.5, -1.2, 0.3, 2.0, -0.7], DType::F32)?; // the model is float32 (f64 literals make float32 parameters, as TFP)
/// let posterior = model.pin(vec![("y".into(), y)])?;
/// let run = sample_nuts_pinned(&posterior, &NutsOptions { num_warmup: 300, num_draws: 300, ..Default::default() })?;
/// assert_eq!(run.param_names, vec!["sigma"]);
/// assert!(run.chains.iter().all(|c| c.draws.iter().all(|d| d[0] > 0.0)));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn sample_nuts_pinned(model: &crate::joint::JointDistributionPinned, options: &NutsOptions) -> Result<NutsRun> {
    let parts = model.unpinned_parts()?;
    let Structure::Named(draw) = model.sample_unpinned(options.seed)? else { return Err(Error::invalid_parameter("model", "unpinned sites expected")) };
    let mut init = vec![];
    for (p, (_, value)) in parts.iter().zip(&draw) {
        let z = Tensor::zeros(&p.bijector.inverse_event_shape(&p.event_shape)?, value.dtype())?;
        init.push((p.name.clone(), p.bijector.forward(&z)?));
    }
    let bijectors = parts.iter().map(|p| p.bijector.clone()).collect();
    let m = model.clone();
    sample_nuts_transformed(move |s: &Structure| m.unnormalized_log_prob(s), &Structure::Named(init), bijectors, options)
}

/// NUTS on a flat [`LogDensity`] (a model with a hand-written gradient), from `inits` (one per
/// chain, or one for all chains).
///
/// ```
/// use probrs::mcmc::{sample_nuts_density, LogDensity, NutsOptions};
/// struct Scaled; // N(0, diag(1, 100)): the metric adapts to the scales
/// impl LogDensity for Scaled {
///     fn dim(&self) -> usize {
///         2
///     }
///     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
///         g[0] = -x[0];
///         g[1] = -x[1] / 100.0;
///         Ok(-0.5 * (x[0] * x[0] + x[1] * x[1] / 100.0))
///     }
/// }
/// let run = sample_nuts_density(&Scaled, &[vec![0.0, 0.0]], &NutsOptions { num_chains: 2, num_warmup: 300, num_draws: 300, ..Default::default() })?;
/// let inv = match &run.chains[0].inv_metric { probrs::mcmc::Metric::Diagonal(v) => v.clone(), _ => unreachable!() };
/// assert!(inv[1] / inv[0] > 20.0, "{inv:?}");
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn sample_nuts_density(density: &dyn LogDensity, inits: &[Vec<f64>], options: &NutsOptions) -> Result<NutsRun> {
    let dim = density.dim();
    options.check(dim)?;
    if inits.len() != 1 && inits.len() != options.num_chains {
        return Err(Error::invalid_parameter("inits", format!("{} initial states for {} chains (give one, or one per chain)", inits.len(), options.num_chains)));
    }
    let names = density.param_names();
    // Every chain's start is checked before any chain runs.
    let mut starts = vec![];
    for c in 0..options.num_chains {
        let mut q = inits[if inits.len() == 1 { 0 } else { c }].clone();
        if q.len() != dim {
            return Err(Error::ShapeMismatch { context: format!("chain {c}'s initial state vs the log-density's dimension"), lhs: vec![q.len()], rhs: vec![dim] });
        }
        if let Some(r) = options.init_radius {
            q = random_init(density, r, options.seed.fold_in((options.first_chain + c) as u64).fold_in(0x1417)).map_err(|e| Error::BadInput { location: format!("initial state, chain {}", options.first_chain + c), reason: e.to_string() })?;
        }
        let location = format!("initial state, chain {}", options.first_chain + c);
        let z = PhasePoint::at(density, q).map_err(|e| Error::BadInput { location: location.clone(), reason: e.to_string() })?;
        if !z.logp.is_finite() {
            return Err(Error::BadInput { location, reason: format!("the log-density is {}", z.logp) });
        }
        if let Some(j) = z.grad.iter().position(|g| !g.is_finite()) {
            return Err(Error::BadInput { location, reason: format!("the gradient with respect to {} is {}", names.get(j).map_or("?", |s| s.as_str()), z.grad[j]) });
        }
        starts.push(z);
    }
    let threads = options.num_threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let chains = map_chains(options.num_chains, threads, |c| run_chain(density, starts[c].clone(), options.first_chain + c, options));
    Ok(NutsRun { chains, param_names: names, layout: None })
}

/// Stan's random initialization: uniform on `(−r, r)` per coordinate until the log-density and
/// its gradient are finite (100 attempts).
fn random_init(density: &dyn LogDensity, r: f64, seed: Seed) -> Result<Vec<f64>> {
    use rand::Rng;
    let mut rng = seed.rng();
    let d = density.dim();
    let mut grad = vec![0.0; d];
    for _ in 0..100 {
        let q: Vec<f64> = (0..d).map(|_| rng.random_range(-r..r)).collect();
        if let Ok(lp) = density.logp_and_grad(&q, &mut grad) {
            if lp.is_finite() && grad.iter().all(|g| g.is_finite()) {
                return Ok(q);
            }
        }
    }
    Err(Error::invalid_parameter("init_radius", format!("no point drawn uniformly from (−{r}, {r}) in 100 attempts has a finite log-density and gradient")))
}

/// One chain (`chain` is its global index): Stan's `run_adaptive_sampler`.
fn run_chain(density: &dyn LogDensity, start: PhasePoint, chain: usize, o: &NutsOptions) -> NutsChain {
    let dim = density.dim();
    let mut rng = o.seed.fold_in(chain as u64).rng();
    let mut metric = match (&o.init_inv_metric, o.metric) {
        (Some(m), _) => m.clone(),
        (None, MetricKind::Unit) => Metric::Unit,
        (None, MetricKind::Diagonal) => Metric::Diagonal(vec![1.0; dim]),
        (None, MetricKind::Dense) => Metric::dense((0..dim * dim).map(|k| if k % (dim + 1) == 0 { 1.0 } else { 0.0 }).collect(), dim).expect("the identity is positive definite"),
    };
    let mut out = NutsChain {
        draws: Vec::with_capacity(o.num_draws),
        log_density: Vec::with_capacity(o.num_draws),
        stats: Vec::with_capacity(o.num_draws),
        warmup_stats: Vec::with_capacity(o.num_warmup),
        step_size: o.init_step_size,
        inv_metric: metric.clone(),
        notes: vec![],
        failure: None,
        warmup_time: Duration::ZERO,
        sampling_time: Duration::ZERO,
    };
    let topt = TransitionOptions { max_tree_depth: o.max_tree_depth, max_energy_diff: o.max_energy_diff };
    let total = o.num_warmup + o.num_draws;
    let t0 = Instant::now();
    let report = |i: usize| {
        if let Some(p) = &o.progress {
            p(chain, &Progress { step: i + 1, num_steps: total, loss: None, elapsed: t0.elapsed(), metrics: vec![] });
        }
    };
    let mut z = start;
    let mut eps = match find_reasonable_step_size(density, &metric, &z, o.init_step_size, &mut rng) {
        Ok(e) => e,
        Err(error) => {
            out.failure = Some(ChainFailure { iteration: 0, warmup: true, error });
            return out;
        }
    };
    let mut da = StepSizeDualAveraging::new((10.0 * o.init_step_size).ln(), o.target_accept_prob, o.gamma, o.kappa, o.t0);
    let mut windows = WindowedAdaptation::new(o.num_warmup, o.init_buffer, o.term_buffer, o.base_window);
    if o.metric != MetricKind::Unit {
        out.notes.extend(windows.note.clone());
    }
    let mut estimator = MetricEstimator::new(dim, o.metric == MetricKind::Dense);
    for i in 0..o.num_warmup {
        let step = transition(density, &metric, eps, &z, &mut rng, topt).and_then(|(next, stats)| {
            eps = da.learn(stats.accept_prob);
            if o.metric != MetricKind::Unit {
                if windows.in_window() {
                    estimator.add(&next.q);
                }
                if windows.step() {
                    metric = estimator.metric()?;
                    eps = find_reasonable_step_size(density, &metric, &next, eps, &mut rng)?;
                    da.mu = (10.0 * eps).ln();
                    da.restart();
                }
            }
            Ok((next, stats))
        });
        match step {
            Ok((next, stats)) => {
                z = next;
                out.warmup_stats.push(stats);
            }
            Err(error) => {
                out.failure = Some(ChainFailure { iteration: i, warmup: true, error });
                out.step_size = eps;
                out.inv_metric = metric;
                out.warmup_time = t0.elapsed();
                return out;
            }
        }
        report(i);
    }
    if o.num_warmup > 0 {
        eps = da.final_step_size();
    }
    out.step_size = eps;
    out.inv_metric = metric.clone();
    out.warmup_time = t0.elapsed();
    let t1 = Instant::now();
    for i in 0..o.num_draws {
        match transition(density, &metric, eps, &z, &mut rng, topt) {
            Ok((next, stats)) => {
                z = next;
                out.draws.push(z.q.clone());
                out.log_density.push(z.logp);
                out.stats.push(stats);
            }
            Err(error) => {
                out.failure = Some(ChainFailure { iteration: o.num_warmup + i, warmup: false, error });
                break;
            }
        }
        report(o.num_warmup + i);
    }
    out.sampling_time = t1.elapsed();
    out
}
