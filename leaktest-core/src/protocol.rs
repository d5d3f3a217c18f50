//! How a parent process talks to a leaktest harness binary.
//!
//! Both the harness under `cargo test` and `cargo leaktest` start the test
//! binary again, saying what to do in environment variables. A variable alone
//! proves nothing (it may be left over in a shell, or inherited by a process a
//! test starts), so each internal request names an open file descriptor the
//! parent passed down together with the identity (device and inode) of what it
//! must refer to, `<fd>:<device>:<inode>`; a binary whose descriptor does not
//! match ignores the request, says so on stderr and runs as an ordinary harness.
//!
//! - [`ENV_DESCRIBE`]`=<fd>:<device>:<inode>` of a pipe: write one JSON
//!   [`HarnessDescription`] to the pipe and exit 0. A binary that is not a
//!   leaktest harness writes nothing there: that is how harnesses are told
//!   apart from ordinary test binaries (which are also given `--list`, so a
//!   libtest binary only lists its tests).
//! - [`ENV_CHILD_TEST`]`=<test name>` and [`ENV_RECORD_DIR`]`=<fd>:<device>:<inode>`
//!   of a private directory: run that one test and write its [`TestRecord`]
//!   into the directory as `record-<pid>.json` (written to a temporary name,
//!   then renamed), `<pid>` being the process that ran the test. On Linux the
//!   process started first supervises the test's process and writes its own
//!   report, `supervisor.json` (see `leaktest_core::isolation`), naming that
//!   process; when the test's process exited with code 0 and left nothing
//!   running, it writes no report and renames the record to its own pid
//!   instead, so that the runner reads the record of the process it started,
//!   as where no supervisor runs.
//! - [`ENV_ITERATIONS`]`=<n>` and [`ENV_MEMORY_LIMIT`]`=<size>` (optional):
//!   override every test's iterations and memory limit. Under `cargo test`
//!   they are also the user's way to override them; the harness prints them
//!   in its header.
//! - [`ENV_ATTRIBUTION_PROFILE`]`=<fd>:<device>:<inode>` of a directory (with
//!   the two above): instead of judging the test, profile it under dhat to
//!   find the allocation sites of its heap growth, write the profile into that
//!   directory as [`ATTRIBUTION_PROFILE_FILE`], and deliver a record whose
//!   `attribution` holds the sites (see [`crate::attribution`]). Like the
//!   record directory, the variable counts only with its descriptor: a stale
//!   one cannot turn a verdict run into an attribution run.
//!
//! Records and descriptions carry [`SCHEMA_VERSION`], checked on read.

use crate::model::{HarnessDescription, LeakedProcess, TestRecord, SCHEMA_VERSION};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Asks a harness binary to describe its tests into the pipe it names.
pub const ENV_DESCRIBE: &str = "LEAKTEST_DESCRIBE";
/// The full name of the one test a child process runs.
pub const ENV_CHILD_TEST: &str = "LEAKTEST_CHILD";
/// The directory the child writes its record into.
pub const ENV_RECORD_DIR: &str = "LEAKTEST_RECORD";
/// Overrides the iterations of every test.
pub const ENV_ITERATIONS: &str = "LEAKTEST_ITERATIONS";
/// Overrides the memory limit of every test (`512 MiB`, `4GiB`, bytes).
pub const ENV_MEMORY_LIMIT: &str = "LEAKTEST_MEMORY_LIMIT";
/// Overrides the confirmation window of every test (`2s`, `500ms`, `0s`).
pub const ENV_CONFIRM: &str = "LEAKTEST_CONFIRM";
/// The child's timeout in milliseconds, so it can keep its run within it.
pub const ENV_TIMEOUT_MS: &str = "LEAKTEST_TIMEOUT_MS";
/// The process id of the parent, so a child dies with it.
pub const ENV_PARENT_PID: &str = "LEAKTEST_PARENT_PID";
/// Set by the parent, with [`ENV_CHILD_TEST`] and [`ENV_RECORD_DIR`], to make
/// the child an attribution run: `<fd>:<device>:<inode>` of the directory it
/// writes dhat's profile into, as [`ATTRIBUTION_PROFILE_FILE`].
pub const ENV_ATTRIBUTION_PROFILE: &str = "LEAKTEST_ATTRIBUTION_PROFILE";
/// The name of the profile an attribution run writes into the directory of
/// [`ENV_ATTRIBUTION_PROFILE`].
pub const ATTRIBUTION_PROFILE_FILE: &str = "profile.dhat.json";
/// Read by the parent (the harness under `cargo test`, and `cargo leaktest`
/// when given no flag): when to run attribution (`off`, `failures`, `all`; see
/// [`crate::attribution::AttributionPolicy`]).
pub const ENV_ATTRIBUTE: &str = "LEAKTEST_ATTRIBUTE";

