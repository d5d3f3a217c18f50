//! Runs one leak test in a child process: the test binary started again for
//! that one test. A child that crashes, hangs or exits without delivering its
//! record becomes a record saying so, never a pass. Every record is held to
//! the test's budgets ([`crate::budget::apply`]) before it is returned, so
//! every runner sees the same outcome.

use crate::model::{Outcome, ResolvedBudget, TestDescription, TestRecord};
use crate::protocol::{self, ProtocolError};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Bytes of each output stream kept for the report.
pub const OUTPUT_TAIL_BYTES: usize = 8 * 1024;
/// How long to wait for the output pipes to close once the child has exited
/// (a grandchild may hold them open).
const PIPE_DRAIN_GRACE: Duration = Duration::from_millis(500);
/// How often a waiting parent checks for cancellation.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// One test to run in a child process.
#[derive(Debug, Clone)]
pub struct ChildSpec {
    /// The harness binary.
    pub binary: PathBuf,
    /// The test, as the binary described it.
    pub test: TestDescription,
    /// Kill the child after this long.
    pub timeout: Duration,
    /// Override the test's iterations.
    pub iterations_override: Option<u64>,
    /// Capture stdout/stderr (kept as tails in the record); otherwise inherit them.
    pub capture_output: bool,
    /// Extra environment for the child.
    pub env: Vec<(OsString, OsString)>,
    /// Working directory of the child (the package root under cargo).
    pub current_dir: Option<PathBuf>,
    /// Set to stop waiting: the child is killed and [`IsolationError::Cancelled`] returned.
    pub cancel: Option<Arc<AtomicBool>>,
    /// The budgets the record is held to (see `leaktest_core::config` for
    /// resolving them; empty: every leak fails, nothing else is limited).
    pub budgets: Vec<ResolvedBudget>,
}

/// Why no record could be produced at all.
#[derive(Debug, thiserror::Error)]
pub enum IsolationError {
    /// The child could not be started, or its record is from another schema.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// A temporary file for the record could not be made.
    #[error("could not create a temporary file for the test record: {0}")]
    TempFile(std::io::Error),
    /// The run was cancelled (Ctrl-C); the child was killed.
    #[error("cancelled")]
    Cancelled,
}

/// The last [`OUTPUT_TAIL_BYTES`] of a stream, shared with its reader thread.
#[derive(Clone, Default)]
struct Tail(Arc<Mutex<VecDeque<u8>>>);

impl Tail {
    fn spawn_reader(&self, mut stream: impl Read + Send + 'static) {
        let tail = self.clone();
        thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(read) = stream.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                if let Ok(mut kept) = tail.0.lock() {
                    kept.extend(&buffer[..read]);
                    let excess = kept.len().saturating_sub(OUTPUT_TAIL_BYTES);
                    kept.drain(..excess);
                }
            }
        });
    }

    fn text(&self) -> String {
        match self.0.lock() {
            Ok(kept) => {
                let bytes: Vec<u8> = kept.iter().copied().collect();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Err(_) => String::new(),
        }
    }
}

