//! Runs a test body through its iterations, samples after each one, lets the
//! process settle, judges the series, and extends the run once when a single
//! late step needs confirming.

use crate::alloc;
use crate::analysis::{self, SettleTracker, Verdict};
use crate::census::{self, HandleCounts};
use crate::handle_names::{self, HandleRoom};
use crate::model::{
    Judgement, LeakedHandles, Outcome, Reason, Resource, ResourceReport, Settings, TestRecord,
    Unmeasured, SCHEMA_VERSION,
};
use crate::native_heap;
use crate::sampling::{Sample, SampleLog, SampledResources};
use std::any::Any;
use std::fmt::Debug;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What one iteration of a body returns: `Err` carries the failure message.
pub type TestResult = Result<(), String>;

/// Turns what a test body returns into a [`TestResult`], as `#[test]` accepts
/// `()` and `Result<(), E: Debug>`.
#[diagnostic::on_unimplemented(
    message = "a leak test must return `()` or `Result<(), E>` with `E: Debug`, not `{Self}`",
    label = "this return type is not supported by #[leak_test]"
)]
pub trait IntoTestResult {
    /// Converts the body's return value.
    fn into_test_result(self) -> TestResult;
}

impl IntoTestResult for () {
    fn into_test_result(self) -> TestResult {
        Ok(())
    }
}

impl<E: Debug> IntoTestResult for Result<(), E> {
    fn into_test_result(self) -> TestResult {
        self.map_err(|error| format!("Error: {error:?}"))
    }
}

/// Interval between readings of the settle window.
const SETTLE_INTERVAL: Duration = Duration::from_millis(5);
/// Readings that must not fall further before the counters count as settled
/// (with [`SETTLE_INTERVAL`], a quiet period of 25 ms).
const SETTLE_QUIET_READINGS: usize = 5;
/// The confirming extension runs the test to this many times its iterations.
const CONFIRMATION_FACTOR: u64 = 2;

/// A failure of the body, with the iteration it happened in.
#[derive(Debug, Clone)]
struct BodyFailure {
    message: String,
    iteration: Option<u64>,
    /// For a panic, the heap's peak before it was reported: printing its
    /// backtrace allocates, and that is no part of the test.
    peak_heap_bytes: Option<u64>,
}

impl BodyFailure {
    /// The failure of a panic caught with `payload`, told as the panic's hook
    /// saw it (message and location) when it did.
    fn panicked(payload: &(dyn Any + Send), prefix: &str, iteration: Option<u64>) -> BodyFailure {
        match crate::panic_capture::take() {
            Some(captured) => BodyFailure {
                message: format!("{prefix}{}", captured.describe()),
                iteration,
                peak_heap_bytes: Some(captured.peak_heap_bytes),
            },
            None => BodyFailure {
                message: format!("{prefix}panicked: {}", panic_message(payload)),
                iteration,
                peak_heap_bytes: None,
            },
        }
    }
}

/// The iteration the body is running, `u64::MAX` while none is: read by the
/// memory limit's report, which runs inside the allocator.
static ITERATION_IN_PROGRESS: AtomicU64 = AtomicU64::new(u64::MAX);

/// The iteration (0-based) the body of this process's test is running, if any.
pub(crate) fn iteration_in_progress() -> Option<u64> {
    Some(ITERATION_IN_PROGRESS.load(Ordering::Relaxed)).filter(|&iteration| iteration != u64::MAX)
}

/// Drives one leak test. Created by the harness; the `#[leak_test]` expansion
/// calls one of its `run_*` methods with the body.
pub struct Driver {
    settings: Settings,
    log: SampleLog,
    iterations_run: u64,
    failure: Option<BodyFailure>,
    reports: Vec<ResourceReport>,
    unmeasured: Vec<Unmeasured>,
    /// Per resource, how far readings moved during settle windows.
    fluctuation_at_rest: Sample,
    /// When the test's process will be killed, if known.
    deadline: Option<Instant>,
    /// Live heap bytes just before the first iteration.
    heap_bytes_at_start: Option<u64>,
    /// The handles of each leaking handle resource that appeared during the
    /// judged iterations, named once the series is complete.
    leaked_handles: Vec<LeakedHandles>,
}

/// What the settle window found.
struct Settled {
    /// The lowest reading of each resource.
    reading: Sample,
    /// The largest fall of each resource during the window.
    fluctuation: Sample,
}

