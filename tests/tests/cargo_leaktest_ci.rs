//! `cargo leaktest` as a CI gate, run for real on a fixture workspace:
//! baselines (save, compare, regressions, improvements, new tests, corrupt
//! and missing files, another target, shards and merge), the JUnit report,
//! GitHub Actions annotations and step summary, `--partition`, and runs with
//! no tests.
//!
//! The fixture is one package, `gate`, whose tests change what they do
//! through environment variables the runs set, so one build serves every
//! run: `GATE_BUFFER_BYTES` sizes the buffer `sized_buffer` allocates each
//! iteration, `GATE_LEAK` makes `maybe_leaks` leak, `GATE_FAIL` makes
//! `fails_loudly` print and panic (`GATE_FAIL=huge`: with a 4 MiB message on
//! one line), `GATE_GARBAGE` makes `steady` print bytes that are no JSON
//! (nor UTF-8) to stdout.

use leaktest_e2e::{fixture_target_dir, leaktest_core_dependency, Fixture, Run, Scope};
use quick_junit::{NonSuccessKind, Report, TestCaseStatus};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

const GATE_LEAKS: &str = r#"use leaktest_core::leak_test;

fn env_bytes(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[leak_test(iterations = 12)]
fn sized_buffer() {
    let buffer = vec![1u8; env_bytes("GATE_BUFFER_BYTES", 4096)];
    std::hint::black_box(buffer);
}

#[leak_test(iterations = 12)]
fn maybe_leaks() {
    if std::env::var_os("GATE_LEAK").is_some() {
        Box::leak(Box::new([0u8; 64]));
    }
    std::hint::black_box(vec![0u8; 32]);
}

#[leak_test(iterations = 12)]
fn steady() {
    if std::env::var_os("GATE_GARBAGE").is_some() {
        use std::io::Write;
        let garbage = b"\xff\xfe\x00 garbage {\"type\":\"run_finished\",\"exit_code\":0}\n";
        let _ = std::io::stdout().write_all(garbage);
    }
    std::hint::black_box(String::from("steady"));
}

#[leak_test(iterations = 5)]
fn fails_loudly() {
    if let Some(how) = std::env::var_os("GATE_FAIL") {
        if how == "huge" {
            panic!("huge: {}", "x".repeat(4 << 20));
        }
        println!("about to fail: 100% sure, a: b");
        panic!("boom, with a comma");
    }
}

#[leak_test(iterations = 5, ignore = "skipped on purpose")]
fn skipped_one() {}

leaktest_core::main!();
"#;

/// The tests of `gate` that run by default (`skipped_one` is ignored).
const RUNNING: [&str; 4] = ["fails_loudly", "maybe_leaks", "sized_buffer", "steady"];

/// A buffer size that moves peak and bytes per iteration far beyond the
/// default tolerance (10% and 64 KiB) from the default 4 KiB.
const BIG_BUFFER: &str = "2000000";

fn gate() -> &'static Fixture {
    static GATE: OnceLock<Fixture> = OnceLock::new();
    GATE.get_or_init(|| {
        let fixture = Fixture::new("gate");
        fixture
            .file(
                "Cargo.toml",
                "[workspace]\nmembers = [\"gate\"]\nresolver = \"2\"\n",
            )
            .file(
                "gate/Cargo.toml",
                &format!(
                    "[package]\nname = \"gate\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
                     publish = false\n\n[dev-dependencies]\n{}\n\n[[test]]\nname = \"leaks\"\n\
                     harness = false\n",
                    leaktest_core_dependency()
                ),
            )
            .file("gate/src/lib.rs", "")
            .file("gate/tests/leaks.rs", GATE_LEAKS);
        fixture
    })
}

/// `cargo leaktest ARGS` in the gate fixture with `env` set; it must leave
/// nothing behind.
fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    let started = std::time::Instant::now();
    let scope = Scope::new();
    let mut command = gate().cargo_leaktest_command(args, &scope);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("run cargo-leaktest");
    let run = Run::new(output, started.elapsed());
    scope.assert_nothing_left(&run);
    run
}

/// The line of `fn NAME` in the fixture's test file (where annotations point).
fn line_of(name: &str) -> usize {
    GATE_LEAKS
        .lines()
        .position(|line| line.starts_with(&format!("fn {name}(")))
        .map(|index| index + 1)
        .expect("the test is in the fixture")
}

