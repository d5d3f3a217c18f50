//! The allocation-heavy workloads every allocator bench runs, besides
//! [`churn`](crate::churn): what real programs ask of an allocator.
//!
//! - [`small_block_churn`]: many short-lived small vectors, a few kept a
//!   while, strings grown one character at a time (small blocks and
//!   reallocations, where the system allocator's per-thread cache makes each
//!   call cheapest, so a wrapper's own cost weighs most).
//! - [`json_round_trip`]: parsing a large JSON document with serde_json and
//!   serialising it again, a real library's allocation pattern.
//!
//! [`Workload`] names them for the benches and reports.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Vectors allocated per call of [`small_block_churn`].
pub const SMALL_BLOCK_VECTORS: usize = 400_000;
/// Capacities the vectors cycle through.
const SMALL_BLOCK_CAPACITIES: [usize; 8] = [8, 24, 40, 64, 128, 256, 1024, 4096];
/// Every this many vectors, one is kept in the ring instead of being dropped.
const KEEP_EVERY: usize = 7;
/// Every this many vectors, a string is grown one character at a time.
const STRING_EVERY: usize = 13;
/// Characters pushed into each grown string.
const STRING_CHARS: usize = 24;
/// Vectors the ring keeps; the one a new vector evicts is freed.
pub const RING_SLOTS: usize = 64;

/// Vectors kept across calls of [`small_block_churn`]: bounded, so the
/// workload does not leak.
#[derive(Debug)]
pub struct SmallBlockRing {
    kept: Vec<Vec<u8>>,
    next: usize,
}

impl SmallBlockRing {
    /// An empty ring with room for [`RING_SLOTS`] vectors.
    pub fn new() -> SmallBlockRing {
        SmallBlockRing {
            kept: Vec::with_capacity(RING_SLOTS),
            next: 0,
        }
    }

    fn keep(&mut self, vector: Vec<u8>) {
        if self.kept.len() < RING_SLOTS {
            self.kept.push(vector);
        } else {
            // The evicted vector is dropped (freed) here.
            self.kept[self.next] = vector;
        }
        self.next = (self.next + 1) % RING_SLOTS;
    }
}

impl Default for SmallBlockRing {
    fn default() -> Self {
        SmallBlockRing::new()
    }
}

/// [`SMALL_BLOCK_VECTORS`] calls of `Vec::<u8>::with_capacity(n)`, `n`
/// cycling through 8, 24, 40, 64, 128, 256, 1024 and 4096 bytes; every 7th
/// is kept in `ring` (freeing the one it evicts), the others dropped at once;
/// every 13th step also grows a `String` by pushing 24 characters one at a
/// time (one allocation, two reallocations, one free). Returns a checksum.
pub fn small_block_churn(ring: &mut SmallBlockRing) -> u64 {
    let mut checksum = 0u64;
    for step in 0..SMALL_BLOCK_VECTORS {
        let capacity = SMALL_BLOCK_CAPACITIES[step % SMALL_BLOCK_CAPACITIES.len()];
        let mut vector = black_box(Vec::<u8>::with_capacity(capacity));
        vector.push(step as u8);
        checksum = checksum.wrapping_add(vector.capacity() as u64);
        if step % KEEP_EVERY == 0 {
            ring.keep(vector);
        } else {
            drop(black_box(vector));
        }
        if step % STRING_EVERY == 0 {
            let mut grown = String::new();
            for index in 0..STRING_CHARS {
                grown.push(black_box(char::from(b'a' + (index % 26) as u8)));
            }
            checksum = checksum.wrapping_add(black_box(grown).len() as u64);
        }
    }
    black_box(checksum)
}

/// Records in the document of [`JsonDocument::generate`].
const JSON_RECORDS: u64 = 1_000;
const CITIES: [&str; 4] = ["Lyon", "Oslo", "Kyoto", "Lima"];
const EVENTS: [&str; 3] = ["login", "purchase", "logout"];

/// A large JSON document as text, built once, parsed and serialised by
/// [`json_round_trip`].
#[derive(Debug, Clone)]
pub struct JsonDocument {
    text: String,
}

