//! Text for people: a header, a progress bar on a terminal (stderr), one line
//! per test with its verdict, the details of every failure, and a summary
//! ending with the line `N passed, N failed, N skipped`.

use super::{ListedTarget, Override, Reporter, RunStart, Tally};
use crate::baseline::compare::format_percent;
use crate::baseline::{Comparison, Status};
use crate::discovery::SkipReason;
use crate::select::PlannedTest;
use console::{style, StyledObject};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use leaktest_core::model::{Budget, ConfigSource, Outcome, Resource, Settings, TestRecord};
use leaktest_core::render::{budget_breach_short, format_bytes, format_resource_rate, sparkline};
use leaktest_core::summary::{
    attribution_details, failure_details, format_duration_ms, leak_lines,
};
use std::io::{self, Write};
use std::time::Duration;

/// Width of the sparkline on a test line, in characters.
const SPARKLINE_WIDTH: usize = 24;
/// Longest failure message shown on a test line (the details have it all).
const MESSAGE_WIDTH: usize = 80;
/// Width of the verdict column (`TIMED OUT`).
const VERDICT_WIDTH: usize = 9;

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// Failures and the summary only.
    Quiet,
    /// Every test, one line each.
    Normal,
    /// Every test, with the growth line of each leaking resource.
    Verbose,
}

/// Writes the human report to `out` (stdout) and the progress bar to stderr.
pub struct HumanReporter<W: Write> {
    out: W,
    verbosity: Verbosity,
    bar: ProgressBar,
    /// Failed tests, `(binary id, record)`, for the details at the end.
    failures: Vec<(String, TestRecord)>,
    /// Regressed tests, `(binary id and name, what regressed)`, for the end.
    regressions: Vec<(String, Vec<String>)>,
    /// `'main'`, when the run compares with a baseline.
    baseline_label: Option<String>,
}

impl<W: Write> HumanReporter<W> {
    /// A reporter writing to `out`; the progress bar shows on stderr when it
    /// is a terminal (indicatif hides it otherwise), unless quiet.
    pub fn new(out: W, verbosity: Verbosity) -> Self {
        let target = if verbosity != Verbosity::Quiet {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        // Cleared when dropped too: a reporter whose stdout failed gets no
        // `run_finished`, and its bar must not stay on the terminal.
        let bar =
            ProgressBar::with_draw_target(Some(0), target).with_finish(ProgressFinish::AndClear);
        if let Ok(bar_style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
        ) {
            bar.set_style(bar_style);
        }
        HumanReporter {
            out,
            verbosity,
            bar,
            failures: Vec::new(),
            regressions: Vec::new(),
            baseline_label: None,
        }
    }

    /// Writes `text` without tearing the progress bar.
    fn print(&mut self, text: &str) -> io::Result<()> {
        let out = &mut self.out;
        self.bar.suspend(|| {
            out.write_all(text.as_bytes())?;
            out.flush()
        })
    }
}

impl<W: Write> Reporter for HumanReporter<W> {
    fn run_started(&mut self, start: &RunStart<'_>) -> io::Result<()> {
        self.bar.set_length(start.to_run as u64);
        self.baseline_label = start.baseline.map(|info| info.label());
        if self.verbosity == Verbosity::Quiet {
            return Ok(());
        }
        let mut text = format!(
            "{:>width$} {} from {} ({} at a time{}{})\n",
            style("Running").green().bold(),
            plural(start.to_run, "leak test"),
            plural(start.harnesses, "binary"),
            start.jobs,
            if start.filtered_out > 0 {
                format!(", {} filtered out", start.filtered_out)
            } else {
                String::new()
            },
            match start.partition {
                Some(partition) => format!(
                    ", shard {partition}: {} in other shards",
                    start.partitioned_out
                ),
                None => String::new(),
            },
            width = VERDICT_WIDTH,
        );
        if let Some(baseline) = start.baseline {
            let tolerance = &baseline.tolerance;
            text.push_str(&format!(
                "{:>width$} with baseline {} at {} (tolerance: {} and {} for bytes, {} for counts)\n",
                style("Comparing").green().bold(),
                baseline.label(),
                baseline.path.display(),
                format_percent(tolerance.percent),
                format_bytes(i64::try_from(tolerance.bytes).unwrap_or(i64::MAX)),
                format_percent(tolerance.count_percent),
                width = VERDICT_WIDTH,
            ));
        }
        for item in start.overrides {
            text.push_str(&format!(
                "{:>width$} {}\n",
                style("Override").yellow().bold(),
                item.describe(),
                width = VERDICT_WIDTH,
            ));
        }
        // Targets that could not be described are named always: their tests
        // were meant to run.
        let (undescribed, others): (Vec<_>, Vec<_>) = start
            .skipped_targets
            .iter()
            .partition(|(_, reason)| matches!(reason, SkipReason::CannotDescribe(_)));
        for (target, reason) in &undescribed {
            text.push_str(&format!(
                "{:>width$} {}: {reason}\n",
                style("Skipping").yellow().bold(),
                target.id(),
                width = VERDICT_WIDTH,
            ));
        }
        if self.verbosity == Verbosity::Verbose {
            for (target, reason) in others {
                text.push_str(&format!(
                    "{:>width$} {}: {reason}\n",
                    style("Skipping").yellow().bold(),
                    target.id(),
                    width = VERDICT_WIDTH,
                ));
            }
        } else if !others.is_empty() {
            text.push_str(&format!(
                "{:>width$} {} that {} (--list says why)\n",
                style("Skipping").yellow().bold(),
                plural(others.len(), "test target"),
                if others.len() == 1 {
                    "is not a leaktest harness"
                } else {
                    "are not leaktest harnesses"
                },
                width = VERDICT_WIDTH,
            ));
        }
        let printed = self.print(&text);
        // Ticking from here on, so the bar shows under the header, not above it.
        self.bar.enable_steady_tick(Duration::from_millis(100));
        printed
    }

