//! The harness behind `main!()`: libtest's command line (through libtest-mimic),
//! each leak test run in a child process of its own.

use crate::attribution::{self, AttributionPolicy};
use crate::child;
use crate::config::{Config, ConfigError, Resolved, TestIdentity};
use crate::isolation::ChildSpec;
use crate::model::{HarnessDescription, Outcome};
use crate::protocol::{self, DESCRIBE_MARKER};
use crate::registry::{self, LeakTest};
use crate::summary;
use libtest_mimic::{Arguments, Failed, Trial};

/// Exit code when the harness cannot run at all.
pub const EXIT_HARNESS_ERROR: i32 = 2;

/// Runs the harness: child mode, describe mode, or the libtest command line.
/// `allocator` is the wrapped allocator's type name, when known.
pub fn run_main(allocator: Option<&'static str>) -> ! {
    if let Some(test_name) = std::env::var_os(protocol::ENV_CHILD_TEST) {
        child::run_child_and_exit(&test_name.to_string_lossy(), allocator);
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
    let resolved = match resolve_all() {
        Ok(resolved) => resolved,
        Err(error) => {
            eprintln!("leaktest: {error}");
            std::process::exit(EXIT_HARNESS_ERROR);
        }
    };
    let attribution = match AttributionPolicy::from_env() {
        Ok(policy) => policy,
        Err(message) => {
            eprintln!("leaktest: {message}");
            std::process::exit(EXIT_HARNESS_ERROR);
        }
    };
    let trials = resolved
        .into_iter()
        .map(|(test, resolved)| trial(test, resolved, binary.clone(), capture_output, attribution))
        .collect();
    libtest_mimic::run(&arguments, trials).exit()
}

/// Every test with the settings it runs with: `Leaktest.toml` (found from
/// the package directory), `LEAKTEST_PROFILE` and the environment, over its
/// attribute.
fn resolve_all() -> Result<Vec<(&'static LeakTest, Resolved)>, ConfigError> {
    let config = Config::for_harness()?;
    let package = std::env::var("CARGO_PKG_NAME").ok();
    registry::all_tests()
        .into_iter()
        .map(|test| {
            let name = test.full_name();
            let identity = TestIdentity {
                package: package.as_deref(),
                name: &name,
            };
            let resolved = config.resolve(identity, &test.config.attribute_settings())?;
            Ok((test, resolved))
        })
        .collect()
}

fn trial(
    test: &'static LeakTest,
    resolved: Resolved,
    binary: std::path::PathBuf,
    capture_output: bool,
    attribution: AttributionPolicy,
) -> Trial {
    let mut description = test.description();
    description.settings.timeout_ms = resolved.timeout_ms.value;
    let ignored = description.ignored.is_some();
    Trial::test(test.full_name(), move || {
        let spec = ChildSpec {
            binary,
            timeout: resolved.timeout(),
            test: description,
            iterations_override: resolved.iterations_override(),
            capture_output,
            env: Vec::new(),
            current_dir: None,
            cancel: None,
            budgets: resolved.budgets,
        };
        let record = attribution::run_attributed(&spec, attribution)
            .map_err(|error| Failed::from(error.to_string()))?;
        match record.outcome {
            Outcome::Passed => {
                print_attribution_of_passed(&record);
                Ok(())
            }
            _ => Err(Failed::from(summary::failure_details(&record))),
        }
    })
    .with_ignored_flag(ignored)
}

/// With `LEAKTEST_ATTRIBUTE=all`, a passing test's allocation sites, on
/// stderr in one write (libtest shows no message for a pass).
fn print_attribution_of_passed(record: &crate::model::TestRecord) {
    let details = summary::attribution_details(record);
    if !details.is_empty() {
        let text = format!("\n---- {} (passed) ----\n{details}", record.name);
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
    }
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
