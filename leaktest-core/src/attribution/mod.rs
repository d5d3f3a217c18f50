//! Where the heap growth comes from: the allocation sites of a leak, found by
//! profiling the test again under [dhat](https://docs.rs/dhat).
//!
//! When a test leaks heap memory, the parent (the harness under `cargo test`,
//! or `cargo leaktest`) runs it once more in an *attribution run*: a child
//! process of its own, with the test's timeout, whose every allocation goes
//! through `dhat::Alloc`, which records the backtrace of each one. The
//! verdict run is never profiled: dhat takes a global lock and captures a
//! backtrace on every allocation, which costs far more than counting.
//!
//! In the attribution run the test runs its warm-up unprofiled, then two
//! windows, each under a dhat profiler of its own: `n` iterations, then `2n`
//! (`n` being the test's iterations). A profile counts, per backtrace, what
//! was allocated while it ran and was still live when it stopped; comparing
//! the two windows keeps only what grows with the iterations (lazy
//! initialisation, caches that filled up and memory that is freed drop out;
//! the rule is in this module's `sites.rs`, with its tests). The sites are ranked by
//! bytes per iteration, shown with the test's own frames (the standard
//! library, tokio and leaktest are left out), and the profile of the longer
//! window is kept at [`profile_path`] for DHAT's viewer (`dh_view.html`).
//!
//! Attribution needs the counting allocator to wrap the system allocator (as
//! `main!()` installs it), because `dhat::Alloc` allocates through the system
//! allocator and the attribution run sends every call, blocks allocated before
//! included, there. It needs leaktest-core's `attribution` feature (on by
//! default), and line tables in the test binary for files and lines (test
//! builds have them; `--release` needs `debug = "line-tables-only"` or more).
//! It is a diagnosis, never a verdict: however the attribution run ends, the
//! test's outcome is the verdict run's.
//!
//! ```no_run
//! use leaktest_core::attribution::{run_attributed, AttributionPolicy};
//! use leaktest_core::isolation::ChildSpec;
//!
//! # fn spec() -> ChildSpec { unimplemented!() }
//! let record = run_attributed(&spec(), AttributionPolicy::Failures).unwrap();
//! if let Some(attribution) = &record.attribution {
//!     println!("{attribution:?}");
//! }
//! ```

mod child;
// Without the `attribution` feature nothing is profiled, so nothing reads
// profiles; the parsing and the rule stay compiled (and tested) either way.
#[cfg_attr(not(feature = "attribution"), allow(dead_code))]
mod frames;
mod parent;
#[cfg_attr(not(feature = "attribution"), allow(dead_code))]
mod profile;
#[cfg_attr(not(feature = "attribution"), allow(dead_code))]
mod sites;
#[cfg(feature = "attribution")]
pub(crate) mod windows;

pub(crate) use child::run_test;
pub use parent::{attribute, profile_path, run_attributed};

#[cfg(feature = "attribution")]
use crate::model::{AttributionFailure, ProfiledSites};
use crate::model::{Budget, Outcome, Resource, Settings, TestRecord};
use crate::protocol::ENV_ATTRIBUTE;
#[cfg(feature = "attribution")]
use profile::HeapProfile;
#[cfg(feature = "attribution")]
use std::path::PathBuf;

/// When the parent runs the attribution run of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AttributionPolicy {
    /// Never.
    Off,
    /// When the test failed because its heap grows (the default).
    #[default]
    Failures,
    /// For every test that ran to a verdict, passing ones too (for profiling).
    All,
}

impl AttributionPolicy {
    /// Whether the test of `record` gets an attribution run.
    pub fn wants(self, record: &TestRecord) -> bool {
        match self {
            AttributionPolicy::Off => false,
            AttributionPolicy::Failures => fails_because_its_heap_grows(record),
            AttributionPolicy::All => matches!(
                record.outcome,
                Outcome::Passed | Outcome::Leaked | Outcome::LeakNotFound
            ),
        }
    }

