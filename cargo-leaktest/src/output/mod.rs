//! Reports of a run and of `--list`, one module per format.
//!
//! The run calls a [`Reporter`] at each step; [`human`] writes text and a
//! progress bar, [`json`] writes one JSON object per line.

pub mod human;
pub mod json;

use crate::describe::Described;
use crate::discovery::{SkipReason, TestTarget};
use crate::exit_codes;
use crate::select::{Filter, PlannedTest, Selected};
use leaktest_core::model::{Outcome, TestRecord};
use std::io;
use std::time::Duration;

/// What a run is about to do, for its header.
#[derive(Debug, Clone, Copy)]
pub struct RunStart<'a> {
    /// Tests that will run.
    pub to_run: usize,
    /// Harness binaries they come from.
    pub harnesses: usize,
    /// Test targets that are not leaktest harnesses.
    pub skipped_targets: &'a [(TestTarget, SkipReason)],
    /// Tests left out by the filters.
    pub filtered_out: usize,
    /// Most tests running at once.
    pub jobs: usize,
}

/// The counts of a finished (or interrupted) run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that leaked, failed, crashed or timed out.
    pub failed: usize,
    /// Ignored tests.
    pub ignored: usize,
    /// Tests that never ran to the end: not started after a failure
    /// (fail-fast) or an interrupt, or killed by the interrupt.
    pub not_run: usize,
    /// Tests left out by the filters.
    pub filtered_out: usize,
    /// Wall time of the run (after the build).
    pub duration: Duration,
    /// Whether Ctrl-C ended the run.
    pub interrupted: bool,
    /// Whether fail-fast stopped the scheduling.
    pub stopped_after_failure: bool,
}

impl Tally {
    /// Counts one finished test.
    pub fn count(&mut self, record: &TestRecord) {
        match record.outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Ignored { .. } => self.ignored += 1,
            _ => self.failed += 1,
        }
    }

    /// Tests reported as skipped: ignored, and those that never ran.
    pub fn skipped(&self) -> usize {
        self.ignored + self.not_run
    }

    /// `42 passed, 2 failed, 1 skipped`.
    pub fn counts_line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed,
            self.failed,
            self.skipped()
        )
    }

    /// The exit code the run ends with.
    pub fn exit_code(&self) -> i32 {
        if self.interrupted {
            exit_codes::INTERRUPTED
        } else if self.failed > 0 {
            exit_codes::TESTS_FAILED
        } else {
            exit_codes::SUCCESS
        }
    }
}

/// Receives the steps of a run, in order, on one thread.
pub trait Reporter {
    /// Before any test starts.
    fn run_started(&mut self, start: &RunStart<'_>) -> io::Result<()>;
    /// A test's child process is starting.
    fn test_started(&mut self, test: &PlannedTest<'_>) -> io::Result<()>;
    /// A test ended (or, for ignored tests, was not run).
    fn test_finished(&mut self, test: &PlannedTest<'_>, record: &TestRecord) -> io::Result<()>;
    /// After the last test, or after an interrupt.
    fn run_finished(&mut self, tally: &Tally) -> io::Result<()>;
}

/// One test target in a `--list`, with the tests the filters keep.
#[derive(Debug)]
pub struct ListedTarget<'a> {
    /// The target.
    pub target: &'a TestTarget,
    /// Its executable, when it is a harness.
    pub binary: Option<&'a std::path::Path>,
    /// The leaktest-core version it was built with, when it is a harness.
    pub leaktest_version: Option<&'a str>,
    /// Why it is skipped, when it is not a harness.
    pub skip: Option<SkipReason>,
    /// Its tests the filters keep (ignored ones say so in their description).
    pub tests: Vec<&'a leaktest_core::model::TestDescription>,
}

/// The targets of a `--list`: harnesses first, then skipped targets.
pub fn listed_targets<'a>(described: &'a Described, filter: &Filter) -> Vec<ListedTarget<'a>> {
    let harnesses = described.harnesses.iter().map(|harness| ListedTarget {
        target: &harness.target,
        binary: Some(&harness.binary),
        leaktest_version: Some(&harness.leaktest_version),
        skip: None,
        tests: harness
            .tests
            .iter()
            .filter(|test| filter.select(test) != Selected::FilteredOut)
            .collect(),
    });
    let skipped = described
        .skipped
        .iter()
        .map(|(target, reason)| ListedTarget {
            target,
            binary: None,
            leaktest_version: None,
            skip: Some(*reason),
            tests: Vec::new(),
        });
    harnesses.chain(skipped).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_documented_table() {
        let mut tally = Tally::default();
        assert_eq!(tally.exit_code(), 0);
        tally.failed = 1;
        assert_eq!(tally.exit_code(), 1);
        tally.interrupted = true;
        assert_eq!(tally.exit_code(), 130);
    }

    #[test]
    fn the_counts_line_has_the_plain_shape() {
        let tally = Tally {
            passed: 42,
            failed: 2,
            ignored: 1,
            ..Tally::default()
        };
        assert_eq!(tally.counts_line(), "42 passed, 2 failed, 1 skipped");
    }
}
