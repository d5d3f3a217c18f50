//! `--report DIR`: a self-contained HTML report of the run, `DIR/index.html`.
//!
//! One file that opens offline: inline CSS and SVG, no script, no font, no
//! request (its Content-Security-Policy forbids any). It holds a table of
//! every test with its budgets and, per test, a plot of each resource over
//! the iterations with the budgets that apply to it ([`plot`],
//! [`budget_lines`]) and the details that explain a failure ([`sections`]).
//!
//! [`HtmlReporter`] collects each finished test, reduced for drawing (a long
//! soak does not keep every sample in memory), and writes the page when the
//! run finishes, also after Ctrl-C, atomically ([`crate::atomic_file`]): a
//! temporary file in `DIR` renamed over `index.html`, so a reader never sees
//! half a report.

mod budget_lines;
mod page;
pub mod plot;
mod sections;

use super::{Reporter, RunStart, Tally};
use crate::atomic_file;
use crate::baseline::compare::format_percent;
use crate::baseline::Comparison;
use crate::select::PlannedTest;
use leaktest_core::model::{BudgetCheck, ConfigSource, TestRecord};
use plot::PlotSeries;
use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The report's file name inside the report directory.
pub const INDEX_FILE: &str = "index.html";

/// Why the report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The report directory could not be created (a file is in the way, no permission).
    #[error("could not create the report directory {path}: {source} (give --report a directory you can write)")]
    CreateDirectory {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Writing or renaming the report file failed (disk full, no permission).
    #[error("could not write the report {path}: {source}")]
    Write {
        /// The file that was being written.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

/// Creates the report directory and checks that a file can be written in it,
/// so that a bad `--report` fails before the tests run, not after.
pub fn prepare(dir: &Path) -> Result<(), ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::CreateDirectory {
        path: dir.to_owned(),
        source,
    })?;
    tempfile::Builder::new()
        .prefix(".leaktest-")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|source| ReportError::Write {
            path: dir.join(INDEX_FILE),
            source,
        })
}

