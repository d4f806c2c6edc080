//! The distributed checks on MPI processes (feature `mpi`; no test harness: every rank runs
//! `main`). CI runs it as `mpirun --allow-run-as-root --oversubscribe -np 2 <this binary>`;
//! run alone it is one rank. A failed check prints its rank and message and aborts every rank
//! (MPI_Abort), so a failure never leaves a rank waiting.

#[path = "distributed/checks.rs"]
mod checks;

use probrs::distributed::{Communicator, Mpi};
use std::sync::Arc;

fn main() {
    let mpi = Arc::new(Mpi::init().expect("MPI initializes"));
    let comm: Arc<dyn Communicator> = mpi.clone();
    type Check = fn(Arc<dyn Communicator>) -> probrs::Result<()>;
    let all: [(&str, Check); 6] = [
        ("chains across ranks equal one process", |c| checks::chains_across_ranks(c.as_ref())),
        ("data-parallel minimize equals one process", checks::data_parallel_minimize),
        ("data-parallel VI equals one process", checks::data_parallel_vi),
        ("sharded GLM fits equal glm::fit and fit_sparse", checks::sharded_glm_fit),
        ("sharded NUTS reproduces one process", checks::sharded_nuts),
        ("a failing rank is named on every rank", checks::failures_are_named),
    ];
    for (name, check) in all {
        let t = std::time::Instant::now();
        if let Err(e) = check(comm.clone()) {
            mpi.abort(1, &format!("FAILED on rank {} of {}: {name}: {e}", mpi.rank(), mpi.size()));
        }
        if mpi.rank() == 0 {
            println!("ok ({} ranks, {:.2} s): {name}", mpi.size(), t.elapsed().as_secs_f64());
        }
    }
    if mpi.rank() == 0 {
        println!("mpi: {} checks passed on {} ranks", all.len(), mpi.size());
    }
}
