//! Runs a test body through its iterations, samples after each one, lets the
//! process settle, judges the series, and extends the run (doubling it, up to
//! ten times the declared iterations) while growth needs more iterations to
//! be told from a bounded structure filling up, within the timeout and the
//! process's limits.

use crate::alloc;
use crate::analysis::{self, SeriesAnalysis, SettleTracker, Verdict};
#[cfg(feature = "attribution")]
use crate::attribution::windows::{run_windows, WindowPlan, WindowsEnd, WindowsRun};
use crate::census::{self, HandleCounts};
use crate::handle_names::{self, HandleRoom};
use crate::model::{
    Extension, ExtensionEnd, HandlesUnnamed, LeakedHandles, Outcome, Resource, ResourceReport,
    Settings, TestRecord, Unmeasured, SCHEMA_VERSION,
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
/// Past the cap, the run is extended only while the whole measured run, at
/// its pace, would end within this much wall time: cheap bodies settle caches
/// far larger than ten times their declared iterations, well inside any
/// timeout, while a slow body stops at the cap as before.
const EXTENSION_WALL_BUDGET: Duration = Duration::from_millis(1500);
/// Interval between readings of the confirmation wait: longer than the
/// settle window's, as the wait is longer and only its lowest reading counts.
const CONFIRM_INTERVAL: Duration = Duration::from_millis(10);
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
    extension: Option<Extension>,
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
    /// In an attribution run, the profiled windows to run instead of judging.
    #[cfg(feature = "attribution")]
    attribution_windows: Option<WindowPlan>,
    /// In an attribution run, what the windows did.
    #[cfg(feature = "attribution")]
    windows_run: Option<WindowsRun>,
}

/// The readings taken after a run, while the body does not run: memory
/// other threads free a moment later, tasks that finish a moment later.
struct SettleWindow {
    /// Each resource's readings so far.
    trackers: [SettleTracker; Resource::ALL.len()],
    /// The latest reading.
    latest: Sample,
    /// Where the judged part started (the end of the warm-up).
    baseline: Sample,
    /// When the window closes.
    deadline: Instant,
    /// Nothing else can change the counters: the first reading is final.
    nothing_else_runs: bool,
}

/// How long a settle window waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Patience {
    /// Until no counter falls any further.
    UntilStill,
    /// Until no counter falls any further and each is back at or below its
    /// level at the end of the warm-up: a counter still above it may be
    /// waiting for work that finishes later (a task's timer, a queue another
    /// thread drains), so it gets the whole window to come back.
    Whole,
}

/// What the run does after a judgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Every resource is judged.
    Judged,
    /// Growth needs more iterations: run on to this many.
    RunOn(u64),
    /// Growth needs more iterations, and the run cannot go on.
    End(ExtensionEnd),
}

impl SettleWindow {
    fn tracker(&self, resource: Resource) -> SettleTracker {
        let index = Resource::ALL
            .iter()
            .position(|&r| r == resource)
            .unwrap_or(0);
        self.trackers[index]
    }

    fn satisfies(&self, which: SampledResources, patience: Patience) -> bool {
        which.resources().all(|resource| {
            self.tracker(resource).has_settled(SETTLE_QUIET_READINGS)
                && (patience == Patience::UntilStill
                    || self.latest.get(resource) <= self.baseline.get(resource))
        })
    }

    /// Whether waiting longer can change nothing: the counters cannot move,
    /// the window has closed, or they are settled even for [`Patience::Whole`].
    fn is_over(&self, which: SampledResources) -> bool {
        self.nothing_else_runs
            || Instant::now() >= self.deadline
            || self.satisfies(which, Patience::Whole)
    }
}

impl Driver {
    /// A driver for a test with these settings (which say whether the body is
    /// async, and on which runtime).
    pub fn new(settings: Settings) -> Self {
        let longest_run = settings
            .iterations
            .saturating_mul(analysis::EXTENSION_MAX_FACTOR)
            .saturating_add(1);
        Driver {
            log: SampleLog::new(settings.warmup, longest_run),
            settings,
            iterations_run: 0,
            failure: None,
            reports: Vec::new(),
            extension: None,
            unmeasured: Vec::new(),
            fluctuation_at_rest: Sample::default(),
            deadline: None,
            heap_bytes_at_start: None,
            leaked_handles: Vec::new(),
            #[cfg(feature = "attribution")]
            attribution_windows: None,
            #[cfg(feature = "attribution")]
            windows_run: None,
        }
    }

