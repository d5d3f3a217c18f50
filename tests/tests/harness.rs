//! The harness under plain `cargo test`: a fixture crate with one leak test per
//! way a test can end is built and its test binary run, as cargo would run it.
//! Every outcome must be reported as such, and one test's crash must not stop
//! the others.

use leaktest_e2e::{
    build_checked_in_fixture, cargo, checked_in_fixture_manifest, fixture_cargo,
    raise_open_file_limit, redact_heap_figures, snapshot_settings, wait_until, Scope,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

struct HarnessRun {
    exit_code: Option<i32>,
    stderr: String,
    /// Test name to libtest status (`ok`, `FAILED`, `ignored`).
    statuses: BTreeMap<String, String>,
    /// Test name to the failure text printed under `---- name ----`.
    failures: BTreeMap<String, String>,
    stdout: String,
}

/// Runs `command` to its end, killing it (and failing the test) if it has
/// not ended within `limit`: a harness that hangs on a regression (such as
/// `--test-threads 0` starting no worker) fails instead of hanging the suite.
fn output_within(mut command: Command, limit: Duration) -> std::process::Output {
    let mut child = command.spawn().expect("run the harness");
    let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut text);
            }
            text
        })
    };
    let stdout = read(child.stdout.take().map(|pipe| Box::new(pipe) as _));
    let stderr = read(child.stderr.take().map(|pipe| Box::new(pipe) as _));
    let ended = wait_until(limit, || matches!(child.try_wait(), Ok(Some(_))));
    if !ended {
        let _ = child.kill();
    }
    let status = child.wait().expect("wait for the harness");
    let output = std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    assert!(
        ended,
        "the harness hung and was killed:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    output
}

fn run_harness(binary: &Path, args: &[&str]) -> HarnessRun {
    run_harness_with(binary, args, &[])
}

/// Runs the harness with `args` and the environment variables `env`, in a
/// scope of its own: it must leave no process and no record file behind. A
/// panic's report (kept in the failure details) comes without a backtrace,
/// unless `env` asks for one.
fn run_harness_with(binary: &Path, args: &[&str], env: &[(&str, &str)]) -> HarnessRun {
    let scope = Scope::new();
    let mut command = Command::new(binary);
    command
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .env_remove("RUST_LIB_BACKTRACE")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    scope.apply(&mut command);
    let output = output_within(command, Duration::from_secs(300));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    scope.assert_nothing_left(&format!("{stdout}\n{stderr}"));
    let statuses: BTreeMap<String, String> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("test "))
        .filter_map(|rest| rest.split_once(" ... "))
        .map(|(name, status)| (name.trim().to_owned(), status.trim().to_owned()))
        .collect();
    let mut failures = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in stdout.lines() {
        let header = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" ----"))
            .filter(|name| statuses.contains_key(*name));
        if let Some(name) = header {
            if let Some((name, text)) = current.take() {
                failures.insert(name, text);
            }
            current = Some((name.to_owned(), String::new()));
        } else if line == "failures:" {
            if let Some((name, text)) = current.take() {
                failures.insert(name, text);
            }
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    HarnessRun {
        exit_code: output.status.code(),
        stderr,
        statuses,
        failures,
        stdout,
    }
}

/// One run of every test of the harness-outcomes fixture, as `cargo test`
/// runs it, shared by the tests that read it.
fn outcomes_run() -> &'static HarnessRun {
    static RUN: OnceLock<HarnessRun> = OnceLock::new();
    RUN.get_or_init(|| {
        raise_open_file_limit();
        let binary = build_checked_in_fixture("harness-outcomes");
        run_harness(&binary, &["--test-threads", "2"])
    })
}

