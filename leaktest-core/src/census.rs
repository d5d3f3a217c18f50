//! The handle census: open file descriptors, threads and child processes.
//!
//! On Linux the counts come from `/proc/self`: the entries of `/proc/self/fd`,
//! the `Threads:` line of `/proc/self/status`, and the `children` lists of every
//! thread in `/proc/self/task`. Elsewhere each count is `None` ("not measured")
//! rather than a wrong number.
//!
//! ```
//! let counts = leaktest_core::census::HandleCounts::now();
//! if cfg!(target_os = "linux") {
//!     assert!(counts.threads.unwrap_or(0) >= 1);
//! }
//! ```

/// One reading of the handle census. `None` means the platform cannot measure it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HandleCounts {
    /// Open file descriptors of the process.
    pub fds: Option<i64>,
    /// Threads of the process.
    pub threads: Option<i64>,
    /// Child processes not yet reaped.
    pub children: Option<i64>,
}

impl HandleCounts {
    /// Reads all three counts now.
    pub fn now() -> HandleCounts {
        HandleCounts {
            fds: open_fds(),
            threads: threads(),
            children: child_processes(),
        }
    }
}

/// Why the census is not measured on this platform, or `None` where it is.
pub fn unmeasured_reason() -> Option<&'static str> {
    if cfg!(target_os = "linux") {
        None
    } else {
        Some("handle census needs Linux /proc; not measured on this platform")
    }
}

/// Open file descriptors of this process.
#[cfg(target_os = "linux")]
pub fn open_fds() -> Option<i64> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    // read_dir itself holds one descriptor on the directory while listing it.
    let listed = entries.filter(|entry| entry.is_ok()).count() as i64;
    Some(listed - 1)
}

/// Open file descriptors of this process.
#[cfg(not(target_os = "linux"))]
pub fn open_fds() -> Option<i64> {
    None
}

/// Threads of this process.
#[cfg(target_os = "linux")]
pub fn threads() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_threads_line(&status)
}

/// Threads of this process.
#[cfg(not(target_os = "linux"))]
pub fn threads() -> Option<i64> {
    None
}

/// The number on the `Threads:` line of a `/proc/<pid>/status` text.
pub fn parse_threads_line(status: &str) -> Option<i64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|value| value.trim().parse().ok())
}

/// Child processes of this process that have not been reaped (zombies included).
#[cfg(target_os = "linux")]
pub fn child_processes() -> Option<i64> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    let mut children = 0i64;
    let mut readable = false;
    for task in tasks.flatten() {
        let mut path = task.path();
        path.push("children");
        if let Ok(list) = std::fs::read_to_string(&path) {
            readable = true;
            children += list.split_whitespace().count() as i64;
        }
    }
    readable.then_some(children)
}

/// Child processes of this process that have not been reaped.
#[cfg(not(target_os = "linux"))]
pub fn child_processes() -> Option<i64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_threads_line() {
        let status = "Name:\tx\nUmask:\t0022\nThreads:\t7\nSigQ:\t0/1\n";
        assert_eq!(parse_threads_line(status), Some(7));
        assert_eq!(parse_threads_line("Name: x\n"), None);
    }
}
