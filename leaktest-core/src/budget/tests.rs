use super::*;
use crate::model::{
    AllocationPerIteration, ConfigSource, Judgement, Reason, Resource, ResourceReport, Settings,
    TestDescription,
};

/// A record of a test that ran: heap leaking `heap_growth` bytes per
/// iteration (or not leaking, when 0), fds flat, a peak 3 MiB above the
/// start, 6 KiB in 40 allocations per iteration.
fn record(heap_growth: f64, should_leak: bool) -> TestRecord {
    let settings = Settings {
        should_leak,
        ..Settings::default()
    };
    let test = TestDescription::new("parser::parses", "tests/leaks.rs:3", settings);
    let leaking = heap_growth > 0.0;
    let mut record = TestRecord::without_run(
        &test,
        match (leaking, should_leak) {
            (true, false) => Outcome::Leaked,
            (false, true) => Outcome::LeakNotFound,
            _ => Outcome::Passed,
        },
        10,
    );
    record.iterations_run = 100;
    let reason = if leaking {
        Reason::KeptRising {
            late_growth: 50,
            steps: 50,
            from_iteration: 50,
        }
    } else {
        Reason::NoRetainedGrowth
    };
    record.resources = vec![
        ResourceReport::new(
            Resource::HeapBytes,
            vec![0; 100],
            Judgement::new(
                Resource::HeapBytes,
                leaking,
                (heap_growth * 90.0) as i64,
                heap_growth,
                90,
                reason,
            ),
        ),
        ResourceReport::new(
            Resource::Fds,
            vec![3; 100],
            Judgement::new(Resource::Fds, false, 0, 0.0, 90, Reason::NoRetainedGrowth),
        ),
    ];
    record.heap_bytes_at_start = Some(1 << 20);
    record.peak_heap_bytes = 4 << 20;
    record.allocation_per_iteration = Some(AllocationPerIteration::new(6 * 1024, 40));
    record
}

fn budget(budget: Budget, limit: u64) -> ResolvedBudget {
    ResolvedBudget::new(budget, limit, ConfigSource::Attribute)
}

fn default_growth() -> Vec<ResolvedBudget> {
    Resource::ALL
        .map(|resource| ResolvedBudget::new(Budget::Growth(resource), 0, ConfigSource::Default))
        .to_vec()
}

#[test]
fn within_every_budget_a_test_passes_and_each_check_holds_its_measurement() {
    let mut record = record(0.0, false);
    let mut budgets = default_growth();
    budgets.extend([
        budget(Budget::Peak, 4 << 20),
        budget(Budget::AllocationBytesPerIteration, 8 * 1024),
        budget(Budget::AllocationsPerIteration, 40),
    ]);
    apply(&mut record, &budgets);
    assert_eq!(record.outcome, Outcome::Passed);
    assert_eq!(record.budgets.len(), budgets.len());
    assert!(record.exceeded_budgets().next().is_none());
    let measured = |wanted: Budget| {
        record
            .budgets
            .iter()
            .find(|check| check.budget == wanted)
            .and_then(|check| check.measured)
    };
    assert_eq!(measured(Budget::Peak), Some(f64::from(3u32 << 20)));
    assert_eq!(measured(Budget::AllocationBytesPerIteration), Some(6144.0));
    assert_eq!(measured(Budget::AllocationsPerIteration), Some(40.0));
    assert_eq!(measured(Budget::Growth(Resource::Fds)), Some(0.0));
    assert_eq!(
        measured(Budget::Growth(Resource::Threads)),
        None,
        "not sampled"
    );
}

#[test]
fn each_other_budget_exceeded_makes_the_test_over_budget() {
    for exceeded in [
        budget(Budget::Peak, (3 << 20) - 1),
        budget(Budget::AllocationBytesPerIteration, 4 * 1024),
        budget(Budget::AllocationsPerIteration, 12),
    ] {
        let mut record = record(0.0, false);
        let mut budgets = default_growth();
        budgets.push(exceeded.clone());
        apply(&mut record, &budgets);
        assert_eq!(record.outcome, Outcome::OverBudget, "{exceeded:?}");
        let breached: Vec<Budget> = record.exceeded_budgets().map(|c| c.budget).collect();
        assert_eq!(breached, [exceeded.budget]);
    }
}

