//! The result model shared by the harness, its child processes and `cargo leaktest`.
//!
//! A child process that ran one leak test writes one [`TestRecord`] as JSON; the
//! parent (the harness under `cargo test`, or `cargo leaktest`) reads it back,
//! checking [`SCHEMA_VERSION`] first so that a harness and a subcommand built from
//! different leaktest versions fail with a clear message instead of a wrong report.
//!
//! The same objects are printed by `cargo leaktest --message-format json`, whose
//! readers are promised that fields may be added without a schema change: the
//! structs and enums here are `#[non_exhaustive]` for the same reason, so code
//! reading them keeps compiling when a field or a variant is added.

use serde::{Deserialize, Serialize};

mod attribution;
mod budgets;

pub use attribution::{
    AllocationSite, Attribution, AttributionFailure, AttributionUnavailable, ProfiledSites,
    SiteFrame,
};
pub use budgets::{AttributeSettings, Budget, BudgetCheck, ConfigSource, ResolvedBudget};

/// Version of the JSON records exchanged between processes and printed by
/// `cargo leaktest --message-format json`. Bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// A resource whose growth leaktest measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Resource {
    /// Bytes of heap memory allocated through the global allocator and not yet freed.
    HeapBytes,
    /// Heap blocks (allocations) not yet freed.
    HeapBlocks,
    /// Bytes held by C code through malloc (the native heap), Rust's own
    /// allocations not included: usable bytes of the blocks allocated and not
    /// yet freed.
    NativeHeapBytes,
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
    pub const ALL: [Resource; 7] = [
        Resource::HeapBytes,
        Resource::HeapBlocks,
        Resource::NativeHeapBytes,
        Resource::Fds,
        Resource::Threads,
        Resource::ChildProcesses,
        Resource::TokioTasks,
    ];

    /// Short name used in reports (`heap`, `blocks`, `native`, `fds`, `threads`,
    /// `children`, `tasks`).
    pub fn short_name(self) -> &'static str {
        match self {
            Resource::HeapBytes => "heap",
            Resource::HeapBlocks => "blocks",
            Resource::NativeHeapBytes => "native",
            Resource::Fds => "fds",
            Resource::Threads => "threads",
            Resource::ChildProcesses => "children",
            Resource::TokioTasks => "tasks",
        }
    }

    /// Whether amounts of this resource are bytes (rendered as `B`, `KiB`, ...).
    pub fn is_bytes(self) -> bool {
        matches!(self, Resource::HeapBytes | Resource::NativeHeapBytes)
    }
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.short_name())
    }
}

/// What the analysis concluded about one resource's series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Judgement {
    /// True when the series shows unbounded growth.
    pub leaking: bool,
    /// Growth retained over the judged iterations (last settled floor minus first floor).
    pub retained_growth: i64,
    /// `retained_growth` divided by the number of judged iterations.
    pub growth_per_iteration: f64,
    /// Number of judged iterations.
    pub judged_iterations: u64,
    /// One sentence saying why the verdict was reached, for humans: [`Judgement::cause`]
    /// as `render::reason_sentence` writes it.
    pub reason: String,
    /// Why the verdict was reached, with the figures it rests on. Every report
    /// format renders its text from this.
    pub cause: Reason,
}

impl Judgement {
    /// A judgement of `resource` whose human [`reason`](Judgement::reason) is
    /// rendered from `cause`.
    ///
    /// ```
    /// use leaktest_core::model::{Judgement, Reason, Resource};
    ///
    /// let judgement = Judgement::new(Resource::Fds, false, 0, 0.0, 90, Reason::NoRetainedGrowth);
    /// assert_eq!(judgement.reason, "no retained growth");
    /// ```
    pub fn new(
        resource: Resource,
        leaking: bool,
        retained_growth: i64,
        growth_per_iteration: f64,
        judged_iterations: u64,
        cause: Reason,
    ) -> Judgement {
        Judgement {
            leaking,
            retained_growth,
            growth_per_iteration,
            judged_iterations,
            reason: crate::render::reason_sentence(resource, &cause),
            cause,
        }
    }
}

