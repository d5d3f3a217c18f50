//! Runs the selected tests, one child process each
//! ([`leaktest_core::isolation::run_isolated`]), at most `jobs` at a time; a
//! test whose record the attribution policy wants gets its attribution run
//! right after, on the same worker
//! ([`leaktest_core::attribution::run_attributed`]).
//!
//! Workers take the next test from a shared counter; the calling thread gets
//! every start and finish as an [`Event`], in the order they happen, and is
//! the only one that prints. Two flags stop the run early:
//! - fail-fast: after the first failure no new test starts, the running ones
//!   finish and are reported;
//! - cancel (Ctrl-C): no new test starts and the running children are killed
//!   (their `run_isolated` returns [`IsolationError::Cancelled`]).

use leaktest_core::attribution::{run_attributed, AttributionPolicy};
use leaktest_core::isolation::{ChildSpec, IsolationError};
use leaktest_core::model::TestRecord;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

/// How to schedule.
#[derive(Debug, Clone)]
pub struct Pool {
    /// Most tests running at once.
    pub jobs: usize,
    /// Start no new test after the first failure.
    pub fail_fast: bool,
    /// Set (by the Ctrl-C handler) to kill the running children and stop.
    /// The specs should carry the same flag.
    pub cancel: Arc<AtomicBool>,
    /// Which tests get an attribution run after their verdict run.
    pub attribution: AttributionPolicy,
}

/// Something that happened to the test at `index` of the specs.
#[derive(Debug)]
pub enum Event {
    /// Its child process is about to start.
    Started(usize),
    /// It ended: its record, or why there is none (boxed: records are large).
    Finished(usize, Box<Result<TestRecord, IsolationError>>),
}

/// How far the run got.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Indices of tests that never started (fail-fast or cancel).
    pub not_started: Vec<usize>,
    /// Indices of tests that were killed by the cancel flag.
    pub cancelled: Vec<usize>,
    /// Whether fail-fast stopped the scheduling.
    pub stopped_after_failure: bool,
}

fn is_failure(result: &Result<TestRecord, IsolationError>) -> bool {
    match result {
        Ok(record) => record.outcome.is_failure(),
        Err(IsolationError::Cancelled) => false,
        Err(_) => true,
    }
}

