//! Goal 3: what a 100-iteration leak test of a real body costs next to 100
//! plain calls of that body in one process of its own.
//!
//! Every contender is a process, timed from spawn to exit; the rounds run them
//! all in a rotating order, and each ratio is taken against its baseline of
//! the same round:
//!
//! - `plain`: `plain_body 100 [10]`, the body called 100 times by plain code
//!   (the baseline), and `plain_body 0`, the process start alone.
//! - `leak test`: the `leaktest_fixture` binary in child mode running one
//!   test, as `cargo leaktest` and the `main!()` harness start it; with the
//!   default settle window and with `settle = "0ms"`.
//! - `empty leak test`: 100 iterations of an empty body (the fixed costs).
//! - `harness`: the fixture binary as `cargo test` runs it (`--exact`), its
//!   libtest front end starting the child.
//!
//! The real body is [`leaktest_benches::realistic_body`] (JSON round trip of
//! a small document, about 22 µs) and the same ten times over (`x10`).
//!
//! `cargo bench -p leaktest-benches --bench real_test`; under `cargo test`
//! (no `--bench` flag) one round runs, as a smoke test.

use leaktest_benches::Summary;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const FIXTURE: &str = env!("CARGO_BIN_EXE_leaktest_fixture");
const PLAIN: &str = env!("CARGO_BIN_EXE_plain_body");
const ROUNDS: usize = 25;
const GOAL_RATIO: f64 = 1.10;

#[derive(Clone, Copy)]
enum Run {
    /// `plain_body ITERATIONS TIMES`.
    Plain(&'static str, &'static str),
    /// One leak test in child mode.
    LeakTest(&'static str),
    /// One leak test through the libtest front end.
    Harness(&'static str),
}

struct Contender {
    name: &'static str,
    run: Run,
    /// Index of the contender this one is compared with.
    baseline: usize,
    /// Whether this ratio is the one goal 3 judges.
    judged: bool,
}

const fn contender(name: &'static str, run: Run, baseline: usize, judged: bool) -> Contender {
    Contender {
        name,
        run,
        baseline,
        judged,
    }
}

const CONTENDERS: [Contender; 10] = [
    contender(
        "plain: 100 calls + process start",
        Run::Plain("100", "1"),
        0,
        false,
    ),
    contender("plain: process start alone", Run::Plain("0", "1"), 0, false),
    contender("leak test", Run::LeakTest("realistic_body"), 0, true),
    contender(
        "leak test, settle = \"0ms\"",
        Run::LeakTest("realistic_body_unsettled"),
        0,
        false,
    ),
    contender(
        "harness: --exact (parent + child)",
        Run::Harness("realistic_body"),
        0,
        false,
    ),
    contender(
        "x10 plain: 100 calls + process start",
        Run::Plain("100", "10"),
        5,
        false,
    ),
    contender(
        "x10 leak test",
        Run::LeakTest("realistic_body_x10"),
        5,
        true,
    ),
    contender(
        "x10 leak test, settle = \"0ms\"",
        Run::LeakTest("realistic_body_x10_unsettled"),
        5,
        false,
    ),
    contender("empty leak test", Run::LeakTest("empty_body"), 1, false),
    contender(
        "empty leak test, settle = \"0ms\"",
        Run::LeakTest("empty_body_unsettled"),
        1,
        false,
    ),
];

fn command(run: Run, record: &Path) -> Command {
    let mut command = match run {
        Run::Plain(iterations, times) => {
            let mut command = Command::new(PLAIN);
            command.args([iterations, times]);
            command
        }
        Run::LeakTest(test) => {
            let mut command = Command::new(FIXTURE);
            command
                .env(leaktest_core::protocol::ENV_CHILD_TEST, test)
                .env(leaktest_core::protocol::ENV_RECORD_PATH, record);
            command
        }
        Run::Harness(test) => {
            let mut command = Command::new(FIXTURE);
            command.args(["--exact", test, "--quiet"]);
            command
        }
    };
    command.stdout(Stdio::null()).stderr(Stdio::null());
    command
}

/// Milliseconds from spawn to exit; `None` if it did not succeed.
fn time_ms(run: Run, record: &Path) -> Option<f64> {
    let started = Instant::now();
    let status = command(run, record).status().ok()?;
    let elapsed = started.elapsed();
    status.success().then_some(elapsed.as_secs_f64() * 1e3)
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
            match time_ms(CONTENDERS[index].run, &record) {
                Some(ms) => timings[index].push(ms),
                None => {
                    eprintln!("real_test: `{}` failed", CONTENDERS[index].name);
                    std::process::exit(1);
                }
            }
        }
    }
    println!("per-test cost, 100 iterations, {rounds} interleaved rounds");
    println!(
        "{:<40} {:>26}   {:<30}",
        "", "ms: min / median / max", "ratio to baseline (same round)"
    );
    let mut verdicts = Vec::new();
    for (index, contender) in CONTENDERS.iter().enumerate() {
        let baseline = &timings[contender.baseline];
        let ratios: Vec<f64> = timings[index]
            .iter()
            .zip(baseline)
            .map(|(ms, baseline_ms)| ms / baseline_ms)
            .collect();
        let (Some(ms), Some(ratio)) = (Summary::of(&timings[index]), Summary::of(&ratios)) else {
            continue;
        };
        println!(
            "{:<40} {:>7.2} / {:>7.2} / {:>7.2}   {:.3} / {:.3} / {:.3}  (to {})",
            contender.name,
            ms.min,
            ms.median,
            ms.max,
            ratio.min,
            ratio.median,
            ratio.max,
            if contender.baseline == index {
                "itself"
            } else {
                CONTENDERS[contender.baseline].name
            }
        );
        if contender.judged {
            verdicts.push((contender.name, ratio.median));
        }
    }
    for (name, ratio) in verdicts {
        let verdict = if ratio <= GOAL_RATIO {
            "met".to_owned()
        } else {
            format!(
                "NOT met (over by {:.0}%)",
                (ratio / GOAL_RATIO - 1.0) * 100.0
            )
        };
        println!("goal 3, {name}: median ratio {ratio:.3} <= {GOAL_RATIO}: {verdict}");
    }
}