    /// Makes this an attribution run: the body runs through `plan`'s warm-up
    /// and profiled windows, nothing is sampled or judged.
    #[cfg(feature = "attribution")]
    pub(crate) fn with_attribution_windows(mut self, plan: WindowPlan) -> Self {
        self.attribution_windows = Some(plan);
        self
    }

    /// What the profiled windows of an attribution run did, once run.
    #[cfg(feature = "attribution")]
    pub(crate) fn take_windows_run(&mut self) -> Option<WindowsRun> {
        self.windows_run.take()
    }

    /// Ends the run by `deadline`: the run is not extended to a length it
    /// would not reach by then (the process would be killed as timed out).
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
        #[cfg(feature = "attribution")]
        if let Some(plan) = self.attribution_windows.take() {
            let run = run_windows(&plan, step, idle, alive_tasks.is_some());
            self.iterations_run = run.iterations_run;
            if let WindowsEnd::BodyFailed { message, iteration } = &run.end {
                self.failure = Some(BodyFailure {
                    message: message.clone(),
                    iteration: Some(*iteration),
                    peak_heap_bytes: None,
                });
            }
            self.windows_run = Some(run);
            return;
        }
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
        let declared = self.settings.iterations;
        let mut target = declared;
        'run: loop {
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
            // While the run goes on, the counters only need to stop falling:
            // the verdict can only move from "needs more iterations" towards
            // a pass as they settle further (a lower last sample lowers the
            // late growth and raises the noise). When the run ends, they get
            // the whole window before the verdict.
            let mut window = self.open_settle_window(which, &read);
            let mut patience = Patience::UntilStill;
            loop {
                self.wait_in(&mut window, which, idle, &read, patience);
                self.take_settled(&window);
                // The analyses allocate; they are dropped before the run goes
                // on, so they are not counted as growth of the extension.
                let analyses = self.analyze(which);
                match self.next_step(&analyses, measuring_since) {
                    Step::RunOn(next) => {
                        target = next;
                        break;
                    }
                    _ if patience == Patience::UntilStill && !window.is_over(which) => {
                        patience = Patience::Whole;
                    }
                    Step::Judged => {
                        self.finish(analyses, None);
                        break 'run;
                    }
                    Step::End(end) => {
                        let concluded = conclude_all(analyses, end);
                        let confirmed = self.confirm_leaks(
                            concluded,
                            end,
                            which,
                            &mut *idle,
                            &read,
                            measuring_since,
                        );
                        self.finish(confirmed, Some(end));
                        break 'run;
                    }
                }
            }
        }
        self.name_leaked_handles(handle_baseline.as_ref());
    }

    /// Names the handles of each leaking handle resource that appeared after
    /// the warm-up, listed once the verdicts are in (off the measured path).
    fn name_leaked_handles(
        &mut self,
        baseline: Option<&Result<handle_names::HandleBaseline, HandlesUnnamed>>,
    ) {
        if let Some(baseline) = baseline {
            let leaking: Vec<Resource> = self
                .reports
                .iter()
                .filter(|report| report.judgement.leaking)
                .map(|report| report.resource)
                .collect();
            self.leaked_handles = handle_names::name_leaked(baseline, &leaking);
        }
    }

    /// Keeps the verdicts of a run that is over: as judged when every
    /// resource was (noting how far the run was extended, and which
    /// iterations would avoid that), or concluded where the run had to end.
    fn finish(&mut self, analyses: Vec<(Resource, SeriesAnalysis)>, end: Option<ExtensionEnd>) {
        let extended = self.iterations_run > self.settings.iterations;
        let analyses = match end {
            None => {
                if extended {
                    let suggested = analyses
                        .iter()
                        .filter_map(|(_, analysed)| analysed.iterations_without_extension())
                        .max();
                    self.extension = Some(Extension::new(
                        self.iterations_run,
                        ExtensionEnd::Judged,
                        suggested,
                    ));
                }
                analyses
            }
            Some(end) => {
                self.extension = Some(Extension::new(self.iterations_run, end, None));
                analyses
                    .into_iter()
                    .map(|(resource, analysed)| (resource, analysis::conclude(analysed, end)))
                    .collect()
            }
        };
        self.reports = self.reports_of(analyses);
    }

    /// Watches a process whose run ends with a leak until the confirmation
    /// window (`Settings::confirm_ms` after the first measured iteration)
    /// is over, letting its threads and runtime run, then judges the series
    /// again with the lowest reading of the wait as its last sample: growth
    /// released by a timer or a flusher later than the settle window is not
    /// a leak. Only a run that ends with a leak, took less than the window,
    /// and has another thread or a runtime that could release it, waits; the
    /// wait ends early once every leaking resource is back at its level at
    /// the end of the warm-up, and never runs into the timeout.
    fn confirm_leaks(
        &mut self,
        concluded: Vec<(Resource, SeriesAnalysis)>,
        end: ExtensionEnd,
        which: SampledResources,
        idle: &mut dyn FnMut(Duration),
        read: &dyn Fn(SampledResources, &Sample) -> Sample,
        measuring_since: Instant,
    ) -> Vec<(Resource, SeriesAnalysis)> {
        let window_ends = measuring_since + Duration::from_millis(self.settings.confirm_ms);
        let window_ends = match self.deadline {
            Some(deadline) => {
                let margin = deadline.saturating_duration_since(Instant::now()) / 10;
                window_ends.min(deadline - margin)
            }
            None => window_ends,
        };
        let wait_from = Instant::now();
        let any_leaking = concluded
            .iter()
            .any(|(_, analysed)| analysed.verdict == Verdict::Leaking);
        if !any_leaking || wait_from >= window_ends {
            return concluded;
        }
        // The verdicts to confirm are kept on the stack and the rest is
        // freed, so the readings of the wait count no memory of the driver's.
        let mut leaks: [Option<SeriesAnalysis>; Resource::ALL.len()] = Default::default();
        for (resource, analysed) in concluded {
            if analysed.verdict == Verdict::Leaking {
                leaks[resource_index(resource)] = Some(analysed);
            }
        }
        let mut window = self.open_settle_window(which, read);
        if !window.nothing_else_runs {
            window.deadline = window_ends;
            let released = |window: &SettleWindow| {
                Resource::ALL.iter().all(|&resource| {
                    leaks[resource_index(resource)].is_none()
                        || (window.tracker(resource).has_settled(SETTLE_QUIET_READINGS)
                            && window.latest.get(resource) <= window.baseline.get(resource))
                })
            };
            while Instant::now() < window.deadline && !released(&window) {
                idle(CONFIRM_INTERVAL);
                window.latest = read(which, &window.latest);
                for (tracker, resource) in window.trackers.iter_mut().zip(Resource::ALL) {
                    tracker.push(window.latest.get(resource));
                }
            }
            // Only the lowest reading is taken: the last sample can only
            // fall, and the movement seen in a wait this long is no noise.
            let last = self.log.last().copied().unwrap_or_default();
            let lowest = Sample::from_fn(|resource| {
                window.tracker(resource).lowest().min(last.get(resource))
            });
            self.log.settle_last(lowest);
        }
        let waited_ms = u64::try_from(wait_from.elapsed().as_millis()).unwrap_or(u64::MAX);
        conclude_all(self.analyze(which), end)
            .into_iter()
            .map(
                |(resource, after)| match leaks[resource_index(resource)].take() {
                    Some(before) => (
                        resource,
                        analysis::after_confirmation_wait(before, after, waited_ms),
                    ),
                    None => (resource, after),
                },
            )
            .collect()
    }

    /// What the run does after a judgement: it is over when no resource
    /// needs more iterations; else it runs on to the next length, unless it
    /// is at the cap, the next length would overrun the timeout, or a
    /// resource would pass its limit on the way.
    fn next_step(&self, analyses: &[(Resource, SeriesAnalysis)], measuring_since: Instant) -> Step {
        let needs_more = analyses
            .iter()
            .any(|(_, analysed)| analysed.verdict == Verdict::NeedsMoreIterations);
        if !needs_more {
            return Step::Judged;
        }
        let next = match analysis::next_length(self.settings.iterations, self.iterations_run) {
            Some(next) => next,
            None => match self.next_length_while_cheap(analyses, measuring_since) {
                Ok(next) => next,
                Err(end) => return Step::End(end),
            },
        };
        if !self.extension_fits(measuring_since, next) {
            return Step::End(ExtensionEnd::Timeout);
        }
        match self.limit_in_reach(analyses, next) {
            Some(end) => Step::End(end),
            None => Step::RunOn(next),
        }
    }

    /// The next length past the cap ([`analysis::next_length_past_cap`]),
    /// when it is cheap: no descriptor, thread or process count needs more
    /// iterations (each one more of them is the machine's, not the test's),
    /// and the whole run, at its pace so far, ends within
    /// [`EXTENSION_WALL_BUDGET`]. Else why the run ends where it is.
    fn next_length_while_cheap(
        &self,
        analyses: &[(Resource, SeriesAnalysis)],
        measuring_since: Instant,
    ) -> Result<u64, ExtensionEnd> {
        let declared = self.settings.iterations;
        let end_here =
            if self.iterations_run > declared.saturating_mul(analysis::EXTENSION_CAP_FACTOR) {
                ExtensionEnd::PastCapWhileCheap {
                    budget_ms: EXTENSION_WALL_BUDGET.as_millis() as u64,
                }
            } else {
                ExtensionEnd::Cap
            };
        let handles_grow = analyses.iter().any(|(resource, analysed)| {
            analysed.verdict == Verdict::NeedsMoreIterations
                && matches!(
                    resource,
                    Resource::Fds | Resource::Threads | Resource::ChildProcesses
                )
        });
        if handles_grow {
            return Err(end_here);
        }
        let Some(next) = analysis::next_length_past_cap(declared, self.iterations_run) else {
            return Err(ExtensionEnd::LongestRun);
        };
        let projected = measuring_since.elapsed() + self.time_to_reach(measuring_since, next);
        if projected > EXTENSION_WALL_BUDGET {
            return Err(end_here);
        }
        Ok(next)
    }

    /// How long running on to `target` iterations takes at the pace so far,
    /// with a settle window after it.
    fn time_to_reach(&self, measuring_since: Instant, target: u64) -> Duration {
        let per_iteration = measuring_since.elapsed() / self.iterations_run.max(1) as u32;
        let remaining =
            u32::try_from(target.saturating_sub(self.iterations_run)).unwrap_or(u32::MAX);
        per_iteration.saturating_mul(remaining) + Duration::from_millis(self.settings.settle_ms)
    }

    /// Puts the settle window's readings into the series: the lowest reading
    /// replaces the last sample, and the largest fall is noise at rest.
    fn take_settled(&mut self, window: &SettleWindow) {
        let lowest = Sample::from_fn(|resource| window.tracker(resource).lowest());
        self.log.settle_last(lowest);
        self.fluctuation_at_rest = Sample::from_fn(|resource| {
            window
                .tracker(resource)
                .fluctuation()
                .max(self.fluctuation_at_rest.get(resource))
        });
    }

    /// Opens the settle window after a run: the first reading of the
    /// counters once the body has stopped. Allocates nothing: every reading
    /// counts the same heap.
    fn open_settle_window(
        &self,
        which: SampledResources,
        read: &dyn Fn(SampledResources, &Sample) -> Sample,
    ) -> SettleWindow {
        let last = self.log.last().copied().unwrap_or_default();
        let first = read(which, &last);
        SettleWindow {
            trackers: Resource::ALL.map(|resource| SettleTracker::new(first.get(resource))),
            latest: first,
            baseline: self.log.warmup_end().copied().unwrap_or(first),
            deadline: Instant::now() + Duration::from_millis(self.settings.settle_ms),
            nothing_else_runs: nothing_else_runs(which, &first),
        }
    }

    /// Re-reads the counters every [`SETTLE_INTERVAL`], letting background
    /// work run, until `patience` is satisfied or the window ends. Allocates
    /// nothing.
    fn wait_in(
        &self,
        window: &mut SettleWindow,
        which: SampledResources,
        idle: &mut dyn FnMut(Duration),
        read: &dyn Fn(SampledResources, &Sample) -> Sample,
        patience: Patience,
    ) {
        if window.nothing_else_runs {
            return;
        }
        while Instant::now() < window.deadline && !window.satisfies(which, patience) {
            idle(SETTLE_INTERVAL);
            window.latest = read(which, &window.latest);
            for (tracker, resource) in window.trackers.iter_mut().zip(Resource::ALL) {
                tracker.push(window.latest.get(resource));
            }
        }
    }

    /// Whether running up to `target` iterations, at the pace so far, ends
    /// before the deadline (with a tenth of the time left as margin).
    fn extension_fits(&self, measuring_since: Instant, target: u64) -> bool {
        let Some(deadline) = self.deadline else {
            return true;
        };
        let projected = self.time_to_reach(measuring_since, target);
        let now = Instant::now();
        let margin = deadline.saturating_duration_since(now) / 10;
        now + projected + margin < deadline
    }

    /// The analysis of every sampled resource's series so far.
    fn analyze(&self, which: SampledResources) -> Vec<(Resource, SeriesAnalysis)> {
        which
            .resources()
            .map(|resource| {
                let options = analysis::Options::with_fluctuation_at_rest(
                    self.fluctuation_at_rest.get(resource),
                )
                .declared_iterations(self.settings.iterations);
                let points = self.log.series(resource).to_points();
                let analysed = analysis::analyze_points(&points, self.settings.warmup, &options);
                (resource, analysed)
            })
            .collect()
    }

    /// The first resource that, growing at the pace of the second half of
    /// the run, would pass its limit by iteration `next`.
    fn limit_in_reach(
        &self,
        analyses: &[(Resource, SeriesAnalysis)],
        next: u64,
    ) -> Option<ExtensionEnd> {
        let now = self.iterations_run.max(1);
        analyses.iter().find_map(|(resource, analysed)| {
            let limit = extension_limit(*resource, self.settings.memory_limit_bytes)?;
            let level = self.log.series(*resource).latest()?;
            let late_span = (now / 2).max(1);
            let growth = i128::from(analysed.late_growth.max(0))
                * i128::from(next.saturating_sub(now))
                / i128::from(late_span);
            let projected = i128::from(level) + growth;
            (analysed.late_growth > 0 && projected > i128::from(limit)).then_some(
                ExtensionEnd::Limit {
                    resource: *resource,
                    limit,
                },
            )
        })
    }

    /// The reports of the judged resources, with their series.
    fn reports_of(&self, analyses: Vec<(Resource, SeriesAnalysis)>) -> Vec<ResourceReport> {
        analyses
            .into_iter()
            .map(|(resource, analysed)| {
                let series = self.log.series(resource);
                let points = series.to_points();
                let lowest = points.iter().map(|point| point.lowest).collect();
                let report = ResourceReport::new(resource, lowest, analysed.judgement(resource));
                match series.iterations_per_point() {
                    1 => report,
                    per_point => report.with_peaks(
                        per_point,
                        points.iter().map(|point| point.highest).collect(),
                    ),
                }
            })
            .collect()
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
            (Some(failure), _) => Outcome::failed(failure.message.clone(), failure.iteration),
            (None, false) => Outcome::failed(
                "the test body was never run (leaktest-macros and leaktest-core versions differ?)",
                None,
            ),
            (None, true) => match (leaked, self.settings.should_leak) {
                (true, false) => Outcome::Leaked,
                (false, true) => Outcome::LeakNotFound,
                _ => Outcome::Passed,
            },
        };
        let allocation_per_iteration = self.log.allocation_per_iteration();
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
            extension: self.extension,
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
            attribution: None,
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

