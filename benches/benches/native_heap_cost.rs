//! What counting the native (C) heap costs, against reading glibc's own
//! statistics (`mallinfo2`), in the heap states that make a difference.
//!
//! `cargo bench -p leaktest-benches --features native-heap --bench native_heap_cost`
//!
//! 1. One reading per iteration: leaktest's counter (`native_heap::live_bytes`,
//!    a sum over per-thread slots) and `mallinfo2()` (a walk of every free
//!    chunk of every arena, each under its lock), in the same heap, rounds
//!    interleaved: a fresh heap; 64 threads alive that allocated through C
//!    (glibc gives threads arenas of their own, up to 8 per core); a heap
//!    with 10,000 free chunks between live ones; a heap right after 100,000
//!    small blocks were freed (they wait in the fastbins).
//! 2. What the interposed malloc adds to a C allocation: a malloc/free pair
//!    of 64 bytes through the counter against the same pair through glibc's
//!    own entry points (`DirectSystem`, which bypasses the counter).
//!
//! Without `--bench` (under `cargo test`) every part runs once, as a smoke test.

use leaktest_benches::Summary;
use leaktest_core::{native_heap, CountingAlloc, DirectSystem};
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::Instant;

/// What `main!()` installs.
#[global_allocator]
static ALLOCATOR: CountingAlloc<DirectSystem> = CountingAlloc::new(DirectSystem);

const ROUNDS: usize = 15;

fn main() {
    let measuring = std::env::args().any(|arg| arg == "--bench");
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    if let Err(why) = native_heap::availability() {
        println!("native heap not measured in this build: {why}");
        println!("run with `--features native-heap` (Linux with glibc)");
        return;
    }
    let rounds = if measuring { ROUNDS } else { 1 };
    println!("{}", load_line("start"));
    println!("ns per reading, min / median / max over {rounds} rounds:");
    println!(
        "| heap state | native_heap::live_bytes | mallinfo2() | mallinfo2 / live_bytes (median) |"
    );
    println!("|---|---|---|---|");
    reading_costs("fresh heap, 1 thread", rounds, 20_000);
    with_threads_alive(64, || {
        reading_costs("64 threads alive, each allocated through C", rounds, 2_000)
    });
    with_fragmented_heap(10_000, || {
        reading_costs("10,000 free chunks between live ones", rounds, 20)
    });
    with_freed_small_blocks(100_000, || {
        reading_costs("right after 100,000 small blocks were freed", rounds, 20)
    });
    println!();
    call_costs(rounds);
    println!("{}", load_line("end"));
}

fn load_line(when: &str) -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let one_minute = load.split_whitespace().next().unwrap_or("?");
    format!("load at {when}: {one_minute}")
}

/// Nanoseconds per call of `read`, over `reps` calls.
fn ns_per_call<T>(reps: usize, mut read: impl FnMut() -> T) -> f64 {
    let started = Instant::now();
    for _ in 0..reps {
        black_box(read());
    }
    started.elapsed().as_nanos() as f64 / reps as f64
}

fn mallinfo2_in_use() -> usize {
    // SAFETY: mallinfo2 only reads the allocator's state.
    let info = unsafe { libc::mallinfo2() };
    info.uordblks + info.hblkhd
}

fn reading_costs(state: &str, rounds: usize, reps: usize) {
    let mut counter = Vec::new();
    let mut mallinfo = Vec::new();
    let mut ratios = Vec::new();
    for round in 0..rounds {
        // Alternate which goes first, so drift in the load hits both alike.
        let (a, b) = if round % 2 == 0 {
            let a = ns_per_call(reps, native_heap::live_bytes);
            (a, ns_per_call(reps, mallinfo2_in_use))
        } else {
            let b = ns_per_call(reps, mallinfo2_in_use);
            (ns_per_call(reps, native_heap::live_bytes), b)
        };
        counter.push(a);
        mallinfo.push(b);
        ratios.push(b / a);
    }
    let show = |values: &[f64]| {
        Summary::of(values).map_or_else(
            || "-".to_owned(),
            |s| format!("{:.0} / {:.0} / {:.0}", s.min, s.median, s.max),
        )
    };
    let ratio = Summary::of(&ratios).map_or(0.0, |s| s.median);
    println!(
        "| {state} | {} | {} | {ratio:.0} × |",
        show(&counter),
        show(&mallinfo)
    );
}

