//! Process plumbing shared by the runner side ([`crate::isolation`],
//! [`crate::protocol`]) and the test's supervisor ([`crate::keeper`]): signals
//! to process groups, exits observed without reaping, and (Linux) the child
//! processes of this process, found through `/proc`.
//!
//! Every function here is a thin, checked wrapper of one system call or one
//! `/proc` read; the decisions live with the callers.

/// How a process ended, as its parent saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct ExitStatus {
    /// Its exit code, when it exited.
    pub(crate) code: Option<i32>,
    /// The signal that killed it, when one did.
    pub(crate) signal: Option<i32>,
}

impl ExitStatus {
    /// True for an exit with code 0.
    pub(crate) fn success(self) -> bool {
        self.code == Some(0) && self.signal.is_none()
    }
}

impl From<std::process::ExitStatus> for ExitStatus {
    fn from(status: std::process::ExitStatus) -> ExitStatus {
        #[cfg(unix)]
        let signal = {
            use std::os::unix::process::ExitStatusExt;
            status.signal()
        };
        #[cfg(not(unix))]
        let signal = None;
        ExitStatus {
            code: status.code(),
            signal,
        }
    }
}

/// Sets SIGCHLD back to its default disposition when this process was
/// started with it ignored (a parent may leave it so, and `exec` keeps an
/// ignored disposition). Ignored, the kernel reaps every child on its own,
/// and a process waiting for one (`waitpid`, `waitid`) gets `ECHILD` instead
/// of its exit status. A handler the program installed is left alone.
#[cfg(unix)]
pub(crate) fn restore_default_child_signal() {
    // SAFETY: sigaction with a null new action only reads the disposition
    // into the struct we pass; setting SIG_DFL has no preconditions.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut current) == 0
            && current.sa_sigaction == libc::SIG_IGN
        {
            libc::signal(libc::SIGCHLD, libc::SIG_DFL);
        }
    }
}

/// Sends `signal` to every process of process group `group`. A group that is
/// gone already is not an error: the caller wanted it gone.
#[cfg(unix)]
pub(crate) fn signal_group(group: u32, signal: i32) {
    let Ok(group) = libc::pid_t::try_from(group) else {
        return;
    };
    if group <= 1 {
        // -1 and -0 would mean every process of the user, or our own group.
        return;
    }
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(-group, signal);
    }
}

/// Sends `signal` to process `pid` (never to a group: 0 and -1 are refused).
#[cfg(unix)]
pub(crate) fn signal_process(pid: u32, signal: i32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    if pid <= 0 {
        return;
    }
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Waits until child `pid` of this process has exited, without reaping it:
/// until it is reaped its process id (and so its process group id) cannot be
/// reused, so its group can still be signalled safely. With `block` false,
/// only checks. True when it has exited (or cannot be waited for at all).
#[cfg(target_os = "linux")]
pub(crate) fn exited_unreaped(pid: u32, block: bool) -> bool {
    let options = libc::WEXITED | libc::WNOWAIT | if block { 0 } else { libc::WNOHANG };
    loop {
        // SAFETY: waitid writes only into the siginfo_t we pass.
        let (result, exited_pid) = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let result = libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, options);
            (result, info.si_pid())
        };
        if result == 0 {
            return exited_pid != 0;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return true;
        }
    }
}

/// A child process of this process, as the kernel's `waitid` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OwnChild {
    /// Its process id.
    pub(crate) pid: u32,
    /// Whether it has ended (a zombie not yet reaped).
    pub(crate) has_ended: bool,
}

/// The child processes of this process (of any of its threads).
///
/// A process that runs one thread (`single_threaded`, as the keeper does)
/// reads that thread's `children` list, where the kernel keeps one: one
/// file, whatever runs on the machine. A read of it that lists nothing
/// means there was no child at that moment; one made while children come
/// and go may miss some, which the callers' rounds (kill, reap, list again
/// until nothing is left) find in the next round. Otherwise every process
/// `/proc` lists is asked about with `waitid`, which fails with `ECHILD` for
/// a process that is not our child: one system call per process on the
/// machine, where reading each `/proc/<pid>/stat` for its parent took a path
/// lookup, an open, several reads and a close. Processes started or ended
/// meanwhile may be missed; a child that exists throughout is always found.
#[cfg(target_os = "linux")]
pub(crate) fn own_children(single_threaded: bool) -> Vec<OwnChild> {
    let listed = if single_threaded {
        this_threads_children()
    } else {
        None
    };
    let candidates = match listed {
        Some(pids) => pids,
        None => {
            let Ok(entries) = std::fs::read_dir("/proc") else {
                return Vec::new();
            };
            entries
                .flatten()
                .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
                .collect()
        }
    };
    candidates
        .into_iter()
        .filter_map(|pid| child_state(pid).map(|has_ended| OwnChild { pid, has_ended }))
        .collect()
}

