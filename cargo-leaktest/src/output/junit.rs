//! `--junit PATH`: a JUnit XML report (the Jenkins dialect nextest writes,
//! through quick-junit), written when the run ends, after Ctrl-C too.
//!
//! - `<testsuites name="leaktest">`, one `<testsuite>` per test binary
//!   (`package::target`), one `<testcase>` per test that ran or was ignored;
//!   tests another `--partition` shard runs are not in it, so the shards'
//!   reports merge without duplicates.
//! - `<testcase name="TEST" classname="package::target" file="..." line="N"
//!   time="...">`, `file` relative to the repository root (what
//!   action-junit-report and publish-unit-test-result-action link).
//! - A failed test has `<failure type="leaked|leak_not_found|failed|crashed|
//!   timed_out|regression" message="one line">` holding the full
//!   explanation, and the tail of its output in `<system-out>` /
//!   `<system-err>`; an ignored test is `<skipped>`. A test that passed but
//!   regressed against the baseline is a `regression` failure.

use super::{outcome_headline, Reporter, RunStart, Tally};
use crate::atomic_file::write_atomically;
use crate::baseline::{Comparison, Status};
use crate::select::PlannedTest;
use crate::source_paths::SourcePaths;
use crate::test_key::TestKey;
use leaktest_core::model::{Outcome, TestRecord};
use leaktest_core::summary::failure_details;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Collects the tests of a run and writes the JUnit file at its end.
pub struct JunitReporter {
    path: PathBuf,
    paths: SourcePaths,
    /// Test suites in the order their first test ended.
    suites: Vec<TestSuite>,
    /// Where each test's case is: (suite index, case index).
    cases: HashMap<TestKey, (usize, usize)>,
    baseline_label: Option<String>,
    started: Instant,
}

impl JunitReporter {
    /// A reporter writing to `path`, with file paths from `paths`.
    pub fn new(path: PathBuf, paths: SourcePaths) -> JunitReporter {
        JunitReporter {
            path,
            paths,
            suites: Vec::new(),
            cases: HashMap::new(),
            baseline_label: None,
            started: Instant::now(),
        }
    }

    fn suite_index(&mut self, id: &str) -> usize {
        match self
            .suites
            .iter()
            .position(|suite| suite.name.as_str() == id)
        {
            Some(index) => index,
            None => {
                self.suites.push(TestSuite::new(id));
                self.suites.len() - 1
            }
        }
    }

    /// The report as it stands.
    pub fn report(&self, duration: Duration) -> Report {
        let mut report = Report::new("leaktest");
        report.set_time(duration);
        for suite in &self.suites {
            let mut suite = suite.clone();
            let time: Duration = suite.test_cases.iter().filter_map(|case| case.time).sum();
            suite.set_time(time);
            report.add_test_suite(suite);
        }
        report
    }
}

/// The `<testcase>` of a finished (or ignored) test.
pub fn test_case(id: &str, record: &TestRecord, paths: &SourcePaths) -> TestCase {
    let status = match &record.outcome {
        Outcome::Passed => TestCaseStatus::success(),
        Outcome::Ignored { reason } => {
            let mut status = TestCaseStatus::skipped();
            if let Some(reason) = reason {
                status.set_message(reason.as_str());
            }
            status
        }
        outcome => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_type(outcome_kind(outcome))
                .set_message(outcome_headline(record))
                .set_description(failure_details(record));
            status
        }
    };
    let mut case = TestCase::new(record.name.as_str(), status);
    case.set_classname(id);
    if !matches!(record.outcome, Outcome::Ignored { .. }) {
        case.set_time(Duration::from_millis(record.duration_ms));
    }
    if let Some(location) = paths.locate(&record.location) {
        case.extra.insert("file".into(), location.file.into());
        case.extra
            .insert("line".into(), location.line.to_string().into());
    }
    if record.outcome.is_failure() {
        if !record.stdout_tail.is_empty() {
            case.set_system_out(record.stdout_tail.as_str());
        }
        if !record.stderr_tail.is_empty() {
            case.set_system_err(record.stderr_tail.as_str());
        }
    }
    if record.iterations_run > 0 {
        case.add_property(("iterations_run", record.iterations_run.to_string().as_str()));
        case.add_property(("warmup", record.settings.warmup.to_string().as_str()));
        case.add_property((
            "peak_heap_bytes",
            record.peak_heap_bytes.to_string().as_str(),
        ));
        if let Some(allocation) = record.allocation_per_iteration {
            case.add_property((
                "allocation_bytes_per_iteration",
                allocation.bytes.to_string().as_str(),
            ));
            case.add_property((
                "allocations_per_iteration",
                allocation.count.to_string().as_str(),
            ));
        }
    }
    case
}

