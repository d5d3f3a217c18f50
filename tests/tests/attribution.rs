//! Where the heap growth comes from, end to end: the examples' real leaks run
//! through `cargo leaktest --attribute`, whose records must name each leaking
//! function's file and line and leave lazy initialisation out; the harness
//! under `cargo test` printing the sites of a heap leak by default, and not
//! when turned off; and attribution runs that cannot name the sites (a hang
//! under the profiler, a pace too slow for the timeout, another allocator)
//! saying so without changing the verdict.

use leaktest_core::isolation::{run_isolated, ChildSpec};
use leaktest_core::model::{
    AllocationSite, Attribution, AttributionFailure, AttributionUnavailable, Outcome, Settings,
    TestDescription, TestRecord,
};
use leaktest_e2e::{
    build_checked_in_fixture, build_executable, cargo_leaktest_in, checked_in_fixture_manifest,
    workspace_root,
};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

/// Every heap-leaking example (by test name, without the `current_thread::`
/// or `multi_thread::` module of the async ones), the file under
/// `examples/src` of its leaking function, and that function: the top site of
/// its attribution must name it.
const LEAKING_EXAMPLES: &[(&str, &str, &str)] = &[
    (
        "audit_trail_in_two_vecs_leaks",
        "audit_trail.rs",
        "AuditTrail::record",
    ),
    (
        "metrics_never_drained_by_the_flusher_leak",
        "batched_metrics.rs",
        "MetricsBatcher::emit",
    ),
    (
        "metrics_drained_after_the_confirmation_window_look_like_a_leak",
        "batched_metrics.rs",
        "MetricsBatcher::emit",
    ),
    (
        "closed_ids_unpruned_leaks",
        "closed_ids.rs",
        "RememberingTracker::close",
    ),
    (
        "revoked_tokens_never_expired_leak",
        "revoked_tokens.rs",
        "RevocationList::revoke",
    ),
    (
        "subscribers_never_removed_leaks",
        "subscribers.rs",
        "AuditService::start",
    ),
    (
        "rc_parent_child_cycle_leaks",
        "rc_cycle.rs",
        "StrongNode::new",
    ),
    (
        "test_servers_never_closed_leaks",
        "handles.rs",
        "NeverClosingFixture::stop",
    ),
    (
        "unix_socket_sessions_kept_leaks",
        "control_socket.rs",
        "ControlServer::serve_one",
    ),
    (
        "wakeup_pipes_kept_leaks",
        "wakeup_pipe.rs",
        "LoopRegistry::handle_request",
    ),
    (
        "zlib_stream_never_ended_leaks",
        "zlib_stream.rs",
        "Deflate::new",
    ),
    (
        "watcher_threads_left_running_leaks",
        "threads.rs",
        "AccumulatingWatchers::reload",
    ),
    (
        "tiny_leaked_label_leaks",
        "tiny_leak.rs",
        "status_label_leaked",
    ),
    (
        "dead_letters_every_tenth_call_leaks",
        "every_kth.rs",
        "Message::new",
    ),
    (
        "background_worker_keeps_payloads_leaks",
        "background_worker.rs",
        "Worker::submit",
    ),
    (
        "cache_without_eviction_leaks",
        "bounded_cache.rs",
        "load_profile",
    ),
    (
        "interned_request_labels_leak",
        "route_labels.rs",
        "request_label_leaked",
    ),
    (
        "interval_never_aborted_leaks",
        "interval.rs",
        "spawn_ticker",
    ),
    (
        "channel_sender_kept_leaks",
        "channel_task.rs",
        "spawn_consumer",
    ),
    (
        "manager_unpruned_leaks",
        "manager.rs",
        "ConnectionManager::accept",
    ),
    (
        "manager_with_pump_unpruned_leaks",
        "manager.rs",
        "ConnectionManager::accept",
    ),
    (
        "timeout_orphans_spawned_task_leaks",
        "timeouts.rs",
        "query_with_timeout_orphaning",
    ),
];

/// Functions that initialise once (the route tables of `route_labels`, the
/// admin one at the 16th request, inside the first profiled window): no site
/// may name them.
const LAZY_INIT_FUNCTIONS: &[&str] = &["user_routes", "admin_routes", "Route::parse"];

fn records(json_lines: &str) -> Vec<TestRecord> {
    json_lines
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["type"] == "test_finished")
        .map(|message| serde_json::from_value(message["record"].clone()).expect("a record"))
        .collect()
}