/// Why the verdict on a series is what it is: which case of the rule applied
/// (see `leaktest_core::analysis`), with the figures it was decided on.
/// Amounts are in the resource's unit (bytes for the heap, a count otherwise);
/// iterations are 0-based indices into the series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// Fewer than two samples were judged: nothing can be told.
    TooFewJudged {
        /// How many were judged.
        judged_iterations: u64,
    },
    /// The retained floor never rose over the judged iterations.
    NoRetainedGrowth,
    /// The floor rose, then stayed flat through the second half of the run
    /// (lazy initialisation, a cache that filled up).
    Plateaued {
        /// What the floor gained over the judged iterations.
        growth: i64,
        /// The iteration of its last rise.
        since_iteration: u64,
    },
    /// The floor rose in the second half by no more than the noise.
    WithinNoise {
        /// The noise the late growth did not exceed.
        noise: i64,
    },
    /// In the extended run, the floor stopped rising well before its end.
    StoppedGrowing {
        /// What the floor gained over the judged iterations.
        growth: i64,
        /// The iteration of its last rise.
        last_rise_iteration: u64,
        /// Iterations since then.
        quiet_iterations: u64,
    },
    /// In the extended run, the floor kept rising faster than its noise
    /// until the run could not be extended further: a leak.
    GrewThroughExtension {
        /// Iterations of the extended run.
        extended_to: u64,
        /// What the floor gained in the second half of the extended run.
        late_growth: i64,
        /// The iteration of its last rise.
        last_rise_iteration: u64,
    },
    /// The floor kept rising in steps through the second half of the run: a
    /// leak, once the run could not be extended to tell it from a bounded
    /// structure still filling up.
    KeptRising {
        /// What the floor gained in the second half.
        late_growth: i64,
        /// How many times it stepped up there.
        steps: u64,
        /// The first iteration of the second half.
        from_iteration: u64,
    },
    /// The floor rose several times in the second half but not lately: the
    /// run must be extended to tell a plateau from slow growth.
    PausedRising {
        /// How many times it stepped up in the second half.
        steps: u64,
        /// Iterations since its last rise.
        quiet_iterations: u64,
    },
    /// The floor rose at least twice, then stayed flat through the second
    /// half, but for no longer than three times the longest gap between its
    /// rises: a collection that doubles its capacity steps again within
    /// twice its last gap (its steps need not fall in the second half when
    /// it did not start empty), so the run must be extended to tell a
    /// plateau from the next doubling. Where the run cannot go on, a flat
    /// second half is [`Reason::Plateaued`].
    QuietShorterThanGaps {
        /// What the floor gained over the judged iterations.
        growth: i64,
        /// The iteration of its last rise.
        last_rise_iteration: u64,
        /// The longest gap between two consecutive rises, in iterations.
        longest_gap: u64,
        /// Iterations since its last rise.
        quiet_iterations: u64,
    },
    /// The floor rose once in the second half: the run must be extended to
    /// tell a bounded structure's last resize from unbounded growth.
    SingleLateStep {
        /// What the floor gained in the second half.
        late_growth: i64,
        /// The iteration of the step.
        at_iteration: u64,
    },
    /// Growth needed confirming, but the extended run would not have finished
    /// within the timeout: not reported as a leak.
    CouldNotConfirm {
        /// The reason confirmation was needed.
        pending: Box<Reason>,
    },
    /// In the extended run, the floor rose in the second half, but by no more
    /// than the noise allows over that many iterations (the noise once per
    /// half of the declared run): a fluctuation, not steady growth.
    FluctuatedThroughExtension {
        /// Iterations of the extended run.
        extended_to: u64,
        /// What the floor gained in the second half of the extended run.
        late_growth: i64,
        /// The noise: the largest rise above the floor in the second half.
        noise: i64,
        /// The growth the noise allows over the extended run.
        allowed_growth: i64,
    },
    /// The growth looked like a leak when the run ended, but was released
    /// while the process was watched for the confirmation window (see
    /// `Settings::confirm_ms`): memory, handles or tasks freed by a timer or
    /// a flusher later than the settle window. Not a leak.
    ReleasedAfterRun {
        /// The reason it looked like a leak at the end of the run.
        pending: Box<Reason>,
        /// How long after the run's end it was watched until released, in
        /// milliseconds.
        waited_ms: u64,
    },
    /// Growth needed confirming, but running twice as many iterations could
    /// take a resource past its limit: not reported as a leak.
    NotExtendedNearLimit {
        /// The reason confirmation was needed.
        pending: Box<Reason>,
        /// The resource that would have passed its limit.
        limited: Resource,
        /// That limit, in the resource's unit.
        limit: i64,
    },
}

/// The series and verdict of one resource in one test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResourceReport {
    /// Which resource.
    pub resource: Resource,
    /// One sample after every iteration (warm-up included), in iteration
    /// order; the last one is the settled value read after the settle window.
    /// A run longer than 2048 iterations is kept at a bounded resolution: each
    /// point then stands for [`iterations_per_point`](Self::iterations_per_point)
    /// iterations and holds the lowest of their samples (so the retained floor
    /// stays exact), their highest being in [`peaks`](Self::peaks); the
    /// settled value is still last, a point of its own.
    pub series: Vec<i64>,
    /// Iterations each point of `series` stands for (all but the last); 1
    /// when every sample is kept.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub iterations_per_point: u64,
    /// The highest sample of each point of `series`, when points stand for
    /// more than one iteration (empty otherwise: `series` holds every sample).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peaks: Vec<i64>,
    /// The verdict on the judged part of `series`.
    pub judgement: Judgement,
}