impl JsonDocument {
    /// An array of 1000 user records (strings, numbers, booleans, nested
    /// objects and arrays), about 0.4 MB of text; `seed` varies the values.
    pub fn generate(seed: u64) -> JsonDocument {
        let records: Vec<serde_json::Value> = (0..JSON_RECORDS)
            .map(|index| {
                let id = seed.wrapping_mul(1_000_003).wrapping_add(index);
                serde_json::json!({
                    "id": id,
                    "name": format!("user-{id}"),
                    "email": format!("user{id}@example.invalid"),
                    "active": id % 3 != 0,
                    "score": (id % 1000) as f64 / 7.0,
                    "tags": (0..(id % 6)).map(|tag| format!("tag-{tag}")).collect::<Vec<_>>(),
                    "address": {
                        "street": format!("{} Long Street", id % 500),
                        "city": CITIES[(id % 4) as usize],
                        "zip": format!("{:05}", id % 100_000),
                    },
                    "history": (0..3).map(|event| serde_json::json!({
                        "at": 1_700_000_000 + id * 60 + event,
                        "event": EVENTS[event as usize],
                        "ok": event != 1 || id % 5 != 0,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let text = serde_json::Value::Array(records).to_string();
        JsonDocument { text }
    }

    /// Length of the document in bytes.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// True for an empty document (never, as generated).
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// Parses the document into a `serde_json::Value`, serialises it back to a
/// string and drops both. Returns the length of the serialised text, which
/// equals the document's (an error or a mismatch returns 0).
pub fn json_round_trip(document: &JsonDocument) -> usize {
    let Ok(parsed) = serde_json::from_str::<serde_json::Value>(black_box(&document.text)) else {
        return 0;
    };
    let Ok(text) = serde_json::to_string(&parsed) else {
        return 0;
    };
    black_box(text.len())
}

/// One of the allocation workloads the allocator benches compare on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// [`churn`](crate::churn): random allocations, frees and reallocations
    /// on 256 slots, 8 bytes to 4 KiB.
    Churn,
    /// [`small_block_churn`].
    SmallBlocks,
    /// [`json_round_trip`].
    Json,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 3] = [Workload::Churn, Workload::SmallBlocks, Workload::Json];

    /// Name in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Churn => "churn",
            Workload::SmallBlocks => "small_blocks",
            Workload::Json => "json",
        }
    }

    /// The workload named `name`.
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL
            .into_iter()
            .find(|workload| workload.name() == name)
    }

    /// What one unit of [`Workload::units_per_run`] is.
    pub fn unit(self) -> &'static str {
        match self {
            Workload::Churn => "allocator call",
            Workload::SmallBlocks => "vector",
            Workload::Json => "document round trip",
        }
    }

    /// Units of work in one [`Workload::run_on_threads`] run, per thread.
    pub fn units_per_run(self) -> u64 {
        match self {
            Workload::Churn => crate::alloc_bench::OPERATIONS_PER_RUN,
            Workload::SmallBlocks => SMALL_BLOCK_VECTORS as u64,
            Workload::Json => 1,
        }
    }

    /// Runs the workload once on each of `threads` threads at once, released
    /// together by a barrier (state is built before), and returns how long
    /// it took.
    pub fn run_on_threads(self, threads: usize) -> RunTime {
        match self {
            Workload::Churn => on_threads(
                threads,
                |index| 0x9E37_79B9 + index as u64,
                |seed| {
                    black_box(crate::churn(crate::alloc_bench::OPERATIONS_PER_RUN, *seed));
                },
            ),
            Workload::SmallBlocks => on_threads(
                threads,
                |_| SmallBlockRing::new(),
                |ring| {
                    black_box(small_block_churn(ring));
                },
            ),
            Workload::Json => on_threads(
                threads,
                |index| JsonDocument::generate(index as u64),
                |document| {
                    black_box(json_round_trip(document));
                },
            ),
        }
    }
}

/// How long one run of a workload took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunTime {
    /// Wall time from the first thread's start to the last thread's end.
    pub wall: Duration,
    /// CPU time of the busiest thread: what the run cost while it ran,
    /// without the time other processes had the CPU (on a loaded machine the
    /// steadier figure for one thread; on two it misses contention that did
    /// not happen because the threads did not run at once).
    pub cpu: Duration,
}

/// CPU time the calling thread has used so far.
pub fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if status != 0 {
        return Duration::ZERO;
    }
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Runs `work` once, on state built by `make` (not timed).
fn timed_run<S>(make: impl Fn() -> S, work: impl Fn(&mut S)) -> (Instant, Instant, Duration) {
    let mut state = make();
    let cpu_started = thread_cpu_time();
    let started = Instant::now();
    work(&mut state);
    let ended = Instant::now();
    let cpu = thread_cpu_time().saturating_sub(cpu_started);
    drop(state);
    (started, ended, cpu)
}

/// Runs `work` on `threads` threads at once, each on state built by `make`
/// (not timed), released together by a barrier so that they contend for
/// whatever the allocator shares. On one thread it runs on the calling
/// thread.
pub fn on_threads<S>(
    threads: usize,
    make: impl Fn(usize) -> S + Sync,
    work: impl Fn(&mut S) + Sync,
) -> RunTime {
    if threads <= 1 {
        let (started, ended, cpu) = timed_run(|| make(0), &work);
        return RunTime {
            wall: ended.duration_since(started),
            cpu,
        };
    }
    let barrier = std::sync::Barrier::new(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|index| {
                let (barrier, make, work) = (&barrier, &make, &work);
                scope.spawn(move || {
                    timed_run(
                        || {
                            let state = make(index);
                            barrier.wait();
                            state
                        },
                        work,
                    )
                })
            })
            .collect();
        let spans: Vec<(Instant, Instant, Duration)> = workers
            .into_iter()
            .filter_map(|worker| worker.join().ok())
            .collect();
        let first_start = spans.iter().map(|span| span.0).min();
        let last_end = spans.iter().map(|span| span.1).max();
        let cpu = spans.iter().map(|span| span.2).max().unwrap_or_default();
        match (first_start, last_end) {
            (Some(start), Some(end)) => RunTime {
                wall: end.duration_since(start),
                cpu,
            },
            _ => RunTime {
                wall: Duration::ZERO,
                cpu,
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_at_most_its_slots() {
        let mut ring = SmallBlockRing::new();
        for index in 0..(3 * RING_SLOTS) {
            ring.keep(vec![index as u8; 8]);
        }
        assert_eq!(ring.kept.len(), RING_SLOTS);
        assert_eq!(ring.kept.capacity(), RING_SLOTS);
    }

    #[test]
    fn json_round_trip_gives_back_the_document() {
        let document = JsonDocument::generate(3);
        assert!(document.len() > 100_000, "{}", document.len());
        assert_eq!(json_round_trip(&document), document.len());
    }

    #[test]
    fn workloads_by_name() {
        for workload in Workload::ALL {
            assert_eq!(Workload::from_name(workload.name()), Some(workload));
        }
        assert_eq!(Workload::from_name("nope"), None);
    }
}
