//! `Communicator`: the few collective operations the distributed modes need, and the ranks
//! they run on — one process ([`SingleProcess`]), ranks on threads of one process
//! ([`ThreadRanks`], for tests and for trying a distributed program on one machine without
//! MPI), or MPI's processes (`Mpi`, feature `mpi`).
//!
//! Every operation is collective: every rank calls it, in the same order. A rank that fails
//! still takes part; [`agree`] is how ranks learn that one of them failed, so that all of them
//! return the same [`Error::Rank`] instead of one waiting forever for another.

use crate::error::{Error, Result};
use std::sync::{Arc, Condvar, Mutex};

/// The ranks of a distributed run and their collective operations.
///
/// ```
/// use probrs::distributed::{Communicator, SingleProcess};
/// let comm = SingleProcess;
/// assert_eq!((comm.rank(), comm.size()), (0, 1));
/// assert_eq!(comm.all_gather_f64(&[1.0, 2.0], &[2])?, vec![1.0, 2.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait Communicator: Send + Sync {
    /// This process's (or thread's) rank, from 0.
    fn rank(&self) -> usize;
    /// The number of ranks.
    fn size(&self) -> usize;
    /// Every rank's `local`, concatenated in rank order, on every rank; `counts[r]` is rank
    /// `r`'s length, known to all (a mismatch is an error naming the rank).
    fn all_gather_f64(&self, local: &[f64], counts: &[usize]) -> Result<Vec<f64>>;
    /// Every rank's bytes, in rank order, on every rank (lengths need not be known).
    fn all_gather_bytes(&self, local: &[u8]) -> Result<Vec<Vec<u8>>>;
    /// Every rank's bytes at rank 0 (`Some` there, in rank order; `None` on the others).
    fn gather_bytes(&self, local: &[u8]) -> Result<Option<Vec<Vec<u8>>>>;
}

/// One process: rank 0 of 1. Everything distributed runs unchanged on it.
///
/// ```
/// use probrs::distributed::{Communicator, SingleProcess};
/// assert_eq!(SingleProcess.gather_bytes(b"draws")?, Some(vec![b"draws".to_vec()]));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SingleProcess;

impl Communicator for SingleProcess {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn all_gather_f64(&self, local: &[f64], counts: &[usize]) -> Result<Vec<f64>> {
        check_count(local.len(), counts, 0)?;
        Ok(local.to_vec())
    }
    fn all_gather_bytes(&self, local: &[u8]) -> Result<Vec<Vec<u8>>> {
        Ok(vec![local.to_vec()])
    }
    fn gather_bytes(&self, local: &[u8]) -> Result<Option<Vec<Vec<u8>>>> {
        Ok(Some(vec![local.to_vec()]))
    }
}

/// `local.len()` against `counts[rank]`: a typed error naming the rank.
pub(crate) fn check_count(len: usize, counts: &[usize], rank: usize) -> Result<()> {
    match counts.get(rank) {
        Some(&c) if c == len => Ok(()),
        Some(&c) => Err(Error::ShapeMismatch { context: format!("all_gather: rank {rank}'s buffer vs its announced count"), lhs: vec![len], rhs: vec![c] }),
        None => Err(Error::invalid_parameter("counts", format!("{} counts for rank {rank}", counts.len()))),
    }
}

/// What the ranks on threads share: one slot per rank, the last completed exchange, and who
/// left the group (a rank whose thread returned or panicked can take part in no exchange).
struct Exchange {
    state: Mutex<ExchangeState>,
    changed: Condvar,
}

struct ExchangeState {
    slots: Vec<Vec<u8>>,
    arrived: usize,
    generation: u64,
    completed: Vec<Vec<u8>>,
    departed: Option<(usize, String)>,
}

