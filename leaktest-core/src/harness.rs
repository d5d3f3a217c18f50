//! The harness behind `main!()`: libtest's command line (through libtest-mimic),
//! each leak test run in a child process of its own.
//!
//! The same binary is also started by runners as a child (run one test) or to
//! describe its tests; [`Invocation::from_env`] tells which, trusting a
//! request only when it comes with the descriptor that proves a runner made
//! it (see [`crate::protocol`]).

use crate::attribution::{self, AttributionPolicy};
use crate::child::{self, ChildRequest};
use crate::config::{Config, ConfigError, Layer, Resolved, TestIdentity};
use crate::isolation::ChildSpec;
use crate::model::{ConfigSource, HarnessDescription, Outcome, TestRecord};
use crate::protocol::{self, InheritedFd, SettingsOverride, INTERNAL_ENV};
use crate::registry::{self, LeakTest};
use crate::render::format_bytes;
use crate::summary;
use libtest_mimic::{Arguments, Failed, Trial};
use std::ffi::OsString;
use std::fs::File;
use std::path::PathBuf;

/// Exit code when the harness cannot run at all.
pub const EXIT_HARNESS_ERROR: i32 = 2;
/// libtest's exit code for an unusable command line.
const EXIT_LIBTEST_USAGE: i32 = 101;

