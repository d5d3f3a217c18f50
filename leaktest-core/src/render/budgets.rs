//! Text of budget checks: which budget, its limit and source, and what was
//! measured, with units and exact bytes.
//!
//! ```text
//! max_peak: peak heap above the start 9.0 MiB (9,437,184 B) exceeds 4.0 MiB (4,194,304 B) [attribute]
//! max_growth: heap leak +74 B/iter exceeds 64 B/iter [Leaktest.toml profile.ci override "parser::*"]
//! max_allocs_per_iter: allocations per iteration 40 exceeds 12 [environment LEAKTEST_MAX_ALLOCS_PER_ITER]
//! ```

use super::{format_bytes, format_count, format_resource_rate};
use crate::model::{Budget, BudgetCheck};

/// Bytes in binary units with the exact number beside them when they differ:
/// `512 B`, `9.0 MiB (9,437,184 B)`.
///
/// ```
/// use leaktest_core::render::format_bytes_exact;
///
/// assert_eq!(format_bytes_exact(512), "512 B");
/// assert_eq!(format_bytes_exact(4096), "4.0 KiB (4,096 B)");
/// ```
pub fn format_bytes_exact(bytes: u64) -> String {
    let signed = i64::try_from(bytes).unwrap_or(i64::MAX);
    let short = format_bytes(signed);
    if bytes < 1024 {
        short
    } else {
        format!("{short} ({} B)", format_count(signed))
    }
}

/// The limit of a budget with its unit: `4.0 MiB (4,194,304 B)`,
/// `64 B/iter`, `1/iter`, `12`.
pub fn budget_limit(budget: Budget, limit: u64) -> String {
    let amount = if budget.is_bytes() {
        format_bytes_exact(limit)
    } else {
        format_count(i64::try_from(limit).unwrap_or(i64::MAX))
    };
    match budget {
        Budget::Growth(_) => format!("{amount}/iter"),
        _ => amount,
    }
}

/// What was measured against a budget, with its unit: `9.0 MiB (9,437,184 B)`,
/// `+74 B/iter`, `40`.
pub fn budget_measurement(budget: Budget, measured: f64) -> String {
    match budget {
        Budget::Growth(resource) => format!("{}/iter", format_resource_rate(resource, measured)),
        _ if budget.is_bytes() => format_bytes_exact(measured.max(0.0) as u64),
        _ => format_count(measured as i64),
    }
}

/// How a measured budget check came out, in words placed between the
/// measurement and the limit:
///
/// - `exceeds`: over the limit, and it counts;
/// - `within`: at or under the limit;
/// - `does not count against`: a leak over its growth limit in a test that
///   expects a leak (`should_leak`), which growth budgets do not hold.
///
/// An unmeasured check ([`BudgetCheck::measured`] is `None`) is `not measured`.
pub fn budget_verdict(check: &BudgetCheck) -> &'static str {
    match check.measured {
        None => "not measured",
        Some(_) if check.exceeded => "exceeds",
        Some(measured) if measured <= check.limit as f64 => "within",
        Some(_) => "does not count against",
    }
}

/// A budget check without the measure's name and source, for tables:
/// `max_peak 9.0 MiB (9,437,184 B) exceeds 4.0 MiB (4,194,304 B)`,
/// `max_growth +12 B/iter within 64 B/iter`, `max_tasks_growth 0/iter, not measured`.
///
/// ```
/// use leaktest_core::model::{Budget, BudgetCheck, ConfigSource, ResolvedBudget};
/// use leaktest_core::render::budget_check_short;
///
/// let budget = ResolvedBudget::new(Budget::AllocationsPerIteration, 12, ConfigSource::Attribute);
/// assert_eq!(
///     budget_check_short(&BudgetCheck::new(&budget, Some(8.0), false)),
///     "max_allocs_per_iter 8 within 12"
/// );
/// ```
pub fn budget_check_short(check: &BudgetCheck) -> String {
    let limit = budget_limit(check.budget, check.limit);
    match check.measured {
        None => format!("{} {limit}, not measured", check.budget),
        Some(measured) => format!(
            "{} {} {} {limit}",
            check.budget,
            budget_measurement(check.budget, measured),
            budget_verdict(check)
        ),
    }
}

/// One line for a budget check, as failure details show it:
/// `max_peak: peak heap above the start 9.0 MiB (9,437,184 B) exceeds 4.0 MiB (4,194,304 B) [attribute]`;
/// the word between measurement and limit is [`budget_verdict`]'s, an
/// unmeasured check says `not measured`.
///
/// ```
/// use leaktest_core::model::{Budget, BudgetCheck, ConfigSource, ResolvedBudget};
/// use leaktest_core::render::budget_line;
///
/// let budget = ResolvedBudget::new(Budget::AllocationsPerIteration, 12, ConfigSource::Attribute);
/// assert_eq!(
///     budget_line(&BudgetCheck::new(&budget, Some(40.0), true)),
///     "max_allocs_per_iter: allocations per iteration 40 exceeds 12 [attribute]"
/// );
/// ```
pub fn budget_line(check: &BudgetCheck) -> String {
    let limit = budget_limit(check.budget, check.limit);
    let head = format!("{}: {}", check.budget, check.budget.measure_name());
    match check.measured {
        None => format!("{}: {limit} {}, not measured", check.budget, check.source),
        Some(measured) => format!(
            "{head} {} {} {limit} {}",
            budget_measurement(check.budget, measured),
            budget_verdict(check),
            check.source
        ),
    }
}