#[test]
fn every_way_a_test_ends_is_reported_and_the_others_still_run() {
    let run = outcomes_run();
    let status = |name: &str| {
        run.statuses
            .get(name)
            .unwrap_or_else(|| panic!("no status line for {name}:\n{}", run.stdout))
            .as_str()
    };
    let failure = |name: &str| {
        run.failures
            .get(name)
            .unwrap_or_else(|| panic!("no failure details for {name}:\n{}", run.stdout))
            .as_str()
    };

    assert_eq!(run.exit_code, Some(101), "a failing run exits like libtest");
    for passing in [
        "clean_passes",
        "expected_leak_passes",
        "async_clean_passes",
        // Its fork runs on through the body and fails there: only the
        // record of the process the harness started counts.
        "forking_into_the_body_passes",
        "cache_larger_than_the_run_passes",
        "descriptor_leak_is_judged_before_the_limit",
    ] {
        assert_eq!(status(passing), "ok", "{passing}:\n{}", run.stdout);
    }
    for ignored in [
        "ignored_is_skipped",
        "leaves_processes_and_hangs",
        "slow_single_late_step_is_left_unconfirmed",
    ] {
        assert_eq!(status(ignored), "ignored", "{ignored}:\n{}", run.stdout);
    }

    let expected_failures = [
        (
            "leaking_fails",
            "leak: memory or handles grow without bound",
        ),
        (
            "leaking_handles_fails",
            "leak: memory or handles grow without bound",
        ),
        (
            "expected_leak_missing_fails",
            "expected a leak (should_leak) but none was found",
        ),
        (
            "returning_err_fails",
            "failed in iteration 0: Error: \"the body said no\"",
        ),
        (
            "panicking_fails",
            "failed in iteration 0: panicked at tests/leaks.rs:",
        ),
        ("panicking_deep_down_fails", ": panicked 300 calls down"),
        (
            "leaving_a_daemon_fails",
            "left running after the test's process ended (killed): pid ",
        ),
        (
            "exceeding_the_memory_limit_fails",
            "out of memory: exceeded the 64.0 MiB limit at iteration 0",
        ),
        (
            "aborting_crashes",
            "crashed: the test process killed by SIGABRT",
        ),
        (
            "segfaulting_crashes",
            "crashed: the test process killed by SIGSEGV",
        ),
        (
            "overflowing_the_stack_crashes",
            "crashed: the test process overflowed its stack",
        ),
        (
            "exiting_early_crashes",
            "exited with code 0 before delivering its result",
        ),
        (
            "hanging_times_out",
            "timed out: still running after 1s; killed",
        ),
    ];
    for (name, expected) in expected_failures {
        assert_eq!(status(name), "FAILED", "{name}:\n{}", run.stdout);
        let details = failure(name);
        assert!(
            details.contains(expected),
            "{name}: expected {expected:?} in:\n{details}"
        );
    }

    let leak = failure("leaking_fails");
    assert!(
        leak.contains("heap: +32 B/iter"),
        "growth per iteration shown:\n{leak}"
    );
    assert!(leak.contains("blocks: +1/iter"), "blocks shown:\n{leak}");
    assert!(
        leak.contains("at tests/leaks.rs:"),
        "location shown:\n{leak}"
    );
    let handles = failure("leaking_handles_fails");
    let judged = handles
        .split_once(" over ")
        .and_then(|(_, rest)| rest.split_once(" judged iterations"))
        .map(|(judged, _)| judged)
        .unwrap_or_else(|| panic!("judged iterations stated:\n{handles}"));
    let judged: u64 = judged.parse().expect("a number of iterations");
    let fds_lines = format!(
        "      fds +{}: {} x unix stream CONNECTED\n      {:w$}{judged} x tcp 127.0.0.1:* LISTEN",
        judged * 3,
        judged * 2,
        "",
        w = format!("fds +{}: ", judged * 3).len(),
    );
    assert!(
        handles.contains(&fds_lines),
        "the leaked sockets are named and counted:\n{handles}"
    );
    assert!(
        failure("overflowing_the_stack_crashes").contains("has overflowed its stack"),
        "the child's stderr tail explains the crash"
    );
    assert!(
        failure("leaving_a_daemon_fails").contains("(sleep 4321.7)"),
        "the leaked process is named:\n{}",
        failure("leaving_a_daemon_fails")
    );
    let out_of_memory = failure("exceeding_the_memory_limit_fails");
    let peak = peak_heap_mib(out_of_memory);
    assert!(
        (64.0..80.0).contains(&peak),
        "the peak is the heap at the limit:\n{out_of_memory}"
    );
}

