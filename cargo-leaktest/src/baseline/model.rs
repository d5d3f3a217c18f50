//! The baseline file: versioned JSON with its keys sorted, so a committed
//! baseline diffs line by line. Every struct's fields are declared in
//! alphabetical order and maps are `BTreeMap`s; a test pins that.
//!
//! ```json
//! {
//!   "build_profile": "dev",
//!   "format": "leaktest-baseline",
//!   "leaktest_version": "0.1.0",
//!   "partitions": [],
//!   "rustc": "1.95.0",
//!   "target": "x86_64-unknown-linux-gnu",
//!   "tests": {
//!     "parser::leaks::parse_does_not_leak": {
//!       "allocation_bytes_per_iteration": 4096,
//!       "allocations_per_iteration": 12,
//!       "allocator": "std::alloc::System",
//!       "growth": {"fds": {"growing": false, "per_iteration": 0.0}, "heap_bytes": {...}},
//!       "iterations": 100, "iterations_run": 100, "peak_heap_bytes": 2097152,
//!       "should_leak": false, "verdict": "passed", "warmup": 10
//!     }
//!   },
//!   "version": 1
//! }
//! ```

use leaktest_core::model::{Outcome, Resource, TestRecord};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The value of [`Baseline::format`]: tells a baseline from any other JSON.
pub const FORMAT: &str = "leaktest-baseline";
/// The version of the file format this program writes and reads. Bumped on
/// any change an older reader would misread.
pub const FORMAT_VERSION: u32 = 1;

/// What the tests of one run measured, and what they were measured with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// cargo's build profile of the test binaries: `dev`, `release` or a custom one.
    pub build_profile: String,
    /// Always [`FORMAT`].
    pub format: String,
    /// Version of cargo-leaktest that wrote it.
    pub leaktest_version: String,
    /// The `--partition` shards whose tests it holds, sorted; empty when it
    /// holds a whole run.
    pub partitions: Vec<String>,
    /// The rustc release the tests were built with (`1.95.0`), when known.
    /// A different toolchain may allocate differently in std.
    pub rustc: Option<String>,
    /// The target triple the tests ran on.
    pub target: String,
    /// One entry per measured test, by `package::target::name` (see
    /// [`crate::test_key::TestKey`]).
    pub tests: BTreeMap<String, Entry>,
    /// Always [`FORMAT_VERSION`] when written by this version.
    pub version: u32,
}

/// What one test measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Bytes allocated per judged iteration (median), when measured.
    pub allocation_bytes_per_iteration: Option<u64>,
    /// Allocations per judged iteration (median), when measured.
    pub allocations_per_iteration: Option<u64>,
    /// The global allocator the counting allocator wrapped (a type name such
    /// as `std::alloc::System`), `None` when the harness installed it itself.
    pub allocator: Option<String>,
    /// Growth of each measured resource, by its name in the JSON records
    /// (`heap_bytes`, `fds`, ...).
    pub growth: BTreeMap<String, Growth>,
    /// Iterations asked for.
    pub iterations: u64,
    /// Iterations run (more when growth had to be confirmed).
    pub iterations_run: u64,
    /// Highest live heap bytes while the test ran.
    pub peak_heap_bytes: u64,
    /// Whether the test expects a leak (its growth is not compared).
    pub should_leak: bool,
    /// The outcome: `passed`, `leaked` or `leak_not_found`.
    pub verdict: String,
    /// Warm-up iterations, not judged.
    pub warmup: u64,
}

/// The verdict on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Growth {
    /// Whether it grows without bound.
    pub growing: bool,
    /// Its retained growth per judged iteration.
    pub per_iteration: f64,
}

/// The name of `resource` in records and baselines: `heap_bytes`, `fds`, ...
pub fn resource_key(resource: Resource) -> String {
    serde_json::to_value(resource)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_else(|| resource.short_name().to_owned())
}

/// The resource named `key` in records and baselines; `None` for a name
/// this version does not know (a baseline from a newer leaktest).
pub fn resource_from_key(key: &str) -> Option<Resource> {
    serde_json::from_value(serde_json::Value::String(key.to_owned())).ok()
}

