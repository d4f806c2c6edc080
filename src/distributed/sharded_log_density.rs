//! `ShardedLogDensity`: one model's log-density summed over data blocks held by different
//! ranks (Stan's `map_rect` / `reduce_sum` over MPI), as a [`LogDensity`] that NUTS samples.
//!
//! Each evaluation, every rank computes its blocks' log-likelihood terms and their gradients
//! (`1 + d` numbers per block), the terms are gathered and added in block order, and the prior
//! is added on every rank. All ranks hold the same value and gradient, bit for bit, whatever
//! the rank count, so all of them run the same NUTS trajectory with the same seed: 2 ranks
//! reproduce 1 rank's draws exactly. The chains run one after another on every rank (the
//! evaluations are collective); [`sample_nuts_sharded`] sees to it.

use super::communicator::Communicator;
use super::shards::{Block, Shards};
use crate::error::Result;
use crate::mcmc::{sample_nuts_density, LogDensity, NutsOptions, NutsRun};
use std::sync::Arc;

/// A block's log-likelihood term at `x`, with its gradient added into the slice (zeroed
/// before each call).
///
/// ```
/// use probrs::distributed::BlockLogDensityFn;
/// use std::sync::Arc;
/// // y_n ~ N(x, 1) for the block's rows of y.
/// let y = vec![0.5, 1.5, 2.5, 3.5];
/// let block: Arc<BlockLogDensityFn> = Arc::new(move |x, b, g| {
///     let rows = &y[b.local.clone()];
///     g[0] += rows.iter().map(|v| v - x[0]).sum::<f64>();
///     Ok(-0.5 * rows.iter().map(|v| (v - x[0]).powi(2)).sum::<f64>())
/// });
/// # let _ = block;
/// ```
pub type BlockLogDensityFn = dyn Fn(&[f64], &Block, &mut [f64]) -> Result<f64> + Send + Sync;

/// A prior (or any term computed on every rank): its value, with its gradient added into the
/// slice.
///
/// ```
/// use probrs::distributed::PriorFn;
/// use std::sync::Arc;
/// // x ~ N(0, 10²).
/// let prior: Arc<PriorFn> = Arc::new(|x, g| {
///     g[0] -= x[0] / 100.0;
///     Ok(-0.5 * x[0] * x[0] / 100.0)
/// });
/// let mut g = [0.0];
/// assert_eq!(prior(&[10.0], &mut g)?, -0.5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub type PriorFn = dyn Fn(&[f64], &mut [f64]) -> Result<f64> + Send + Sync;

/// A log-density whose likelihood is summed over `shards`' blocks on `comm`'s ranks.
///
/// ```
/// use probrs::distributed::{sample_nuts_sharded, Shards, ShardedLogDensity, ThreadRanks};
/// use probrs::mcmc::{LogDensity, NutsOptions};
/// use std::sync::Arc;
/// // μ ~ N(0, 10²), y_n ~ N(μ, 1) for 50 rows on 2 ranks.
/// let y: Vec<f64> = (0..50).map(|i| 3.0 + (i as f64 * 0.7).sin()).collect();
/// let options = NutsOptions { num_chains: 2, num_warmup: 200, num_draws: 200, ..Default::default() };
/// let draws = |ranks: usize| ThreadRanks::run(ranks, |comm| {
///     let comm = Arc::new(comm.clone());
///     let shards = Shards::new(50, 5, comm.as_ref())?;
///     let shard = y[shards.local_rows()].to_vec(); // this rank's rows only
///     let density = ShardedLogDensity::new(comm, shards, 1, Arc::new(move |x, b, g| {
///         let rows = &shard[b.local.clone()];
///         g[0] += rows.iter().map(|v| v - x[0]).sum::<f64>();
///         Ok(-0.5 * rows.iter().map(|v| (v - x[0]).powi(2)).sum::<f64>())
///     }))
///     .with_prior(Arc::new(|x, g| {
///         g[0] -= x[0] / 100.0;
///         Ok(-0.5 * x[0] * x[0] / 100.0)
///     }));
///     let run = sample_nuts_sharded(&density, &[vec![0.0]], &options)?;
///     Ok(run.chains.iter().map(|c| c.draws.clone()).collect::<Vec<_>>())
/// });
/// let (one, two) = (draws(1)?, draws(2)?);
/// assert_eq!(one[0], two[0]);
/// assert_eq!(two[0], two[1]); // every rank ran the same chains
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct ShardedLogDensity {
    comm: Arc<dyn Communicator>,
    shards: Shards,
    dim: usize,
    block: Arc<BlockLogDensityFn>,
    prior: Option<Arc<PriorFn>>,
    names: Option<Vec<String>>,
}