fn one() -> u64 {
    1
}

fn is_one(value: &u64) -> bool {
    *value == 1
}

impl ResourceReport {
    /// The report of `resource`: its series, one sample per iteration, and
    /// the verdict on it.
    pub fn new(resource: Resource, series: Vec<i64>, judgement: Judgement) -> ResourceReport {
        ResourceReport {
            resource,
            series,
            iterations_per_point: 1,
            peaks: Vec::new(),
            judgement,
        }
    }

    /// The same report for a series kept at a coarser resolution: each point
    /// of `series` (its lowest sample) stands for `iterations_per_point`
    /// iterations, and `peaks` holds each point's highest sample.
    pub fn with_peaks(self, iterations_per_point: u64, peaks: Vec<i64>) -> ResourceReport {
        ResourceReport {
            iterations_per_point,
            peaks,
            ..self
        }
    }

    /// What to draw of the series: the highest sample of each point (every
    /// sample, when all are kept), so transient peaks stay visible.
    pub fn peaks_or_samples(&self) -> &[i64] {
        if self.peaks.is_empty() {
            &self.series
        } else {
            &self.peaks
        }
    }
}

/// How a run that needed more iterations than it declared was extended, and
/// why it ended where it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Extension {
    /// Iterations the run reached (its `iterations_run`; the declared ones
    /// when it could not be extended at all).
    pub extended_to: u64,
    /// Why it went no further.
    pub end: ExtensionEnd,
    /// Iterations that would let the test be judged at its declared length:
    /// present when the growth that asked for the extension stopped within
    /// it (a bounded structure larger than the declared run). Declaring them
    /// saves the extension's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_iterations: Option<u64>,
}

impl Extension {
    /// A run extended to `extended_to` iterations that ended because of `end`.
    pub fn new(
        extended_to: u64,
        end: ExtensionEnd,
        suggested_iterations: Option<u64>,
    ) -> Extension {
        Extension {
            extended_to,
            end,
            suggested_iterations,
        }
    }
}

/// Why an extended run went no further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExtensionEnd {
    /// Every resource was judged: its growth stopped, or stayed within noise.
    Judged,
    /// The cap: ten times the declared iterations
    /// (`leaktest_core::analysis::EXTENSION_CAP_FACTOR`).
    Cap,
    /// The run went past the cap while it was cheap (see
    /// `leaktest_core::analysis::next_length_past_cap`), and the next length
    /// would not have been: it would have taken the whole run past
    /// `budget_ms` of wall time, or a descriptor, thread or process count
    /// still grew.
    PastCapWhileCheap {
        /// The wall time the whole extended run may take, in milliseconds.
        budget_ms: u64,
    },
    /// The longest run of all: a hundred times the declared iterations
    /// (`leaktest_core::analysis::EXTENSION_MAX_FACTOR`), reached past the
    /// cap while each length was cheap.
    LongestRun,
    /// The next length would not have been reached within the test's timeout.
    Timeout,
    /// At its pace, a resource would have passed its limit by the next length.
    Limit {
        /// The resource.
        resource: Resource,
        /// The limit, in the resource's unit: half of the heap a test may
        /// hold, half of the process's file descriptor or process limit.
        limit: i64,
    },
}

/// Why a resource was not measured in a test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Unmeasured {
    /// Which resource.
    pub resource: Resource,
    /// Why it was not measured (platform, feature, test kind).
    pub why: String,
}

impl Unmeasured {
    /// `resource` was not measured, because `why`.
    pub fn new(resource: Resource, why: impl Into<String>) -> Unmeasured {
        Unmeasured {
            resource,
            why: why.into(),
        }
    }
}

/// How a test ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// No leak found (or, for `should_leak`, a leak found as expected).
    Passed,
    /// At least one resource grows without bound, by more per iteration
    /// than its growth budget (0 unless configured).
    Leaked,
    /// The test is marked `should_leak` but no leak was found.
    LeakNotFound,
    /// No leak beyond its growth budgets, but the test exceeded another
    /// budget (peak heap, allocation per iteration): see
    /// [`TestRecord::budgets`].
    OverBudget,
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
    /// The test's live heap grew past its memory limit and the test was
    /// stopped there (the record's `peak_heap_bytes` is the heap at that point).
    OutOfMemory {
        /// The limit that was exceeded, in bytes ([`Settings::memory_limit_bytes`]).
        limit_bytes: u64,
        /// The iteration (0-based) that was running, when known.
        iteration: Option<u64>,
    },
    /// The test was not run (`ignore`).
    Ignored {
        /// The reason given in `ignore = "..."`, if any.
        reason: Option<String>,
    },
}

/// Longest failure message a record keeps, in bytes. A panic message can be
/// megabytes on one line (`unwrap()` on an error whose `Debug` prints a huge
/// value); it is cut here, where it enters the record, so that every report
/// made from the record (terminal, JUnit, HTML, annotations) stays readable.
pub const MAX_FAILURE_MESSAGE_BYTES: usize = 64 * 1024;