/// The `kind` of the outcome in the JSON records: `leaked`, `crashed`, ...
fn outcome_kind(outcome: &Outcome) -> String {
    serde_json::to_value(outcome)
        .ok()
        .and_then(|value| value["kind"].as_str().map(str::to_owned))
        .unwrap_or_else(|| outcome.label().to_owned())
}

/// Marks `case` with its comparison: a regression fails it (or adds to its
/// failure), and a property says how it compared.
pub fn apply_comparison(case: &mut TestCase, comparison: &Comparison, baseline: &str) {
    let status = serde_json::to_value(comparison.status)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default();
    case.add_property(("baseline.status", status.as_str()));
    if comparison.status != Status::Regressed {
        return;
    }
    let lines: Vec<&str> = comparison
        .regressions()
        .map(|change| change.text.as_str())
        .collect();
    let text = format!(
        "regressed against baseline {baseline}:\n  {}\n",
        lines.join("\n  ")
    );
    match &mut case.status {
        TestCaseStatus::NonSuccess { description, .. } => {
            let mut full = description
                .as_ref()
                .map(|d| d.as_str().to_owned())
                .unwrap_or_default();
            full.push_str(&text);
            *description = Some(full.into());
        }
        _ => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_type("regression")
                .set_message(format!(
                    "regressed against baseline {baseline}: {}",
                    lines.join("; ")
                ))
                .set_description(text);
            case.status = status;
        }
    }
}

impl Reporter for JunitReporter {
    fn run_started(&mut self, start: &RunStart<'_>) -> io::Result<()> {
        self.started = Instant::now();
        self.baseline_label = start.baseline.map(|info| info.label());
        Ok(())
    }

    fn test_started(&mut self, _test: &PlannedTest<'_>) -> io::Result<()> {
        Ok(())
    }

    fn test_finished(&mut self, test: &PlannedTest<'_>, record: &TestRecord) -> io::Result<()> {
        let id = test.harness.id();
        let suite = self.suite_index(&id);
        let case = test_case(&id, record, &self.paths);
        self.suites[suite].add_test_case(case);
        let index = self.suites[suite].test_cases.len() - 1;
        self.cases.insert(TestKey::of(test), (suite, index));
        Ok(())
    }

    fn test_compared(&mut self, test: &PlannedTest<'_>, comparison: &Comparison) -> io::Result<()> {
        let Some(&(suite, index)) = self.cases.get(&TestKey::of(test)) else {
            return Ok(());
        };
        let label = self.baseline_label.as_deref().unwrap_or("(baseline)");
        let suite = &mut self.suites[suite];
        let was_failure = matches!(
            suite.test_cases[index].status,
            TestCaseStatus::NonSuccess { .. }
        );
        apply_comparison(&mut suite.test_cases[index], comparison, label);
        let is_failure = matches!(
            suite.test_cases[index].status,
            TestCaseStatus::NonSuccess { .. }
        );
        if is_failure && !was_failure {
            // quick-junit counts failures when a case is added.
            suite.failures += 1;
        }
        Ok(())
    }

    fn run_finished(&mut self, _tally: &Tally) -> io::Result<()> {
        let xml = self
            .report(self.started.elapsed())
            .to_string()
            .map_err(io::Error::other)?;
        write_atomically(&self.path, xml.as_bytes()).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!(
                    "could not write the JUnit report {}: {error}",
                    self.path.display()
                ),
            )
        })
    }
}
