//! Reports of a run and of `--list`, one module per format.
//!
//! The run calls a [`Reporter`] at each step; [`human`] writes text and a
//! progress bar, [`json`] writes one JSON object per line; besides the one
//! on stdout, [`junit`] writes a JUnit XML file, [`html`] the `--report`
//! page, and [`github`] annotates failures and writes the job summary on
//! GitHub Actions. [`Reporters`] hands every step to several of them.

pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod step_summary;

use crate::baseline::gate::{BaselineCounts, BaselineInfo};
use crate::baseline::Comparison;
use crate::describe::Described;
use crate::discovery::{SkipReason, TestTarget};
use crate::exit_codes;
use crate::interrupt::StopSignal;
use crate::partition::Partition;
use crate::select::{Filter, PlannedTest, Selected};
use crate::test_key::TestKey;
use leaktest_core::model::{Budget, ConfigSource, Outcome, TestDescription, TestRecord};
use leaktest_core::render::{budget_breach_short, budget_limit, format_resource_rate};
use leaktest_core::summary::format_duration_ms;
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
    /// The `--partition` shard this run is, if any.
    pub partition: Option<Partition>,
    /// Tests the filters kept that other shards run.
    pub partitioned_out: usize,
    /// The baseline the tests are compared with, if any.
    pub baseline: Option<&'a BaselineInfo>,
    /// Settings overridden for every test, with where each override came from.
    pub overrides: &'a [Override],
}

/// A setting overridden for every test (`--iterations 500`, `LEAKTEST_ITERATIONS=500`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The setting, as the attribute names it: `iterations`, `timeout`, `memory_limit`.
    pub setting: &'static str,
    /// Its value, as given.
    pub value: String,
    /// Where it was given: `--iterations` or `LEAKTEST_ITERATIONS`.
    pub source: String,
}

impl Override {
    /// `iterations = 500 (from LEAKTEST_ITERATIONS)`.
    pub fn describe(&self) -> String {
        format!("{} = {} (from {})", self.setting, self.value, self.source)
    }
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
    /// The signal that ended the run early (Ctrl-C, SIGTERM), if one did.
    pub interrupted_by: Option<StopSignal>,
    /// Whether fail-fast stopped the scheduling.
    pub stopped_after_failure: bool,
    /// How the comparisons with the baseline came out, when there is one.
    pub baseline: Option<BaselineCounts>,
    /// The filters matched no test to run and `--no-tests=fail` is in force.
    pub no_tests: bool,
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

    /// Whether a signal ended the run early.
    pub fn interrupted(&self) -> bool {
        self.interrupted_by.is_some()
    }

    /// Tests that regressed against the baseline.
    pub fn regressed(&self) -> usize {
        self.baseline.as_ref().map_or(0, |counts| counts.regressed)
    }

    /// The exit code the run ends with; when several apply, the first of
    /// interrupted (128 + the signal: 130, 143, 129), a failed test (1), a
    /// regression (3), no tests (4).
    pub fn exit_code(&self) -> i32 {
        if let Some(signal) = self.interrupted_by {
            signal.exit_code()
        } else if self.failed > 0 {
            exit_codes::TESTS_FAILED
        } else if self.regressed() > 0 {
            exit_codes::REGRESSED
        } else if self.no_tests {
            exit_codes::NO_TESTS
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
    /// A test that just ended was compared with the baseline (only when the
    /// run has one; never for ignored tests).
    fn test_compared(&mut self, test: &PlannedTest<'_>, comparison: &Comparison) -> io::Result<()> {
        let _ = (test, comparison);
        Ok(())
    }
    /// After the last test, or after an interrupt.
    fn run_finished(&mut self, tally: &Tally) -> io::Result<()>;
}

/// Several reporters, each given every step in turn and each on its own.
///
/// A reporter whose step fails (stdout a pipe whose reader went away, a full
/// disk) is set aside with its first error and given no further step, so it
/// never writes half a line after a failure; the others still get every
/// result and finish their files (the JUnit report, the HTML report, the
/// step summary). The run goes on to the end: [`Reporters::finish`] returns
/// what could not be written, for the run to say so once and fail.
#[derive(Default)]
pub struct Reporters<'a> {
    entries: Vec<Entry<'a>>,
}

/// One reporter, where it writes, and its first error.
struct Entry<'a> {
    destination: String,
    reporter: Box<dyn Reporter + 'a>,
    error: Option<io::Error>,
}

/// A report that could not be written to the end.
#[derive(Debug, thiserror::Error)]
#[error("could not write {destination}: {error}")]
pub struct UnwrittenReport {
    /// Where the report went: `the report on stdout`, `the JUnit report j.xml`.
    pub destination: String,
    /// The first error writing it.
    pub error: io::Error,
}