/// Room kept below a bound for the note saying how much was cut.
const CUT_NOTE_BYTES: usize = 64;

/// `text`, whole when it has at most `max_bytes` bytes; else its start, cut
/// on a character boundary, and a note of how many bytes were cut, together
/// at most `max_bytes` long (so bounding twice changes nothing).
pub fn bound_text(text: String, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text;
    }
    let kept_bytes = text.floor_char_boundary(max_bytes.saturating_sub(CUT_NOTE_BYTES));
    let note = format!("\n… ({} more bytes cut)", text.len() - kept_bytes);
    let mut bounded = text;
    bounded.truncate(kept_bytes);
    bounded.push_str(&note);
    bounded
}

impl Outcome {
    /// The body failed with `message` (cut to [`MAX_FAILURE_MESSAGE_BYTES`])
    /// in `iteration`, when known.
    pub fn failed(message: impl Into<String>, iteration: Option<u64>) -> Outcome {
        Outcome::Failed {
            message: bound_text(message.into(), MAX_FAILURE_MESSAGE_BYTES),
            iteration,
        }
    }

    /// Cuts the message of a failure to [`MAX_FAILURE_MESSAGE_BYTES`], as
    /// [`Outcome::failed`] does: for records a runner reads from a harness
    /// built with an older leaktest, which did not.
    pub fn bound_failure_message(&mut self) {
        if let Outcome::Failed { message, .. } = self {
            *message = bound_text(std::mem::take(message), MAX_FAILURE_MESSAGE_BYTES);
        }
    }

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
            Outcome::OverBudget => "over budget",
            Outcome::Failed { .. } => "failed",
            Outcome::Crashed { .. } => "crashed",
            Outcome::TimedOut { .. } => "timed out",
            Outcome::OutOfMemory { .. } => "out of memory",
            Outcome::Ignored { .. } => "ignored",
        }
    }
}

/// The tokio runtime flavor an async test body runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Flavor {
    /// tokio's current-thread runtime (the default of async tests).
    CurrentThread,
    /// tokio's multi-thread runtime.
    MultiThread,
}

impl Flavor {
    /// The flavor as the attribute spells it: `current_thread`, `multi_thread`.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "current_thread",
            Flavor::MultiThread => "multi_thread",
        }
    }
}

impl std::fmt::Display for Flavor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The settings a test ran with, after defaults were applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Settings {
    /// Iterations requested (before any extension of the run).
    pub iterations: u64,
    /// Warm-up iterations, not judged.
    pub warmup: u64,
    /// The verdict is inverted: the test passes only if a leak is found.
    pub should_leak: bool,
    /// Timeout of the whole test process, in milliseconds.
    pub timeout_ms: u64,
    /// Longest settle window after the last iteration, in milliseconds.
    pub settle_ms: u64,
    /// The confirmation window, in milliseconds: before growth becomes a
    /// leak verdict, the process is watched until this long after its first
    /// measured iteration, so memory, handles and tasks released by timers
    /// or flushers later than the settle window are not taken for a leak
    /// (`confirm = "2s"`; 0 turns the wait off).
    #[serde(default = "default_confirm_ms")]
    pub confirm_ms: u64,
    /// `None` for a sync body, else the tokio flavor (`current_thread`, `multi_thread`).
    pub runtime: Option<Flavor>,
    /// Workers of a `multi_thread` runtime given by `worker_threads = N`
    /// (`None`: tokio's default, or not a multi-thread test).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_threads: Option<usize>,
    /// Whether the body runs against state built by `setup`.
    pub has_setup: bool,
    /// Most live heap bytes the test may hold before it is stopped as out of
    /// memory (`memory_limit = "2 GiB"`, `--memory-limit`, `LEAKTEST_MEMORY_LIMIT`).
    #[serde(default = "default_memory_limit_bytes")]
    pub memory_limit_bytes: u64,
}

fn default_memory_limit_bytes() -> u64 {
    DEFAULT_MEMORY_LIMIT_BYTES
}

fn default_confirm_ms() -> u64 {
    DEFAULT_CONFIRM_MS
}

impl Default for Settings {
    /// The settings of a sync `#[leak_test]` with no arguments.
    fn default() -> Settings {
        let iterations = DEFAULT_ITERATIONS;
        Settings {
            iterations,
            warmup: default_warmup(iterations),
            should_leak: false,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            settle_ms: DEFAULT_SETTLE_MS,
            confirm_ms: DEFAULT_CONFIRM_MS,
            runtime: None,
            worker_threads: None,
            has_setup: false,
            memory_limit_bytes: DEFAULT_MEMORY_LIMIT_BYTES,
        }
    }
}