/// How the judgement treats a single late step or growth that stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Judging {
    /// The first run: such a resource asks for the confirming extension.
    FirstRun,
    /// The extended run: such a resource is judged for good.
    Confirming,
    /// The extension would not finish within the timeout: such a resource is
    /// reported as not leaking, saying it could not be confirmed.
    CannotConfirm,
}

impl Driver {
    /// A driver for a test with these settings (which say whether the body is
    /// async, and on which runtime).
    pub fn new(settings: Settings) -> Self {
        let capacity = settings
            .iterations
            .saturating_mul(CONFIRMATION_FACTOR)
            .saturating_add(1);
        let capacity = usize::try_from(capacity).unwrap_or(usize::MAX);
        Driver {
            settings,
            log: SampleLog::with_capacity(capacity),
            iterations_run: 0,
            failure: None,
            reports: Vec::new(),
            unmeasured: Vec::new(),
            fluctuation_at_rest: Sample::default(),
            deadline: None,
            heap_bytes_at_start: None,
            leaked_handles: Vec::new(),
        }
    }

    /// Ends the run by `deadline`: the confirming extension is skipped when it
    /// would not finish by then (the process would be killed as timed out).
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Runs a sync body with no state.
    pub fn run_sync<F: FnMut() -> TestResult>(&mut self, mut body: F) {
        self.measure(&mut body, &mut std::thread::sleep, None);
    }

    /// Builds state with `setup` once, then runs the body against it every iteration.
    /// The state is dropped after the verdict, outside the measured series.
    pub fn run_sync_with_setup<S, Setup, F>(&mut self, setup: Setup, mut body: F)
    where
        Setup: FnOnce() -> S,
        F: FnMut(&mut S) -> TestResult,
    {
        let mut state = match catch_unwind(AssertUnwindSafe(setup)) {
            Ok(state) => state,
            Err(payload) => {
                self.fail_setup(payload);
                return;
            }
        };
        self.measure(&mut || body(&mut state), &mut std::thread::sleep, None);
        drop(state);
    }

    /// Records that the setup panicked with `payload`.
    pub(crate) fn fail_setup(&mut self, payload: Box<dyn Any + Send>) {
        self.failure = Some(BodyFailure::panicked(&*payload, "setup ", None));
    }

    /// The iteration loop shared by every body kind.
    ///
    /// `step` runs one iteration, `idle` waits while letting background work run
    /// (a plain sleep, or the tokio runtime driving its tasks), `alive_tasks`
    /// reads the tokio task census.
    ///
    /// The handles are listed off the measured path: once after the body of
    /// the last warm-up iteration and before its sample, into room reserved
    /// before the first iteration (the listing frees what else it allocates
    /// and closes the directory it read before the sample), and once more
    /// after the last verdict, only when a handle resource leaks.
    pub(crate) fn measure(
        &mut self,
        step: &mut dyn FnMut() -> TestResult,
        idle: &mut dyn FnMut(Duration),
        alive_tasks: Option<&dyn Fn() -> i64>,
    ) {
        let probe = if census::unmeasured_reason().is_none() {
            HandleCounts::now()
        } else {
            HandleCounts::default()
        };
        let native = native_heap::availability();
        let which = SampledResources::readable_in(&probe, native.is_ok(), alive_tasks.is_some());
        self.note_unmeasured(which, native.err());
        let read = |which, previous: &Sample| {
            Sample::take(which, alive_tasks.map(|tasks| tasks()), previous)
        };
        // The handles are listed into room reserved now, at the end of the
        // warm-up (right away without one), to name those that leak later.
        let mut handle_room = which.census().then(|| HandleRoom::reserve(&probe));
        let mut handle_baseline = None;
        let warmup = self.settings.warmup;
        let mut record_handles_after = |iterations_run: u64| {
            if iterations_run == warmup {
                if let Some(room) = handle_room.take() {
                    handle_baseline = Some(room.record());
                }
            }
        };
        record_handles_after(0);
        alloc::reset_peak();
        self.heap_bytes_at_start = u64::try_from(alloc::HeapStats::now().live_bytes).ok();
        let measuring_since = Instant::now();
        let mut target = self.settings.iterations;
        let mut judging = Judging::FirstRun;
        loop {
            while self.iterations_run < target {
                let iteration = self.iterations_run;
                ITERATION_IN_PROGRESS.store(iteration, Ordering::Relaxed);
                let outcome = catch_unwind(AssertUnwindSafe(&mut *step));
                let failure = match outcome {
                    Ok(Ok(())) => None,
                    Ok(Err(message)) => Some(BodyFailure {
                        message,
                        iteration: Some(iteration),
                        peak_heap_bytes: None,
                    }),
                    Err(payload) => Some(BodyFailure::panicked(&*payload, "", Some(iteration))),
                };
                if failure.is_some() {
                    self.failure = failure;
                    return;
                }
                record_handles_after(self.iterations_run + 1);
                let previous = self.log.last().copied().unwrap_or_default();
                self.log.push(read(which, &previous));
                self.iterations_run += 1;
            }
            let settled = self.settle(which, idle, &read);
            self.log.settle_last(settled.reading);
            self.fluctuation_at_rest = Sample::from_fn(|resource| {
                settled
                    .fluctuation
                    .get(resource)
                    .max(self.fluctuation_at_rest.get(resource))
            });
            if let Some(reports) = self.judge(which, judging) {
                self.reports = reports;
                break;
            }
            target = self.settings.iterations.saturating_mul(CONFIRMATION_FACTOR);
            judging = Judging::Confirming;
            if !self.extension_fits(measuring_since, target) {
                self.reports = self
                    .judge(which, Judging::CannotConfirm)
                    .unwrap_or_default();
                break;
            }
        }
        if let Some(baseline) = &handle_baseline {
            let leaking: Vec<Resource> = self
                .reports
                .iter()
                .filter(|report| report.judgement.leaking)
                .map(|report| report.resource)
                .collect();
            self.leaked_handles = handle_names::name_leaked(baseline, &leaking);
        }
    }

