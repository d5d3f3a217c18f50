//! Process plumbing shared by the runner side ([`crate::isolation`],
//! [`crate::protocol`]) and the test's supervisor ([`crate::keeper`]): signals
//! to process groups, exits observed without reaping, and (Linux) the child
//! processes of a process, read from `/proc`.
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

/// One line of `/proc/<pid>/stat`, the fields leaktest reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcStat {
    /// The process's state letter (`R`, `S`, `D`, `Z` for a zombie, ...).
    pub(crate) state: u8,
    /// Its parent's process id.
    pub(crate) parent: u32,
}

impl ProcStat {
    /// Parses `pid (comm) state ppid ...`; the command name may itself hold
    /// spaces and parentheses, so the fields are read after its last `)`.
    pub(crate) fn parse(stat: &[u8]) -> Option<ProcStat> {
        let after_name = stat.iter().rposition(|&byte| byte == b')')? + 1;
        let mut fields = stat[after_name..]
            .split(|&byte| byte == b' ')
            .filter(|field| !field.is_empty());
        let state = *fields.next()?.first()?;
        let parent = std::str::from_utf8(fields.next()?).ok()?.parse().ok()?;
        Some(ProcStat { state, parent })
    }

    /// True for a process that has ended (a zombie not yet reaped, or dead).
    pub(crate) fn has_ended(self) -> bool {
        matches!(self.state, b'Z' | b'X' | b'x')
    }
}

/// The child processes of process `parent`, found by reading the parent of
/// every process in `/proc` (the kernel's own `children` list is not built
/// into every kernel). Processes that end meanwhile are simply missed.
#[cfg(target_os = "linux")]
pub(crate) fn children_of(parent: u32) -> Vec<(u32, ProcStat)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
            Some((pid, ProcStat::parse(&stat)?))
        })
        .filter(|(_, stat)| stat.parent == parent)
        .collect()
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
/// it needs); `false` when that cannot be told.
#[cfg(target_os = "linux")]
pub(crate) fn is_single_threaded() -> bool {
    crate::census::threads() == Some(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_are_read_after_the_command_name() {
        let stat = b"4242 (a (weird) name) S 17 4242 4242 0 -1 4194560";
        assert_eq!(
            ProcStat::parse(stat),
            Some(ProcStat {
                state: b'S',
                parent: 17
            })
        );
        let zombie = ProcStat::parse(b"9 (sleep) Z 1 9 9").unwrap();
        assert!(zombie.has_ended());
        assert_eq!(ProcStat::parse(b"garbage"), None);
    }

    #[test]
    fn a_pending_sigkill_is_seen_in_either_mask() {
        let quiet = "Name:\tx\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n";
        assert!(!kill_pending(quiet));
        let killed = "SigPnd:\t0000000000000000\nShdPnd:\t0000000000000100\n";
        assert!(kill_pending(killed));
        let terminated = "SigPnd:\t0000000000004000\nShdPnd:\t0000000000000000\n";
        assert!(!kill_pending(terminated), "SIGTERM is not SIGKILL");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_children_of_this_process_are_found() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let children = children_of(std::process::id());
        let found = children.iter().any(|(pid, _)| *pid == child.id());
        let command = command_line(child.id());
        child.kill().expect("kill");
        child.wait().expect("reap");
        assert!(found, "{children:?}");
        assert_eq!(command, "sleep 30");
    }
}