/// The lines of `type` of a JSON run, by test name.
fn lines_by_test(run: &Run, kind: &str) -> BTreeMap<String, Value> {
    run.json_lines()
        .into_iter()
        .filter(|line| line["type"] == kind)
        .map(|line| {
            let name = match kind {
                "test_finished" => line["record"]["name"].clone(),
                _ => line["name"].clone(),
            };
            (name.as_str().unwrap_or_default().to_owned(), line)
        })
        .collect()
}

fn run_finished(run: &Run) -> Value {
    run.json_lines().pop().expect("a run_finished line")
}

/// The verdicts of the changes of one `test_compared` line, by measure.
fn change_verdicts(compared: &Value) -> BTreeMap<String, String> {
    compared["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|change| {
            (
                change["measure"].as_str().unwrap_or_default().to_owned(),
                change["verdict"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read the baseline");
    serde_json::from_str(&text).expect("a baseline is JSON")
}

#[test]
fn a_saved_baseline_catches_a_regression_reports_new_tests_and_improvements() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // A unique name: the fixture target directory is shared by every test run.
    let name = format!(
        "e2e-{}",
        gate()
            .path()
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("gate")
    );
    let named = fixture_target_dir()
        .join("leaktest")
        .join("baselines")
        .join(format!("{name}.json"));

    // Save without `steady`, so it is new in the comparison.
    let save = run(
        &[
            "--save-baseline",
            &name,
            "--skip",
            "steady",
            "--message-format",
            "json",
        ],
        &[],
    );
    assert_eq!(save.code, Some(0), "{save}");
    assert!(
        save.stderr.contains("saved the baseline of 3 tests"),
        "{save}"
    );
    let saved = read_json(&named);
    assert_eq!(saved["format"], "leaktest-baseline", "{saved}");
    assert_eq!(saved["version"], 1, "{saved}");
    assert_eq!(saved["build_profile"], "dev", "{saved}");
    assert!(
        saved["target"].as_str().is_some_and(|t| t.contains('-')),
        "{saved}"
    );
    let keys: Vec<&String> = saved["tests"].as_object().expect("tests").keys().collect();
    assert_eq!(
        keys,
        [
            "gate::leaks::fails_loudly",
            "gate::leaks::maybe_leaks",
            "gate::leaks::sized_buffer"
        ]
    );
    let entry = &saved["tests"]["gate::leaks::sized_buffer"];
    assert_eq!(entry["allocator"], "std::alloc::System", "{entry}");
    assert_eq!(entry["verdict"], "passed", "{entry}");
    assert!(
        entry["allocation_bytes_per_iteration"].as_u64() >= Some(4096),
        "{entry}"
    );
    assert_eq!(entry["growth"]["heap_bytes"]["growing"], false, "{entry}");

    // A bigger buffer regresses peak and allocation: exit 3, no test failed.
    // The human report shows old -> new with the tolerance; the run saves
    // its own figures for the improvement below.
    let big = dir.path().join("big.json");
    let regressed = run(
        &[
            "--baseline",
            &name,
            "--save-baseline-file",
            big.to_str().expect("a UTF-8 path"),
            "--color",
            "never",
        ],
        &[("GATE_BUFFER_BYTES", BIG_BUFFER)],
    );
    assert_eq!(regressed.code, Some(3), "{regressed}");
    let text = &regressed.stdout;
    let peak_line = text
        .lines()
        .find(|line| line.starts_with("REGRESSED") && line.contains("sized_buffer  peak "))
        .unwrap_or_else(|| panic!("no peak regression line:\n{regressed}"));
    assert!(
        peak_line.contains(" -> ") && peak_line.ends_with("tolerance 10% and 64.0 KiB)"),
        "{peak_line}"
    );
    assert!(
        text.lines()
            .any(|line| line.trim_start().starts_with("NEW") && line.contains("steady")),
        "{regressed}"
    );
    assert!(
        text.contains("regressions against baseline '"),
        "{regressed}"
    );
    assert!(
        text.contains("3 compared, 1 regressed, 0 improved, 1 new"),
        "{regressed}"
    );
    assert_eq!(
        text.lines().last(),
        Some("4 passed, 0 failed, 1 skipped"),
        "{regressed}"
    );

    // Back to the small buffer against the big run: an improvement passes.
    let improved = run(
        &[
            "--baseline-file",
            big.to_str().expect("a UTF-8 path"),
            "--message-format",
            "json",
        ],
        &[],
    );
    assert_eq!(improved.code, Some(0), "{improved}");
    let compared = lines_by_test(&improved, "test_compared");
    assert_eq!(compared["sized_buffer"]["status"], "improved", "{improved}");
    assert_eq!(
        change_verdicts(&compared["sized_buffer"])["allocation_bytes_per_iteration"],
        "improved"
    );
    assert_eq!(compared["steady"]["status"], "unchanged", "{improved}");
    assert!(
        !compared.contains_key("skipped_one"),
        "ignored tests are not compared"
    );
    let finished = run_finished(&improved);
    assert_eq!(finished["baseline"]["improved"], 1, "{finished}");
    assert_eq!(finished["regressed"], 0, "{finished}");

    // A resource that did not grow and now grows is a regression (and the
    // leak fails the test: exit 1).
    let leaking = run(
        &[
            "--baseline",
            &name,
            "--no-fail-fast",
            "--message-format",
            "json",
        ],
        &[("GATE_LEAK", "1")],
    );
    assert_eq!(leaking.code, Some(1), "{leaking}");
    let compared = lines_by_test(&leaking, "test_compared");
    assert_eq!(compared["maybe_leaks"]["status"], "regressed", "{leaking}");
    assert_eq!(
        change_verdicts(&compared["maybe_leaks"])["growth.heap_bytes"],
        "regressed",
        "{leaking}"
    );
    assert_eq!(compared["steady"]["status"], "new", "{leaking}");
    assert_eq!(run_finished(&leaking)["exit_code"], 1, "{leaking}");

    std::fs::remove_file(&named).expect("remove the named baseline");
}

#[test]
fn missing_corrupt_and_foreign_baselines_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let missing = run(&["--baseline", "never-saved-by-anyone"], &[]);
    assert_eq!(missing.code, Some(2), "{missing}");
    assert!(
        missing
            .stderr
            .contains("never-saved-by-anyone.json does not exist")
            && missing
                .stderr
                .contains("`cargo leaktest --save-baseline never-saved-by-anyone`"),
        "{missing}"
    );
    assert!(missing.stdout.is_empty(), "nothing ran: {missing}");

    let corrupt = dir.path().join("corrupt.json");
    std::fs::write(&corrupt, "{\"format\": \"leaktest-baseline\", \"tests\": [").expect("write");
    let path = corrupt.to_str().expect("a UTF-8 path");
    let run_corrupt = run(&["--baseline-file", path, "--message-format", "json"], &[]);
    assert_eq!(run_corrupt.code, Some(2), "{run_corrupt}");
    assert!(
        run_corrupt
            .stderr
            .contains(&format!("the baseline {path} is corrupt")),
        "{run_corrupt}"
    );
    assert!(
        run_corrupt.stderr.contains("write it again with"),
        "{run_corrupt}"
    );
    assert!(run_corrupt.stdout.is_empty(), "{run_corrupt}");
}

#[test]
fn a_baseline_from_another_target_warns_or_fails_when_strict() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("base.json");
    let path = file.to_str().expect("a UTF-8 path");
    let save = run(&["--save-baseline-file", path, "steady"], &[]);
    assert_eq!(save.code, Some(0), "{save}");
    let mut baseline = read_json(&file);
    baseline["target"] = "riscv64gc-unknown-none-elf".into();
    std::fs::write(&file, baseline.to_string()).expect("write");

    let warned = run(
        &[
            "--baseline-file",
            path,
            "steady",
            "--message-format",
            "json",
        ],
        &[],
    );
    assert_eq!(warned.code, Some(0), "{warned}");
    assert!(
        warned.stderr.contains("warning: the baseline")
            && warned
                .stderr
                .contains("target riscv64gc-unknown-none-elf (this run: "),
        "{warned}"
    );
    let compared = lines_by_test(&warned, "test_compared");
    assert_eq!(compared["steady"]["status"], "not_compared", "{warned}");

    let strict = run(
        &["--baseline-file", path, "--strict-baseline", "steady"],
        &[],
    );
    assert_eq!(strict.code, Some(2), "{strict}");
    assert!(
        strict.stderr.contains("leave out --strict-baseline"),
        "{strict}"
    );
}

