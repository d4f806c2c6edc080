//! One spare thread for a fork-join of two halves that each take ~10 µs: a single-vector GLM
//! gradient split over two cores (one MCMC chain, W7).
//!
//! rayon's pool is the first thing to reach for, and it costs more than it saves here: called
//! from outside the pool, `in_place_scope` + `spawn` doubled W7's gradient (21 → 43 µs) because
//! the caller blocks on a latch and a sleeping worker must be woken for each call. This thread
//! instead spins on an atomic counter while jobs keep coming (an MCMC chain asks for a gradient
//! every few microseconds), and parks after [`SPIN`] without one, so it costs nothing when idle.
//! No maintained crate offers this shape (a dedicated, spin-then-park helper for one caller);
//! it is hand-written, about a hundred lines.
//!
//! Protocol: the caller stores a job, bumps `posted` and runs its own half; the helper sees
//! `posted` move, runs the job and sets `finished` to the same count; the caller spins until it
//! does. Only one caller at a time: a second thread calling concurrently (chains on threads
//! sharing one GLM) runs both halves itself.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the helper spins for a next job before it parks.
const SPIN: Duration = Duration::from_millis(2);

/// A job: a borrowed closure with its lifetime erased (see the safety note in [`HelperThread::join`]).
type Job = *const (dyn Fn() + Sync);

struct Shared {
    posted: AtomicU64,
    finished: AtomicU64,
    sleeping: AtomicBool,
    panicked: AtomicBool,
    stop: AtomicBool,
    /// Written by the caller before `posted` is bumped, read by the helper after it sees the bump.
    job: UnsafeCell<Option<Job>>,
}

// SAFETY: `job` is written only by the single caller (holding `caller`) before a Release bump of
// `posted`, and read only by the helper after an Acquire load of that bump; the pointee is Sync.
unsafe impl Sync for Shared {}
unsafe impl Send for Shared {}

/// A parked-when-idle thread that runs one half of a [`join`](HelperThread::join).
pub(super) struct HelperThread {
    shared: Arc<Shared>,
    /// Held by the caller of `join` for the duration of the call.
    caller: Mutex<()>,
    handle: Option<JoinHandle<()>>,
}

impl HelperThread {
    /// Starts the thread (it parks at once).
    pub(super) fn new() -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            posted: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            sleeping: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            job: UnsafeCell::new(None),
        });
        let s = shared.clone();
        let handle = std::thread::Builder::new().name("probrs-helper".into()).spawn(move || helper_loop(&s))?;
        Ok(HelperThread { shared, caller: Mutex::new(()), handle: Some(handle) })
    }

    /// Runs `a` on the helper and `b` on the calling thread, and returns when both are done.
    /// When another thread is inside `join` at the same moment, runs both here.
    ///
    /// # Panics
    /// If `a` panicked on the helper (after `b` has run and the helper has finished).
    pub(super) fn join(&self, a: &(dyn Fn() + Sync), b: &dyn Fn()) {
        let Ok(_guard) = self.caller.try_lock() else {
            a();
            b();
            return;
        };
        // SAFETY: the lifetime is erased only for the helper to call `a` before `finished`
        // reaches this job's count; this function does not return (nor unwind: `b` runs inside
        // catch_unwind) before that, so `a` outlives every use.
        let job: Job = unsafe { std::mem::transmute::<&(dyn Fn() + Sync), &'static (dyn Fn() + Sync)>(a) };
        let shared = &*self.shared;
        // SAFETY: see `Shared`: the helper reads `job` only after the bump below.
        unsafe { *shared.job.get() = Some(job) };
        let count = shared.posted.fetch_add(1, Ordering::SeqCst) + 1;
        if shared.sleeping.load(Ordering::SeqCst) {
            if let Some(h) = &self.handle {
                h.thread().unpark();
            }
        }
        let ours = std::panic::catch_unwind(std::panic::AssertUnwindSafe(b));
        let mut spins = 0u32;
        while shared.finished.load(Ordering::Acquire) != count {
            spins += 1;
            if spins < 1 << 14 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        if let Err(p) = ours {
            std::panic::resume_unwind(p);
        }
        if shared.panicked.swap(false, Ordering::AcqRel) {
            panic!("a job on probrs's helper thread panicked");
        }
    }
}

impl Drop for HelperThread {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            h.thread().unpark();
            let _ = h.join();
        }
    }
}

fn helper_loop(s: &Shared) {
    let mut seen = 0u64;
    loop {
        let mut idle_since = Instant::now();
        let mut spins = 0u32;
        let posted = loop {
            if s.stop.load(Ordering::Acquire) {
                return;
            }
            let p = s.posted.load(Ordering::Acquire);
            if p != seen {
                break p;
            }
            spins = spins.wrapping_add(1);
            if spins % 64 != 0 || idle_since.elapsed() < SPIN {
                std::hint::spin_loop();
                continue;
            }
            s.sleeping.store(true, Ordering::SeqCst);
            if s.posted.load(Ordering::SeqCst) == seen && !s.stop.load(Ordering::SeqCst) {
                std::thread::park_timeout(Duration::from_millis(50));
            }
            s.sleeping.store(false, Ordering::SeqCst);
            idle_since = Instant::now();
        };
        seen = posted;
        // SAFETY: see `Shared`; the caller is waiting for `finished == posted`.
        if let Some(job) = unsafe { (*s.job.get()).take() } {
            // SAFETY: the caller keeps the closure alive until `finished` is set below.
            let f = unsafe { &*job };
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err() {
                s.panicked.store(true, Ordering::Release);
            }
        }
        s.finished.store(seen, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn both_halves_run_every_time_and_after_idle_parking() {
        let h = HelperThread::new().unwrap();
        let (a, b) = (AtomicUsize::new(0), AtomicUsize::new(0));
        for round in 0..2000 {
            h.join(&|| {
                a.fetch_add(1, Ordering::Relaxed);
            }, &|| {
                b.fetch_add(1, Ordering::Relaxed);
            });
            if round == 1000 {
                // Longer than SPIN: the helper parks and must be woken by the next join.
                std::thread::sleep(SPIN * 3);
            }
        }
        assert_eq!((a.into_inner(), b.into_inner()), (2000, 2000));
    }

    #[test]
    fn concurrent_callers_fall_back_to_running_both_halves() {
        let h = Arc::new(HelperThread::new().unwrap());
        let total = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..3).map(|_| {
            let (h, total) = (h.clone(), total.clone());
            std::thread::spawn(move || {
                for _ in 0..500 {
                    h.join(&|| {
                        total.fetch_add(1, Ordering::Relaxed);
                    }, &|| {
                        total.fetch_add(1, Ordering::Relaxed);
                    });
                }
            })
        }).collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(total.load(Ordering::Relaxed), 3000);
    }

    #[test]
    fn a_panicking_job_is_reported_to_the_caller_and_the_helper_survives() {
        let h = HelperThread::new().unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.join(&|| panic!("job"), &|| ())));
        assert!(r.is_err());
        let n = AtomicUsize::new(0);
        h.join(&|| {
            n.fetch_add(1, Ordering::Relaxed);
        }, &|| ());
        assert_eq!(n.into_inner(), 1);
    }
}
