//! Runs one leak test in a child process: the test binary started again for
//! that one test. A child that crashes, hangs or exits without delivering its
//! record becomes a record saying so, never a pass; and nothing it started
//! outlives it. Every record is held to the test's budgets
//! ([`crate::budget::apply`]) before it is returned, so every runner sees the
//! same outcome.
//!
//! Each child gets a private record directory (`leaktest-record-*` in the
//! temporary directory, removed when the test ends) and proves it was started
//! by this runner with a descriptor open on that directory (see
//! [`crate::protocol`]). On Linux the child is the test's *keeper*: it forks
//! the process that runs the test and, being a child subreaper, adopts
//! everything the test starts; when the test's process ends, whatever is
//! still running is killed and listed in [`TestRecord::leaked_processes`],
//! which fails the test. A timeout or a cancellation asks the keeper to stop
//! (SIGTERM); it kills the test's process group and every process it adopted
//! with SIGKILL. Only the record of the process that ran the test counts, so
//! a process the test forked cannot deliver one.

use crate::model::{Outcome, ResolvedBudget, TestDescription, TestRecord};
use crate::process::{self, ExitStatus};
use crate::protocol::{self, InheritedFd, ProtocolError, SupervisorReport};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// Bytes of each output stream kept for the report.
pub const OUTPUT_TAIL_BYTES: usize = 8 * 1024;
/// How long a child asked to stop may take to kill the test and what it
/// started before its whole process group is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Longest wait for the output pipes to close once the child has ended. By
/// then everything the test started has been killed and they close at once;
/// this only bounds the case of a descriptor handed to an unrelated process.
const OUTPUT_CLOSE_LIMIT: Duration = Duration::from_secs(2);
/// How often a waiting parent checks for cancellation.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// One test to run in a child process.
#[derive(Debug, Clone)]
pub struct ChildSpec {
    /// What to execute: the harness binary (or a path naming the very file
    /// that was described, such as [`protocol::PinnedBinary::exec_path`]).
    pub binary: PathBuf,
    /// The `argv[0]` the child sees, when `binary` is not the path to show.
    pub arg0: Option<OsString>,
    /// The test, as the binary described it.
    pub test: TestDescription,
    /// Kill the child after this long.
    pub timeout: Duration,
    /// Settings overridden for this run (iterations, memory limit).
    pub overrides: protocol::SettingsOverride,
    /// Capture stdout/stderr (kept as tails in the record); otherwise inherit them.
    pub capture_output: bool,
    /// When output is not captured, send the child's stdout to this
    /// process's stderr instead of its stdout, so that a stdout carrying
    /// machine-readable lines (`cargo leaktest --message-format json`) holds
    /// nothing else.
    pub uncaptured_stdout_to_stderr: bool,
    /// Extra environment for the child.
    pub env: Vec<(OsString, OsString)>,
    /// Working directory of the child (the package root under cargo).
    pub current_dir: Option<PathBuf>,
    /// Set to stop waiting: the child is stopped and [`IsolationError::Cancelled`] returned.
    pub cancel: Option<Arc<AtomicBool>>,
    /// The budgets the record is held to (see `leaktest_core::config` for
    /// resolving them; empty: every leak fails, nothing else is limited).
    pub budgets: Vec<ResolvedBudget>,
    /// Makes the run the test's attribution run (see [`crate::attribution`]):
    /// the existing directory the child writes dhat's profile into, as
    /// [`protocol::ATTRIBUTION_PROFILE_FILE`]. It is handed down like the
    /// record directory, by descriptor, so no environment can ask for an
    /// attribution run. `None`: the verdict run.
    pub attribution_dir: Option<PathBuf>,
}