#[test]
fn shards_run_every_test_once_and_their_baselines_merge() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut ran_in = BTreeMap::<String, Vec<usize>>::new();
    let mut shard_files = Vec::new();
    for shard in 1..=2 {
        let file = dir.path().join(format!("shard-{shard}.json"));
        let run = run(
            &[
                "--partition",
                &format!("slice:{shard}/2"),
                "--include-ignored",
                "--save-baseline-file",
                file.to_str().expect("a UTF-8 path"),
                "--message-format",
                "json",
            ],
            &[],
        );
        assert_eq!(run.code, Some(0), "{run}");
        let started = &run.json_lines()[0];
        assert_eq!(started["partition"], format!("slice:{shard}/2"), "{run}");
        // Sorted, the five tests deal 3 to shard 1 and 2 to shard 2.
        assert_eq!(started["partitioned_out"], 1 + shard, "{run}");
        for name in lines_by_test(&run, "test_finished").into_keys() {
            ran_in.entry(name).or_default().push(shard);
        }
        shard_files.push(file);
    }
    let every: BTreeSet<&str> = RUNNING.into_iter().chain(["skipped_one"]).collect();
    assert_eq!(
        ran_in.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        every
    );
    for (name, shards) in &ran_in {
        assert_eq!(shards.len(), 1, "{name} ran in shards {shards:?}");
    }

    let merged = dir.path().join("merged.json");
    let mut args = vec![
        "baseline".to_owned(),
        "merge".to_owned(),
        merged.display().to_string(),
    ];
    args.extend(shard_files.iter().map(|file| file.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let merge = run(&args, &[]);
    assert_eq!(merge.code, Some(0), "{merge}");
    let baseline = read_json(&merged);
    assert_eq!(
        baseline["partitions"],
        serde_json::json!(["slice:1/2", "slice:2/2"])
    );
    assert_eq!(
        baseline["tests"].as_object().map(|tests| tests.len()),
        Some(5)
    );

    let overlap = run(
        &[
            "baseline",
            "merge",
            dir.path()
                .join("twice.json")
                .to_str()
                .expect("a UTF-8 path"),
            shard_files[0].to_str().expect("a UTF-8 path"),
            shard_files[0].to_str().expect("a UTF-8 path"),
        ],
        &[],
    );
    assert_eq!(overlap.code, Some(2), "{overlap}");
    assert!(
        overlap.stderr.contains("both hold `gate::leaks::"),
        "{overlap}"
    );

    let whole = run(
        &[
            "--baseline-file",
            merged.to_str().expect("a UTF-8 path"),
            "--include-ignored",
            "--message-format",
            "json",
        ],
        &[],
    );
    assert_eq!(whole.code, Some(0), "{whole}");
    let counts = &run_finished(&whole)["baseline"];
    assert_eq!(
        (counts["compared"].as_u64(), counts["new"].as_u64()),
        (Some(5), Some(0))
    );
}

#[test]
fn hash_and_slice_partitions_list_every_test_in_exactly_one_shard() {
    for kind in ["hash", "slice"] {
        let mut seen = BTreeMap::<String, usize>::new();
        for shard in 1..=3 {
            let list = run(
                &[
                    "--list",
                    "--partition",
                    &format!("{kind}:{shard}/3"),
                    "--message-format",
                    "json",
                ],
                &[],
            );
            assert_eq!(list.code, Some(0), "{list}");
            for target in list.json_lines() {
                for test in target["tests"].as_array().into_iter().flatten() {
                    let name = test["name"].as_str().unwrap_or_default().to_owned();
                    *seen.entry(name).or_default() += 1;
                }
            }
        }
        let expected: BTreeMap<String, usize> = RUNNING
            .into_iter()
            .chain(["skipped_one"])
            .map(|name| (name.to_owned(), 1))
            .collect();
        assert_eq!(seen, expected, "{kind}");
    }
    let bad = run(&["--partition", "hash:3"], &[]);
    assert_eq!(bad.code, Some(2), "{bad}");
    assert!(
        bad.stderr.contains("use `hash:M/N` or `slice:M/N`"),
        "{bad}"
    );
}

#[test]
fn filters_matching_nothing_fail_with_their_own_code_but_an_empty_shard_passes() {
    let none = run(&["no_such_test", "--message-format", "json"], &[]);
    assert_eq!(none.code, Some(4), "{none}");
    assert!(
        none.stderr.contains(
            "no leak tests to run: `no_such_test` matched none of the 5 tests in 1 binary"
        ),
        "{none}"
    );
    assert_eq!(run_finished(&none)["exit_code"], 4, "{none}");

    let warned = run(&["no_such_test", "--no-tests=warn"], &[]);
    assert_eq!(warned.code, Some(0), "{warned}");
    assert!(
        warned.stderr.contains("warning: no leak tests to run"),
        "{warned}"
    );
    let passed = run(&["no_such_test", "--no-tests=pass"], &[]);
    assert_eq!(passed.code, Some(0), "{passed}");
    assert!(!passed.stderr.contains("no leak tests"), "{passed}");

    let only_ignored = run(&["skipped_one"], &[]);
    assert_eq!(only_ignored.code, Some(4), "{only_ignored}");
    assert!(
        only_ignored.stderr.contains("`--include-ignored` runs it"),
        "{only_ignored}"
    );

    // `steady` alone is dealt to shard 1 of 2: shard 2 is empty, and passes.
    let empty_shard = run(&["--exact", "steady", "--partition", "slice:2/2"], &[]);
    assert_eq!(empty_shard.code, Some(0), "{empty_shard}");
    assert!(
        empty_shard
            .stderr
            .contains("note: shard slice:2/2 has none of the 1 test selected to run"),
        "{empty_shard}"
    );
}

#[test]
fn junit_annotations_and_step_summary_describe_a_failing_run() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let junit = dir.path().join("reports").join("leaktest.xml");
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step output\n").expect("write the summary");
    let workspace = gate().path().display().to_string();
    let run = run(
        &[
            "--no-fail-fast",
            "--junit",
            junit.to_str().expect("a UTF-8 path"),
            "--color",
            "never",
        ],
        &[
            ("GATE_FAIL", "1"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_WORKSPACE", &workspace),
            (
                "GITHUB_STEP_SUMMARY",
                summary.to_str().expect("a UTF-8 path"),
            ),
        ],
    );
    assert_eq!(run.code, Some(1), "{run}");

    let xml = std::fs::read_to_string(&junit).expect("the JUnit report was written");
    let report = Report::deserialize_from_str(&xml).expect("the JUnit report parses");
    assert_eq!(
        (report.tests, report.failures, report.skipped, report.errors),
        (5, 1, 1, 0),
        "{xml}"
    );
    assert_eq!(report.test_suites.len(), 1, "one suite per test binary");
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "gate::leaks");
    let case = |name: &str| {
        suite
            .test_cases
            .iter()
            .find(|case| case.name.as_str() == name)
            .unwrap_or_else(|| panic!("no testcase {name}: {xml}"))
    };
    let failed = case("fails_loudly");
    assert_eq!(
        failed.classname.as_ref().map(|c| c.as_str()),
        Some("gate::leaks")
    );
    assert_eq!(
        failed.extra.get("file").map(|f| f.as_str()),
        Some("gate/tests/leaks.rs"),
        "repository-relative: {xml}"
    );
    let line = line_of("fails_loudly").to_string();
    assert_eq!(
        failed.extra.get("line").map(|l| l.as_str()),
        Some(line.as_str())
    );
    match &failed.status {
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Failure,
            ty,
            message,
            description,
            ..
        } => {
            assert_eq!(ty.as_ref().map(|t| t.as_str()), Some("failed"));
            assert!(
                message
                    .as_ref()
                    .is_some_and(|m| m.as_str().contains("boom, with a comma")),
                "{xml}"
            );
            assert!(
                description
                    .as_ref()
                    .is_some_and(|d| d.as_str().contains("about to fail")),
                "{xml}"
            );
        }
        other => panic!("fails_loudly is not a failure: {other:?}"),
    }
    assert!(
        failed
            .system_out
            .as_ref()
            .is_some_and(|out| out.as_str().contains("about to fail: 100% sure, a: b")),
        "{xml}"
    );
    assert!(matches!(
        case("skipped_one").status,
        TestCaseStatus::Skipped { .. }
    ));
    assert!(matches!(
        case("steady").status,
        TestCaseStatus::Success { .. }
    ));
    assert!(
        case("steady").system_out.is_none(),
        "output only for failures"
    );

    let annotations: Vec<&str> = run
        .stdout
        .lines()
        .filter(|line| line.starts_with("::"))
        .collect();
    assert_eq!(annotations.len(), 1, "{run}");
    let expected_start = format!(
        "::error file=gate/tests/leaks.rs,line={line},title=gate%3A%3Aleaks fails_loudly%3A \
         failed in iteration 0%3A panicked at gate/tests/leaks.rs%3A"
    );
    assert!(
        annotations[0].starts_with(&expected_start),
        "{}",
        annotations[0]
    );
    assert!(
        annotations[0].contains("%3A boom%2C with a comma::"),
        "{}",
        annotations[0]
    );
    assert!(
        annotations[0].contains("100%25 sure, a: b%0A"),
        "{}",
        annotations[0]
    );

    let markdown = std::fs::read_to_string(&summary).expect("the step summary");
    assert!(
        markdown.starts_with("earlier step output\n## leaktest: 3 passed, 1 failed, 1 skipped\n"),
        "appended after the earlier output: {markdown}"
    );
    assert!(
        markdown.contains("<details><summary>gate::leaks fails_loudly: failed in iteration 0"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| ❌ | `gate::leaks` `fails_loudly` | FAILED |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| ✅ | `gate::leaks` `steady` | PASSED |"),
        "{markdown}"
    );

    // Without GitHub Actions there are no annotations.
    let plain = run_plain_failure();
    assert!(!plain.stdout.contains("::error"), "{plain}");
}