impl Entry {
    /// The entry of a test that ran to a verdict; `None` for one that
    /// failed, crashed, timed out or was not run (nothing was measured).
    pub fn from_record(record: &TestRecord, allocator: Option<&str>) -> Option<Entry> {
        let verdict = match record.outcome {
            Outcome::Passed if record.iterations_run > 0 => "passed",
            Outcome::Leaked => "leaked",
            Outcome::LeakNotFound => "leak_not_found",
            _ => return None,
        };
        let growth = record
            .resources
            .iter()
            .map(|report| {
                let per_iteration = report.judgement.growth_per_iteration;
                (
                    resource_key(report.resource),
                    Growth {
                        growing: report.judgement.leaking,
                        // JSON has no NaN; a rate that is not a number is no growth.
                        per_iteration: if per_iteration.is_finite() {
                            per_iteration
                        } else {
                            0.0
                        },
                    },
                )
            })
            .collect();
        let allocation = record.allocation_per_iteration;
        Some(Entry {
            allocation_bytes_per_iteration: allocation.map(|a| a.bytes),
            allocations_per_iteration: allocation.map(|a| a.count),
            allocator: allocator.map(str::to_owned),
            growth,
            iterations: record.settings.iterations,
            iterations_run: record.iterations_run,
            peak_heap_bytes: record.peak_heap_bytes,
            should_leak: record.settings.should_leak,
            verdict: verdict.to_owned(),
            warmup: record.settings.warmup,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use leaktest_core::model::{
        AllocationPerIteration, Judgement, Reason, ResourceReport, Settings, TestDescription,
    };

    /// A record of a test that ran `iterations` times with `outcome`, heap
    /// growth `heap_growth` per iteration (leaking when > 0), `peak` bytes
    /// and `allocation` (bytes, count) per iteration.
    pub(crate) fn record(
        outcome: Outcome,
        heap_growth: f64,
        peak: u64,
        allocation: Option<(u64, u64)>,
    ) -> TestRecord {
        let mut settings = Settings::default();
        settings.iterations = 30;
        settings.warmup = 3;
        let description = TestDescription::new("clean", "tests/leaks.rs:4", settings);
        let mut record = TestRecord::without_run(&description, outcome, 12);
        record.iterations_run = 30;
        record.peak_heap_bytes = peak;
        record.allocation_per_iteration =
            allocation.map(|(bytes, count)| AllocationPerIteration::new(bytes, count));
        let leaking = heap_growth > 0.0;
        let cause = if leaking {
            Reason::KeptRising {
                late_growth: (heap_growth * 15.0) as i64,
                steps: 15,
                from_iteration: 15,
            }
        } else {
            Reason::NoRetainedGrowth
        };
        record.resources = vec![
            ResourceReport::new(
                Resource::HeapBytes,
                vec![0; 30],
                Judgement::new(
                    Resource::HeapBytes,
                    leaking,
                    (heap_growth * 27.0) as i64,
                    heap_growth,
                    27,
                    cause,
                ),
            ),
            ResourceReport::new(
                Resource::Fds,
                vec![3; 30],
                Judgement::new(Resource::Fds, false, 0, 0.0, 27, Reason::NoRetainedGrowth),
            ),
        ];
        record
    }

    /// Writes `value` as compact JSON with every object's keys sorted.
    fn canonical(value: &serde_json::Value, out: &mut String) {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                out.push('{');
                for (index, (key, value)) in entries.into_iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(key).unwrap());
                    out.push(':');
                    canonical(value, out);
                }
                out.push('}');
            }
            serde_json::Value::Array(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    canonical(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }

    #[test]
    fn a_baseline_is_written_with_sorted_keys() {
        let entry = Entry::from_record(
            &record(Outcome::Passed, 0.0, 4096, Some((256, 2))),
            Some("std::alloc::System"),
        )
        .unwrap();
        let baseline = Baseline {
            build_profile: "dev".to_owned(),
            format: FORMAT.to_owned(),
            leaktest_version: "0.1.0".to_owned(),
            partitions: vec!["hash:1/2".to_owned()],
            rustc: Some("1.95.0".to_owned()),
            target: "x86_64-unknown-linux-gnu".to_owned(),
            tests: BTreeMap::from([
                ("b::leaks::z".to_owned(), entry.clone()),
                ("a::leaks::y".to_owned(), entry),
            ]),
            version: FORMAT_VERSION,
        };
        let written = serde_json::to_string(&baseline).unwrap();
        let mut sorted = String::new();
        canonical(&serde_json::from_str(&written).unwrap(), &mut sorted);
        assert_eq!(written, sorted);
    }

    #[test]
    fn an_entry_keeps_the_figures_of_the_record() {
        let entry = Entry::from_record(
            &record(Outcome::Leaked, 64.0, 9000, Some((512, 3))),
            Some("std::alloc::System"),
        )
        .unwrap();
        assert_eq!(entry.verdict, "leaked");
        assert_eq!(entry.peak_heap_bytes, 9000);
        assert_eq!(entry.allocation_bytes_per_iteration, Some(512));
        assert_eq!(entry.allocations_per_iteration, Some(3));
        assert_eq!(entry.iterations_run, 30);
        assert_eq!(
            entry.growth["heap_bytes"],
            Growth {
                growing: true,
                per_iteration: 64.0
            }
        );
        assert!(!entry.growth["fds"].growing);
        assert_eq!(resource_from_key("heap_bytes"), Some(Resource::HeapBytes));
        assert_eq!(resource_from_key("gpu_buffers"), None);
    }

    #[test]
    fn tests_without_a_verdict_have_no_entry() {
        let crashed = Outcome::Crashed {
            exit_code: None,
            signal: Some(6),
            description: "killed by SIGABRT".to_owned(),
        };
        assert!(Entry::from_record(&record(crashed, 0.0, 0, None), None).is_none());
        let timed_out = Outcome::TimedOut { timeout_ms: 10 };
        assert!(Entry::from_record(&record(timed_out, 0.0, 0, None), None).is_none());
    }
}
