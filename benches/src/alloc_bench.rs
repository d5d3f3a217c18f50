//! The body of every allocator bench binary (`benches/alloc_*.rs`).
//!
//! A process has one global allocator, so each allocator gets a binary of its
//! own that declares it and then calls [`allocator_benches!`](crate::allocator_benches).
//! Under `cargo bench` the binary runs divan benches of [`churn`].
//! With `LEAKTEST_BENCH_RAW=1` it instead prints one JSON line per thread
//! count, which `benches/scripts/alloc_ratios.py` collects from all the
//! binaries, interleaved round by round, to print the ratios.

use crate::{churn, churn_on_threads, time_samples, Summary};

/// Environment variable selecting the raw mode used by the ratio script; its
/// value is the number of timed runs per thread count (default 31).
pub const RAW_MODE_ENV: &str = "LEAKTEST_BENCH_RAW";
/// Allocator calls per thread in one timed run: about 1.5 ms with the system
/// allocator, long enough to dwarf the timer, short enough for many samples.
pub const OPERATIONS_PER_RUN: u64 = 50_000;
/// Timed runs per thread count in one raw-mode invocation, by default.
const RAW_SAMPLES: usize = 31;

/// Runs the raw mode when [`RAW_MODE_ENV`] is set, printing for each thread
/// count the median, fastest and slowest nanoseconds per allocator call.
/// Returns false (and does nothing) otherwise.
pub fn run_raw_mode(allocator: &str) -> bool {
    let Some(samples) = std::env::var_os(RAW_MODE_ENV) else {
        return false;
    };
    let samples = samples
        .to_str()
        .and_then(|text| text.parse::<usize>().ok())
        .filter(|&samples| samples > 0)
        .unwrap_or(RAW_SAMPLES);
    for threads in [1usize, 2] {
        let per_run_ns = if threads == 1 {
            time_samples(samples, || {
                churn(OPERATIONS_PER_RUN, 0x9E37_79B9);
            })
        } else {
            // The wall time of the threads alone, without spawning them.
            let mut timed = Vec::with_capacity(samples);
            churn_on_threads(threads, OPERATIONS_PER_RUN);
            for _ in 0..samples {
                timed.push(churn_on_threads(threads, OPERATIONS_PER_RUN).as_nanos() as f64);
            }
            timed
        };
        let per_op: Vec<f64> = per_run_ns
            .iter()
            .map(|ns| ns / OPERATIONS_PER_RUN as f64)
            .collect();
        if let Some(summary) = Summary::of(&per_op) {
            println!(
                "{{\"allocator\":\"{allocator}\",\"threads\":{threads},\"ns_per_op_min\":{:.3},\"ns_per_op_median\":{:.3},\"ns_per_op_max\":{:.3}}}",
                summary.min, summary.median, summary.max
            );
        }
    }
    true
}

/// Defines `main` and the divan benches of an allocator bench binary. The
/// binary declares its `#[global_allocator]` and then invokes this with the
/// allocator's name as printed in reports.
#[macro_export]
macro_rules! allocator_benches {
    ($allocator:literal) => {
        fn main() {
            if !$crate::alloc_bench::run_raw_mode($allocator) {
                ::divan::main();
            }
        }

        /// The churn on one thread.
        #[::divan::bench]
        fn churn_1_thread() -> u64 {
            $crate::churn($crate::alloc_bench::OPERATIONS_PER_RUN, 0x9E37_79B9)
        }

        /// The churn on two threads at once (wall time; spawning included).
        #[::divan::bench]
        fn churn_2_threads() -> ::std::time::Duration {
            $crate::churn_on_threads(2, $crate::alloc_bench::OPERATIONS_PER_RUN)
        }
    };
}