/// Default number of iterations when the attribute gives none.
pub const DEFAULT_ITERATIONS: u64 = 100;
/// Default per-test timeout, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 60_000;
/// Default longest settle window after the last iteration, in milliseconds.
pub const DEFAULT_SETTLE_MS: u64 = 200;
/// Default confirmation window, in milliseconds: a test about to be
/// reported as leaking whose measured run took less is watched, with its
/// runtime and threads running, until this long after its first measured
/// iteration. Common service periods (a metrics flush every second, a
/// debounce or retry timer of a second) fit inside it.
pub const DEFAULT_CONFIRM_MS: u64 = 2_000;
/// Default memory limit of a test: 2 GiB of live heap. A leak test runs a
/// small body many times; one that holds more is far more likely to grow
/// without bound than to need it, and stopping it here reports the growth
/// instead of leaving the machine to the kernel's out-of-memory killer.
pub const DEFAULT_MEMORY_LIMIT_BYTES: u64 = 2 << 30;

/// Default warm-up for `iterations`: a tenth of the run, at least 1 and at most 50,
/// and always fewer than `iterations`.
///
/// ```
/// use leaktest_core::model::default_warmup;
/// assert_eq!(default_warmup(100), 10);
/// assert_eq!(default_warmup(2000), 50);
/// ```
pub fn default_warmup(iterations: u64) -> u64 {
    (iterations / 10)
        .clamp(1, 50)
        .min(iterations.saturating_sub(1))
}

/// The warm-up of a test run for `iterations`: the attribute's `warmup`
/// while it is below them, else [`default_warmup`].
///
/// ```
/// use leaktest_core::model::warmup_for;
/// assert_eq!(warmup_for(1000, None), 50);
/// assert_eq!(warmup_for(1000, Some(30)), 30);
/// assert_eq!(warmup_for(20, Some(30)), 2);
/// ```
pub fn warmup_for(iterations: u64, attribute_warmup: Option<u64>) -> u64 {
    match attribute_warmup {
        Some(warmup) if warmup < iterations => warmup,
        _ => default_warmup(iterations),
    }
}

/// Allocation churn of a test: how much one judged iteration allocates,
/// whether or not it is freed again (the median over the judged iterations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AllocationPerIteration {
    /// Bytes handed out by the allocator (allocations, and growth by reallocation).
    pub bytes: u64,
    /// Allocator calls that handed out memory (allocations and reallocations).
    pub count: u64,
}

impl AllocationPerIteration {
    /// `bytes` and `count` allocated per iteration.
    pub fn new(bytes: u64, count: u64) -> AllocationPerIteration {
        AllocationPerIteration { bytes, count }
    }
}