/// What this process was started for.
enum Invocation {
    /// Run one test and deliver its record.
    Child(ChildRequest),
    /// Describe the tests into the pipe.
    Describe(File),
    /// Run as a libtest harness. Lists the internal variables that were set
    /// without the proof that a runner set them (left over in a shell, or
    /// inherited by a process a test started): they are ignored.
    Harness { ignored: Vec<&'static str> },
}

impl Invocation {
    /// Reads the request from the environment, then removes every internal
    /// variable from it, so the tests and the processes they start never see them.
    fn from_env() -> Invocation {
        let text = |name: &str| std::env::var(name).ok();
        let claim = |name: &str| {
            text(name)
                .as_deref()
                .and_then(InheritedFd::parse)
                .and_then(InheritedFd::claim)
        };
        let present: Vec<&'static str> = INTERNAL_ENV
            .into_iter()
            .filter(|name| std::env::var_os(name).is_some())
            .collect();
        let invocation = match (
            text(protocol::ENV_CHILD_TEST),
            claim(protocol::ENV_RECORD_DIR),
        ) {
            (Some(test_name), Some(record_dir)) => {
                // Trusted like the record directory: only with its descriptor.
                let attribution_dir = text(protocol::ENV_ATTRIBUTION_PROFILE).and_then(|value| {
                    let claimed = InheritedFd::parse(&value).and_then(InheritedFd::claim);
                    if claimed.is_none() {
                        eprintln!(
                            "leaktest: ignoring {}: it names no directory this process \
                             inherited; running the test's verdict run",
                            protocol::ENV_ATTRIBUTION_PROFILE
                        );
                    }
                    claimed
                });
                Invocation::Child(ChildRequest::from_env(
                    test_name,
                    record_dir,
                    attribution_dir,
                ))
            }
            _ => match claim(protocol::ENV_DESCRIBE) {
                Some(pipe) => Invocation::Describe(pipe),
                None => Invocation::Harness { ignored: present },
            },
        };
        // Still one thread here (main! calls this first), so changing the
        // environment races with nothing.
        for name in INTERNAL_ENV {
            std::env::remove_var(name);
        }
        if matches!(invocation, Invocation::Child(_)) {
            for name in protocol::OVERRIDE_ENV {
                std::env::remove_var(name);
            }
        }
        invocation
    }
}

/// Runs the harness: child mode, describe mode, or the libtest command line.
/// `allocator` is the wrapped allocator's type name, when known.
pub fn run_main(allocator: Option<&'static str>) -> ! {
    // Every mode waits for children: the harness for each test's process,
    // the keeper for the test's, so an inherited SIG_IGN must go first (the
    // test's process, forked from the keeper, is then free to set its own).
    crate::isolation::wait_for_children_normally();
    match Invocation::from_env() {
        Invocation::Child(request) => child::run_child_and_exit(request, allocator),
        Invocation::Describe(pipe) => describe_and_exit(pipe, allocator),
        Invocation::Harness { ignored } => {
            for name in ignored {
                eprintln!(
                    "leaktest: ignoring {name} from the environment: leaktest's runners set it \
                     only for the processes they start (unset it in your shell)"
                );
            }
        }
    }
    let (command_line, filters) = split_filters(std::env::args_os().collect());
    let mut arguments = Arguments::from_iter(command_line);
    if arguments.test_threads == Some(0) {
        eprintln!("error: argument for --test-threads must be a number > 0");
        std::process::exit(EXIT_LIBTEST_USAGE);
    }
    let tests = registry::all_tests();
    let names: Vec<String> = tests.iter().map(|test| test.full_name()).collect();
    apply_filters(&mut arguments, &filters, &names);
    let (config, resolved) = match resolve_all(tests) {
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
    announce(&config.environment, &arguments);
    let Some((binary, arg0)) = this_binary() else {
        std::process::exit(EXIT_HARNESS_ERROR);
    };
    let capture_output = !arguments.nocapture;
    let trials = resolved
        .into_iter()
        .map(|(test, resolved)| {
            trial(
                test,
                resolved,
                binary.clone(),
                arg0.clone(),
                capture_output,
                attribution,
            )
        })
        .collect();
    libtest_mimic::run(&arguments, trials).exit()
}

/// What to execute to run this binary again, and the `argv[0]` to give it.
/// On Linux that is `/proc/self/exe`, the very file this process runs even
/// if a rebuild replaced it at its path meanwhile.
fn this_binary() -> Option<(PathBuf, Option<OsString>)> {
    let path = match std::env::current_exe() {
        Ok(path) => path,
        Err(error) => {
            eprintln!(
                "leaktest: cannot find this test binary to run tests in child processes: {error}"
            );
            return None;
        }
    };
    if cfg!(target_os = "linux") {
        Some((PathBuf::from("/proc/self/exe"), Some(path.into_os_string())))
    } else {
        Some((path, None))
    }
}

/// Every test with the settings it runs with: `Leaktest.toml` (found from
/// the package directory), `LEAKTEST_PROFILE` and the environment, over its
/// attribute; and the configuration they were resolved from.
#[allow(clippy::type_complexity)]
fn resolve_all(
    tests: Vec<&'static LeakTest>,
) -> Result<(Config, Vec<(&'static LeakTest, Resolved)>), ConfigError> {
    let config = Config::for_harness()?;
    let package = std::env::var("CARGO_PKG_NAME").ok();
    let resolved = tests
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
        .collect::<Result<_, ConfigError>>()?;
    Ok((config, resolved))
}

fn trial(
    test: &'static LeakTest,
    resolved: Resolved,
    binary: PathBuf,
    arg0: Option<OsString>,
    capture_output: bool,
    attribution: AttributionPolicy,
) -> Trial {
    let overrides = SettingsOverride::new(
        resolved.iterations_override(),
        resolved.memory_limit_override(),
    )
    .with_confirm_ms(resolved.confirm_override());
    let mut description = test.description_with(&overrides);
    description.settings.timeout_ms = resolved.timeout_ms.value;
    let ignored = test.config.ignore.is_some();
    let spec = ChildSpec {
        binary,
        arg0,
        timeout: resolved.timeout(),
        test: description,
        overrides,
        capture_output,
        uncaptured_stdout_to_stderr: false,
        env: Vec::new(),
        current_dir: None,
        cancel: None,
        budgets: resolved.budgets,
        attribution_dir: None,
    };
    Trial::test(test.full_name(), move || {
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
fn print_attribution_of_passed(record: &TestRecord) {
    let details = summary::attribution_details(record);
    if !details.is_empty() {
        let text = format!("\n---- {} (passed) ----\n{details}", record.name);
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
    }
}

fn describe_and_exit(mut pipe: File, allocator: Option<&str>) -> ! {
    use std::io::Write;
    let overrides = match SettingsOverride::from_env() {
        Ok(overrides) => overrides,
        Err(message) => {
            eprintln!("leaktest: {message}");
            std::process::exit(EXIT_HARNESS_ERROR);
        }
    };
    let mut description = HarnessDescription::new(
        registry::all_tests()
            .into_iter()
            .map(|test| test.description_with(&overrides))
            .collect(),
    );
    description.allocator = allocator.map(str::to_owned);
    let written = serde_json::to_vec(&description)
        .map_err(std::io::Error::other)
        .and_then(|json| pipe.write_all(&json));
    match written {
        Ok(()) => std::process::exit(0),
        Err(error) => {
            eprintln!("leaktest: could not describe the tests: {error}");
            std::process::exit(EXIT_HARNESS_ERROR)
        }
    }
}

/// One line per setting the environment gives every test, e.g.
/// `leaktest: LEAKTEST_ITERATIONS sets iterations = 500 for every test`.
fn override_lines(environment: &Layer) -> Vec<String> {
    let mut settings: Vec<(&ConfigSource, &str, String)> = Vec::new();
    if let Some(iterations) = &environment.iterations {
        settings.push((
            &iterations.source,
            "iterations",
            iterations.value.to_string(),
        ));
    }
    if let Some(timeout) = &environment.timeout_ms {
        let value = summary::format_duration_ms(timeout.value);
        settings.push((&timeout.source, "timeout", value));
    }
    if let Some(limit) = &environment.memory_limit_bytes {
        let value = format_bytes(i64::try_from(limit.value).unwrap_or(i64::MAX));
        settings.push((&limit.source, "memory_limit", value));
    }
    if let Some(confirm) = &environment.confirm_ms {
        let value = summary::format_duration_ms(confirm.value);
        settings.push((&confirm.source, "confirm", value));
    }
    for (budget, limit) in &environment.budgets {
        let value = if budget.is_bytes() {
            format_bytes(i64::try_from(limit.value).unwrap_or(i64::MAX))
        } else {
            limit.value.to_string()
        };
        settings.push((&limit.source, budget.key(), value));
    }
    settings
        .into_iter()
        .map(|(source, key, value)| {
            let variable = match source {
                ConfigSource::Environment { variable } => variable.as_str(),
                _ => "the environment",
            };
            format!("leaktest: {variable} sets {key} = {value} for every test")
        })
        .collect()
}

/// Prints the settings the environment overrides where the run's header is:
/// above libtest's `running N tests` on stdout, or on stderr where stdout
/// must hold only the list (`--list`, read by cargo nextest) or JSON.
fn announce(environment: &Layer, arguments: &Arguments) {
    let machine_read =
        arguments.list || matches!(arguments.format, Some(libtest_mimic::FormatSetting::Json));
    for line in override_lines(environment) {
        if machine_read {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

/// libtest options that take a value (`--skip NAME`, `-Z unstable-options`):
/// the value is no filter.
const OPTIONS_WITH_VALUE: [&str; 6] = [
    "--test-threads",
    "--logfile",
    "--skip",
    "--color",
    "--format",
    "-Z",
];

/// Splits the command line into what libtest-mimic parses and the name
/// filters, which libtest accepts several of (`cargo test -- a b`) and
/// libtest-mimic only one.
fn split_filters(args: Vec<OsString>) -> (Vec<OsString>, Vec<String>) {
    let mut args = args.into_iter();
    let mut command_line: Vec<OsString> = args.next().into_iter().collect();
    let mut filters = Vec::new();
    let mut only_filters = false;
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        if only_filters || !text.starts_with('-') || text == "-" {
            filters.push(text);
        } else if text == "--" {
            only_filters = true;
        } else {
            command_line.push(arg);
            if OPTIONS_WITH_VALUE.contains(&text.as_str()) {
                command_line.extend(args.next());
            }
        }
    }
    (command_line, filters)
}

/// Gives libtest-mimic the name filters: one as its own; several as the
/// exact names of the tests they leave out, so it runs the tests matching any
/// filter (and not skipped) and counts the others as filtered out, as libtest does.
fn apply_filters(arguments: &mut Arguments, filters: &[String], names: &[String]) {
    match filters {
        [] => {}
        [filter] => arguments.filter = Some(filter.clone()),
        _ => {
            let exact = arguments.exact;
            let matches = |name: &str, pattern: &str| {
                if exact {
                    name == pattern
                } else {
                    name.contains(pattern)
                }
            };
            let left_out: Vec<String> = names
                .iter()
                .filter(|name| {
                    !filters.iter().any(|filter| matches(name, filter))
                        || arguments.skip.iter().any(|skip| matches(name, skip))
                })
                .cloned()
                .collect();
            arguments.filter = None;
            arguments.exact = true;
            arguments.skip = left_out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn several_filters_are_taken_out_of_the_command_line() {
        let (command_line, filters) = split_filters(os(&[
            "leaks",
            "alpha",
            "--skip",
            "slow",
            "--test-threads=2",
            "beta",
            "--format",
            "terse",
            "--",
            "--gamma",
        ]));
        assert_eq!(
            command_line,
            os(&[
                "leaks",
                "--skip",
                "slow",
                "--test-threads=2",
                "--format",
                "terse"
            ])
        );
        assert_eq!(filters, ["alpha", "beta", "--gamma"]);
    }

    #[test]
    fn unstable_options_are_no_filter_in_either_spelling() {
        for spelling in [&["-Z", "unstable-options"][..], &["-Zunstable-options"]] {
            let mut args = vec!["leaks"];
            args.extend(spelling);
            args.extend(["--format", "json", "clean"]);
            let (command_line, filters) = split_filters(os(&args));
            let mut expected = vec!["leaks"];
            expected.extend(spelling);
            expected.extend(["--format", "json"]);
            assert_eq!(command_line, os(&expected));
            assert_eq!(filters, ["clean"]);
        }
    }

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn several_filters_run_the_tests_matching_any_of_them() {
        let all = names(&["a::one", "a::two", "b::three", "b::slow"]);
        let mut arguments = Arguments::from_iter(["leaks", "--skip", "slow"]);
        apply_filters(&mut arguments, &names(&["one", "b::"]), &all);
        assert!(arguments.exact);
        assert_eq!(arguments.filter, None);
        assert_eq!(arguments.skip, names(&["a::two", "b::slow"]));

        let mut exact = Arguments::from_iter(["leaks", "--exact"]);
        apply_filters(&mut exact, &names(&["a::one", "b::"]), &all);
        assert_eq!(exact.skip, names(&["a::two", "b::three", "b::slow"]));

        let mut one = Arguments::from_iter(["leaks"]);
        apply_filters(&mut one, &names(&["two"]), &all);
        assert_eq!(one.filter.as_deref(), Some("two"));
        assert!(!one.exact && one.skip.is_empty());
    }

    #[test]
    fn overrides_say_what_they_change() {
        let lookup = |variable: &str| {
            (variable == "LEAKTEST_ITERATIONS" || variable == "LEAKTEST_MEMORY_LIMIT").then(|| {
                if variable == "LEAKTEST_ITERATIONS" {
                    "500"
                } else {
                    "1GiB"
                }
                .to_owned()
            })
        };
        let environment = crate::config::environment_layer(&lookup).unwrap();
        assert_eq!(
            override_lines(&environment),
            [
                "leaktest: LEAKTEST_ITERATIONS sets iterations = 500 for every test",
                "leaktest: LEAKTEST_MEMORY_LIMIT sets memory_limit = 1.0 GiB for every test",
            ]
        );
        assert!(override_lines(&Layer::default()).is_empty());
    }
}