/// Ranks as threads of one process: [`ThreadRanks::group`] makes `n` communicators, one per
/// thread, that exchange through shared memory. Programs written for MPI run unchanged on them
/// (tests use it to compare 1, 2 and 3 ranks without MPI).
///
/// ```
/// use probrs::distributed::{Communicator, ThreadRanks};
/// let sums: Vec<f64> = std::thread::scope(|s| {
///     let handles: Vec<_> = ThreadRanks::group(3)?.into_iter().map(|comm| s.spawn(move || {
///         let mine = vec![comm.rank() as f64; comm.rank() + 1]; // ranks hold 1, 2 and 3 values
///         comm.all_gather_f64(&mine, &[1, 2, 3]).map(|all| all.iter().sum::<f64>())
///     })).collect();
///     handles.into_iter().map(|h| h.join().expect("rank")).collect::<probrs::Result<Vec<f64>>>()
/// })?;
/// assert_eq!(sums, vec![8.0; 3]); // 0 + 1 + 1 + 2 + 2 + 2 on every rank
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct ThreadRanks {
    rank: usize,
    size: usize,
    exchange: Arc<Exchange>,
}

impl ThreadRanks {
    /// `n` ranks (0 to `n − 1`), one communicator each, to be moved to `n` threads.
    ///
    /// ```
    /// use probrs::distributed::{Communicator, ThreadRanks};
    /// let ranks = ThreadRanks::group(2)?;
    /// assert_eq!((ranks[1].rank(), ranks[1].size()), (1, 2));
    /// assert!(ThreadRanks::group(0).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn group(n: usize) -> Result<Vec<ThreadRanks>> {
        if n == 0 {
            return Err(Error::invalid_parameter("n", "a group needs at least one rank"));
        }
        let state = ExchangeState { slots: vec![vec![]; n], arrived: 0, generation: 0, completed: vec![], departed: None };
        let exchange = Arc::new(Exchange { state: Mutex::new(state), changed: Condvar::new() });
        Ok((0..n).map(|rank| ThreadRanks { rank, size: n, exchange: exchange.clone() }).collect())
    }

    /// Runs `f` on `n` ranks, each on its own thread, and returns their results in rank order.
    /// A rank that returns or panics while others wait in an exchange fails those exchanges
    /// with [`Error::Rank`] naming it, so a run never hangs; a panic is returned as
    /// [`Error::Rank`] too.
    ///
    /// ```
    /// use probrs::distributed::{Communicator, ThreadRanks};
    /// let ranks = ThreadRanks::run(2, |comm| Ok(comm.rank() * 10))?;
    /// assert_eq!(ranks, vec![0, 10]);
    /// // Rank 1 leaves early: rank 0's exchange fails, naming it, instead of waiting forever.
    /// let err = ThreadRanks::run(2, |comm| if comm.rank() == 1 { Ok(vec![]) } else { comm.all_gather_f64(&[1.0], &[1, 1]) }).unwrap_err();
    /// assert!(err.to_string().contains("rank 1"), "{err}");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn run<T: Send>(n: usize, f: impl Fn(&ThreadRanks) -> Result<T> + Sync) -> Result<Vec<T>> {
        let group = Self::group(n)?;
        let f = &f;
        std::thread::scope(|s| {
            let handles: Vec<_> = group
                .into_iter()
                .map(|comm| {
                    s.spawn(move || {
                        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&comm)));
                        let why = match &out {
                            Ok(Ok(_)) => "returned".to_string(),
                            Ok(Err(e)) => format!("returned the error: {e}"),
                            Err(_) => "panicked".to_string(),
                        };
                        comm.depart(why);
                        out.unwrap_or_else(|_| Err(Error::Rank { rank: comm.rank, reason: "panicked".into() }))
                    })
                })
                .collect();
            handles.into_iter().enumerate().map(|(rank, h)| h.join().unwrap_or_else(|_| Err(Error::Rank { rank, reason: "panicked".into() }))).collect()
        })
    }

    /// This rank leaves the group: exchanges waiting for it fail.
    fn depart(&self, why: String) {
        let mut st = self.exchange.state.lock().unwrap_or_else(|p| p.into_inner());
        st.departed.get_or_insert((self.rank, why));
        self.exchange.changed.notify_all();
    }

    /// Every rank's bytes, once all ranks have given theirs (a one-phase barrier: the last to
    /// arrive publishes the slots as the completed exchange).
    fn exchange(&self, local: &[u8]) -> Result<Vec<Vec<u8>>> {
        let ex = &self.exchange;
        let mut st = ex.state.lock().unwrap_or_else(|p| p.into_inner());
        let gone = |st: &ExchangeState| st.departed.as_ref().map(|(rank, why)| Error::Rank { rank: *rank, reason: format!("{why} before an exchange the other ranks entered") });
        if let Some(e) = gone(&st) {
            return Err(e);
        }
        st.slots[self.rank] = local.to_vec();
        st.arrived += 1;
        if st.arrived == self.size {
            st.arrived = 0;
            st.generation += 1;
            st.completed = std::mem::take(&mut st.slots);
            st.slots = vec![vec![]; self.size];
            ex.changed.notify_all();
            return Ok(st.completed.clone());
        }
        let generation = st.generation;
        loop {
            st = ex.changed.wait(st).unwrap_or_else(|p| p.into_inner());
            if st.generation != generation {
                // Nobody completes the next exchange before this rank arrives at it, so the
                // completed one is still this one.
                return Ok(st.completed.clone());
            }
            if let Some(e) = gone(&st) {
                return Err(e);
            }
        }
    }
}

