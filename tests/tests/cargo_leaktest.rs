//! `cargo leaktest` run for real on fixture workspaces written to temporary
//! directories. Every fixture builds into one shared target directory, so
//! leaktest-core compiles once; assertions are on exit codes and JSON lines,
//! and on human text only after redacting durations.
//!
//! The main fixture is one workspace of three packages:
//! - `alpha`: `tests/leaks.rs`, a leaktest harness with one test per verdict
//!   (see [`ALPHA_TESTS`]); `tests/plain.rs`, an ordinary libtest target;
//!   `tests/custom.rs`, a `harness = false` target that is not a leaktest harness;
//! - `beta`: a leaktest harness whose tests all pass;
//! - `gamma`: a `harness = false` test target in a package without leaktest-core.
//!
//! What users read of each outcome (the human report, the JSON lines) is
//! pinned with snapshots on the checked-in `tests/fixtures/harness-outcomes`
//! crate, which has one test per way a test can end.

use leaktest_e2e::{
    cargo_leaktest_command_in, checked_in_fixture_manifest, leaktest_core_dependency,
    raise_open_file_limit, redact_durations, redact_heap_figures, snapshot_settings, Fixture, Run,
    Scope,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

/// The tests of `alpha::leaks` as the default run sees them: name, the
/// `outcome.kind` of its record, and the verdict label of the human report.
const ALPHA_TESTS: &[(&str, &str, &str)] = &[
    ("aborts", "crashed", "CRASHED"),
    ("clean_vec", "passed", "PASSED"),
    ("hangs", "ignored", "IGNORED"),
    ("known_leak", "passed", "PASSED"),
    ("leaks_a_box", "leaked", "LEAKED"),
    ("no_leak_but_expected", "leak_not_found", "NO LEAK"),
    ("slow_one", "ignored", "IGNORED"),
];

const ALPHA_LEAKS: &str = r#"
use leaktest_core::leak_test;

#[leak_test(iterations = 30)]
fn clean_vec() {
    let buffer = vec![7u8; 256];
    std::hint::black_box(buffer);
}

#[leak_test(iterations = 30)]
fn leaks_a_box() {
    Box::leak(Box::new([0u8; 64]));
}

#[leak_test(iterations = 30, should_leak)]
fn known_leak() {
    Box::leak(Box::new([0u8; 64]));
}

#[leak_test(iterations = 30, should_leak)]
fn no_leak_but_expected() {
    std::hint::black_box(vec![1u8; 16]);
}

#[leak_test(iterations = 5)]
fn aborts() {
    std::process::abort();
}

#[leak_test(iterations = 5, ignore = "hangs on purpose; run with --ignored --timeout")]
fn hangs() {
    loop {
        std::thread::park();
    }
}

#[leak_test(iterations = 5, ignore = "slow")]
fn slow_one() {}

leaktest_core::main!();
"#;

const BETA_LEAKS: &str = r#"
use leaktest_core::leak_test;

#[leak_test(iterations = 20)]
fn beta_clean() {
    std::hint::black_box(String::from("beta"));
}

#[leak_test(iterations = 20)]
fn beta_also_clean() {
    std::hint::black_box(vec![0u64; 8]);
}

leaktest_core::main!();
"#;

fn package_manifest(name: &str, with_core: bool, tests: &[(&str, bool)]) -> String {
    let mut manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n"
    );
    if with_core {
        manifest.push_str(&format!(
            "[dev-dependencies]\n{}\n\n",
            leaktest_core_dependency()
        ));
    }
    for (test, harness) in tests {
        manifest.push_str(&format!(
            "[[test]]\nname = \"{test}\"\nharness = {harness}\n\n"
        ));
    }
    manifest
}

