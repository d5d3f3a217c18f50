//! Workloads and measurement helpers shared by leaktest's benchmarks.
//!
//! The figures and how to reproduce them are in `BENCHMARKS.md` at the
//! workspace root. Every comparison there is a ratio taken inside one run,
//! the alternatives interleaved round by round, because the benchmark machine
//! is shared and its load drifts: a ratio of two figures measured minutes
//! apart says more about the load than about the code.
//!
//! - [`churn`] and the [`workloads`] are the allocation-heavy loops that
//!   every allocator bench runs (`benches/alloc_*.rs`, one binary per global
//!   allocator).
//! - [`realistic_body`] is the "real" test body of the per-test cost bench.
//! - [`Summary`] and [`time_samples`] turn repeated timings into
//!   min / median / max.

use std::alloc::{alloc, dealloc, realloc, Layout};
use std::hint::black_box;
use std::time::{Duration, Instant};

pub mod alloc_bench;
pub mod process_bench;
pub mod round1_alloc;
pub mod workloads;

/// Live blocks the churn keeps at most: enough that frees hit blocks of mixed
/// ages, few enough to stay in cache as real hot loops do.
const CHURN_SLOTS: usize = 256;
/// Alignment of every churned block (that of `u64`, as most Rust values).
const CHURN_ALIGN: usize = 8;

/// A small, fast, deterministic generator (xorshift64*): the same seed gives
/// every allocator the same sequence of sizes and operations.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed (zero is replaced).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Sizes as real programs ask for them: three in four are small (8 to 256
/// bytes: strings, boxes, small vectors), one in four medium (256 bytes to
/// 4 KiB: buffers, tables).
pub fn churn_size(bits: u64) -> usize {
    if bits.is_multiple_of(4) {
        256 + (bits >> 2) as usize % (4096 - 256)
    } else {
        8 + (bits >> 2) as usize % (256 - 8)
    }
}

/// Runs `operations` allocator calls through the global allocator: into an
/// empty slot an allocation; on a full slot a free (three times in four) or a
/// reallocation to a new size. Every block is written once, as a real
/// program would, so the calls cannot be optimised away. Everything is freed
/// at the end. Returns a checksum.
pub fn churn(operations: u64, seed: u64) -> u64 {
    let mut rng = Rng::new(seed);
    let mut live: [(*mut u8, usize); CHURN_SLOTS] = [(std::ptr::null_mut(), 0); CHURN_SLOTS];
    let mut checksum = 0u64;
    for _ in 0..operations {
        let bits = rng.next_u64();
        let slot = &mut live[(bits as usize) % CHURN_SLOTS];
        let size = churn_size(bits >> 8);
        let (ptr, old_size) = *slot;
        // SAFETY: every layout has a non-zero size and a valid alignment;
        // `ptr` was allocated by the global allocator with `old_size` and
        // CHURN_ALIGN, and is freed or reallocated exactly once.
        unsafe {
            if ptr.is_null() {
                let fresh = alloc(Layout::from_size_align_unchecked(size, CHURN_ALIGN));
                if fresh.is_null() {
                    continue;
                }
                fresh.write(bits as u8);
                *slot = (fresh, size);
            } else if (bits >> 48).is_multiple_of(4) {
                let layout = Layout::from_size_align_unchecked(old_size, CHURN_ALIGN);
                let moved = realloc(ptr, layout, size);
                if moved.is_null() {
                    continue;
                }
                checksum = checksum.wrapping_add(u64::from(moved.read()));
                moved.add(size - 1).write(bits as u8);
                *slot = (moved, size);
            } else {
                checksum = checksum.wrapping_add(u64::from(ptr.read()));
                dealloc(
                    ptr,
                    Layout::from_size_align_unchecked(old_size, CHURN_ALIGN),
                );
                *slot = (std::ptr::null_mut(), 0);
            }
        }
    }
    for (ptr, size) in live {
        if !ptr.is_null() {
            // SAFETY: as above; each remaining block is freed once.
            unsafe { dealloc(ptr, Layout::from_size_align_unchecked(size, CHURN_ALIGN)) };
        }
    }
    black_box(checksum)
}

/// Runs [`churn`] on `threads` threads at once, each with its own seed and
/// `operations_per_thread` calls, released together by a barrier so that
/// they contend for whatever the allocator shares. Returns the wall time
/// from the first thread's start to the last thread's end.
pub fn churn_on_threads(threads: usize, operations_per_thread: u64) -> Duration {
    let run = workloads::on_threads(
        threads,
        |index| 0x9E37_79B9 + index as u64,
        |seed| {
            black_box(churn(operations_per_thread, *seed));
        },
    );
    run.wall
}

