//! Budgets held against a finished test: a pure function of the record and
//! the budgets resolved for it, called by every runner (the harness under
//! `cargo test` and `cargo nextest run`, and `cargo leaktest`) on the record
//! its child wrote, so that they all reach the same outcome and every report
//! format renders the same [`BudgetCheck`]s.
//!
//! - `max_peak` limits [`TestRecord::peak_heap_bytes_above_start`].
//! - A growth budget limits how much a resource *judged to leak* may grow
//!   per judged iteration and still pass; a resource that does not leak
//!   measures 0 against it, whatever its slope (warm-up, a cache filling
//!   up), and never exceeds it. Every
//!   leak grows by more than 0 per iteration, so the default limit, 0, fails
//!   every leak verdict. Growth budgets do not apply to `should_leak` tests,
//!   whose expected leak is the verdict.
//! - `max_alloc_per_iter` and `max_allocs_per_iter` limit
//!   [`TestRecord::allocation_per_iteration`] (medians over the judged iterations).
//!
//! A test that reached no verdict (it failed, crashed or timed out) keeps
//! its outcome; its budgets are recorded, unmeasured.

use crate::model::{Budget, BudgetCheck, Outcome, ResolvedBudget, TestRecord};

/// Holds `record` to `budgets`: fills [`TestRecord::budgets`] and sets the
/// outcome of a test that reached a verdict (see [`outcome_after_budgets`]).
/// A leaking resource that has no growth budget in `budgets` is held to the
/// default, 0.
pub fn apply(record: &mut TestRecord, budgets: &[ResolvedBudget]) {
    let checks = evaluate(record, budgets);
    record.outcome = outcome_after_budgets(record, &checks);
    record.budgets = checks;
}

/// Every budget held against `record`, in the order given. Nothing is
/// measured for a test that reached no verdict.
pub fn evaluate(record: &TestRecord, budgets: &[ResolvedBudget]) -> Vec<BudgetCheck> {
    let judged = reached_verdict(&record.outcome);
    budgets
        .iter()
        .map(|budget| {
            let measured = judged.then(|| measure(record, budget.budget)).flatten();
            let exceeded = measured.is_some_and(|value| {
                value > budget.limit as f64 && counts_against(record, budget.budget)
            });
            BudgetCheck::new(budget, measured, exceeded)
        })
        .collect()
}

/// The outcome of a test that reached a verdict, held to its `checks`:
///
/// - not `should_leak`: `Leaked` when a growth budget is exceeded (or a
///   resource leaks without one), else `OverBudget` when another budget is
///   exceeded, else `Passed`;
/// - `should_leak`: `LeakNotFound` when nothing leaks, else `OverBudget`
///   when a budget is exceeded, else `Passed`.
///
/// Other outcomes (failed, crashed, timed out, ignored) are kept.
pub fn outcome_after_budgets(record: &TestRecord, checks: &[BudgetCheck]) -> Outcome {
    if !reached_verdict(&record.outcome) {
        return record.outcome.clone();
    }
    let leaks_beyond_budget = record.leaking_resources().any(|report| {
        let growth_check = checks
            .iter()
            .find(|check| check.budget == Budget::Growth(report.resource));
        growth_check.is_none_or(|check| check.exceeded)
    });
    let other_exceeded = checks
        .iter()
        .any(|check| check.exceeded && !matches!(check.budget, Budget::Growth(_)));
    let leaks = record.leaking_resources().next().is_some();
    if record.settings.should_leak {
        if !leaks {
            Outcome::LeakNotFound
        } else if other_exceeded {
            Outcome::OverBudget
        } else {
            Outcome::Passed
        }
    } else if leaks_beyond_budget {
        Outcome::Leaked
    } else if other_exceeded {
        Outcome::OverBudget
    } else {
        Outcome::Passed
    }
}

/// Whether the test ran to a verdict on its measurements.
fn reached_verdict(outcome: &Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Passed | Outcome::Leaked | Outcome::LeakNotFound | Outcome::OverBudget
    )
}

/// What `budget` limits in `record`, in its unit; `None` when not measured.
fn measure(record: &TestRecord, budget: Budget) -> Option<f64> {
    match budget {
        Budget::Peak => record
            .peak_heap_bytes_above_start()
            .map(|bytes| bytes as f64),
        // What the budget holds is a leak's growth: a resource judged not
        // to leak (warm-up, a cache that filled up) measures 0, whatever its
        // slope, so that `measured > limit` says the same as `exceeded`.
        Budget::Growth(resource) => record.resource(resource).map(|report| {
            if report.judgement.leaking {
                report.judgement.growth_per_iteration
            } else {
                0.0
            }
        }),
        Budget::AllocationBytesPerIteration => record
            .allocation_per_iteration
            .map(|allocation| allocation.bytes as f64),
        Budget::AllocationsPerIteration => record
            .allocation_per_iteration
            .map(|allocation| allocation.count as f64),
    }
}

/// Whether a measurement above the limit counts: growth only for a resource
/// judged to leak, in a test that does not expect one.
fn counts_against(record: &TestRecord, budget: Budget) -> bool {
    match budget {
        Budget::Growth(resource) => {
            !record.settings.should_leak
                && record
                    .resource(resource)
                    .is_some_and(|report| report.judgement.leaking)
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests;