    /// Parses the value of [`ENV_ATTRIBUTE`]: `off` (or `0`, `false`, `no`),
    /// `failures`, `all` (or `1`, `true`, `yes`).
    ///
    /// ```
    /// use leaktest_core::attribution::AttributionPolicy;
    ///
    /// assert_eq!(AttributionPolicy::parse("off"), Ok(AttributionPolicy::Off));
    /// assert_eq!(AttributionPolicy::parse("all"), Ok(AttributionPolicy::All));
    /// assert!(AttributionPolicy::parse("sometimes").is_err());
    /// ```
    pub fn parse(value: &str) -> Result<AttributionPolicy, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "off" | "0" | "false" | "no" => Ok(AttributionPolicy::Off),
            "failures" => Ok(AttributionPolicy::Failures),
            "all" | "1" | "true" | "yes" => Ok(AttributionPolicy::All),
            _ => Err(format!(
                "{ENV_ATTRIBUTE} must be `off` (no attribution runs), `failures` (for tests \
                 whose heap leaks, the default) or `all` (for every test), not `{value}`"
            )),
        }
    }

    /// The policy [`ENV_ATTRIBUTE`] sets: [`AttributionPolicy::Failures`]
    /// when it is unset, an error naming the variable when it is not one of
    /// [`AttributionPolicy::parse`]'s values.
    pub fn from_env() -> Result<AttributionPolicy, String> {
        match std::env::var_os(ENV_ATTRIBUTE) {
            None => Ok(AttributionPolicy::default()),
            Some(value) => AttributionPolicy::parse(&value.to_string_lossy()),
        }
    }
}

/// Whether the test failed because its heap grows: it leaked, and its heap
/// (bytes or blocks) leaks beyond its growth budget (or, in a record held to
/// no budget, leaks at all). A heap that leaks within its budget while fds
/// leak beyond theirs is not what failed.
fn fails_because_its_heap_grows(record: &TestRecord) -> bool {
    if !matches!(record.outcome, Outcome::Leaked) {
        return false;
    }
    [Resource::HeapBytes, Resource::HeapBlocks]
        .into_iter()
        .any(|resource| {
            let leaking = record
                .resource(resource)
                .is_some_and(|report| report.judgement.leaking);
            let beyond_budget = record
                .budgets
                .iter()
                .find(|check| check.budget == Budget::Growth(resource))
                .is_none_or(|check| check.exceeded);
            leaking && beyond_budget
        })
}

/// Iterations of the shorter and the longer profiled window: the test's
/// iterations, then twice as many. The warm-up before them is the test's,
/// always shorter than the first window, so a buffer growing by doubling
/// reallocates at least once in the longer window.
#[cfg_attr(not(feature = "attribution"), allow(dead_code))]
pub(crate) fn window_iterations(settings: &Settings) -> [u64; 2] {
    let shorter = settings.iterations.max(1);
    [shorter, shorter.saturating_mul(2)]
}

/// Reads the two windows' profiles (removing the shorter one) and ranks the
/// growing sites.
#[cfg(feature = "attribution")]
pub(crate) fn read_sites(
    profiles: &[PathBuf; 2],
    windows: sites::Windows,
) -> Result<ProfiledSites, AttributionFailure> {
    let read = |path: &PathBuf| {
        HeapProfile::read(path).map_err(|error| AttributionFailure::ProfileUnreadable {
            path: path.display().to_string(),
            message: error.to_string(),
        })
    };
    let shorter = read(&profiles[0]);
    let _ = std::fs::remove_file(&profiles[0]);
    let (shorter, longer) = (shorter?, read(&profiles[1])?);
    let growing = sites::growing_sites(&shorter, &longer, windows);
    let unlisted = growing
        .sites
        .len()
        .saturating_sub(ProfiledSites::MAX_LISTED);
    let mut listed = growing.sites;
    listed.truncate(ProfiledSites::MAX_LISTED);
    Ok(ProfiledSites::new(
        listed,
        unlisted as u64,
        growing.explained_bytes_per_iteration,
        profiles[1].display().to_string(),
        windows.iterations,
        has_line_info(&longer),
    ))
}

