//! The child side of isolation: run one test in this process and write its record.
//!
//! The process the runner started first becomes the test's keeper (see
//! [`crate::keeper`]) and forks the process that runs the test. Only that
//! process delivers a record, named after its process id and written whole
//! (to a temporary name, then renamed): a process the test forked that runs
//! on through the body delivers nothing.

use crate::driver::Driver;
use crate::model::{Outcome, TestDescription, TestRecord};
use crate::protocol::{self, SettingsOverride};
use crate::registry::LeakTest;
use std::fs::File;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Exit code of a child asked for a test the binary does not have, or given
/// an unusable environment.
pub const EXIT_UNKNOWN_TEST: i32 = 3;
/// Exit code of a child that could not write its record.
pub const EXIT_RECORD_UNWRITABLE: i32 = 4;

/// What the runner asked a child process to do, read from the environment
/// once the record directory was proved to be the runner's.
pub(crate) struct ChildRequest {
    /// The full name of the test to run.
    pub(crate) test_name: String,
    /// The directory to write the record into.
    pub(crate) record_dir: File,
    /// The runner's process id.
    pub(crate) parent: Option<u32>,
    /// The timeout the runner kills the test after.
    pub(crate) timeout: Option<Duration>,
    /// The settings overridden for the run, or why they are unusable.
    pub(crate) overrides: Result<SettingsOverride, String>,
    /// For an attribution run, the directory to write dhat's profile into
    /// (proved to be the runner's like the record directory).
    pub(crate) attribution_dir: Option<File>,
}

impl ChildRequest {
    /// The request for `test_name`, its other values read from the
    /// environment; `attribution_dir` makes it an attribution run.
    pub(crate) fn from_env(
        test_name: String,
        record_dir: File,
        attribution_dir: Option<File>,
    ) -> ChildRequest {
        let number = |name: &str| std::env::var(name).ok()?.trim().parse::<u64>().ok();
        ChildRequest {
            test_name,
            record_dir,
            parent: number(protocol::ENV_PARENT_PID).and_then(|pid| u32::try_from(pid).ok()),
            timeout: number(protocol::ENV_TIMEOUT_MS).map(Duration::from_millis),
            overrides: SettingsOverride::from_env(),
            attribution_dir,
        }
    }
}

/// Runs the requested test and exits: its verdict run, or its attribution
/// run when the request names a profile directory. `allocator` is the type
/// name of the allocator the counting allocator wraps, as `main!` reported it.
pub(crate) fn run_child_and_exit(request: ChildRequest, allocator: Option<&str>) -> ! {
    #[cfg(target_os = "linux")]
    crate::keeper::fork_test_process(
        &request.record_dir,
        request.attribution_dir.as_ref(),
        request.parent,
    );
    let test_pid = std::process::id();
    prepare_record(&request.record_dir, test_pid);
    let Some(test) = find_test(&request.test_name) else {
        eprintln!(
            "leaktest: this binary has no leak test named `{}` (run it with --list to see them)",
            request.test_name
        );
        std::process::exit(EXIT_UNKNOWN_TEST);
    };
    let overrides = match request.overrides {
        Ok(overrides) => overrides,
        Err(message) => {
            eprintln!("leaktest: {message}");
            std::process::exit(EXIT_UNKNOWN_TEST);
        }
    };
    let description = test.description_with(&overrides);
    crate::panic_capture::install(&request.record_dir);
    let started = Instant::now();
    limit_memory(&description, &request.record_dir, started);
    let record = match &request.attribution_dir {
        Some(profile_dir) => crate::attribution::run_test(
            test,
            description,
            profile_dir,
            allocator,
            request.timeout,
            started,
        ),
        None => run_test(test, description, request.timeout, started),
    };
    if std::process::id() != test_pid {
        // A process the test forked, come back from the body: its record is
        // not the test's. It ends here, silently.
        // SAFETY: _exit ends the process without running anything more.
        unsafe { libc::_exit(0) };
    }
    match deliver(&request.record_dir, &record) {
        Ok(()) => std::process::exit(0),
        Err(error) => {
            eprintln!("{RECORD_UNWRITABLE_NOTE}{error}");
            std::process::exit(EXIT_RECORD_UNWRITABLE);
        }
    }
}

/// What a test's process prints on stderr, followed by the cause, when it
/// cannot write its record (and exits with [`EXIT_RECORD_UNWRITABLE`]); the
/// runner reads the cause from there.
pub(crate) const RECORD_UNWRITABLE_NOTE: &str = "leaktest: could not write the test's record: ";

/// The record's file, created before the test runs (see [`prepare_record`]).
static PREPARED_RECORD: OnceLock<protocol::PreparedFile> = OnceLock::new();

/// Creates the file the record of this process (`test_pid`) will be written
/// to, before the test runs: a test that uses up its descriptors (a leak
/// running into `ulimit -n`) can then still deliver its verdict. When it
/// cannot be created now, delivery tries again at the end.
fn prepare_record(record_dir: &File, test_pid: u32) {
    if let Ok(prepared) =
        protocol::PreparedFile::create(record_dir, &protocol::record_file_name(test_pid))
    {
        let _ = PREPARED_RECORD.set(prepared);
    }
}

fn find_test(full_name: &str) -> Option<&'static LeakTest> {
    inventory::iter::<LeakTest>
        .into_iter()
        .find(|test| is_named(test, full_name))
}

/// Whether [`LeakTest::full_name`] of `test` is `full_name`, without building it.
fn is_named(test: &LeakTest, full_name: &str) -> bool {
    match test.module_path.split_once("::") {
        Some((_crate, path)) => {
            full_name
                .strip_prefix(path)
                .and_then(|rest| rest.strip_prefix("::"))
                == Some(test.name)
        }
        None => full_name == test.name,
    }
}

