//! The whole command, step by step: discover the test targets, build them,
//! ask each binary to describe its tests, select, then either list them or
//! run them on the pool and report.

use crate::baseline::environment::build_profile_name;
use crate::baseline::Gate;
use crate::build::{self, BuildOptions};
use crate::ci;
use crate::cli::{self, Args, ColorChoice, MessageFormat};
use crate::config::RunConfig;
use crate::describe::{self, Described};
use crate::discovery::{self, Selection, TestTarget};
use crate::error::Error;
use crate::exit_codes;
use crate::interrupt::Interrupt;
use crate::no_tests;
use crate::output::html::{self, HtmlReporter};
use crate::output::human::{self, HumanReporter, Verbosity};
use crate::output::json::{self, JsonReporter};
use crate::output::{listed_targets, Reporter, Reporters, RunStart, Tally, UnwrittenReport};
use crate::schedule::{self, Event, Pool};
use crate::select::{self, Filter, IgnoredMode, PlannedTest};
use crate::test_key::TestKey;
use leaktest_core::config::Resolved;
use leaktest_core::isolation::{ChildSpec, IsolationError};
use leaktest_core::model::{warmup_for, Outcome, TestDescription, TestRecord};
use leaktest_core::protocol::{self, SettingsOverride};
use std::convert::Infallible;
use std::ffi::OsString;
use std::io::{self, IsTerminal};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

