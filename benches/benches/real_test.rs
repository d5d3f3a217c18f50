//! Goal 3: what a 100-iteration leak test of a real body costs next to 100
//! plain calls of that body in one process of its own.
//!
//! Every contender is a process, timed from spawn to exit, and the rounds
//! interleave them in a rotating order:
//!
//! - `plain`: `plain_body 100`, the body called 100 times by plain code.
//! - `leak test`: the `leaktest_fixture` binary in child mode running one
//!   test, as `cargo leaktest` and the `main!()` harness start it.
//! - `leak test, settle 0`: the same test with `settle = "0ms"`.
//! - `empty leak test`: 100 iterations of an empty body (the fixed cost).
//! - `harness`: the fixture binary as `cargo test` runs it (`--exact`), its
//!   libtest front end starting the child.
//!
//! `cargo bench -p leaktest-benches --bench real_test`; under `cargo test`
//! (no `--bench` flag) one round runs, as a smoke test.

use leaktest_benches::Summary;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const FIXTURE: &str = env!("CARGO_BIN_EXE_leaktest_fixture");
const PLAIN: &str = env!("CARGO_BIN_EXE_plain_body");
const ROUNDS: usize = 15;
const GOAL_RATIO: f64 = 1.10;

#[derive(Clone, Copy)]
enum Contender {
    Plain,
    LeakTest(&'static str),
    Harness(&'static str),
}

const CONTENDERS: [(&str, Contender); 5] = [
    ("plain: 100 calls + process start", Contender::Plain),
    (
        "leak test (default settle)",
        Contender::LeakTest("realistic_body"),
    ),
    (
        "leak test, settle = \"0ms\"",
        Contender::LeakTest("realistic_body_unsettled"),
    ),
    (
        "empty leak test (default settle)",
        Contender::LeakTest("empty_body"),
    ),
    (
        "harness: fixture --exact (parent + child)",
        Contender::Harness("realistic_body"),
    ),
];

fn command(contender: Contender, record: &Path) -> Command {
    let mut command = match contender {
        Contender::Plain => {
            let mut command = Command::new(PLAIN);
            command.arg("100");
            command
        }
        Contender::LeakTest(test) => {
            let mut command = Command::new(FIXTURE);
            command
                .env(leaktest_core::protocol::ENV_CHILD_TEST, test)
                .env(leaktest_core::protocol::ENV_RECORD_PATH, record);
            command
        }
        Contender::Harness(test) => {
            let mut command = Command::new(FIXTURE);
            command.args(["--exact", test, "--quiet"]);
            command
        }
    };
    command.stdout(Stdio::null()).stderr(Stdio::null());
    command
}

/// Milliseconds from spawn to exit; `None` if it did not succeed.
fn time_ms(contender: Contender, record: &Path) -> Option<f64> {
    let started = Instant::now();
    let status = command(contender, record).status().ok()?;
    let elapsed = started.elapsed();
    status.success().then(|| elapsed.as_secs_f64() * 1e3)
}

fn main() {
    let measuring = std::env::args().any(|arg| arg == "--bench");
    let rounds = if measuring { ROUNDS } else { 1 };
    let Ok(scratch) = tempfile::tempdir() else {
        eprintln!("real_test: no temporary directory");
        std::process::exit(1);
    };
    let record = scratch.path().join("record.json");
    let mut timings: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); CONTENDERS.len()];
    for round in 0..rounds {
        for offset in 0..CONTENDERS.len() {
            let index = (round + offset) % CONTENDERS.len();
            let (name, contender) = CONTENDERS[index];
            match time_ms(contender, &record) {
                Some(ms) => timings[index].push(ms),
                None => {
                    eprintln!("real_test: `{name}` failed");
                    std::process::exit(1);
                }
            }
        }
    }
    let plain = &timings[0];
    println!("per-test cost, 100 iterations of a real body, {rounds} interleaved rounds");
    println!(
        "{:<44} {:>28} {:>26}",
        "", "ms: min / median / max", "ratio to plain (same round)"
    );
    let mut leak_test_ratio = None;
    for (index, (name, _)) in CONTENDERS.iter().enumerate() {
        let ratios: Vec<f64> = timings[index]
            .iter()
            .zip(plain)
            .map(|(ms, plain_ms)| ms / plain_ms)
            .collect();
        let (Some(ms), Some(ratio)) = (Summary::of(&timings[index]), Summary::of(&ratios)) else {
            continue;
        };
        if index == 1 {
            leak_test_ratio = Some(ratio.median);
        }
        println!(
            "{name:<44} {:>8.2} / {:>7.2} / {:>7.2} {:>8.3} / {:.3} / {:.3}",
            ms.min, ms.median, ms.max, ratio.min, ratio.median, ratio.max
        );
    }
    if let Some(ratio) = leak_test_ratio {
        let verdict = if ratio <= GOAL_RATIO {
            "met".to_owned()
        } else {
            format!(
                "NOT met (over by {:.0}%)",
                (ratio / GOAL_RATIO - 1.0) * 100.0
            )
        };
        println!("goal 3: leak test / plain median ratio {ratio:.3} <= {GOAL_RATIO}: {verdict}");
    }
}
