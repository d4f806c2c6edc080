//! The ranks a command runs on: MPI's world when the binary is built with feature `mpi` (one
//! rank outside `mpirun`), else this process alone. Only rank 0 prints and writes; a failure
//! agreed by every rank ([`probrs::Error::Rank`]) is printed once by rank 0, and any other
//! failure on a rank stops every rank with MPI_Abort, so none is left waiting.

use probrs::distributed::Communicator;
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) struct Ranks {
    pub comm: Arc<dyn Communicator>,
    #[cfg(feature = "mpi")]
    mpi: Arc<probrs::distributed::Mpi>,
}

impl Ranks {
    fn start() -> probrs::Result<Ranks> {
        #[cfg(feature = "mpi")]
        {
            let mpi = Arc::new(probrs::distributed::Mpi::init()?);
            Ok(Ranks { comm: mpi.clone(), mpi })
        }
        #[cfg(not(feature = "mpi"))]
        Ok(Ranks { comm: Arc::new(probrs::distributed::SingleProcess) })
    }

    /// Whether this rank prints and writes.
    pub fn is_root(&self) -> bool {
        self.comm.rank() == 0
    }

    /// The communicator when there is more than one rank.
    pub fn distributed(&self) -> Option<Arc<dyn Communicator>> {
        (self.comm.size() > 1).then(|| self.comm.clone())
    }

    /// Every rank's outcome of a step that may fail on some ranks only (reading a file,
    /// checking arguments), agreed.
    pub fn agree<T>(&self, outcome: probrs::Result<T>) -> probrs::Result<T> {
        probrs::distributed::agree(self.comm.as_ref(), outcome)
    }

    fn finish(self, result: probrs::Result<()>) -> ExitCode {
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if self.comm.size() == 1 => super::fail(e),
            Err(e @ probrs::Error::Rank { .. }) => {
                if self.is_root() {
                    eprintln!("error: {e}");
                }
                super::exit_code(&e)
            }
            #[cfg(feature = "mpi")]
            Err(e) => {
                let code = if super::exit_code(&e) == ExitCode::from(2) { 2 } else { 1 };
                self.mpi.abort(code, &format!("error: rank {} of {}: {e} (stopping every rank)", self.comm.rank(), self.comm.size()))
            }
            #[cfg(not(feature = "mpi"))]
            Err(e) => super::fail(e),
        }
    }
}

/// Runs a command on the ranks and turns its outcome into the process's exit code.
pub(crate) fn run(command: impl FnOnce(&Ranks) -> probrs::Result<()>) -> ExitCode {
    let ranks = match Ranks::start() {
        Ok(r) => r,
        Err(e) => return super::fail(e),
    };
    let result = command(&ranks);
    ranks.finish(result)
}
