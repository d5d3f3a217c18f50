//! The budgets a plot draws: a pure function from a test's record and one
//! resource's series to [`ReferenceLine`]s.
//!
//! - `max_peak` on the heap plot: a horizontal line at the heap before the
//!   first iteration plus the limit, the highest the heap may reach; beside
//!   it the highest heap the test reached (between samples too, which the
//!   samples after each iteration do not show), so a breach shows as the
//!   measured line above the budget's.
//! - A growth budget (`max_growth`, `max_<resource>_growth`) on its
//!   resource's plot: a line rising from the retained floor at the last
//!   warm-up sample, where the verdict measures growth from, at the allowed
//!   rate to the last iteration. The verdict's growth per iteration is the
//!   floor's rise over the same iterations, so a leak whose floor ends above
//!   the line grows faster than its budget.
//!
//! Only budgets set by a layer of the configuration are drawn: the default
//! growth budget, 0, is the leak verdict itself, which the plot already
//! shows. Growth budgets do not hold `should_leak` tests and are not drawn
//! there. Allocation budgets (`max_alloc_per_iter`, `max_allocs_per_iter`)
//! limit churn, which no series plots; the table and the test's budgets
//! section show them.

use super::configured_budgets;
use super::plot::{format_amount, PlotSeries, Point, ReferenceKind, ReferenceLine};
use leaktest_core::model::{Budget, BudgetCheck, Resource, TestRecord};
use leaktest_core::render::{budget_limit, format_bytes_exact};

/// The budget lines (and the measured peak beside `max_peak`) of `record`
/// that belong on the plot of `series`.
pub fn reference_lines(record: &TestRecord, series: &PlotSeries) -> Vec<ReferenceLine> {
    if series.sample_count == 0 {
        return Vec::new();
    }
    let mut lines = Vec::new();
    for check in configured_budgets(record) {
        if !drawn_on(record, check.budget, series.resource) {
            continue;
        }
        match check.budget {
            Budget::Peak => lines.extend(peak_lines(record, series, check)),
            Budget::Growth(_) => lines.extend(growth_line(series, check)),
            _ => {}
        }
    }
    lines
}

/// Whether `budget` is drawn on the plot of `resource` in `record`'s test:
/// `max_peak` on the heap's, a growth budget on its resource's (unless the
/// test expects a leak).
pub fn drawn_on(record: &TestRecord, budget: Budget, resource: Resource) -> bool {
    match budget {
        Budget::Peak => resource == Resource::HeapBytes,
        Budget::Growth(limited) => limited == resource && !record.settings.should_leak,
        _ => false,
    }
}

/// Whether the plot of `resource` shows a budget the test exceeded.
pub fn shows_a_breach(record: &TestRecord, resource: Resource) -> bool {
    configured_budgets(record)
        .any(|check| check.exceeded && drawn_on(record, check.budget, resource))
}

/// Whether `resource` leaks, but no faster than a growth budget set for
/// the test allows (so the test may pass).
pub fn leak_within_budget(record: &TestRecord, resource: Resource) -> bool {
    !record.settings.should_leak
        && record
            .resource(resource)
            .is_some_and(|report| report.judgement.leaking)
        && configured_budgets(record)
            .any(|check| check.budget == Budget::Growth(resource) && !check.exceeded)
}

/// `max_peak` as the highest heap allowed, and the highest heap reached.
fn peak_lines(record: &TestRecord, series: &PlotSeries, check: &BudgetCheck) -> Vec<ReferenceLine> {
    let Some(start) = record.heap_bytes_at_start else {
        return Vec::new();
    };
    let last = series.sample_count - 1;
    let across = |value: i64| {
        (
            Point {
                iteration: 0,
                value,
            },
            Point {
                iteration: last,
                value,
            },
        )
    };
    let allowed = saturating_i64(i128::from(start) + i128::from(check.limit));
    let limit = budget_limit(check.budget, check.limit);
    let (from, to) = across(allowed);
    let budget = ReferenceLine {
        name: check.budget.key().to_owned(),
        kind: ReferenceKind::Budget,
        label: format!("{}: start + {}", check.budget, short_bytes(check.limit)),
        description: format!(
            "Budget {} {limit} {}, dotted: the heap before the first iteration ({}) plus the \
             limit, {}, the highest the heap may reach.",
            check.budget,
            check.source,
            format_bytes_exact(start),
            format_bytes_exact(allowed.max(0) as u64),
        ),
        from,
        to,
    };
    let peak = saturating_i64(i128::from(record.peak_heap_bytes));
    let (from, to) = across(peak);
    let measured = ReferenceLine {
        name: "peak".to_owned(),
        kind: ReferenceKind::Measured,
        label: format!("peak {}", short_bytes(record.peak_heap_bytes)),
        description: format!(
            "Peak, dash-dot: the highest heap while the test ran, between samples too, {} \
             ({} above the start).",
            format_bytes_exact(record.peak_heap_bytes),
            format_bytes_exact(record.peak_heap_bytes.saturating_sub(start)),
        ),
        from,
        to,
    };
    vec![budget, measured]
}

/// A growth budget as the floor's highest allowed rise from where the
/// verdict measures growth.
fn growth_line(series: &PlotSeries, check: &BudgetCheck) -> Option<ReferenceLine> {
    let last = series.sample_count - 1;
    let from = series.growth_from;
    let iterations = last.checked_sub(from.iteration).filter(|&n| n > 0)?;
    let end =
        saturating_i64(i128::from(from.value) + i128::from(check.limit) * i128::from(iterations));
    let limit = budget_limit(check.budget, check.limit);
    let amount = |value: i64| format_amount(series.resource, value);
    Some(ReferenceLine {
        name: check.budget.key().to_owned(),
        kind: ReferenceKind::Budget,
        label: format!(
            "{} {}/iter",
            check.budget,
            amount(saturating_i64(i128::from(check.limit)))
        ),
        description: format!(
            "Budget {} {limit} {}, dotted: from the retained floor at the last warm-up sample \
             (iteration {}, {}), where the verdict measures growth from, rising by the limit \
             each iteration to {} at iteration {last}; a leak whose floor ends above it \
             exceeds the budget.",
            check.budget,
            check.source,
            from.iteration,
            amount(from.value),
            amount(end),
        ),
        from,
        to: Point {
            iteration: last,
            value: end,
        },
    })
}

/// `1.0 MiB`: bytes without the exact figure, for labels inside a plot.
fn short_bytes(bytes: u64) -> String {
    leaktest_core::render::format_bytes(saturating_i64(i128::from(bytes)))
}

fn saturating_i64(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests;