/// Runs `measure` while `count` threads that each allocated (and freed)
/// through C are parked.
fn with_threads_alive(count: usize, measure: impl FnOnce()) {
    let parked = Arc::new(Barrier::new(count + 1));
    let release = Arc::new(Barrier::new(count + 1));
    let threads: Vec<_> = (0..count)
        .map(|_| {
            let parked = Arc::clone(&parked);
            let release = Arc::clone(&release);
            std::thread::spawn(move || {
                let blocks: Vec<usize> = (0..64)
                    // SAFETY: plain C allocations, freed every other one below.
                    .map(|size| unsafe { libc::malloc(16 + size * 16) as usize })
                    .collect();
                for block in blocks.iter().step_by(2) {
                    // SAFETY: each came from malloc and is freed once.
                    unsafe { libc::free(*block as *mut c_void) };
                }
                parked.wait();
                release.wait();
                for block in blocks.iter().skip(1).step_by(2) {
                    // SAFETY: as above.
                    unsafe { libc::free(*block as *mut c_void) };
                }
            })
        })
        .collect();
    parked.wait();
    measure();
    release.wait();
    for thread in threads {
        let _ = thread.join();
    }
}

/// Runs `measure` with `free_chunks` free chunks of mixed sizes held apart by
/// live ones, so glibc cannot merge them.
fn with_fragmented_heap(free_chunks: usize, measure: impl FnOnce()) {
    let blocks: Vec<usize> = (0..free_chunks * 2)
        // SAFETY: plain C allocations, freed below.
        .map(|index| unsafe { libc::malloc(200 + (index % 64) * 16) as usize })
        .collect();
    for block in blocks.iter().step_by(2) {
        // SAFETY: each came from malloc and is freed once.
        unsafe { libc::free(*block as *mut c_void) };
    }
    measure();
    for block in blocks.iter().skip(1).step_by(2) {
        // SAFETY: as above.
        unsafe { libc::free(*block as *mut c_void) };
    }
}

/// Runs `measure` right after `count` small blocks were allocated and freed.
fn with_freed_small_blocks(count: usize, measure: impl FnOnce()) {
    let blocks: Vec<usize> = (0..count)
        // SAFETY: plain C allocations, freed right away.
        .map(|index| unsafe { libc::malloc(24 + (index % 4) * 16) as usize })
        .collect();
    for block in blocks {
        // SAFETY: each came from malloc and is freed once.
        unsafe { libc::free(block as *mut c_void) };
    }
    measure();
}

/// A malloc/free pair of 64 bytes through the interposed malloc, against the
/// same pair through glibc's own entry points.
fn call_costs(rounds: usize) {
    const PAIRS: usize = 200_000;
    let layout = Layout::from_size_align(64, 8).expect("layout");
    let mut interposed = Vec::new();
    let mut direct = Vec::new();
    let mut ratios = Vec::new();
    for _ in 0..rounds {
        let through_counter = ns_per_call(PAIRS, || {
            // SAFETY: a plain C allocation, freed at once.
            unsafe { libc::free(black_box(libc::malloc(64))) }
        });
        let past_counter = ns_per_call(PAIRS, || {
            // SAFETY: a valid layout; the block is freed at once with it.
            unsafe { DirectSystem.dealloc(black_box(DirectSystem.alloc(layout)), layout) }
        });
        interposed.push(through_counter);
        direct.push(past_counter);
        ratios.push(through_counter / past_counter);
    }
    let show = |values: &[f64]| {
        Summary::of(values).map_or_else(
            || "-".to_owned(),
            |s| format!("{:.1} / {:.1} / {:.1}", s.min, s.median, s.max),
        )
    };
    println!("ns per malloc/free pair of 64 bytes, min / median / max:");
    println!("| path | ns | ratio to glibc (per round) |");
    println!("|---|---|---|");
    println!(
        "| glibc's own entry points (`DirectSystem`) | {} | 1 |",
        show(&direct)
    );
    println!(
        "| through the native-heap counter (`malloc`) | {} | {} |",
        show(&interposed),
        show(&ratios)
    );
}