impl ChildSpec {
    /// The verdict run of `test` in `binary`, as a runner with no options
    /// starts it: killed after the test's own timeout, output captured, no
    /// overrides, extra environment, working directory, cancellation or
    /// budgets. Set the public fields to change any of that.
    ///
    /// ```no_run
    /// use leaktest_core::isolation::{run_isolated, ChildSpec};
    /// use leaktest_core::model::{Settings, TestDescription};
    ///
    /// let test = TestDescription::new("parse_does_not_leak", "tests/leaks.rs", Settings::default());
    /// let mut spec = ChildSpec::new("target/debug/deps/leaks-1a2b3c".into(), test);
    /// spec.capture_output = false;
    /// let record = run_isolated(&spec)?;
    /// println!("{:?}", record.outcome);
    /// # Ok::<(), leaktest_core::isolation::IsolationError>(())
    /// ```
    pub fn new(binary: PathBuf, test: TestDescription) -> Self {
        let timeout = Duration::from_millis(test.settings.timeout_ms);
        Self {
            binary,
            arg0: None,
            test,
            timeout,
            overrides: protocol::SettingsOverride::default(),
            capture_output: true,
            uncaptured_stdout_to_stderr: false,
            env: Vec::new(),
            current_dir: None,
            cancel: None,
            budgets: Vec::new(),
            attribution_dir: None,
        }
    }

    /// The test binary's path, as reports show it (and as profiles are kept
    /// under): [`ChildSpec::arg0`] when set, else [`ChildSpec::binary`].
    pub fn binary_path(&self) -> &Path {
        self.arg0.as_deref().map_or(&self.binary, Path::new)
    }
}

/// Why no record could be produced at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IsolationError {
    /// The child could not be started, or its record is from another schema.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The private directory for the record could not be made.
    #[error(
        "could not create a temporary directory for the test record in {dir} (TMPDIR): {0}: \
         point TMPDIR at a writable directory with free space",
        dir = std::env::temp_dir().display()
    )]
    RecordDir(std::io::Error),
    /// The directory of [`ChildSpec::attribution_dir`] could not be opened.
    #[error("could not open {path} for the attribution run's profile: {source}")]
    AttributionDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The run was cancelled (Ctrl-C); the child and what it started were killed.
    #[error("cancelled")]
    Cancelled,
}

/// A child process started by [`run_isolated`] and not yet reaped.
struct Running {
    pid: u32,
    record_dir: PathBuf,
    /// The profile directory of an attribution run.
    attribution_dir: Option<PathBuf>,
}

/// Every running child of this process, for [`stop_all_running`]. A child
/// leaves the list, under its lock, before it is reaped: a process id found
/// here is never a reused one.
static RUNNING: Mutex<Vec<Running>> = Mutex::new(Vec::new());

fn running() -> MutexGuard<'static, Vec<Running>> {
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sends `signal` to running child `pid` (to its process group with
/// `group`), unless it has been reaped already.
fn signal_running(pid: u32, signal: i32, group: bool) {
    let running = running();
    if running.iter().any(|child| child.pid == pid) {
        if group {
            process::signal_group(pid, signal);
        } else {
            process::signal_process(pid, signal);
        }
    }
}

/// For a runner that must end at once (a second Ctrl-C): asks every running
/// child to stop (on Linux its keeper then kills the test and everything it
/// started) and removes their record directories, and the profile
/// directories of attribution runs. The children end on their own; nothing
/// waits for them here.
pub fn stop_all_running() {
    for child in running().iter() {
        process::signal_process(child.pid, libc::SIGTERM);
        let _ = std::fs::remove_dir_all(&child.record_dir);
        if let Some(dir) = &child.attribution_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Makes this process able to wait for its children: for a runner's `main`,
/// before it starts any. A process started with SIGCHLD ignored (some
/// supervisors and agents leave it so, and it survives `exec`) has its
/// children reaped by the kernel, so no exit status or record of theirs could
/// be read; this sets the signal back to its default. A handler the program
/// installed is left alone. The harness of `main!` does it itself.
pub fn wait_for_children_normally() {
    #[cfg(unix)]
    process::restore_default_child_signal();
}

/// While alive, makes this process adopt the orphans of its descendants (on
/// Linux it is a child subreaper); dropping it kills and reaps every child
/// this process has then, generation by generation. For a runner that starts
/// processes it cannot supervise, such as binaries asked to describe
/// themselves that may not be leaktest harnesses: whatever they leave
/// running, even after `setsid`, is gone with the catcher. Only for a process
/// that has no other children of its own meanwhile. Does nothing elsewhere
/// than on Linux.
#[derive(Debug)]
pub struct OrphanCatcher {
    _private: (),
}

impl OrphanCatcher {
    /// Starts adopting orphans.
    pub fn start() -> OrphanCatcher {
        #[cfg(target_os = "linux")]
        // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes a plain flag.
        unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
        }
        OrphanCatcher { _private: () }
    }
}

impl Drop for OrphanCatcher {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        {
            for _ in 0..1000 {
                let children = process::own_children(false);
                if children.is_empty() {
                    break;
                }
                for child in &children {
                    process::signal_process(child.pid, libc::SIGKILL);
                }
                for child in &children {
                    let mut status = 0;
                    // SAFETY: waitpid writes only into `status`.
                    unsafe {
                        libc::waitpid(child.pid as libc::pid_t, &mut status, libc::__WALL);
                    }
                }
            }
            // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes a plain flag.
            unsafe {
                libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 0);
            }
        }
    }
}

