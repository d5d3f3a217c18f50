//! Budgets and `Leaktest.toml`, run for real: each budget kind passing and
//! exceeded under `cargo leaktest` and under `cargo test` (and `cargo nextest
//! run`), the precedence of every configuration layer, and errors in the
//! file naming file, line and key.
//!
//! The fixture is one package, `budgeted`, whose tests change what they do
//! through environment variables, so one build serves every run:
//! `BUDGET_PEAK_BYTES` sizes the buffer `peak` allocates and frees each
//! iteration, `BUDGET_ALLOCS` how many 256-byte blocks `churn` allocates,
//! `BUDGET_LEAK_BYTES` and `BUDGET_LEAK_FDS` what `growth` and `fds` leak.
//! Its `Leaktest.toml` has an empty default profile, `layers` (for the
//! precedence), `tight` (an override the harness must find on its own) and
//! `reported` (the HTML report's directory).

use leaktest_e2e::{cargo, fixture_cargo, leaktest_core_dependency, Fixture, Run, Scope};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

const LEAKS: &str = r#"use leaktest_core::leak_test;
use std::hint::black_box;
use std::sync::OnceLock;

/// A knob read once (in the warm-up), so reading it is not churn.
fn knob(name: &'static str, default: usize) -> usize {
    static KNOBS: OnceLock<[usize; 4]> = OnceLock::new();
    let read = |name: &str, default| {
        std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
    };
    let knobs = KNOBS.get_or_init(|| {
        [
            read("BUDGET_PEAK_BYTES", 64 * 1024),
            read("BUDGET_ALLOCS", 4),
            read("BUDGET_LEAK_BYTES", 0),
            read("BUDGET_LEAK_FDS", 0),
        ]
    });
    let index = ["BUDGET_PEAK_BYTES", "BUDGET_ALLOCS", "BUDGET_LEAK_BYTES", "BUDGET_LEAK_FDS"]
        .iter()
        .position(|known| *known == name)
        .unwrap_or(0);
    let _ = default;
    knobs[index]
}

#[leak_test(iterations = 12, max_peak = "1 MiB")]
fn peak() {
    black_box(vec![1u8; knob("BUDGET_PEAK_BYTES", 0)]);
}

#[leak_test(iterations = 12, max_alloc_per_iter = "4 KiB", max_allocs_per_iter = 12)]
fn churn() {
    for _ in 0..knob("BUDGET_ALLOCS", 0) {
        black_box(vec![0u8; 256]);
    }
}

#[leak_test(iterations = 20, max_growth = "128 B", max_blocks_growth = 1)]
fn growth() {
    let bytes = knob("BUDGET_LEAK_BYTES", 0);
    if bytes > 0 {
        Box::leak(vec![0u8; bytes].into_boxed_slice());
    }
}

#[leak_test(iterations = 20, max_fds_growth = 1)]
fn fds() {
    for _ in 0..knob("BUDGET_LEAK_FDS", 0) {
        std::mem::forget(std::fs::File::open("/dev/null").expect("open /dev/null"));
    }
}

#[leak_test(iterations = 12, max_peak = "3 MiB", max_alloc_per_iter = "32 KiB")]
fn layered() {
    black_box(vec![0u8; 1024]);
}

leaktest_core::main!();
"#;

const CONFIG: &str = r#"# The default profile sets nothing: the budgets are the tests' own.
[profile.default]

[profile.layers]
max_peak = "5 MiB"
max_allocs_per_iter = 1000

[[profile.layers.overrides]]
filter = "layer*"
max_alloc_per_iter = "64 KiB"
reason = "checks that an override beats the attribute"

[profile.tight]

[[profile.tight.overrides]]
filter = "peak"
max_peak = "16 KiB"

[profile.reported]
report = "reports/html"
"#;

/// Knobs that exceed every budget of `peak`, `churn`, `growth` and `fds`.
const OVER: [(&str, &str); 4] = [
    ("BUDGET_PEAK_BYTES", "4194304"),
    ("BUDGET_ALLOCS", "40"),
    ("BUDGET_LEAK_BYTES", "512"),
    ("BUDGET_LEAK_FDS", "3"),
];