/// Writes `record` into the record directory under this process's name:
/// into the file prepared before the test ran, or, when the test closed or
/// replaced its descriptor, into a new one. The test's own file size limit
/// is lifted first (a body may lower `RLIMIT_FSIZE`; its run is over).
fn deliver(record_dir: &File, record: &TestRecord) -> std::io::Result<()> {
    let json = serde_json::to_vec(record).map_err(std::io::Error::other)?;
    lift_file_size_limit();
    match PREPARED_RECORD.get() {
        Some(prepared) if prepared.is_intact() => prepared.deliver(record_dir, &json),
        _ => protocol::write_file_atomically(
            record_dir,
            &protocol::record_file_name(std::process::id()),
            &json,
        ),
    }
}

/// Raises the soft `RLIMIT_FSIZE` to the hard one, which a process may always do.
fn lift_file_size_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write only the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_FSIZE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
        }
    }
}

/// Runs one test in this process and returns its record.
fn run_test(
    test: &LeakTest,
    description: TestDescription,
    timeout: Option<Duration>,
    started: Instant,
) -> TestRecord {
    let mut driver = Driver::new(description.settings);
    if !crate::alloc::is_installed() {
        driver.record_failure(
            "the counting allocator is not installed: end the test file with \
             `leaktest_core::main!();` (or `main!(allocator = YourAlloc)` if you have \
             your own global allocator)"
                .to_owned(),
        );
        return driver.into_record(description.name, description.location, started.elapsed());
    }
    if let Some(deadline) = timeout.and_then(|timeout| started.checked_add(timeout)) {
        driver = driver.with_deadline(deadline);
    }
    (test.run)(&mut driver);
    let record = driver.into_record(description.name, description.location, started.elapsed());
    debug_assert!(!matches!(record.outcome, Outcome::Ignored { .. }));
    record
}

/// What the memory limit's report needs, set before the test starts: it runs
/// inside the allocator, on whichever thread passed the limit.
struct OutOfMemoryReport {
    test: TestDescription,
    record_dir: std::os::fd::RawFd,
    test_pid: u32,
    started: Instant,
}

static OUT_OF_MEMORY_REPORT: OnceLock<OutOfMemoryReport> = OnceLock::new();

/// Stops the test when its live heap passes its memory limit.
fn limit_memory(test: &TestDescription, record_dir: &File, started: Instant) {
    use std::os::fd::AsRawFd;
    let report = OutOfMemoryReport {
        test: test.clone(),
        record_dir: record_dir.as_raw_fd(),
        test_pid: std::process::id(),
        started,
    };
    if OUT_OF_MEMORY_REPORT.set(report).is_ok() {
        crate::alloc::set_live_bytes_limit(test.settings.memory_limit_bytes, out_of_memory);
    }
}

/// Runs inside the allocator once the live heap passed the limit: delivers
/// an out-of-memory record and ends the process at once (nothing of the test
/// may run on, and no destructor either: the heap is over its limit).
fn out_of_memory(live_bytes: i64) {
    let Some(report) = OUT_OF_MEMORY_REPORT.get() else {
        return;
    };
    if std::process::id() == report.test_pid {
        let limit_bytes = report.test.settings.memory_limit_bytes;
        let iteration = crate::driver::iteration_in_progress();
        let mut record = TestRecord::without_run(
            &report.test,
            Outcome::OutOfMemory {
                limit_bytes,
                iteration,
            },
            u64::try_from(report.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        record.iterations_run = iteration.unwrap_or(0);
        record.peak_heap_bytes = crate::alloc::peak_live_bytes().max(live_bytes.max(0) as u64);
        let note = format!(
            "leaktest: {}: stopping the test\n",
            crate::summary::out_of_memory_sentence(limit_bytes, iteration)
        );
        // SAFETY: write reads `note`'s bytes; fd 2 may be closed, which is harmless.
        unsafe {
            libc::write(2, note.as_ptr().cast(), note.len());
        }
        use std::os::fd::FromRawFd;
        // SAFETY: the record directory stays open for the life of the process;
        // ManuallyDrop keeps this copy of the handle from closing it.
        let record_dir =
            std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(report.record_dir) });
        let _ = deliver(&record_dir, &record);
    }
    // SAFETY: _exit ends the process without running anything more.
    unsafe { libc::_exit(0) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::TestConfig;

    fn test_at(module_path: &'static str, name: &'static str) -> LeakTest {
        LeakTest {
            name,
            module_path,
            file: "tests/leaks.rs",
            line: 1,
            config: TestConfig {
                iterations: None,
                warmup: None,
                should_leak: false,
                ignore: None,
                timeout_ms: None,
                settle_ms: None,
                confirm_ms: None,
                runtime: None,
                worker_threads: None,
                has_setup: false,
                budgets: &[],
                memory_limit_bytes: None,
            },
            run: |_| {},
        }
    }

    #[test]
    fn a_test_is_named_by_its_full_name_and_nothing_else() {
        let cases = [
            test_at("leaks", "parse"),
            test_at("leaks::nested::deeper", "parse"),
            test_at("leaks::p", "arse"),
        ];
        let names = [
            "parse",
            "nested::deeper::parse",
            "p::arse",
            "nested::deeper",
            "leaks::parse",
            "nested::deeper::parse::",
            "",
        ];
        for test in &cases {
            for name in names {
                assert_eq!(
                    is_named(test, name),
                    test.full_name() == name,
                    "{}::{} as `{name}`",
                    test.module_path,
                    test.name
                );
            }
            assert!(is_named(test, &test.full_name()));
        }
    }
}
