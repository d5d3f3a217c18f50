//! GitHub Actions: an `::error` annotation at the function of each failing
//! or regressed test, and a Markdown summary of the run appended to
//! `$GITHUB_STEP_SUMMARY`.
//!
//! On when `GITHUB_ACTIONS=true` (or `--github-actions always`). Annotation
//! paths are relative to the repository root ([`SourcePaths`]); data and
//! properties are escaped as the runner reads them. GitHub shows at most 10
//! error annotations per step, so failures come first, then regressions, and
//! past ten one notice points to the summary.

use super::step_summary::{self, Detail, Row, Summary};
use super::{outcome_headline, shorten, Reporter, RunStart, Tally};
use crate::baseline::{Comparison, Status};
use crate::select::PlannedTest;
use crate::source_paths::{SourceLocation, SourcePaths};
use crate::test_key::TestKey;
use leaktest_core::model::{Outcome, TestRecord};
use leaktest_core::render::{format_bytes, format_count, format_resource_rate};
use leaktest_core::summary::failure_details;
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// GitHub shows at most this many error annotations of one step.
pub const MAX_ERROR_ANNOTATIONS: usize = 10;
/// Longest annotation message; the rest is in the log and the summary.
const MAX_MESSAGE_CHARS: usize = 4000;
/// Longest annotation title: GitHub cuts a title at 255 characters.
pub const MAX_TITLE_CHARS: usize = 255;

/// Escapes the message of a workflow command: `%`, `\r`, `\n`.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property of a workflow command: as data, and `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// `::error file=F,line=L,title=T::MESSAGE` (or `::notice`), one line.
pub fn annotation(
    level: &str,
    location: Option<&SourceLocation>,
    title: &str,
    message: &str,
) -> String {
    let mut properties = Vec::new();
    if let Some(location) = location {
        properties.push(format!("file={}", escape_property(&location.file)));
        properties.push(format!("line={}", location.line));
    }
    properties.push(format!("title={}", escape_property(title)));
    format!(
        "::{level} {}::{}",
        properties.join(","),
        escape_data(message)
    )
}

/// A failing or regressed test, for its annotation and summary details.
#[derive(Debug, Clone)]
struct Problem {
    location: Option<SourceLocation>,
    title: String,
    text: String,
    /// The test itself failed (not only regressed): annotated first.
    failed: bool,
}

/// Annotates failures and writes the step summary when the run ends.
pub struct GithubReporter<W: Write> {
    out: W,
    paths: SourcePaths,
    summary_path: Option<PathBuf>,
    rows: Vec<Row>,
    problems: Vec<Problem>,
    /// Where a test's row and problem are, for its comparison.
    index: HashMap<TestKey, (usize, Option<usize>)>,
    notes: Vec<String>,
    baseline_label: Option<String>,
}

impl<W: Write> GithubReporter<W> {
    /// Annotations to `out` (the log), the summary appended to
    /// `summary_path` (`$GITHUB_STEP_SUMMARY`) when given.
    pub fn new(out: W, paths: SourcePaths, summary_path: Option<PathBuf>) -> Self {
        GithubReporter {
            out,
            paths,
            summary_path,
            rows: Vec::new(),
            problems: Vec::new(),
            index: HashMap::new(),
            notes: Vec::new(),
            baseline_label: None,
        }
    }

    /// The annotation lines for the problems: failures first, at most
    /// [`MAX_ERROR_ANNOTATIONS`], then one notice for the rest.
    fn annotations(&self, summary_written: bool) -> Vec<String> {
        let mut ordered: Vec<&Problem> = self.problems.iter().filter(|p| p.failed).collect();
        ordered.extend(self.problems.iter().filter(|p| !p.failed));
        let mut lines: Vec<String> = ordered
            .iter()
            .take(MAX_ERROR_ANNOTATIONS)
            .map(|problem| {
                annotation(
                    "error",
                    problem.location.as_ref(),
                    &shorten(&problem.title, MAX_TITLE_CHARS, "…"),
                    &shorten(&problem.text, MAX_MESSAGE_CHARS, THE_REST_IS_IN_THE_LOG),
                )
            })
            .collect();
        let rest = ordered.len().saturating_sub(MAX_ERROR_ANNOTATIONS);
        if rest > 0 {
            let see = if summary_written {
                "the job summary"
            } else {
                "the log"
            };
            lines.push(annotation(
                "notice",
                None,
                "leaktest",
                &format!(
                    "{rest} more failing or regressed {} not annotated (GitHub shows {MAX_ERROR_ANNOTATIONS} \
                     errors per step): see {see}",
                    if rest == 1 { "test is" } else { "tests are" }
                ),
            ));
        }
        lines
    }