/// The last [`OUTPUT_TAIL_BYTES`] of a stream, shared with its reader thread.
#[derive(Clone, Default)]
struct Tail(Arc<Mutex<VecDeque<u8>>>);

impl Tail {
    /// Reads `stream` to its end on a thread; the receiver hears when it ended.
    fn spawn_reader(&self, mut stream: impl Read + Send + 'static) -> mpsc::Receiver<()> {
        let tail = self.clone();
        let (done_tx, done_rx) = mpsc::channel();
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
            let _ = done_tx.send(());
        });
        done_rx
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
    let record_dir = tempfile::Builder::new()
        .prefix("leaktest-record-")
        .tempdir()
        .map_err(IsolationError::RecordDir)?;
    let started = Instant::now();
    let (mut child, proofs) = spawn(spec, record_dir.path())?;
    let pid = child.id();
    let stdout_tail = Tail::default();
    let stderr_tail = Tail::default();
    let mut readers = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        readers.push(stdout_tail.spawn_reader(stdout));
    }
    if let Some(stderr) = child.stderr.take() {
        readers.push(stderr_tail.spawn_reader(stderr));
    }
    drop(proofs);
    let (status_tx, status_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = status_tx.send(wait_then_kill_group(&mut child));
    });

    // A timeout too large for the clock means no deadline at all.
    let deadline = started.checked_add(spec.timeout);
    let mut timed_out = false;
    let status = loop {
        let wait = deadline.map_or(CANCEL_POLL, |deadline| {
            deadline
                .saturating_duration_since(Instant::now())
                .min(CANCEL_POLL)
        });
        match status_rx.recv_timeout(wait) {
            Ok(status) => break status,
            Err(mpsc::RecvTimeoutError::Disconnected) => break None,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        let cancelled = spec
            .cancel
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::SeqCst));
        if cancelled {
            stop(pid, &status_rx);
            return Err(IsolationError::Cancelled);
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            timed_out = true;
            break stop(pid, &status_rx);
        }
    };
    let close_limit = Instant::now() + OUTPUT_CLOSE_LIMIT;
    for reader in readers {
        let _ = reader.recv_timeout(close_limit.saturating_duration_since(Instant::now()));
    }

    let report = read_supervisor_report(record_dir.path());
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (test_pid, exit) = match &report {
        Some(report) => (report.test_pid, Some(report.exit)),
        None => (pid, status),
    };
    let record_path = record_dir.path().join(protocol::record_file_name(test_pid));
    let record_written = std::fs::metadata(&record_path).is_ok_and(|meta| meta.len() > 0);
    let mut record = if timed_out {
        TestRecord::without_run(
            &spec.test,
            Outcome::TimedOut {
                timeout_ms: u64::try_from(spec.timeout.as_millis()).unwrap_or(u64::MAX),
            },
            elapsed_ms,
        )
    } else if record_written && exit.is_some_and(ExitStatus::success) {
        protocol::read_record(&record_path)?
    } else {
        TestRecord::without_run(&spec.test, crashed(exit, record_written), elapsed_ms)
    };
    record.stdout_tail = stdout_tail.text();
    record.stderr_tail = stderr_tail.text();
    explain_crash(&mut record, record_dir.path().parent());
    if !timed_out {
        let noted = crate::panic_capture::read_noted(record_dir.path(), test_pid);
        tell_panics_before_the_crash(&mut record, &noted);
    }
    crate::budget::apply(&mut record, &spec.budgets);
    if let Some(report) = report {
        record.leaked_processes = report.leaked_processes;
    }
    judge_leaked_processes(&mut record);
    Ok(record)
}

