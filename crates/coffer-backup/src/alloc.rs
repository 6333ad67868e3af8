//! glibc's malloc keeps a heap arena per thread (up to 8 per core). rustic_core's
//! thread pools (a restore reads with 20 threads) then leave freed memory resident in
//! many arenas: restoring 1 GiB peaked at 562 MiB RSS, and 2 GiB at 702 MiB. With two
//! arenas the same restores peaked at 276 and 318 MiB, and ran faster. mimalloc was
//! tried instead and did worse (778 MiB).
//!
//! glibc also raises its mmap threshold each time a large block is freed (up to
//! 32 MiB), after which pack-sized buffers come from the heap and stay resident when
//! freed. A fixed threshold keeps large buffers (packs, restore ranges) in their own
//! mappings, returned to the system when freed. At 1 MiB (every blob too) the P5
//! backup peaked at 102–119 MiB instead of 133–156, but took 25% longer (a mapping per
//! blob); at 4 MiB it peaked at 126–147 MiB and kept its speed (`bench/backup.sh`
//! tree, 2026-12-01).

/// Limits glibc's malloc to two arenas and fixes its mmap threshold at 4 MiB. Call it
/// first thing in `main`, before any thread starts. A no-op on other C libraries; a
/// tunable the user set (`MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`) wins.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes a malloc tunable; called before other threads
        // exist, it races with nothing. Its result (0 on failure) needs no handling:
        // the default then stays.
        #[allow(unsafe_code)]
        let set = |param: libc::c_int, value: libc::c_int| unsafe {
            libc::mallopt(param, value);
        };
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            set(libc::M_ARENA_MAX, 2);
        }
        if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
            set(libc::M_MMAP_THRESHOLD, 4 << 20);
        }
    }
}