    fn test_started(&mut self, test: &PlannedTest<'_>) -> io::Result<()> {
        self.bar
            .set_message(format!("{} {}", test.harness.id(), test.test.name));
        Ok(())
    }

    fn test_finished(&mut self, test: &PlannedTest<'_>, record: &TestRecord) -> io::Result<()> {
        let failed = record.outcome.is_failure();
        if !matches!(record.outcome, Outcome::Ignored { .. }) {
            self.bar.inc(1);
        }
        if failed {
            self.failures.push((test.harness.id(), record.clone()));
        }
        if self.verbosity == Verbosity::Quiet && !failed {
            return Ok(());
        }
        let mut text = test_line(&test.harness.id(), record);
        text.push('\n');
        if self.verbosity == Verbosity::Verbose {
            for line in leak_lines(record) {
                text.push_str(&format!("{:width$}   {line}\n", "", width = VERDICT_WIDTH));
            }
        }
        // A failure shows its allocation sites in its details at the end;
        // a test that passed shows them here (`--attribute`).
        if !failed {
            for line in attribution_details(record).lines() {
                text.push_str(&format!("{:width$} {line}\n", "", width = VERDICT_WIDTH));
            }
        }
        self.print(&text)
    }

    fn test_compared(&mut self, test: &PlannedTest<'_>, comparison: &Comparison) -> io::Result<()> {
        let id = format!("{} {}", test.harness.id(), test.test.name);
        let label = self.baseline_label.clone().unwrap_or_default();
        let lines: Vec<(StyledObject<&str>, String)> = match comparison.status {
            Status::Regressed => {
                let changes: Vec<String> =
                    comparison.regressions().map(|c| c.text.clone()).collect();
                self.regressions.push((id.clone(), changes.clone()));
                changes
                    .into_iter()
                    .map(|change| (style("REGRESSED").red().bold(), change))
                    .collect()
            }
            Status::Improved if self.verbosity != Verbosity::Quiet => comparison
                .improvements()
                .map(|c| (style("IMPROVED").green().bold(), c.text.clone()))
                .collect(),
            Status::New if self.verbosity != Verbosity::Quiet => vec![(
                style("NEW").yellow().bold(),
                format!("not in baseline {label}: reported, not compared"),
            )],
            Status::NotCompared if self.verbosity == Verbosity::Verbose => vec![(
                style("BASELINE").yellow().bold(),
                format!(
                    "not compared: {}",
                    comparison.note.as_deref().unwrap_or_default()
                ),
            )],
            _ => Vec::new(),
        };
        let mut text = String::new();
        for (verdict, line) in lines {
            text.push_str(&format!(
                "{verdict:>width$} {:9} {id}  {line}\n",
                "",
                width = VERDICT_WIDTH
            ));
        }
        self.print(&text)
    }