/// Whether the profile's frames have files and lines: those of the test's
/// own code, or of any frame when none is the test's.
#[cfg(feature = "attribution")]
fn has_line_info(profile: &HeapProfile) -> bool {
    let frames = || profile.points.iter().flat_map(|point| &point.frames);
    let mut user_frames = frames().filter(|frame| !frame.is_internal()).peekable();
    if user_frames.peek().is_some() {
        return user_frames.any(|frame| frame.file.is_some());
    }
    frames().next().is_none() || frames().any(|frame| frame.file.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Judgement, Reason, Resource, ResourceReport, TestDescription};

    fn record(outcome: Outcome, leaking: &[Resource]) -> TestRecord {
        let test = TestDescription::new("t", "t.rs:1", Settings::default());
        let mut record = TestRecord::without_run(&test, outcome, 1);
        record.resources = Resource::ALL
            .iter()
            .map(|&resource| {
                let leaks = leaking.contains(&resource);
                let judgement =
                    Judgement::new(resource, leaks, 0, 0.0, 90, Reason::NoRetainedGrowth);
                ResourceReport::new(resource, vec![0; 100], judgement)
            })
            .collect();
        record
    }

    #[test]
    fn by_default_only_heap_leaks_are_attributed() {
        let policy = AttributionPolicy::default();
        assert!(policy.wants(&record(Outcome::Leaked, &[Resource::HeapBytes])));
        assert!(policy.wants(&record(Outcome::Leaked, &[Resource::HeapBlocks])));
        assert!(!policy.wants(&record(Outcome::Leaked, &[Resource::Fds])));
        assert!(!policy.wants(&record(Outcome::Passed, &[Resource::HeapBytes])));
        assert!(!AttributionPolicy::Off.wants(&record(Outcome::Leaked, &[Resource::HeapBytes])));
    }

    #[test]
    fn a_heap_leak_within_its_growth_budget_is_not_what_failed() {
        use crate::model::{BudgetCheck, ConfigSource, ResolvedBudget};
        let check = |resource, limit, measured: f64| {
            let budget =
                ResolvedBudget::new(Budget::Growth(resource), limit, ConfigSource::Default);
            BudgetCheck::new(&budget, Some(measured), measured > limit as f64)
        };
        let mut within = record(Outcome::Leaked, &[Resource::HeapBytes, Resource::Fds]);
        within.budgets = vec![
            check(Resource::HeapBytes, 64, 32.0),
            check(Resource::Fds, 0, 1.0),
        ];
        assert!(!AttributionPolicy::Failures.wants(&within));
        let mut beyond = within.clone();
        beyond.budgets[0] = check(Resource::HeapBytes, 16, 32.0);
        assert!(AttributionPolicy::Failures.wants(&beyond));
    }

    #[test]
    fn all_attributes_every_test_that_reached_a_verdict() {
        let all = AttributionPolicy::All;
        assert!(all.wants(&record(Outcome::Passed, &[])));
        assert!(all.wants(&record(Outcome::LeakNotFound, &[])));
        assert!(!all.wants(&record(Outcome::TimedOut { timeout_ms: 1 }, &[])));
        let failed = Outcome::Failed {
            message: "no".to_owned(),
            iteration: None,
        };
        assert!(!all.wants(&record(failed, &[])));
    }

    #[test]
    fn the_variable_s_values_and_its_error() {
        assert_eq!(AttributionPolicy::parse("0"), Ok(AttributionPolicy::Off));
        assert_eq!(
            AttributionPolicy::parse(" Failures "),
            Ok(AttributionPolicy::Failures)
        );
        assert_eq!(AttributionPolicy::parse("yes"), Ok(AttributionPolicy::All));
        let error = AttributionPolicy::parse("maybe").unwrap_err();
        assert!(
            error.starts_with("LEAKTEST_ATTRIBUTE must be `off`"),
            "{error}"
        );
        assert!(error.ends_with("not `maybe`"), "{error}");
    }

    #[cfg(feature = "attribution")]
    #[test]
    fn line_info_is_judged_on_the_test_s_own_frames() {
        let profile = |frames: &[&str]| {
            let table: Vec<String> = std::iter::once("\"[root]\"".to_owned())
                .chain(frames.iter().map(|frame| format!("{frame:?}")))
                .collect();
            let indices: Vec<String> = (1..=frames.len()).map(|i| i.to_string()).collect();
            HeapProfile::parse(&format!(
                r#"{{"dhatFileVersion":2,"mode":"rust-heap","pps":[{{"eb":8,"ebk":1,"fs":[{}]}}],"ftbl":[{}]}}"#,
                indices.join(","),
                table.join(",")
            ))
            .expect("a profile")
        };
        let stripped = profile(&[
            "0x1: alloc::alloc::alloc (alloc/src/alloc.rs:94:9)",
            "0x2: app::intern (???:0:0)",
        ]);
        assert!(!has_line_info(&stripped), "std's lines do not count");
        let built_with_lines = profile(&[
            "0x1: alloc::alloc::alloc (???:0:0)",
            "0x2: app::intern (app/src/lib.rs:9:5)",
        ]);
        assert!(has_line_info(&built_with_lines));
    }

    #[test]
    fn windows_are_the_test_s_iterations_then_twice_as_many() {
        let settings = Settings {
            iterations: 200,
            ..Settings::default()
        };
        assert_eq!(window_iterations(&settings), [200, 400]);
    }
}