/// The three-package workspace, written and built once per test process.
fn workspace() -> &'static Fixture {
    static WORKSPACE: OnceLock<Fixture> = OnceLock::new();
    WORKSPACE.get_or_init(|| {
        let fixture = Fixture::new("workspace");
        fixture
            .file(
                "Cargo.toml",
                "[workspace]\nmembers = [\"alpha\", \"beta\", \"gamma\"]\nresolver = \"2\"\n",
            )
            .file(
                "alpha/Cargo.toml",
                &package_manifest("alpha", true, &[("leaks", false), ("custom", false)]),
            )
            .file("alpha/src/lib.rs", "")
            .file("alpha/tests/leaks.rs", ALPHA_LEAKS)
            .file("alpha/tests/plain.rs", "#[test]\nfn ordinary() {}\n")
            .file("alpha/tests/custom.rs", "fn main() {}\n")
            .file(
                "beta/Cargo.toml",
                &package_manifest("beta", true, &[("leaks", false)]),
            )
            .file("beta/src/lib.rs", "")
            .file("beta/tests/leaks.rs", BETA_LEAKS)
            .file(
                "gamma/Cargo.toml",
                &package_manifest("gamma", false, &[("standalone", false)]),
            )
            .file("gamma/src/lib.rs", "")
            .file("gamma/tests/standalone.rs", "fn main() {}\n");
        fixture
    })
}

/// The `test_finished` records of a JSON run, by test name, checking the
/// framing lines on the way.
fn records(run: &Run) -> BTreeMap<String, Value> {
    let lines = run.json_lines();
    assert!(lines.len() >= 2, "{run}");
    assert_eq!(lines[0]["type"], "run_started", "{run}");
    assert_eq!(lines[lines.len() - 1]["type"], "run_finished", "{run}");
    for line in &lines {
        assert_eq!(line["schema_version"], 1, "{line}");
    }
    lines
        .iter()
        .filter(|line| line["type"] == "test_finished")
        .map(|line| {
            assert_eq!(line["record"]["schema_version"], 1, "{line}");
            let name = line["record"]["name"]
                .as_str()
                .expect("a test name")
                .to_owned();
            (name, line.clone())
        })
        .collect()
}

