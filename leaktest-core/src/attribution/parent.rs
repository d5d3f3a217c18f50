//! The parent's side: when to run attribution, where its profile goes, and the
//! attribution run itself (a child process of its own, with its own timeout).

use super::AttributionPolicy;
use crate::isolation::{run_isolated, ChildSpec, IsolationError};
use crate::model::{Attribution, AttributionFailure, Outcome, TestRecord};
use crate::protocol::ATTRIBUTION_PROFILE_FILE;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;
use tempfile::TempDir;

/// Directory, under a cargo profile's output directory (`target/debug`),
/// that holds the kept profiles.
const PROFILES_DIR: [&str; 2] = ["leaktest", "profiles"];
/// Suffix of a kept profile.
const PROFILE_SUFFIX: &str = ".dhat.json";

/// Runs `spec`'s test in a child process ([`run_isolated`]) and, when
/// `policy` wants it for the record, its attribution run after it, whose
/// result goes into [`TestRecord::attribution`].
///
/// Errors are [`run_isolated`]'s for the verdict run. An attribution run that
/// cannot even start is recorded as [`AttributionFailure::NotStarted`]; one
/// cancelled (Ctrl-C), or not started because the run was cancelled
/// meanwhile, leaves the record without attribution, since the test itself
/// finished.
pub fn run_attributed(
    spec: &ChildSpec,
    policy: AttributionPolicy,
) -> Result<TestRecord, IsolationError> {
    let mut record = run_isolated(spec)?;
    let cancelled = spec
        .cancel
        .as_ref()
        .is_some_and(|cancel| cancel.load(Ordering::SeqCst));
    if policy.wants(&record) && !cancelled {
        record.attribution = attribute(spec).ok();
    }
    Ok(record)
}

/// Runs the attribution run of `spec`'s test: the same test, in a child
/// process of its own with the same timeout, profiled under dhat. Its output
/// is always captured (dhat writes to stderr), and none of it reaches the
/// test's record. The profile is kept at [`profile_path`] (or the same layout
/// under the temporary directory, when that cannot be written).
///
/// The child writes its profiles into a directory of this run's own, next to
/// the kept profile ([`ChildSpec::attribution_dir`], handed down by
/// descriptor like the record directory), which is removed with whatever a
/// killed run left there; the profile of a finished run is then moved to the
/// kept path. So two runs of the same test at once (two `cargo test` on one
/// target directory) never write the same file, and the kept path always
/// holds a whole profile. The run is contained as every child is (see
/// [`crate::isolation`]): a cancellation stops it with everything it
/// started, and its directory goes with it, even when the runner dies.
///
/// Only cancellation is an error; every other way the run ends is an
/// [`Attribution`].
pub fn attribute(spec: &ChildSpec) -> Result<Attribution, IsolationError> {
    let binary = spec.binary_path();
    let kept = profile_path(binary, &spec.test.name);
    let (kept, run_directory) = match run_directory(&kept) {
        Ok(directory) => (kept, directory),
        Err(_) => {
            let kept = temp_profile_path(binary, &spec.test.name);
            match run_directory(&kept) {
                Ok(directory) => (kept, directory),
                Err(error) => {
                    return Ok(Attribution::Failed {
                        reason: AttributionFailure::ProfileUnreadable {
                            path: kept.display().to_string(),
                            message: format!("its directory could not be made: {error}"),
                        },
                    })
                }
            }
        }
    };
    let written = run_directory.path().join(ATTRIBUTION_PROFILE_FILE);
    let mut attribution_spec = spec.clone();
    attribution_spec.capture_output = true;
    // A diagnosis, not a verdict: nothing to hold to budgets.
    attribution_spec.budgets = Vec::new();
    attribution_spec.attribution_dir = Some(run_directory.path().to_owned());
    let started = Instant::now();
    match run_isolated(&attribution_spec) {
        Ok(record) => {
            let mut attribution = attribution_of(record, &written);
            if let Attribution::Profiled(sites) = &mut attribution {
                sites.duration_ms = started.elapsed().as_millis() as u64;
                sites.profile_path = keep_profile(&written, &kept, run_directory)
                    .display()
                    .to_string();
            }
            Ok(attribution)
        }
        Err(IsolationError::Cancelled) => Err(IsolationError::Cancelled),
        Err(error) => Ok(Attribution::Failed {
            reason: AttributionFailure::NotStarted {
                message: error.to_string(),
            },
        }),
    }
}

/// A new directory for one attribution run's profiles, next to the kept
/// profile `kept` (whose directory is made if missing).
fn run_directory(kept: &Path) -> std::io::Result<TempDir> {
    let directory = kept.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(directory)?;
    tempfile::Builder::new()
        .prefix(".attribution-")
        .tempdir_in(directory)
}

/// Moves the profile `written` to `kept` (replacing the one an earlier run
/// kept) and returns where it is; if it cannot be moved, it stays where it
/// was written, and that directory is not removed.
fn keep_profile(written: &Path, kept: &Path, run_directory: TempDir) -> PathBuf {
    match std::fs::rename(written, kept) {
        Ok(()) => kept.to_owned(),
        Err(_) => {
            let _ = run_directory.keep();
            written.to_owned()
        }
    }
}