/// A panic under `RUST_BACKTRACE=1`, as CI runs tests: the backtrace is far
/// longer than the output tail a report keeps, and printing it allocates tens
/// of MiB. The message and location still come from the panic, and the peak
/// is the test's own.
#[test]
fn a_panic_is_reported_from_the_panic_itself_even_under_rust_backtrace() {
    let binary = build_checked_in_fixture("harness-outcomes");
    let run = run_harness_with(
        &binary,
        &["--exact", "panicking_deep_down_fails"],
        &[("RUST_BACKTRACE", "1")],
    );
    let details = run
        .failures
        .get("panicking_deep_down_fails")
        .unwrap_or_else(|| panic!("no failure:\n{}", run.stdout));
    assert!(
        details.contains("failed in iteration 0: panicked at tests/leaks.rs:")
            && details.contains(": panicked 300 calls down"),
        "{details}"
    );
    assert!(
        details.contains("leaks::panic_deep_down")
            && !details.contains("---- stderr (last lines) ----\nthread"),
        "a backtrace was printed, longer than the tail (which misses its start):\n{details}"
    );
    assert!(
        peak_heap_mib(details) < 8.0,
        "the failure path is not the test's peak:\n{details}"
    );
}

/// The `peak heap: 12.5 MiB` of failure details, in MiB.
fn peak_heap_mib(details: &str) -> f64 {
    let peak = details
        .lines()
        .find_map(|line| line.trim().strip_prefix("peak heap: "))
        .unwrap_or_else(|| panic!("no peak heap in:\n{details}"));
    // `14.8 KiB`, or `14.8 KiB (36 B above the start)`.
    let mut words = peak.split_whitespace();
    let number: f64 = words.next().and_then(|n| n.parse().ok()).expect("a number");
    let unit = words.next().expect("a unit");
    match unit {
        "B" => number / (1024.0 * 1024.0),
        "KiB" => number / 1024.0,
        "MiB" => number,
        "GiB" => number * 1024.0,
        other => panic!("unknown unit {other}"),
    }
}

/// What `cargo test` prints for each way a leak test can end, pinned: the
/// status of every test, libtest's summary line, and the failure details of
/// each failing test (the text the harness builds from its record).
#[test]
fn what_cargo_test_prints_for_each_outcome_is_pinned() {
    let run = outcomes_run();
    let failing: Vec<&String> = run
        .statuses
        .iter()
        .filter(|(_, status)| *status == "FAILED")
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        run.failures.keys().collect::<Vec<_>>(),
        failing,
        "details for every failure, and only for failures:\n{}",
        run.stdout
    );
    let statuses: String = run
        .statuses
        .iter()
        .map(|(name, status)| format!("{name} ... {status}\n"))
        .collect();
    let summary = run
        .stdout
        .lines()
        .find(|line| line.starts_with("test result:"))
        .unwrap_or_else(|| panic!("no summary line:\n{}", run.stdout));
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("cargo_test_statuses", format!("{statuses}\n{summary}"));
        for (name, details) in &run.failures {
            let details = if name == "async_task_leak_fails" {
                redact_heap_figures(details)
            } else {
                details.clone()
            };
            insta::assert_snapshot!(format!("cargo_test_failure_{name}"), details.trim_end());
        }
    });
}