fn site_functions(site: &AllocationSite) -> Vec<&str> {
    site.frames
        .iter()
        .map(|frame| frame.function.as_str())
        .collect()
}

#[test]
fn every_heap_leaking_example_names_its_leaking_line_and_not_its_lazy_init() {
    let run = cargo_leaktest_in(
        &workspace_root(),
        &[
            "-p",
            "leaktest-examples",
            "--test",
            "leaks",
            "--attribute",
            "--message-format",
            "json",
            "-j",
            "2",
            "_leak",
        ],
    );
    assert_eq!(run.code, Some(0), "{run}");
    let records = records(&run.stdout);
    let mut attributed = BTreeSet::new();
    for record in &records {
        let Some(attribution) = &record.attribution else {
            panic!("--attribute: no attribution for {}:\n{run}", record.name);
        };
        if !record.heap_leaked() {
            continue;
        }
        let name = record.name.rsplit("::").next().unwrap_or(&record.name);
        let Some(&(_, file, function)) = LEAKING_EXAMPLES.iter().find(|(test, ..)| *test == name)
        else {
            panic!(
                "{} leaks heap but is not in LEAKING_EXAMPLES: add it with the file and \
                 function its leak is in",
                record.name
            );
        };
        let Attribution::Profiled(profiled) = attribution else {
            panic!("{}: not profiled: {attribution:?}", record.name);
        };
        let top = profiled
            .sites
            .first()
            .unwrap_or_else(|| panic!("{}: no growing site: {profiled:?}", record.name));
        let frame = top
            .frames
            .iter()
            .find(|frame| {
                // An async fn's body is its closure: `f::{{closure}}` is `f`.
                let named = frame.function.trim_end_matches("::{{closure}}");
                named.ends_with(function)
            })
            .unwrap_or_else(|| {
                panic!(
                    "{}: the top site does not name {function}: {:?}",
                    record.name,
                    site_functions(top)
                )
            });
        let source_file = frame.file.as_deref().unwrap_or_default();
        assert!(
            source_file.ends_with(&format!("examples/src/{file}")),
            "{}: {function} in {source_file:?}, not {file}",
            record.name
        );
        let source = std::fs::read_to_string(workspace_root().join("examples/src").join(file))
            .expect("read the example's source");
        let line = frame
            .line
            .unwrap_or_else(|| panic!("{}: no line for {function}", record.name));
        assert!(
            (1..=source.lines().count()).contains(&(line as usize)),
            "{}: line {line} is not in {file}",
            record.name
        );
        for site in &profiled.sites {
            for lazy in LAZY_INIT_FUNCTIONS {
                assert!(
                    !site_functions(site).iter().any(|f| f.ends_with(lazy)),
                    "{}: the lazy initialisation {lazy} is listed: {site:?}",
                    record.name
                );
            }
        }
        assert!(profiled.explained_bytes_per_iteration > 0.0, "{profiled:?}");
        let profile = std::fs::read_to_string(&profiled.profile_path)
            .unwrap_or_else(|error| panic!("read {}: {error}", profiled.profile_path));
        let profile: serde_json::Value = serde_json::from_str(&profile).expect("profile JSON");
        assert_eq!(profile["dhatFileVersion"], 2, "{}", profiled.profile_path);
        attributed.insert(name.to_owned());
    }
    let expected: BTreeSet<String> = LEAKING_EXAMPLES
        .iter()
        .map(|(test, ..)| (*test).to_owned())
        .collect();
    assert_eq!(
        attributed, expected,
        "every listed example leaked and was attributed"
    );
}

/// Runs a harness binary (as `cargo test` does) with `args` and `env`.
fn run_harness(binary: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(binary);
    command
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .env_remove("LEAKTEST_ATTRIBUTE");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run the harness")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn cargo_test_prints_the_sites_of_a_heap_leak_unless_turned_off() {
    let binary = build_checked_in_fixture("harness-outcomes");
    let attributed = run_harness(&binary, &["--exact", "leaking_fails"], &[]);
    let text = stdout(&attributed);
    assert_eq!(attributed.status.code(), Some(101), "{text}");
    for expected in [
        "where the heap grows: sites explain 32 of 32 B/iter",
        "  +32 B/iter, +1 block/iter: leaks::leaking_fails (harness-outcomes/tests/leaks.rs:12)",
        "dhat profile of 200 iterations (open it in DHAT's viewer, dh_view.html): ",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    // dhat's own lines on stderr stay in the attribution run's output.
    assert!(!text.contains("dhat: "), "{text}");

    let off = run_harness(
        &binary,
        &["--exact", "leaking_fails"],
        &[("LEAKTEST_ATTRIBUTE", "off")],
    );
    let text = stdout(&off);
    assert!(text.contains("leak: memory or handles grow"), "{text}");
    assert!(!text.contains("where the heap grows"), "{text}");

    let wrong = run_harness(&binary, &[], &[("LEAKTEST_ATTRIBUTE", "sometimes")]);
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("LEAKTEST_ATTRIBUTE must be `off`") && stderr.contains("not `sometimes`"),
        "{stderr}"
    );
}