/// Runs `cargo leaktest` with `args` and returns the exit code of the verdict
/// (0 all passed, 1 a failure, 3 a regression, 4 no tests, 128 + the signal
/// when interrupted; see [`exit_codes`]); errors before any verdict are
/// returned as [`Error`].
pub fn run(args: Args) -> Result<i32, Error> {
    let harness_args = cli::parse_harness_args(&args.harness_args).map_err(Error::HarnessArgs)?;
    let attribution = args
        .attribution_policy()
        .map_err(Error::AttributionSetting)?;
    remove_internal_variables();
    let interrupt = Interrupt::install()?;
    let cancel = Arc::clone(interrupt.cancel_flag());
    let interrupted = || match interrupt.signal() {
        Some(signal) => Err(Error::Interrupted(signal)),
        None => Ok(()),
    };
    let cargo_color = configure_colors(args.color);

    let mut cargo_flags = Vec::new();
    for (given, flag) in [
        (args.locked, "--locked"),
        (args.offline, "--offline"),
        (args.frozen, "--frozen"),
    ] {
        if given {
            cargo_flags.push(flag.to_owned());
        }
    }
    let selection = Selection {
        packages: args.packages.clone(),
        workspace: args.workspace,
        exclude: args.exclude.clone(),
        test_targets: args.test_targets.clone(),
    };
    let discovered = discovery::discover(args.manifest_path.as_deref(), &cargo_flags, &selection)?;
    // Leaktest.toml and the baseline are read before the build, so their
    // errors come at once.
    let mut config = RunConfig::load(&args, &discovered.workspace_root)?;
    let variables = std::env::vars_os().map(|(name, _)| name);
    for unknown in leaktest_core::config::unknown_variables(variables) {
        ci::warn(&unknown.to_string());
    }
    let listing = args.list || harness_args.list;
    // `--report` wins over the profile's `report`, as `--junit` over `junit`.
    let report_dir = args.report.clone().or_else(|| config.run.report.clone());
    if let (Some(dir), false) = (&report_dir, listing) {
        html::prepare(dir)?;
    }
    let mut warnings = Vec::new();
    let target_dir =
        (args.target_dir.clone()).unwrap_or_else(|| discovered.target_directory.clone());
    let build_profile = build_profile_name(args.release, args.cargo_profile.as_deref());
    let mut gate = if listing {
        None
    } else {
        Gate::prepare(
            &args.baseline_options(&config.run),
            &target_dir,
            build_profile,
            &mut warnings,
        )?
    };
    let candidates: Vec<&TestTarget> = discovered
        .targets
        .iter()
        .filter(|target| target.is_candidate())
        .collect();
    let build_options = BuildOptions {
        manifest_path: args.manifest_path.clone(),
        features: args.features.clone(),
        all_features: args.all_features,
        no_default_features: args.no_default_features,
        release: args.release,
        profile: args.cargo_profile.clone(),
        target_dir: args.target_dir.clone(),
        cargo_flags,
        color: cargo_color,
        quiet: args.quiet,
        verbose: args.verbose,
    };
    interrupted()?;
    let executables = build::build(&build_options, &candidates, &interrupt);
    // The interruption reaches cargo too, which then fails: that is an
    // interrupt, not a build error.
    interrupted()?;
    let mut described = describe::describe(
        discovered.targets,
        &executables?,
        &args.test_targets,
        &cancel,
    )?;
    interrupted()?;
    let overrides = config.overrides();

    let filter = Filter {
        patterns: args
            .filters
            .iter()
            .chain(&harness_args.filters)
            .cloned()
            .collect(),
        exact: args.exact || harness_args.exact,
        skip: args
            .skip
            .iter()
            .chain(&harness_args.skip)
            .cloned()
            .collect(),
        ignored: if args.ignored || harness_args.ignored {
            IgnoredMode::Only
        } else if args.include_ignored || harness_args.include_ignored {
            IgnoredMode::Include
        } else {
            IgnoredMode::Skip
        },
    };
    let mut stdout = io::stdout().lock();
    if listing {
        show_resolved_settings(&mut described, &mut config)?;
        let listed = listed_targets(&described, &filter, args.partition.as_ref());
        match args.message_format {
            MessageFormat::Human => human::write_list(&mut stdout, &listed, &overrides)?,
            MessageFormat::Json => json::write_list(&mut stdout, &listed, &overrides)?,
        }
        return Ok(exit_codes::SUCCESS);
    }

    let plan = select::plan(&described.harnesses, &filter);
    let selection = no_tests::Selection::of(&described, &filter, &plan);
    let plan = match &args.partition {
        Some(partition) => partition.apply(plan),
        None => plan,
    };
    let emptiness = no_tests::check(&selection, plan.to_run.len(), args.partition.as_ref());
    if let Some(gate) = &gate {
        let tests = plan
            .to_run
            .iter()
            .map(|test| (TestKey::of(test), test.harness.allocator.as_deref()));
        gate.check_allocators(tests, &mut warnings)?;
    }
    for warning in &warnings {
        ci::warn(warning);
    }
    let no_tests = ci::announce_emptiness(&emptiness, args.no_tests);
    let jobs = args
        .jobs
        .or(harness_args.test_threads)
        .map(|jobs| jobs as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let output = ChildOutput {
        captured: !(args.nocapture || harness_args.nocapture),
        // JSON lines on stdout stay JSON lines: uncaptured test output goes
        // to stderr, where people watching a `--nocapture` run see it too.
        to_stderr: args.message_format == MessageFormat::Json,
    };
    let resolved: Vec<Resolved> = plan
        .to_run
        .iter()
        .map(|test| config.resolve(test))
        .collect::<Result<_, _>>()?;
    let specs: Vec<ChildSpec> = plan
        .to_run
        .iter()
        .zip(&resolved)
        .map(|(test, resolved)| child_spec(test, resolved, output, &cancel))
        .collect();
    let primary: Box<dyn Reporter + '_> = match args.message_format {
        MessageFormat::Human => {
            let verbosity = if args.quiet {
                Verbosity::Quiet
            } else if args.verbose > 0 {
                Verbosity::Verbose
            } else {
                Verbosity::Normal
            };
            Box::new(HumanReporter::new(stdout, verbosity))
        }
        MessageFormat::Json => Box::new(JsonReporter::new(stdout)),
    };
    let mut reporter = Reporters::default();
    reporter.push("the report on stdout", primary);
    let junit = args.junit.clone().or_else(|| config.run.junit.clone());
    for (destination, extra) in
        ci::extra_reporters(&args, junit.as_deref(), &discovered.workspace_root)
    {
        reporter.push(destination, extra);
    }
    if let Some(dir) = report_dir {
        let destination = format!("the HTML report {}", dir.display());
        reporter.push(destination, Box::new(HtmlReporter::new(dir, !args.quiet)));
    }

    let started = Instant::now();
    reporter.run_started(&RunStart {
        to_run: plan.to_run.len(),
        harnesses: described.harnesses.len(),
        skipped_targets: &described.skipped,
        filtered_out: plan.filtered_out,
        jobs: jobs.min(plan.to_run.len()).max(1),
        partition: args.partition,
        partitioned_out: plan.partitioned_out,
        baseline: gate.as_ref().and_then(Gate::info),
        overrides: &overrides,
    });
    let mut tally = Tally {
        filtered_out: plan.filtered_out,
        no_tests,
        ..Tally::default()
    };
    for (test, reason) in &plan.ignored {
        let record = ignored_record(test, reason.clone());
        tally.count(&record);
        reporter.test_finished(test, &record);
    }
    let pool = Pool {
        jobs,
        fail_fast: !args.no_fail_fast,
        cancel: Arc::clone(&cancel),
        attribution,
    };
    // A report that cannot be written stops nothing: every test still runs
    // and reaches the other reports (see `Reporters`).
    let Ok(progress) = schedule::run(&specs, &pool, |event| -> Result<(), Infallible> {
        match event {
            Event::Started(index) => reporter.test_started(&plan.to_run[index]),
            Event::Finished(index, result) => match *result {
                Err(IsolationError::Cancelled) => {}
                result => {
                    let test = &plan.to_run[index];
                    let record = finished_record(result, &specs[index]);
                    tally.count(&record);
                    let comparison = gate.as_mut().and_then(|gate| {
                        gate.observe(
                            &TestKey::of(test),
                            test.harness.allocator.as_deref(),
                            &record,
                        )
                    });
                    reporter.test_finished(test, &record);
                    if let Some(comparison) = comparison {
                        reporter.test_compared(test, &comparison);
                    }
                }
            },
        }
        Ok(())
    });
    tally.not_run = progress.not_started.len() + progress.cancelled.len();
    tally.stopped_after_failure = progress.stopped_after_failure;
    tally.interrupted_by = interrupt.signal();
    tally.duration = started.elapsed();
    tally.baseline = gate.as_ref().and_then(Gate::counts).cloned();
    reporter.run_finished(&tally);
    let unwritten = reporter.finish();
    announce_unwritten(&unwritten);
    if let Some(gate) = &mut gate {
        if let Some(saved) = gate.save(tally.interrupted(), args.partition.as_ref())? {
            ci::announce_saved(&saved);
        }
    }
    Ok(exit_codes::with_unwritten_reports(
        tally.exit_code(),
        !unwritten.is_empty(),
    ))
}