/// The complete result of one leak test, as written by its child process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
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
    /// Iterations actually run (may exceed `settings.iterations` when the run
    /// was extended to judge growth).
    pub iterations_run: u64,
    /// How the run was extended past its declared iterations, when growth
    /// asked for more of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<Extension>,
    /// Series and verdict of every measured resource.
    pub resources: Vec<ResourceReport>,
    /// Resources that could not be measured, and why.
    pub unmeasured: Vec<Unmeasured>,
    /// Highest live heap bytes seen while the test ran (within the allocator's flush granularity).
    pub peak_heap_bytes: u64,
    /// Live heap bytes just before the first iteration (after `setup`): the
    /// level `max_peak` counts from. `None` when the test did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heap_bytes_at_start: Option<u64>,
    /// What one judged iteration allocates (median); `None` when the test did
    /// not run enough iterations to tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation_per_iteration: Option<AllocationPerIteration>,
    /// Wall time of the test, in milliseconds (child process, from start to record).
    pub duration_ms: u64,
    /// Every budget the test was held to, with its source and what was
    /// measured against it (filled in by the parent, which resolves the
    /// configuration; empty in a record read straight from a child).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<BudgetCheck>,
    /// The handles of each leaking handle resource that appeared during the
    /// judged iterations and were still there at the end, named and grouped.
    /// Empty when no fds, threads or child processes leaked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaked_handles: Vec<LeakedHandles>,
    /// Processes the test left running: still alive when the test's own
    /// process ended (daemons, children never waited for). leaktest killed
    /// them; any makes the test [`Outcome::Leaked`] (filled in by the parent).
    #[serde(default)]
    pub leaked_processes: Vec<LeakedProcess>,
    /// The last lines the test printed to stdout (filled in by the parent).
    #[serde(default)]
    pub stdout_tail: String,
    /// The last lines the test printed to stderr (filled in by the parent).
    #[serde(default)]
    pub stderr_tail: String,
    /// Where the heap growth comes from: the allocation sites found by the
    /// test's attribution run (filled in by the parent, which runs it for a
    /// heap leak unless turned off, or for every test when asked). `None`
    /// when there was no attribution run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
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
            extension: None,
            resources: Vec::new(),
            unmeasured: Vec::new(),
            peak_heap_bytes: 0,
            heap_bytes_at_start: None,
            allocation_per_iteration: None,
            duration_ms,
            budgets: Vec::new(),
            leaked_handles: Vec::new(),
            leaked_processes: Vec::new(),
            stdout_tail: String::new(),
            stderr_tail: String::new(),
            attribution: None,
        }
    }

    /// The resources judged to leak.
    pub fn leaking_resources(&self) -> impl Iterator<Item = &ResourceReport> {
        self.resources.iter().filter(|r| r.judgement.leaking)
    }

    /// The named handles of one leaking resource, if it has any.
    pub fn leaked_handles_of(&self, resource: Resource) -> Option<&LeakedHandles> {
        self.leaked_handles.iter().find(|h| h.resource == resource)
    }

    /// The report of one resource, if it was measured.
    pub fn resource(&self, resource: Resource) -> Option<&ResourceReport> {
        self.resources.iter().find(|r| r.resource == resource)
    }

    /// The resource a one-line summary of the test charts: the first leaking
    /// resource beyond its growth budget (what failed the test), else the
    /// first leaking one (a leak a budget tolerates, or a `should_leak`
    /// test's), else the heap.
    pub fn charted_resource(&self) -> Option<&ResourceReport> {
        let beyond_budget = |report: &&ResourceReport| {
            self.budgets
                .iter()
                .find(|check| check.budget == Budget::Growth(report.resource))
                .is_none_or(|check| check.exceeded)
        };
        self.leaking_resources()
            .find(beyond_budget)
            .or_else(|| self.leaking_resources().next())
            .or_else(|| self.resource(Resource::HeapBytes))
    }

    /// Whether the heap (bytes or blocks) was judged to leak.
    pub fn heap_leaked(&self) -> bool {
        self.leaking_resources()
            .any(|report| matches!(report.resource, Resource::HeapBytes | Resource::HeapBlocks))
    }

    /// The test's own peak: its peak live heap above the level before the
    /// first iteration (what `max_peak` limits). `None` when the test did not run.
    pub fn peak_heap_bytes_above_start(&self) -> Option<u64> {
        self.heap_bytes_at_start
            .map(|start| self.peak_heap_bytes.saturating_sub(start))
    }

    /// The budgets the test exceeded.
    pub fn exceeded_budgets(&self) -> impl Iterator<Item = &BudgetCheck> {
        self.budgets.iter().filter(|check| check.exceeded)
    }
}

/// What kind of handle a [`HandleGroup`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HandleKind {
    /// A descriptor of a path: file, directory, device, FIFO.
    File,
    /// A descriptor of one end of a pipe.
    Pipe,
    /// A descriptor without a path: `eventfd`, `eventpoll`, `timerfd`, ...
    AnonInode,
    /// A TCP socket over IPv4.
    Tcp,
    /// A TCP socket over IPv6.
    Tcp6,
    /// A UDP socket over IPv4.
    Udp,
    /// A UDP socket over IPv6.
    Udp6,
    /// A raw IPv4 socket.
    Raw,
    /// A raw IPv6 socket.
    Raw6,
    /// A unix domain socket.
    Unix,
    /// A netlink socket.
    Netlink,
    /// A socket of a family `/proc/self/net` does not list (packet, vsock, ...).
    Socket,
    /// Another kernel object (a namespace, a `pidfd`, ...).
    KernelObject,
    /// A thread of the process.
    Thread,
    /// A child process not yet reaped.
    ChildProcess,
}

impl HandleKind {
    /// The word a handle line starts with: `file`, `pipe`, `tcp`, `thread`, `child`, ...
    pub fn label(self) -> &'static str {
        match self {
            HandleKind::File => "file",
            HandleKind::Pipe => "pipe",
            HandleKind::AnonInode => "anon_inode",
            HandleKind::Tcp => "tcp",
            HandleKind::Tcp6 => "tcp6",
            HandleKind::Udp => "udp",
            HandleKind::Udp6 => "udp6",
            HandleKind::Raw => "raw",
            HandleKind::Raw6 => "raw6",
            HandleKind::Unix => "unix",
            HandleKind::Netlink => "netlink",
            HandleKind::Socket => "socket",
            HandleKind::KernelObject => "kernel object",
            HandleKind::Thread => "thread",
            HandleKind::ChildProcess => "child",
        }
    }
}

/// Handles of one kind that share a name, counted. Parts that differ between
/// otherwise equal handles (ephemeral ports, process ids, inode numbers) are
/// shown as `*`; paths and thread names are never merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HandleGroup {
    /// How many handles the group holds.
    pub count: u64,
    /// Their kind.
    pub kind: HandleKind,
    /// What they point to, after the kind: `127.0.0.1:* LISTEN`,
    /// `/var/log/app.log`, `"watcher"`, `pid *: sleep 60`, `(read end)`.
    pub name: String,
}

