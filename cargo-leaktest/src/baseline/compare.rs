//! A test against its baseline entry: what rose beyond the tolerance
//! (a regression, which fails the run), what fell beyond it (an
//! improvement), and what stayed within it.
//!
//! - A resource that did not grow in the baseline and grows now regresses;
//!   one that grew and no longer does improves. Tests that expect a leak
//!   (`should_leak`) are not compared on growth.
//! - Byte figures (peak heap, bytes allocated per iteration) regress when
//!   they rose by more than [`Tolerance::percent`] *and* more than
//!   [`Tolerance::bytes`], so small tests do not fail on a few bytes.
//! - Counts (allocations per iteration) regress when they rose by more than
//!   [`Tolerance::count_percent`]; allocation counts of single-threaded code
//!   are deterministic, so `0%` is a usable ratchet.

use super::model::{resource_from_key, Entry};
use leaktest_core::render::{format_bytes, format_count, format_resource_rate};
use serde::Serialize;

/// How far a figure may rise over its baseline before it is a regression.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerance {
    /// Byte figures may rise by this many percent...
    pub percent: f64,
    /// ...or by this many bytes, whichever is more.
    pub bytes: u64,
    /// Counts may rise by this many percent.
    pub count_percent: f64,
}

impl Default for Tolerance {
    /// 10 % and 64 KiB for bytes, 10 % for counts.
    fn default() -> Tolerance {
        Tolerance {
            percent: 10.0,
            bytes: 64 * 1024,
            count_percent: 10.0,
        }
    }
}

/// Which way a figure moved beyond the tolerance, if it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Within the tolerance (or not a rise or fall at all).
    Within,
    /// Rose beyond the tolerance, or a resource started growing.
    Regressed,
    /// Fell beyond the tolerance, or a resource stopped growing.
    Improved,
}

/// One figure compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// `peak_heap_bytes`, `allocation_bytes_per_iteration`,
    /// `allocations_per_iteration`, or `growth.<resource>` (per iteration).
    pub measure: String,
    /// The baseline's value.
    pub old: f64,
    /// This run's value.
    pub new: f64,
    /// `new - old` in percent of `old`; `None` when `old` is 0.
    pub change_percent: Option<f64>,
    /// What the move means.
    pub verdict: Verdict,
    /// For people: `peak 2.0 MiB -> 2.6 MiB (+30.0%, +614.4 KiB; tolerance 10% and 64.0 KiB)`.
    pub text: String,
}

/// What a comparison concluded for a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every figure within the tolerance.
    Unchanged,
    /// Nothing regressed, something improved.
    Improved,
    /// At least one figure regressed: the run fails (exit 3 when no test failed).
    Regressed,
    /// The baseline has no entry for the test: reported, not failed.
    New,
    /// The test has nothing to compare: it did not reach a verdict (failed,
    /// crashed, timed out), or the baseline's entry was measured differently.
    NotCompared,
}

/// A test compared with its baseline entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The conclusion.
    pub status: Status,
    /// Every figure compared, in a fixed order.
    pub changes: Vec<Change>,
    /// Why it was not compared, for [`Status::NotCompared`].
    pub note: Option<String>,
}

impl Comparison {
    fn without_changes(status: Status, note: Option<String>) -> Comparison {
        Comparison {
            status,
            changes: Vec::new(),
            note,
        }
    }

    /// A test the baseline does not know.
    pub fn new_test() -> Comparison {
        Comparison::without_changes(Status::New, None)
    }

    /// A test that could not be compared, and why.
    pub fn not_compared(why: impl Into<String>) -> Comparison {
        Comparison::without_changes(Status::NotCompared, Some(why.into()))
    }

    /// The figures that regressed.
    pub fn regressions(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|change| change.verdict == Verdict::Regressed)
    }

    /// The figures that improved.
    pub fn improvements(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|change| change.verdict == Verdict::Improved)
    }
}

