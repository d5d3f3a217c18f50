//! The harness under plain `cargo test`: a fixture crate with one leak test per
//! way a test can end is built and its test binary run, as cargo would run it.
//! Every outcome must be reported as such, and one test's crash must not stop
//! the others.

use leaktest_e2e::{
    build_checked_in_fixture, cargo, checked_in_fixture_manifest, fixture_cargo,
    raise_open_file_limit, redact_heap_figures, snapshot_settings,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

struct HarnessRun {
    exit_code: Option<i32>,
    /// Test name to libtest status (`ok`, `FAILED`, `ignored`).
    statuses: BTreeMap<String, String>,
    /// Test name to the failure text printed under `---- name ----`.
    failures: BTreeMap<String, String>,
    stdout: String,
}

fn run_harness(binary: &Path, args: &[&str]) -> HarnessRun {
    let output = Command::new(binary)
        .args(args)
        // A panic's report (kept in the failure details) without a backtrace,
        // whatever the environment asks for.
        .env("RUST_BACKTRACE", "0")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .expect("run the harness");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
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
        "cache_larger_than_the_run_passes",
        "descriptor_leak_is_judged_before_the_limit",
    ] {
        assert_eq!(status(passing), "ok", "{passing}:\n{}", run.stdout);
    }
    for ignored in [
        "ignored_is_skipped",
        "leaves_a_grandchild_and_hangs",
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
            "failed in iteration 0: panicked: the body panicked",
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

    let listed = Command::new(&binary)
        .args(["--list"])
        .output()
        .expect("list");
    let listed = String::from_utf8_lossy(&listed.stdout);
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

    let bad_override = Command::new(&binary)
        .env("LEAKTEST_ITERATIONS", "many")
        .output()
        .expect("run with a bad override");
    assert_eq!(bad_override.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad_override.stderr);
    assert!(
        stderr.contains("LEAKTEST_ITERATIONS=\"many\": expected a number of iterations from 4 to"),
        "{stderr}"
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
const SKIP_NEXTEST_VARIABLE: &str = "LEAKTEST_SKIP_NEXTEST";

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
    let output = fixture_cargo(
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
    )
    .output()
    .expect("run cargo nextest");
    let stderr = String::from_utf8_lossy(&output.stderr);
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
    for passing in ["clean_passes", "expected_leak_passes", "async_clean_passes"] {
        assert_eq!(verdict_of(passing), "PASS", "{passing}:\n{stderr}");
    }
    for failing in [
        "leaking_fails",
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

/// The record a child writes for one test, as a parent would read it.
fn child_record(binary: &Path, test: &str) -> serde_json::Value {
    let record = tempfile::NamedTempFile::new().expect("temp file");
    let status = Command::new(binary)
        .env("LEAKTEST_CHILD", test)
        .env("LEAKTEST_RECORD", record.path())
        .env("LEAKTEST_TIMEOUT_MS", "3000")
        .status()
        .expect("run the child");
    assert!(status.success(), "the child of {test} failed: {status}");
    let json = std::fs::read_to_string(record.path()).expect("read the record");
    serde_json::from_str(&json).expect("parse the record")
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
    let suggested = cache["extension"]["suggested_iterations"]
        .as_u64()
        .unwrap_or_default();
    assert!(
        suggested >= 300,
        "iterations that avoid the extension: {cache}"
    );

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

/// Processes whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
        .filter(|cmdline| cmdline.contains(marker))
        .collect()
}

fn wait_until(limit: std::time::Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    done()
}

#[cfg(target_os = "linux")]
#[test]
fn killing_the_harness_takes_down_the_test_and_what_it_started() {
    let binary = build_checked_in_fixture("harness-outcomes");
    let marker = "4321.5";
    let mut harness = Command::new(&binary)
        .args(["--ignored", "--exact", "leaves_a_grandchild_and_hangs"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the harness");
    let started = wait_until(std::time::Duration::from_secs(30), || {
        !processes_with(marker).is_empty()
    });
    harness.kill().expect("kill the harness");
    harness.wait().expect("reap the harness");
    assert!(started, "the test never started its grandchild");
    let gone = wait_until(std::time::Duration::from_secs(10), || {
        processes_with(marker).is_empty()
    });
    assert!(gone, "left running: {:?}", processes_with(marker));
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