/// The variables only leaktest's runners set, for their own child processes.
/// A runner removes them (and [`OVERRIDE_ENV`]) from every process it starts
/// and sets only those it means.
pub const INTERNAL_ENV: [&str; 6] = [
    ENV_DESCRIBE,
    ENV_CHILD_TEST,
    ENV_RECORD_DIR,
    ENV_TIMEOUT_MS,
    ENV_PARENT_PID,
    ENV_ATTRIBUTION_PROFILE,
];
/// The variables a user may set to override every test's settings.
pub const OVERRIDE_ENV: [&str; 2] = [ENV_ITERATIONS, ENV_MEMORY_LIMIT];

/// The name of the record the test's process `pid` writes in the record directory.
pub fn record_file_name(pid: u32) -> String {
    format!("record-{pid}.json")
}

/// The name of the supervisor's report in the record directory.
pub const SUPERVISOR_REPORT_FILE: &str = "supervisor.json";

/// What a keeper prints on stderr, followed by the cause, when it cannot
/// write its report; the runner reads the cause from there.
pub(crate) const SUPERVISOR_REPORT_UNWRITABLE_NOTE: &str =
    "leaktest: could not write the test's supervisor report: ";

/// What went wrong talking to a harness binary.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The binary could not be started.
    #[error("could not run {binary}: {source}")]
    Spawn {
        /// The binary.
        binary: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The binary did not finish describing itself in time.
    #[error(
        "{binary} did not describe its tests within {timeout:?} when run with --list: \
         a test binary with `harness = false` must end with `leaktest_core::main!()` \
         or stop after listing"
    )]
    DescribeTimedOut {
        /// The binary.
        binary: PathBuf,
        /// How long it was given.
        timeout: Duration,
    },
    /// Describing was cancelled (Ctrl-C); the binary was killed.
    #[error("cancelled while {binary} described its tests")]
    DescribeCancelled {
        /// The binary.
        binary: PathBuf,
    },
    /// A record or description file could not be read.
    #[error("could not read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A record or description is not valid JSON of the expected shape.
    #[error("{what} from {origin} is malformed: {source}")]
    Malformed {
        /// `record` or `description`.
        what: &'static str,
        /// Where it came from.
        origin: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The other side speaks another schema version.
    #[error(
        "{origin} speaks leaktest schema {found}, this program speaks {expected}: \
         rebuild both with the same leaktest version"
    )]
    SchemaMismatch {
        /// Where it came from.
        origin: String,
        /// Version found.
        found: u32,
        /// Version expected.
        expected: u32,
    },
}

#[derive(serde::Deserialize)]
struct VersionProbe {
    schema_version: u32,
}