fn run_plain_failure() -> Run {
    run(
        &["--exact", "fails_loudly", "--color", "never"],
        &[("GATE_FAIL", "1")],
    )
}

/// `cargo leaktest ARGS` in the gate fixture with `env` set, its stdout
/// going to `stdout`; it must leave nothing behind.
fn run_with_stdout(args: &[&str], env: &[(&str, &str)], stdout: std::process::Stdio) -> Run {
    let started = std::time::Instant::now();
    let scope = Scope::new();
    let mut command = gate().cargo_leaktest_command(args, &scope);
    command.envs(env.iter().copied()).stdout(stdout);
    let output = command.output().expect("run cargo-leaktest");
    let run = Run::new(output, started.elapsed());
    scope.assert_nothing_left(&run);
    run
}

#[test]
fn a_stdout_that_cannot_be_written_loses_no_result_from_the_other_reports() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let junit = dir.path().join("leaktest.xml");
    let report = dir.path().join("report");
    let baseline = dir.path().join("baseline.json");
    let path = |path: &Path| path.to_str().expect("a UTF-8 path").to_owned();
    // A pipe whose reader is gone before the run starts, as after `| head -1`:
    // every write to stdout fails with EPIPE.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let closed = run_with_stdout(
        &[
            "--no-fail-fast",
            "--junit",
            &path(&junit),
            "--report",
            &path(&report),
            "--save-baseline-file",
            &path(&baseline),
        ],
        &[("GATE_FAIL", "1")],
        writer.into(),
    );
    // The failing test decides the exit code; the lost stdout is said once.
    assert_eq!(closed.code, Some(1), "{closed}");
    assert_eq!(
        closed
            .stderr
            .matches("could not write the report on stdout: Broken pipe")
            .count(),
        1,
        "{closed}"
    );
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report was written");
    let parsed = Report::deserialize_from_str(&xml).expect("the JUnit report parses");
    assert_eq!(
        (parsed.tests, parsed.failures, parsed.skipped),
        (5, 1, 1),
        "{xml}"
    );
    let html = std::fs::read_to_string(report.join("index.html")).expect("the HTML report");
    for name in RUNNING {
        assert!(html.contains(name), "{name} is not in the HTML report");
    }
    let saved = read_json(&baseline);
    let keys: BTreeSet<&str> = saved["tests"]
        .as_object()
        .expect("tests")
        .keys()
        .map(String::as_str)
        .collect();
    // Every passing test is saved (a failing one never is).
    let passing: BTreeSet<String> = RUNNING
        .iter()
        .filter(|name| **name != "fails_loudly")
        .map(|name| format!("gate::leaks::{name}"))
        .collect();
    assert_eq!(
        keys,
        passing.iter().map(String::as_str).collect(),
        "{saved}"
    );

    // A full disk behind stdout fails a green run with 2; the JUnit report
    // still has every test.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("open /dev/full");
    let green = run_with_stdout(
        &["--message-format", "json", "--junit", &path(&junit)],
        &[],
        full.into(),
    );
    assert_eq!(green.code, Some(2), "{green}");
    assert!(
        green
            .stderr
            .contains("could not write the report on stdout: No space left on device"),
        "{green}"
    );
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report was written");
    let parsed = Report::deserialize_from_str(&xml).expect("the JUnit report parses");
    assert_eq!((parsed.tests, parsed.failures), (5, 0), "{xml}");
}

