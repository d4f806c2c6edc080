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
fn sharded_glm_fits_equal_glm_fit_and_fit_sparse() {
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

#[test]
fn maximum_likelihood_by_family_on_ranks_equals_one_process() {
    // The likelihood summed over 2 and 3 ranks (16 blocks either way): the same fit, bit for
    // bit. Against the plain fit (one sum over all rows, in another order): the log-likelihood
    // within 1e-9 relative, the parameters within 1e-7 (L-BFGS stops once |∇| ≤ 1e-11, and the
    // other rounding moves where it stops by ~1e-8 relative; the closed forms agree to 1e-15).
    let data: Vec<f64> = (0..701).map(|i| 2.0 + 1.5 * ((i as f64 * 0.37).sin() + 1.2)).collect();
    for family in ["Normal", "Gamma", "Logistic", "Uniform", "Laplace"] {
        let plain = probrs::fit::fit_family(family, &data, &probrs::fit::FitOptions { steps: 300, ..Default::default() }).unwrap();
        let mut fits = vec![];
        for n in [2, 3] {
            let reports = ThreadRanks::run(n, |comm| {
                let opts = probrs::fit::FitOptions { steps: 300, ranks: Some(Arc::new(comm.clone())), ..Default::default() };
                probrs::fit::fit_family(family, &data, &opts).map(|r| (r.parameters, r.log_likelihood))
            })
            .unwrap();
            assert!(reports.iter().all(|r| r == &reports[0]), "{family}: ranks disagree");
            fits.push(reports[0].clone());
        }
        assert_eq!(fits[0], fits[1], "{family}: 2 ranks vs 3 ranks");
        for ((name, a), (_, b)) in fits[0].0.iter().zip(&plain.parameters) {
            assert!((a[0] - b[0]).abs() <= 1e-7 * b[0].abs().max(1.0), "{family} {name}: {} vs {}", a[0], b[0]);
        }
        assert!((fits[0].1 - plain.log_likelihood).abs() < 1e-9 * plain.log_likelihood.abs(), "{family} log-likelihood");
    }
}

#[test]
fn a_rank_that_panics_or_leaves_early_fails_the_others_instead_of_hanging() {
    // Rank 1 panics before the exchange rank 0 waits in; then a rank returns an error without
    // taking part. Either way rank 0's exchange fails naming rank 1, and the run returns.
    let err = ThreadRanks::run(2, |comm| {
        if comm.rank() == 1 {
            panic!("a bug on rank 1");
        }
        comm.all_gather_f64(&[1.0], &[1, 1])
    })
    .unwrap_err();
    assert!(matches!(err, probrs::Error::Rank { rank: 1, .. }), "{err}");
    let err = ThreadRanks::run(3, |comm| {
        if comm.rank() == 1 {
            return Err(probrs::Error::invalid_parameter("data", "unreadable on rank 1"));
        }
        comm.all_gather_f64(&[1.0], &[1, 1, 1])
    })
    .unwrap_err();
    assert!(err.to_string().contains("rank 1"), "{err}");
}