impl Communicator for ThreadRanks {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn all_gather_f64(&self, local: &[f64], counts: &[usize]) -> Result<Vec<f64>> {
        let bytes: Vec<u8> = local.iter().flat_map(|v| v.to_le_bytes()).collect();
        let all = self.exchange(&bytes)?;
        let mut out = Vec::with_capacity(counts.iter().sum());
        for (r, b) in all.iter().enumerate() {
            check_count(b.len() / 8, counts, r)?;
            out.extend(b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))));
        }
        Ok(out)
    }
    fn all_gather_bytes(&self, local: &[u8]) -> Result<Vec<Vec<u8>>> {
        self.exchange(local)
    }
    fn gather_bytes(&self, local: &[u8]) -> Result<Option<Vec<Vec<u8>>>> {
        let all = self.exchange(local)?;
        Ok((self.rank == 0).then_some(all))
    }
}

/// Every rank's outcome, agreed: `Ok` on every rank when every rank succeeded; otherwise the
/// first failing rank's error, as [`Error::Rank`] with its message, on every rank (the
/// failing rank included), so that no rank goes on to a collective the others will not reach.
///
/// ```
/// use probrs::distributed::{agree, Communicator, ThreadRanks};
/// use probrs::Error;
/// // Rank 1 cannot open its data file; every rank learns it, naming rank 1 and the file.
/// let outcomes = ThreadRanks::run(2, |comm| {
///     let loaded = if comm.rank() == 1 { Err(Error::Io { path: "part-1.csv".into(), reason: "not found".into() }) } else { Ok(()) };
///     Ok(agree(comm, loaded).unwrap_err().to_string())
/// });
/// # let outcomes: Vec<String> = outcomes?;
/// assert_eq!(outcomes, vec!["rank 1: part-1.csv: not found"; 2]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn agree<T>(comm: &dyn Communicator, outcome: Result<T>) -> Result<T> {
    let mine = match &outcome {
        Ok(_) => vec![],
        Err(e) => {
            let mut m = vec![1u8];
            m.extend(e.to_string().into_bytes());
            m
        }
    };
    let all = comm.all_gather_bytes(&mine)?;
    match all.iter().enumerate().find(|(_, m)| !m.is_empty()) {
        None => outcome,
        Some((rank, m)) => Err(Error::Rank { rank, reason: String::from_utf8_lossy(&m[1..]).into_owned() }),
    }
}