#[test]
fn json_lines_stay_json_lines_when_the_tests_output_is_not_captured() {
    let run = run(
        &[
            "--message-format",
            "json",
            "--exact",
            "steady",
            "--",
            "--nocapture",
        ],
        &[("GATE_GARBAGE", "1")],
    );
    assert_eq!(run.code, Some(0), "{run}");
    // `records` parses every stdout line as JSON, failing on any other.
    assert_eq!(
        run.records()["steady"]["outcome"]["kind"],
        "passed",
        "{run}"
    );
    assert!(
        run.stderr.contains("garbage {\"type\":\"run_finished\""),
        "the test's output is on stderr: {run}"
    );
}

#[test]
fn a_huge_panic_message_is_cut_in_every_report() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let junit = dir.path().join("leaktest.xml");
    let summary = dir.path().join("summary.md");
    let run = run(
        &[
            "--exact",
            "fails_loudly",
            "--message-format",
            "json",
            "--junit",
            junit.to_str().expect("a UTF-8 path"),
        ],
        &[
            ("GATE_FAIL", "huge"),
            ("GITHUB_ACTIONS", "true"),
            (
                "GITHUB_STEP_SUMMARY",
                summary.to_str().expect("a UTF-8 path"),
            ),
        ],
    );
    assert_eq!(run.code, Some(1), "exit code {:?}", run.code);
    let records = run.records();
    let message = records["fails_loudly"]["outcome"]["message"]
        .as_str()
        .expect("a failure message");
    assert!(message.contains("huge: xxx"), "{}", &message[..200]);
    assert!(message.len() <= 64 * 1024, "{} bytes", message.len());
    assert!(
        message.ends_with(" more bytes cut)"),
        "{}",
        &message[message.len() - 100..]
    );
    let junit_bytes = std::fs::metadata(&junit).expect("the JUnit report").len();
    assert!(junit_bytes < 512 * 1024, "{junit_bytes} bytes of JUnit");
    // With JSON on stdout, annotations go to stderr.
    let annotation = run
        .stderr
        .lines()
        .find(|line| line.starts_with("::error "))
        .expect("an annotation");
    let title = annotation
        .split_once(",title=")
        .and_then(|(_, rest)| rest.split_once("::"))
        .map(|(title, _)| title)
        .expect("a title");
    assert!(title.chars().count() < 300, "{title}");
    assert!(annotation.len() < 16 * 1024, "{} bytes", annotation.len());
    let markdown = std::fs::read_to_string(&summary).expect("the step summary");
    assert!(
        markdown.contains("| ❌ | `gate::leaks` `fails_loudly` | FAILED |"),
        "the failing test's row is in the summary"
    );
    assert!(markdown.len() < 64 * 1024, "{} bytes", markdown.len());
}

#[test]
fn a_misspelled_leaktest_variable_is_named_once_with_the_one_meant() {
    let run = run(&["--list"], &[("LEAKTEST_MAX_PEAKK", "1KiB")]);
    assert_eq!(run.code, Some(0), "a warning, not an error: {run}");
    assert_eq!(
        run.stderr
            .matches(
                "warning: LEAKTEST_MAX_PEAKK is not a variable leaktest reads, so it changes \
                 nothing (did you mean LEAKTEST_MAX_PEAK?)"
            )
            .count(),
        1,
        "{run}"
    );
}