fn check_version(json: &str, origin: &str) -> Result<(), ProtocolError> {
    let probe: VersionProbe =
        serde_json::from_str(json).map_err(|source| ProtocolError::Malformed {
            what: "schema version",
            origin: origin.to_owned(),
            source,
        })?;
    if probe.schema_version != SCHEMA_VERSION {
        return Err(ProtocolError::SchemaMismatch {
            origin: origin.to_owned(),
            found: probe.schema_version,
            expected: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// The iterations override in [`ENV_ITERATIONS`]: `Ok(None)` when unset, an
/// error naming the variable when it is not a positive integer.
///
/// ```
/// use leaktest_core::protocol::parse_iterations_override;
/// assert_eq!(parse_iterations_override(Some("500")), Ok(Some(500)));
/// assert_eq!(parse_iterations_override(None), Ok(None));
/// assert!(parse_iterations_override(Some("0")).is_err());
/// assert!(parse_iterations_override(Some("2")).is_err());
/// ```
pub fn parse_iterations_override(value: Option<&str>) -> Result<Option<u64>, String> {
    match value.map(|text| (text, text.trim().parse::<u64>())) {
        None => Ok(None),
        Some((_, Ok(iterations))) if (MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) => {
            Ok(Some(iterations))
        }
        Some((text, _)) => Err(format!(
            "{ENV_ITERATIONS} must be a number of iterations from {MIN_ITERATIONS} to \
             {MAX_ITERATIONS}, not `{text}`: set it to e.g. 500, or unset it"
        )),
    }
}

/// Fewest iterations an override may ask for: below this, too few are left
/// after the warm-up to judge growth.
pub const MIN_ITERATIONS: u64 = 4;
/// Most iterations an override may ask for (the sample log is reserved up front).
pub const MAX_ITERATIONS: u64 = 10_000_000;

/// Reads [`ENV_ITERATIONS`] from the environment (see [`parse_iterations_override`]).
pub fn iterations_override_from_env() -> Result<Option<u64>, String> {
    parse_iterations_override(env_text(ENV_ITERATIONS).as_deref())
}

/// The smallest memory limit accepted: below it even an empty test's process
/// (the runtime, the sample log) would not fit.
pub const MIN_MEMORY_LIMIT_BYTES: u64 = 16 << 20;

/// Parses a size: a whole or decimal number, optionally followed by a unit
/// (`B`; `KiB`, `MiB`, `GiB`, `TiB` counting in 1024s; `KB`, `MB`, `GB`, `TB`
/// in 1000s), spaces allowed between; a bare number is bytes. `None` when the
/// text has another form or the size does not fit in 64 bits.
///
/// ```
/// use leaktest_core::protocol::parse_size;
/// assert_eq!(parse_size("2 GiB"), Some(2 << 30));
/// assert_eq!(parse_size("512MiB"), Some(512 << 20));
/// assert_eq!(parse_size("1.5 KB"), Some(1500));
/// assert_eq!(parse_size("4096"), Some(4096));
/// assert_eq!(parse_size("2 GB of RAM"), None);
/// ```
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(number_end);
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return None;
    }
    let multiplier: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        _ => return None,
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let whole_bytes = whole.parse::<u64>().ok()?.checked_mul(multiplier)?;
    if fraction.is_empty() {
        return Some(whole_bytes);
    }
    // Fractions of a unit, exactly: digits / 10^len scaled by the multiplier.
    let digits = fraction.parse::<u128>().ok()?;
    let scale = 10u128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
    let fraction_bytes = u64::try_from(digits * u128::from(multiplier) / scale).ok()?;
    whole_bytes.checked_add(fraction_bytes)
}

/// The memory limit override in [`ENV_MEMORY_LIMIT`]: `Ok(None)` when unset,
/// an error naming the variable when it is not a size of at least
/// [`MIN_MEMORY_LIMIT_BYTES`].
///
/// ```
/// use leaktest_core::protocol::parse_memory_limit_override;
/// assert_eq!(parse_memory_limit_override(Some("1 GiB")), Ok(Some(1 << 30)));
/// assert_eq!(parse_memory_limit_override(None), Ok(None));
/// assert!(parse_memory_limit_override(Some("lots")).is_err());
/// assert!(parse_memory_limit_override(Some("1 KiB")).is_err());
/// ```
pub fn parse_memory_limit_override(value: Option<&str>) -> Result<Option<u64>, String> {
    let Some(text) = value else { return Ok(None) };
    match parse_size(text) {
        Some(bytes) if bytes >= MIN_MEMORY_LIMIT_BYTES => Ok(Some(bytes)),
        _ => Err(format!(
            "{ENV_MEMORY_LIMIT} must be a size of at least 16 MiB, like `512 MiB` or `4 GiB`, \
             not `{text}`: set it to e.g. `4 GiB`, or unset it"
        )),
    }
}

/// Reads [`ENV_MEMORY_LIMIT`] from the environment (see [`parse_memory_limit_override`]).
pub fn memory_limit_override_from_env() -> Result<Option<u64>, String> {
    parse_memory_limit_override(env_text(ENV_MEMORY_LIMIT).as_deref())
}

/// The confirmation window override in [`ENV_CONFIRM`] (a duration, `0s`
/// for none): `Ok(None)` when unset, an error naming the variable when it is
/// not a duration.
///
/// ```
/// use leaktest_core::protocol::parse_confirm_override;
/// assert_eq!(parse_confirm_override(Some("2s")), Ok(Some(2000)));
/// assert_eq!(parse_confirm_override(Some("0ms")), Ok(Some(0)));
/// assert_eq!(parse_confirm_override(None), Ok(None));
/// assert!(parse_confirm_override(Some("soon")).is_err());
/// ```
pub fn parse_confirm_override(value: Option<&str>) -> Result<Option<u64>, String> {
    let Some(text) = value.filter(|text| !text.trim().is_empty()) else {
        return Ok(None);
    };
    match leaktest_units::parse_duration_ms(text.trim()) {
        Some(ms) => Ok(Some(ms)),
        None => Err(format!(
            "{ENV_CONFIRM} must be a duration, like `2s` or `500ms` (`0s` turns the wait off), \
             not `{text}`: set it to e.g. `2s`, or unset it"
        )),
    }
}

/// Settings a runner overrides for one test (resolved from the command
/// line, the environment and `Leaktest.toml`): given to the child process in
/// [`ENV_ITERATIONS`], [`ENV_MEMORY_LIMIT`] and [`ENV_CONFIRM`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SettingsOverride {
    /// Iterations of every test.
    pub iterations: Option<u64>,
    /// Memory limit of every test, in bytes.
    pub memory_limit_bytes: Option<u64>,
    /// Confirmation window of every test, in milliseconds.
    pub confirm_ms: Option<u64>,
}

impl SettingsOverride {
    /// Overrides of the iterations and the memory limit (`None`: each test's own).
    pub fn new(iterations: Option<u64>, memory_limit_bytes: Option<u64>) -> SettingsOverride {
        SettingsOverride {
            iterations,
            memory_limit_bytes,
            confirm_ms: None,
        }
    }

    /// The same, with the confirmation window overridden (`None`: each test's own).
    pub fn with_confirm_ms(self, confirm_ms: Option<u64>) -> SettingsOverride {
        SettingsOverride { confirm_ms, ..self }
    }

    /// The overrides the environment sets, or why one is unusable.
    pub fn from_env() -> Result<SettingsOverride, String> {
        Ok(SettingsOverride {
            iterations: iterations_override_from_env()?,
            memory_limit_bytes: memory_limit_override_from_env()?,
            confirm_ms: parse_confirm_override(env_text(ENV_CONFIRM).as_deref())?,
        })
    }

    /// Sets (or removes) the variables of these overrides on `command`.
    pub(crate) fn apply_to(&self, command: &mut Command) {
        match self.iterations {
            Some(iterations) => command.env(ENV_ITERATIONS, iterations.to_string()),
            None => command.env_remove(ENV_ITERATIONS),
        };
        match self.memory_limit_bytes {
            Some(limit) => command.env(ENV_MEMORY_LIMIT, limit.to_string()),
            None => command.env_remove(ENV_MEMORY_LIMIT),
        };
        match self.confirm_ms {
            Some(confirm_ms) => command.env(ENV_CONFIRM, format!("{confirm_ms}ms")),
            None => command.env_remove(ENV_CONFIRM),
        };
    }
}

fn env_text(name: &str) -> Option<String> {
    std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
}

/// Parses a record, checking its schema version first.
pub fn parse_record(json: &str, origin: &str) -> Result<TestRecord, ProtocolError> {
    check_version(json, origin)?;
    serde_json::from_str(json).map_err(|source| ProtocolError::Malformed {
        what: "record",
        origin: origin.to_owned(),
        source,
    })
}

/// Reads the record a child wrote to `path`.
pub fn read_record(path: &Path) -> Result<TestRecord, ProtocolError> {
    let json = std::fs::read_to_string(path).map_err(|source| ProtocolError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_record(&json, &path.display().to_string())
}

/// Parses what a binary wrote to the describe pipe: `Ok(None)` when it wrote
/// nothing (not a leaktest harness).
pub fn parse_description(
    written: &str,
    origin: &str,
) -> Result<Option<HarnessDescription>, ProtocolError> {
    let json = written.trim();
    if json.is_empty() {
        return Ok(None);
    }
    check_version(json, origin)?;
    serde_json::from_str(json)
        .map(Some)
        .map_err(|source| ProtocolError::Malformed {
            what: "description",
            origin: origin.to_owned(),
            source,
        })
}

/// What the supervisor of a test's process reports once it ended: which
/// process ran the test, how it ended, and what it left running.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SupervisorReport {
    /// Always [`SCHEMA_VERSION`].
    pub(crate) schema_version: u32,
    /// The process that ran the test: only its record counts.
    pub(crate) test_pid: u32,
    /// How it ended.
    pub(crate) exit: crate::process::ExitStatus,
    /// Processes still running when it ended (killed since).
    pub(crate) leaked_processes: Vec<LeakedProcess>,
}

/// An open file a parent hands down to a child process, named in an
/// environment variable as `<fd>:<device>:<inode>`. The child trusts the
/// variable only when descriptor `fd` is open on that very file: a stale or
/// inherited variable names a descriptor that is closed, or open on something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InheritedFd {
    pub(crate) fd: i32,
    device: u64,
    inode: u64,
}

