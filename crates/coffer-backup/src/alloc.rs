//! glibc's malloc keeps a heap arena per thread (up to 8 per core). rustic_core's
//! thread pools (a restore reads with 20 threads) then leave freed memory resident in
//! many arenas: restoring 1 GiB peaked at 562 MiB RSS, and 2 GiB at 702 MiB. With two
//! arenas the same restores peaked at 276 and 318 MiB, and ran faster. mimalloc was
//! tried instead and did worse (778 MiB).

/// Limits glibc's malloc to two arenas. Call it first thing in `main`, before any
/// thread starts. A no-op on other C libraries, and when `MALLOC_ARENA_MAX` is set
/// (the user's choice wins).
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only changes a malloc tunable; called before other threads
        // exist, it races with nothing. Its result (0 on failure) needs no handling:
        // the default then stays.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}