#[test]
fn libtest_filters_and_list_work_on_the_harness() {
    let binary = build_checked_in_fixture("harness-outcomes");

    let run = run_harness(&binary, &["--list"]);
    let listed = run.stdout.clone();
    assert!(listed.contains("clean_passes: test"), "{listed}");
    assert!(listed.contains("hanging_times_out: test"), "{listed}");

    let exact = run_harness(&binary, &["--exact", "clean_passes"]);
    assert_eq!(exact.exit_code, Some(0));
    assert_eq!(exact.statuses.len(), 1, "{}", exact.stdout);

    let filtered = run_harness(&binary, &["expected_leak", "--skip", "missing"]);
    assert_eq!(filtered.exit_code, Some(0), "{}", filtered.stdout);
    assert_eq!(
        filtered.statuses.keys().collect::<Vec<_>>(),
        vec!["expected_leak_passes"]
    );

    let bad_override = run_harness_with(&binary, &[], &[("LEAKTEST_ITERATIONS", "many")]);
    assert_eq!(bad_override.exit_code, Some(2));
    assert!(
        bad_override
            .stderr
            .contains("LEAKTEST_ITERATIONS=\"many\": expected a number of iterations from 4 to"),
        "{}",
        bad_override.stderr
    );

    let several = run_harness(&binary, &["clean_passes", "expected_leak_passes"]);
    assert_eq!(several.exit_code, Some(0), "{}", several.stdout);
    assert_eq!(
        several.statuses.keys().collect::<Vec<_>>(),
        ["async_clean_passes", "clean_passes", "expected_leak_passes"],
        "several filters, as `cargo test -- a b` gives them, each a substring"
    );
    let filtered_out = several
        .stdout
        .lines()
        .find(|line| line.starts_with("test result:"))
        .unwrap_or_default();
    let total = listed.lines().filter(|l| l.ends_with(": test")).count();
    assert!(
        filtered_out.contains(&format!("{} filtered out", total - 3)),
        "{filtered_out}"
    );

    // libtest's documented spelling, with a space: `-Z` takes a value.
    let json = run_harness(
        &binary,
        &[
            "-Z",
            "unstable-options",
            "--format",
            "json",
            "--exact",
            "clean_passes",
        ],
    );
    assert_eq!(json.exit_code, Some(0), "{}{}", json.stdout, json.stderr);
    let events: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert!(
        events
            .iter()
            .any(|event| event["name"] == "clean_passes" && event["event"] == "ok"),
        "{}",
        json.stdout
    );

    let no_threads = run_harness(&binary, &["--test-threads", "0"]);
    assert_eq!(no_threads.exit_code, Some(101), "rejected as libtest does");
    assert!(
        no_threads
            .stderr
            .contains("--test-threads must be a number > 0"),
        "{}",
        no_threads.stderr
    );

    let ignored = run_harness(&binary, &["--ignored", "--exact", "ignored_is_skipped"]);
    assert_eq!(ignored.exit_code, Some(0), "{}", ignored.stdout);
    assert_eq!(
        ignored
            .statuses
            .get("ignored_is_skipped")
            .map(String::as_str),
        Some("ok")
    );
}

/// Set to `1` to run the end-to-end tests without cargo-nextest installed:
/// the nextest test then passes without checking anything, and says so.
const SKIP_NEXTEST_VARIABLE: &str = "E2E_SKIP_NEXTEST";