    fn run_finished(&mut self, tally: &Tally) -> io::Result<()> {
        self.bar.finish_and_clear();
        let mut text = String::new();
        if !self.regressions.is_empty() {
            text.push_str(&format!(
                "\n{}\n",
                style(format!(
                    "regressions against baseline {}:",
                    self.baseline_label.as_deref().unwrap_or_default()
                ))
                .red()
                .bold()
            ));
            for (id, changes) in &self.regressions {
                text.push_str(&format!("    {id}\n"));
                for change in changes {
                    text.push_str(&format!("        {change}\n"));
                }
            }
        }
        if !self.failures.is_empty() {
            text.push_str(&format!("\n{}\n", style("failures:").red().bold()));
            for (id, record) in &self.failures {
                text.push_str(&format!(
                    "\n---- {id} {} ({}) ----\n{}",
                    record.name,
                    record.outcome.label(),
                    failure_details(record)
                ));
            }
            text.push('\n');
        }
        text.push_str(&finish_line(tally));
        text.push('\n');
        if let Some(counts) = &tally.baseline {
            let line = format!(
                "{:>width$} {}: {} compared, {} regressed, {} improved, {} new{}",
                "Baseline",
                self.baseline_label.as_deref().unwrap_or_default(),
                counts.compared,
                counts.regressed,
                counts.improved,
                counts.new,
                if counts.not_compared > 0 {
                    format!(", {} not compared", counts.not_compared)
                } else {
                    String::new()
                },
                width = VERDICT_WIDTH,
            );
            let line = if counts.regressed > 0 {
                style(line).red().bold()
            } else {
                style(line).green().bold()
            };
            text.push_str(&format!("{line}\n"));
        }
        let counts = tally.counts_line();
        let counts = if tally.failed > 0 || tally.interrupted() || tally.regressed() > 0 {
            style(counts).red().bold()
        } else {
            style(counts).green().bold()
        };
        text.push_str(&format!("{counts}\n"));
        self.print(&text)
    }
}

/// The line before the counts: how long, and why some tests did not run.
fn finish_line(tally: &Tally) -> String {
    let took = format!("{:.1}s", tally.duration.as_secs_f64());
    let ran = tally.passed + tally.failed;
    let mut line = if let Some(signal) = tally.interrupted_by {
        format!(
            "{:>width$} after {took} by {}: {} finished, {} did not",
            style("Interrupted").red().bold(),
            signal.name(),
            plural(ran, "test"),
            tally.not_run,
            width = VERDICT_WIDTH,
        )
    } else {
        format!(
            "{:>width$} {} in {took}",
            style("Finished").green().bold(),
            plural(ran, "leak test"),
            width = VERDICT_WIDTH,
        )
    };
    if tally.stopped_after_failure && tally.not_run > 0 && !tally.interrupted() {
        line.push_str(&format!(
            "; {} not started after the first failure (--no-fail-fast runs them all)",
            tally.not_run
        ));
    }
    line
}

fn plural(count: usize, noun: &str) -> String {
    match (count, noun) {
        (1, _) => format!("1 {noun}"),
        (_, "binary") => format!("{count} binaries"),
        (_, "process") => format!("{count} processes"),
        _ => format!("{count} {noun}s"),
    }
}

fn verdict(outcome: &Outcome) -> StyledObject<String> {
    let word = match outcome {
        // `OVER BUDGET` would not fit the column; the line goes on with the budget.
        Outcome::OverBudget => "EXCEEDED".to_owned(),
        other => other.label().to_uppercase(),
    };
    let label = format!("{word:>width$}", width = VERDICT_WIDTH);
    match outcome {
        Outcome::Passed => style(label).green().bold(),
        Outcome::Ignored { .. } => style(label).yellow().bold(),
        _ => style(label).red().bold(),
    }
}

/// One line for one test: verdict, duration, binary and name, then what
/// matters for its outcome (growth of leaking resources, peak heap, a
/// sparkline of the resource that failed it, else of the heap; or the
/// failure, crash or timeout).
pub fn test_line(binary_id: &str, record: &TestRecord) -> String {
    let duration = match record.outcome {
        Outcome::Ignored { .. } => " ".repeat(9),
        _ => format!("[{:>6.2}s]", record.duration_ms as f64 / 1000.0),
    };
    let mut line = format!(
        "{} {duration} {binary_id} {}",
        verdict(&record.outcome),
        style(&record.name).bold()
    );
    let details = outcome_details(record);
    if !details.is_empty() {
        line.push_str("  ");
        line.push_str(&details);
    }
    line
}

fn outcome_details(record: &TestRecord) -> String {
    match &record.outcome {
        Outcome::Passed | Outcome::Leaked | Outcome::LeakNotFound | Outcome::OverBudget => {
            measurements(record)
        }
        Outcome::OutOfMemory {
            limit_bytes,
            iteration,
        } => {
            let limit = format_bytes(i64::try_from(*limit_bytes).unwrap_or(i64::MAX));
            let peak = format_bytes(i64::try_from(record.peak_heap_bytes).unwrap_or(i64::MAX));
            match iteration {
                Some(iteration) => {
                    format!("exceeded the {limit} limit at iteration {iteration}, peak {peak}")
                }
                None => format!("exceeded the {limit} limit, peak {peak}"),
            }
        }
        Outcome::Failed { message, iteration } => {
            let first_line = message.lines().next().unwrap_or_default();
            let mut text = super::shorten(first_line, MESSAGE_WIDTH, "…");
            if let Some(iteration) = iteration {
                text.push_str(&format!(" (iteration {iteration})"));
            }
            text
        }
        Outcome::Crashed { description, .. } => description.clone(),
        Outcome::TimedOut { timeout_ms } => {
            format!("killed after {}", format_duration_ms(*timeout_ms))
        }
        Outcome::Ignored { reason } => reason.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// `heap +64 B/iter, blocks +1/iter  peak 7.4 KiB  extended to 1000 iters  ▁▂▃▄▅▆▇█` (a leak of
/// another resource than the heap charts it, labelled: `fds ▁▂▃▄▅▆▇█`), with the
/// budgets exceeded first (`max_peak 9.0 MiB (9,437,184 B) > 4.0 MiB (4,194,304 B) [attribute]`)
/// and leaks a growth budget tolerates marked `(within budget)`.
fn measurements(record: &TestRecord) -> String {
    let mut parts: Vec<String> = record
        .exceeded_budgets()
        .filter(|check| {
            // A leak held to the default growth budget is the leak itself, shown next.
            !(matches!(check.budget, Budget::Growth(_)) && check.source == ConfigSource::Default)
        })
        .map(budget_breach_short)
        .collect();
    let growth: Vec<String> = record
        .leaking_resources()
        .map(|report| {
            let tolerated = !record.settings.should_leak
                && record.budgets.iter().any(|check| {
                    check.budget == Budget::Growth(report.resource) && !check.exceeded
                });
            format!(
                "{} {}/iter{}",
                report.resource,
                format_resource_rate(report.resource, report.judgement.growth_per_iteration),
                if tolerated { " (within budget)" } else { "" }
            )
        })
        .collect();
    let mut growth = growth;
    if !record.leaked_processes.is_empty() {
        growth.push(format!(
            "left {} running",
            plural(record.leaked_processes.len(), "process")
        ));
    }
    if !growth.is_empty() {
        let mut growth = growth.join(", ");
        if record.settings.should_leak && record.outcome == Outcome::Passed {
            growth.push_str(" (leak expected)");
        }
        parts.push(growth);
    }
    if record.peak_heap_bytes > 0 {
        let peak = i64::try_from(record.peak_heap_bytes).unwrap_or(i64::MAX);
        parts.push(format!("peak {}", format_bytes(peak)));
    }
    if let Some(extension) = &record.extension {
        if extension.extended_to > record.settings.iterations {
            let mut note = format!("extended to {} iters", extension.extended_to);
            if let Some(iterations) = extension.suggested_iterations {
                note.push_str(&format!(" (iterations = {iterations} avoids it)"));
            }
            parts.push(note);
        }
    }
    if let Some(charted) = record.charted_resource() {
        let chart = sparkline(charted.peaks_or_samples(), SPARKLINE_WIDTH);
        if !chart.is_empty() {
            // The heap's chart goes unlabelled, as it always has.
            parts.push(match charted.resource {
                Resource::HeapBytes => chart,
                other => format!("{other} {chart}"),
            });
        }
    }
    parts.join("  ")
}

/// `iterations=100 warmup=10 timeout=1m settle=200ms should_leak async(multi_thread) setup`.
pub fn settings_summary(settings: &Settings) -> String {
    let mut text = format!(
        "iterations={} warmup={} timeout={} settle={}",
        settings.iterations,
        settings.warmup,
        format_duration_ms(settings.timeout_ms),
        format_duration_ms(settings.settle_ms),
    );
    if settings.should_leak {
        text.push_str(" should_leak");
    }
    if let Some(flavor) = &settings.runtime {
        text.push_str(&format!(" async({flavor})"));
    }
    if settings.has_setup {
        text.push_str(" setup");
    }
    if settings.memory_limit_bytes != leaktest_core::model::DEFAULT_MEMORY_LIMIT_BYTES {
        let limit = i64::try_from(settings.memory_limit_bytes).unwrap_or(i64::MAX);
        text.push_str(&format!(
            " memory_limit={}",
            format_bytes(limit).replace(' ', "")
        ));
    }
    text
}

/// Writes a `--list`: each harness with its tests and their settings, then
/// the skipped test targets with the reason.
pub fn write_list(
    out: &mut impl Write,
    targets: &[ListedTarget<'_>],
    overrides: &[Override],
) -> io::Result<()> {
    for item in overrides {
        writeln!(out, "{} {}", style("override:").yellow(), item.describe())?;
    }
    let mut tests = 0;
    let mut harnesses = 0;
    let mut skipped = 0;
    for listed in targets {
        let id = listed.target.id();
        match &listed.skip {
            Some(reason) => {
                skipped += 1;
                writeln!(out, "{id}: {} {reason}", style("skipped,").yellow())?;
            }
            None => {
                harnesses += 1;
                tests += listed.tests.len();
                let source = listed
                    .target
                    .src_path
                    .strip_prefix(&listed.target.package_root)
                    .unwrap_or(&listed.target.src_path);
                writeln!(
                    out,
                    "{}: {} ({})",
                    style(&id).bold(),
                    plural(listed.tests.len(), "leak test"),
                    source.display(),
                )?;
                let name_width = listed
                    .tests
                    .iter()
                    .map(|test| test.name.chars().count())
                    .max()
                    .unwrap_or(0);
                for test in &listed.tests {
                    let ignored = match test.ignored.as_deref() {
                        Some("") => " ignored".to_owned(),
                        Some(reason) => format!(" ignored: {reason}"),
                        None => String::new(),
                    };
                    writeln!(
                        out,
                        "    {:name_width$}  {}{ignored}  at {}",
                        test.name,
                        settings_summary(&test.settings),
                        test.location,
                    )?;
                }
            }
        }
    }
    writeln!(
        out,
        "\n{} in {}; {} skipped",
        plural(tests, "leak test"),
        plural(harnesses, "binary"),
        plural(skipped, "test target"),
    )?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use leaktest_core::model::{
        Extension, ExtensionEnd, Flavor, Judgement, Reason, ResourceReport, TestDescription,
    };

    fn record(outcome: Outcome) -> TestRecord {
        let mut settings = Settings::default();
        settings.iterations = 30;
        settings.warmup = 3;
        let test = TestDescription::new("leaky", "tests/leaks.rs:3", settings);
        let mut record = TestRecord::without_run(&test, outcome, 412);
        record.iterations_run = 30;
        let reason = Reason::KeptRising {
            late_growth: 960,
            steps: 15,
            from_iteration: 15,
        };
        record.resources = vec![ResourceReport::new(
            Resource::HeapBytes,
            vec![0, 64, 128, 192],
            Judgement::new(Resource::HeapBytes, true, 1728, 64.0, 27, reason),
        )];
        record.peak_heap_bytes = 7578;
        record
    }

    #[test]
    fn a_leak_line_shows_growth_peak_and_sparkline() {
        console::set_colors_enabled(false);
        assert_eq!(
            test_line("fx::leaks", &record(Outcome::Leaked)),
            "   LEAKED [  0.41s] fx::leaks leaky  heap +64 B/iter  peak 7.4 KiB  ▁▃▆█"
        );
    }

    #[test]
    fn a_leak_of_another_resource_charts_that_resource() {
        console::set_colors_enabled(false);
        let mut leaked = record(Outcome::Leaked);
        leaked.resources[0].judgement.leaking = false;
        leaked.resources[0].series = vec![64; 4];
        let reason = Reason::KeptRising {
            late_growth: 2,
            steps: 2,
            from_iteration: 2,
        };
        leaked.resources.push(ResourceReport::new(
            Resource::Fds,
            vec![3, 4, 5, 6],
            Judgement::new(Resource::Fds, true, 27, 1.0, 27, reason),
        ));
        assert_eq!(
            test_line("fx::leaks", &leaked),
            "   LEAKED [  0.41s] fx::leaks leaky  fds +1/iter  peak 7.4 KiB  fds ▁▃▆█"
        );
    }

    #[test]
    fn an_extended_run_says_how_far_and_what_would_avoid_it() {
        console::set_colors_enabled(false);
        let mut passed = record(Outcome::Passed);
        passed.iterations_run = 400;
        passed.extension = Some(Extension::new(400, ExtensionEnd::Judged, Some(310)));
        assert!(
            test_line("fx::leaks", &passed)
                .contains("peak 7.4 KiB  extended to 400 iters (iterations = 310 avoids it)  ▁▃▆█"),
            "{}",
            test_line("fx::leaks", &passed)
        );
        let mut leaked = record(Outcome::Leaked);
        leaked.iterations_run = 300;
        leaked.extension = Some(Extension::new(300, ExtensionEnd::Cap, None));
        assert!(test_line("fx::leaks", &leaked).contains("  extended to 300 iters  "));
        assert!(failure_details(&leaked).contains(
            "run extended from 30 to 300 iterations, the longest run (10 × the declared iterations)"
        ));
    }

    #[test]
    fn crash_and_timeout_lines_say_what_happened() {
        console::set_colors_enabled(false);
        let crashed = record(Outcome::Crashed {
            exit_code: None,
            signal: Some(6),
            description: "killed by SIGABRT (abort)".to_owned(),
        });
        assert!(test_line("fx::leaks", &crashed)
            .ends_with("fx::leaks leaky  killed by SIGABRT (abort)"));
        let timed_out = record(Outcome::TimedOut { timeout_ms: 2000 });
        assert!(test_line("fx::leaks", &timed_out).starts_with("TIMED OUT"));
        assert!(test_line("fx::leaks", &timed_out).ends_with("killed after 2s"));
    }

    #[test]
    fn the_test_line_and_the_details_show_the_same_rate() {
        console::set_colors_enabled(false);
        let mut leaked = record(Outcome::Leaked);
        leaked.resources[0].judgement.growth_per_iteration = 1024.0;
        assert!(test_line("fx::leaks", &leaked).contains("heap +1,024 B/iter"));
        assert!(failure_details(&leaked).contains("+1,024 B/iter"));
    }

    #[test]
    fn the_finish_line_explains_tests_that_did_not_run() {
        console::set_colors_enabled(false);
        let tally = Tally {
            passed: 1,
            failed: 1,
            not_run: 3,
            stopped_after_failure: true,
            duration: Duration::from_millis(1234),
            ..Tally::default()
        };
        assert_eq!(
            finish_line(&tally),
            " Finished 2 leak tests in 1.2s; 3 not started after the first failure (--no-fail-fast runs them all)"
        );
    }

    #[test]
    fn settings_read_like_the_attribute() {
        let mut settings = record(Outcome::Passed).settings;
        settings.should_leak = true;
        settings.runtime = Some(Flavor::MultiThread);
        assert_eq!(
            settings_summary(&settings),
            "iterations=30 warmup=3 timeout=1m settle=200ms should_leak async(multi_thread)"
        );
    }
}