#[cfg(unix)]
impl InheritedFd {
    /// The descriptor of `file`, with the identity of what it is open on.
    pub(crate) fn of(file: &impl std::os::fd::AsRawFd) -> std::io::Result<InheritedFd> {
        let (device, inode) = identity(file.as_raw_fd())?;
        Ok(InheritedFd {
            fd: file.as_raw_fd(),
            device,
            inode,
        })
    }

    /// `<fd>:<device>:<inode>`.
    pub(crate) fn to_env_value(self) -> String {
        format!("{}:{}:{}", self.fd, self.device, self.inode)
    }

    /// Reads `<fd>:<device>:<inode>`; `None` for any other text.
    pub(crate) fn parse(text: &str) -> Option<InheritedFd> {
        let mut parts = text.trim().splitn(3, ':');
        let fd = parts.next()?.parse().ok()?;
        let device = parts.next()?.parse().ok()?;
        let inode = parts.next()?.parse().ok()?;
        Some(InheritedFd { fd, device, inode })
    }

    /// Takes descriptor `fd` for this process when it is open on the file the
    /// variable names, closing it on `exec` from now on (processes the test
    /// starts do not inherit it). `None` when it is not.
    pub(crate) fn claim(self) -> Option<File> {
        use std::os::fd::FromRawFd;
        if self.fd <= 2 || identity(self.fd).ok()? != (self.device, self.inode) {
            return None;
        }
        // SAFETY: fcntl on a descriptor that is open (identity succeeded).
        unsafe {
            libc::fcntl(self.fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
        // SAFETY: the descriptor is open and nothing else in this process
        // owns it: it was inherited for this purpose, and is claimed once.
        Some(unsafe { File::from_raw_fd(self.fd) })
    }
}

/// The device and inode of what descriptor `fd` is open on.
#[cfg(unix)]
pub(crate) fn identity(fd: i32) -> std::io::Result<(u64, u64)> {
    // SAFETY: fstat writes only into the stat buffer we pass.
    let stat = unsafe {
        let mut stat: libc::stat = std::mem::zeroed();
        if libc::fstat(fd, &mut stat) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        stat
    };
    #[allow(clippy::unnecessary_cast)]
    Ok((stat.st_dev as u64, stat.st_ino as u64))
}

/// A copy of `file`'s descriptor numbered 3 or above (a child's standard
/// streams are set up on 0 to 2 before it runs, and would replace it there),
/// closed on `exec` like every descriptor this process opens.
#[cfg(unix)]
pub(crate) fn above_standard_streams(file: &File) -> std::io::Result<File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: F_DUPFD_CLOEXEC returns a new descriptor that we own.
    let fd = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created and is owned by nothing else.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// Spawns `command` so that its process inherits `fds` (descriptors of this
/// process, each closed on `exec`) under the same numbers, while every other
/// descriptor stays closed on `exec`.
///
/// The descriptors are inheritable only while this call spawns, under a lock
/// every descriptor-passing spawn of this process takes, so no other child a
/// runner starts this way inherits them. Passing them this way rather than
/// from a `pre_exec` closure lets `Command` start the child with
/// `posix_spawn` (a clone that shares the parent's memory until `exec`)
/// instead of `fork`, which a closure forces: a fork copies the runner's page
/// tables for every test it starts (BENCHMARKS.md section 4).
#[cfg(unix)]
pub(crate) fn spawn_passing(
    command: &mut Command,
    fds: &[i32],
) -> std::io::Result<std::process::Child> {
    static SPAWNING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _only_spawn = SPAWNING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let set_close_on_exec = |fd: i32, close: bool| {
        let flags = if close { libc::FD_CLOEXEC } else { 0 };
        // SAFETY: F_SETFD changes only the flags of a descriptor we own.
        if unsafe { libc::fcntl(fd, libc::F_SETFD, flags) } == -1 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    };
    let inheritable = fds.iter().try_for_each(|&fd| set_close_on_exec(fd, false));
    let spawned = inheritable.and_then(|()| command.spawn());
    for &fd in fds {
        // A descriptor whose flag cannot be set again stays inheritable: only
        // children started without this lock could inherit it meanwhile.
        let _ = set_close_on_exec(fd, true);
    }
    spawned
}

/// Writes `bytes` to `name` in directory `dir` so that a reader sees either
/// nothing or all of it: to a temporary name first, then renamed.
#[cfg(unix)]
pub(crate) fn write_file_atomically(dir: &File, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    PreparedFile::create(dir, name)?.deliver(dir, bytes)
}

/// A file to be written whole, later, under `name` in a directory: created
/// now under a temporary name and kept open, so that writing it needs no
/// new descriptor (a test that used up its descriptors can still deliver its
/// record), and renamed into place once written.
#[cfg(unix)]
#[derive(Debug)]
pub(crate) struct PreparedFile {
    file: File,
    /// What `file` is open on, to notice a descriptor the test closed or replaced.
    identity: (u64, u64),
    temporary: std::ffi::CString,
    name: std::ffi::CString,
}

#[cfg(unix)]
impl PreparedFile {
    /// Creates the temporary file of `name` in directory `dir`.
    pub(crate) fn create(dir: &File, name: &str) -> std::io::Result<PreparedFile> {
        use std::ffi::CString;
        use std::os::fd::{AsRawFd, FromRawFd};
        let temporary = format!(".{name}.{}.tmp", std::process::id());
        let temporary = CString::new(temporary).map_err(std::io::Error::other)?;
        let name = CString::new(name).map_err(std::io::Error::other)?;
        // SAFETY: openat with a valid directory descriptor and C string; the
        // new descriptor is owned by the File made from it.
        let file = unsafe {
            let fd = libc::openat(
                dir.as_raw_fd(),
                temporary.as_ptr(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC,
                0o600 as libc::c_uint,
            );
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            File::from_raw_fd(fd)
        };
        let identity = identity(file.as_raw_fd())?;
        Ok(PreparedFile {
            file,
            identity,
            temporary,
            name,
        })
    }

    /// Whether the descriptor is still open on the file it was created as
    /// (a test may close descriptors it does not own, or reuse their numbers).
    pub(crate) fn is_intact(&self) -> bool {
        use std::os::fd::AsRawFd;
        identity(self.file.as_raw_fd()).is_ok_and(|identity| identity == self.identity)
    }

    /// Replaces what the file holds with `bytes` and renames it to its name
    /// in `dir`. Opens nothing. Check [`PreparedFile::is_intact`] first.
    ///
    /// The file is cut only when it holds more than `bytes` (something was
    /// written to it meanwhile): it is created empty, and an `ftruncate` of
    /// it cost every test about 0.1 ms on ext4 (BENCHMARKS.md, section 3).
    pub(crate) fn deliver(&self, dir: &File, bytes: &[u8]) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        self.file.write_all_at(bytes, 0)?;
        let written = bytes.len() as u64;
        if self.file.metadata()?.len() > written {
            self.file.set_len(written)?;
        }
        rename_in(dir, &self.temporary, &self.name)
    }
}

/// Renames `from` to `to`, both in directory `dir` (replacing `to`).
#[cfg(unix)]
pub(crate) fn rename_in(
    dir: &File,
    from: &std::ffi::CStr,
    to: &std::ffi::CStr,
) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: renameat with a valid directory descriptor and C strings.
    let renamed =
        unsafe { libc::renameat(dir.as_raw_fd(), from.as_ptr(), dir.as_raw_fd(), to.as_ptr()) };
    if renamed != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The path of the directory `dir` is open on: on Linux, what
/// `/proc/self/fd` says; elsewhere `/dev/fd/<n>`, which reaches it through the
/// descriptor.
#[cfg(unix)]
pub(crate) fn directory_path(dir: &File) -> std::io::Result<PathBuf> {
    use std::os::fd::AsRawFd;
    #[cfg(target_os = "linux")]
    {
        std::fs::read_link(format!("/proc/self/fd/{}", dir.as_raw_fd()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        Ok(PathBuf::from(format!("/dev/fd/{}", dir.as_raw_fd())))
    }
}

/// A test binary opened once, so that every process started from it runs the
/// very file that was opened, even when a rebuild replaces the file at its
/// path meanwhile (cargo's linkers write a new file and rename it over the old).
#[derive(Debug)]
pub struct PinnedBinary {
    path: PathBuf,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    file: File,
}

impl PinnedBinary {
    /// Opens the binary at `path`.
    pub fn open(path: &Path) -> std::io::Result<PinnedBinary> {
        Ok(PinnedBinary {
            path: path.to_owned(),
            file: File::open(path)?,
        })
    }

    /// The path it was opened at (for reports).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What to execute to run the opened file: on Linux its descriptor in
    /// this process, `/proc/<pid>/fd/<n>` (valid as long as this value lives);
    /// elsewhere its path.
    pub fn exec_path(&self) -> PathBuf {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            PathBuf::from(format!(
                "/proc/{}/fd/{}",
                std::process::id(),
                self.file.as_raw_fd()
            ))
        }
        #[cfg(not(target_os = "linux"))]
        {
            self.path.clone()
        }
    }

    /// A command running the opened file, whose `argv[0]` is its path.
    pub fn command(&self) -> Command {
        let mut command = Command::new(self.exec_path());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.arg0(&self.path);
        }
        command
    }
}

/// How long a binary may take to describe itself before it is killed.
pub const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a describing parent checks for cancellation and for the
/// binary's exit.
const DESCRIBE_POLL: Duration = Duration::from_millis(20);

/// Asks `binary` to describe its leak tests. `Ok(None)` when it is not a
/// leaktest harness. The binary runs with `--list` too, so an ordinary libtest
/// binary only lists its tests instead of running them, in a process group of
/// its own that is killed when it exits (processes it left holding the pipe
/// go with it).
///
/// The whole exchange ends within `timeout`, or as soon as `cancel` is set:
/// the binary is killed and [`ProtocolError::DescribeTimedOut`] or
/// [`ProtocolError::DescribeCancelled`] returned. The description is read
/// while the binary runs and what is left in the pipe once it exited, so a
/// process that inherited the pipe and lives on cannot make the read wait.
#[cfg(unix)]
pub fn describe_harness(
    binary: &PinnedBinary,
    timeout: Duration,
    cancel: Option<&AtomicBool>,
) -> Result<Option<HarnessDescription>, ProtocolError> {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let spawn_error = |source| ProtocolError::Spawn {
        binary: binary.path().to_owned(),
        source,
    };
    let (mut reading, writing) = pipe().map_err(spawn_error)?;
    let writing = above_standard_streams(&writing).map_err(spawn_error)?;
    let channel = InheritedFd::of(&writing).map_err(spawn_error)?;
    let mut command = binary.command();
    command.arg("--list");
    for variable in INTERNAL_ENV.iter().chain(&OVERRIDE_ENV) {
        command.env_remove(variable);
    }
    command
        .env(ENV_DESCRIBE, channel.to_env_value())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let mut child = spawn_passing(&mut command, &[writing.as_raw_fd()]).map_err(spawn_error)?;
    drop(writing);
    let pid = child.id();
    let give_up = |child: &mut std::process::Child| {
        crate::process::signal_group(pid, libc::SIGKILL);
        let _ = child.kill();
        let _ = child.wait();
    };
    let deadline = Instant::now().checked_add(timeout);
    let mut written = Vec::new();
    let mut buffer = [0u8; 8192];
    let mut pipe_closed = false;
    loop {
        if cancel.is_some_and(|flag| flag.load(Ordering::SeqCst)) {
            give_up(&mut child);
            return Err(ProtocolError::DescribeCancelled {
                binary: binary.path().to_owned(),
            });
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            give_up(&mut child);
            return Err(ProtocolError::DescribeTimedOut {
                binary: binary.path().to_owned(),
                timeout,
            });
        }
        if has_exited(&mut child) {
            // Whatever it left in its group goes now; what it wrote before
            // exiting is in the pipe already.
            crate::process::signal_group(pid, libc::SIGKILL);
            let _ = child.wait();
            while !pipe_closed && readable(reading.as_raw_fd(), Duration::ZERO) {
                match reading.read(&mut buffer) {
                    Ok(0) | Err(_) => pipe_closed = true,
                    Ok(read) => written.extend_from_slice(&buffer[..read]),
                }
            }
            break;
        }
        if pipe_closed {
            std::thread::sleep(DESCRIBE_POLL);
        } else if readable(reading.as_raw_fd(), DESCRIBE_POLL) {
            match reading.read(&mut buffer) {
                Ok(0) | Err(_) => pipe_closed = true,
                Ok(read) => written.extend_from_slice(&buffer[..read]),
            }
        }
    }
    parse_description(
        &String::from_utf8_lossy(&written),
        &binary.path().display().to_string(),
    )
}

/// Whether `child` has exited; on Linux it is left unreaped, so its process
/// group can still be signalled safely.
#[cfg(unix)]
fn has_exited(child: &mut std::process::Child) -> bool {
    #[cfg(target_os = "linux")]
    {
        crate::process::exited_unreaped(child.id(), false)
    }
    #[cfg(not(target_os = "linux"))]
    {
        !matches!(child.try_wait(), Ok(None))
    }
}

/// A pipe, both ends closed on `exec`: `(read end, write end)`.
#[cfg(unix)]
fn pipe() -> std::io::Result<(File, File)> {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: pipe writes two new descriptors into `fds`, which we then own.
    unsafe {
        #[cfg(target_os = "linux")]
        let created = libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC);
        #[cfg(not(target_os = "linux"))]
        let created = {
            let created = libc::pipe(fds.as_mut_ptr());
            if created == 0 {
                libc::fcntl(fds[0], libc::F_SETFD, libc::FD_CLOEXEC);
                libc::fcntl(fds[1], libc::F_SETFD, libc::FD_CLOEXEC);
            }
            created
        };
        if created != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok((File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])))
    }
}