impl HandleGroup {
    /// `count` handles of `kind` named `name`.
    pub fn new(count: u64, kind: HandleKind, name: impl Into<String>) -> HandleGroup {
        HandleGroup {
            count,
            kind,
            name: name.into(),
        }
    }
}

/// Why leaked handles could not be named (its sentence is
/// `leaktest_core::render::handles_unnamed_sentence`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum HandlesUnnamed {
    /// Handles are named from Linux's `/proc`, which this platform lacks.
    NotLinux,
    /// A `/proc` file or directory needed to list them could not be read.
    ProcUnreadable {
        /// The path that could not be read.
        path: String,
        /// The operating system's error.
        error: String,
    },
}

/// The handles of one leaking resource (fds, threads, child processes) that
/// appeared during the judged iterations and were still there once the
/// series was complete, grouped by what they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LeakedHandles {
    /// `fds`, `threads` or `child_processes`.
    pub resource: Resource,
    /// How many handles appeared and stayed (the sum of every group's count,
    /// omitted ones included).
    pub appeared: u64,
    /// The groups, largest first.
    pub groups: Vec<HandleGroup>,
    /// Groups left out of `groups` to keep the record small.
    #[serde(default)]
    pub omitted_groups: u64,
    /// Handles in the groups left out.
    #[serde(default)]
    pub omitted_handles: u64,
    /// Set when the handles could not be named (`groups` is then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unnamed: Option<HandlesUnnamed>,
}

impl LeakedHandles {
    /// The handles of `resource`, in `groups` (largest first), with
    /// `omitted_groups` more groups of `omitted_handles` handles left out.
    pub fn named(
        resource: Resource,
        groups: Vec<HandleGroup>,
        omitted_groups: u64,
        omitted_handles: u64,
    ) -> LeakedHandles {
        LeakedHandles {
            resource,
            appeared: groups.iter().map(|group| group.count).sum::<u64>() + omitted_handles,
            groups,
            omitted_groups,
            omitted_handles,
            unnamed: None,
        }
    }

    /// The record of a resource whose handles could not be named.
    pub fn unnamed(resource: Resource, why: HandlesUnnamed) -> LeakedHandles {
        LeakedHandles {
            resource,
            appeared: 0,
            groups: Vec::new(),
            omitted_groups: 0,
            omitted_handles: 0,
            unnamed: Some(why),
        }
    }
}

/// A process a test left running after its own process ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LeakedProcess {
    /// Its process id (it has been killed since).
    pub pid: u32,
    /// Its command line, arguments separated by spaces (its name in
    /// parentheses when the command line could not be read).
    pub command: String,
}

impl LeakedProcess {
    /// Process `pid`, running `command`.
    pub fn new(pid: u32, command: impl Into<String>) -> LeakedProcess {
        LeakedProcess {
            pid,
            command: command.into(),
        }
    }
}

/// A test as listed by a harness binary (`LEAKTEST_DESCRIBE=1`), before it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TestDescription {
    /// Test name, as in [`TestRecord::name`].
    pub name: String,
    /// Source file and line.
    pub location: String,
    /// Its settings after defaults.
    pub settings: Settings,
    /// `Some` when the test is ignored (the reason may be empty).
    pub ignored: Option<String>,
    /// What its attribute set itself (iterations, timeout, budgets), for
    /// runners that resolve the configuration layers.
    #[serde(default)]
    pub attribute: AttributeSettings,
}

impl TestDescription {
    /// A test named `name`, defined at `location`, with these settings, not ignored.
    pub fn new(
        name: impl Into<String>,
        location: impl Into<String>,
        settings: Settings,
    ) -> TestDescription {
        TestDescription {
            name: name.into(),
            location: location.into(),
            settings,
            ignored: None,
            attribute: AttributeSettings::default(),
        }
    }
}

/// Everything a harness binary says about itself when asked to describe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HarnessDescription {
    /// Always [`SCHEMA_VERSION`] when written by this version.
    pub schema_version: u32,
    /// Version of leaktest-core the binary was built with.
    pub leaktest_version: String,
    /// Its tests, in name order.
    pub tests: Vec<TestDescription>,
    /// The type name of the global allocator the counting allocator wraps
    /// (`std::alloc::System` for `main!()`), `None` when the test file
    /// installed it itself (`main!(allocator = installed)`). Baselines keep
    /// it: figures measured with another allocator do not compare.
    #[serde(default)]
    pub allocator: Option<String>,
}

