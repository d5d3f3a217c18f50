//! Which tests of the harnesses run: name filters, `--exact`, `--skip` and the
//! ignored tests, with libtest's meaning.

use crate::describe::Harness;
use leaktest_core::model::TestDescription;

/// What to do with ignored tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IgnoredMode {
    /// Report them as skipped (the default).
    #[default]
    Skip,
    /// Run only them (`--ignored`).
    Only,
    /// Run them with the others (`--include-ignored`).
    Include,
}

/// The test filters of the command line.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Names (or parts of names) to run; every test when empty.
    pub patterns: Vec<String>,
    /// Match whole names.
    pub exact: bool,
    /// Names (or parts of names) to leave out.
    pub skip: Vec<String>,
    /// What to do with ignored tests.
    pub ignored: IgnoredMode,
}

/// What the filter decided for one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selected {
    /// Run it.
    Run,
    /// Report it as ignored, with the reason given in the attribute.
    Ignored(Option<String>),
    /// Leave it out of the run and the report.
    FilteredOut,
}

impl Filter {
    fn name_matches(&self, name: &str, pattern: &str) -> bool {
        if self.exact {
            name == pattern
        } else {
            name.contains(pattern)
        }
    }

    /// Decides the fate of `test`.
    pub fn select(&self, test: &TestDescription) -> Selected {
        let wanted = self.patterns.is_empty()
            || self
                .patterns
                .iter()
                .any(|pattern| self.name_matches(&test.name, pattern));
        let skipped = self
            .skip
            .iter()
            .any(|pattern| self.name_matches(&test.name, pattern));
        if !wanted || skipped {
            return Selected::FilteredOut;
        }
        match (&test.ignored, self.ignored) {
            (None, IgnoredMode::Only) => Selected::FilteredOut,
            (Some(reason), IgnoredMode::Skip) => {
                Selected::Ignored(Some(reason.clone()).filter(|reason| !reason.is_empty()))
            }
            _ => Selected::Run,
        }
    }
}

/// One test of one harness.
#[derive(Debug, Clone, Copy)]
pub struct PlannedTest<'h> {
    /// The binary it lives in.
    pub harness: &'h Harness,
    /// The test.
    pub test: &'h TestDescription,
}

/// The tests of a run, sorted by the filter.
#[derive(Debug, Default)]
pub struct Plan<'h> {
    /// Tests to run, in harness then name order.
    pub to_run: Vec<PlannedTest<'h>>,
    /// Ignored tests, reported as skipped, with their reasons.
    pub ignored: Vec<(PlannedTest<'h>, Option<String>)>,
    /// How many tests the filters left out.
    pub filtered_out: usize,
    /// How many tests the filters kept for other shards of a `--partition`.
    pub partitioned_out: usize,
}

/// Sorts the tests of `harnesses` by `filter`.
pub fn plan<'h>(harnesses: &'h [Harness], filter: &Filter) -> Plan<'h> {
    let mut plan = Plan::default();
    for harness in harnesses {
        for test in &harness.tests {
            let planned = PlannedTest { harness, test };
            match filter.select(test) {
                Selected::Run => plan.to_run.push(planned),
                Selected::Ignored(reason) => plan.ignored.push((planned, reason)),
                Selected::FilteredOut => plan.filtered_out += 1,
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use leaktest_core::model::Settings;

    fn test(name: &str, ignored: Option<&str>) -> TestDescription {
        let mut settings = Settings::default();
        settings.iterations = 10;
        settings.warmup = 1;
        settings.timeout_ms = 1000;
        let mut test = TestDescription::new(name, "tests/leaks.rs:1", settings);
        test.ignored = ignored.map(str::to_owned);
        test
    }

    fn filter(patterns: &[&str], exact: bool, skip: &[&str], ignored: IgnoredMode) -> Filter {
        Filter {
            patterns: patterns.iter().map(|p| p.to_string()).collect(),
            exact,
            skip: skip.iter().map(|p| p.to_string()).collect(),
            ignored,
        }
    }

    #[test]
    fn no_pattern_runs_everything_not_ignored() {
        let all = Filter::default();
        assert_eq!(all.select(&test("a::b", None)), Selected::Run);
        assert_eq!(all.select(&test("slow", Some(""))), Selected::Ignored(None));
        assert_eq!(
            all.select(&test("slow", Some("takes long"))),
            Selected::Ignored(Some("takes long".to_owned()))
        );
    }

    #[test]
    fn patterns_match_substrings_unless_exact() {
        let loose = filter(&["cache"], false, &[], IgnoredMode::Skip);
        assert_eq!(loose.select(&test("bounded_cache_ok", None)), Selected::Run);
        assert_eq!(loose.select(&test("other", None)), Selected::FilteredOut);
        let exact = filter(&["cache"], true, &[], IgnoredMode::Skip);
        assert_eq!(
            exact.select(&test("bounded_cache_ok", None)),
            Selected::FilteredOut
        );
        assert_eq!(exact.select(&test("cache", None)), Selected::Run);
    }

    #[test]
    fn skip_wins_over_patterns() {
        let f = filter(&["cache"], false, &["bounded"], IgnoredMode::Skip);
        assert_eq!(
            f.select(&test("bounded_cache", None)),
            Selected::FilteredOut
        );
        assert_eq!(f.select(&test("lru_cache", None)), Selected::Run);
    }

    #[test]
    fn ignored_modes_follow_libtest() {
        let only = filter(&[], false, &[], IgnoredMode::Only);
        assert_eq!(only.select(&test("plain", None)), Selected::FilteredOut);
        assert_eq!(only.select(&test("slow", Some(""))), Selected::Run);
        let include = filter(&[], false, &[], IgnoredMode::Include);
        assert_eq!(include.select(&test("plain", None)), Selected::Run);
        assert_eq!(include.select(&test("slow", Some(""))), Selected::Run);
    }
}
