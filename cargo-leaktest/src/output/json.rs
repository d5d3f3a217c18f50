//! `--message-format json`: one JSON object per line on stdout, each with a
//! `type` and the `schema_version` of [`leaktest_core::model::SCHEMA_VERSION`].
//! The README section `cargo leaktest --message-format json` documents it.

use super::{ListedTarget, Override, Reporter, RunStart, Tally};
use crate::baseline::compare::{Change, Status};
use crate::baseline::gate::{BaselineCounts, BaselineInfo};
use crate::baseline::Comparison;
use crate::select::PlannedTest;
use leaktest_core::model::{TestDescription, TestRecord, SCHEMA_VERSION};
use serde::Serialize;
use std::io::{self, Write};
use std::path::Path;

/// A test target that is not a leaktest harness, in `run_started`.
#[derive(Debug, Serialize)]
struct SkippedTarget<'a> {
    package: &'a str,
    target: &'a str,
    reason: &'static str,
    message: String,
}

/// A setting overridden for every test, in `run_started` and `target_listed`.
#[derive(Debug, Serialize)]
struct OverrideLine<'a> {
    setting: &'a str,
    value: &'a str,
    source: &'a str,
}

fn override_lines(overrides: &[Override]) -> Vec<OverrideLine<'_>> {
    overrides
        .iter()
        .map(|item| OverrideLine {
            setting: item.setting,
            value: &item.value,
            source: &item.source,
        })
        .collect()
}

/// One line of output.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line<'a> {
    RunStarted {
        schema_version: u32,
        leaktest_version: &'static str,
        tests: usize,
        binaries: usize,
        filtered_out: usize,
        jobs: usize,
        overrides: Vec<OverrideLine<'a>>,
        skipped_targets: Vec<SkippedTarget<'a>>,
        partition: Option<String>,
        partitioned_out: usize,
        baseline: Option<&'a BaselineInfo>,
    },
    TestFinished {
        schema_version: u32,
        package: &'a str,
        target: &'a str,
        binary: &'a Path,
        failed: bool,
        record: &'a TestRecord,
    },
    TestCompared {
        schema_version: u32,
        package: &'a str,
        target: &'a str,
        name: &'a str,
        status: Status,
        changes: &'a [Change],
        note: Option<&'a str>,
    },
    RunFinished {
        schema_version: u32,
        passed: usize,
        failed: usize,
        skipped: usize,
        ignored: usize,
        not_run: usize,
        filtered_out: usize,
        duration_ms: u64,
        interrupted: bool,
        regressed: usize,
        baseline: Option<&'a BaselineCounts>,
        no_tests: bool,
        signal: Option<&'static str>,
        exit_code: i32,
    },
    TargetListed {
        schema_version: u32,
        package: &'a str,
        target: &'a str,
        src_path: &'a Path,
        binary: Option<&'a Path>,
        leaktest_harness: bool,
        leaktest_version: Option<&'a str>,
        skip_reason: Option<&'static str>,
        skip_message: Option<String>,
        overrides: Vec<OverrideLine<'a>>,
        tests: &'a [&'a TestDescription],
    },
}

fn write_line(out: &mut impl Write, line: &Line<'_>) -> io::Result<()> {
    serde_json::to_writer(&mut *out, line).map_err(io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Writes the JSON lines of a run to `out` (stdout).
pub struct JsonReporter<W: Write> {
    out: W,
}

impl<W: Write> JsonReporter<W> {
    /// A reporter writing to `out`.
    pub fn new(out: W) -> Self {
        JsonReporter { out }
    }
}

impl<W: Write> Reporter for JsonReporter<W> {
    fn run_started(&mut self, start: &RunStart<'_>) -> io::Result<()> {
        let skipped_targets = start
            .skipped_targets
            .iter()
            .map(|(target, reason)| SkippedTarget {
                package: &target.package,
                target: &target.name,
                reason: reason.code(),
                message: reason.to_string(),
            })
            .collect();
        write_line(
            &mut self.out,
            &Line::RunStarted {
                schema_version: SCHEMA_VERSION,
                leaktest_version: env!("CARGO_PKG_VERSION"),
                tests: start.to_run,
                binaries: start.harnesses,
                filtered_out: start.filtered_out,
                jobs: start.jobs,
                overrides: override_lines(start.overrides),
                skipped_targets,
                partition: start.partition.map(|partition| partition.to_string()),
                partitioned_out: start.partitioned_out,
                baseline: start.baseline,
            },
        )
    }

    fn test_started(&mut self, _test: &PlannedTest<'_>) -> io::Result<()> {
        Ok(())
    }

    fn test_finished(&mut self, test: &PlannedTest<'_>, record: &TestRecord) -> io::Result<()> {
        write_line(
            &mut self.out,
            &Line::TestFinished {
                schema_version: SCHEMA_VERSION,
                package: &test.harness.target.package,
                target: &test.harness.target.name,
                binary: test.harness.binary.path(),
                failed: record.outcome.is_failure(),
                record,
            },
        )
    }

    fn test_compared(&mut self, test: &PlannedTest<'_>, comparison: &Comparison) -> io::Result<()> {
        write_line(
            &mut self.out,
            &Line::TestCompared {
                schema_version: SCHEMA_VERSION,
                package: &test.harness.target.package,
                target: &test.harness.target.name,
                name: &test.test.name,
                status: comparison.status,
                changes: &comparison.changes,
                note: comparison.note.as_deref(),
            },
        )
    }

    fn run_finished(&mut self, tally: &Tally) -> io::Result<()> {
        write_line(
            &mut self.out,
            &Line::RunFinished {
                schema_version: SCHEMA_VERSION,
                passed: tally.passed,
                failed: tally.failed,
                skipped: tally.skipped(),
                ignored: tally.ignored,
                not_run: tally.not_run,
                filtered_out: tally.filtered_out,
                duration_ms: u64::try_from(tally.duration.as_millis()).unwrap_or(u64::MAX),
                interrupted: tally.interrupted(),
                regressed: tally.regressed(),
                baseline: tally.baseline.as_ref(),
                no_tests: tally.no_tests,
                signal: tally.interrupted_by.map(|signal| signal.name()),
                exit_code: tally.exit_code(),
            },
        )
    }
}

/// Writes a `--list` as one `target_listed` line per test target.
pub fn write_list(
    out: &mut impl Write,
    targets: &[ListedTarget<'_>],
    overrides: &[Override],
) -> io::Result<()> {
    for listed in targets {
        write_line(
            out,
            &Line::TargetListed {
                schema_version: SCHEMA_VERSION,
                package: &listed.target.package,
                target: &listed.target.name,
                src_path: &listed.target.src_path,
                binary: listed.binary,
                leaktest_harness: listed.skip.is_none(),
                leaktest_version: listed.leaktest_version,
                skip_reason: listed.skip.as_ref().map(|reason| reason.code()),
                skip_message: listed.skip.as_ref().map(|reason| reason.to_string()),
                overrides: override_lines(overrides),
                tests: &listed.tests,
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_finished_is_one_line_with_its_type_and_schema() {
        let mut out = Vec::new();
        let tally = Tally {
            passed: 2,
            failed: 1,
            ignored: 1,
            ..Tally::default()
        };
        JsonReporter::new(&mut out).run_finished(&tally).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["type"], "run_finished");
        assert_eq!(value["schema_version"], SCHEMA_VERSION);
        assert_eq!(value["passed"], 2);
        assert_eq!(value["failed"], 1);
        assert_eq!(value["skipped"], 1);
        assert_eq!(value["exit_code"], 1);
    }
}