/// What an attribution run's record says: its attribution, or how it ended
/// without one.
fn attribution_of(record: TestRecord, profile: &Path) -> Attribution {
    let failed = |reason| Attribution::Failed { reason };
    match (record.outcome, record.attribution) {
        (Outcome::TimedOut { timeout_ms }, _) => {
            failed(AttributionFailure::TimedOut { timeout_ms })
        }
        (Outcome::OutOfMemory { limit_bytes, .. }, _) => {
            failed(AttributionFailure::OutOfMemory { limit_bytes })
        }
        (Outcome::Crashed { description, .. }, _) => {
            failed(AttributionFailure::Crashed { description })
        }
        (Outcome::Failed { message, .. }, _) => failed(AttributionFailure::TestFailed { message }),
        (_, Some(attribution)) => attribution,
        (_, None) => failed(AttributionFailure::ProfileUnreadable {
            path: profile.display().to_string(),
            message: "the attribution run ended without reporting sites (is the test binary \
                      built from another leaktest version?)"
                .to_owned(),
        }),
    }
}

/// Where the attribution run of `test` in `binary` keeps its profile:
/// `target/<profile>/leaktest/profiles/<binary>/<test>.dhat.json` for a test
/// binary of cargo's (in `target/<profile>/deps`), else a `leaktest-profiles`
/// directory next to the binary. One file per test, replaced by its next
/// attribution run, removed by `cargo clean`.
///
/// ```
/// use leaktest_core::attribution::profile_path;
/// use std::path::Path;
///
/// let path = profile_path(Path::new("/w/target/debug/deps/leaks-1a2b"), "io::reader_leaks");
/// assert_eq!(
///     path,
///     Path::new("/w/target/debug/leaktest/profiles/leaks-1a2b/io.reader_leaks.dhat.json")
/// );
/// ```
pub fn profile_path(binary: &Path, test: &str) -> PathBuf {
    let binary_dir = binary.parent().unwrap_or(Path::new("."));
    let base = match binary_dir.file_name() {
        Some(name) if name == "deps" => binary_dir
            .parent()
            .unwrap_or(binary_dir)
            .join(PROFILES_DIR[0])
            .join(PROFILES_DIR[1]),
        _ => binary_dir.join("leaktest-profiles"),
    };
    base.join(binary_stem(binary)).join(profile_file_name(test))
}

/// The fallback when the directory of [`profile_path`] cannot be made (a
/// read-only target directory): the same layout under the temporary
/// directory.
fn temp_profile_path(binary: &Path, test: &str) -> PathBuf {
    std::env::temp_dir()
        .join("leaktest-profiles")
        .join(binary_stem(binary))
        .join(profile_file_name(test))
}

fn binary_stem(binary: &Path) -> String {
    binary.file_stem().map_or_else(
        || "tests".to_owned(),
        |stem| stem.to_string_lossy().into_owned(),
    )
}

/// `io::reader_leaks` → `io.reader_leaks.dhat.json`: module separators become
/// dots, anything but letters, digits, `_` and `-` an underscore.
fn profile_file_name(test: &str) -> String {
    let name: String = test
        .replace("::", ".")
        .chars()
        .map(|character| {
            if character.is_alphanumeric() || matches!(character, '_' | '-' | '.') {
                character
            } else {
                '_'
            }
        })
        .collect();
    format!("{name}{PROFILE_SUFFIX}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ProfiledSites, Settings, TestDescription};

    #[test]
    fn profiles_live_next_to_cargo_s_build_output() {
        assert_eq!(
            profile_path(Path::new("/w/target/release/deps/leaks-9f"), "a::b::c"),
            Path::new("/w/target/release/leaktest/profiles/leaks-9f/a.b.c.dhat.json")
        );
        assert_eq!(
            profile_path(Path::new("/opt/bin/leaks"), "odd name/with:colon"),
            Path::new("/opt/bin/leaktest-profiles/leaks/odd_name_with_colon.dhat.json")
        );
    }

    fn record(outcome: Outcome, attribution: Option<Attribution>) -> TestRecord {
        let test = TestDescription::new("t", "t.rs:1", Settings::default());
        let mut record = TestRecord::without_run(&test, outcome, 1);
        record.attribution = attribution;
        record
    }

    #[test]
    fn an_attribution_run_that_did_not_finish_says_how_it_ended() {
        let profile = Path::new("/p.json");
        assert_eq!(
            attribution_of(record(Outcome::TimedOut { timeout_ms: 500 }, None), profile),
            Attribution::Failed {
                reason: AttributionFailure::TimedOut { timeout_ms: 500 }
            }
        );
        let failed = Outcome::Failed {
            message: "flaky".to_owned(),
            iteration: Some(3),
        };
        assert_eq!(
            attribution_of(record(failed, None), profile),
            Attribution::Failed {
                reason: AttributionFailure::TestFailed {
                    message: "flaky".to_owned()
                }
            }
        );
        let out_of_memory = Outcome::OutOfMemory {
            limit_bytes: 64 << 20,
            iteration: Some(150),
        };
        assert_eq!(
            attribution_of(record(out_of_memory, None), profile),
            Attribution::Failed {
                reason: AttributionFailure::OutOfMemory {
                    limit_bytes: 64 << 20
                }
            }
        );
        assert!(matches!(
            attribution_of(record(Outcome::Passed, None), profile),
            Attribution::Failed {
                reason: AttributionFailure::ProfileUnreadable { .. }
            }
        ));
        let profiled = Attribution::Profiled(ProfiledSites::new(
            Vec::new(),
            0,
            0.0,
            "/p.json".to_owned(),
            [10, 20],
            true,
        ));
        assert_eq!(
            attribution_of(record(Outcome::Passed, Some(profiled.clone())), profile),
            profiled
        );
    }
}
