//! The process's memory as the kernel counts it (resident set), for honest bytes-per-state
//! figures: everything the run holds, allocator overhead included.

use std::fs;

fn status_kib(field: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resident memory now, in bytes.
pub fn resident_bytes() -> Option<u64> {
    status_kib("VmRSS:").map(|k| k * 1024)
}

/// The highest resident memory since the process started (or since [`reset_peak`]), in bytes.
pub fn peak_resident_bytes() -> Option<u64> {
    status_kib("VmHWM:").map(|k| k * 1024)
}

/// Restarts the kernel's peak count from the current resident size, so that a run's peak is
/// its own even when an earlier run in the same process was larger. Memory an earlier run freed
/// is first handed back to the system: otherwise a later run would reuse it without raising the
/// resident size, and its bytes per state would read too low. Best effort.
pub fn reset_peak() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap memory; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
    let _ = fs::write("/proc/self/clear_refs", "5");
}
