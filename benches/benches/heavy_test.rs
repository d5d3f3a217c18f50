//! Goal: a whole leak test of an allocation-heavy body costs at most 1.08
//! times the same calls in a plain program under the system allocator.
//!
//! The body is [`leaktest_benches::workloads::small_block_churn`] (400,000
//! small vectors, a ring of 64 kept ones, 30,000 strings grown a character
//! at a time: about 8 ms), 30 iterations. Contenders, each a process timed
//! from spawn to exit, in a shuffled order round after round
//! ([`leaktest_benches::process_bench`]):
//!
//! - `plain_body small_blocks 30`: the baseline, the system allocator;
//! - `plain_body_counting small_blocks 30`: the same program with the
//!   counting allocator and nothing else of leaktest (the allocator's share);
//! - the `small_block_churn` leak test of `leaktest_fixture` in child mode,
//!   as `cargo leaktest` starts it;
//! - the same through the libtest front end (`--exact`), as `cargo test`
//!   runs it: a parent process that starts the child.
//!
//! `cargo bench -p leaktest-benches --bench heavy_test`; under `cargo test`
//! (no `--bench` flag) one round runs, as a smoke test.

use leaktest_benches::process_bench::{child_mode, measuring, run_and_report, Contender};
use std::process::Command;

const FIXTURE: &str = env!("CARGO_BIN_EXE_leaktest_fixture");
const PLAIN: &str = env!("CARGO_BIN_EXE_plain_body");
const PLAIN_COUNTING: &str = env!("CARGO_BIN_EXE_plain_body_counting");
const ROUNDS: usize = 11;
const GOAL_RATIO: f64 = 1.08;
const TEST: &str = "small_block_churn";

fn main() {
    let Ok(scratch) = tempfile::tempdir() else {
        eprintln!("heavy_test: no temporary directory");
        std::process::exit(1);
    };
    let records = scratch.path().to_owned();
    let contenders = [
        Contender {
            name: "plain, system allocator",
            command: Box::new(|| {
                let mut command = Command::new(PLAIN);
                command.args(["small_blocks", "30"]);
                command
            }),
            baseline: 0,
            judged: false,
        },
        Contender {
            name: "plain, counting allocator",
            command: Box::new(|| {
                let mut command = Command::new(PLAIN_COUNTING);
                command.args(["small_blocks", "30"]);
                command
            }),
            baseline: 0,
            judged: false,
        },
        Contender {
            name: "leak test (child mode)",
            command: child_mode(FIXTURE, TEST, records),
            baseline: 0,
            judged: true,
        },
        Contender {
            name: "leak test, harness --exact (parent + child)",
            command: Box::new(|| {
                let mut command = Command::new(FIXTURE);
                command.args(["--exact", TEST, "--quiet"]);
                command
            }),
            baseline: 0,
            judged: true,
        },
    ];
    let rounds = if measuring() { ROUNDS } else { 1 };
    run_and_report(
        "allocation-heavy leak test, 30 iterations of the small-block churn",
        "goal: whole leak test",
        GOAL_RATIO,
        &contenders,
        rounds,
    );
}
