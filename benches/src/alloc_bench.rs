//! The body of every allocator bench binary (`benches/alloc_*.rs`).
//!
//! A process has one global allocator, so each allocator gets a binary of its
//! own that declares it and then calls [`allocator_benches!`](crate::allocator_benches).
//! Under `cargo bench` the binary runs divan benches of every
//! [`Workload`]. With `BENCH_RAW=N` it instead times each workload
//! `N` times on 1 and on 2 threads and prints one JSON line per workload and
//! thread count, which `benches/scripts/alloc_ratios.py` collects from all
//! the binaries, interleaved round by round, to print the ratios.

use crate::workloads::{RunTime, Workload};
use crate::Summary;

/// Environment variable selecting the raw mode used by the ratio script; its
/// value is the number of timed runs per workload and thread count (default 31).
pub const RAW_MODE_ENV: &str = "BENCH_RAW";
/// Environment variable naming the workloads the raw mode runs, separated by
/// commas (default: all of them).
pub const RAW_WORKLOADS_ENV: &str = "BENCH_WORKLOADS";
/// Allocator calls per thread in one timed run of the churn: about 1.5 ms
/// with the system allocator, long enough to dwarf the timer, short enough
/// for many samples.
pub const OPERATIONS_PER_RUN: u64 = 50_000;
/// Timed runs per workload and thread count in one raw-mode invocation, by default.
const RAW_SAMPLES: usize = 31;
/// Thread counts every workload runs on.
const THREAD_COUNTS: [usize; 2] = [1, 2];

/// Runs the raw mode when [`RAW_MODE_ENV`] is set, printing for each
/// workload and thread count the fastest, median and slowest wall-clock
/// nanoseconds per unit of work (one allocator call of the churn, one vector,
/// one document round trip), and the fastest and median CPU time of the
/// busiest thread. Returns false (and does nothing) otherwise.
pub fn run_raw_mode(allocator: &str) -> bool {
    let Some(samples) = std::env::var_os(RAW_MODE_ENV) else {
        return false;
    };
    let samples = samples
        .to_str()
        .and_then(|text| text.parse::<usize>().ok())
        .filter(|&samples| samples > 0)
        .unwrap_or(RAW_SAMPLES);
    let workloads: Vec<Workload> = match std::env::var(RAW_WORKLOADS_ENV) {
        Ok(names) => names
            .split(',')
            .filter_map(|name| {
                let workload = Workload::from_name(name.trim());
                if workload.is_none() {
                    eprintln!("{RAW_WORKLOADS_ENV}: no workload named `{name}`");
                }
                workload
            })
            .collect(),
        Err(_) => Workload::ALL.to_vec(),
    };
    for workload in workloads {
        for threads in THREAD_COUNTS {
            // One untimed run first: the heap and the caches warm up.
            workload.run_on_threads(threads);
            let units = workload.units_per_run() as f64;
            let runs: Vec<RunTime> = (0..samples)
                .map(|_| workload.run_on_threads(threads))
                .collect();
            let wall_ns: Vec<f64> = runs
                .iter()
                .map(|run| run.wall.as_nanos() as f64 / units)
                .collect();
            let cpu_ns: Vec<f64> = runs
                .iter()
                .map(|run| run.cpu.as_nanos() as f64 / units)
                .collect();
            if let (Some(wall), Some(cpu)) = (Summary::of(&wall_ns), Summary::of(&cpu_ns)) {
                println!(
                    "{{\"allocator\":\"{allocator}\",\"workload\":\"{}\",\"threads\":{threads},\"ns_per_op_min\":{:.3},\"ns_per_op_median\":{:.3},\"ns_per_op_max\":{:.3},\"cpu_ns_per_op_min\":{:.3},\"cpu_ns_per_op_median\":{:.3}}}",
                    workload.name(),
                    wall.min,
                    wall.median,
                    wall.max,
                    cpu.min,
                    cpu.median
                );
            }
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

        /// The churn on two threads at once (wall time of the threads).
        #[::divan::bench]
        fn churn_2_threads() -> ::std::time::Duration {
            $crate::workloads::Workload::Churn.run_on_threads(2).wall
        }

        /// The small-block churn on one thread (the ring built outside the timing).
        #[::divan::bench(sample_count = 20)]
        fn small_blocks_1_thread(bencher: ::divan::Bencher) {
            bencher
                .with_inputs($crate::workloads::SmallBlockRing::new)
                .bench_local_refs($crate::workloads::small_block_churn);
        }

        /// The JSON round trip on one thread (the document built outside the timing).
        #[::divan::bench(sample_count = 20)]
        fn json_1_thread(bencher: ::divan::Bencher) {
            bencher
                .with_inputs(|| $crate::workloads::JsonDocument::generate(0))
                .bench_local_refs(|document| $crate::workloads::json_round_trip(document));
        }
    };
}