/// Knobs that leak, but within the growth budgets of `growth` and `fds`.
const WITHIN: [(&str, &str); 2] = [("BUDGET_LEAK_BYTES", "64"), ("BUDGET_LEAK_FDS", "1")];

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let fixture = Fixture::new("budgets");
        fixture
            .file(
                "Cargo.toml",
                "[workspace]\nmembers = [\"budgeted\"]\nresolver = \"2\"\n",
            )
            .file("Leaktest.toml", CONFIG)
            .file(
                "budgeted/Cargo.toml",
                &format!(
                    "[package]\nname = \"budgeted\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
                     publish = false\n\n[dev-dependencies]\n{}\n\n[[test]]\nname = \"leaks\"\n\
                     harness = false\n",
                    leaktest_core_dependency()
                ),
            )
            .file("budgeted/src/lib.rs", "")
            .file("budgeted/tests/leaks.rs", LEAKS);
        fixture
    })
}

/// `cargo leaktest ARGS` in the fixture with `env` set (and no
/// `LEAKTEST_*` variable from outside).
fn leaktest(args: &[&str], env: &[(&str, &str)]) -> Run {
    let started = std::time::Instant::now();
    let scope = Scope::new();
    let mut command = fixture().cargo_leaktest_command(args, &scope);
    clear_leaktest_env(&mut command);
    command.envs(env.iter().copied());
    let output = command.output().expect("run cargo-leaktest");
    let run = Run::new(output, started.elapsed());
    scope.assert_nothing_left(&run);
    run
}

fn clear_leaktest_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("LEAKTEST_") {
            command.env_remove(name);
        }
    }
}

/// The budget check `key` of a record.
fn check<'r>(record: &'r Value, key: &str) -> &'r Value {
    record["budgets"]
        .as_array()
        .and_then(|checks| checks.iter().find(|check| check["budget"] == key))
        .unwrap_or_else(|| panic!("no `{key}` check in {record}"))
}

fn outcome(record: &Value) -> &str {
    record["outcome"]["kind"].as_str().unwrap_or_default()
}

/// What `cargo test` printed for the fixture's tests.
struct CargoTest {
    code: Option<i32>,
    /// Test name to libtest status (`ok`, `FAILED`).
    statuses: BTreeMap<String, String>,
    stdout: String,
    stderr: String,
}

impl CargoTest {
    /// The failure text printed under `---- name ----`.
    fn failure(&self, name: &str) -> &str {
        let header = format!("---- {name} ----\n");
        let start = self
            .stdout
            .find(&header)
            .unwrap_or_else(|| panic!("no failure of {name}:\n{}", self.stdout))
            + header.len();
        let rest = &self.stdout[start..];
        let end = rest
            .find("\n---- ")
            .or_else(|| rest.find("\nfailures:"))
            .unwrap_or(rest.len());
        &rest[..end]
    }
}

