//! The child side of isolation: run one test in this process and write its record.

use crate::driver::Driver;
use crate::model::{Outcome, TestRecord};
use crate::protocol::{self, ENV_PARENT_PID, ENV_RECORD_PATH};
use crate::registry::LeakTest;
use std::path::PathBuf;
use std::time::Instant;

/// Exit code of a child asked for a test the binary does not have, or given
/// an unusable environment.
pub const EXIT_UNKNOWN_TEST: i32 = 3;
/// Exit code of a child whose parent was gone before it started the test.
pub const EXIT_PARENT_GONE: i32 = 5;
/// Exit code of a child that could not write its record.
pub const EXIT_RECORD_UNWRITABLE: i32 = 4;

/// Runs the test named by [`crate::protocol::ENV_CHILD_TEST`] and exits: its
/// verdict run, or its attribution run when the parent set
/// [`crate::protocol::ENV_ATTRIBUTION_PROFILE`]. `allocator` is the type name
/// of the allocator the counting allocator wraps, as `main!` reported it.
pub fn run_child_and_exit(test_name: &str, allocator: Option<&str>) -> ! {
    die_with_parent();
    let Some(test) = find_test(test_name) else {
        eprintln!("leaktest: this binary has no leak test named `{test_name}` (run it with --list to see them)");
        std::process::exit(EXIT_UNKNOWN_TEST);
    };
    let iterations_override = match protocol::iterations_override_from_env() {
        Ok(iterations) => iterations,
        Err(message) => {
            eprintln!("leaktest: {message}");
            std::process::exit(EXIT_UNKNOWN_TEST);
        }
    };
    let record = match std::env::var_os(protocol::ENV_ATTRIBUTION_PROFILE) {
        Some(profile) => crate::attribution::run_test(
            test,
            iterations_override,
            std::path::Path::new(&profile),
            allocator,
        ),
        None => run_test(test, iterations_override),
    };
    let Some(path) = std::env::var_os(ENV_RECORD_PATH).map(PathBuf::from) else {
        eprintln!("leaktest: {ENV_RECORD_PATH} is not set; printing the record instead");
        println!("{}", serde_json::to_string(&record).unwrap_or_default());
        std::process::exit(0);
    };
    let written = serde_json::to_vec(&record)
        .map_err(std::io::Error::other)
        .and_then(|json| std::fs::write(&path, json));
    if let Err(error) = written {
        eprintln!(
            "leaktest: could not write the record to {}: {error}",
            path.display()
        );
        std::process::exit(EXIT_RECORD_UNWRITABLE);
    }
    std::process::exit(0);
}

/// The test of this binary named `full_name`. Found without sorting the
/// tests or building their names: a child process does this once, in
/// binaries that may hold hundreds of tests.
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

/// Runs one test in this process and returns its record.
pub fn run_test(test: &LeakTest, iterations_override: Option<u64>) -> TestRecord {
    let started = Instant::now();
    let settings = test.config.settings_with(iterations_override);
    if !crate::alloc::is_installed() {
        let mut driver = Driver::new(settings);
        driver.record_failure(
            "the counting allocator is not installed: end the test file with \
             `leaktest_core::main!();` (or `main!(allocator = YourAlloc)` if you have \
             your own global allocator)"
                .to_owned(),
        );
        return driver.into_record(test.full_name(), test.location(), started.elapsed());
    }
    let mut driver = Driver::new(settings);
    if let Some(deadline) = timeout_from_env().and_then(|timeout| started.checked_add(timeout)) {
        driver = driver.with_deadline(deadline);
    }
    (test.run)(&mut driver);
    let record = driver.into_record(test.full_name(), test.location(), started.elapsed());
    debug_assert!(!matches!(record.outcome, Outcome::Ignored { .. }));
    record
}

/// The timeout the parent will kill this process after, if it said.
pub(crate) fn timeout_from_env() -> Option<std::time::Duration> {
    std::env::var(protocol::ENV_TIMEOUT_MS)
        .ok()?
        .parse()
        .ok()
        .map(std::time::Duration::from_millis)
}

/// Ends this process when the parent dies, so an interrupted run leaves no
/// test running on: the parent's death sends SIGTERM, and when this process
/// leads its own process group (as every child the parent starts does), the
/// handler takes the whole group down with it, processes the test started
/// included.
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: getpgrp and getpid have no preconditions.
        let leads_own_group = unsafe { libc::getpgrp() == libc::getpid() };
        let death_signal = if leads_own_group {
            let handler: extern "C" fn(libc::c_int) = kill_own_group;
            // SAFETY: the handler only calls kill, which is async-signal-safe.
            unsafe {
                libc::signal(libc::SIGTERM, handler as libc::sighandler_t);
            }
            libc::SIGTERM
        } else {
            libc::SIGKILL
        };
        // SAFETY: prctl with PR_SET_PDEATHSIG takes a plain signal number.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, death_signal);
        }
        let expected_parent = std::env::var(ENV_PARENT_PID)
            .ok()
            .and_then(|pid| pid.parse::<i32>().ok());
        // SAFETY: getppid has no preconditions.
        let parent = unsafe { libc::getppid() };
        if expected_parent.is_some_and(|expected| expected != parent) {
            std::process::exit(EXIT_PARENT_GONE);
        }
    }
}

/// SIGTERM handler of a child leading its own process group: kills the group
/// (this process and whatever the test started in it).
#[cfg(target_os = "linux")]
extern "C" fn kill_own_group(_signal: libc::c_int) {
    // SAFETY: kill is async-signal-safe; 0 means this process's group.
    unsafe {
        libc::kill(0, libc::SIGKILL);
    }
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
                runtime: None,
                worker_threads: None,
                has_setup: false,
                budgets: &[],
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