/// A short form for titles and one-line reports:
/// `max_peak 9.0 MiB (9,437,184 B) > 4.0 MiB (4,194,304 B) [attribute]`.
pub fn budget_breach_short(check: &BudgetCheck) -> String {
    let measured = check
        .measured
        .map(|measured| budget_measurement(check.budget, measured))
        .unwrap_or_else(|| "not measured".to_owned());
    format!(
        "{} {measured} > {} {}",
        check.budget,
        budget_limit(check.budget, check.limit),
        check.source
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConfigSource, ResolvedBudget, Resource};

    fn check(budget: Budget, limit: u64, measured: Option<f64>, exceeded: bool) -> BudgetCheck {
        let source = ConfigSource::Override {
            file: "/ws/Leaktest.toml".to_owned(),
            profile: "ci".to_owned(),
            filter: "parser::*".to_owned(),
            reason: Some("grows by design".to_owned()),
        };
        BudgetCheck::new(
            &ResolvedBudget::new(budget, limit, source),
            measured,
            exceeded,
        )
    }

    #[test]
    fn a_peak_breach_names_budget_limit_source_and_exact_bytes() {
        assert_eq!(
            budget_line(&check(Budget::Peak, 4 << 20, Some(9_437_184.0), true)),
            "max_peak: peak heap above the start 9.0 MiB (9,437,184 B) exceeds \
             4.0 MiB (4,194,304 B) [Leaktest.toml profile.ci override \"parser::*\"]"
        );
    }

    #[test]
    fn growth_is_per_iteration_in_the_resource_s_unit() {
        let heap = check(Budget::Growth(Resource::HeapBytes), 64, Some(74.0), true);
        assert!(
            budget_line(&heap).starts_with("max_growth: heap leak +74 B/iter exceeds 64 B/iter ["),
            "{}",
            budget_line(&heap)
        );
        let fds = check(Budget::Growth(Resource::Fds), 1, Some(0.5), false);
        assert!(budget_line(&fds).starts_with("max_fds_growth: fds leak +0.5/iter within 1/iter ["));
    }

    #[test]
    fn a_leak_over_the_limit_of_a_should_leak_test_does_not_count() {
        let expected = check(Budget::Growth(Resource::HeapBytes), 64, Some(113.0), false);
        assert_eq!(budget_verdict(&expected), "does not count against");
        assert!(
            budget_line(&expected).starts_with(
                "max_growth: heap leak +113 B/iter does not count against 64 B/iter ["
            ),
            "{}",
            budget_line(&expected)
        );
        let not_leaking = check(Budget::Growth(Resource::HeapBytes), 0, Some(0.0), false);
        assert!(
            budget_line(&not_leaking)
                .starts_with("max_growth: heap leak +0 B/iter within 0 B/iter ["),
            "{}",
            budget_line(&not_leaking)
        );
        let at_limit = check(Budget::Growth(Resource::HeapBytes), 64, Some(64.0), false);
        assert_eq!(budget_verdict(&at_limit), "within");
        let over = check(Budget::Growth(Resource::HeapBytes), 64, Some(65.0), true);
        assert_eq!(budget_verdict(&over), "exceeds");
        assert_eq!(
            budget_verdict(&check(Budget::Peak, 1, None, false)),
            "not measured"
        );
    }

    #[test]
    fn the_short_form_has_the_figures_and_the_verdict_without_the_source() {
        assert_eq!(
            budget_check_short(&check(Budget::Peak, 4 << 20, Some(9_437_184.0), true)),
            "max_peak 9.0 MiB (9,437,184 B) exceeds 4.0 MiB (4,194,304 B)"
        );
        assert_eq!(
            budget_check_short(&check(Budget::Growth(Resource::Fds), 1, Some(0.5), false)),
            "max_fds_growth +0.5/iter within 1/iter"
        );
        assert_eq!(
            budget_check_short(&check(Budget::Growth(Resource::TokioTasks), 0, None, false)),
            "max_tasks_growth 0/iter, not measured"
        );
    }

    #[test]
    fn unmeasured_and_short_forms() {
        let tasks = check(Budget::Growth(Resource::TokioTasks), 0, None, false);
        assert!(budget_line(&tasks).starts_with("max_tasks_growth: 0/iter [Leaktest.toml"));
        assert!(budget_line(&tasks).ends_with("], not measured"));
        let churn = check(
            Budget::AllocationBytesPerIteration,
            4096,
            Some(6144.0),
            true,
        );
        assert!(budget_breach_short(&churn)
            .starts_with("max_alloc_per_iter 6.0 KiB (6,144 B) > 4.0 KiB (4,096 B) ["));
    }
}