/// Says on stderr, once each, which reports could not be written: the run
/// went on without them, so every other report holds every result.
fn announce_unwritten(unwritten: &[UnwrittenReport]) {
    for report in unwritten {
        ci::error(&format!(
            "{report} (every test still ran, and the other reports have every result)"
        ));
    }
}

/// Where the output of the tests goes.
#[derive(Debug, Clone, Copy)]
struct ChildOutput {
    /// Captured (kept as tails in the record), as libtest does by default.
    captured: bool,
    /// When not captured: the test's stdout goes to stderr.
    to_stderr: bool,
}

/// The child process of `test`, with the settings it resolved to.
fn child_spec(
    test: &PlannedTest<'_>,
    resolved: &Resolved,
    output: ChildOutput,
    cancel: &Arc<AtomicBool>,
) -> ChildSpec {
    let mut description = test.test.clone();
    apply_resolved(&mut description, resolved);
    let target = &test.harness.target;
    // What `cargo test` gives a test at run time, so tests reading them work the same.
    let env: Vec<(OsString, OsString)> = vec![
        (
            "CARGO_MANIFEST_DIR".into(),
            target.package_root.clone().into(),
        ),
        ("CARGO_PKG_NAME".into(), target.package.clone().into()),
        (
            "CARGO_PKG_VERSION".into(),
            target.package_version.clone().into(),
        ),
    ];
    ChildSpec {
        binary: test.harness.binary.exec_path(),
        arg0: Some(test.harness.binary.path().as_os_str().to_owned()),
        test: description,
        timeout: resolved.timeout(),
        overrides: SettingsOverride::new(
            resolved.iterations_override(),
            resolved.memory_limit_override(),
        )
        .with_confirm_ms(resolved.confirm_override()),
        capture_output: output.captured,
        uncaptured_stdout_to_stderr: output.to_stderr,
        env,
        current_dir: Some(target.package_root.clone()),
        cancel: Some(Arc::clone(cancel)),
        budgets: resolved.budgets.clone(),
        attribution_dir: None,
    }
}