/// Runs `specs` on the pool, calling `on_event` on this thread for every
/// event. An error from `on_event` cancels the run and is returned once the
/// workers have stopped.
pub fn run<E>(
    specs: &[ChildSpec],
    pool: &Pool,
    mut on_event: impl FnMut(Event) -> Result<(), E>,
) -> Result<Progress, E> {
    let next = AtomicUsize::new(0);
    let stop_scheduling = AtomicBool::new(false);
    let mut started = vec![false; specs.len()];
    let mut progress = Progress::default();
    let mut failed_reporting = None;
    let (events_tx, events_rx) = mpsc::channel();
    thread::scope(|scope| {
        for _ in 0..pool.jobs.clamp(1, specs.len().max(1)) {
            let events_tx = events_tx.clone();
            let (next, stop_scheduling) = (&next, &stop_scheduling);
            scope.spawn(move || loop {
                if stop_scheduling.load(Ordering::SeqCst) || pool.cancel.load(Ordering::SeqCst) {
                    break;
                }
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(spec) = specs.get(index) else { break };
                if events_tx.send(Event::Started(index)).is_err() {
                    break;
                }
                let result = run_attributed(spec, pool.attribution);
                // Decided here, before this worker looks for its next test.
                if pool.fail_fast && is_failure(&result) {
                    stop_scheduling.store(true, Ordering::SeqCst);
                }
                if events_tx
                    .send(Event::Finished(index, Box::new(result)))
                    .is_err()
                {
                    break;
                }
            });
        }
        drop(events_tx);
        for event in events_rx {
            match &event {
                Event::Started(index) => started[*index] = true,
                Event::Finished(index, result)
                    if matches!(**result, Err(IsolationError::Cancelled)) =>
                {
                    progress.cancelled.push(*index);
                }
                Event::Finished(_, result) => {
                    if pool.fail_fast && is_failure(result) {
                        progress.stopped_after_failure = true;
                    }
                }
            }
            if failed_reporting.is_none() {
                if let Err(error) = on_event(event) {
                    failed_reporting = Some(error);
                    pool.cancel.store(true, Ordering::SeqCst);
                }
            }
        }
    });
    if let Some(error) = failed_reporting {
        return Err(error);
    }
    progress.not_started = (0..specs.len()).filter(|&index| !started[index]).collect();
    Ok(progress)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use leaktest_core::model::{Outcome, Settings, TestDescription};
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    /// A fake harness: `pass` delivers a passing record into the directory
    /// it is handed (by descriptor: `LEAKTEST_RECORD` is `<fd>:<device>:<inode>`),
    /// `fail` exits 1 without one (a crash), `hang` sleeps until it is killed
    /// (or its 20 s timeout).
    fn fake_harness(dir: &Path) -> std::path::PathBuf {
        let test = TestDescription::new("pass", "fake.rs:1", settings());
        let mut record = TestRecord::without_run(&test, Outcome::Passed, 1);
        record.iterations_run = 1;
        let record_path = dir.join("pass.json");
        std::fs::write(&record_path, serde_json::to_string(&record).unwrap()).unwrap();
        let script = dir.join("harness.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\ncase \"$LEAKTEST_CHILD\" in\n  \
                 pass) cp '{}' \"/proc/self/fd/${{LEAKTEST_RECORD%%:*}}/record-$$.json\" ;;\n  \
                 fail) exit 1 ;;\n  hang) exec sleep 100000 ;;\nesac\n",
                record_path.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        script
    }

    fn settings() -> Settings {
        let mut settings = Settings::default();
        settings.iterations = 1;
        settings.warmup = 0;
        settings.timeout_ms = 20_000;
        settings.settle_ms = 0;
        settings
    }

    fn specs(binary: &Path, names: &[&str], cancel: &Arc<AtomicBool>) -> Vec<ChildSpec> {
        names
            .iter()
            .map(|name| {
                let test = TestDescription::new(*name, "fake.rs:1", settings());
                let mut spec = ChildSpec::new(binary.to_owned(), test);
                spec.cancel = Some(Arc::clone(cancel));
                spec
            })
            .collect()
    }

    fn pool(jobs: usize, fail_fast: bool, cancel: &Arc<AtomicBool>) -> Pool {
        Pool {
            jobs,
            fail_fast,
            cancel: Arc::clone(cancel),
            attribution: AttributionPolicy::Off,
        }
    }

    /// Runs the pool and returns the outcome labels by spec index.
    fn outcomes(specs: &[ChildSpec], pool: &Pool) -> (Vec<Option<&'static str>>, Progress) {
        let mut labels = vec![None; specs.len()];
        let progress = run(specs, pool, |event| -> Result<(), ()> {
            if let Event::Finished(index, result) = event {
                if let Ok(record) = *result {
                    labels[index] = Some(record.outcome.label());
                }
            }
            Ok(())
        })
        .unwrap();
        (labels, progress)
    }

    #[test]
    fn every_test_runs_and_a_child_without_record_is_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let binary = fake_harness(dir.path());
        let cancel = Arc::new(AtomicBool::new(false));
        let specs = specs(&binary, &["pass", "fail", "pass", "pass"], &cancel);
        let (labels, progress) = outcomes(&specs, &pool(2, false, &cancel));
        assert_eq!(
            labels,
            [
                Some("passed"),
                Some("crashed"),
                Some("passed"),
                Some("passed")
            ]
        );
        assert_eq!(progress, Progress::default());
    }

    #[test]
    fn fail_fast_starts_nothing_after_the_first_failure() {
        let dir = tempfile::tempdir().unwrap();
        let binary = fake_harness(dir.path());
        let cancel = Arc::new(AtomicBool::new(false));
        let specs = specs(&binary, &["fail", "pass", "pass"], &cancel);
        let (labels, progress) = outcomes(&specs, &pool(1, true, &cancel));
        assert_eq!(labels, [Some("crashed"), None, None]);
        assert_eq!(progress.not_started, [1, 2]);
        assert!(progress.stopped_after_failure);
    }

    #[test]
    fn cancelling_kills_the_running_children() {
        let dir = tempfile::tempdir().unwrap();
        let binary = fake_harness(dir.path());
        let cancel = Arc::new(AtomicBool::new(false));
        let specs = specs(&binary, &["hang", "hang", "pass"], &cancel);
        let pool = pool(2, false, &cancel);
        let mut running = 0;
        let progress = run(&specs, &pool, |event| -> Result<(), ()> {
            if let Event::Started(_) = event {
                running += 1;
                if running == 2 {
                    cancel.store(true, Ordering::SeqCst);
                }
            }
            Ok(())
        })
        .unwrap();
        // No clock: that `run` returns at all shows the children were killed
        // (they sleep for a day), and that they count as cancelled, not as
        // timed out after their 20 s, shows the cancel was seen.
        let mut cancelled = progress.cancelled.clone();
        cancelled.sort_unstable();
        assert_eq!(cancelled, [0, 1]);
        assert_eq!(progress.not_started, [2]);
    }
}
