//! Past one machine: many chains, sharded data and sharded likelihoods over MPI (Stan's
//! multi-process support, TFP's `tf.distribute` data parallelism).
//!
//! Three modes, each giving the numbers one process gives:
//! - **Chains across ranks** ([`sample_nuts`], [`sample_chain`]): each rank runs its share of
//!   the chains, seeded by global chain index, and rank 0 gathers the draws (or each rank writes
//!   its chains' CmdStan CSV: [`sample_nuts_to_csv`]). 16 chains on 4 ranks are the 16 chains
//!   of one process, bit for bit.
//! - **Data-parallel fits** ([`ShardedSum`], [`glm_fit`], [`glm_fit_sparse`]): each rank
//!   loads only its rows ([`Shards`]); a loss written as a sum over row blocks is evaluated and
//!   differentiated block by block and the blocks' partials are added in block order, so
//!   `minimize`, `fit_surrogate_posterior`, Fisher scoring and the elastic net run unchanged on
//!   every rank and give the same fit, bit for bit, on any number of ranks.
//! - **Sharded log-density for MCMC** ([`ShardedLogDensity`], or a [`ShardedSum`] inside a
//!   target): each gradient evaluation sums the likelihood over ranks (Stan's `map_rect`);
//!   NUTS on 2 ranks reproduces 1 rank's draws.
//!
//! The ranks come from a [`Communicator`]: [`SingleProcess`], [`ThreadRanks`] (ranks on
//! threads of one process, for tests and trials) or `Mpi` (feature `mpi`: run the program
//! under `mpirun -np 4 …`). Every collective is called by every rank in the same order; a rank
//! that fails tells the others through the next collective ([`agree`], or the block sums), so
//! all of them return the same [`crate::Error::Rank`] naming it instead of waiting forever.
//!
//! ```
//! use probrs::distributed::{sample_nuts, ThreadRanks};
//! use probrs::mcmc::{sample_nuts_density, LogDensity, NutsOptions};
//! struct StdNormal;
//! impl LogDensity for StdNormal {
//!     fn dim(&self) -> usize {
//!         1
//!     }
//!     fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> probrs::Result<f64> {
//!         g[0] = -x[0];
//!         Ok(-0.5 * x[0] * x[0])
//!     }
//! }
//! // 4 chains on 2 ranks; under MPI, `let comm = probrs::distributed::Mpi::init()?;`.
//! let runs = ThreadRanks::run(2, |comm| {
//!     let o = NutsOptions { num_chains: 4, num_warmup: 200, num_draws: 200, ..Default::default() };
//!     sample_nuts(comm, &o, |local| sample_nuts_density(&StdNormal, &[vec![0.0]], local))
//! })?;
//! let run = runs[0].as_ref().expect("rank 0 gathers the chains");
//! assert_eq!(run.chains.len(), 4);
//! # Ok::<(), probrs::Error>(())
//! ```

mod chains;
mod communicator;
mod glm_fit;
#[cfg(feature = "mpi")]
mod mpi;
mod sharded_log_density;
mod sharded_sum;
mod shards;

pub use chains::{local_chains, sample_chain, sample_nuts, sample_nuts_to_csv, GatheredChains};
pub use communicator::{agree, Communicator, SingleProcess, ThreadRanks};
pub use glm_fit::{glm_fit, glm_fit_sparse, GLM_BLOCK_ROWS};
#[cfg(feature = "mpi")]
pub use mpi::Mpi;
pub use sharded_log_density::{sample_nuts_sharded, BlockLogDensityFn, PriorFn, ShardedLogDensity};
pub use sharded_sum::ShardedSum;
pub use shards::{Block, Shards};