/// The process ids in the calling thread's `children` list; `None` where
/// the kernel keeps no such list (built without `CONFIG_PROC_CHILDREN`).
#[cfg(target_os = "linux")]
fn this_threads_children() -> Option<Vec<u32>> {
    // SAFETY: gettid has no preconditions.
    let thread = unsafe { libc::gettid() };
    let listed = std::fs::read_to_string(format!("/proc/self/task/{thread}/children")).ok()?;
    Some(
        listed
            .split_ascii_whitespace()
            .filter_map(|pid| pid.parse().ok())
            .collect(),
    )
}

/// For a child `pid` of this process, whether it has ended; `None` for a
/// process that is not our child. Reaps nothing.
#[cfg(target_os = "linux")]
fn child_state(pid: u32) -> Option<bool> {
    let id = libc::id_t::try_from(pid).ok()?;
    loop {
        // SAFETY: waitid writes only into the siginfo_t we pass. `__WALL`
        // takes children whatever signal they report their end with, and
        // WNOWAIT | WNOHANG neither reaps nor waits.
        let (result, exited) = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let result = libc::waitid(
                libc::P_PID,
                id,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT | libc::__WALL,
            );
            (result, info.si_pid())
        };
        if result == 0 {
            return Some(exited != 0);
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return None;
        }
    }
}

/// The command line of process `pid`, arguments separated by spaces; its
/// name in parentheses when the command line is empty or unreadable.
#[cfg(target_os = "linux")]
pub(crate) fn command_line(pid: u32) -> String {
    let arguments = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let words: Vec<String> = arguments
        .split(|&byte| byte == 0)
        .filter(|word| !word.is_empty())
        .map(|word| String::from_utf8_lossy(word).into_owned())
        .collect();
    if !words.is_empty() {
        return words.join(" ");
    }
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    format!("({})", name.trim())
}

/// Whether `status` (the text of `/proc/<pid>/status`) shows a SIGKILL
/// pending for the process: it is already dying, whatever it does.
pub(crate) fn kill_pending(status: &str) -> bool {
    const SIGKILL_BIT: u64 = 1 << (9 - 1);
    status
        .lines()
        .filter_map(|line| {
            line.strip_prefix("SigPnd:")
                .or_else(|| line.strip_prefix("ShdPnd:"))
        })
        .filter_map(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .any(|mask| mask & SIGKILL_BIT != 0)
}

/// Whether process `pid` is being killed already (a SIGKILL is pending).
#[cfg(target_os = "linux")]
pub(crate) fn is_being_killed(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|status| kill_pending(&status))
}

/// Whether this process runs a single thread (a fork then copies everything
/// it needs); `false` when that cannot be told. Lists `/proc/self/task`
/// (one entry per thread) rather than asking the census, which would open
/// and check its kept descriptors here only to reopen them after the fork.
#[cfg(target_os = "linux")]
pub(crate) fn is_single_threaded() -> bool {
    std::fs::read_dir("/proc/self/task").is_ok_and(|threads| threads.count() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_sigkill_is_seen_in_either_mask() {
        let quiet = "Name:\tx\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n";
        assert!(!kill_pending(quiet));
        let killed = "SigPnd:\t0000000000000000\nShdPnd:\t0000000000000100\n";
        assert!(kill_pending(killed));
        let terminated = "SigPnd:\t0000000000004000\nShdPnd:\t0000000000000000\n";
        assert!(!kill_pending(terminated), "SIGTERM is not SIGKILL");
    }

    /// Both ways of listing: the calling thread's `children` list (these
    /// children were started by this test's thread) and the scan of `/proc`.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_children_of_this_process_are_found_running_and_ended() {
        let mut running = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let mut ended = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        assert!(exited_unreaped(ended.id(), true));
        let listings = [own_children(true), own_children(false)];
        // `spawn` returns once the child's exec has replaced its memory, a
        // moment before the kernel has set up its arguments: until then
        // /proc shows none, and only the command name.
        let started = std::time::Instant::now();
        let mut command = command_line(running.id());
        while command != "sleep 30" && started.elapsed() < std::time::Duration::from_secs(5) {
            std::thread::sleep(std::time::Duration::from_millis(1));
            command = command_line(running.id());
        }
        running.kill().expect("kill");
        running.wait().expect("reap");
        ended.wait().expect("reap");
        for listed in listings {
            let state = |pid| {
                listed
                    .iter()
                    .find(|child| child.pid == pid)
                    .map(|child| child.has_ended)
            };
            assert_eq!(state(running.id()), Some(false), "{listed:?}");
            assert_eq!(state(ended.id()), Some(true), "{listed:?}");
            assert_eq!(state(1), None, "init is nobody's child here: {listed:?}");
        }
        assert_eq!(command, "sleep 30");
    }
}