/// A body that does what a typical unit under test does: builds a small
/// document of owned strings and numbers, serialises it to JSON, parses it
/// back and checks one field. About 22 µs on the benchmark machine.
pub fn realistic_body(round: u64) -> Result<(), String> {
    let mut document = serde_json::Map::new();
    for field in 0..64u64 {
        let value = match field % 3 {
            0 => serde_json::Value::from(format!("value-{round}-{field}")),
            1 => serde_json::Value::from(round.wrapping_mul(field)),
            _ => serde_json::Value::from(vec![field; 4]),
        };
        document.insert(format!("field_{field:02}"), value);
    }
    let text = serde_json::to_string(&document).map_err(|error| error.to_string())?;
    let parsed: serde_json::Value =
        serde_json::from_str(&text).map_err(|error| error.to_string())?;
    match parsed.get("field_00").and_then(|value| value.as_str()) {
        Some(first) if first == format!("value-{round}-0") => Ok(()),
        other => Err(format!("field_00 came back as {other:?}")),
    }
}

/// [`realistic_body`] `times` times over: a heavier test body (about 0.22 ms
/// for ten times).
pub fn realistic_body_repeated(round: u64, times: u64) -> Result<(), String> {
    (0..times).try_for_each(|repeat| realistic_body(round.wrapping_mul(times).wrapping_add(repeat)))
}

/// The body of the plain programs the per-test benches compare leak tests
/// with (`plain_body`, `plain_body_counting`):
///
/// - `ITERATIONS [TIMES]`: [`realistic_body_repeated`] `ITERATIONS` times
///   (default 100), each doing the body `TIMES` times over (default 1);
/// - `small_blocks ITERATIONS`: [`workloads::small_block_churn`]
///   `ITERATIONS` times (default 30) on one ring, as the `small_block_churn`
///   leak test of the fixture does.
///
/// Exits with status 1 if a body fails.
pub fn plain_main() {
    let mut arguments = std::env::args().skip(1).peekable();
    if arguments.peek().map(String::as_str) == Some("small_blocks") {
        arguments.next();
        let iterations = arguments
            .next()
            .and_then(|text| text.parse::<u64>().ok())
            .unwrap_or(30);
        let mut ring = workloads::SmallBlockRing::new();
        for _ in 0..iterations {
            black_box(workloads::small_block_churn(&mut ring));
        }
        return;
    }
    let mut numbers = arguments.map(|text| text.parse::<u64>().ok());
    let iterations = numbers.next().flatten().unwrap_or(100);
    let times = numbers.next().flatten().unwrap_or(1);
    for round in 0..iterations {
        if let Err(message) = realistic_body_repeated(round, times) {
            eprintln!("round {round}: {message}");
            std::process::exit(1);
        }
    }
}

/// Minimum, median and maximum of a set of measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Smallest measurement.
    pub min: f64,
    /// Median (mean of the two middle ones for an even count).
    pub median: f64,
    /// Largest measurement.
    pub max: f64,
}

impl Summary {
    /// The summary of `values`; `None` when there are none (or one is NaN).
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() || values.iter().any(|value| value.is_nan()) {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        let median = if sorted.len().is_multiple_of(2) {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        } else {
            sorted[middle]
        };
        Some(Summary {
            min: sorted[0],
            median,
            max: sorted[sorted.len() - 1],
        })
    }
}

/// Times `run` `samples` times after one untimed warm-up call, returning the
/// durations in nanoseconds.
pub fn time_samples(samples: usize, mut run: impl FnMut()) -> Vec<f64> {
    run();
    (0..samples)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed().as_nanos() as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_odd_and_even_counts() {
        let odd = Summary::of(&[3.0, 1.0, 2.0]).expect("values");
        assert_eq!((odd.min, odd.median, odd.max), (1.0, 2.0, 3.0));
        let even = Summary::of(&[4.0, 1.0, 2.0, 3.0]).expect("values");
        assert_eq!(even.median, 2.5);
        assert_eq!(Summary::of(&[]), None);
    }

    #[test]
    fn churn_sizes_are_small_or_medium() {
        let mut rng = Rng::new(7);
        for _ in 0..10_000 {
            let size = churn_size(rng.next_u64());
            assert!((8..4096).contains(&size), "{size}");
        }
    }

    #[test]
    fn churn_is_deterministic_and_frees_everything() {
        assert_eq!(churn(5_000, 11), churn(5_000, 11));
    }

    #[test]
    fn realistic_body_round_trips() {
        assert_eq!(realistic_body(3), Ok(()));
    }
}
