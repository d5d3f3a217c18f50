//! What a run with nothing to run means (`--no-tests=fail|warn|pass`).
//!
//! In CI a run of zero tests is almost always a mistake (a filter with a
//! typo, a renamed target), so by default it fails with its own exit code.
//! A shard of `--partition` that happens to be empty while the filters
//! matched tests in other shards is not a mistake: it passes with a note.

use crate::describe::Described;
use crate::partition::Partition;
use crate::select::{Filter, Plan};
use clap::ValueEnum;

/// What to do when the filters match no test to run (`--no-tests`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum NoTestsMode {
    /// An error: exit code 4.
    #[default]
    Fail,
    /// A warning on stderr; the run passes.
    Warn,
    /// Pass silently.
    Pass,
}

/// The numbers behind an empty run, to explain it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Leak tests in the harnesses of the selected packages.
    pub tests_in_harnesses: usize,
    /// Those harness binaries.
    pub harnesses: usize,
    /// Test targets of the selected packages that are not leaktest harnesses.
    pub skipped_targets: usize,
    /// Tests the filters kept to run, in every shard.
    pub selected_to_run: usize,
    /// Tests the filters kept that are ignored.
    pub selected_ignored: usize,
    /// The name filters, `--exact` and `--skip`s, as typed (empty: none).
    pub filters: Vec<String>,
}

impl Selection {
    /// The numbers of `plan`, made by `filter` over the harnesses of
    /// `described`, before any partition.
    pub fn of(described: &Described, filter: &Filter, plan: &Plan<'_>) -> Selection {
        Selection {
            tests_in_harnesses: described.harnesses.iter().map(|h| h.tests.len()).sum(),
            harnesses: described.harnesses.len(),
            skipped_targets: described.skipped.len(),
            selected_to_run: plan.to_run.len(),
            selected_ignored: plan.ignored.len(),
            filters: describe_filters(&filter.patterns, filter.exact, &filter.skip),
        }
    }
}

/// What the run should say and do about its emptiness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Emptiness {
    /// There are tests to run here.
    HasTests,
    /// This shard is empty; other shards run the selected tests.
    EmptyShard {
        /// The note, for stderr.
        note: String,
    },
    /// Nothing to run anywhere.
    NoTests {
        /// Why.
        message: String,
    },
}

/// Decides whether a run of `to_run_here` tests (in this shard of
/// `partition`) out of `selection` is empty, and how to report it.
pub fn check(
    selection: &Selection,
    to_run_here: usize,
    partition: Option<&Partition>,
) -> Emptiness {
    if to_run_here > 0 {
        return Emptiness::HasTests;
    }
    if selection.selected_to_run > 0 {
        let partition = partition.map_or_else(String::new, |p| format!(" {p}"));
        return Emptiness::EmptyShard {
            note: format!(
                "shard{partition} has none of the {} selected to run: the other shards run {}",
                tests(selection.selected_to_run),
                if selection.selected_to_run == 1 {
                    "it"
                } else {
                    "them"
                }
            ),
        };
    }
    let why = if selection.harnesses == 0 {
        format!(
            "the selected packages have no leaktest harness ({} not a leaktest harness; `--list` says why)",
            match selection.skipped_targets {
                1 => "1 test target is".to_owned(),
                n => format!("{n} test targets are"),
            }
        )
    } else if selection.selected_ignored > 0 {
        format!(
            "the {} selected {} ignored (`--include-ignored` runs {})",
            tests(selection.selected_ignored),
            if selection.selected_ignored == 1 {
                "is"
            } else {
                "are"
            },
            if selection.selected_ignored == 1 {
                "it"
            } else {
                "them"
            },
        )
    } else if selection.filters.is_empty() {
        format!(
            "the {} of the selected packages have no leak tests",
            if selection.harnesses == 1 {
                "harness"
            } else {
                "harnesses"
            }
        )
    } else {
        format!(
            "{} matched none of the {} in {}",
            selection.filters.join(" "),
            tests(selection.tests_in_harnesses),
            match selection.harnesses {
                1 => "1 binary".to_owned(),
                n => format!("{n} binaries"),
            }
        )
    };
    Emptiness::NoTests {
        message: format!("no leak tests to run: {why}"),
    }
}

fn tests(count: usize) -> String {
    match count {
        1 => "1 test".to_owned(),
        n => format!("{n} tests"),
    }
}

/// The filters of a run as typed, for the message: `` `cache` `--skip slow` ``.
fn describe_filters(patterns: &[String], exact: bool, skip: &[String]) -> Vec<String> {
    let mut described: Vec<String> = patterns.iter().map(|p| format!("`{p}`")).collect();
    if exact {
        described.push("`--exact`".to_owned());
    }
    described.extend(skip.iter().map(|s| format!("`--skip {s}`")));
    described
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection() -> Selection {
        Selection {
            tests_in_harnesses: 7,
            harnesses: 2,
            skipped_targets: 1,
            selected_to_run: 0,
            selected_ignored: 0,
            filters: describe_filters(&["nosuch".to_owned()], true, &[]),
        }
    }

    fn message(emptiness: Emptiness) -> String {
        match emptiness {
            Emptiness::NoTests { message } => message,
            other => panic!("not a no-tests verdict: {other:?}"),
        }
    }

    #[test]
    fn a_run_with_tests_is_not_empty() {
        let selection = Selection {
            selected_to_run: 3,
            ..selection()
        };
        assert_eq!(check(&selection, 1, None), Emptiness::HasTests);
    }

    #[test]
    fn filters_matching_nothing_are_named_with_the_fix() {
        let text = message(check(&selection(), 0, None));
        assert_eq!(
            text,
            "no leak tests to run: `nosuch` `--exact` matched none of the 7 tests in 2 binaries"
        );
    }

    #[test]
    fn no_harness_and_only_ignored_tests_say_so() {
        let none = Selection {
            harnesses: 0,
            tests_in_harnesses: 0,
            ..selection()
        };
        assert!(message(check(&none, 0, None)).contains("no leaktest harness (1 test target is"));
        let ignored = Selection {
            selected_ignored: 2,
            ..selection()
        };
        assert!(message(check(&ignored, 0, None))
            .contains("the 2 tests selected are ignored (`--include-ignored` runs them)"));
    }

    #[test]
    fn an_empty_shard_passes_with_a_note() {
        let selection = Selection {
            selected_to_run: 2,
            ..selection()
        };
        let partition: Partition = "hash:3/4".parse().unwrap();
        assert_eq!(
            check(&selection, 0, Some(&partition)),
            Emptiness::EmptyShard {
                note: "shard hash:3/4 has none of the 2 tests selected to run: \
                       the other shards run them"
                    .to_owned()
            }
        );
    }
}
