//! The child's side of an attribution run: checks that the process can be
//! profiled, sends every allocation through dhat, runs the test's warm-up and
//! two profiled windows, and turns the two profiles into the sites of its
//! record.

#[cfg(feature = "attribution")]
use crate::model::AttributionFailure;
use crate::model::{Attribution, AttributionUnavailable, Outcome, TestDescription, TestRecord};
use crate::registry::LeakTest;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Runs `test` (as `description` has it, the runner's overrides applied) as
/// an attribution run writing its profile into `profile_dir`, the directory
/// the runner handed down, and returns the record to write: outcome `passed`
/// with an [`Attribution`], or the failure of the body under the profiler.
/// `allocator` is the type name of the allocator the counting allocator
/// wraps, as `main!` reported it; `timeout` the runner's, counted from
/// `started`.
pub(crate) fn run_test(
    test: &LeakTest,
    description: TestDescription,
    profile_dir: &File,
    allocator: Option<&str>,
    timeout: Option<Duration>,
    started: Instant,
) -> TestRecord {
    let (outcome, attribution) = match profilable(allocator) {
        Err(reason) => (Outcome::Passed, Some(Attribution::Unavailable { reason })),
        Ok(()) => match crate::protocol::directory_path(profile_dir) {
            Ok(dir) => {
                let profile = dir.join(crate::protocol::ATTRIBUTION_PROFILE_FILE);
                profile_test(test, &description, &profile, timeout, started)
            }
            Err(error) => (Outcome::Passed, Some(unwritable(&error))),
        },
    };
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut record = TestRecord::without_run(&description, outcome, elapsed_ms);
    record.attribution = attribution;
    record
}

/// The attribution of a run whose profile directory cannot be named.
fn unwritable(error: &std::io::Error) -> Attribution {
    #[cfg(feature = "attribution")]
    {
        Attribution::Failed {
            reason: AttributionFailure::ProfileUnreadable {
                path: crate::protocol::ATTRIBUTION_PROFILE_FILE.to_owned(),
                message: format!(
                    "the directory the runner handed down for it has no path here: {error}"
                ),
            },
        }
    }
    #[cfg(not(feature = "attribution"))]
    {
        let _ = error;
        Attribution::Unavailable {
            reason: AttributionUnavailable::FeatureOff,
        }
    }
}

/// Whether this process can be profiled: dhat records allocations of the
/// system allocator only, so the counting allocator must wrap it, as
/// `main!()` installs it (reporting it as `std::alloc::System`).
fn profilable(allocator: Option<&str>) -> Result<(), AttributionUnavailable> {
    if !cfg!(feature = "attribution") {
        return Err(AttributionUnavailable::FeatureOff);
    }
    // The type name is the allocator's identity leaktest already reports (and
    // baselines keep); there is one `std`, so no other type has this name.
    if allocator == Some(std::any::type_name::<std::alloc::System>()) {
        Ok(())
    } else {
        Err(AttributionUnavailable::OtherAllocator {
            allocator: allocator.map(str::to_owned),
        })
    }
}

/// Where the profile of each window goes (shorter first): the longer one at
/// `profile`, the path the parent gave (in a directory of this run's own),
/// the shorter one next to it, removed once read.
#[cfg_attr(not(feature = "attribution"), allow(dead_code))]
fn window_profile_paths(profile: &Path) -> [PathBuf; 2] {
    let mut shorter = profile.as_os_str().to_owned();
    shorter.push(".shorter");
    [PathBuf::from(shorter), profile.to_owned()]
}

#[cfg(not(feature = "attribution"))]
fn profile_test(
    _test: &LeakTest,
    _description: &TestDescription,
    _profile: &Path,
    _timeout: Option<Duration>,
    _started: Instant,
) -> (Outcome, Option<Attribution>) {
    // `profilable` refused: without the feature there is no profiler.
    (
        Outcome::Passed,
        Some(Attribution::Unavailable {
            reason: AttributionUnavailable::FeatureOff,
        }),
    )
}

/// Profiles the test's windows (see [`super::windows`]) and reads back the
/// sites.
#[cfg(feature = "attribution")]
fn profile_test(
    test: &LeakTest,
    description: &TestDescription,
    profile: &Path,
    timeout: Option<Duration>,
    started: Instant,
) -> (Outcome, Option<Attribution>) {
    use super::windows::{WindowPlan, WindowsEnd};
    use crate::driver::Driver;

    static DHAT: dhat::Alloc = dhat::Alloc;
    // SAFETY: `profilable` checked that the one counting allocator of this
    // process (the global allocator `main!` installed) wraps the system
    // allocator: `System` itself, or `DirectSystem`, which `main!()` reports
    // as `System` and which reaches the same glibc heap past the native-heap
    // counter. dhat::Alloc allocates, reallocates and frees through `System`,
    // the same heap, so blocks may cross between the two both ways.
    unsafe { crate::alloc::redirect_all(&DHAT) };

    let settings = &description.settings;
    // The runner's timeout (the attribute's, or what a configuration set).
    let timeout_ms = timeout.map_or(settings.timeout_ms, |timeout| {
        u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX)
    });
    let deadline = timeout.and_then(|timeout| started.checked_add(timeout));
    let plan = WindowPlan {
        warmup_iterations: settings.warmup,
        window_iterations: super::window_iterations(settings),
        profiles: window_profile_paths(profile),
        settle: Duration::from_millis(settings.settle_ms),
        deadline,
    };
    let mut driver = Driver::new(settings.clone()).with_attribution_windows(plan.clone());
    (test.run)(&mut driver);
    let windows = driver.take_windows_run();
    let record = driver.into_record(
        description.name.clone(),
        description.location.clone(),
        started.elapsed(),
    );
    let remove_profiles = || {
        for path in &plan.profiles {
            let _ = std::fs::remove_file(path);
        }
    };
    if let Outcome::Failed { .. } = record.outcome {
        remove_profiles();
        return (record.outcome, None);
    }
    let failed = |reason| Some(Attribution::Failed { reason });
    let attribution = match windows.map(|run| run.end) {
        Some(WindowsEnd::Profiled) => {
            let windows = super::sites::Windows {
                warmup_iterations: plan.warmup_iterations,
                iterations: plan.window_iterations,
            };
            match super::read_sites(&plan.profiles, windows) {
                Ok(mut sites) => {
                    sites.duration_ms = started.elapsed().as_millis() as u64;
                    Some(Attribution::Profiled(sites))
                }
                Err(reason) => failed(reason),
            }
        }
        Some(WindowsEnd::WouldOverrunDeadline) => {
            remove_profiles();
            failed(AttributionFailure::WouldOverrunTimeout { timeout_ms })
        }
        // The body's failure is the record's outcome already; without any
        // run, the record says the body never ran.
        Some(WindowsEnd::BodyFailed { .. }) | None => None,
    };
    (Outcome::Passed, attribution)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_system_allocator_can_be_profiled() {
        let refused = profilable(Some("mimalloc::MiMalloc"));
        if cfg!(feature = "attribution") {
            assert_eq!(profilable(Some("std::alloc::System")), Ok(()));
            assert_eq!(
                refused,
                Err(AttributionUnavailable::OtherAllocator {
                    allocator: Some("mimalloc::MiMalloc".to_owned())
                })
            );
            assert_eq!(
                profilable(None),
                Err(AttributionUnavailable::OtherAllocator { allocator: None })
            );
        } else {
            assert_eq!(refused, Err(AttributionUnavailable::FeatureOff));
        }
    }

    #[test]
    fn the_longer_window_writes_the_profile_the_parent_asked_for() {
        assert_eq!(
            window_profile_paths(Path::new("/t/a.dhat.json")),
            [
                PathBuf::from("/t/a.dhat.json.shorter"),
                PathBuf::from("/t/a.dhat.json"),
            ]
        );
    }
}
