//! What only the `probrs` binary needs: one file per subcommand (`fit`, `vi`, `demo`, `bench`, `summary`, `sample`, `lmer`, `forecast`)
//! and the helpers they share (exit codes, progress bars, plot-path checks, the ranks of an MPI run). Nothing here is
//! part of the library; `main.rs` parses the command line and calls into these.

pub(crate) mod bench;
pub(crate) mod bench_ranks;
pub(crate) mod demo;
pub(crate) mod fit;
pub(crate) mod forecast;
pub(crate) mod lmer;
pub(crate) mod ranks;
pub(crate) mod sample;
pub(crate) mod summary;
pub(crate) mod vi;

use std::process::ExitCode;

/// 1 for bad input, 2 for a numerical failure (a non-finite loss or gradient, a matrix that is
/// not positive definite).
pub(crate) fn exit_code(e: &probrs::Error) -> ExitCode {
    match e {
        probrs::Error::NonFinite { .. } | probrs::Error::LinearAlgebra { .. } => ExitCode::from(2),
        _ => ExitCode::from(1),
    }
}

/// Prints the one-line error and returns its exit code.
pub(crate) fn fail(e: probrs::Error) -> ExitCode {
    eprintln!("error: {e}");
    exit_code(&e)
}

/// A progress bar unless `quiet` (drawn only on a terminal).
pub(crate) fn bar(quiet: bool, steps: usize, label: &str) -> probrs::progress::ProgressBar {
    if quiet {
        probrs::progress::ProgressBar::hidden()
    } else {
        probrs::progress::ProgressBar::new(steps, label)
    }
}

/// Plot paths are checked before any work, so a bad one fails at once.
pub(crate) fn check_plot_paths(paths: &[Option<&str>]) -> probrs::Result<()> {
    paths.iter().flatten().try_for_each(|p| probrs::plot::check_path(p))
}