/// Whether `fd` has data (or its end) to read within `wait`.
#[cfg(unix)]
fn readable(fd: i32, wait: Duration) -> bool {
    let mut poll = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let wait_ms = libc::c_int::try_from(wait.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: poll reads and writes only the one pollfd we pass.
    let ready = unsafe { libc::poll(&mut poll, 1, wait_ms) };
    ready > 0 && poll.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_of_another_schema_is_refused_with_the_fix() {
        let error = parse_record(r#"{"schema_version": 999}"#, "child").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("schema 999"), "{message}");
        assert!(message.contains("same leaktest version"), "{message}");
    }

    /// The passed descriptor is open in the child under its number, and
    /// closed on `exec` again in this process once the spawn returned; one
    /// not passed stays closed in the child.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_passed_descriptor_reaches_only_its_child() {
        use std::os::fd::AsRawFd;
        let dir = tempfile::tempdir().unwrap();
        let passed = above_standard_streams(&File::open(dir.path()).unwrap()).unwrap();
        let kept = above_standard_streams(&File::open(dir.path()).unwrap()).unwrap();
        let (passed_fd, kept_fd) = (passed.as_raw_fd(), kept.as_raw_fd());
        let mut command = Command::new("sh");
        command.arg("-c").arg(format!(
            "test -e /proc/self/fd/{passed_fd} && ! test -e /proc/self/fd/{kept_fd}"
        ));
        let status = spawn_passing(&mut command, &[passed_fd])
            .unwrap()
            .wait()
            .unwrap();
        assert!(status.success(), "the child saw the wrong descriptors");
        // SAFETY: F_GETFD only reads the flags of a descriptor we own.
        let flags = unsafe { libc::fcntl(passed_fd, libc::F_GETFD) };
        assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
    }

    #[test]
    fn nothing_written_is_not_a_harness() {
        assert!(parse_description("", "bin").unwrap().is_none());
        assert!(parse_description("\n", "bin").unwrap().is_none());
    }

    #[test]
    fn a_description_is_parsed() {
        let json = format!(
            "{{\"schema_version\":{SCHEMA_VERSION},\"leaktest_version\":\"0.1.0\",\"tests\":[]}}\n"
        );
        let parsed = parse_description(&json, "bin").unwrap().unwrap();
        assert_eq!(parsed.tests.len(), 0);
        assert!(parse_description("{\"schema_version\":", "bin").is_err());
    }

    #[test]
    fn sizes_take_binary_and_decimal_units() {
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("64 B"), Some(64));
        assert_eq!(parse_size("24 MiB"), Some(24 << 20));
        assert_eq!(parse_size(" 2GiB "), Some(2 << 30));
        assert_eq!(parse_size("1TiB"), Some(1 << 40));
        assert_eq!(parse_size("3 MB"), Some(3_000_000));
        assert_eq!(parse_size("0.5 GiB"), Some(512 << 20));
        for bad in [
            "", "GiB", "2 gigs", "1..5 MiB", ".5 MiB", "5. MiB", "-1 MiB",
        ] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
        assert_eq!(parse_size("99999999999 TiB"), None, "overflow");
    }

    #[cfg(unix)]
    #[test]
    fn an_inherited_descriptor_is_trusted_only_on_its_own_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = File::open(dir.path()).unwrap();
        let copy = above_standard_streams(&file).unwrap();
        let channel = InheritedFd::of(&copy).unwrap();
        let parsed = InheritedFd::parse(&channel.to_env_value()).unwrap();
        assert_eq!(parsed, channel);
        let other = tempfile::tempfile().unwrap();
        let wrong_file = InheritedFd {
            fd: std::os::fd::AsRawFd::as_raw_fd(&other),
            ..channel
        };
        assert!(wrong_file.claim().is_none(), "another file's descriptor");
        let stale = InheritedFd { fd: 987, ..channel };
        assert!(stale.claim().is_none(), "a closed descriptor");
        assert!(InheritedFd::parse("1").is_none(), "the old `=1` form");
        std::mem::forget(copy);
        assert!(channel.claim().is_some());
    }

    #[cfg(unix)]
    #[test]
    fn files_are_written_whole_under_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let handle = File::open(dir.path()).unwrap();
        write_file_atomically(&handle, "record-1.json", b"{}").unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["record-1.json"]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("record-1.json")).unwrap(),
            "{}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_prepared_file_holds_exactly_what_was_delivered() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let handle = File::open(dir.path()).unwrap();
        let prepared = PreparedFile::create(&handle, "record-2.json").unwrap();
        assert!(prepared.is_intact());
        // Something wrote to the file meanwhile (a test scribbling on a
        // descriptor it does not own): what is delivered replaces all of it.
        (&prepared.file).write_all(&[b'x'; 100]).unwrap();
        prepared.deliver(&handle, b"{\"short\":1}").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("record-2.json")).unwrap(),
            "{\"short\":1}"
        );
    }

    #[cfg(unix)]
    fn script(dir: &Path, name: &str, body: &str) -> PinnedBinary {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        PinnedBinary::open(&path).unwrap()
    }

    #[cfg(unix)]
    #[test]
    fn a_binary_that_hangs_is_given_up_in_time_or_when_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let sleeper = script(dir.path(), "sleeper", "exec sleep 600");
        let error = describe_harness(&sleeper, Duration::from_millis(200), None).unwrap_err();
        assert!(
            matches!(error, ProtocolError::DescribeTimedOut { .. }),
            "{error}"
        );
        let cancel = AtomicBool::new(true);
        let error = describe_harness(&sleeper, DESCRIBE_TIMEOUT, Some(&cancel)).unwrap_err();
        assert!(
            matches!(error, ProtocolError::DescribeCancelled { .. }),
            "{error}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_binary_leaving_a_process_on_its_output_is_not_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        // The background sleep inherits every descriptor, the pipe included.
        let binary = script(dir.path(), "leaves-a-sleeper", "sleep 600 &\nexit 0");
        let described = describe_harness(&binary, DESCRIBE_TIMEOUT, None).unwrap();
        assert!(described.is_none());
    }
}
