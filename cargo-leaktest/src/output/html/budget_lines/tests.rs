use super::*;
use leaktest_core::analysis::analyze;
use leaktest_core::model::{ConfigSource, Outcome, ResolvedBudget, Settings, TestDescription};

/// A record that ran `iterations` with a warm-up of `warmup`, held to `budgets`.
fn record(iterations: u64, warmup: u64, budgets: Vec<BudgetCheck>) -> TestRecord {
    let mut settings = Settings::default();
    settings.iterations = iterations;
    settings.warmup = warmup;
    let description = TestDescription::new("t", "tests/leaks.rs:1", settings);
    let mut record = TestRecord::without_run(&description, Outcome::Passed, 1);
    record.iterations_run = iterations;
    record.heap_bytes_at_start = Some(10_000);
    record.peak_heap_bytes = 50_000;
    record.budgets = budgets;
    record
}

fn check(budget: Budget, limit: u64, source: ConfigSource) -> BudgetCheck {
    BudgetCheck::new(
        &ResolvedBudget::new(budget, limit, source),
        Some(0.0),
        false,
    )
}

fn heap(series: &[i64], warmup: u64) -> PlotSeries {
    PlotSeries::new(Resource::HeapBytes, series, warmup)
}

#[test]
fn max_peak_is_the_start_plus_the_limit_beside_the_peak_reached() {
    let record = record(
        20,
        2,
        vec![check(Budget::Peak, 1 << 20, ConfigSource::Attribute)],
    );
    let lines = reference_lines(&record, &heap(&[12_000; 20], 2));
    assert_eq!(lines.len(), 2, "{lines:#?}");
    let budget = &lines[0];
    assert_eq!(budget.kind, ReferenceKind::Budget);
    assert_eq!(budget.name, "max_peak");
    assert_eq!(
        (budget.from, budget.to),
        (
            Point {
                iteration: 0,
                value: 10_000 + (1 << 20)
            },
            Point {
                iteration: 19,
                value: 10_000 + (1 << 20)
            }
        )
    );
    assert_eq!(budget.label, "max_peak: start + 1.0 MiB");
    assert!(
        budget.description.starts_with(
            "Budget max_peak 1.0 MiB (1,048,576 B) [attribute], dotted: the heap before the \
             first iteration (9.8 KiB (10,000 B)) plus the limit, 1.0 MiB (1,058,576 B)"
        ),
        "{}",
        budget.description
    );
    let peak = &lines[1];
    assert_eq!(peak.kind, ReferenceKind::Measured);
    assert_eq!((peak.from.value, peak.to.value), (50_000, 50_000));
    assert_eq!(peak.label, "peak 48.8 KiB");
    assert!(
        peak.description
            .contains("48.8 KiB (50,000 B) (39.1 KiB (40,000 B) above the start)"),
        "{}",
        peak.description
    );

    // Only on the heap plot, and only with the level it counts from.
    let blocks = PlotSeries::new(Resource::HeapBlocks, &[5; 20], 2);
    assert!(reference_lines(&record, &blocks).is_empty());
    let mut without_start = record.clone();
    without_start.heap_bytes_at_start = None;
    assert!(reference_lines(&without_start, &heap(&[12_000; 20], 2)).is_empty());
}

#[test]
fn a_growth_budget_rises_at_its_rate_from_where_the_verdict_measures_growth() {
    let series: Vec<i64> = (0..100).map(|i| 5_000 + 74 * i).collect();
    let record = record(
        100,
        10,
        vec![check(
            Budget::Growth(Resource::HeapBytes),
            64,
            ConfigSource::Profile {
                file: "/ws/Leaktest.toml".to_owned(),
                profile: "ci".to_owned(),
            },
        )],
    );
    let lines = reference_lines(&record, &heap(&series, 10));
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let line = &lines[0];
    // From the floor at the last warm-up sample (iteration 9) for 90 iterations.
    assert_eq!(
        line.from,
        Point {
            iteration: 9,
            value: 5_000 + 74 * 9
        }
    );
    assert_eq!(
        line.to,
        Point {
            iteration: 99,
            value: 5_000 + 74 * 9 + 64 * 90
        }
    );
    assert_eq!(line.label, "max_growth 64 B/iter");
    assert!(
        line.description
            .starts_with("Budget max_growth 64 B/iter [Leaktest.toml profile.ci], dotted"),
        "{}",
        line.description
    );
    // Not on another resource's plot.
    let fds = PlotSeries::new(Resource::Fds, &[5; 100], 10);
    assert!(reference_lines(&record, &fds).is_empty());
}

#[test]
fn the_floor_ends_above_the_growth_line_exactly_when_the_verdict_s_growth_exceeds_the_limit() {
    let limit = 64;
    // A leak of `rate` bytes per iteration with some noise on top.
    for rate in [40, 63, 64, 65, 74, 200] {
        let series: Vec<i64> = (0..100)
            .map(|i| 10_000 + rate * i + [0, 300, 120][i as usize % 3])
            .collect();
        let plotted = heap(&series, 10);
        let record = record(
            100,
            10,
            vec![check(
                Budget::Growth(Resource::HeapBytes),
                limit,
                ConfigSource::Attribute,
            )],
        );
        let line = &reference_lines(&record, &plotted)[0];
        let growth = analyze(&series, 10).growth_per_iteration;
        assert_eq!(
            plotted.floor_at_end > line.to.value,
            growth > limit as f64,
            "rate {rate}: growth {growth}, floor {} vs line {}",
            plotted.floor_at_end,
            line.to.value
        );
    }
}

#[test]
fn defaults_allocation_budgets_and_expected_leaks_draw_nothing() {
    let series: Vec<i64> = (0..20).map(|i| 1_000 + 64 * i).collect();
    let defaults = record(
        20,
        2,
        vec![
            check(
                Budget::Growth(Resource::HeapBytes),
                0,
                ConfigSource::Default,
            ),
            check(
                Budget::AllocationBytesPerIteration,
                4096,
                ConfigSource::Attribute,
            ),
            check(Budget::AllocationsPerIteration, 12, ConfigSource::Attribute),
        ],
    );
    assert!(reference_lines(&defaults, &heap(&series, 2)).is_empty());

    let mut expected_leak = record(
        20,
        2,
        vec![check(
            Budget::Growth(Resource::HeapBytes),
            8,
            ConfigSource::Attribute,
        )],
    );
    expected_leak.settings.should_leak = true;
    assert!(reference_lines(&expected_leak, &heap(&series, 2)).is_empty());

    let budgeted = record(
        20,
        2,
        vec![check(Budget::Peak, 1 << 20, ConfigSource::Attribute)],
    );
    assert!(reference_lines(&budgeted, &heap(&[], 2)).is_empty());
}

#[test]
fn huge_limits_saturate_instead_of_overflowing() {
    let record = record(
        20,
        2,
        vec![
            check(Budget::Peak, u64::MAX, ConfigSource::Attribute),
            check(
                Budget::Growth(Resource::HeapBytes),
                u64::MAX,
                ConfigSource::Attribute,
            ),
        ],
    );
    let lines = reference_lines(&record, &heap(&[1_000; 20], 2));
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].to.value, i64::MAX);
    assert_eq!(lines[2].to.value, i64::MAX);
}