/// Runs the test in a child process and returns its record.
///
/// Crashes, timeouts and missing records come back as records with
/// [`Outcome::Crashed`] or [`Outcome::TimedOut`]; only a failure to start the
/// child, an unreadable record or cancellation is an `Err`.
pub fn run_isolated(spec: &ChildSpec) -> Result<TestRecord, IsolationError> {
    let record_file = tempfile::Builder::new()
        .prefix("leaktest-record-")
        .suffix(".json")
        .tempfile()
        .map_err(IsolationError::TempFile)?;
    let record_path = record_file.path().to_owned();
    let started = Instant::now();

    let mut command = Command::new(&spec.binary);
    command
        .env(protocol::ENV_CHILD_TEST, &spec.test.name)
        .env(protocol::ENV_RECORD_PATH, &record_path)
        .env(protocol::ENV_PARENT_PID, std::process::id().to_string())
        .env(
            protocol::ENV_TIMEOUT_MS,
            spec.timeout.as_millis().to_string(),
        )
        .env_remove(protocol::ENV_DESCRIBE)
        .env_remove(protocol::ENV_ATTRIBUTION_PROFILE)
        .stdin(Stdio::null());
    if let Some(iterations) = spec.iterations_override {
        command.env(protocol::ENV_ITERATIONS, iterations.to_string());
    }
    for (key, value) in &spec.env {
        command.env(key, value);
    }
    if let Some(dir) = &spec.current_dir {
        command.current_dir(dir);
    }
    if spec.capture_output {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    own_process_group(&mut command);

    let mut child = command.spawn().map_err(|source| ProtocolError::Spawn {
        binary: spec.binary.clone(),
        source,
    })?;
    let stdout_tail = Tail::default();
    let stderr_tail = Tail::default();
    if let Some(stdout) = child.stdout.take() {
        stdout_tail.spawn_reader(stdout);
    }
    if let Some(stderr) = child.stderr.take() {
        stderr_tail.spawn_reader(stderr);
    }
    let group = Arc::new(ProcessGroup::led_by(&child));
    let (status_tx, status_rx) = mpsc::channel();
    let waiter_group = Arc::clone(&group);
    thread::spawn(move || {
        // Whatever the test left running in its process group (leaked child
        // processes) would hold the output pipes open: it goes when the test
        // ends.
        let _ = status_tx.send(wait_then_kill_group(&mut child, &waiter_group));
    });

    // A timeout too large for the clock means no deadline at all.
    let deadline = started.checked_add(spec.timeout);
    let mut timed_out = false;
    let status = loop {
        let now = Instant::now();
        let wait = deadline.map_or(CANCEL_POLL, |deadline| {
            deadline.saturating_duration_since(now).min(CANCEL_POLL)
        });
        match status_rx.recv_timeout(wait) {
            Ok(status) => break status.ok(),
            Err(mpsc::RecvTimeoutError::Disconnected) => break None,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        let cancelled = spec
            .cancel
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed));
        if cancelled {
            group.kill();
            let _ = status_rx.recv();
            return Err(IsolationError::Cancelled);
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            timed_out = true;
            group.kill();
            break status_rx.recv().ok().and_then(Result::ok);
        }
    };
    let drain_until = Instant::now() + PIPE_DRAIN_GRACE;
    while Arc::strong_count(&stdout_tail.0) + Arc::strong_count(&stderr_tail.0) > 2
        && Instant::now() < drain_until
    {
        thread::sleep(Duration::from_millis(2));
    }

    let elapsed = started.elapsed();
    let record_written = std::fs::metadata(&record_path).is_ok_and(|meta| meta.len() > 0);
    let mut record = if timed_out {
        TestRecord::without_run(
            &spec.test,
            Outcome::TimedOut {
                timeout_ms: spec.timeout.as_millis() as u64,
            },
            elapsed.as_millis() as u64,
        )
    } else if record_written && status.is_some_and(|status| status.success()) {
        protocol::read_record(&record_path)?
    } else {
        TestRecord::without_run(
            &spec.test,
            crashed(status, record_written),
            elapsed.as_millis() as u64,
        )
    };
    record.stdout_tail = stdout_tail.text();
    record.stderr_tail = stderr_tail.text();
    explain_stack_overflow(&mut record);
    crate::budget::apply(&mut record, &spec.budgets);
    Ok(record)
}

/// Rust reports a stack overflow on stderr and then aborts: say so instead of
/// a bare SIGABRT.
fn explain_stack_overflow(record: &mut TestRecord) {
    if let Outcome::Crashed { description, .. } = &mut record.outcome {
        if record.stderr_tail.contains("has overflowed its stack") {
            *description = format!("overflowed its stack ({description})");
        }
    }
}

fn crashed(status: Option<ExitStatus>, record_written: bool) -> Outcome {
    let Some(status) = status else {
        return Outcome::Crashed {
            exit_code: None,
            signal: None,
            description: "the test process could not be waited for".to_owned(),
        };
    };
    let signal = exit_signal(&status);
    let description = match (status.code(), signal) {
        (_, Some(signal)) => format!("killed by {}", signal_name(signal)),
        (Some(0), None) if !record_written => {
            "exited with code 0 before delivering its result (std::process::exit in the test?)"
                .to_owned()
        }
        (Some(code), None) => format!("exited with code {code} before delivering its result"),
        (None, None) => "ended without an exit code".to_owned(),
    };
    Outcome::Crashed {
        exit_code: status.code(),
        signal,
        description,
    }
}

#[cfg(unix)]
fn exit_signal(status: &ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

#[cfg(not(unix))]
fn exit_signal(_status: &ExitStatus) -> Option<i32> {
    None
}

/// `SIGSEGV (segmentation fault)` and the like, by this platform's signal
/// numbers (they differ between Linux and macOS); the number for others.
#[cfg(unix)]
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGILL => "SIGILL (illegal instruction)",
        libc::SIGABRT => "SIGABRT (abort)",
        libc::SIGBUS => "SIGBUS (bus error)",
        libc::SIGFPE => "SIGFPE (arithmetic error)",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV (segmentation fault; a stack overflow shows as this too)",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        _ => return format!("signal {signal}"),
    };
    name.to_owned()
}

/// Without Unix signals, the number.
#[cfg(not(unix))]
pub fn signal_name(signal: i32) -> String {
    format!("signal {signal}")
}

#[cfg(unix)]
fn own_process_group(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
}