/// The record of a finished child (held to its budgets by
/// `run_isolated`); a child that could not be run at all is a failure of its
/// test, never a pass, its budgets recorded unmeasured.
fn finished_record(result: Result<TestRecord, IsolationError>, spec: &ChildSpec) -> TestRecord {
    let mut record = match result {
        Ok(record) => record,
        Err(error) => {
            let mut record = TestRecord::without_run(
                &spec.test,
                Outcome::Failed {
                    message: format!("cargo leaktest could not run this test: {error}"),
                    iteration: None,
                },
                0,
            );
            leaktest_core::budget::apply(&mut record, &spec.budgets);
            record
        }
    };
    record.settings.timeout_ms = spec.test.settings.timeout_ms;
    // A harness built with an older leaktest-core stores the message whole.
    record.outcome.bound_failure_message();
    record
}

fn ignored_record(test: &PlannedTest<'_>, reason: Option<String>) -> TestRecord {
    TestRecord::without_run(test.test, Outcome::Ignored { reason }, 0)
}

/// Shows each test's settings as it will run them: resolved from the command
/// line, the environment and `Leaktest.toml` over its attribute.
fn show_resolved_settings(described: &mut Described, config: &mut RunConfig) -> Result<(), Error> {
    for index in 0..described.harnesses.len() {
        for test_index in 0..described.harnesses[index].tests.len() {
            let resolved = {
                let harness = &described.harnesses[index];
                config.resolve(&PlannedTest {
                    harness,
                    test: &harness.tests[test_index],
                })?
            };
            apply_resolved(&mut described.harnesses[index].tests[test_index], &resolved);
        }
    }
    Ok(())
}

/// `description`'s settings with `resolved` in place of its own: the
/// iterations (and the warm-up that follows them), the timeout and the
/// memory limit.
fn apply_resolved(description: &mut TestDescription, resolved: &Resolved) {
    let settings = &mut description.settings;
    if let Some(iterations) = &resolved.iterations {
        settings.iterations = iterations.value;
        settings.warmup = warmup_for(iterations.value, description.attribute.warmup);
    }
    settings.timeout_ms = resolved.timeout_ms.value;
    settings.memory_limit_bytes = resolved.memory_limit_bytes.value;
}

/// Removes leaktest's internal variables (left in the shell, or inherited
/// from a harness that runs `cargo leaktest`) from this process's
/// environment, so cargo, build scripts and tests never see them. Called
/// while this process has a single thread.
fn remove_internal_variables() {
    for variable in protocol::INTERNAL_ENV {
        std::env::remove_var(variable);
    }
}

/// Decides colors for our output and returns the `--color` to give cargo
/// (`None`: let cargo decide as usual).
fn configure_colors(choice: ColorChoice) -> Option<&'static str> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    let (stdout, stderr, cargo) = match choice {
        ColorChoice::Always => (true, true, Some("always")),
        ColorChoice::Never => (false, false, Some("never")),
        ColorChoice::Auto if no_color => (false, false, Some("never")),
        ColorChoice::Auto => (
            io::stdout().is_terminal() && console::colors_enabled(),
            io::stderr().is_terminal() && console::colors_enabled_stderr(),
            None,
        ),
    };
    console::set_colors_enabled(stdout);
    console::set_colors_enabled_stderr(stderr);
    cargo
}
