//! The distributed modes on ranks that are threads of this process (no MPI needed): chains
//! across ranks, data-parallel fits, the sharded log-density and failures, each on 2 and 3
//! ranks against one process. `tests/mpi.rs` runs the same checks on MPI processes.

#[path = "distributed/checks.rs"]
mod checks;

use probrs::distributed::{Communicator, ThreadRanks};
use std::sync::Arc;

fn on_ranks(f: impl Fn(Arc<dyn Communicator>) -> probrs::Result<()> + Sync) {
    for n in [2, 3] {
        let outcomes = ThreadRanks::run(n, |comm| f(Arc::new(comm.clone()))).unwrap_or_else(|e| panic!("{n} ranks: {e}"));
        assert_eq!(outcomes.len(), n);
    }
}

#[test]
fn chains_across_ranks_equal_one_process() {
    on_ranks(|comm| checks::chains_across_ranks(comm.as_ref()));
}

#[test]
fn data_parallel_minimize_equals_one_process() {
    on_ranks(checks::data_parallel_minimize);
}

#[test]
fn data_parallel_vi_equals_one_process() {
    on_ranks(checks::data_parallel_vi);
}

#[test]
fn sharded_glm_fit_equals_glm_fit() {
    on_ranks(checks::sharded_glm_fit);
}

#[test]
fn sharded_nuts_reproduces_one_process() {
    on_ranks(checks::sharded_nuts);
}

#[test]
fn a_failing_rank_is_named_on_every_rank() {
    on_ranks(checks::failures_are_named);
}