#[cfg(not(unix))]
fn own_process_group(_command: &mut Command) {}

/// The process group a child leads (it was started with
/// [`own_process_group`]), and with it whatever the test started.
///
/// The group's id is the child's pid, and a pid can be reused once its
/// process is reaped, so the group is only ever killed while the child is
/// known not to be reaped: [`ProcessGroup::kill`] (cancel, timeout) and
/// [`ProcessGroup::kill_then_reap`] (the waiting thread, once the child has
/// exited) take one lock, and after the reaping nothing kills.
struct ProcessGroup {
    leader_pid: u32,
    leader_reaped: Mutex<bool>,
}

impl ProcessGroup {
    fn led_by(child: &Child) -> Self {
        ProcessGroup {
            leader_pid: child.id(),
            leader_reaped: Mutex::new(false),
        }
    }

    fn lock_reaped(&self) -> std::sync::MutexGuard<'_, bool> {
        self.leader_reaped
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Kills the child and its group now, unless the child is already reaped
    /// (it has exited, and its id may belong to another process by now).
    fn kill(&self) {
        let reaped = self.lock_reaped();
        if !*reaped {
            kill_group(self.leader_pid);
        }
    }

    /// Kills what is left of the group of a child that has exited but is not
    /// yet reaped, then reaps it.
    fn kill_then_reap(&self, child: &mut Child) -> std::io::Result<ExitStatus> {
        let mut reaped = self.lock_reaped();
        kill_group(self.leader_pid);
        let status = child.wait();
        *reaped = true;
        status
    }
}

/// Waits for the child to exit, kills what is left of its process group, and
/// reaps it.
fn wait_then_kill_group(child: &mut Child, group: &ProcessGroup) -> std::io::Result<ExitStatus> {
    if wait_for_exit_without_reaping(child) {
        return group.kill_then_reap(child);
    }
    // Without such a wait, the child is polled and reaped under the group's
    // lock, so a cancel or timeout never kills a reused id; what the test
    // left in its group after exiting is not killed then.
    loop {
        {
            let mut reaped = group.lock_reaped();
            if let Some(status) = child.try_wait()? {
                *reaped = true;
                return Ok(status);
            }
        }
        thread::sleep(CANCEL_POLL);
    }
}

/// Blocks until the child has exited, leaving it unreaped (`waitid` with
/// `WNOWAIT`); false if it cannot.
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "illumos",
    target_os = "solaris"
))]
fn wait_for_exit_without_reaping(child: &Child) -> bool {
    loop {
        // SAFETY: waitid writes only into the siginfo_t we pass.
        let waited = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                child.id() as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if waited == 0 {
            return true;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return false;
        }
    }
}

/// No wait that leaves the child unreaped on this platform.
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "illumos",
    target_os = "solaris"
)))]
fn wait_for_exit_without_reaping(_child: &Child) -> bool {
    false
}

/// Sends SIGKILL to the process group `pid` leads. Only [`ProcessGroup`]
/// calls it, and only while that child is not reaped.
#[cfg(unix)]
fn kill_group(pid: u32) {
    // SAFETY: kill has no memory-safety preconditions. The group id is the
    // child's pid (it leads its own group), and the caller holds the lock
    // that the child is reaped under and has seen it unreaped, so the id
    // cannot have been reused.
    unsafe {
        libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_pid: u32) {}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn signals_are_named_by_this_platform_s_numbers() {
        assert!(signal_name(libc::SIGSEGV).starts_with("SIGSEGV"));
        assert!(signal_name(libc::SIGBUS).starts_with("SIGBUS"));
        assert!(signal_name(libc::SIGABRT).starts_with("SIGABRT"));
        assert_eq!(
            signal_name(libc::SIGUSR1),
            format!("signal {}", libc::SIGUSR1)
        );
    }

    fn spawn_in_own_group(program: &str, args: &[&str]) -> Child {
        let mut command = Command::new(program);
        command.args(args);
        own_process_group(&mut command);
        command.spawn().expect("spawn")
    }

    #[test]
    fn a_child_is_reaped_under_the_lock_so_it_is_never_signalled_after() {
        let mut child = spawn_in_own_group("true", &[]);
        let group = ProcessGroup::led_by(&child);
        let status = wait_then_kill_group(&mut child, &group).expect("wait");
        assert!(status.success(), "{status}");
        assert!(*group.lock_reaped(), "kill() now leaves the id alone");
    }

    #[test]
    fn kill_ends_a_running_child() {
        let mut child = spawn_in_own_group("sleep", &["1000"]);
        let group = ProcessGroup::led_by(&child);
        group.kill();
        let status = wait_then_kill_group(&mut child, &group).expect("wait");
        assert_eq!(exit_signal(&status), Some(libc::SIGKILL), "{status}");
    }
}