    /// Re-reads the counters until no resource falls any further (or the settle
    /// window ends). The settled value of each resource is the lowest reading
    /// (what is still held once transient memory is gone), and how much the
    /// readings moved while the body was not running is noise the verdict must
    /// allow for. Allocates nothing: every reading counts the same heap.
    fn settle(
        &self,
        which: SampledResources,
        idle: &mut dyn FnMut(Duration),
        read: &dyn Fn(SampledResources, &Sample) -> Sample,
    ) -> Settled {
        let last = self.log.last().copied().unwrap_or_default();
        let first = read(which, &last);
        if nothing_else_runs(which, &first) {
            return Settled {
                reading: first,
                fluctuation: Sample::default(),
            };
        }
        // A counter still above where the judged part started may be waiting
        // for work that finishes later (a task's timer, a queue another thread
        // drains): it is given the whole window to come back. One at or below
        // that level only needs to stop falling.
        let baseline = self
            .log
            .at((self.settings.warmup as usize).saturating_sub(1))
            .copied()
            .unwrap_or(first);
        let deadline = Instant::now() + Duration::from_millis(self.settings.settle_ms);
        let mut trackers = Resource::ALL.map(|resource| SettleTracker::new(first.get(resource)));
        let mut latest = first;
        while Instant::now() < deadline {
            idle(SETTLE_INTERVAL);
            latest = read(which, &latest);
            for (tracker, resource) in trackers.iter_mut().zip(Resource::ALL) {
                tracker.push(latest.get(resource));
            }
            let all_settled = trackers
                .iter()
                .zip(Resource::ALL)
                .filter(|(_, resource)| which.includes(*resource))
                .all(|(tracker, resource)| {
                    tracker.has_settled(SETTLE_QUIET_READINGS)
                        && latest.get(resource) <= baseline.get(resource)
                });
            if all_settled {
                break;
            }
        }
        let tracker_of = |resource: Resource| {
            let index = Resource::ALL
                .iter()
                .position(|&r| r == resource)
                .unwrap_or(0);
            trackers[index]
        };
        Settled {
            reading: Sample::from_fn(|resource| tracker_of(resource).lowest()),
            fluctuation: Sample::from_fn(|resource| tracker_of(resource).fluctuation()),
        }
    }

    /// Whether running up to `target` iterations, at the pace so far, ends
    /// before the deadline (with a tenth of the time left as margin).
    fn extension_fits(&self, measuring_since: Instant, target: u64) -> bool {
        let Some(deadline) = self.deadline else {
            return true;
        };
        let elapsed = measuring_since.elapsed();
        let per_iteration = elapsed / self.iterations_run.max(1) as u32;
        let remaining = target.saturating_sub(self.iterations_run) as u32;
        let projected = per_iteration.saturating_mul(remaining)
            + Duration::from_millis(self.settings.settle_ms);
        let now = Instant::now();
        let margin = deadline.saturating_duration_since(now) / 10;
        now + projected + margin < deadline
    }

