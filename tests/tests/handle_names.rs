//! Every handle-leaking example names its handles: `cargo leaktest` runs the
//! leaky examples of `leaktest-examples` (file, TCP socket, unix socket, pipe,
//! thread, child process) and each JSON record carries the handles that
//! appeared during the judged iterations, grouped and named.

use leaktest_e2e::{cargo, cargo_leaktest_binary, fixture_target_dir, workspace_root, Run};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Instant;

/// A leaky example and the handles it must name.
struct LeakyExample {
    /// The test's name in `examples/tests/leaks.rs`.
    test: &'static str,
    /// The resource whose handles it leaks, as in the record.
    resource: &'static str,
    /// Kind and name (prefix) of each group of handles; `TMPDIR` stands for
    /// the run's own temporary directory.
    groups: &'static [(&'static str, &'static str)],
}

const LEAKY_EXAMPLES: &[LeakyExample] = &[
    LeakyExample {
        test: "forgotten_file_handle_leaks",
        resource: "fds",
        groups: &[("file", "TMPDIR/.tmp")],
    },
    LeakyExample {
        test: "test_servers_never_closed_leaks",
        resource: "fds",
        groups: &[("tcp", "127.0.0.1:* LISTEN")],
    },
    LeakyExample {
        test: "unix_socket_sessions_kept_leaks",
        resource: "fds",
        groups: &[("unix", "stream TMPDIR/.tmp")],
    },
    LeakyExample {
        test: "wakeup_pipes_kept_leaks",
        resource: "fds",
        groups: &[("pipe", "(read end)"), ("pipe", "(write end)")],
    },
    LeakyExample {
        test: "watcher_threads_left_running_leaks",
        resource: "threads",
        groups: &[("thread", "\"config-watcher\"")],
    },
    LeakyExample {
        test: "hook_processes_never_reaped_leaks",
        resource: "child_processes",
        groups: &[("child_process", "pid *: [sh] exited, not reaped")],
    },
];

/// Runs the leaky examples under `cargo leaktest --message-format json`, with
/// a temporary directory of their own, and returns their records by name.
fn leaky_example_records(tmpdir: &std::path::Path) -> BTreeMap<String, Value> {
    let manifest = workspace_root().join("Cargo.toml");
    let mut args = vec![
        "leaktest".to_owned(),
        "--manifest-path".to_owned(),
        manifest.display().to_string(),
        "-p".to_owned(),
        "leaktest-examples".to_owned(),
        "--test".to_owned(),
        "leaks".to_owned(),
        "--message-format".to_owned(),
        "json".to_owned(),
        "--no-fail-fast".to_owned(),
        "-j".to_owned(),
        "2".to_owned(),
        "--exact".to_owned(),
    ];
    args.extend(LEAKY_EXAMPLES.iter().map(|example| example.test.to_owned()));
    let started = Instant::now();
    let output = std::process::Command::new(cargo_leaktest_binary())
        .args(&args)
        .env("CARGO_TARGET_DIR", fixture_target_dir())
        .env("CARGO", cargo())
        .env("TMPDIR", tmpdir)
        .current_dir(workspace_root())
        .output()
        .expect("run cargo leaktest");
    let run = Run::new(output, started.elapsed());
    assert_eq!(run.code, Some(0), "every leak found, as expected:\n{run}");
    run.records()
}

#[test]
fn every_handle_leaking_example_names_its_handles() {
    let tmpdir = tempfile::tempdir().expect("a temporary directory");
    let tmpdir_path = tmpdir
        .path()
        .canonicalize()
        .expect("canonical temporary directory");
    let records = leaky_example_records(&tmpdir_path);
    assert_eq!(records.len(), LEAKY_EXAMPLES.len(), "{records:#?}");
    for example in LEAKY_EXAMPLES {
        let (name, resource, expected) = (example.test, example.resource, example.groups);
        let record = &records[name];
        assert_eq!(record["outcome"]["kind"], "passed", "{name}: {record}");
        let judged = record["iterations_run"].as_u64().expect("iterations run")
            - record["settings"]["warmup"].as_u64().expect("warm-up");
        let leaked: Vec<&Value> = record["leaked_handles"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no leaked_handles in {record}"))
            .iter()
            .collect();
        let handles = leaked
            .iter()
            .find(|handles| handles["resource"] == resource)
            .unwrap_or_else(|| panic!("{name}: no {resource} named in {record}"));
        assert!(handles.get("unnamed").is_none(), "{name}: {handles}");
        let groups = handles["groups"].as_array().expect("groups");
        // The hook started by the last iteration may not have exited yet when
        // the handles are listed: it is then named by its command line.
        let last_hook_still_running = |group: &&Value| {
            group["kind"] == "child_process"
                && group["count"] == 1
                && group["name"]
                    .as_str()
                    .is_some_and(|name| name.ends_with(": sh -c 'exit 0'"))
        };
        let running = groups.iter().filter(last_hook_still_running).count() as u64;
        assert_eq!(
            groups.len() as u64 - running,
            expected.len() as u64,
            "{name}: one group per kind of handle leaked: {handles}"
        );
        for (kind, name_prefix) in expected {
            let name_prefix = name_prefix.replace("TMPDIR", &tmpdir_path.display().to_string());
            let group = groups
                .iter()
                .find(|group| {
                    group["kind"] == *kind
                        && group["name"]
                            .as_str()
                            .is_some_and(|found| found.starts_with(&name_prefix))
                })
                .unwrap_or_else(|| panic!("{name}: no {kind} {name_prefix}... in {handles}"));
            assert_eq!(
                group["count"].as_u64(),
                Some(judged - running),
                "{name}: one {kind} per judged iteration: {handles}"
            );
        }
        assert_eq!(
            handles["appeared"].as_u64(),
            Some(judged * expected.len() as u64),
            "{name}: {handles}"
        );
    }
}
