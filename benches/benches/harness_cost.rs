//! Goal 2: what the harness adds to every iteration of an empty body, and
//! what each part of a sample costs.
//!
//! `cargo bench -p leaktest-benches --bench harness_cost` first runs divan
//! benches of each part (heap reading, each census count, a whole sample),
//! then drives [`Driver`] over empty bodies, interleaving the configurations
//! round by round, and prints min / median / max of the cost per iteration.
//! Under `cargo test` (no `--bench` flag) everything runs once, as a smoke test.

use leaktest_benches::Summary;
use leaktest_core::__private::{Driver, Sample, SampledResources};
use leaktest_core::census::{self, HandleCounts};
use leaktest_core::model::Settings;
use leaktest_core::{native_heap, CountingAlloc, DirectSystem, HeapStats};
use std::hint::black_box;
use std::time::Instant;

/// What `main!()` installs.
#[global_allocator]
static ALLOCATOR: CountingAlloc<DirectSystem> = CountingAlloc::new(DirectSystem);

/// Iterations of one measured driver run: enough to amortise the one-off
/// costs (settle reading, analysis) the way a long test does.
const DRIVER_ITERATIONS: u64 = 1000;
/// Interleaved rounds of the per-iteration measurement.
const ROUNDS: usize = 15;

const ALL: SampledResources = SampledResources {
    native: true,
    fds: true,
    threads: true,
    children: true,
    tasks: false,
};

fn main() {
    divan::main();
    let measuring = std::env::args().any(|arg| arg == "--bench");
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    per_iteration_report(if measuring { ROUNDS } else { 1 });
}

/// Reads the heap counters (sums the per-thread slots).
#[divan::bench]
fn heap_stats_now() -> HeapStats {
    HeapStats::now()
}

/// Reads the native heap counter (sums its per-thread slots); 0 without the
/// `native-heap` feature.
#[divan::bench]
fn native_heap_live_bytes() -> i64 {
    native_heap::live_bytes()
}

/// Counts open file descriptors.
#[divan::bench]
fn census_open_fds() -> Option<i64> {
    census::open_fds()
}

/// Counts threads.
#[divan::bench]
fn census_threads() -> Option<i64> {
    census::threads()
}

/// Counts unreaped child processes.
#[divan::bench]
fn census_child_processes() -> Option<i64> {
    census::child_processes()
}

/// The whole handle census: fds, threads and children.
#[divan::bench]
fn census_all() -> HandleCounts {
    HandleCounts::now()
}

/// The whole census while three more threads run (as under a multi-thread
/// tokio runtime): every thread's `children` list is read.
#[divan::bench]
fn census_all_with_4_threads(bencher: divan::Bencher) {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let stopped = std::sync::Arc::new(std::sync::Mutex::new(stopped));
    let parked: Vec<_> = (0..3)
        .map(|_| {
            let stopped = stopped.clone();
            std::thread::spawn(move || {
                let _ = stopped.lock().map(|receiver| receiver.recv());
            })
        })
        .collect();
    bencher.bench(HandleCounts::now);
    drop(stop);
    for thread in parked {
        let _ = thread.join();
    }
}

/// The census as it was before this benchmark: `std::fs` reads of
/// `/proc/self/fd`, `/proc/self/status` and every `/proc/self/task/*/children`,
/// each call opening, allocating and closing. Kept here to be measured side
/// by side with the current one.
mod std_fs_census {
    pub fn open_fds() -> Option<i64> {
        let entries = std::fs::read_dir("/proc/self/fd").ok()?;
        Some(entries.filter(|entry| entry.is_ok()).count() as i64 - 1)
    }

    pub fn threads() -> Option<i64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        leaktest_core::census::parse_threads_line(&status)
    }

    pub fn child_processes() -> Option<i64> {
        let mut children = 0i64;
        for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
            let mut path = task.path();
            path.push("children");
            if let Ok(list) = std::fs::read_to_string(&path) {
                children += list.split_whitespace().count() as i64;
            }
        }
        Some(children)
    }
}

