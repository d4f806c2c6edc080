//! MCMC, TFP's `tfp.mcmc` (issue 14, landing in parts). In this part: the convergence
//! diagnostics of Vehtari et al. (2021) as the R `posterior` package and ArviZ compute them
//! (`rhat`, `ess_bulk`, `ess_tail`, `mcse_*`, ...), TFP's `effective_sample_size` and
//! `potential_scale_reduction`, a reader of CmdStan's CSV output and the summary table
//! (`probrs summary` prints it); the `TransitionKernel` interface, `MetropolisHastings`,
//! `RandomWalkMetropolis`, `HamiltonianMonteCarlo`, `NoUTurnSampler`, `sample_chain`, step-size
//! adaptation (`SimpleStepSizeAdaptation`, `DualAveragingStepSizeAdaptation`),
//! `TransformedTransitionKernel`; Stan's NUTS in one call (`sample_nuts`: chains on threads,
//! windowed warm-up of the step size and a diagonal or dense `Metric`) over a flat
//! `LogDensity` or a target over a `Structure`.

mod cmdstan_csv;
mod diagnostics;
mod hamiltonian_monte_carlo;
mod integrator;
mod kernel;
mod langevin;
mod log_density;
mod metric;
mod no_u_turn_sampler;
mod sample_nuts;
mod slice_sampler;
mod windowed_adaptation;
mod metropolis_hastings;
mod random_walk_metropolis;
mod replica_exchange_mc;
mod sample_chain;
mod step_size_adaptation;
mod transformed_log_density;
mod transformed_transition_kernel;
mod summary;

pub use cmdstan_csv::CmdStanCsv;
pub use hamiltonian_monte_carlo::{HamiltonianMonteCarlo, UncalibratedHamiltonianMonteCarlo, UncalibratedHamiltonianMonteCarloResults};
pub use kernel::{ProposalResults, TargetLogProbFn, TransitionKernel};
pub use langevin::{MetropolisAdjustedLangevinAlgorithm, UncalibratedLangevin, UncalibratedLangevinResults, VolatilityFn};
pub use log_density::{Layout, LogDensity, StructureLogDensity};
pub use metric::Metric;
pub use no_u_turn_sampler::{NoUTurnSampler, NoUTurnSamplerResults, NutsStats};
pub use sample_nuts::{sample_nuts, sample_nuts_density, sample_nuts_pinned, sample_nuts_transformed, ChainFailure, ChainProgressFn, MetricKind, NutsChain, NutsOptions, NutsRun};
pub use windowed_adaptation::adaptation_windows;
pub use metropolis_hastings::{MetropolisHastings, MetropolisHastingsResults};
pub use random_walk_metropolis::{random_walk_normal_fn, random_walk_uniform_fn, NewStateFn, RandomWalkMetropolis, UncalibratedRandomWalk, UncalibratedRandomWalkResults};
pub use replica_exchange_mc::{ReplicaExchangeMC, ReplicaExchangeMCResults};
pub use sample_chain::{sample_chain, sample_chain_on_threads, ChainResults, SampleChainOptions};
pub(crate) use sample_chain::{num_chains, run_chains_alone};
pub use transformed_log_density::TransformedLogDensity;
pub use transformed_transition_kernel::{TransformedTransitionKernel, TransformedTransitionKernelResults};
pub use step_size_adaptation::{
    DualAveragingStepSizeAdaptation, DualAveragingStepSizeAdaptationResults, ProposalStepSize, SimpleStepSizeAdaptation, SimpleStepSizeAdaptationResults, StepSizeResults,
};
pub use slice_sampler::{SliceSampler, SliceSamplerResults};
pub use summary::{summarize, summarize_cmdstan, CmdStanSummary, SummaryRow};
pub(crate) use diagnostics::{mean, var};
pub use diagnostics::{
    effective_sample_size, ess_basic, ess_bulk, ess_mean, ess_median, ess_quantile, ess_sd, ess_tail, mcse_mean, mcse_median, mcse_quantile, mcse_sd,
    potential_scale_reduction, rhat, rhat_basic, EffectiveSampleSizeOptions,
};