/// nextest lists the tests with `--list --format terse` and runs each with
/// `--exact NAME --nocapture`: the harness must give the same verdicts there.
///
/// Without cargo-nextest this test fails (a test that checked nothing must not
/// pass), unless [`SKIP_NEXTEST_VARIABLE`] says to skip it.
#[test]
fn cargo_nextest_runs_the_harness_unchanged() {
    let nextest_available = Command::new(cargo())
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !nextest_available {
        let skip = std::env::var_os(SKIP_NEXTEST_VARIABLE).is_some_and(|value| value == "1");
        assert!(
            skip,
            "cargo-nextest is not installed, so the harness cannot be checked under it: \
             install it (`cargo install cargo-nextest --locked`, as .ci/run does) or set \
             {SKIP_NEXTEST_VARIABLE}=1 to skip this test knowingly"
        );
        eprintln!(
            "SKIPPED: cargo_nextest_runs_the_harness_unchanged checked nothing: \
             cargo-nextest is not installed and {SKIP_NEXTEST_VARIABLE}=1 is set"
        );
        return;
    }
    build_checked_in_fixture("harness-outcomes");
    let manifest = checked_in_fixture_manifest("harness-outcomes");
    let scope = Scope::new();
    let mut command = fixture_cargo(
        &[
            "nextest",
            "run",
            "--no-fail-fast",
            "--color",
            "never",
            "--test",
            "leaks",
            "-E",
            "not test(hanging_times_out)",
        ],
        &manifest,
    );
    scope.apply(&mut command);
    let output = command.output().expect("run cargo nextest");
    let stderr = String::from_utf8_lossy(&output.stderr);
    scope.assert_nothing_left(&stderr);
    assert_eq!(
        output.status.code(),
        Some(100),
        "nextest fails the run:\n{stderr}"
    );
    let verdict_of = |name: &str| {
        stderr
            .lines()
            .filter(|line| line.trim_end().ends_with(&format!(" {name}")))
            .find_map(|line| line.split_whitespace().next())
            .unwrap_or_else(|| panic!("no result line for {name}:\n{stderr}"))
            .to_owned()
    };
    for passing in [
        "clean_passes",
        "expected_leak_passes",
        "async_clean_passes",
        "forking_into_the_body_passes",
    ] {
        assert_eq!(verdict_of(passing), "PASS", "{passing}:\n{stderr}");
    }
    for failing in [
        "leaking_fails",
        "leaving_a_daemon_fails",
        "exceeding_the_memory_limit_fails",
        "async_task_leak_fails",
        "aborting_crashes",
        "exiting_early_crashes",
        "returning_err_fails",
    ] {
        assert_eq!(verdict_of(failing), "FAIL", "{failing}:\n{stderr}");
    }
}

#[test]
fn an_async_test_without_the_tokio_feature_says_to_enable_it() {
    let manifest = checked_in_fixture_manifest("without-tokio-feature");
    let output = fixture_cargo(
        &["test", "--no-run", "--color", "never", "--test", "leaks"],
        &manifest,
    )
    .output()
    .expect("run cargo");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "must not compile:\n{stderr}");
    assert!(
        stderr.contains("enable leaktest-core's `tokio` feature"),
        "the error says what to do:\n{stderr}"
    );
    let errors = stderr
        .lines()
        .filter(|line| line.starts_with("error"))
        .count();
    assert_eq!(
        errors, 2,
        "one error and cargo's summary, nothing else:\n{stderr}"
    );
}

/// The record of one test, run in a child process as a runner runs it.
fn child_record(binary: &Path, test: &str) -> serde_json::Value {
    use leaktest_core::isolation::{run_isolated, ChildSpec};
    use leaktest_core::model::{Settings, TestDescription};
    let mut settings = Settings::default();
    settings.timeout_ms = 3000;
    let spec = ChildSpec::new(
        binary.to_owned(),
        TestDescription::new(test, "tests/leaks.rs", settings),
    );
    let record = run_isolated(&spec).expect("run the child");
    serde_json::to_value(&record).expect("a record is JSON")
}