impl ShardedLogDensity {
    /// The log-density `Σ_b block(x, b)` over `shards`' blocks of `dim` parameters (add a
    /// prior with [`ShardedLogDensity::with_prior`]).
    ///
    /// ```
    /// use probrs::distributed::{Shards, ShardedLogDensity, SingleProcess};
    /// use probrs::mcmc::LogDensity;
    /// use std::sync::Arc;
    /// let comm = Arc::new(SingleProcess);
    /// let d = ShardedLogDensity::new(comm.clone(), Shards::new(4, 2, comm.as_ref())?, 1, Arc::new(|x, b, g| {
    ///     g[0] -= b.rows.len() as f64 * x[0];
    ///     Ok(-0.5 * b.rows.len() as f64 * x[0] * x[0])
    /// }));
    /// let mut g = [0.0];
    /// assert_eq!(d.logp_and_grad(&[1.0], &mut g)?, -2.0);
    /// assert_eq!(g, [-4.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(comm: Arc<dyn Communicator>, shards: Shards, dim: usize, block: Arc<BlockLogDensityFn>) -> Self {
        ShardedLogDensity { comm, shards, dim, block, prior: None, names: None }
    }

    /// Adds `prior(x)`, computed on every rank (not sharded).
    ///
    /// ```
    /// use probrs::distributed::{Shards, ShardedLogDensity, SingleProcess};
    /// use probrs::mcmc::LogDensity;
    /// use std::sync::Arc;
    /// let comm = Arc::new(SingleProcess);
    /// let d = ShardedLogDensity::new(comm.clone(), Shards::new(4, 2, comm.as_ref())?, 1, Arc::new(|_, _, _| Ok(0.0)))
    ///     .with_prior(Arc::new(|x, g| { g[0] -= x[0]; Ok(-0.5 * x[0] * x[0]) }));
    /// let mut g = [0.0];
    /// assert_eq!(d.logp_and_grad(&[2.0], &mut g)?, -2.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_prior(mut self, prior: Arc<PriorFn>) -> Self {
        self.prior = Some(prior);
        self
    }

    /// Names the coordinates (CmdStan's column names; `x.1`, `x.2`, … otherwise).
    ///
    /// ```
    /// use probrs::distributed::{Shards, ShardedLogDensity, SingleProcess};
    /// use probrs::mcmc::LogDensity;
    /// use std::sync::Arc;
    /// let comm = Arc::new(SingleProcess);
    /// let d = ShardedLogDensity::new(comm.clone(), Shards::new(4, 2, comm.as_ref())?, 2, Arc::new(|_, _, _| Ok(0.0)))
    ///     .with_names(vec!["alpha".into(), "beta".into()])?;
    /// assert_eq!(d.param_names(), vec!["alpha", "beta"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_names(mut self, names: Vec<String>) -> Result<Self> {
        if names.len() != self.dim {
            return Err(crate::error::Error::invalid_parameter("names", format!("{} names for {} coordinates", names.len(), self.dim)));
        }
        self.names = Some(names);
        Ok(self)
    }

    /// The blocks and their ranks.
    ///
    /// ```
    /// use probrs::distributed::{Shards, ShardedLogDensity, SingleProcess};
    /// use std::sync::Arc;
    /// let comm = Arc::new(SingleProcess);
    /// let d = ShardedLogDensity::new(comm.clone(), Shards::new(4, 2, comm.as_ref())?, 1, Arc::new(|_, _, _| Ok(0.0)));
    /// assert_eq!(d.shards().num_blocks(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn shards(&self) -> &Shards {
        &self.shards
    }

    /// The communicator the evaluations run on.
    ///
    /// ```
    /// use probrs::distributed::{Communicator, Shards, ShardedLogDensity, SingleProcess};
    /// use std::sync::Arc;
    /// let comm = Arc::new(SingleProcess);
    /// let d = ShardedLogDensity::new(comm.clone(), Shards::new(4, 2, comm.as_ref())?, 1, Arc::new(|_, _, _| Ok(0.0)));
    /// assert_eq!(d.communicator().size(), 1);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn communicator(&self) -> &dyn Communicator {
        self.comm.as_ref()
    }
}

impl LogDensity for ShardedLogDensity {
    fn dim(&self) -> usize {
        self.dim
    }
    fn logp_and_grad(&self, x: &[f64], grad: &mut [f64]) -> Result<f64> {
        let d = self.dim;
        let local = (|| -> Result<Vec<f64>> {
            let mut out = vec![];
            for b in self.shards.local_blocks() {
                let at = out.len();
                out.resize(at + 1 + d, 0.0);
                out[at] = (self.block)(x, &b, &mut out[at + 1..at + 1 + d])?;
            }
            Ok(out)
        })();
        let sum = self.shards.sum_blocks(self.comm.as_ref(), local, 1 + d)?;
        grad.copy_from_slice(&sum[1..]);
        let mut lp = sum[0];
        if let Some(prior) = &self.prior {
            lp += prior(x, grad)?;
        }
        Ok(lp)
    }
    fn param_names(&self) -> Vec<String> {
        self.names.clone().unwrap_or_else(|| (1..=self.dim).map(|i| format!("x.{i}")).collect())
    }
}

/// NUTS on a [`ShardedLogDensity`]: every rank runs all the chains, one after another (their
/// evaluations are collective), and returns the same run. With `init_radius`, every rank draws
/// the same random starts.
///
/// ```
/// use probrs::distributed::{sample_nuts_sharded, Shards, ShardedLogDensity, SingleProcess};
/// use probrs::mcmc::NutsOptions;
/// use std::sync::Arc;
/// let comm = Arc::new(SingleProcess);
/// let d = ShardedLogDensity::new(comm.clone(), Shards::new(10, 2, comm.as_ref())?, 1, Arc::new(|x, b, g| {
///     g[0] -= 0.1 * b.rows.len() as f64 * x[0];
///     Ok(-0.05 * b.rows.len() as f64 * x[0] * x[0])
/// }));
/// let run = sample_nuts_sharded(&d, &[vec![0.0]], &NutsOptions { num_chains: 2, num_warmup: 100, num_draws: 100, ..Default::default() })?;
/// assert_eq!(run.chains.len(), 2);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn sample_nuts_sharded(density: &ShardedLogDensity, inits: &[Vec<f64>], options: &NutsOptions) -> Result<NutsRun> {
    let sequential = NutsOptions { num_threads: Some(1), ..options.clone() };
    sample_nuts_density(density, inits, &sequential)
}