impl<'a> Reporters<'a> {
    /// Adds `reporter`, writing to `destination` (named in its error).
    pub fn push(&mut self, destination: impl Into<String>, reporter: Box<dyn Reporter + 'a>) {
        self.entries.push(Entry {
            destination: destination.into(),
            reporter,
            error: None,
        });
    }

    /// Hands `step` to every reporter that has not failed yet.
    fn each(&mut self, mut step: impl FnMut(&mut (dyn Reporter + '_)) -> io::Result<()>) {
        for entry in self
            .entries
            .iter_mut()
            .filter(|entry| entry.error.is_none())
        {
            if let Err(error) = step(entry.reporter.as_mut()) {
                entry.error = Some(error);
            }
        }
    }

    /// Before any test starts.
    pub fn run_started(&mut self, start: &RunStart<'_>) {
        self.each(|reporter| reporter.run_started(start));
    }

    /// A test's child process is starting.
    pub fn test_started(&mut self, test: &PlannedTest<'_>) {
        self.each(|reporter| reporter.test_started(test));
    }

    /// A test ended (or, for ignored tests, was not run).
    pub fn test_finished(&mut self, test: &PlannedTest<'_>, record: &TestRecord) {
        self.each(|reporter| reporter.test_finished(test, record));
    }

    /// A test that just ended was compared with the baseline.
    pub fn test_compared(&mut self, test: &PlannedTest<'_>, comparison: &Comparison) {
        self.each(|reporter| reporter.test_compared(test, comparison));
    }

    /// After the last test, or after an interrupt.
    pub fn run_finished(&mut self, tally: &Tally) {
        self.each(|reporter| reporter.run_finished(tally));
    }

    /// Ends the reporting (dropping the reporters clears the progress bar)
    /// and returns the reports that could not be written, in the order the
    /// reporters were added.
    pub fn finish(self) -> Vec<UnwrittenReport> {
        self.entries
            .into_iter()
            .filter_map(|entry| {
                entry.error.map(|error| UnwrittenReport {
                    destination: entry.destination,
                    error,
                })
            })
            .collect()
    }
}

/// `text` whole when it has at most `max_chars` characters; else its start
/// and `more` (`…`), together `max_chars` characters long.
pub fn shorten(text: &str, max_chars: usize, more: &str) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let kept = max_chars.saturating_sub(more.chars().count());
    let mut short: String = text.chars().take(kept).collect();
    short.push_str(more);
    short
}

/// One line saying how a test ended, for titles and messages:
/// `leaked: heap +64 B/iter, blocks +1/iter`, `crashed: killed by SIGABRT`,
/// `over budget: max_peak 9.0 MiB (9,437,184 B) > 4.0 MiB (4,194,304 B) [attribute]`,
/// `failed in iteration 3: boom` (the first line of the message).
pub fn outcome_headline(record: &TestRecord) -> String {
    let growth = || {
        record
            .leaking_resources()
            .map(|report| {
                // A growth budget other than the default is named: it is what the leak exceeds.
                let budget = record
                    .exceeded_budgets()
                    .find(|check| {
                        check.budget == Budget::Growth(report.resource)
                            && check.source != ConfigSource::Default
                    })
                    .map(|check| {
                        format!(
                            " > {} {}",
                            budget_limit(check.budget, check.limit),
                            check.source
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "{} {}/iter{budget}",
                    report.resource,
                    format_resource_rate(report.resource, report.judgement.growth_per_iteration)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match &record.outcome {
        Outcome::Passed => "passed".to_owned(),
        Outcome::Leaked => format!("leaked: {}", growth()),
        Outcome::LeakNotFound => "expected a leak (should_leak) but none was found".to_owned(),
        Outcome::OverBudget => format!(
            "over budget: {}",
            record
                .exceeded_budgets()
                .map(budget_breach_short)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Outcome::Failed { message, iteration } => {
            let first_line = message.lines().next().unwrap_or_default();
            match iteration {
                Some(iteration) => format!("failed in iteration {iteration}: {first_line}"),
                None => format!("failed: {first_line}"),
            }
        }
        Outcome::Crashed { description, .. } => format!("crashed: {description}"),
        Outcome::TimedOut { timeout_ms } => {
            format!("timed out after {}", format_duration_ms(*timeout_ms))
        }
        Outcome::Ignored { reason } => match reason {
            Some(reason) => format!("ignored: {reason}"),
            None => "ignored".to_owned(),
        },
        other => other.label().to_owned(),
    }
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
    pub tests: Vec<&'a TestDescription>,
}

/// The targets of a `--list`: harnesses first, then skipped targets. With a
/// `partition`, only the tests of that shard are listed.
pub fn listed_targets<'a>(
    described: &'a Described,
    filter: &Filter,
    partition: Option<&Partition>,
) -> Vec<ListedTarget<'a>> {
    let selected: Vec<(&'a crate::describe::Harness, &'a TestDescription)> = described
        .harnesses
        .iter()
        .flat_map(|harness| harness.tests.iter().map(move |test| (harness, test)))
        .filter(|(_, test)| filter.select(test) != Selected::FilteredOut)
        .collect();
    let in_shard: Vec<bool> = match partition {
        Some(partition) => {
            let keys: Vec<TestKey> = selected
                .iter()
                .map(|&(harness, test)| TestKey::of(&PlannedTest { harness, test }))
                .collect();
            partition.members(&keys)
        }
        None => vec![true; selected.len()],
    };
    let listed: Vec<&(_, _)> = selected
        .iter()
        .zip(in_shard)
        .filter_map(|(pair, keep)| keep.then_some(pair))
        .collect();
    let harnesses = described.harnesses.iter().map(|harness| ListedTarget {
        target: &harness.target,
        binary: Some(harness.binary.path()),
        leaktest_version: Some(&harness.leaktest_version),
        skip: None,
        tests: listed
            .iter()
            .filter(|(owner, _)| std::ptr::eq(*owner, harness))
            .map(|(_, test)| *test)
            .collect(),
    });
    let skipped = described
        .skipped
        .iter()
        .map(|(target, reason)| ListedTarget {
            target,
            binary: None,
            leaktest_version: None,
            skip: Some(reason.clone()),
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
        tally.interrupted_by = Some(StopSignal::Interrupt);
        assert_eq!(tally.exit_code(), 130);
        tally.interrupted_by = Some(StopSignal::Terminate);
        assert_eq!(tally.exit_code(), 143);
    }

    #[test]
    fn regressions_and_empty_runs_have_their_own_codes_below_failures() {
        let regressed = Tally {
            baseline: Some(BaselineCounts {
                regressed: 1,
                ..BaselineCounts::default()
            }),
            no_tests: true,
            ..Tally::default()
        };
        assert_eq!(regressed.exit_code(), 3);
        let failed_too = Tally {
            failed: 1,
            ..regressed.clone()
        };
        assert_eq!(failed_too.exit_code(), 1);
        let empty = Tally {
            no_tests: true,
            ..Tally::default()
        };
        assert_eq!(empty.exit_code(), 4);
    }

    /// Counts the steps it gets; fails from step `fails_at` on (1-based).
    struct Counting<'a> {
        steps: &'a std::cell::Cell<usize>,
        fails_at: usize,
    }

    impl Counting<'_> {
        fn step(&mut self) -> io::Result<()> {
            self.steps.set(self.steps.get() + 1);
            if self.steps.get() >= self.fails_at {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            Ok(())
        }
    }

    impl Reporter for Counting<'_> {
        fn run_started(&mut self, _start: &RunStart<'_>) -> io::Result<()> {
            self.step()
        }
        fn test_started(&mut self, _test: &PlannedTest<'_>) -> io::Result<()> {
            self.step()
        }
        fn test_finished(&mut self, _: &PlannedTest<'_>, _: &TestRecord) -> io::Result<()> {
            self.step()
        }
        fn run_finished(&mut self, _tally: &Tally) -> io::Result<()> {
            self.step()
        }
    }

    #[test]
    fn a_failing_reporter_is_set_aside_and_the_others_get_every_step() {
        let (stdout_steps, junit_steps) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
        let mut reporters = Reporters::default();
        let stdout = Counting {
            steps: &stdout_steps,
            fails_at: 2,
        };
        let junit = Counting {
            steps: &junit_steps,
            fails_at: usize::MAX,
        };
        reporters.push("the report on stdout", Box::new(stdout));
        reporters.push("the JUnit report j.xml", Box::new(junit));
        let start = RunStart {
            to_run: 0,
            harnesses: 0,
            skipped_targets: &[],
            filtered_out: 0,
            jobs: 1,
            partition: None,
            partitioned_out: 0,
            baseline: None,
            overrides: &[],
        };
        for _ in 0..3 {
            reporters.run_started(&start);
        }
        reporters.run_finished(&Tally::default());
        assert_eq!(
            junit_steps.get(),
            4,
            "every step reached the JUnit reporter"
        );
        assert_eq!(stdout_steps.get(), 2, "no step after the failure");
        let unwritten = reporters.finish();
        assert_eq!(unwritten.len(), 1, "{unwritten:?}");
        assert_eq!(
            unwritten[0].to_string(),
            format!(
                "could not write the report on stdout: {}",
                io::Error::from(io::ErrorKind::BrokenPipe)
            )
        );
    }

    #[test]
    fn shortened_text_keeps_its_start_and_fits_with_the_note() {
        assert_eq!(shorten("short", 5, "…"), "short");
        assert_eq!(shorten("longer text", 6, "…"), "longe…");
        assert_eq!(shorten(&"é".repeat(300), 255, "…").chars().count(), 255);
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