    /// Judges every sampled resource. Returns `None` when one needs confirming
    /// on the first run (the reports are dropped before the run goes on, so
    /// they are not counted as growth of the extension).
    fn judge(&self, which: SampledResources, judging: Judging) -> Option<Vec<ResourceReport>> {
        let warmup = self.settings.warmup as usize;
        let confirming = judging == Judging::Confirming;
        let mut reports = Vec::new();
        for resource in which.resources() {
            let series = self.log.series(resource);
            let options =
                analysis::Options::with_fluctuation_at_rest(self.fluctuation_at_rest.get(resource));
            let analysed = analysis::analyze_with(&series, warmup, confirming, &options);
            let mut judgement = analysed.judgement(resource);
            if analysed.verdict == Verdict::NeedsConfirmation {
                if judging == Judging::FirstRun {
                    return None;
                }
                judgement = Judgement::new(
                    resource,
                    false,
                    analysed.retained_growth,
                    analysed.growth_per_iteration,
                    analysed.judged_iterations,
                    Reason::CouldNotConfirm {
                        pending: Box::new(analysed.reason),
                    },
                );
            }
            reports.push(ResourceReport::new(resource, series, judgement));
        }
        Some(reports)
    }

    fn note_unmeasured(
        &mut self,
        which: SampledResources,
        native: Option<native_heap::NativeHeapUnavailable>,
    ) {
        self.unmeasured.clear();
        if let Some(why) = native {
            self.unmeasured
                .push(Unmeasured::new(Resource::NativeHeapBytes, why.to_string()));
        }
        let census_reason = census::unmeasured_reason();
        for resource in [Resource::Fds, Resource::Threads, Resource::ChildProcesses] {
            if which.includes(resource) {
                continue;
            }
            let why = census_reason.map_or_else(
                || format!("/proc/self could not tell the {resource} of this process"),
                str::to_owned,
            );
            self.unmeasured.push(Unmeasured::new(resource, why));
        }
        if !which.tasks && self.settings.runtime.is_some() {
            self.unmeasured.push(Unmeasured::new(
                Resource::TokioTasks,
                "the tokio runtime did not report its tasks",
            ));
        }
    }

    /// The record of this run.
    pub fn into_record(self, name: String, location: String, duration: Duration) -> TestRecord {
        let leaked = self.reports.iter().any(|report| report.judgement.leaking);
        let ran = self.failure.is_some() || self.iterations_run > 0;
        let outcome = match (&self.failure, ran) {
            (Some(failure), _) => Outcome::Failed {
                message: failure.message.clone(),
                iteration: failure.iteration,
            },
            (None, false) => Outcome::Failed {
                message: "the test body was never run (leaktest-macros and leaktest-core versions differ?)".to_owned(),
                iteration: None,
            },
            (None, true) => match (leaked, self.settings.should_leak) {
                (true, false) => Outcome::Leaked,
                (false, true) => Outcome::LeakNotFound,
                _ => Outcome::Passed,
            },
        };
        let allocation_per_iteration = self
            .log
            .allocation_per_iteration(self.settings.warmup as usize);
        let peak_heap_bytes = self
            .failure
            .as_ref()
            .and_then(|failure| failure.peak_heap_bytes)
            .unwrap_or_else(alloc::peak_live_bytes);
        TestRecord {
            schema_version: SCHEMA_VERSION,
            name,
            location,
            outcome,
            settings: self.settings,
            iterations_run: self.iterations_run,
            resources: self.reports,
            unmeasured: self.unmeasured,
            peak_heap_bytes,
            heap_bytes_at_start: self.heap_bytes_at_start,
            allocation_per_iteration,
            duration_ms: duration.as_millis() as u64,
            budgets: Vec::new(),
            leaked_handles: self.leaked_handles,
            leaked_processes: Vec::new(),
            stdout_tail: String::new(),
            stderr_tail: String::new(),
        }
    }

    /// The settings of the test being driven.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub(crate) fn record_failure(&mut self, message: String) {
        self.failure = Some(BodyFailure {
            message,
            iteration: None,
            peak_heap_bytes: None,
        });
    }
}

/// True when the reading proves nothing can change behind the test's back: the
/// process has a single thread (the one running the test) and no runtime.
/// Then no other thread can free memory, close a descriptor or reap a child,
/// and waiting would only cost time.
fn nothing_else_runs(which: SampledResources, reading: &Sample) -> bool {
    which.threads && !which.tasks && reading.threads == 1
}

/// The message of a panic payload (`&str` or `String`), else a placeholder.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}