/// Compares this run's entry of a test with the baseline's.
pub fn compare(old: &Entry, new: &Entry, tolerance: &Tolerance) -> Comparison {
    if old.allocator != new.allocator {
        return Comparison::not_compared(format!(
            "the baseline measured it with allocator {}, this run with {}",
            allocator_name(old.allocator.as_deref()),
            allocator_name(new.allocator.as_deref()),
        ));
    }
    let mut changes = Vec::new();
    if !old.should_leak && !new.should_leak {
        for (key, now) in &new.growth {
            if let Some(before) = old.growth.get(key) {
                changes.push(growth_change(
                    key,
                    before.growing,
                    before.per_iteration,
                    now.growing,
                    now.per_iteration,
                ));
            }
        }
    }
    changes.push(bytes_change(
        "peak_heap_bytes",
        "peak",
        old.peak_heap_bytes,
        new.peak_heap_bytes,
        tolerance,
    ));
    if let (Some(before), Some(now)) = (
        old.allocation_bytes_per_iteration,
        new.allocation_bytes_per_iteration,
    ) {
        changes.push(bytes_change(
            "allocation_bytes_per_iteration",
            "alloc/iter",
            before,
            now,
            tolerance,
        ));
    }
    if let (Some(before), Some(now)) =
        (old.allocations_per_iteration, new.allocations_per_iteration)
    {
        changes.push(count_change(
            "allocations_per_iteration",
            "allocs/iter",
            before,
            now,
            tolerance.count_percent,
        ));
    }
    let status = if changes.iter().any(|c| c.verdict == Verdict::Regressed) {
        Status::Regressed
    } else if changes.iter().any(|c| c.verdict == Verdict::Improved) {
        Status::Improved
    } else {
        Status::Unchanged
    };
    Comparison {
        status,
        changes,
        note: None,
    }
}

fn allocator_name(allocator: Option<&str>) -> String {
    match allocator {
        Some(name) => format!("`{name}`"),
        None => "one installed by the test file (`main!(allocator = installed)`)".to_owned(),
    }
}

fn change_percent(old: u64, new: u64) -> Option<f64> {
    (old > 0).then(|| (new as f64 - old as f64) * 100.0 / old as f64)
}

/// Whether `difference` (a rise or a fall) is beyond `percent` of `old`.
fn beyond_percent(difference: u64, old: u64, percent: f64) -> bool {
    difference as f64 * 100.0 > old as f64 * percent
}

/// `10%`, `2.5%`.
pub fn format_percent(percent: f64) -> String {
    if percent.fract() == 0.0 {
        format!("{percent:.0}%")
    } else {
        format!("{percent}%")
    }
}

/// `+30.0%`, `no change`, or `from 0` when there is no percentage.
fn signed_percent(old: u64, new: u64) -> String {
    match change_percent(old, new) {
        _ if old == new => "no change".to_owned(),
        Some(change) => format!("{change:+.1}%"),
        None => "from 0".to_owned(),
    }
}

fn bytes_change(measure: &str, label: &str, old: u64, new: u64, tolerance: &Tolerance) -> Change {
    let difference = old.abs_diff(new);
    let beyond = difference > tolerance.bytes && beyond_percent(difference, old, tolerance.percent);
    let verdict = match (beyond, new > old) {
        (false, _) => Verdict::Within,
        (true, true) => Verdict::Regressed,
        (true, false) => Verdict::Improved,
    };
    let signed_difference =
        i64::try_from(new).unwrap_or(i64::MAX) - i64::try_from(old).unwrap_or(i64::MAX);
    let sign = if signed_difference > 0 { "+" } else { "" };
    let text = format!(
        "{label} {} -> {} ({}, {sign}{}; tolerance {} and {})",
        format_bytes(i64::try_from(old).unwrap_or(i64::MAX)),
        format_bytes(i64::try_from(new).unwrap_or(i64::MAX)),
        signed_percent(old, new),
        format_bytes(signed_difference),
        format_percent(tolerance.percent),
        format_bytes(i64::try_from(tolerance.bytes).unwrap_or(i64::MAX)),
    );
    Change {
        measure: measure.to_owned(),
        old: old as f64,
        new: new as f64,
        change_percent: change_percent(old, new),
        verdict,
        text,
    }
}