/// `cargo test --test leaks` in the fixture with `env` set, as a developer
/// runs it: the harness finds Leaktest.toml on its own.
fn cargo_test(env: &[(&str, &str)]) -> CargoTest {
    let manifest = fixture().path().join("Cargo.toml");
    let mut command = fixture_cargo(&["test", "--color", "never", "--test", "leaks"], &manifest);
    clear_leaktest_env(&mut command);
    command.env_remove("CARGO_MANIFEST_DIR");
    command.envs(env.iter().copied());
    let output = command.output().expect("run cargo test");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let statuses = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("test "))
        .filter_map(|rest| rest.split_once(" ... "))
        .map(|(name, status)| (name.trim().to_owned(), status.trim().to_owned()))
        .collect();
    CargoTest {
        code: output.status.code(),
        statuses,
        stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn every_budget_kind_passes_within_and_fails_beyond_under_cargo_leaktest() {
    let within = leaktest(&["--message-format", "json", "--skip", "layered"], &WITHIN);
    assert_eq!(within.code, Some(0), "{within}");
    let records = within.records();
    for name in ["peak", "churn", "growth", "fds"] {
        assert_eq!(outcome(&records[name]), "passed", "{name}: {within}");
    }
    let peak = check(&records["peak"], "max_peak");
    assert_eq!(peak["limit"], 1 << 20);
    assert_eq!(peak["source"]["kind"], "attribute");
    assert_eq!(peak["exceeded"], false);
    assert!(peak["measured"].as_f64() >= Some(65536.0), "{peak}");
    let growth = check(&records["growth"], "max_growth");
    assert!(
        growth["measured"]
            .as_f64()
            .is_some_and(|bytes| bytes > 0.0 && bytes <= 128.0),
        "a leak, within its budget: {growth}"
    );
    assert_eq!(check(&records["fds"], "max_fds_growth")["exceeded"], false);
    assert_eq!(
        check(&records["peak"], "max_threads_growth")["source"]["kind"],
        "default"
    );

    let over = leaktest(
        &["--no-fail-fast", "--skip", "layered", "--color", "never"],
        &OVER,
    );
    assert_eq!(over.code, Some(1), "{over}");
    let line = |name: &str| {
        over.stdout
            .lines()
            .find(|line| line.contains(&format!(" budgeted::leaks {name} ")))
            .unwrap_or_else(|| panic!("no line for {name}:\n{over}"))
            .to_owned()
    };
    assert!(
        line("peak").starts_with(" EXCEEDED [")
            && line("peak").contains("max_peak 4.0 MiB (4,")
            && line("peak").contains(" > 1.0 MiB (1,048,576 B) [attribute]"),
        "{}",
        line("peak")
    );
    assert!(
        line("churn").contains("max_allocs_per_iter 40 > 12 [attribute]"),
        "{}",
        line("churn")
    );
    assert!(
        line("growth").starts_with("   LEAKED"),
        "{}",
        line("growth")
    );
    assert!(line("fds").starts_with("   LEAKED"), "{}", line("fds"));
    // The details of every failure name the budget, limit, source and value.
    for expected in [
        "max_peak: peak heap above the start 4.0 MiB (4,",
        "exceeds 1.0 MiB (1,048,576 B) [attribute]",
        "max_alloc_per_iter: bytes allocated per iteration 10.0 KiB (10,240 B) exceeds 4.0 KiB (4,096 B) [attribute]",
        "max_allocs_per_iter: allocations per iteration 40 exceeds 12 [attribute]",
        "B/iter exceeds 128 B/iter [attribute]",
        "max_fds_growth: fds leak +",
        "exceeds 1/iter [attribute]",
    ] {
        assert!(over.stdout.contains(expected), "{expected:?} in:\n{over}");
    }
    assert_eq!(
        over.stdout.lines().last(),
        Some("0 passed, 4 failed, 0 skipped"),
        "{over}"
    );

    let json = leaktest(
        &[
            "--no-fail-fast",
            "--skip",
            "layered",
            "--message-format",
            "json",
        ],
        &OVER,
    );
    let records = json.records();
    assert_eq!(outcome(&records["peak"]), "over_budget", "{json}");
    assert_eq!(outcome(&records["churn"]), "over_budget", "{json}");
    assert_eq!(outcome(&records["growth"]), "leaked", "{json}");
    assert_eq!(outcome(&records["fds"]), "leaked", "{json}");
    let exceeded = |name: &str| -> Vec<String> {
        records[name]["budgets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|check| check["exceeded"] == true)
            .map(|check| check["budget"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(exceeded("peak"), ["max_peak"]);
    assert_eq!(
        exceeded("churn"),
        ["max_alloc_per_iter", "max_allocs_per_iter"]
    );
    assert_eq!(exceeded("growth"), ["max_growth"]);
    assert_eq!(exceeded("fds"), ["max_fds_growth"]);
    assert!(
        records["peak"]["heap_bytes_at_start"].is_u64(),
        "the level the peak counts from is recorded: {}",
        records["peak"]
    );
}

#[test]
fn every_budget_kind_passes_within_and_fails_beyond_under_cargo_test() {
    let within = cargo_test(&[WITHIN.as_slice(), &[("BUDGET_PEAK_BYTES", "65536")]].concat());
    assert_eq!(within.code, Some(0), "{}\n{}", within.stdout, within.stderr);
    assert_eq!(within.statuses.len(), 5, "{}", within.stdout);

    let over = cargo_test(&OVER);
    assert_eq!(over.code, Some(101), "{}\n{}", over.stdout, over.stderr);
    for name in ["peak", "churn", "growth", "fds"] {
        assert_eq!(over.statuses[name], "FAILED", "{name}: {}", over.stdout);
    }
    assert_eq!(over.statuses["layered"], "ok");
    let peak = over.failure("peak");
    assert!(
        peak.starts_with("over budget: the test exceeded 1 budget"),
        "{peak}"
    );
    assert!(
        peak.contains("max_peak: peak heap above the start 4.0 MiB (4,")
            && peak.contains("exceeds 1.0 MiB (1,048,576 B) [attribute]"),
        "{peak}"
    );
    assert!(
        over.failure("churn")
            .contains("max_allocs_per_iter: allocations per iteration 40 exceeds 12 [attribute]"),
        "{}",
        over.failure("churn")
    );
    let growth = over.failure("growth");
    assert!(growth.starts_with("leak: "), "{growth}");
    assert!(growth.contains("max_growth: heap leak +"), "{growth}");
    assert!(
        growth.contains("B/iter exceeds 128 B/iter [attribute]"),
        "{growth}"
    );
    assert!(
        over.failure("fds").contains("exceeds 1/iter [attribute]"),
        "{}",
        over.failure("fds")
    );
}

#[test]
fn the_harness_finds_leaktest_toml_on_its_own_under_cargo_test_and_nextest() {
    let tight = cargo_test(&[("LEAKTEST_PROFILE", "tight")]);
    assert_eq!(tight.code, Some(101), "{}\n{}", tight.stdout, tight.stderr);
    assert_eq!(tight.statuses["peak"], "FAILED", "{}", tight.stdout);
    assert_eq!(tight.statuses["churn"], "ok", "{}", tight.stdout);
    assert!(
        tight.failure("peak").contains(
            "exceeds 16.0 KiB (16,384 B) [Leaktest.toml profile.tight override \"peak\"]"
        ),
        "{}",
        tight.failure("peak")
    );

    let unknown = cargo_test(&[("LEAKTEST_PROFILE", "nightly")]);
    assert_ne!(unknown.code, Some(0));
    assert!(
        unknown
            .stderr
            .contains("profile `nightly` (LEAKTEST_PROFILE=nightly) is not defined in ")
            && unknown
                .stderr
                .contains("Leaktest.toml: add a [profile.nightly] table"),
        "{}",
        unknown.stderr
    );

    let nextest_available = Command::new(cargo())
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !nextest_available {
        assert!(
            std::env::var_os("E2E_REQUIRE_NEXTEST").is_none(),
            "E2E_REQUIRE_NEXTEST is set but cargo-nextest is not installed"
        );
        eprintln!("cargo-nextest is not installed: skipping its part (CI installs it)");
        return;
    }
    let manifest = fixture().path().join("Cargo.toml");
    let mut command = fixture_cargo(
        &[
            "nextest",
            "run",
            "--no-fail-fast",
            "--color",
            "never",
            "--test",
            "leaks",
        ],
        &manifest,
    );
    clear_leaktest_env(&mut command);
    command.env_remove("CARGO_MANIFEST_DIR");
    command.env("LEAKTEST_PROFILE", "tight");
    let output = command.output().expect("run cargo nextest");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(100), "{stderr}");
    let verdict_of = |name: &str| {
        stderr
            .lines()
            .filter(|line| line.trim_end().ends_with(&format!(" {name}")))
            .find_map(|line| line.split_whitespace().next())
            .unwrap_or_else(|| panic!("no result line for {name}:\n{stderr}"))
            .to_owned()
    };
    assert_eq!(verdict_of("peak"), "FAIL", "{stderr}");
    assert_eq!(verdict_of("layered"), "PASS", "{stderr}");
    assert!(
        stderr.contains("[Leaktest.toml profile.tight override \"peak\"]"),
        "{stderr}"
    );
}

#[test]
fn each_layer_beats_the_ones_below_it() {
    let source_of = |run: &Run, key: &str| -> (u64, String) {
        let records = run.records();
        let record = records
            .get("layered")
            .unwrap_or_else(|| panic!("layered did not run: {run}"));
        let check = check(record, key);
        let source = &check["source"];
        let label = match source["kind"].as_str().unwrap_or_default() {
            "profile" => format!("profile.{}", source["profile"].as_str().unwrap_or_default()),
            "override" => format!("override {}", source["filter"].as_str().unwrap_or_default()),
            "environment" => format!(
                "environment {}",
                source["variable"].as_str().unwrap_or_default()
            ),
            "command_line" => format!(
                "command line {}",
                source["argument"].as_str().unwrap_or_default()
            ),
            other => other.to_owned(),
        };
        (check["limit"].as_u64().unwrap_or_default(), label)
    };

    // The profile (chosen by LEAKTEST_PROFILE) over the default, the attribute
    // over the profile, the override over the attribute.
    let file = leaktest(
        &["layered", "--message-format", "json"],
        &[("LEAKTEST_PROFILE", "layers")],
    );
    assert_eq!(file.code, Some(0), "{file}");
    assert_eq!(source_of(&file, "max_growth"), (0, "default".to_owned()));
    assert_eq!(
        source_of(&file, "max_allocs_per_iter"),
        (1000, "profile.layers".to_owned())
    );
    assert_eq!(
        source_of(&file, "max_peak"),
        (3 << 20, "attribute".to_owned())
    );
    assert_eq!(
        source_of(&file, "max_alloc_per_iter"),
        (64 << 10, "override layer*".to_owned())
    );

    // The environment over the override; the command line's --profile too.
    let env = leaktest(
        &["layered", "--message-format", "json", "--profile", "layers"],
        &[
            ("LEAKTEST_MAX_ALLOC_PER_ITER", "48 KiB"),
            ("LEAKTEST_PROFILE", "default"),
        ],
    );
    assert_eq!(env.code, Some(0), "{env}");
    assert_eq!(
        source_of(&env, "max_alloc_per_iter"),
        (
            48 << 10,
            "environment LEAKTEST_MAX_ALLOC_PER_ITER".to_owned()
        )
    );
    assert_eq!(source_of(&env, "max_allocs_per_iter").1, "profile.layers");

    // The command line over the environment.
    let cli = leaktest(
        &[
            "layered",
            "--message-format",
            "json",
            "--profile",
            "layers",
            "--budget",
            "max_alloc_per_iter=40KiB",
        ],
        &[("LEAKTEST_MAX_ALLOC_PER_ITER", "48 KiB")],
    );
    assert_eq!(cli.code, Some(0), "{cli}");
    assert_eq!(
        source_of(&cli, "max_alloc_per_iter"),
        (
            40 << 10,
            "command line --budget max_alloc_per_iter=40KiB".to_owned()
        )
    );

    // The human report of a breach names the source the same way.
    let breached = leaktest(
        &[
            "layered",
            "--color",
            "never",
            "--profile",
            "layers",
            "--budget",
            "max_allocs_per_iter=0",
        ],
        &[],
    );
    assert_eq!(breached.code, Some(1), "{breached}");
    assert!(
        breached
            .stdout
            .contains("max_allocs_per_iter: allocations per iteration 1 exceeds 0 [command line --budget max_allocs_per_iter=0]"),
        "{breached}"
    );
}

#[test]
fn the_html_report_shows_budgets_and_its_directory_comes_from_leaktest_toml() {
    let from_file = fixture().path().join("reports/html");
    let run = leaktest(
        &[
            "--profile",
            "reported",
            "--no-fail-fast",
            "--color",
            "never",
            "peak",
            "growth",
        ],
        &OVER,
    );
    assert_eq!(run.code, Some(1), "{run}");
    let index = from_file.join("index.html");
    assert!(
        run.stderr.contains(&format!("report: {}", index.display())),
        "relative to Leaktest.toml's directory: {run}"
    );
    let page = std::fs::read_to_string(&index).expect("the report");
    for expected in [
        ">Budgets</th>",
        // The table: measured, verdict, limit, source.
        "max_peak 4.0 MiB (4,",
        "exceeds 1.0 MiB (1,048,576 B)</span> <span class=\"note source\">[attribute]</span>",
        // The over-budget test reads as a failure with its breach explained.
        "<span class=\"verdict failed\">✗ over budget</span>",
        "Over budget: exceeded <code>max_peak</code>",
        "<h4>Budgets (1): 1 exceeded</h4>",
        "max_peak: peak heap above the start 4.0 MiB (4,",
        // The plots draw the budgets of their resource.
        "data-reference=\"max_peak\"",
        "data-reference=\"max_growth\"",
        "max_growth: heap leak +",
    ] {
        assert!(page.contains(expected), "{expected:?} in the report");
    }

    // `--report` wins over the file's `report`.
    std::fs::remove_file(&index).expect("remove the report");
    let elsewhere = tempfile::tempdir().expect("a report directory");
    let run = leaktest(
        &[
            "--profile",
            "reported",
            "--report",
            &elsewhere.path().display().to_string(),
            "peak",
        ],
        &[],
    );
    assert_eq!(run.code, Some(0), "{run}");
    assert!(elsewhere.path().join("index.html").is_file(), "{run}");
    assert!(
        !index.exists(),
        "the file's directory is not written: {run}"
    );
}

/// A workspace whose only content is `config` as its Leaktest.toml: enough
/// for `cargo leaktest`, which reads the file before building anything.
fn workspace_with_config(config: &str) -> Fixture {
    let fixture = Fixture::new("bad-config");
    fixture
        .file(
            "Cargo.toml",
            "[workspace]\n\n[package]\nname = \"bad-config\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        )
        .file("src/lib.rs", "")
        .file("Leaktest.toml", config);
    fixture
}

/// The fixture's harness binary, built by `cargo test --no-run`.
fn harness_binary() -> std::path::PathBuf {
    static BINARY: OnceLock<std::path::PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            leaktest_e2e::build_executable(
                &["test", "--no-run", "--test", "leaks"],
                &fixture().path().join("Cargo.toml"),
                "leaks",
            )
        })
        .clone()
}

#[test]
fn a_malformed_file_an_unknown_key_and_a_bad_unit_name_file_line_and_key() {
    let cases = [
        (
            "[profile.default]\niterations = 50\nmax_peak = \"24 MiB\n",
            ":3:",
            "`max_peak`",
        ),
        (
            "[profile.default]\niterations = 50\nmax_peek = \"24 MiB\"\n",
            ":3:1:",
            "`profile.default.max_peek`: unknown key `max_peek` in [profile.default]; valid keys:",
        ),
        (
            "[profile.default]\n\n[[profile.default.overrides]]\nfilter = \"x\"\nmax_alloc_per_iter = \"4 kib\"\n",
            ":5:22:",
            "`profile.default.overrides.max_alloc_per_iter`: unknown unit `kib` in `4 kib`: units are case-sensitive: write `KiB`",
        ),
    ];
    let binary = harness_binary();
    for (config, line, key) in cases {
        let workspace = workspace_with_config(config);
        let file = workspace.path().join("Leaktest.toml");
        let named = format!("{}{line}", file.display());

        let run = workspace.cargo_leaktest(&["--message-format", "json"]);
        assert_eq!(run.code, Some(2), "{config}\n{run}");
        assert!(run.stdout.is_empty(), "nothing ran: {run}");
        assert!(
            run.stderr.contains(&named) && run.stderr.contains(key),
            "{named} and {key} in:\n{run}"
        );

        // The harness under `cargo test` reads the same file the same way
        // (CARGO_MANIFEST_DIR is where cargo says the package is).
        let mut command = Command::new(&binary);
        clear_leaktest_env(&mut command);
        let harness = command
            .env("CARGO_MANIFEST_DIR", workspace.path())
            .output()
            .expect("run the harness");
        let stderr = String::from_utf8_lossy(&harness.stderr);
        assert_eq!(harness.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&named) && stderr.contains(key),
            "{named} and {key} in:\n{stderr}"
        );
        assert!(Path::new(&file).exists());
    }
}
