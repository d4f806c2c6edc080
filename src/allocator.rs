//! The allocator settings probrs's binaries and examples run with (imports nothing of ours).
//!
//! The CLI and the examples use mimalloc as their global allocator. A training loop frees and
//! reallocates the same large buffers every step (a dense layer's outputs, kept for its backward
//! pass). Two of mimalloc's defaults made the kernel hand out freshly zeroed memory for them
//! again and again, measured by profiles of training steps (`clear_page_erms` under page
//! faults):
//!
//! - transparent huge pages: with them, each fault zeroes a whole 2 MiB page; the MAF of bench
//!   W8 spent a fifth of its step there and its time per step varied 0.056–0.077 s from run to
//!   run (system time 0.3–1.2 s in a 2 s run); without, 0.056–0.058 s and 0.01 s;
//! - purging (returning freed memory to the operating system a moment after it is freed): 4% of
//!   the VAE's step.
//!
//! Peak memory is unchanged: nothing a run frees for good is needed back by the OS before the
//! process ends.

/// Tells mimalloc not to use transparent huge pages (`allow_thp` = 0) and never to return freed
/// memory to the operating system (`purge_delay` = −1) (module doc). Call it first thing in
/// `main`; it affects mimalloc only, so it is harmless where another global allocator is in use.
///
/// ```
/// probrs::allocator::retain_freed_memory();
/// ```
pub fn retain_freed_memory() {
    // The options' indices in mimalloc v3's `mi_option_t` (libmimalloc-sys builds v3).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    const ALLOW_THP: libmimalloc_sys::mi_option_t = 43;
    // SAFETY: setting an option is a plain store; mimalloc documents mi_option_set as not
    // thread safe, and this runs at the start of `main`, before any other thread exists.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, -1);
        libmimalloc_sys::mi_option_set(ALLOW_THP, 0);
    }
}