/// Before: counting open fds by listing `/proc/self/fd`.
#[divan::bench]
fn before_open_fds() -> Option<i64> {
    std_fs_census::open_fds()
}

/// Before: threads from the `Threads:` line of `/proc/self/status`.
#[divan::bench]
fn before_threads() -> Option<i64> {
    std_fs_census::threads()
}

/// Before: children from every thread's `children` file.
#[divan::bench]
fn before_child_processes() -> Option<i64> {
    std_fs_census::child_processes()
}

/// Before: the whole census.
#[divan::bench]
fn before_census_all() -> (Option<i64>, Option<i64>, Option<i64>) {
    (
        std_fs_census::open_fds(),
        std_fs_census::threads(),
        std_fs_census::child_processes(),
    )
}

/// One sample as the driver takes it after every iteration (heap, and the
/// census when it is due).
#[divan::bench]
fn sample_take() -> Sample {
    Sample::take(ALL, None, &Sample::default())
}

fn settings(iterations: u64) -> Settings {
    let mut settings = Settings::default();
    settings.iterations = iterations;
    settings.warmup = iterations / 10;
    // No settle window: it is a fixed cost per test, not per iteration.
    settings.settle_ms = 0;
    settings
}

/// Nanoseconds per iteration of a whole driver run over an empty body.
fn driver_ns_per_iteration() -> f64 {
    let mut driver = Driver::new(settings(DRIVER_ITERATIONS));
    let started = Instant::now();
    driver.run_sync(|| Ok(()));
    let elapsed = started.elapsed();
    black_box(driver);
    elapsed.as_nanos() as f64 / DRIVER_ITERATIONS as f64
}

/// Nanoseconds per call of the bare loop the driver replaces: the same empty
/// body called as a plain loop would call it.
fn plain_ns_per_iteration() -> f64 {
    let mut body = || -> Result<(), String> { Ok(()) };
    let started = Instant::now();
    for _ in 0..DRIVER_ITERATIONS {
        black_box(black_box(&mut body)()).ok();
    }
    started.elapsed().as_nanos() as f64 / DRIVER_ITERATIONS as f64
}

fn per_iteration_report(rounds: usize) {
    let mut driver = Vec::with_capacity(rounds);
    let mut plain = Vec::with_capacity(rounds);
    let mut census_ns = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        driver.push(driver_ns_per_iteration());
        plain.push(plain_ns_per_iteration());
        let started = Instant::now();
        black_box(HandleCounts::now());
        census_ns.push(started.elapsed().as_nanos() as f64);
    }
    let (Some(driver), Some(plain), Some(census_ns)) = (
        Summary::of(&driver),
        Summary::of(&plain),
        Summary::of(&census_ns),
    ) else {
        return;
    };
    println!();
    println!("harness cost per iteration, empty body, {DRIVER_ITERATIONS} iterations, {rounds} interleaved rounds (µs: min / median / max)");
    println!(
        "  driver run (sample every iteration, analysis included): {:.3} / {:.3} / {:.3}",
        driver.min / 1e3,
        driver.median / 1e3,
        driver.max / 1e3
    );
    println!(
        "  plain loop of the same body:                            {:.3} / {:.3} / {:.3}",
        plain.min / 1e3,
        plain.median / 1e3,
        plain.max / 1e3
    );
    println!(
        "  one full census (fds + threads + children):             {:.3} / {:.3} / {:.3}",
        census_ns.min / 1e3,
        census_ns.median / 1e3,
        census_ns.max / 1e3
    );
    let goal_us = 5.0;
    let median_us = (driver.median - plain.median) / 1e3;
    let verdict = if median_us <= goal_us {
        "met"
    } else {
        "NOT met"
    };
    println!(
        "goal 2: harness cost per iteration {median_us:.3} µs median <= {goal_us} µs: {verdict}"
    );
}
