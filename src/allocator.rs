//! The allocator settings probrs's binaries and examples run with (imports nothing of ours).
//!
//! The CLI and the examples use mimalloc as their global allocator. A training loop frees and
//! reallocates the same large buffers every step (a dense layer's outputs, kept for its backward
//! pass). Two defaults made the kernel zero memory for them more often than needed, measured
//! by profiles of training steps (`clear_page_erms` under page faults):
//!
//! - transparent huge pages: each first touch of a huge page zeroes 2 MiB at once, so the first
//!   epochs of a fit pay for memory in 2 MiB steps (the VAE's first epoch 0.21–0.23 s with them,
//!   0.085 s without; its later epochs the same either way). mimalloc reads its own `allow_thp`
//!   option when it starts, before `main` (setting it afterwards did nothing: the process still
//!   faulted its 180 MB in ~300 huge pages), so the process turns THP off itself
//!   (`prctl(PR_SET_THP_DISABLE)`, Linux), which the kernel checks at every fault;
//! - purging (returning freed memory to the operating system a moment after it is freed): 4% of
//!   the VAE's step, and the MAF of bench W8 varied 0.056–0.077 s per step from run to run
//!   with it, 0.056–0.058 s without.
//!
//! Peak memory is unchanged: nothing a run frees for good is needed back by the OS before the
//! process ends.

/// Turns off transparent huge pages for this process and tells mimalloc never to return freed
/// memory to the operating system (`purge_delay` = −1) (module doc). Call it first thing in
/// `main`; the purge setting affects mimalloc only, so it is harmless where another global
/// allocator is in use.
///
/// ```
/// probrs::allocator::retain_freed_memory();
/// ```
pub fn retain_freed_memory() {
    // The option's index in mimalloc v3's `mi_option_t` (libmimalloc-sys builds v3).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: setting an option is a plain store; mimalloc documents mi_option_set as not
    // thread safe, and this runs at the start of `main`, before any other thread exists.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, -1);
    }
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and changes no memory of ours.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
