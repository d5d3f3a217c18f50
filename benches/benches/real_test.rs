//! Goal 3: what a 100-iteration leak test of a real body costs next to 100
//! plain calls of that body in one process of its own.
//!
//! Every contender is a process, timed from spawn to exit, all in a shuffled
//! order round after round, each ratio taken against its baseline of the
//! same round ([`leaktest_benches::process_bench`]):
//!
//! - `plain`: `plain_body 100 [10]`, the body called 100 times by plain code
//!   (the baseline), and `plain_body 0`, the process start alone.
//! - `leak test`: the `leaktest_fixture` binary in child mode running one
//!   test, as `cargo leaktest` and the `main!()` harness start it (on Linux
//!   its keeper and the process that runs the test), with a fresh record
//!   directory as a runner gives it; with the default settle window and with
//!   `settle = "0ms"`.
//! - `empty leak test`: 100 iterations of an empty body (the fixed costs).
//! - `fixture binary`: the fixture started with `--list`, which prints its
//!   tests and exits: what starting the larger binary costs.
//! - `harness`: the fixture binary as `cargo test` runs it (`--exact`), its
//!   libtest front end starting the child.
//!
//! The real body is [`leaktest_benches::realistic_body`] (JSON round trip of
//! a small document, about 22 µs) and the same ten times over (`x10`).
//!
//! `cargo bench -p leaktest-benches --bench real_test`; under `cargo test`
//! (no `--bench` flag) one round runs, as a smoke test. With
//! `BENCH_BEFORE=<path>` naming another build of the
//! `leaktest_fixture` binary (say, a copy of `main`'s), its leak tests and
//! its harness run in the same rounds as `before: ...` contenders, for a
//! before/after comparison within one run.

use leaktest_benches::process_bench::{
    child_mode, child_mode_of, measuring, run_and_report, Contender,
};
use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURE: &str = env!("CARGO_BIN_EXE_leaktest_fixture");
const PLAIN: &str = env!("CARGO_BIN_EXE_plain_body");
const ROUNDS: usize = 25;
const GOAL_RATIO: f64 = 1.10;

fn plain(arguments: &'static [&'static str]) -> Box<dyn Fn() -> Command> {
    Box::new(move || {
        let mut command = Command::new(PLAIN);
        command.args(arguments);
        command
    })
}

fn leak_test(test: &'static str, records: PathBuf) -> Box<dyn Fn() -> Command> {
    child_mode(FIXTURE, test, records)
}

fn harness(test: &'static str) -> Box<dyn Fn() -> Command> {
    harness_of(Path::new(FIXTURE), test)
}

/// `binary` as `cargo test` runs one of its tests: the harness's parent
/// process, which starts the test's child process.
fn harness_of(binary: &'static Path, test: &'static str) -> Box<dyn Fn() -> Command> {
    Box::new(move || {
        let mut command = Command::new(binary);
        command.args(["--exact", test, "--quiet"]);
        command
    })
}

fn main() {
    let Ok(scratch) = tempfile::tempdir() else {
        eprintln!("real_test: no temporary directory");
        std::process::exit(1);
    };
    let records = scratch.path().to_owned();
    let contender = |name, command, baseline, judged| Contender {
        name,
        command,
        baseline,
        judged,
    };
    let contenders = [
        contender(
            "plain: 100 calls + process start",
            plain(&["100", "1"]),
            0,
            false,
        ),
        contender("plain: process start alone", plain(&["0", "1"]), 0, false),
        contender(
            "leak test",
            leak_test("realistic_body", records.clone()),
            0,
            true,
        ),
        contender(
            "leak test, settle = \"0ms\"",
            leak_test("realistic_body_unsettled", records.clone()),
            0,
            false,
        ),
        contender(
            "harness: --exact (parent + child)",
            harness("realistic_body"),
            0,
            false,
        ),
        contender(
            "x10 plain: 100 calls + process start",
            plain(&["100", "10"]),
            5,
            false,
        ),
        contender(
            "x10 leak test",
            leak_test("realistic_body_x10", records.clone()),
            5,
            true,
        ),
        contender(
            "x10 leak test, settle = \"0ms\"",
            leak_test("realistic_body_x10_unsettled", records.clone()),
            5,
            false,
        ),
        contender(
            "empty leak test",
            leak_test("empty_body", records.clone()),
            1,
            false,
        ),
        contender(
            "empty leak test, settle = \"0ms\"",
            leak_test("empty_body_unsettled", records.clone()),
            1,
            false,
        ),
        contender(
            "fixture binary: start, list, exit",
            Box::new(|| {
                let mut command = Command::new(FIXTURE);
                command.arg("--list");
                command
            }),
            1,
            false,
        ),
    ];
    let before = std::env::var_os("BENCH_BEFORE").map(|path| {
        let path: &'static std::path::Path = Box::leak(PathBuf::from(path).into_boxed_path());
        path
    });
    let mut contenders = Vec::from(contenders);
    if let Some(before) = before {
        for (name, test, baseline) in [
            ("before: leak test", "realistic_body", 0),
            ("before: x10 leak test", "realistic_body_x10", 5),
            ("before: empty leak test", "empty_body", 1),
            (
                "before: empty leak test, settle = \"0ms\"",
                "empty_body_unsettled",
                1,
            ),
        ] {
            contenders.push(contender(
                name,
                child_mode_of(before, test, records.clone()),
                baseline,
                false,
            ));
        }
        contenders.push(contender(
            "before: harness: --exact (parent + child)",
            harness_of(before, "realistic_body"),
            0,
            false,
        ));
    }
    let rounds = if measuring() { ROUNDS } else { 1 };
    run_and_report(
        "per-test cost, 100 iterations",
        "goal 3",
        GOAL_RATIO,
        &contenders,
        rounds,
    );
}