fn count_change(measure: &str, label: &str, old: u64, new: u64, percent: f64) -> Change {
    let difference = old.abs_diff(new);
    let beyond = difference > 0 && beyond_percent(difference, old, percent);
    let verdict = match (beyond, new > old) {
        (false, _) => Verdict::Within,
        (true, true) => Verdict::Regressed,
        (true, false) => Verdict::Improved,
    };
    let text = format!(
        "{label} {} -> {} ({}; tolerance {})",
        format_count(i64::try_from(old).unwrap_or(i64::MAX)),
        format_count(i64::try_from(new).unwrap_or(i64::MAX)),
        signed_percent(old, new),
        format_percent(percent),
    );
    Change {
        measure: measure.to_owned(),
        old: old as f64,
        new: new as f64,
        change_percent: change_percent(old, new),
        verdict,
        text,
    }
}

fn growth_change(
    key: &str,
    was_growing: bool,
    old_rate: f64,
    is_growing: bool,
    new_rate: f64,
) -> Change {
    let resource = resource_from_key(key);
    let label = resource.map_or_else(|| key.to_owned(), |r| r.short_name().to_owned());
    let rate = |rate: f64| match resource {
        Some(resource) => format!("{}/iter", format_resource_rate(resource, rate)),
        None => format!("{rate:+}/iter"),
    };
    let (verdict, text) = match (was_growing, is_growing) {
        (false, true) => (
            Verdict::Regressed,
            format!(
                "{label}: now grows {} (did not grow in the baseline)",
                rate(new_rate)
            ),
        ),
        (true, false) => (
            Verdict::Improved,
            format!(
                "{label}: no longer grows (grew {} in the baseline)",
                rate(old_rate)
            ),
        ),
        (true, true) => (
            Verdict::Within,
            format!(
                "{label}: grows {} (grew {} in the baseline)",
                rate(new_rate),
                rate(old_rate)
            ),
        ),
        (false, false) => (Verdict::Within, format!("{label}: does not grow")),
    };
    Change {
        measure: format!("growth.{key}"),
        old: old_rate,
        new: new_rate,
        change_percent: None,
        verdict,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::model::tests::record;
    use leaktest_core::model::Outcome;

    fn entry(heap_growth: f64, peak: u64, allocation: Option<(u64, u64)>) -> Entry {
        let outcome = if heap_growth > 0.0 {
            Outcome::Leaked
        } else {
            Outcome::Passed
        };
        Entry::from_record(
            &record(outcome, heap_growth, peak, allocation),
            Some("System"),
        )
        .unwrap()
    }

    const KIB: u64 = 1024;

    #[test]
    fn the_same_figures_are_unchanged() {
        let old = entry(0.0, 100 * KIB, Some((4 * KIB, 10)));
        let comparison = compare(&old, &old, &Tolerance::default());
        assert_eq!(comparison.status, Status::Unchanged);
        let measures: Vec<&str> = comparison
            .changes
            .iter()
            .map(|c| c.measure.as_str())
            .collect();
        assert_eq!(
            measures,
            [
                "growth.fds",
                "growth.heap_bytes",
                "peak_heap_bytes",
                "allocation_bytes_per_iteration",
                "allocations_per_iteration"
            ]
        );
    }

    #[test]
    fn bytes_must_rise_by_more_than_both_the_percent_and_the_floor() {
        let tolerance = Tolerance::default();
        let old = entry(0.0, 100 * KIB, None);
        // +60%, but only 60 KiB: within.
        let small = compare(&old, &entry(0.0, 160 * KIB, None), &tolerance);
        assert_eq!(small.status, Status::Unchanged, "{small:?}");
        // +65 KiB is +65%: beyond both.
        let big = compare(&old, &entry(0.0, 165 * KIB, None), &tolerance);
        assert_eq!(big.status, Status::Regressed);
        let peak = big.regressions().next().unwrap();
        assert_eq!(
            peak.text,
            "peak 100.0 KiB -> 165.0 KiB (+65.0%, +65.0 KiB; tolerance 10% and 64.0 KiB)"
        );
        assert_eq!(peak.change_percent, Some(65.0));
        // 1 MiB more on 100 MiB is 1%: within.
        let large = entry(0.0, 100 * 1024 * KIB, None);
        let one_percent = compare(&large, &entry(0.0, 101 * 1024 * KIB, None), &tolerance);
        assert_eq!(one_percent.status, Status::Unchanged);
    }

    #[test]
    fn a_fall_beyond_the_tolerance_is_an_improvement() {
        let old = entry(0.0, 1024 * KIB, Some((512 * KIB, 40)));
        let new = entry(0.0, 1024 * KIB, Some((4 * KIB, 40)));
        let comparison = compare(&old, &new, &Tolerance::default());
        assert_eq!(comparison.status, Status::Improved);
        let improved: Vec<&str> = comparison.improvements().map(|c| c.text.as_str()).collect();
        assert_eq!(
            improved,
            ["alloc/iter 512.0 KiB -> 4.0 KiB (-99.2%, -508.0 KiB; tolerance 10% and 64.0 KiB)"]
        );
    }

    #[test]
    fn counts_rise_by_percent_only() {
        let old = entry(0.0, KIB, Some((KIB, 10)));
        let tolerance = Tolerance::default();
        let one_more = compare(&old, &entry(0.0, KIB, Some((KIB, 11))), &tolerance);
        assert_eq!(
            one_more.status,
            Status::Unchanged,
            "+10% is not more than 10%"
        );
        let two_more = compare(&old, &entry(0.0, KIB, Some((KIB, 12))), &tolerance);
        assert_eq!(two_more.status, Status::Regressed);
        assert_eq!(
            two_more.regressions().next().unwrap().text,
            "allocs/iter 10 -> 12 (+20.0%; tolerance 10%)"
        );
        let ratchet = Tolerance {
            count_percent: 0.0,
            ..tolerance
        };
        let strict = compare(&old, &entry(0.0, KIB, Some((KIB, 11))), &ratchet);
        assert_eq!(strict.status, Status::Regressed);
        let from_zero = compare(
            &entry(0.0, KIB, Some((0, 0))),
            &entry(0.0, KIB, Some((16, 1))),
            &tolerance,
        );
        assert_eq!(from_zero.status, Status::Regressed);
        assert!(from_zero
            .changes
            .iter()
            .any(|c| c.text == "allocs/iter 0 -> 1 (from 0; tolerance 10%)"));
    }

    #[test]
    fn a_resource_that_starts_growing_regresses_whatever_the_amount() {
        let old = entry(0.0, KIB, None);
        let new = entry(8.0, KIB, None);
        let comparison = compare(&old, &new, &Tolerance::default());
        assert_eq!(comparison.status, Status::Regressed);
        let texts: Vec<&str> = comparison.regressions().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            ["heap: now grows +8 B/iter (did not grow in the baseline)"]
        );
        let back = compare(&new, &old, &Tolerance::default());
        assert_eq!(back.status, Status::Improved);
    }

    #[test]
    fn expected_leaks_are_not_compared_on_growth() {
        let mut old = entry(0.0, KIB, None);
        let mut new = entry(8.0, KIB, None);
        old.should_leak = true;
        new.should_leak = true;
        assert_eq!(
            compare(&old, &new, &Tolerance::default()).status,
            Status::Unchanged
        );
    }

    #[test]
    fn another_allocator_is_not_compared() {
        let old = entry(0.0, KIB, None);
        let mut new = old.clone();
        new.allocator = Some("mimalloc::MiMalloc".to_owned());
        let comparison = compare(&old, &new, &Tolerance::default());
        assert_eq!(comparison.status, Status::NotCompared);
        assert!(comparison.note.unwrap().contains("`mimalloc::MiMalloc`"));
    }
}