#[test]
fn a_step_that_cannot_be_confirmed_in_time_is_reported_as_unconfirmed() {
    let binary = build_checked_in_fixture("harness-outcomes");
    let record = child_record(&binary, "slow_single_late_step_is_left_unconfirmed");
    assert_eq!(record["outcome"]["kind"], "passed", "{record}");
    assert_eq!(
        record["iterations_run"], 40,
        "not extended past its timeout: {record}"
    );
    let heap = record["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|report| report["resource"] == "heap_bytes")
        .expect("heap report");
    let reason = heap["judgement"]["reason"].as_str().expect("reason");
    assert!(reason.contains("not confirmed"), "{reason}");
}

#[test]
fn a_growing_run_is_extended_until_it_is_judged_and_no_further_than_the_limits() {
    let binary = build_checked_in_fixture("harness-outcomes");

    let cache = child_record(&binary, "cache_larger_than_the_run_passes");
    assert_eq!(cache["outcome"]["kind"], "passed", "{cache}");
    let run = cache["iterations_run"].as_u64().unwrap_or_default();
    assert!((200..=1000).contains(&run), "extended past 100: {cache}");
    assert_eq!(cache["extension"]["extended_to"], run, "{cache}");
    assert_eq!(cache["extension"]["end"]["kind"], "judged", "{cache}");
    // Iterations that avoid the extension are suggested only when fewer than
    // ran would do: a flat second half after the cache's last rise at 149
    // needs 300.
    if let Some(suggested) = cache["extension"]["suggested_iterations"].as_u64() {
        assert!(
            (300..=run).contains(&suggested),
            "iterations that avoid the extension: {cache}"
        );
    }

    let descriptors = child_record(&binary, "descriptor_leak_is_judged_before_the_limit");
    assert_eq!(
        descriptors["outcome"]["kind"], "passed",
        "leak found: {descriptors}"
    );
    assert_eq!(descriptors["iterations_run"], 100, "{descriptors}");
    assert_eq!(
        descriptors["extension"]["end"],
        serde_json::json!({"kind": "limit", "resource": "fds", "limit": 100}),
        "{descriptors}"
    );
    let fds = descriptors["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|report| report["resource"] == "fds")
        .expect("fds report");
    assert_eq!(fds["judgement"]["leaking"], true, "{fds}");
    assert_eq!(fds["judgement"]["cause"]["kind"], "kept_rising", "{fds}");
}

/// Runs the harness on `leaves_processes_and_hangs` (it ignores SIGTERM,
/// starts a child and a daemon, and hangs), sends the harness `signal` once
/// the daemon runs, and checks that the test's process, its child and the
/// daemon all go, and the record directory with them.
#[cfg(target_os = "linux")]
fn stop_the_harness_with(signal: i32) {
    let binary = build_checked_in_fixture("harness-outcomes");
    let scope = Scope::new();
    let mut command = Command::new(&binary);
    command
        .args(["--ignored", "--exact", "leaves_processes_and_hangs"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    scope.apply(&mut command);
    let mut harness = command.spawn().expect("start the harness");
    let started = wait_until(Duration::from_secs(60), || {
        let processes = scope.processes();
        ["sleep 4321.5", "sleep 4321.6"]
            .iter()
            .all(|marker| processes.iter().any(|process| process.contains(marker)))
    });
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(harness.id() as libc::pid_t, signal);
    }
    harness.wait().expect("reap the harness");
    assert!(started, "the test never started its processes");
    scope.assert_nothing_left(&format!("after signal {signal} to the harness"));
}

/// Ctrl-C under `cargo test` kills the harness; the test, which ignores
/// SIGTERM, must still go, with what it started.
#[cfg(target_os = "linux")]
#[test]
fn interrupting_the_harness_takes_down_the_test_and_everything_it_started() {
    stop_the_harness_with(libc::SIGINT);
}

#[cfg(target_os = "linux")]
#[test]
fn killing_the_harness_takes_down_the_test_and_everything_it_started() {
    stop_the_harness_with(libc::SIGKILL);
}

/// Ctrl-C under `cargo test` while a heap leak's attribution run hangs under
/// dhat's profiler (its timeout raised, so only the interruption ends it):
/// the attribution run goes like any test, and the directory it profiles
/// into (next to the kept profiles, outside `TMPDIR`) with its record
/// directory.
#[cfg(target_os = "linux")]
#[test]
fn interrupting_the_harness_during_an_attribution_run_leaves_nothing_behind() {
    let binary = build_checked_in_fixture("attribution");
    let scope = Scope::new();
    let mut command = Command::new(&binary);
    command
        .args(["--exact", "leaks_then_hangs_under_the_profiler"])
        .env("LEAKTEST_TIMEOUT", "10m")
        .env_remove("LEAKTEST_ATTRIBUTE")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    scope.apply(&mut command);
    let mut harness = command.spawn().expect("start the harness");
    let mut profile_dirs = Vec::new();
    let started = wait_until(Duration::from_secs(120), || {
        profile_dirs = scope.open_files_named(".attribution-");
        !profile_dirs.is_empty()
    });
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(harness.id() as libc::pid_t, libc::SIGINT);
    }
    harness.wait().expect("reap the harness");
    assert!(started, "the attribution run never started");
    scope.assert_nothing_left(&"after Ctrl-C during the attribution run");
    for dir in &profile_dirs {
        assert!(!dir.exists(), "{} is left behind", dir.display());
    }
}

#[test]
fn stale_protocol_variables_are_ignored_and_overrides_are_announced() {
    let binary = build_checked_in_fixture("harness-outcomes");
    for stale in [
        ("LEAKTEST_CHILD", "clean_passes"),
        ("LEAKTEST_DESCRIBE", "1"),
        // Followed, it would make the verdict run an attribution run, which
        // passes with the sites.
        ("LEAKTEST_ATTRIBUTION_PROFILE", "3:1:1"),
    ] {
        let run = run_harness_with(
            &binary,
            &["--exact", "leaking_fails"],
            &[stale, ("LEAKTEST_RECORD", "/nowhere")],
        );
        assert_eq!(
            run.exit_code,
            Some(101),
            "{stale:?} must not turn the harness into a passing child:\n{}",
            run.stdout
        );
        assert_eq!(
            run.statuses.get("leaking_fails").map(String::as_str),
            Some("FAILED"),
            "{}",
            run.stdout
        );
        assert!(
            run.stderr.contains(&format!("ignoring {}", stale.0)),
            "{}",
            run.stderr
        );
    }

    // A misspelled variable changes nothing: a warning names it, once.
    let iterations = [
        ("LEAKTEST_ITERATIONS", "12"),
        ("LEAKTEST_MAX_PEAKK", "1KiB"),
    ];
    let run = run_harness_with(&binary, &["--exact", "clean_passes"], &iterations);
    assert_eq!(run.exit_code, Some(0), "{}", run.stdout);
    assert_eq!(
        run.stderr
            .matches(
                "leaktest: warning: LEAKTEST_MAX_PEAKK is not a variable leaktest reads, so it \
                 changes nothing (did you mean LEAKTEST_MAX_PEAK?)"
            )
            .count(),
        1,
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("LEAKTEST_ITERATIONS sets iterations = 12 for every test"),
        "the header says so:\n{}",
        run.stdout
    );
    let listed = run_harness_with(&binary, &["--list", "--format", "terse"], &iterations);
    assert!(
        listed
            .stderr
            .contains("LEAKTEST_ITERATIONS sets iterations = 12"),
        "{}",
        listed.stderr
    );
    assert!(
        listed.stdout.lines().all(|line| line.ends_with(": test")),
        "stdout stays a list cargo nextest reads:\n{}",
        listed.stdout
    );

    let run = run_harness_with(
        &binary,
        &["--exact", "exceeding_the_memory_limit_fails"],
        &[("LEAKTEST_MEMORY_LIMIT", "32MiB")],
    );
    let details = run
        .failures
        .get("exceeding_the_memory_limit_fails")
        .unwrap_or_else(|| panic!("no failure:\n{}", run.stdout));
    assert!(details.contains("exceeded the 32.0 MiB limit"), "{details}");
}

#[test]
fn a_harness_without_the_counting_allocator_fails_and_says_how_to_fix_it() {
    let binary = build_checked_in_fixture("without-counting-allocator");
    let run = run_harness(&binary, &[]);
    assert_eq!(run.exit_code, Some(101), "{}", run.stdout);
    assert_eq!(
        run.statuses.get("cannot_be_measured").map(String::as_str),
        Some("FAILED")
    );
    let details = run
        .failures
        .get("cannot_be_measured")
        .expect("failure details");
    assert!(
        details.contains("the counting allocator is not installed")
            && details.contains("leaktest_core::main!();"),
        "{details}"
    );
}
