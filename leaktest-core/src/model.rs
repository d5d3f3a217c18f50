//! The result model shared by the harness, its child processes and `cargo leaktest`.
//!
//! A child process that ran one leak test writes one [`TestRecord`] as JSON; the
//! parent (the harness under `cargo test`, or `cargo leaktest`) reads it back,
//! checking [`SCHEMA_VERSION`] first so that a harness and a subcommand built from
//! different leaktest versions fail with a clear message instead of a wrong report.

use serde::{Deserialize, Serialize};

/// Version of the JSON records exchanged between processes and printed by
/// `cargo leaktest --message-format json`. Bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// A resource whose growth leaktest measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// Bytes of heap memory allocated through the global allocator and not yet freed.
    HeapBytes,
    /// Heap blocks (allocations) not yet freed.
    HeapBlocks,
    /// Open file descriptors of the process (files, sockets, pipes, ...).
    Fds,
    /// Threads of the process.
    Threads,
    /// Child processes of the process that have not been reaped.
    ChildProcesses,
    /// Alive tasks of the test's tokio runtime.
    TokioTasks,
}

impl Resource {
    /// Every resource, in report order.
    pub const ALL: [Resource; 6] = [
        Resource::HeapBytes,
        Resource::HeapBlocks,
        Resource::Fds,
        Resource::Threads,
        Resource::ChildProcesses,
        Resource::TokioTasks,
    ];

    /// Short name used in reports (`heap`, `blocks`, `fds`, `threads`, `children`, `tasks`).
    pub fn short_name(self) -> &'static str {
        match self {
            Resource::HeapBytes => "heap",
            Resource::HeapBlocks => "blocks",
            Resource::Fds => "fds",
            Resource::Threads => "threads",
            Resource::ChildProcesses => "children",
            Resource::TokioTasks => "tasks",
        }
    }

    /// Whether amounts of this resource are bytes (rendered as `B`, `KiB`, ...).
    pub fn is_bytes(self) -> bool {
        matches!(self, Resource::HeapBytes)
    }
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.short_name())
    }
}

/// What the analysis concluded about one resource's series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    /// True when the series shows unbounded growth.
    pub leaking: bool,
    /// Growth retained over the judged iterations (last settled floor minus first floor).
    pub retained_growth: i64,
    /// `retained_growth` divided by the number of judged iterations.
    pub growth_per_iteration: f64,
    /// Number of judged iterations.
    pub judged_iterations: u64,
    /// One sentence saying why the verdict was reached, for humans.
    pub reason: String,
}

/// The series and verdict of one resource in one test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceReport {
    /// Which resource.
    pub resource: Resource,
    /// One sample after every iteration (warm-up included), in iteration order.
    /// The last sample is the settled value read after the settle window.
    pub series: Vec<i64>,
    /// The verdict on the judged part of `series`.
    pub judgement: Judgement,
}

/// Why a resource was not measured in a test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmeasured {
    /// Which resource.
    pub resource: Resource,
    /// Why it was not measured (platform, feature, test kind).
    pub why: String,
}

/// How a test ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// No leak found (or, for `should_leak`, a leak found as expected).
    Passed,
    /// At least one resource grows without bound.
    Leaked,
    /// The test is marked `should_leak` but no leak was found.
    LeakNotFound,
    /// The body returned `Err` or panicked.
    Failed {
        /// The error or panic message.
        message: String,
        /// The iteration (0-based) in which it happened, when known.
        iteration: Option<u64>,
    },
    /// The child process died without delivering a result (abort, signal, `exit`).
    Crashed {
        /// Exit code, when the process exited.
        exit_code: Option<i32>,
        /// Signal number, when the process was killed by a signal.
        signal: Option<i32>,
        /// Human description (for example `killed by SIGSEGV`).
        description: String,
    },
    /// The child process ran longer than its timeout and was killed.
    TimedOut {
        /// The timeout that was exceeded, in milliseconds.
        timeout_ms: u64,
    },
    /// The test was not run (`ignore`).
    Ignored {
        /// The reason given in `ignore = "..."`, if any.
        reason: Option<String>,
    },
}