#[test]
fn reaching_the_limit_exactly_is_within_it() {
    let mut record = record(0.0, false);
    apply(&mut record, &[budget(Budget::Peak, 3 << 20)]);
    assert_eq!(record.outcome, Outcome::Passed);
}

#[test]
fn a_leak_within_its_growth_budget_passes_and_beyond_it_fails() {
    let mut tolerated = record(8.0, false);
    let mut budgets = default_growth();
    budgets[0] = budget(Budget::Growth(Resource::HeapBytes), 16);
    apply(&mut tolerated, &budgets);
    assert_eq!(tolerated.outcome, Outcome::Passed);

    let mut leaking = record(64.0, false);
    apply(&mut leaking, &budgets);
    assert_eq!(leaking.outcome, Outcome::Leaked);
    let check = leaking.exceeded_budgets().next().expect("a breach");
    assert_eq!(check.budget, Budget::Growth(Resource::HeapBytes));
    assert_eq!(check.measured, Some(64.0));
    assert_eq!(check.limit, 16);
}

#[test]
fn the_default_growth_budget_fails_every_leak_as_before() {
    let mut record = record(0.5, false);
    apply(&mut record, &default_growth());
    assert_eq!(record.outcome, Outcome::Leaked);
    let mut without_any_budget = self::record(0.5, false);
    apply(&mut without_any_budget, &[]);
    assert_eq!(
        without_any_budget.outcome,
        Outcome::Leaked,
        "a leaking resource without a growth budget is held to 0"
    );
}

#[test]
fn growth_that_is_not_a_leak_never_exceeds_a_growth_budget() {
    let mut record = record(0.0, false);
    // A plateau: the heap grew, but is judged not to leak.
    record.resources[0].judgement.growth_per_iteration = 100.0;
    apply(&mut record, &default_growth());
    assert_eq!(record.outcome, Outcome::Passed);
    // What the budget holds, a leak's growth, is 0: not a 0 budget violated.
    let heap = &record.budgets[0];
    assert_eq!(heap.budget, Budget::Growth(Resource::HeapBytes));
    assert_eq!(heap.measured, Some(0.0));
    assert!(!heap.exceeded);
}

#[test]
fn should_leak_tests_are_judged_on_the_leak_and_held_to_other_budgets() {
    let mut expected = record(64.0, true);
    apply(&mut expected, &default_growth());
    assert_eq!(expected.outcome, Outcome::Passed);
    assert!(expected.exceeded_budgets().next().is_none());

    let mut missing = record(0.0, true);
    apply(&mut missing, &default_growth());
    assert_eq!(missing.outcome, Outcome::LeakNotFound);

    let mut peaked = record(64.0, true);
    apply(&mut peaked, &[budget(Budget::Peak, 1024)]);
    assert_eq!(peaked.outcome, Outcome::OverBudget);
}

#[test]
fn a_test_without_a_verdict_keeps_its_outcome_and_records_its_budgets_unmeasured() {
    let mut record = record(0.0, false);
    record.outcome = Outcome::TimedOut { timeout_ms: 1000 };
    apply(&mut record, &[budget(Budget::Peak, 1)]);
    assert_eq!(record.outcome, Outcome::TimedOut { timeout_ms: 1000 });
    assert_eq!(record.budgets.len(), 1);
    assert_eq!(record.budgets[0].measured, None);
    assert!(!record.budgets[0].exceeded);
}

#[test]
fn applying_twice_gives_the_same_outcome() {
    let mut record = record(0.0, false);
    let budgets = [budget(Budget::Peak, 1024)];
    apply(&mut record, &budgets);
    apply(&mut record, &budgets);
    assert_eq!(record.outcome, Outcome::OverBudget);
}