/// Starts the child in a process group of its own. Returns it with the
/// parent's copies of the descriptors it handed down (the record directory's,
/// and an attribution run's profile directory's), to be closed once the
/// child has started.
fn spawn(spec: &ChildSpec, record_dir: &Path) -> Result<(Child, Vec<File>), IsolationError> {
    let spawn_error = |source| ProtocolError::Spawn {
        binary: spec.binary_path().to_owned(),
        source,
    };
    let opened = File::open(record_dir).map_err(IsolationError::RecordDir)?;
    let proof = protocol::above_standard_streams(&opened).map_err(IsolationError::RecordDir)?;
    drop(opened);
    let channel = InheritedFd::of(&proof).map_err(IsolationError::RecordDir)?;
    let attribution = match &spec.attribution_dir {
        Some(path) => {
            let dir_error = |source| IsolationError::AttributionDir {
                path: path.clone(),
                source,
            };
            let opened = File::open(path).map_err(dir_error)?;
            let proof = protocol::above_standard_streams(&opened).map_err(dir_error)?;
            let channel = InheritedFd::of(&proof).map_err(dir_error)?;
            Some((proof, channel))
        }
        None => None,
    };
    let mut command = Command::new(&spec.binary);
    for variable in protocol::INTERNAL_ENV {
        command.env_remove(variable);
    }
    command
        .env(protocol::ENV_CHILD_TEST, &spec.test.name)
        .env(protocol::ENV_RECORD_DIR, channel.to_env_value())
        .env(protocol::ENV_PARENT_PID, std::process::id().to_string())
        .env(
            protocol::ENV_TIMEOUT_MS,
            spec.timeout.as_millis().to_string(),
        )
        .stdin(Stdio::null());
    spec.overrides.apply_to(&mut command);
    for (key, value) in &spec.env {
        command.env(key, value);
    }
    if let Some((_, channel)) = &attribution {
        command.env(protocol::ENV_ATTRIBUTION_PROFILE, channel.to_env_value());
    }
    if let Some(dir) = &spec.current_dir {
        command.current_dir(dir);
    }
    if spec.capture_output {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
    } else if spec.uncaptured_stdout_to_stderr {
        command.stdout(std::io::stderr());
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        if let Some(arg0) = &spec.arg0 {
            command.arg0(arg0);
        }
        command.process_group(0);
    }
    // Registered under the lock, so that `stop_all_running` sees every child.
    let mut running = running();
    #[cfg(unix)]
    let child = {
        use std::os::fd::AsRawFd;
        let fds: Vec<i32> = std::iter::once(&proof)
            .chain(attribution.as_ref().map(|(profile_dir, _)| profile_dir))
            .map(|dir| dir.as_raw_fd())
            .collect();
        protocol::spawn_passing(&mut command, &fds)
    };
    #[cfg(not(unix))]
    let child = command.spawn();
    let child = child.map_err(spawn_error)?;
    running.push(Running {
        pid: child.id(),
        record_dir: record_dir.to_owned(),
        attribution_dir: spec.attribution_dir.clone(),
    });
    let proofs = std::iter::once(proof)
        .chain(attribution.map(|(profile_dir, _)| profile_dir))
        .collect();
    Ok((child, proofs))
}

