//! The report page: a header with the run's counts, a table of every test,
//! then each test with its plots and details. Pure: a [`ReportedRun`] in, one
//! HTML document out. Every piece of user text (test names, messages, output)
//! goes through maud's escaping.

use super::budget_lines;
use super::plot::{self, Plot, PlotSeries, ReferenceKind};
use super::sections::{budget_symbol, printable, SECTIONS};
use super::{configured_budgets, ReportedRun, ReportedTest};
use crate::baseline::Status;
use crate::exit_codes;
use crate::output::Tally;
use leaktest_core::model::{Budget, BudgetCheck, Outcome, Resource, ResourceReport, TestRecord};
use leaktest_core::render::{
    budget_check_short, format_bytes, format_count, format_resource_rate, growth_line,
};
use leaktest_core::summary::format_duration_ms;
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The stylesheet, inlined into the page.
const STYLE: &str = include_str!("style.css");

/// The page forbids every load (scripts, fonts, images, requests): it is one
/// self-contained file, and a browser reports anything that tries.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'";

/// The whole report of `run` as one HTML document.
pub fn render(run: &ReportedRun) -> String {
    let order = display_order(&run.tests);
    let rows: Vec<Row<'_>> = order
        .iter()
        .enumerate()
        .map(|(position, &index)| Row {
            anchor: format!("test-{position}"),
            test: &run.tests[index],
        })
        .collect();
    let counts = run.tally.counts_line();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content=(CONTENT_SECURITY_POLICY);
                title { "leaktest report: " (counts) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header { (run_header(run)) }
                main {
                    section #tests aria-labelledby="tests-heading" {
                        h2 #tests-heading { "Tests" }
                        @if rows.is_empty() {
                            p { "No test ran." }
                        } @else {
                            p.filter {
                                label {
                                    input #failures-only type="checkbox";
                                    " Show only the tests that did not pass"
                                }
                            }
                            (summary_table(&rows))
                        }
                    }
                    @if !rows.is_empty() {
                        section #details aria-labelledby="details-heading" {
                            h2 #details-heading { "Each test" }
                            (legend(&legend_entries(&run.tests)))
                            @for row in &rows {
                                (test_details(row))
                            }
                        }
                    }
                }
            }
        }
    }
    .into_string()
}

/// Indices of `tests` in the order the page lists them: by binary, and in
/// each binary failures first, then the rest, each by name.
fn display_order(tests: &[ReportedTest]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..tests.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |test: &ReportedTest| {
            (
                test.binary_id.clone(),
                !test.fails_the_run(),
                test.record.name.clone(),
            )
        };
        key(&tests[a]).cmp(&key(&tests[b]))
    });
    order
}

/// A test and the id of its details on the page.
struct Row<'a> {
    anchor: String,
    test: &'a ReportedTest,
}

fn run_header(run: &ReportedRun) -> Markup {
    let tally = &run.tally;
    let failed = tally.exit_code() != exit_codes::SUCCESS;
    html! {
        h1 { "leaktest report" }
        p.counts.failed[failed].passed[!failed] {
            (if failed { "✗ " } else { "✓ " }) (tally.counts_line())
            @if tally.regressed() > 0 { "; " (tally.regressed()) " regressed against the baseline" }
        }
        p.meta {
            (finish_line(tally))
            " · written " (run.written_at)
            " · leaktest " (env!("CARGO_PKG_VERSION"))
        }
        p.meta { "Command: " code { (run.command) } }
        @if let Some(baseline) = &run.baseline {
            p.meta {
                "Compared with baseline " (baseline.label) " (" code { (baseline.path) } "; tolerance "
                (baseline.tolerance) ")"
                @if let Some(counts) = &tally.baseline {
                    ": " (counts.compared) " compared, "
                    span.regressed[counts.regressed > 0] { (counts.regressed) " regressed" }
                    ", " (counts.improved) " improved, " (counts.new) " new"
                    @if counts.not_compared > 0 { ", " (counts.not_compared) " not compared" }
                }
                "."
            }
        }
        @if tally.interrupted() {
            p.notice role="status" {
                strong { "Interrupted" } " (Ctrl-C): the tests that finished are below; "
                (plural(tally.not_run, "test")) " did not finish."
                @if !run.unfinished.is_empty() {
                    " Running at the interrupt: "
                    @for (position, (binary, name)) in run.unfinished.iter().enumerate() {
                        @if position > 0 { ", " }
                        code { (binary) " " (name) }
                    }
                    "."
                }
            }
        }
        @if tally.stopped_after_failure && tally.not_run > 0 && !tally.interrupted() {
            p.notice role="status" {
                (plural(tally.not_run, "test")) " not started after the first failure "
                "(" code { "--no-fail-fast" } " runs them all)."
            }
        }
        @if !run.skipped_targets.is_empty() {
            details.skipped {
                summary { (plural(run.skipped_targets.len(), "test target")) " skipped: not leaktest harnesses" }
                ul {
                    @for (target, why) in &run.skipped_targets {
                        li { code { (target) } ": " (why) }
                    }
                }
            }
        }
    }
}