fn outcome_kinds(run: &Run) -> BTreeMap<String, String> {
    records(run)
        .into_iter()
        .map(|(name, line)| {
            let kind = line["record"]["outcome"]["kind"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            (name, kind)
        })
        .collect()
}

fn run_finished(run: &Run) -> Value {
    run.json_lines().pop().expect("a run_finished line")
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

#[test]
fn verdicts_in_json_agree_with_the_human_report() {
    let fixture = workspace();
    let json =
        fixture.cargo_leaktest(&["-p", "alpha", "--no-fail-fast", "--message-format", "json"]);
    assert_eq!(json.code, Some(1), "{json}");
    let expected: BTreeMap<String, String> = ALPHA_TESTS
        .iter()
        .map(|(name, kind, _)| ((*name).to_owned(), (*kind).to_owned()))
        .collect();
    assert_eq!(outcome_kinds(&json), expected, "{json}");
    let records = records(&json);
    for (name, line) in &records {
        let kind = line["record"]["outcome"]["kind"]
            .as_str()
            .unwrap_or_default();
        let failed = !matches!(kind, "passed" | "ignored");
        assert_eq!(line["failed"], failed, "{name}: {line}");
        assert_eq!(line["package"], "alpha");
        assert_eq!(line["target"], "leaks");
    }
    let leak = &records["leaks_a_box"]["record"];
    let heap = leak["resources"]
        .as_array()
        .and_then(|resources| resources.iter().find(|r| r["resource"] == "heap_bytes"))
        .expect("heap measured");
    assert_eq!(heap["judgement"]["leaking"], true, "{leak}");
    let finished = run_finished(&json);
    assert_eq!(
        (
            &finished["passed"],
            &finished["failed"],
            &finished["skipped"]
        ),
        (&Value::from(2), &Value::from(3), &Value::from(2)),
        "{finished}"
    );
    assert_eq!(finished["exit_code"], 1);

    let human = fixture.cargo_leaktest(&["-p", "alpha", "--no-fail-fast", "--color", "never"]);
    assert_eq!(human.code, Some(1), "{human}");
    let text = redact_durations(&human.stdout);
    for (name, _, label) in ALPHA_TESTS {
        let line = text
            .lines()
            .find(|line| line.contains(&format!(" alpha::leaks {name}")))
            .unwrap_or_else(|| panic!("no line for {name}:\n{text}"));
        assert!(line.trim_start().starts_with(label), "{name}: {line}");
        if *label != "IGNORED" {
            assert!(line.contains("[DURATION] alpha::leaks"), "{line}");
        }
    }
    let leak_line = text
        .lines()
        .find(|l| l.contains("leaks_a_box"))
        .unwrap_or_default();
    assert!(
        leak_line.contains("heap +"),
        "growth per iteration shown: {leak_line}"
    );
    assert!(leak_line.contains("peak "), "peak heap shown: {leak_line}");
    // Details of every failure, from core's summary.
    assert!(
        text.contains("---- alpha::leaks leaks_a_box (leaked) ----"),
        "{text}"
    );
    assert!(
        text.contains("---- alpha::leaks aborts (crashed) ----"),
        "{text}"
    );
    assert!(text.contains("SIGABRT"), "{text}");
    assert!(
        text.contains("---- alpha::leaks no_leak_but_expected (no leak) ----"),
        "{text}"
    );
    let last_lines: Vec<&str> = text.lines().rev().take(2).collect();
    assert_eq!(last_lines[0], "2 passed, 3 failed, 2 skipped", "{text}");
    assert!(
        last_lines[1].contains("Finished 5 leak tests in DURATION"),
        "{text}"
    );
}

#[test]
fn fail_fast_starts_no_test_after_the_first_failure() {
    // One at a time, in name order: `aborts` crashes first.
    let run = workspace().cargo_leaktest(&["-p", "alpha", "-j", "1", "--message-format", "json"]);
    assert_eq!(run.code, Some(1), "{run}");
    let kinds = outcome_kinds(&run);
    let ran: Vec<&String> = kinds
        .iter()
        .filter(|(_, kind)| kind.as_str() != "ignored")
        .map(|(name, _)| name)
        .collect();
    assert_eq!(ran, ["aborts"], "{run}");
    let finished = run_finished(&run);
    assert_eq!(finished["not_run"], 4, "{finished}");
    assert_eq!(finished["skipped"], 6, "{finished}");
}

#[test]
fn filters_select_by_substring_exact_name_and_skip() {
    let fixture = workspace();
    let json = ["-p", "alpha", "--message-format", "json"];
    let run_names = |extra: &[&str]| {
        let args: Vec<&str> = json.iter().chain(extra).copied().collect();
        let run = fixture.cargo_leaktest(&args);
        let kinds = outcome_kinds(&run);
        (run, kinds.into_keys().collect::<Vec<_>>())
    };

    let (run, found) = run_names(&["clean", "known"]);
    assert_eq!(found, names(&["clean_vec", "known_leak"]), "{run}");
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(run_finished(&run)["filtered_out"], 5, "{run}");

    let (run, found) = run_names(&["--exact", "clean"]);
    assert!(found.is_empty(), "--exact needs whole names: {run}");
    assert_eq!(run.code, Some(4), "no test to run: {run}");

    let (run, found) = run_names(&["--exact", "clean_vec"]);
    assert_eq!(found, names(&["clean_vec"]), "{run}");

    let (run, found) = run_names(&[
        "--skip", "leak", "--skip", "abort", "--skip", "slow", "--skip", "hangs",
    ]);
    assert_eq!(found, names(&["clean_vec"]), "{run}");
    assert_eq!(run.code, Some(0), "{run}");

    // libtest's arguments after `--` mean the same.
    let (run, found) = run_names(&["--", "--exact", "known_leak"]);
    assert_eq!(found, names(&["known_leak"]), "{run}");

    let (run, found) = run_names(&["--include-ignored", "slow"]);
    assert_eq!(found, names(&["slow_one"]), "{run}");
    assert_eq!(
        records(&run)["slow_one"]["record"]["outcome"]["kind"],
        "passed",
        "{run}"
    );
}

#[test]
fn list_shows_tests_with_settings_and_skipped_targets() {
    let fixture = workspace();
    let run = fixture.cargo_leaktest(&["--workspace", "--list", "--message-format", "json"]);
    assert_eq!(run.code, Some(0), "{run}");
    let targets: BTreeMap<String, Value> = run
        .json_lines()
        .into_iter()
        .map(|line| {
            assert_eq!(line["type"], "target_listed", "{line}");
            (
                format!(
                    "{}::{}",
                    line["package"].as_str().unwrap_or_default(),
                    line["target"].as_str().unwrap_or_default()
                ),
                line,
            )
        })
        .collect();
    let reasons: BTreeMap<&str, &Value> = targets
        .iter()
        .map(|(id, line)| (id.as_str(), &line["skip_reason"]))
        .collect();
    assert_eq!(
        reasons,
        BTreeMap::from([
            ("alpha::custom", &Value::from("not_a_leaktest_harness")),
            ("alpha::leaks", &Value::Null),
            ("alpha::plain", &Value::from("libtest_harness")),
            ("beta::leaks", &Value::Null),
            ("gamma::standalone", &Value::from("no_leaktest_dependency")),
        ]),
        "{run}"
    );
    let alpha_tests = targets["alpha::leaks"]["tests"].as_array().expect("tests");
    let listed: Vec<&str> = alpha_tests
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let expected: Vec<&str> = ALPHA_TESTS.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(listed, expected);
    let known_leak = alpha_tests
        .iter()
        .find(|t| t["name"] == "known_leak")
        .expect("known_leak");
    assert_eq!(known_leak["settings"]["should_leak"], true);
    assert_eq!(known_leak["settings"]["iterations"], 30);
    let slow = alpha_tests
        .iter()
        .find(|t| t["name"] == "slow_one")
        .expect("slow_one");
    assert_eq!(slow["ignored"], "slow");

    let human = fixture.cargo_leaktest(&["--workspace", "--list", "--color", "never"]);
    assert_eq!(human.code, Some(0), "{human}");
    let line_of = |start: &str| {
        human
            .stdout
            .lines()
            .find(|line| line.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no line starting with {start}:\n{human}"))
            .to_owned()
    };
    assert!(line_of("alpha::plain").contains("skipped"), "{human}");
    assert!(
        line_of("alpha::custom").contains("not a leaktest harness"),
        "{human}"
    );
    assert!(
        line_of("gamma::standalone").contains("does not depend on leaktest-core"),
        "{human}"
    );
    assert!(line_of("alpha::leaks").contains("7 leak tests"), "{human}");
    let known = line_of("known_leak");
    assert!(
        known.contains("iterations=30") && known.contains("should_leak"),
        "{known}"
    );
    assert!(line_of("slow_one").contains("ignored: slow"), "{human}");

    snapshot_settings().bind(|| {
        for (id, line) in &targets {
            let name = format!("list_json_{}", id.replace("::", "_"));
            insta::assert_json_snapshot!(name, line);
        }
        insta::assert_snapshot!("list_human", human.stdout);
    });
}

#[test]
fn package_selection_runs_only_the_chosen_packages() {
    let fixture = workspace();
    let run = fixture.cargo_leaktest(&["-p", "beta", "--message-format", "json"]);
    assert_eq!(run.code, Some(0), "{run}");
    let records = records(&run);
    assert_eq!(
        records.keys().cloned().collect::<Vec<_>>(),
        names(&["beta_also_clean", "beta_clean"])
    );
    assert!(
        records.values().all(|line| line["package"] == "beta"),
        "{run}"
    );

    let run = fixture.cargo_leaktest(&["--workspace", "--exclude", "alpha", "--color", "never"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(
        run.stdout.lines().last(),
        Some("2 passed, 0 failed, 0 skipped"),
        "{run}"
    );
    assert!(!run.stdout.contains("alpha::"), "{run}");

    let run = fixture.cargo_leaktest(&["-p", "nosuch"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("`nosuch`"), "{run}");

    let run = fixture.cargo_leaktest(&["-p", "beta", "--test", "nosuch"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.contains("no test target named `nosuch`"),
        "{run}"
    );
}

#[test]
fn a_hanging_test_times_out_under_timeout() {
    let run = workspace().cargo_leaktest(&[
        "-p",
        "alpha",
        "--ignored",
        "--exact",
        "hangs",
        "--timeout",
        "2s",
        "--message-format",
        "json",
    ]);
    assert_eq!(run.code, Some(1), "{run}");
    let records = records(&run);
    let outcome = &records["hangs"]["record"]["outcome"];
    assert_eq!(outcome["kind"], "timed_out", "{run}");
    assert_eq!(outcome["timeout_ms"], 2000, "{run}");
    // `timed_out` after 2000 ms is the kill itself; no wall-clock limit, which
    // would also count building the fixture on a cold, loaded machine.
    assert_eq!(
        records["hangs"]["record"]["settings"]["timeout_ms"], 2000,
        "{run}"
    );
}

#[test]
fn iterations_overrides_every_test() {
    let run = workspace().cargo_leaktest(&[
        "-p",
        "alpha",
        "--exact",
        "clean_vec",
        "--iterations",
        "12",
        "--message-format",
        "json",
    ]);
    assert_eq!(run.code, Some(0), "{run}");
    let record = &records(&run)["clean_vec"]["record"];
    assert_eq!(record["settings"]["iterations"], 12, "{record}");
    let iterations_run = record["iterations_run"].as_u64().unwrap_or_default();
    // A series that grows may be run up to ten times as long.
    assert!((12..=120).contains(&iterations_run), "{record}");
}

#[test]
fn a_build_failure_shows_cargo_s_diagnostics_and_exits_2() {
    let fixture = Fixture::new("broken");
    fixture
        // Its own workspace: the fixture directory lies inside the leaktest workspace's target.
        .file(
            "Cargo.toml",
            &format!("{}[workspace]\n", package_manifest("broken", true, &[("leaks", false)])),
        )
        .file("src/lib.rs", "")
        .file(
            "tests/leaks.rs",
            "#[leaktest_core::leak_test]\nfn typo() {\n    let count: u32 = \"not a number\";\n    \
             let _ = count;\n}\n\nleaktest_core::main!();\n",
        );
    let run = fixture.cargo_leaktest(&["--color", "never"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.contains("error[E0308]: mismatched types"),
        "{run}"
    );
    assert!(
        run.stderr.contains("could not build the test targets"),
        "{run}"
    );
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn usage_errors_exit_2_and_help_documents_the_exit_codes() {
    let fixture = workspace();
    for args in [
        &["--jobs", "0"][..],
        &["--timeout", "soon"],
        &["--color", "sometimes"],
        &["--", "--bench"],
    ] {
        let run = fixture.cargo_leaktest(args);
        assert_eq!(run.code, Some(2), "{args:?}: {run}");
    }
    for (args, says) in [
        (["--timeout", "3000000000000000h"], "at most 7 days"),
        (["--iterations", "2"], "at least 4 iterations are needed"),
    ] {
        let run = fixture.cargo_leaktest(&args);
        assert_eq!(run.code, Some(2), "{args:?}: {run}");
        assert!(run.stderr.contains(says), "{args:?}: {run}");
    }
    let help = fixture.cargo_leaktest(&["--help"]);
    assert_eq!(help.code, Some(0), "{help}");
    for code in ["0 ", "1 ", "2 ", "3 ", "4 ", "129", "130", "143"] {
        assert!(
            help.stdout.contains(&format!("\n  {code}")),
            "exit code {code}: {help}"
        );
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_kills_the_running_tests_reports_and_exits_130() {
    let started = Instant::now();
    let reports = tempfile::tempdir().expect("a temporary directory");
    let junit = reports.path().join("junit.xml");
    let scope = Scope::new();
    let mut child = workspace()
        .cargo_leaktest_command(
            &[
                "-p",
                "alpha",
                "--include-ignored",
                "--no-fail-fast",
                "--message-format",
                "json",
                "--junit",
                junit.to_str().expect("a UTF-8 path"),
                "clean_vec",
                "hangs",
            ],
            &scope,
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cargo-leaktest");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    // Wait until `clean_vec` has finished: `hangs` is running by then.
    while !lines
        .iter()
        .any(|line: &String| line.contains("\"name\":\"clean_vec\""))
    {
        let mut line = String::new();
        if stdout.read_line(&mut line).expect("read stdout") == 0 {
            break;
        }
        lines.push(line);
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let signalled = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(signalled.success());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("read stdout");
    lines.push(rest);
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    // `hangs` blocks forever: that cargo-leaktest ends at all shows it was killed.
    let status = child.wait().expect("wait for cargo-leaktest");
    let run = Run::new(
        std::process::Output {
            status,
            stdout: lines.concat().into_bytes(),
            stderr: stderr.into_bytes(),
        },
        started.elapsed(),
    );
    assert_eq!(run.code, Some(130), "{run}");
    let kinds = outcome_kinds(&run);
    assert_eq!(
        kinds.get("clean_vec").map(String::as_str),
        Some("passed"),
        "{run}"
    );
    assert!(
        !kinds.contains_key("hangs"),
        "an interrupted test has no verdict: {run}"
    );
    let finished = run_finished(&run);
    assert_eq!(finished["interrupted"], true, "{finished}");
    assert_eq!(finished["not_run"], 1, "{finished}");
    assert_eq!(finished["exit_code"], 130, "{finished}");
    // The JUnit report is written after Ctrl-C too, with the tests that finished.
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report after Ctrl-C");
    assert!(xml.contains("<testcase name=\"clean_vec\""), "{xml}");
    assert!(!xml.contains("name=\"hangs\""), "{xml}");
    scope.assert_nothing_left(&run);
}

/// The directory of the checked-in fixture crate with one leak test per way a
/// test can end.
fn outcomes_fixture_dir() -> PathBuf {
    let manifest = checked_in_fixture_manifest("harness-outcomes");
    manifest
        .parent()
        .expect("a manifest has a directory")
        .to_owned()
}

/// The test of harness-outcomes whose heap figures vary by a few bytes from
/// run to run (a multi-threaded tokio runtime's own allocations).
const VARYING_HEAP_TEST: &str = "async_task_leak_fails";

/// `cargo leaktest ARGS` on harness-outcomes, every test to the end, one at a
/// time so that lines come in name order.
fn run_every_outcome(args: &[&str]) -> Run {
    raise_open_file_limit();
    let started = Instant::now();
    let scope = Scope::new();
    let output = cargo_leaktest_command_in(
        &outcomes_fixture_dir(),
        &[&["--no-fail-fast", "-j", "1", "--color", "never"], args].concat(),
        &scope,
    )
    // A panic's report (kept in the failure details) without a backtrace,
    // whatever the environment asks for.
    .env("RUST_BACKTRACE", "0")
    .env_remove("RUST_LIB_BACKTRACE")
    .output()
    .expect("run cargo-leaktest");
    let run = Run::new(output, started.elapsed());
    scope.assert_nothing_left(&run);
    assert_eq!(run.code, Some(1), "{run}");
    run
}

/// `text` with the heap figures of `test` redacted, on its report line and in
/// its failure details (which end at the next blank line).
fn redact_heap_figures_of(text: &str, test: &str) -> String {
    let mention = format!(" {test} ");
    let mut in_details = false;
    let mut redacted = String::with_capacity(text.len());
    for line in text.lines() {
        if line.starts_with("---- ") {
            in_details = line.contains(&mention);
        } else if line.is_empty() {
            in_details = false;
        }
        if in_details || line.contains(&mention) {
            redacted.push_str(&redact_heap_figures(line));
        } else {
            redacted.push_str(line);
        }
        redacted.push('\n');
    }
    redacted
}

/// What `cargo leaktest` prints for each way a test can end, pinned: the line
/// of each test, the details of each failure and the summary.
#[test]
fn the_human_report_of_each_outcome_is_pinned() {
    let run = run_every_outcome(&[]);
    let report = redact_heap_figures_of(&run.stdout, VARYING_HEAP_TEST);
    snapshot_settings().bind(|| insta::assert_snapshot!("human_report_of_each_outcome", report));
}

/// The JSON lines of a run with each way a test can end, pinned: field
/// names, outcome kinds and messages, judgements; one snapshot per line.
#[test]
fn the_json_lines_of_each_outcome_are_pinned() {
    let run = run_every_outcome(&["--message-format", "json"]);
    let lines = run.json_lines();
    let settings = snapshot_settings();
    let mut varying_heap = settings.clone();
    for field in [
        "retained_growth",
        "growth_per_iteration",
        "reason",
        "cause.late_growth",
    ] {
        varying_heap.add_redaction(
            &format!(".record.resources[0].judgement.{field}"),
            "[VARIES]",
        );
    }
    // What the heap's growth budget measured is the same varying slope.
    varying_heap.add_redaction(".record.budgets[0].measured", "[VARIES]");
    // The runtime's worker threads make C allocations of their own (glibc's
    // per-thread data) at a moment of their choosing: the native heap's
    // verdict stays "not leaking", its figures vary.
    varying_heap.add_redaction(".record.resources[2].judgement", "[VARIES]");
    varying_heap.add_redaction(".record.budgets[2].measured", "[VARIES]");
    let mut finished_tests = 0;
    for line in &lines {
        let kind = line["type"].as_str().unwrap_or_default();
        match kind {
            "run_started" | "run_finished" => {
                settings.bind(|| insta::assert_json_snapshot!(format!("json_{kind}"), line));
            }
            "test_finished" => {
                finished_tests += 1;
                let name = line["record"]["name"].as_str().unwrap_or_default();
                if name == VARYING_HEAP_TEST {
                    assert_eq!(
                        line["record"]["resources"][0]["resource"], "heap_bytes",
                        "the redaction above is of the heap: {line}"
                    );
                    let native = &line["record"]["resources"][2];
                    assert_eq!(
                        (&native["resource"], &native["judgement"]["leaking"]),
                        (
                            &serde_json::json!("native_heap_bytes"),
                            &serde_json::json!(false)
                        ),
                        "the redaction above is of the native heap, which does not leak: {line}"
                    );
                    assert_eq!(
                        line["record"]["budgets"][2]["budget"], "max_native_growth",
                        "the redaction above is of the native heap's growth: {line}"
                    );
                    varying_heap.bind(|| {
                        insta::assert_json_snapshot!(format!("json_test_finished_{name}"), line)
                    });
                } else {
                    settings.bind(|| {
                        insta::assert_json_snapshot!(format!("json_test_finished_{name}"), line)
                    });
                }
            }
            _ => panic!("unexpected line type {kind:?}: {line}"),
        }
    }
    let run_finished = lines.last().expect("a run_finished line");
    let tests = ["passed", "failed", "skipped"]
        .iter()
        .map(|count| run_finished[count].as_u64().unwrap_or_default())
        .sum::<u64>();
    assert_eq!(finished_tests, tests, "one record per test: {run}");
}

/// `cargo leaktest --help` and `-h`, pinned.
#[test]
fn help_is_pinned() {
    for (flag, name) in [("--help", "help_long"), ("-h", "help_short")] {
        let run = cargo_leaktest_command_in(&outcomes_fixture_dir(), &[flag], &Scope::new())
            .env_remove("COLUMNS")
            .output()
            .expect("run cargo-leaktest");
        let run = Run::new(run, std::time::Duration::ZERO);
        assert_eq!(run.code, Some(0), "{run}");
        assert!(run.stderr.is_empty(), "{run}");
        snapshot_settings().bind(|| insta::assert_snapshot!(name, run.stdout));
    }
}
