//! The harness behind `main!()`: libtest's command line (through libtest-mimic),
//! each leak test run in a child process of its own.

use crate::child;
use crate::isolation::{self, ChildSpec};
use crate::model::{HarnessDescription, Outcome};
use crate::protocol::{self, DESCRIBE_MARKER};
use crate::registry::{self, LeakTest};
use crate::summary;
use libtest_mimic::{Arguments, Failed, Trial};
use std::time::Duration;

/// Exit code when the harness cannot run at all.
pub const EXIT_HARNESS_ERROR: i32 = 2;

/// Runs the harness: child mode, describe mode, or the libtest command line.
/// `allocator` is the wrapped allocator's type name, when known.
pub fn run_main(allocator: Option<&'static str>) -> ! {
    if let Some(test_name) = std::env::var_os(protocol::ENV_CHILD_TEST) {
        child::run_child_and_exit(&test_name.to_string_lossy());
    }
    if std::env::var(protocol::ENV_DESCRIBE).is_ok_and(|value| value == "1") {
        describe_and_exit(allocator);
    }
    let arguments = Arguments::from_args();
    let binary = match std::env::current_exe() {
        Ok(binary) => binary,
        Err(error) => {
            eprintln!(
                "leaktest: cannot find this test binary to run tests in child processes: {error}"
            );
            std::process::exit(EXIT_HARNESS_ERROR);
        }
    };
    let capture_output = !arguments.nocapture;
    let iterations_override = match protocol::iterations_override_from_env() {
        Ok(iterations) => iterations,
        Err(message) => {
            eprintln!("leaktest: {message}");
            std::process::exit(EXIT_HARNESS_ERROR);
        }
    };
    let trials = registry::all_tests()
        .into_iter()
        .map(|test| trial(test, binary.clone(), capture_output, iterations_override))
        .collect();
    libtest_mimic::run(&arguments, trials).exit()
}

fn trial(
    test: &'static LeakTest,
    binary: std::path::PathBuf,
    capture_output: bool,
    iterations_override: Option<u64>,
) -> Trial {
    let description = test.description();
    let ignored = description.ignored.is_some();
    Trial::test(test.full_name(), move || {
        let spec = ChildSpec {
            binary,
            timeout: Duration::from_millis(description.settings.timeout_ms),
            test: description,
            iterations_override,
            capture_output,
            env: Vec::new(),
            current_dir: None,
            cancel: None,
        };
        let record =
            isolation::run_isolated(&spec).map_err(|error| Failed::from(error.to_string()))?;
        match record.outcome {
            Outcome::Passed => Ok(()),
            _ => Err(Failed::from(summary::failure_details(&record))),
        }
    })
    .with_ignored_flag(ignored)
}

fn describe_and_exit(allocator: Option<&str>) -> ! {
    let mut description = HarnessDescription::new(
        registry::all_tests()
            .into_iter()
            .map(LeakTest::description)
            .collect(),
    );
    description.allocator = allocator.map(str::to_owned);
    match serde_json::to_string(&description) {
        Ok(json) => {
            println!("{DESCRIBE_MARKER}{json}");
            std::process::exit(0)
        }
        Err(error) => {
            eprintln!("leaktest: could not describe the tests: {error}");
            std::process::exit(EXIT_HARNESS_ERROR)
        }
    }
}