/// `Finished 55 leak tests in 3.9 s`, or how far an interrupted run got.
fn finish_line(tally: &Tally) -> String {
    let ran = tally.passed + tally.failed;
    let took = format_seconds(tally.duration.as_secs_f64());
    if tally.interrupted() {
        format!("Interrupted after {took}: {} finished", plural(ran, "test"))
    } else {
        format!("Finished {} in {took}", plural(ran, "leak test"))
    }
}

fn summary_table(rows: &[Row<'_>]) -> Markup {
    let columns: Vec<&Column> = COLUMNS
        .iter()
        .filter(|column| column.always || rows.iter().any(|row| (column.cell)(row).is_some()))
        .collect();
    html! {
        div.table-scroll {
            table.summary {
                caption {
                    "Every test of the run, by test binary, failures first. Growth is the retained \
                     growth per judged iteration of each leaking resource; budgets are those set \
                     for the test, each with what was measured against it and where it was set."
                }
                thead {
                    tr {
                        @for column in &columns {
                            th scope="col" class=[column.numeric.then_some("numeric")] { (column.header) }
                        }
                    }
                }
                @for group in rows.chunk_by(|a, b| a.test.binary_id == b.test.binary_id) {
                    tbody {
                        tr.binary {
                            th scope="colgroup" colspan=(columns.len()) { code { (group[0].test.binary_id) } }
                        }
                        @for row in group {
                            tr class=(row_class(row.test)) {
                                @for column in &columns {
                                    @let cell = (column.cell)(row);
                                    @if column.row_header {
                                        th scope="row" { (cell.unwrap_or_else(none)) }
                                    } @else {
                                        td class=[column.numeric.then_some("numeric")] { (cell.unwrap_or_else(none)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A column of the summary table.
struct Column {
    header: &'static str,
    /// Shown even when no row has a value (else left out of this run's table).
    always: bool,
    /// Right-aligned figures.
    numeric: bool,
    /// The cell that names the row.
    row_header: bool,
    cell: fn(&Row<'_>) -> Option<Markup>,
}

/// The summary table's columns, in order. Budget and baseline figures are
/// columns that are left out when no test has them.
const COLUMNS: &[Column] = &[
    Column {
        header: "Test",
        always: true,
        numeric: false,
        row_header: true,
        cell: |row| {
            Some(
                html! { a href=(format!("#{}", row.anchor)) { (breakable(&row.test.record.name)) } },
            )
        },
    },
    Column {
        header: "Verdict",
        always: true,
        numeric: false,
        row_header: false,
        cell: |row| Some(verdict_badge(&row.test.record)),
    },
    Column {
        header: "Growth",
        always: true,
        numeric: false,
        row_header: false,
        cell: |row| growth_cell(&row.test.record),
    },
    Column {
        header: "Over the run",
        always: true,
        numeric: false,
        row_header: false,
        cell: |row| {
            // The resource whose leak failed the test, else the heap.
            let charted = row.test.record.charted_resource()?.resource;
            let series = row
                .test
                .plots
                .iter()
                .find(|series| series.resource == charted)?;
            Some(html! {
                @if charted != Resource::HeapBytes {
                    span.note { (charted.short_name()) " " }
                }
                (plot::sparkline(series))
            })
        },
    },
    Column {
        header: "Peak heap",
        always: true,
        numeric: true,
        row_header: false,
        cell: |row| {
            let record = &row.test.record;
            (record.iterations_run > 0).then(
                || html! { (format_bytes(record.peak_heap_bytes.min(i64::MAX as u64) as i64)) },
            )
        },
    },
    Column {
        header: "Allocated per iteration",
        always: false,
        numeric: true,
        row_header: false,
        cell: |row| {
            row.test.record.allocation_per_iteration.map(|allocated| {
                html! {
                    (format_bytes(allocated.bytes.min(i64::MAX as u64) as i64)) br;
                    span.note { (plural(allocated.count as usize, "allocation")) }
                }
            })
        },
    },
    Column {
        header: "Budgets",
        always: false,
        numeric: false,
        row_header: false,
        cell: |row| budgets_cell(&row.test.record),
    },
    Column {
        header: "Baseline",
        always: false,
        numeric: false,
        row_header: false,
        cell: |row| {
            row.test
                .comparison
                .as_ref()
                .map(|comparison| baseline_badge(comparison.status))
        },
    },
    Column {
        header: "Iterations",
        always: true,
        numeric: true,
        row_header: false,
        cell: |row| {
            let record = &row.test.record;
            (record.iterations_run > 0).then(|| {
                html! {
                    (format_count(record.iterations_run as i64)) br;
                    span.note {
                        @for (position, part) in iterations_detail(record).iter().enumerate() {
                            @if position > 0 { ", " }
                            span.nowrap { (part) }
                        }
                    }
                }
            })
        },
    },
    Column {
        header: "Duration",
        always: true,
        numeric: true,
        row_header: false,
        cell: |row| {
            let record = &row.test.record;
            (!matches!(record.outcome, Outcome::Ignored { .. }))
                .then(|| html! { (format_milliseconds(record.duration_ms)) })
        },
    },
];

/// A test name that may wrap after `::` and `_` (names have no spaces).
fn breakable(name: &str) -> Markup {
    let mut pieces = Vec::new();
    let mut rest = name;
    while let Some(at) = rest.find(['_', ':']) {
        let end = if rest[at..].starts_with("::") {
            at + 2
        } else {
            at + 1
        };
        pieces.push(&rest[..end]);
        rest = &rest[end..];
    }
    pieces.push(rest);
    html! {
        @for (index, piece) in pieces.iter().enumerate() {
            @if index > 0 { wbr; }
            (piece)
        }
    }
}

/// An empty cell, said as such.
fn none() -> Markup {
    html! { span.none aria-label="none" { "—" } }
}

fn row_class(test: &ReportedTest) -> &'static str {
    if test.fails_the_run() {
        "outcome-failed"
    } else {
        "outcome-ok"
    }
}

/// The verdict in words with a symbol; its colour only repeats them.
fn verdict_badge(record: &TestRecord) -> Markup {
    let (class, symbol) = match record.outcome {
        Outcome::Passed => ("verdict passed", "✓"),
        Outcome::Ignored { .. } => ("verdict ignored", "○"),
        _ => ("verdict failed", "✗"),
    };
    let passed_leaking =
        matches!(record.outcome, Outcome::Passed) && record.leaking_resources().next().is_some();
    html! {
        span class=(class) { (symbol) " " (record.outcome.label()) }
        @if passed_leaking && record.settings.should_leak { " " span.note { "(leak expected)" } }
        @if passed_leaking && !record.settings.should_leak { " " span.note { "(leak within budget)" } }
    }
}

/// Each budget set for the test: what was measured against its limit, with
/// a symbol, and where it was set.
fn budgets_cell(record: &TestRecord) -> Option<Markup> {
    let checks: Vec<&BudgetCheck> = configured_budgets(record).collect();
    if checks.is_empty() {
        return None;
    }
    Some(html! {
        ul.budgets {
            @for check in checks {
                li {
                    (budget_symbol(check)) " " span.figures { (budget_check_short(check)) }
                    " " span.note.source { (check.source) }
                }
            }
        }
    })
}

/// How a test compared with the baseline, in words with a symbol.
fn baseline_badge(status: Status) -> Markup {
    let (class, text) = match status {
        Status::Regressed => ("verdict failed", "✗ regressed"),
        Status::Improved => ("verdict passed", "↓ improved"),
        Status::Unchanged => ("verdict passed", "= unchanged"),
        Status::New => ("verdict ignored", "+ new"),
        Status::NotCompared => ("verdict ignored", "○ not compared"),
    };
    html! { span class=(class) { (text) } }
}

/// The growth per iteration of each leaking resource, one per line.
fn growth_cell(record: &TestRecord) -> Option<Markup> {
    let leaking: Vec<&ResourceReport> = record.leaking_resources().collect();
    if leaking.is_empty() {
        return None;
    }
    Some(html! {
        @for (position, report) in leaking.iter().enumerate() {
            @if position > 0 { br; }
            span.growth {
                (report.resource.short_name()) " "
                (format_resource_rate(report.resource, report.judgement.growth_per_iteration)) "/iter"
            }
        }
    })
}

/// `10 warm-up`, and `extended from 200` for a run extended to confirm a
/// verdict.
fn iterations_detail(record: &TestRecord) -> Vec<String> {
    let settings = &record.settings;
    let mut parts = vec![format!("{} warm-up", format_count(settings.warmup as i64))];
    if record.iterations_run > settings.iterations {
        parts.push(format!(
            "extended from {}",
            format_count(settings.iterations as i64)
        ));
    }
    parts
}

fn test_details(row: &Row<'_>) -> Markup {
    let test = row.test;
    let record = &test.record;
    let heading_id = format!("{}-name", row.anchor);
    let open = test.fails_the_run() || record.leaking_resources().next().is_some();
    html! {
        section.test class=(row_class(test)) id=(row.anchor) aria-labelledby=(heading_id)
            data-binary=(test.binary_id) data-test=(record.name) {
            details open[open] {
                summary {
                    h3 id=(heading_id) {
                        (verdict_badge(record)) " " span.test-name { (breakable(&record.name)) }
                    }
                }
                p.meta { (meta_line(test)) }
                (headline(record))
                @if test.plots.is_empty() {
                    p.no-plots { "No samples: the test delivered no series to plot." }
                } @else {
                    (plots(row))
                }
                @for section in SECTIONS.iter().filter_map(|section| section(test)) {
                    details.detail open[section.open] {
                        summary { h4 { (section.title) } }
                        (section.body)
                    }
                }
            }
        }
    }
}

fn meta_line(test: &ReportedTest) -> Markup {
    let record = &test.record;
    let settings = &record.settings;
    html! {
        code { (test.binary_id) } " · " code { (record.location) }
        @if record.iterations_run > 0 {
            " · " (format_count(record.iterations_run as i64)) " iterations ("
            (iterations_detail(record).join(", ")) ")"
            " · " (format_milliseconds(record.duration_ms))
            " · peak heap " (format_bytes(record.peak_heap_bytes.min(i64::MAX as u64) as i64))
        }
        " · timeout " (format_duration_ms(settings.timeout_ms))
        @if settings.should_leak { " · " code { "should_leak" } }
        @if let Some(flavor) = settings.runtime {
            " · async (" (flavor)
            @if let Some(workers) = settings.worker_threads { ", " (plural(workers, "worker")) }
            ")"
        }
        @if settings.has_setup { " · with setup" }
    }
}

/// What happened, in a sentence (and the message of a failure).
fn headline(record: &TestRecord) -> Markup {
    let judged = record.iterations_run.saturating_sub(record.settings.warmup);
    let leaking: Vec<&str> = record
        .leaking_resources()
        .map(|report| report.resource.short_name())
        .collect();
    html! {
        div.headline {
            @match &record.outcome {
                Outcome::Passed if !leaking.is_empty() && record.settings.should_leak => p {
                    "Passed: the expected leak was found (" (leaking.join(", ")) ") over "
                    (plural(judged as usize, "judged iteration")) "."
                },
                Outcome::Passed if !leaking.is_empty() => p {
                    "Passed: " (leaking.join(", ")) " grow" @if leaking.len() == 1 { "s" }
                    " without bound over " (plural(judged as usize, "judged iteration"))
                    ", within " @if leaking.len() == 1 { "its growth budget" } @else { "their growth budgets" }
                    " (see Budgets)."
                },
                Outcome::Passed => p {
                    "Passed: nothing grows without bound over " (plural(judged as usize, "judged iteration")) "."
                },
                Outcome::Leaked => p {
                    "Leak: " (leaking.join(", ")) " grow" @if leaking.len() == 1 { "s" }
                    " without bound over " (plural(judged as usize, "judged iteration"))
                    @let beyond: Vec<&BudgetCheck> = configured_budgets(record)
                        .filter(|check| check.exceeded && matches!(check.budget, Budget::Growth(_)))
                        .collect();
                    @if !beyond.is_empty() {
                        ", beyond "
                        @for (position, check) in beyond.iter().enumerate() {
                            @if position > 0 { ", " }
                            code { (check.budget) }
                        }
                        " (see Budgets)"
                    }
                    "."
                },
                Outcome::OverBudget => p {
                    "Over budget: exceeded "
                    @for (position, check) in record.exceeded_budgets().enumerate() {
                        @if position > 0 { ", " }
                        code { (check.budget) }
                    }
                    " over " (plural(judged as usize, "judged iteration")) " (see Budgets)."
                },
                Outcome::LeakNotFound => p {
                    "Expected a leak (should_leak), but none was found over "
                    (plural(judged as usize, "judged iteration")) "."
                },
                Outcome::Failed { message, iteration } => {
                    p {
                        "Failed"
                        @if let Some(iteration) = iteration { " in iteration " (iteration) }
                        ":"
                    }
                    pre.message { (printable(message)) }
                },
                Outcome::Crashed { description, .. } => p {
                    "Crashed: the test process " (description) "."
                },
                Outcome::TimedOut { timeout_ms } => p {
                    "Timed out: still running after " (format_duration_ms(*timeout_ms)) "; killed. "
                    "Raise it with " code { "#[leak_test(timeout = \"...\")]" } " or "
                    code { "cargo leaktest --timeout" } " if the test is just slow."
                },
                Outcome::Ignored { reason } => p {
                    "Ignored" @if let Some(reason) = reason { ": " (reason) } "."
                },
                other => p { (other.label()) },
            }
        }
    }
}

/// A resource's series with its index in the record.
type NumberedSeries<'a> = (usize, &'a PlotSeries);

/// The plots of a test: those that moved in a grid, those that stayed at one
/// value all run long folded under a line that says the value, unless they
/// show a budget the test exceeded (a peak between samples shows in none).
fn plots(row: &Row<'_>) -> Markup {
    let record = &row.test.record;
    let (constant, moving): (Vec<NumberedSeries<'_>>, Vec<NumberedSeries<'_>>) =
        row.test.plots.iter().enumerate().partition(|(_, series)| {
            series.constant_value().is_some()
                && !budget_lines::shows_a_breach(record, series.resource)
        });
    html! {
        @if !moving.is_empty() {
            div.plots {
                @for (index, series) in &moving {
                    (figure(row, *index, series))
                }
            }
        }
        @if !constant.is_empty() {
            details.constant-plots {
                summary {
                    "Constant all run long: "
                    @for (position, (_, series)) in constant.iter().enumerate() {
                        @if position > 0 { ", " }
                        (series.resource.short_name()) " "
                        (plot::format_amount(series.resource, series.constant_value().unwrap_or_default()))
                    }
                    " (plots)"
                }
                div.plots {
                    @for (index, series) in &constant {
                        (figure(row, *index, series))
                    }
                }
            }
        }
    }
}

fn figure(row: &Row<'_>, index: usize, series: &PlotSeries) -> Markup {
    let record = &row.test.record;
    let report = record.resources.get(index);
    let leaking = report.is_some_and(|report| report.judgement.leaking);
    let within_budget = budget_lines::leak_within_budget(record, series.resource);
    let id = format!("{}-plot-{index}", row.anchor);
    let reference_lines = budget_lines::reference_lines(record, series);
    html! {
        figure.plot-figure.leaking[leaking && !within_budget] {
            (plot::svg(&Plot {
                id: &id,
                test_name: &record.name,
                series,
                reference_lines: &reference_lines,
            }))
            figcaption {
                @if leaking && within_budget {
                    span.badge { "leaking, within its budget" }
                } @else if leaking {
                    span.badge.leaking { "✗ leaking" }
                } @else {
                    span.badge { "not leaking" }
                }
                @if let Some(report) = report {
                    " " (growth_line(report.resource, &report.judgement, &[]))
                    br;
                    span.reason { (report.judgement.reason) }
                }
                @for line in &reference_lines {
                    br;
                    span.note { (line.description) }
                }
                @if let Some(columns) = series.columns {
                    br;
                    span.note {
                        "Drawn as the lowest and highest of "
                        (format_count(columns as i64))
                        " columns of " (format_count(series.sample_count as i64)) " samples."
                    }
                }
            }
        }
    }
}

/// Which kinds of reference line the run's plots draw, for the legend.
fn legend_entries(tests: &[ReportedTest]) -> Vec<ReferenceKind> {
    let mut kinds: Vec<ReferenceKind> = tests
        .iter()
        .flat_map(|test| {
            test.plots
                .iter()
                .flat_map(|series| budget_lines::reference_lines(&test.record, series))
        })
        .map(|line| line.kind)
        .collect();
    kinds.sort_by_key(|kind| kind.name());
    kinds.dedup();
    kinds
}

/// The key to the plots, drawn with the same strokes; the reference lines
/// only when some plot draws them.
fn legend(references: &[ReferenceKind]) -> Markup {
    let swatch = |content: Markup| {
        html! {
            svg.swatch xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 14" width="36" height="14" aria-hidden="true" {
                (content)
            }
        }
    };
    html! {
        ul.legend aria-label="How to read the plots" {
            li {
                (swatch(html! { polyline.samples fill="none" stroke=(plot::colors::SAMPLES) stroke-width="1.5" points="1,11 9,5 17,8 25,3 35,6" {} }))
                " sample after each iteration (the last one settled)"
            }
            li {
                (swatch(html! { polyline.floor fill="none" stroke=(plot::colors::FLOOR) stroke-width="2" stroke-dasharray="6 3" points="1,11 35,4" {} }))
                " retained floor: the smallest sample from there to the end"
            }
            li {
                (swatch(html! { rect.warmup fill=(plot::colors::WARMUP) fill-opacity="0.22" x="1" y="1" width="34" height="12" {} }))
                " warm-up: not judged"
            }
            li {
                (swatch(html! { path.late-bracket fill="none" stroke=(plot::colors::LATE) stroke-width="1.5" d="M1 12V3H35V12" {} }))
                " judged late half: the floor's growth here decides the verdict"
            }
            @if references.contains(&ReferenceKind::Budget) {
                li {
                    (swatch(html! { line.budget-line stroke=(plot::colors::REFERENCE) stroke-width="2" stroke-linecap="round" stroke-dasharray="1 3" x1="1" y1="7" x2="35" y2="7" {} }))
                    " budget: max_peak at the start plus its limit; a growth budget rising from the floor \
                     at the end of the warm-up at the allowed rate (a leak whose floor ends above it exceeds it)"
                }
            }
            @if references.contains(&ReferenceKind::Measured) {
                li {
                    (swatch(html! { line.measured-line stroke=(plot::colors::MEASURED) stroke-width="2" stroke-linecap="round" stroke-dasharray="8 3 2 3" x1="1" y1="7" x2="35" y2="7" {} }))
                    " peak: the highest heap while the test ran, between samples too"
                }
            }
        }
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", format_count(count as i64))
    }
}

/// `23 ms`, `1.2 s`.
fn format_milliseconds(millis: u64) -> String {
    if millis < 1000 {
        format!("{millis} ms")
    } else {
        format_seconds(millis as f64 / 1000.0)
    }
}

fn format_seconds(seconds: f64) -> String {
    format!("{seconds:.1} s")
}

#[cfg(test)]
mod tests;