impl HarnessDescription {
    /// The description of a harness of this leaktest version holding
    /// `tests`, its allocator not known.
    pub fn new(tests: Vec<TestDescription>) -> HarnessDescription {
        HarnessDescription {
            schema_version: SCHEMA_VERSION,
            leaktest_version: env!("CARGO_PKG_VERSION").to_owned(),
            tests,
            allocator: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_failure_message_is_cut_on_a_char_boundary_saying_how_much() {
        // 'é' is two bytes: a cut at an odd byte must step back.
        let huge = "é".repeat(MAX_FAILURE_MESSAGE_BYTES);
        let Outcome::Failed { message, .. } = Outcome::failed(huge.clone(), Some(3)) else {
            panic!("not a failure");
        };
        assert!(
            message.len() <= MAX_FAILURE_MESSAGE_BYTES,
            "{}",
            message.len()
        );
        let (kept, note) = message.rsplit_once('\n').expect("a note");
        assert!(huge.starts_with(kept));
        assert_eq!(
            note,
            format!("… ({} more bytes cut)", huge.len() - kept.len())
        );
        // Bounding again changes nothing; a short message is kept whole.
        assert_eq!(
            bound_text(message.clone(), MAX_FAILURE_MESSAGE_BYTES),
            message
        );
        let mut short = Outcome::failed("boom", None);
        short.bound_failure_message();
        assert_eq!(
            short,
            Outcome::Failed {
                message: "boom".to_owned(),
                iteration: None
            }
        );
    }

    #[test]
    fn a_record_from_an_older_harness_gets_its_message_bounded() {
        let mut outcome = Outcome::Failed {
            message: "x".repeat(3 * MAX_FAILURE_MESSAGE_BYTES),
            iteration: None,
        };
        outcome.bound_failure_message();
        let Outcome::Failed { message, .. } = outcome else {
            panic!("not a failure");
        };
        assert!(message.len() <= MAX_FAILURE_MESSAGE_BYTES);
        assert!(
            message.ends_with(" more bytes cut)"),
            "{}",
            &message[message.len() - 40..]
        );
    }

    #[test]
    fn the_charted_resource_is_what_failed_the_test() {
        let test = TestDescription::new("t", "t.rs:1", Settings::default());
        let mut record = TestRecord::without_run(&test, Outcome::Leaked, 1);
        let report = |resource, leaking| {
            let judgement = Judgement::new(resource, leaking, 0, 0.0, 90, Reason::NoRetainedGrowth);
            ResourceReport::new(resource, vec![0; 100], judgement)
        };
        let charted = |record: &TestRecord| record.charted_resource().map(|r| r.resource);
        assert_eq!(charted(&record), None);
        record.resources = vec![
            report(Resource::HeapBytes, false),
            report(Resource::NativeHeapBytes, true),
            report(Resource::Fds, true),
        ];
        assert_eq!(charted(&record), Some(Resource::NativeHeapBytes));
        // A native leak its budget tolerates did not fail the test; fds did.
        let within = ResolvedBudget::new(
            Budget::Growth(Resource::NativeHeapBytes),
            64,
            ConfigSource::Attribute,
        );
        record.budgets = vec![BudgetCheck::new(&within, Some(24.0), false)];
        assert_eq!(charted(&record), Some(Resource::Fds));
        record.resources[2] = report(Resource::Fds, false);
        assert_eq!(charted(&record), Some(Resource::NativeHeapBytes));
        record.resources[1] = report(Resource::NativeHeapBytes, false);
        assert_eq!(charted(&record), Some(Resource::HeapBytes));
    }

    #[test]
    fn leaked_handles_serialize_with_snake_case_kinds_and_reasons() {
        let named = LeakedHandles::named(
            Resource::ChildProcesses,
            vec![HandleGroup::new(
                2,
                HandleKind::ChildProcess,
                "pid *: sleep 60",
            )],
            0,
            0,
        );
        assert_eq!(
            serde_json::to_string(&named).expect("serialize"),
            r#"{"resource":"child_processes","appeared":2,"groups":[{"count":2,"kind":"child_process","name":"pid *: sleep 60"}],"omitted_groups":0,"omitted_handles":0}"#
        );
        let unnamed = LeakedHandles::unnamed(
            Resource::Fds,
            HandlesUnnamed::ProcUnreadable {
                path: "/proc/self/fd".to_owned(),
                error: "denied".to_owned(),
            },
        );
        let json = serde_json::to_string(&unnamed).expect("serialize");
        assert!(
            json.contains(
                r#""unnamed":{"reason":"proc_unreadable","path":"/proc/self/fd","error":"denied"}"#
            ),
            "{json}"
        );
        assert_eq!(
            serde_json::from_str::<LeakedHandles>(&json).expect("parse"),
            unnamed
        );
    }

    #[test]
    fn a_record_without_leaked_handles_reads_as_none_leaked() {
        let test = TestDescription::new("t", "tests/leaks.rs:1", Settings::default());
        let record = TestRecord::without_run(&test, Outcome::Passed, 1);
        let json = serde_json::to_string(&record).expect("serialize");
        assert!(
            !json.contains("leaked_handles"),
            "omitted when empty: {json}"
        );
        let read: TestRecord = serde_json::from_str(&json).expect("parse");
        assert!(read.leaked_handles.is_empty());
    }
}
