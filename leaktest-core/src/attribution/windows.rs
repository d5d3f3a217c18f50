//! The profiled windows of an attribution run, in the test's own process:
//! warm-up unprofiled, then a shorter and a longer window, each under a dhat
//! profiler of its own that writes its profile when it stops.

use crate::analysis::SettleTracker;
use crate::census::HandleCounts;
use crate::driver::{panic_message, TestResult};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Interval between readings while a window settles.
const SETTLE_INTERVAL: Duration = Duration::from_millis(5);
/// Readings that must not fall further before a window counts as settled.
const SETTLE_QUIET_READINGS: usize = 5;

/// What an attribution run profiles: iterations and where each profile goes.
#[derive(Debug, Clone)]
pub(crate) struct WindowPlan {
    /// Iterations run before profiling: what they allocate and keep is not in
    /// either profile.
    pub warmup_iterations: u64,
    /// Iterations of the shorter and the longer window.
    pub window_iterations: [u64; 2],
    /// Where dhat writes the profile of each window (shorter first).
    pub profiles: [PathBuf; 2],
    /// Longest wait at the end of a window for memory freed a moment later
    /// (by another thread, or a task) to be freed.
    pub settle: Duration,
    /// When the process will be killed, if known: the longer window is not
    /// started when, at the pace of the shorter, it would end after that.
    pub deadline: Option<Instant>,
}

/// How the windows ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WindowsEnd {
    /// Both profiles were written.
    Profiled,
    /// The longer window would not have finished before the deadline.
    WouldOverrunDeadline,
    /// The body failed in `iteration`.
    BodyFailed {
        /// Its message.
        message: String,
        /// The iteration (0-based, counting from the warm-up's first).
        iteration: u64,
    },
}

/// What [`run_windows`] did.
#[derive(Debug, Clone)]
pub(crate) struct WindowsRun {
    /// Iterations of the body that ran.
    pub iterations_run: u64,
    /// How it ended.
    pub end: WindowsEnd,
}

/// Runs the plan's warm-up and windows with `step` (one iteration), letting
/// `idle` drive background work while a window settles. `concurrent` says
/// whether anything besides the body can free memory (an async runtime);
/// other threads of the process are looked for too.
pub(crate) fn run_windows(
    plan: &WindowPlan,
    step: &mut dyn FnMut() -> TestResult,
    idle: &mut dyn FnMut(Duration),
    concurrent: bool,
) -> WindowsRun {
    let mut iterations_run = 0;
    let end = (|| {
        run_iterations(plan.warmup_iterations, step, &mut iterations_run)?;
        let shorter_started = Instant::now();
        profile_window(plan, 0, step, idle, concurrent, &mut iterations_run)?;
        let pace = shorter_started.elapsed();
        if !longer_window_fits(plan, pace) {
            return Err(WindowsEnd::WouldOverrunDeadline);
        }
        profile_window(plan, 1, step, idle, concurrent, &mut iterations_run)?;
        Ok(())
    })();
    WindowsRun {
        iterations_run,
        end: end.err().unwrap_or(WindowsEnd::Profiled),
    }
}

/// Runs window `index` of the plan under a profiler of its own, which writes
/// its profile when dropped at the end.
fn profile_window(
    plan: &WindowPlan,
    index: usize,
    step: &mut dyn FnMut() -> TestResult,
    idle: &mut dyn FnMut(Duration),
    concurrent: bool,
    iterations_run: &mut u64,
) -> Result<(), WindowsEnd> {
    let profiler = start_profiler(&plan.profiles[index]);
    let ran = run_iterations(plan.window_iterations[index], step, iterations_run);
    if ran.is_ok() {
        settle(plan.settle, idle, concurrent);
    }
    drop(profiler);
    ran
}

/// Starts a dhat profiler writing to `path`, with whole backtraces, and makes
/// the first backtrace it records one of this thread: dhat cuts the frames
/// that backtrace shares with the profiler's own start (everything below the
/// windows: the driver, the harness, `main`) from every later one.
#[inline(never)]
fn start_profiler(path: &std::path::Path) -> dhat::Profiler {
    let profiler = dhat::Profiler::builder()
        .file_name(path)
        .trim_backtraces(Some(usize::MAX))
        .build();
    drop(std::hint::black_box(Box::new(0u8)));
    profiler
}

/// Runs `count` iterations; the first failure ends them.
fn run_iterations(
    count: u64,
    step: &mut dyn FnMut() -> TestResult,
    iterations_run: &mut u64,
) -> Result<(), WindowsEnd> {
    for _ in 0..count {
        let iteration = *iterations_run;
        let failure = match catch_unwind(AssertUnwindSafe(&mut *step)) {
            Ok(Ok(())) => None,
            Ok(Err(message)) => Some(message),
            // Told as the panic's hook saw it (message and location), as
            // in the verdict run.
            Err(payload) => Some(match crate::panic_capture::take() {
                Some(captured) => captured.describe(),
                None => format!("panicked: {}", panic_message(&*payload)),
            }),
        };
        if let Some(message) = failure {
            return Err(WindowsEnd::BodyFailed { message, iteration });
        }
        *iterations_run += 1;
    }
    Ok(())
}

/// Waits, at most `longest`, for the memory the profiler sees live to stop
/// falling, when something besides the body may still free some.
fn settle(longest: Duration, idle: &mut dyn FnMut(Duration), concurrent: bool) {
    let other_threads = HandleCounts::now()
        .threads
        .is_none_or(|threads| threads > 1);
    if !concurrent && !other_threads {
        return;
    }
    let live = || i64::try_from(dhat::HeapStats::get().curr_bytes).unwrap_or(i64::MAX);
    let mut tracker = SettleTracker::new(live());
    let deadline = Instant::now() + longest;
    while Instant::now() < deadline && !tracker.has_settled(SETTLE_QUIET_READINGS) {
        idle(SETTLE_INTERVAL);
        tracker.push(live());
    }
}

/// Whether the longer window, at the pace the shorter one took, ends before
/// the deadline, with a tenth of the time left as margin.
fn longer_window_fits(plan: &WindowPlan, shorter_took: Duration) -> bool {
    let Some(deadline) = plan.deadline else {
        return true;
    };
    let [shorter, longer] = plan.window_iterations;
    let ratio = longer.div_ceil(shorter.max(1));
    let projected = shorter_took
        .saturating_mul(u32::try_from(ratio).unwrap_or(u32::MAX))
        .saturating_add(plan.settle);
    let now = Instant::now();
    let margin = deadline.saturating_duration_since(now) / 10;
    now.checked_add(projected.saturating_add(margin))
        .is_some_and(|end| end < deadline)
}