/// Writes `html` to `dir/index.html` whole or not at all (see
/// [`crate::atomic_file`]) and returns the file's path.
pub fn write(dir: &Path, html: &str) -> Result<PathBuf, ReportError> {
    prepare(dir)?;
    let path = dir.join(INDEX_FILE);
    atomic_file::write_atomically(&path, html.as_bytes()).map_err(|source| ReportError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// One finished (or ignored) test as the report shows it.
#[derive(Debug, Clone)]
pub struct ReportedTest {
    /// `package::target` of its harness.
    pub binary_id: String,
    /// Its record, without the series (see `plots`).
    pub record: TestRecord,
    /// Each measured resource's series, reduced for drawing, in the record's order.
    pub plots: Vec<PlotSeries>,
    /// How it compared with the baseline, when the run has one.
    pub comparison: Option<Comparison>,
}

impl ReportedTest {
    /// Takes the series out of `record` and keeps what the plots need.
    pub fn new(binary_id: String, mut record: TestRecord) -> ReportedTest {
        let warmup = record.settings.warmup;
        let plots = record
            .resources
            .iter_mut()
            .map(|report| {
                let series = std::mem::take(&mut report.series);
                if report.iterations_per_point > 1 {
                    let peaks = std::mem::take(&mut report.peaks);
                    PlotSeries::coarse(
                        report.resource,
                        &series,
                        &peaks,
                        report.iterations_per_point,
                        record.iterations_run,
                        warmup,
                    )
                } else {
                    PlotSeries::new(report.resource, &series, warmup)
                }
            })
            .collect();
        ReportedTest {
            binary_id,
            record,
            plots,
            comparison: None,
        }
    }

    /// Whether the test fails the run: its own verdict, or a regression
    /// against the baseline.
    pub fn fails_the_run(&self) -> bool {
        self.record.outcome.is_failure()
            || self
                .comparison
                .as_ref()
                .is_some_and(|comparison| comparison.regressions().next().is_some())
    }
}

/// The budgets a layer of the configuration set for the test, which the
/// report shows; leaktest's default growth budget, 0, is left out: it is the
/// leak verdict itself.
pub fn configured_budgets(record: &TestRecord) -> impl Iterator<Item = &BudgetCheck> {
    record
        .budgets
        .iter()
        .filter(|check| check.source != ConfigSource::Default)
}

/// The baseline a run compares with, as the header says it.
#[derive(Debug, Clone, Default)]
pub struct ReportedBaseline {
    /// `'main'`, or the file's path.
    pub label: String,
    /// The file.
    pub path: String,
    /// `10% and 64.0 KiB for bytes, 10% for counts`.
    pub tolerance: String,
}

/// Everything the page shows about a run.
#[derive(Debug, Clone, Default)]
pub struct ReportedRun {
    /// The command line, for the header.
    pub command: String,
    /// When the report was written (RFC 3339, UTC).
    pub written_at: String,
    /// Finished and ignored tests, in the order they ended.
    pub tests: Vec<ReportedTest>,
    /// The counts of the run.
    pub tally: Tally,
    /// Tests that were running when the run was interrupted: `(binary id, name)`.
    pub unfinished: Vec<(String, String)>,
    /// Test targets that are not leaktest harnesses: `(package::target, why)`.
    pub skipped_targets: Vec<(String, String)>,
    /// The baseline the tests were compared with, if any.
    pub baseline: Option<ReportedBaseline>,
}

/// Collects the run and writes the report when it finishes.
pub struct HtmlReporter {
    dir: PathBuf,
    announce: bool,
    run: ReportedRun,
    running: BTreeSet<(String, String)>,
}

impl HtmlReporter {
    /// A reporter writing to `dir/index.html` (see [`prepare`]); with
    /// `announce`, the path is printed to stderr once written.
    pub fn new(dir: PathBuf, announce: bool) -> HtmlReporter {
        HtmlReporter {
            dir,
            announce,
            run: ReportedRun {
                command: command_line(),
                ..ReportedRun::default()
            },
            running: BTreeSet::new(),
        }
    }
}

/// `cargo leaktest ARGS` as this process was started.
fn command_line() -> String {
    let mut words = vec!["cargo leaktest".to_owned()];
    words.extend(
        std::env::args_os()
            .skip(1)
            .skip_while(|arg| arg == "leaktest")
            .map(|arg| arg.to_string_lossy().into_owned()),
    );
    words.join(" ")
}

impl Reporter for HtmlReporter {
    fn run_started(&mut self, start: &RunStart<'_>) -> io::Result<()> {
        self.run.skipped_targets = start
            .skipped_targets
            .iter()
            .map(|(target, reason)| (target.id(), reason.to_string()))
            .collect();
        self.run.baseline = start.baseline.map(|info| ReportedBaseline {
            label: info.label(),
            path: info.path.display().to_string(),
            tolerance: format!(
                "{} and {} for bytes, {} for counts",
                format_percent(info.tolerance.percent),
                leaktest_core::render::format_bytes(
                    i64::try_from(info.tolerance.bytes).unwrap_or(i64::MAX)
                ),
                format_percent(info.tolerance.count_percent)
            ),
        });
        Ok(())
    }

    fn test_started(&mut self, test: &PlannedTest<'_>) -> io::Result<()> {
        self.running
            .insert((test.harness.id(), test.test.name.clone()));
        Ok(())
    }

    fn test_finished(&mut self, test: &PlannedTest<'_>, record: &TestRecord) -> io::Result<()> {
        let binary_id = test.harness.id();
        self.running
            .remove(&(binary_id.clone(), record.name.clone()));
        self.run
            .tests
            .push(ReportedTest::new(binary_id, record.clone()));
        Ok(())
    }

    fn test_compared(&mut self, test: &PlannedTest<'_>, comparison: &Comparison) -> io::Result<()> {
        let binary_id = test.harness.id();
        // The comparison follows the test's own `test_finished`.
        if let Some(reported) = self.run.tests.iter_mut().rev().find(|reported| {
            reported.binary_id == binary_id && reported.record.name == test.test.name
        }) {
            reported.comparison = Some(comparison.clone());
        }
        Ok(())
    }

    fn run_finished(&mut self, tally: &Tally) -> io::Result<()> {
        self.run.tally = tally.clone();
        self.run.unfinished = std::mem::take(&mut self.running).into_iter().collect();
        self.run.written_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        let html = page::render(&self.run);
        let path = write(&self.dir, &html).map_err(io::Error::other)?;
        if self.announce {
            crate::ci::say(format_args!("report: {}", path.display()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