    fn write_summary(&self, path: &Path, tally: &Tally) -> io::Result<()> {
        let existing = std::fs::metadata(path).map_or(0, |meta| meta.len() as usize);
        let room = step_summary::STEP_SUMMARY_LIMIT_BYTES
            .saturating_sub(step_summary::STEP_SUMMARY_MARGIN_BYTES)
            .saturating_sub(existing);
        let mut notes = self.notes.clone();
        if tally.interrupted() {
            notes.push(format!(
                "Interrupted: {} did not finish.",
                plural(tally.not_run, "test")
            ));
        }
        if let Some(counts) = &tally.baseline {
            notes.push(format!(
                "Baseline {}: {} compared, {} regressed, {} improved, {} new.",
                self.baseline_label.as_deref().unwrap_or_default(),
                counts.compared,
                counts.regressed,
                counts.improved,
                counts.new
            ));
        }
        let summary = Summary {
            counts: tally.counts_line(),
            notes,
            details: self
                .problems
                .iter()
                .filter(|p| p.failed)
                .chain(self.problems.iter().filter(|p| !p.failed))
                .map(|problem| Detail {
                    title: problem.title.clone(),
                    text: problem.text.clone(),
                })
                .collect(),
            rows: self.rows.clone(),
        };
        let text = step_summary::render(&summary, room);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        file.write_all(text.as_bytes())
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Ends an annotation message that was cut.
const THE_REST_IS_IN_THE_LOG: &str = "\n… (the rest is in the log)";

/// The summary row of a finished test.
fn row(binary: &str, record: &TestRecord) -> Row {
    let growth = record
        .leaking_resources()
        .map(|report| {
            format!(
                "{} {}/iter",
                report.resource,
                format_resource_rate(report.resource, report.judgement.growth_per_iteration)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let allocation = record
        .allocation_per_iteration
        .map(|a| {
            format!(
                "{} in {} allocation{}",
                format_bytes(i64::try_from(a.bytes).unwrap_or(i64::MAX)),
                format_count(i64::try_from(a.count).unwrap_or(i64::MAX)),
                if a.count == 1 { "" } else { "s" }
            )
        })
        .unwrap_or_default();
    let ran = record.iterations_run > 0;
    Row {
        failing: record.outcome.is_failure(),
        binary: binary.to_owned(),
        name: record.name.clone(),
        verdict: record.outcome.label().to_uppercase(),
        growth,
        peak: if ran {
            format_bytes(i64::try_from(record.peak_heap_bytes).unwrap_or(i64::MAX))
        } else {
            String::new()
        },
        allocation,
        baseline: String::new(),
        duration: match record.outcome {
            Outcome::Ignored { .. } => String::new(),
            _ => format!("{:.2}s", record.duration_ms as f64 / 1000.0),
        },
    }
}

impl<W: Write> Reporter for GithubReporter<W> {
    fn run_started(&mut self, start: &RunStart<'_>) -> io::Result<()> {
        if let Some(partition) = start.partition {
            self.notes.push(format!(
                "Shard {partition}: {} here, {} in the other shards.",
                plural(start.to_run, "test"),
                start.partitioned_out
            ));
        }
        self.baseline_label = start.baseline.map(|info| info.label());
        Ok(())
    }

    fn test_started(&mut self, _test: &PlannedTest<'_>) -> io::Result<()> {
        Ok(())
    }

    fn test_finished(&mut self, test: &PlannedTest<'_>, record: &TestRecord) -> io::Result<()> {
        let id = test.harness.id();
        self.rows.push(row(&id, record));
        let problem = record.outcome.is_failure().then(|| {
            self.problems.push(Problem {
                location: self.paths.locate(&record.location),
                title: format!("{id} {}: {}", record.name, outcome_headline(record)),
                text: failure_details(record),
                failed: true,
            });
            self.problems.len() - 1
        });
        self.index
            .insert(TestKey::of(test), (self.rows.len() - 1, problem));
        Ok(())
    }

    fn test_compared(&mut self, test: &PlannedTest<'_>, comparison: &Comparison) -> io::Result<()> {
        let key = TestKey::of(test);
        let Some(&(row, problem)) = self.index.get(&key) else {
            return Ok(());
        };
        let label = self.baseline_label.clone().unwrap_or_default();
        let changes: Vec<&str> = comparison
            .regressions()
            .chain(comparison.improvements())
            .map(|change| change.text.as_str())
            .collect();
        self.rows[row].baseline = match comparison.status {
            Status::New => "new".to_owned(),
            Status::Unchanged => "unchanged".to_owned(),
            Status::NotCompared => "not compared".to_owned(),
            Status::Improved | Status::Regressed => changes.join("; "),
        };
        if comparison.status != Status::Regressed {
            return Ok(());
        }
        self.rows[row].failing = true;
        if self.rows[row].verdict == "PASSED" {
            self.rows[row].verdict = "REGRESSED".to_owned();
        }
        let text = format!(
            "regressed against baseline {label}:\n  {}",
            comparison
                .regressions()
                .map(|change| change.text.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        );
        match problem {
            Some(index) => {
                let problem = &mut self.problems[index];
                problem.text.push_str(&text);
            }
            None => {
                let location = self.paths.locate(&test.test.location);
                self.problems.push(Problem {
                    location,
                    title: format!(
                        "{} {}: regressed against baseline {label}",
                        test.harness.id(),
                        test.test.name
                    ),
                    text,
                    failed: false,
                });
                let index = self.problems.len() - 1;
                self.index.insert(key, (row, Some(index)));
            }
        }
        Ok(())
    }

    fn run_finished(&mut self, tally: &Tally) -> io::Result<()> {
        let summary_written = match &self.summary_path {
            Some(path) => {
                self.write_summary(path, tally).map_err(|error| {
                    io::Error::new(
                        error.kind(),
                        format!(
                            "could not append to the step summary {}: {error}",
                            path.display()
                        ),
                    )
                })?;
                true
            }
            None => false,
        };
        for line in self.annotations(summary_written) {
            writeln!(self.out, "{line}")?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_properties_are_escaped_as_the_runner_reads_them() {
        assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("100% a\nb: c, d"), "100%25 a%0Ab%3A c%2C d");
    }

    #[test]
    fn an_annotation_points_at_the_function() {
        let location = SourceLocation {
            file: "crates/parser/tests/leaks.rs".to_owned(),
            line: 12,
        };
        assert_eq!(
            annotation(
                "error",
                Some(&location),
                "parser::leaks parse: leaked: heap +64 B/iter",
                "leak: ...\n  heap: +64 B/iter"
            ),
            "::error file=crates/parser/tests/leaks.rs,line=12,\
             title=parser%3A%3Aleaks parse%3A leaked%3A heap +64 B/iter::leak: ...%0A  heap: +64 B/iter"
        );
    }

    fn reporter_with(problems: usize) -> GithubReporter<Vec<u8>> {
        let dir = std::env::temp_dir();
        let mut reporter = GithubReporter::new(Vec::new(), SourcePaths::new(&dir, None), None);
        for index in 0..problems {
            reporter.problems.push(Problem {
                location: None,
                title: format!("test {index}"),
                text: "failed".to_owned(),
                // The last one failed; the others only regressed.
                failed: index == problems - 1,
            });
        }
        reporter
    }

    #[test]
    fn a_huge_title_and_message_are_cut_to_what_github_shows() {
        let mut reporter = reporter_with(1);
        reporter.problems[0].title = format!("leaks t failed {}", "x".repeat(1 << 20));
        reporter.problems[0].text = "y".repeat(1 << 20);
        let lines = reporter.annotations(false);
        let (properties, message) = lines[0]
            .split_once("::")
            .and_then(|(_, rest)| rest.split_once("::"))
            .expect("an annotation");
        let title = properties.strip_prefix("error title=").expect("a title");
        assert_eq!(title.chars().count(), MAX_TITLE_CHARS, "{title}");
        assert!(title.ends_with("xx…"), "{title}");
        assert!(
            message.chars().count() < MAX_MESSAGE_CHARS + 10,
            "{}",
            message.len()
        );
        assert!(message.ends_with("(the rest is in the log)"));
    }

    #[test]
    fn at_most_ten_errors_then_a_notice_failures_first() {
        let lines = reporter_with(13).annotations(true);
        assert_eq!(lines.len(), 11);
        assert!(lines[0].contains("title=test 12::"), "{}", lines[0]);
        assert!(lines[..10].iter().all(|line| line.starts_with("::error ")));
        assert_eq!(
            lines[10],
            "::notice title=leaktest::3 more failing or regressed tests are not annotated \
             (GitHub shows 10 errors per step): see the job summary"
        );
        assert_eq!(reporter_with(10).annotations(false).len(), 10);
    }
}