impl Outcome {
    /// True for outcomes that fail a run.
    pub fn is_failure(&self) -> bool {
        !matches!(self, Outcome::Passed | Outcome::Ignored { .. })
    }

    /// One word for the outcome: `passed`, `leaked`, `failed`, ...
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Leaked => "leaked",
            Outcome::LeakNotFound => "no leak",
            Outcome::Failed { .. } => "failed",
            Outcome::Crashed { .. } => "crashed",
            Outcome::TimedOut { .. } => "timed out",
            Outcome::Ignored { .. } => "ignored",
        }
    }
}

/// The settings a test ran with, after defaults were applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Iterations requested (before any confirmation extension).
    pub iterations: u64,
    /// Warm-up iterations, not judged.
    pub warmup: u64,
    /// The verdict is inverted: the test passes only if a leak is found.
    pub should_leak: bool,
    /// Timeout of the whole test process, in milliseconds.
    pub timeout_ms: u64,
    /// Longest settle window after the last iteration, in milliseconds.
    pub settle_ms: u64,
    /// `None` for a sync body, else the tokio flavor (`current_thread`, `multi_thread`).
    pub runtime: Option<String>,
    /// Whether the body runs against state built by `setup`.
    pub has_setup: bool,
}

/// The complete result of one leak test, as written by its child process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRecord {
    /// Always [`SCHEMA_VERSION`] when written by this version.
    pub schema_version: u32,
    /// Test name as shown by `--list` (module path without the crate, then the function).
    pub name: String,
    /// Source file and line of the test function.
    pub location: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The settings it ran with.
    pub settings: Settings,
    /// Iterations actually run (may exceed `settings.iterations` when growth had to be confirmed).
    pub iterations_run: u64,
    /// Series and verdict of every measured resource.
    pub resources: Vec<ResourceReport>,
    /// Resources that could not be measured, and why.
    pub unmeasured: Vec<Unmeasured>,
    /// Highest live heap bytes seen while the test ran (within the allocator's flush granularity).
    pub peak_heap_bytes: u64,
    /// Wall time of the test, in milliseconds (child process, from start to record).
    pub duration_ms: u64,
    /// The last lines the test printed to stdout (filled in by the parent).
    #[serde(default)]
    pub stdout_tail: String,
    /// The last lines the test printed to stderr (filled in by the parent).
    #[serde(default)]
    pub stderr_tail: String,
}

impl TestRecord {
    /// The record of a test that produced none of its own: it crashed, timed
    /// out, was not started or could not be run. No series, no verdicts.
    pub fn without_run(test: &TestDescription, outcome: Outcome, duration_ms: u64) -> TestRecord {
        TestRecord {
            schema_version: SCHEMA_VERSION,
            name: test.name.clone(),
            location: test.location.clone(),
            outcome,
            settings: test.settings.clone(),
            iterations_run: 0,
            resources: Vec::new(),
            unmeasured: Vec::new(),
            peak_heap_bytes: 0,
            duration_ms,
            stdout_tail: String::new(),
            stderr_tail: String::new(),
        }
    }

    /// The resources judged to leak.
    pub fn leaking_resources(&self) -> impl Iterator<Item = &ResourceReport> {
        self.resources.iter().filter(|r| r.judgement.leaking)
    }

    /// The report of one resource, if it was measured.
    pub fn resource(&self, resource: Resource) -> Option<&ResourceReport> {
        self.resources.iter().find(|r| r.resource == resource)
    }
}

/// A test as listed by a harness binary (`LEAKTEST_DESCRIBE=1`), before it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestDescription {
    /// Test name, as in [`TestRecord::name`].
    pub name: String,
    /// Source file and line.
    pub location: String,
    /// Its settings after defaults.
    pub settings: Settings,
    /// `Some` when the test is ignored (the reason may be empty).
    pub ignored: Option<String>,
}

/// Everything a harness binary says about itself when asked to describe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HarnessDescription {
    /// Always [`SCHEMA_VERSION`] when written by this version.
    pub schema_version: u32,
    /// Version of leaktest-core the binary was built with.
    pub leaktest_version: String,
    /// Its tests, in name order.
    pub tests: Vec<TestDescription>,
}