/// The command that runs `test` of `binary` as a runner's child process
/// would, delivering its record into `record_dir` (an existing, empty,
/// private directory; the record is `record-<pid>.json` there, `<pid>` being
/// the process that ran the test). For tools that time or trace one child
/// process themselves (benchmarks, valgrind); [`run_isolated`] does the rest
/// a runner needs (timeout, output tails, containment, the record read back).
#[cfg(unix)]
pub fn child_command(binary: &Path, test: &str, record_dir: &Path) -> std::io::Result<Command> {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let opened = File::open(record_dir)?;
    let proof = protocol::above_standard_streams(&opened)?;
    let channel = InheritedFd::of(&proof)?;
    let mut command = Command::new(binary);
    for variable in protocol::INTERNAL_ENV.iter().chain(&protocol::OVERRIDE_ENV) {
        command.env_remove(variable);
    }
    command
        .env(protocol::ENV_CHILD_TEST, test)
        .env(protocol::ENV_RECORD_DIR, channel.to_env_value());
    let fd = proof.as_raw_fd();
    // SAFETY: the closure runs between fork and exec and calls only fcntl,
    // which is async-signal-safe; it owns `proof`, so the descriptor stays
    // open as long as the command does.
    unsafe {
        command.pre_exec(move || {
            let _owned = &proof;
            if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(command)
}

/// Asks child `pid` to stop, and waits for it; its whole group is killed if
/// it has not ended within [`STOP_GRACE`].
fn stop(pid: u32, status_rx: &mpsc::Receiver<Option<ExitStatus>>) -> Option<ExitStatus> {
    signal_running(pid, libc::SIGTERM, false);
    match status_rx.recv_timeout(STOP_GRACE) {
        Ok(status) => status,
        Err(mpsc::RecvTimeoutError::Disconnected) => None,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            signal_running(pid, libc::SIGKILL, true);
            status_rx.recv().ok().flatten()
        }
    }
}

/// The supervisor's report, when the child wrote one.
fn read_supervisor_report(record_dir: &Path) -> Option<SupervisorReport> {
    let json = std::fs::read(record_dir.join(protocol::SUPERVISOR_REPORT_FILE)).ok()?;
    serde_json::from_slice(&json).ok()
}

/// A process the test left running is a leak of its own: the test fails as
/// leaked, or passes if it expected a leak.
fn judge_leaked_processes(record: &mut TestRecord) {
    if record.leaked_processes.is_empty() {
        return;
    }
    match record.outcome {
        Outcome::Passed if !record.settings.should_leak => record.outcome = Outcome::Leaked,
        Outcome::LeakNotFound => record.outcome = Outcome::Passed,
        _ => {}
    }
}

/// Says what a bare signal or exit code means where the test's output tells:
/// Rust reports a stack overflow or a refused allocation on stderr and then
/// aborts; a SIGKILL nobody here sent is most often the out-of-memory killer;
/// leaktest's own exit code for a record it could not write comes with the
/// cause on stderr. `temporary_dir` is where the record directory was made.
fn explain_crash(record: &mut TestRecord, temporary_dir: Option<&Path>) {
    let Outcome::Crashed {
        description,
        signal,
        exit_code,
    } = &mut record.outcome
    else {
        return;
    };
    if *exit_code == Some(crate::child::EXIT_RECORD_UNWRITABLE) {
        if let Some(cause) = record_unwritable_cause(&record.stderr_tail) {
            *description = record_unwritable(cause, temporary_dir);
            return;
        }
    }
    if record.stderr_tail.contains("has overflowed its stack") {
        *description = format!("overflowed its stack ({description})");
    } else if record.stderr_tail.contains("memory allocation of") {
        *description = format!(
            "ran out of memory: the system refused an allocation, see stderr ({description})"
        );
    } else if *signal == Some(libc::SIGKILL) {
        *description = format!(
            "{description}, from outside leaktest (the kernel's out-of-memory killer sends it)"
        );
    }
}

/// The cause a test's process (or its keeper) gave on stderr for a record
/// (or report) it could not write: its last such line.
fn record_unwritable_cause(stderr_tail: &str) -> Option<&str> {
    stderr_tail.lines().rev().find_map(|line| {
        line.strip_prefix(crate::child::RECORD_UNWRITABLE_NOTE)
            .or_else(|| line.strip_prefix(protocol::SUPERVISOR_REPORT_UNWRITABLE_NOTE))
    })
}

/// `could not write its record: <cause>`, with what to do for the causes a
/// user can fix: descriptors used up, a temporary directory that is full or
/// not writable, a file size limit.
fn record_unwritable(cause: &str, temporary_dir: Option<&Path>) -> String {
    let errno = cause
        .rsplit_once("(os error ")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .and_then(|number| number.parse::<i32>().ok());
    let temporary_dir = temporary_dir.map_or_else(
        || "the temporary directory".to_owned(),
        |dir| format!("the temporary directory {}", dir.display()),
    );
    let advice = match errno {
        Some(libc::EMFILE | libc::ENFILE) => {
            " (the test used up its file descriptors: close what it opens, or raise `ulimit -n`)"
                .to_owned()
        }
        Some(libc::ENOSPC | libc::EDQUOT) => format!(
            " ({temporary_dir} is full: free space there, or point TMPDIR at a directory with room)"
        ),
        Some(libc::EROFS | libc::EACCES | libc::EPERM) => {
            format!(" ({temporary_dir} is not writable: point TMPDIR at a writable directory)")
        }
        Some(libc::EFBIG) => " (the file size limit is too small: raise `ulimit -f`)".to_owned(),
        Some(libc::EBADF | libc::ENOTDIR) => {
            " (the test closed or replaced leaktest's descriptor of its record directory)"
                .to_owned()
        }
        _ => String::new(),
    };
    format!("could not write its record: {cause}{advice}")
}

/// Adds the panics the test's process noted before it crashed (see
/// [`crate::panic_capture`]): a panic in a `Drop` during unwinding aborts,
/// one after the test's run ends the process with code 101, and the crash
/// alone would not say which panic.
fn tell_panics_before_the_crash(
    record: &mut TestRecord,
    noted: &[crate::panic_capture::NotedPanic],
) {
    if let Outcome::Crashed { description, .. } = &mut record.outcome {
        if let Some(panics) = crate::panic_capture::describe_noted(noted) {
            description.push_str(", ");
            description.push_str(&panics);
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
    let description = match (status.code, status.signal) {
        (_, Some(signal)) => format!("killed by {}", signal_name(signal)),
        (Some(0), None) if !record_written => {
            "exited with code 0 before delivering its result (std::process::exit in the test?)"
                .to_owned()
        }
        (Some(code), None) => format!("exited with code {code} before delivering its result"),
        (None, None) => "ended without an exit code".to_owned(),
    };
    Outcome::Crashed {
        exit_code: status.code,
        signal: status.signal,
        description,
    }
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

/// Waits for the child to exit, kills what is left of its process group, and
/// reaps it. On Linux the group is killed while the exited child is not yet
/// reaped, so its id cannot have been reused; the child leaves the running
/// list before it is reaped.
#[cfg(target_os = "linux")]
fn wait_then_kill_group(child: &mut Child) -> Option<ExitStatus> {
    let pid = child.id();
    process::exited_unreaped(pid, true);
    {
        let mut running = running();
        process::signal_group(pid, libc::SIGKILL);
        running.retain(|running| running.pid != pid);
    }
    child.wait().ok().map(ExitStatus::from)
}

/// Polls the child until it has exited, reaping it under the running list's
/// lock (no wait leaves a child unreaped here), so a stop request never
/// signals a reused id; what the test left in its group after exiting is not
/// killed then.
#[cfg(not(target_os = "linux"))]
fn wait_then_kill_group(child: &mut Child) -> Option<ExitStatus> {
    let pid = child.id();
    loop {
        {
            let mut running = running();
            let status = match child.try_wait() {
                Ok(None) => None,
                Ok(Some(status)) => Some(Some(ExitStatus::from(status))),
                Err(_) => Some(None),
            };
            if let Some(status) = status {
                running.retain(|running| running.pid != pid);
                return status;
            }
        }
        thread::sleep(CANCEL_POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LeakedProcess, Settings};

    fn record(outcome: Outcome, should_leak: bool) -> TestRecord {
        let settings = Settings {
            should_leak,
            ..Settings::default()
        };
        let test = TestDescription::new("t", "t.rs:1", settings);
        let mut record = TestRecord::without_run(&test, outcome, 1);
        record.leaked_processes = vec![LeakedProcess::new(7, "sleep 60")];
        record
    }

    #[cfg(unix)]
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

    #[cfg(unix)]
    #[test]
    fn a_child_leaves_the_running_list_before_it_is_reaped() {
        use std::os::unix::process::CommandExt;
        let mut command = Command::new("true");
        command.process_group(0);
        let mut child = {
            let mut running = running();
            let child = command.spawn().expect("spawn");
            running.push(Running {
                pid: child.id(),
                record_dir: PathBuf::new(),
                attribution_dir: None,
            });
            child
        };
        let pid = child.id();
        let status = wait_then_kill_group(&mut child).expect("waited");
        assert!(status.success(), "{status:?}");
        assert!(
            !running().iter().any(|running| running.pid == pid),
            "a stop request can no longer signal the id"
        );
    }

    #[test]
    fn a_process_left_running_is_a_leak() {
        let mut passed = record(Outcome::Passed, false);
        judge_leaked_processes(&mut passed);
        assert_eq!(passed.outcome, Outcome::Leaked);
        let mut expected = record(Outcome::LeakNotFound, true);
        judge_leaked_processes(&mut expected);
        assert_eq!(
            expected.outcome,
            Outcome::Passed,
            "should_leak found its leak"
        );
        let mut timed_out = record(Outcome::TimedOut { timeout_ms: 5 }, false);
        judge_leaked_processes(&mut timed_out);
        assert_eq!(timed_out.outcome, Outcome::TimedOut { timeout_ms: 5 });
    }

    /// The description of a test's process that exited with `code` after
    /// printing `stderr`.
    fn explained(code: i32, stderr: &str) -> String {
        let status = ExitStatus {
            code: Some(code),
            signal: None,
        };
        let mut record = record(crashed(Some(status), false), false);
        record.stderr_tail = stderr.to_owned();
        explain_crash(&mut record, Some(Path::new("/scratch/tmp")));
        let Outcome::Crashed { description, .. } = record.outcome else {
            panic!("{:?}", record.outcome)
        };
        description
    }

    #[test]
    fn a_record_that_could_not_be_written_is_told_with_its_cause_and_the_fix() {
        let note = crate::child::RECORD_UNWRITABLE_NOTE;
        let full = explained(
            4,
            &format!("noise\n{note}No space left on device (os error 28)\n"),
        );
        assert!(
            full.starts_with("could not write its record: No space left on device")
                && full.contains("/scratch/tmp is full")
                && full.contains("TMPDIR"),
            "{full}"
        );
        let descriptors = explained(4, &format!("{note}Too many open files (os error 24)"));
        assert!(descriptors.contains("ulimit -n"), "{descriptors}");
        let read_only = explained(4, &format!("{note}Read-only file system (os error 30)"));
        assert!(
            read_only.contains("not writable: point TMPDIR"),
            "{read_only}"
        );
        let keeper = explained(
            4,
            "leaktest: could not write the test's supervisor report: Disk quota exceeded (os error 122)",
        );
        assert!(keeper.contains("is full"), "{keeper}");
        let other = explained(4, &format!("{note}Input/output error (os error 5)"));
        assert_eq!(
            other,
            "could not write its record: Input/output error (os error 5)"
        );
        assert_eq!(
            explained(4, "the test's own exit code 4, nothing of leaktest's"),
            "exited with code 4 before delivering its result"
        );
    }

    #[test]
    fn panics_noted_before_a_crash_are_told_with_it() {
        use crate::panic_capture::NotedPanic;
        let aborted = ExitStatus {
            code: None,
            signal: Some(libc::SIGABRT),
        };
        let mut crashed_record = record(crashed(Some(aborted), false), false);
        let noted = [NotedPanic {
            message: "first panic".to_owned(),
            location: Some("tests/a.rs:3:5".to_owned()),
        }];
        tell_panics_before_the_crash(&mut crashed_record, &noted);
        let Outcome::Crashed { description, .. } = &crashed_record.outcome else {
            panic!("{:?}", crashed_record.outcome)
        };
        assert_eq!(
            description,
            "killed by SIGABRT (abort), after it panicked at tests/a.rs:3:5: first panic"
        );
        let mut timed_out = record(Outcome::TimedOut { timeout_ms: 5 }, false);
        tell_panics_before_the_crash(&mut timed_out, &noted);
        assert_eq!(timed_out.outcome, Outcome::TimedOut { timeout_ms: 5 });
    }

    #[test]
    fn a_refused_allocation_is_told_as_out_of_memory() {
        let mut record = record(
            crashed(
                Some(ExitStatus {
                    code: None,
                    signal: Some(6),
                }),
                false,
            ),
            false,
        );
        record.stderr_tail = "memory allocation of 1048576 bytes failed\n".to_owned();
        explain_crash(&mut record, None);
        let Outcome::Crashed { description, .. } = &record.outcome else {
            panic!("{:?}", record.outcome)
        };
        assert!(
            description.starts_with("ran out of memory"),
            "{description}"
        );
    }
}