/// The position of `resource` in [`Resource::ALL`].
fn resource_index(resource: Resource) -> usize {
    Resource::ALL
        .iter()
        .position(|&r| r == resource)
        .unwrap_or(0)
}

/// Every analysis concluded where the run ended (see [`analysis::conclude`]).
fn conclude_all(
    analyses: Vec<(Resource, SeriesAnalysis)>,
    end: ExtensionEnd,
) -> Vec<(Resource, SeriesAnalysis)> {
    analyses
        .into_iter()
        .map(|(resource, analysed)| (resource, analysis::conclude(analysed, end)))
        .collect()
}

/// How far an extension may take `resource`, at the pace of its growth,
/// before the test is judged where it is: half of what the test may hold,
/// so a leak is reported before it exhausts memory or handles. The heap, and
/// the native heap, are each held to half the test's memory limit (so the
/// limit never ends a leaking test that an extension made grow); file
/// descriptors to half the soft `RLIMIT_NOFILE`; threads and child processes
/// to half the soft `RLIMIT_NPROC`. Blocks and tokio tasks are covered by the heap.
fn extension_limit(resource: Resource, memory_limit_bytes: u64) -> Option<i64> {
    match resource {
        Resource::HeapBytes | Resource::NativeHeapBytes => {
            Some(i64::try_from(memory_limit_bytes / 2).unwrap_or(i64::MAX))
        }
        #[cfg(unix)]
        Resource::Fds => half_soft_limit(libc::RLIMIT_NOFILE),
        #[cfg(unix)]
        Resource::Threads | Resource::ChildProcesses => half_soft_limit(libc::RLIMIT_NPROC),
        _ => None,
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
type RlimitResource = libc::__rlimit_resource_t;
#[cfg(all(unix, not(all(target_os = "linux", target_env = "gnu"))))]
type RlimitResource = libc::c_int;

/// Half the soft limit of `resource`, when the process has a finite one.
#[cfg(unix)]
fn half_soft_limit(resource: RlimitResource) -> Option<i64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the limits into the struct it is given.
    let failed = unsafe { libc::getrlimit(resource, &mut limit) } != 0;
    if failed || limit.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    i64::try_from(limit.rlim_cur / 2).ok()
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
