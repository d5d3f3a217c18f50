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

/// Threads parked until the returned sender is dropped (then joined by
/// [`ParkedThreads::drop`]), as the idle workers of a multi-thread runtime.
struct ParkedThreads {
    stop: Option<std::sync::mpsc::Sender<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl ParkedThreads {
    fn start(count: usize) -> ParkedThreads {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let stopped = std::sync::Arc::new(std::sync::Mutex::new(stopped));
        let threads = (0..count)
            .map(|_| {
                let stopped = stopped.clone();
                std::thread::spawn(move || {
                    let _ = stopped.lock().map(|receiver| receiver.recv());
                })
            })
            .collect();
        ParkedThreads {
            stop: Some(stop),
            threads,
        }
    }
}

impl Drop for ParkedThreads {
    fn drop(&mut self) {
        self.stop.take();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A child process (`sleep`) killed and reaped on drop.
struct SleepingChild(std::process::Child);

impl SleepingChild {
    fn start() -> Option<SleepingChild> {
        std::process::Command::new("sleep")
            .arg("600")
            .spawn()
            .ok()
            .map(SleepingChild)
    }
}

impl Drop for SleepingChild {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The whole census while more threads run (as under a multi-thread tokio
/// runtime): 4 and 64 threads in all, without and with a child process
/// (only then are the threads' `children` lists read).
#[divan::bench(args = [4, 64])]
fn census_all_with_threads(bencher: divan::Bencher, threads: usize) {
    let _parked = ParkedThreads::start(threads - 1);
    bencher.bench(HandleCounts::now);
}

/// As [`census_all_with_threads`], with one child process alive.
#[divan::bench(args = [1, 4, 64])]
fn census_all_with_threads_and_a_child(bencher: divan::Bencher, threads: usize) {
    let _parked = ParkedThreads::start(threads - 1);
    let _child = SleepingChild::start();
    bencher.bench(HandleCounts::now);
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

/// Threads alive besides the driver's in the many-threads measurement.
const MANY_THREADS: usize = 64;

fn per_iteration_report(rounds: usize) {
    let mut driver = Vec::with_capacity(rounds);
    let mut plain = Vec::with_capacity(rounds);
    let mut census_ns = Vec::with_capacity(rounds);
    let mut driver_many = Vec::with_capacity(rounds);
    let mut driver_many_child = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        driver.push(driver_ns_per_iteration());
        plain.push(plain_ns_per_iteration());
        let started = Instant::now();
        black_box(HandleCounts::now());
        census_ns.push(started.elapsed().as_nanos() as f64);
        let parked = ParkedThreads::start(MANY_THREADS - 1);
        driver_many.push(driver_ns_per_iteration());
        let child = SleepingChild::start();
        driver_many_child.push(driver_ns_per_iteration());
        drop(child);
        drop(parked);
    }
    let (Some(driver), Some(plain), Some(census_ns), Some(driver_many), Some(driver_many_child)) = (
        Summary::of(&driver),
        Summary::of(&plain),
        Summary::of(&census_ns),
        Summary::of(&driver_many),
        Summary::of(&driver_many_child),
    ) else {
        return;
    };
    let line = |label: &str, summary: Summary| {
        println!(
            "  {label:<58} {:.3} / {:.3} / {:.3}",
            summary.min / 1e3,
            summary.median / 1e3,
            summary.max / 1e3
        );
    };
    println!();
    println!("harness cost per iteration, empty body, {DRIVER_ITERATIONS} iterations, {rounds} interleaved rounds (µs: min / median / max)");
    line(
        "driver run (sample every iteration, analysis included):",
        driver,
    );
    line("plain loop of the same body:", plain);
    line("one full census (fds + threads + children):", census_ns);
    line(
        &format!("driver run, {MANY_THREADS} threads alive:"),
        driver_many,
    );
    line(
        &format!("driver run, {MANY_THREADS} threads alive and a child process:"),
        driver_many_child,
    );
    let goal_us = 5.0;
    for (label, summary) in [
        ("harness cost per iteration", driver),
        (
            "harness cost per iteration with 64 threads alive",
            driver_many,
        ),
    ] {
        let median_us = (summary.median - plain.median) / 1e3;
        let verdict = if median_us <= goal_us {
            "met"
        } else {
            "NOT met"
        };
        println!("goal: {label} {median_us:.3} µs median <= {goal_us} µs: {verdict}");
    }
}