#[test]
fn a_hang_under_the_profiler_ends_at_the_timeout_and_the_verdict_stands() {
    let binary = build_checked_in_fixture("attribution");
    let output = run_harness(
        &binary,
        &["--exact", "leaks_then_hangs_under_the_profiler"],
        &[],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(101), "{text}");
    assert!(text.contains("leak: memory or handles grow"), "{text}");
    assert!(
        text.contains(
            "where the heap grows: not attributed: the attribution run, under dhat's profiler"
        ) && text.contains("killed after the test's timeout of 2s"),
        "{text}"
    );
}

/// The attribution run of a test too slow to profile in time, alone, as a
/// runner starts it (the profile directory handed down by descriptor): it
/// is told its timeout is 3 s, and killed only after a minute, so that the
/// decision not to start the second window is what ends it, however loaded
/// the machine.
#[test]
fn a_second_window_that_would_overrun_the_timeout_is_not_started() {
    let binary = build_checked_in_fixture("attribution");
    let directory = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::default();
    settings.timeout_ms = 3000;
    let test = TestDescription::new(
        "leaks_too_slowly_to_profile_in_time",
        "tests/leaks.rs",
        settings,
    );
    let mut spec = ChildSpec::new(binary.clone(), test);
    spec.timeout = Duration::from_secs(60);
    // What the child plans its run by; the runner's own timeout is above.
    spec.env = vec![("LEAKTEST_TIMEOUT_MS".into(), "3000".into())];
    spec.attribution_dir = Some(directory.path().to_owned());
    let record = run_isolated(&spec).expect("run the attribution child");
    assert_eq!(record.outcome, Outcome::Passed, "{record:?}");
    assert_eq!(
        record.attribution,
        Some(Attribution::Failed {
            reason: AttributionFailure::WouldOverrunTimeout { timeout_ms: 3000 }
        }),
        "{record:?}"
    );
    let left: Vec<_> = std::fs::read_dir(directory.path())
        .expect("list the profile directory")
        .flatten()
        .map(|entry| entry.file_name())
        .collect();
    assert!(
        left.is_empty(),
        "the first window's profile is removed: {left:?}"
    );
}

#[test]
fn another_allocator_says_how_to_get_the_sites_in_text_and_record() {
    let manifest = checked_in_fixture_manifest("attribution");
    let binary = build_executable(
        &["test", "--no-run", "--test", "own_allocator"],
        &manifest,
        "own_allocator",
    );
    let output = run_harness(&binary, &[], &[]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(101), "{text}");
    assert!(
        text.contains(
            "where the heap grows: not attributed: the counting allocator wraps \
             `own_allocator::Forwarding`, and dhat profiles only the system allocator"
        ) && text.contains("`leaktest_core::main!()`"),
        "{text}"
    );

    let fixture = manifest.parent().expect("fixture directory");
    let run = cargo_leaktest_in(
        fixture,
        &["--test", "own_allocator", "--message-format", "json"],
    );
    assert_eq!(run.code, Some(1), "{run}");
    let records = records(&run.stdout);
    assert_eq!(
        records[0].attribution,
        Some(Attribution::Unavailable {
            reason: AttributionUnavailable::OtherAllocator {
                allocator: Some("own_allocator::Forwarding".to_owned())
            }
        }),
        "{run}"
    );
    let run = cargo_leaktest_in(
        fixture,
        &[
            "--test",
            "own_allocator",
            "--message-format",
            "json",
            "--no-attribute",
        ],
    );
    assert_eq!(records_of_run_without_attribution(&run.stdout), 1, "{run}");
}

/// How many records of the run have no attribution.
fn records_of_run_without_attribution(json_lines: &str) -> usize {
    records(json_lines)
        .iter()
        .filter(|record| record.attribution.is_none())
        .count()
}
