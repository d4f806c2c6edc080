//! `Mpi`: the [`Communicator`] over MPI's world (feature `mpi`; the `mpi` crate, any MPI
//! library: OpenMPI from Debian's `openmpi-bin` and `libopenmpi-dev` is what CI uses).
//!
//! Start the program with `mpirun -np 4 …`; [`Mpi::init`] once in `main`, keep the value
//! until the end (dropping it finalizes MPI). A rank that must stop while others may be inside
//! a collective calls [`Mpi::abort`], which ends every rank at once (MPI_Abort) rather than
//! leaving them waiting.

use super::communicator::{check_count, Communicator};
use crate::error::{Error, Result};
use mpi::datatype::PartitionMut;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator as _, Root as _, CommunicatorCollectives as _};
use std::sync::Mutex;

/// MPI's world communicator and the MPI environment (finalized when dropped).
///
/// ```no_run
/// use probrs::distributed::{Communicator, Mpi};
/// // Run as `mpirun -np 2 my_program`.
/// let mpi = Mpi::init()?;
/// let all = mpi.all_gather_f64(&[mpi.rank() as f64], &[1, 1])?;
/// assert_eq!(all, vec![0.0, 1.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct Mpi {
    // Declared first so it drops (frees nothing: the world is static) before the universe,
    // whose drop finalizes MPI.
    world: Mutex<SimpleCommunicator>,
    rank: usize,
    size: usize,
    _universe: mpi::environment::Universe,
}

// SAFETY: MPI is initialized with at least `Threading::Serialized` (checked in `init`), and
// every call on the communicator goes through the mutex, so no two threads call MPI at once.
unsafe impl Send for Mpi {}
unsafe impl Sync for Mpi {}

fn count(n: usize, what: &str) -> Result<i32> {
    i32::try_from(n).map_err(|_| Error::invalid_parameter(what, format!("{n} elements is more than one MPI message carries (2³¹ − 1)")))
}

impl Mpi {
    /// Initializes MPI (once per process) and returns the world. Outside `mpirun` it is a world
    /// of one rank. A second call, or an MPI library without serialized threading, is an error.
    ///
    /// ```no_run
    /// use probrs::distributed::{Communicator, Mpi};
    /// let mpi = Mpi::init()?;
    /// if mpi.rank() == 0 {
    ///     println!("{} ranks", mpi.size());
    /// }
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn init() -> Result<Mpi> {
        let (universe, threading) = mpi::initialize_with_threading(mpi::Threading::Serialized)
            .ok_or_else(|| Error::invalid_parameter("Mpi::init", "MPI is already initialized in this process"))?;
        if threading < mpi::Threading::Serialized {
            return Err(Error::invalid_parameter("Mpi::init", format!("the MPI library offers only {threading:?} threading; serialized is needed")));
        }
        let world = universe.world();
        let (rank, size) = (world.rank() as usize, world.size() as usize);
        Ok(Mpi { world: Mutex::new(world), rank, size, _universe: universe })
    }

    /// Ends every rank now with `code` (MPI_Abort), after printing `message` on this rank's
    /// standard error: what a rank does when it cannot tell the others through a collective.
    ///
    /// ```no_run
    /// use probrs::distributed::Mpi;
    /// let mpi = Mpi::init()?;
    /// mpi.abort(1, "rank 1: data.csv: No such file or directory");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn abort(&self, code: i32, message: &str) -> ! {
        eprintln!("{message}");
        self.world().abort(code)
    }

    fn world(&self) -> std::sync::MutexGuard<'_, SimpleCommunicator> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Communicator for Mpi {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn all_gather_f64(&self, local: &[f64], counts: &[usize]) -> Result<Vec<f64>> {
        check_count(local.len(), counts, self.rank)?;
        if counts.len() != self.size {
            return Err(Error::invalid_parameter("counts", format!("{} counts for {} ranks", counts.len(), self.size)));
        }
        let c: Vec<i32> = counts.iter().map(|&n| count(n, "all_gather_f64")).collect::<Result<_>>()?;
        let displs: Vec<i32> = c.iter().scan(0i32, |acc, &n| { let d = *acc; *acc += n; Some(d) }).collect();
        count(counts.iter().sum(), "all_gather_f64")?;
        let mut out = vec![0.0f64; counts.iter().sum()];
        if !out.is_empty() {
            let mut part = PartitionMut::new(&mut out[..], c, displs);
            self.world().all_gather_varcount_into(local, &mut part);
        }
        Ok(out)
    }
    fn all_gather_bytes(&self, local: &[u8]) -> Result<Vec<Vec<u8>>> {
        let (lengths, c, displs) = self.byte_counts(local.len())?;
        let mut out = vec![0u8; lengths.iter().sum::<u64>() as usize];
        // With nothing to send anywhere, every rank skips the exchange (MPI rejects it).
        if !out.is_empty() {
            let mut part = PartitionMut::new(&mut out[..], c.clone(), displs.clone());
            self.world().all_gather_varcount_into(local, &mut part);
        }
        Ok(displs.iter().zip(&c).map(|(&d, &n)| out[d as usize..(d + n) as usize].to_vec()).collect())
    }
    fn gather_bytes(&self, local: &[u8]) -> Result<Option<Vec<Vec<u8>>>> {
        // Every rank learns every length, so all of them agree on skipping an empty exchange.
        let (lengths, c, displs) = self.byte_counts(local.len())?;
        let total = lengths.iter().sum::<u64>() as usize;
        let world = self.world();
        let root = world.process_at_rank(0);
        if self.rank != 0 {
            if total > 0 {
                root.gather_varcount_into(local);
            }
            return Ok(None);
        }
        let mut out = vec![0u8; total];
        if total > 0 {
            let mut part = PartitionMut::new(&mut out[..], c.clone(), displs.clone());
            root.gather_varcount_into_root(local, &mut part);
        }
        Ok(Some(displs.iter().zip(&c).map(|(&d, &n)| out[d as usize..(d + n) as usize].to_vec()).collect()))
    }
}

impl Mpi {
    /// Every rank's byte count, as MPI's counts and displacements (a total over 2³¹ − 1 is an
    /// error on every rank alike).
    fn byte_counts(&self, mine: usize) -> Result<(Vec<u64>, Vec<i32>, Vec<i32>)> {
        let mut lengths = vec![0u64; self.size];
        self.world().all_gather_into(&(mine as u64), &mut lengths[..]);
        count(lengths.iter().sum::<u64>() as usize, "gathered bytes")?;
        let c: Vec<i32> = lengths.iter().map(|&n| n as i32).collect();
        let displs: Vec<i32> = c.iter().scan(0i32, |acc, &n| { let d = *acc; *acc += n; Some(d) }).collect();
        Ok((lengths, c, displs))
    }
}
