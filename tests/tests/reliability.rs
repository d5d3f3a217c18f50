//! Faults of every kind, end to end, against the real binaries: signals to
//! `cargo leaktest` while tests run and while cargo builds, processes that
//! escape their test, binaries that are not harnesses, stale or overriding
//! environment variables, memory limits, and a rebuild during a run.
//! RELIABILITY.md lists each fault with the test that proves it.
//!
//! Every run has a [`Scope`] of its own (its `TMPDIR`, and a marker in the
//! environment of every process it starts) and must leave no process and no
//! `leaktest-record-*` behind.

use leaktest_e2e::{
    build_checked_in_fixture, cargo_leaktest_command_in, cargo_leaktest_in,
    checked_in_fixture_manifest, fixture_cargo, leaktest_core_dependency, wait_until, Fixture, Run,
    Scope,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Longest wait for a run to reach the point a test interrupts it at: the
/// build of a fixture on a loaded machine included.
const READY_LIMIT: Duration = Duration::from_secs(300);

/// The directory of fixture crate `tests/fixtures/<name>`.
fn fixture_dir(name: &str) -> PathBuf {
    let manifest = checked_in_fixture_manifest(name);
    manifest.parent().expect("a fixture directory").to_owned()
}

fn line_of_type(run: &Run, kind: &str) -> Value {
    run.json_lines()
        .into_iter()
        .find(|line| line["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} line:\n{run}"))
}

/// The last line of an interrupted run: its `run_finished`, saying so.
fn finished_interrupted(run: &Run) -> Value {
    let finished = run.json_lines().pop().expect("a last line");
    assert_eq!(finished["type"], "run_finished", "{run}");
    assert_eq!(finished["interrupted"], true, "{finished}");
    finished
}

/// Runs `command` in `scope`, waits for it, and checks that it left nothing behind.
fn run_in(mut command: Command, scope: &Scope) -> Run {
    let started = std::time::Instant::now();
    let output = command.output().expect("run cargo-leaktest");
    let run = Run::new(output, started.elapsed());
    scope.assert_nothing_left(&run);
    run
}

/// Runs `command` (cargo leaktest) in `scope` in a process group of its own,
/// killed (and the test failed) if it has not ended within [`READY_LIMIT`]:
/// for runs that would hang for an hour when the fault they test is back.
fn run_bounded(mut command: Command, scope: &Scope) -> Run {
    command
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = std::time::Instant::now();
    let mut child = command.spawn().expect("start cargo-leaktest");
    let stdout = read_in_background(child.stdout.take());
    let stderr = read_in_background(child.stderr.take());
    let ended = wait_until(READY_LIMIT, || matches!(child.try_wait(), Ok(Some(_))));
    if !ended {
        // SAFETY: kill has no memory-safety preconditions; the child leads its group.
        unsafe {
            libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
        }
    }
    let status = child.wait().expect("wait for cargo-leaktest");
    let run = Run::new(
        std::process::Output {
            status,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        },
        started.elapsed(),
    );
    assert!(ended, "cargo leaktest hung and was killed:\n{run}");
    scope.assert_nothing_left(&run);
    run
}

/// Reads `pipe` to its end on a thread.
fn read_in_background(
    pipe: Option<impl Read + Send + 'static>,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut text);
        }
        text
    })
}

/// Starts `command` (cargo leaktest) in a process group of its own, waits
/// until `ready` holds, then sends it `signal`, and with `to_group` its
/// group right after, as coreutils `timeout` does. Returns the finished run,
/// once it left nothing behind.
fn interrupt(
    mut command: Command,
    scope: &Scope,
    ready: impl Fn() -> bool,
    signal: i32,
    to_group: bool,
) -> Run {
    command
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = std::time::Instant::now();
    let mut child = command.spawn().expect("start cargo-leaktest");
    let stdout = read_in_background(child.stdout.take());
    let stderr = read_in_background(child.stderr.take());
    let was_ready = wait_until(READY_LIMIT, &ready);
    let pid = child.id() as libc::pid_t;
    // SAFETY: kill has no memory-safety preconditions; the child is not reaped yet.
    unsafe {
        libc::kill(pid, signal);
        if to_group {
            libc::kill(-pid, signal);
        }
    }
    let status = child.wait().expect("wait for cargo-leaktest");
    let run = Run::new(
        std::process::Output {
            status,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        },
        started.elapsed(),
    );
    assert!(
        was_ready,
        "the run never got to the point of interruption:\n{run}"
    );
    scope.assert_nothing_left(&run);
    run
}

/// Whether the processes of `leaves_processes_and_hangs` are all running.
fn hanging_test_running(scope: &Scope) -> bool {
    let processes = scope.processes();
    ["sleep 4321.5", "sleep 4321.6"]
        .iter()
        .all(|marker| processes.iter().any(|process| process.contains(marker)))
}

fn hanging_run(scope: &Scope) -> Command {
    build_checked_in_fixture("harness-outcomes");
    cargo_leaktest_command_in(
        &fixture_dir("harness-outcomes"),
        &[
            "--include-ignored",
            "--message-format",
            "json",
            "--exact",
            "leaves_processes_and_hangs",
        ],
        scope,
    )
}

/// The test ignores SIGTERM and started a child and a daemon; SIGTERM to
/// `cargo leaktest` alone must end the run as Ctrl-C does, with its report.
#[test]
fn sigterm_stops_the_run_like_ctrl_c_and_leaves_nothing_behind() {
    let scope = Scope::new();
    let run = interrupt(
        hanging_run(&scope),
        &scope,
        || hanging_test_running(&scope),
        libc::SIGTERM,
        false,
    );
    assert_eq!(run.code, Some(143), "{run}");
    let finished = finished_interrupted(&run);
    assert_eq!(finished["signal"], "SIGTERM", "{finished}");
    assert_eq!(finished["exit_code"], 143, "{finished}");
    assert_eq!(finished["not_run"], 1, "{finished}");
}

/// SIGTERM while a heap leak's attribution run hangs under dhat's profiler
/// (its timeout raised, so only the interruption ends it): the verdict run's
/// record is reported as it finished, without sites; the attribution run
/// goes with everything it started, its record directory and the directory
/// it profiles into (next to the kept profiles, outside `TMPDIR`).
#[test]
fn sigterm_during_an_attribution_run_keeps_the_verdict_and_leaves_nothing_behind() {
    build_checked_in_fixture("attribution");
    let scope = Scope::new();
    let mut command = cargo_leaktest_command_in(
        &fixture_dir("attribution"),
        &[
            "--message-format",
            "json",
            "--timeout",
            "10m",
            "--test",
            "leaks",
            "--exact",
            "leaks_then_hangs_under_the_profiler",
        ],
        &scope,
    );
    command.env_remove("LEAKTEST_ATTRIBUTE");
    let profile_dirs = std::cell::RefCell::new(Vec::new());
    let attributing = || {
        let found = scope.open_files_named(".attribution-");
        let started = !found.is_empty();
        profile_dirs.borrow_mut().extend(found);
        started
    };
    let run = interrupt(command, &scope, attributing, libc::SIGTERM, false);
    assert_eq!(run.code, Some(143), "{run}");
    let record = &run.records()["leaks_then_hangs_under_the_profiler"];
    assert_eq!(record["outcome"]["kind"], "leaked", "{record}");
    assert!(record["attribution"].is_null(), "{record}");
    finished_interrupted(&run);
    for dir in profile_dirs.borrow().iter() {
        assert!(!dir.exists(), "{} is left behind:\n{run}", dir.display());
    }
}

/// `timeout -s INT` signals the process, then its group: one interruption,
/// not a second Ctrl-C that abandons the run.
#[test]
fn signals_to_the_process_and_its_group_are_one_interruption() {
    let scope = Scope::new();
    let run = interrupt(
        hanging_run(&scope),
        &scope,
        || hanging_test_running(&scope),
        libc::SIGINT,
        true,
    );
    assert_eq!(run.code, Some(130), "{run}");
    assert!(!run.stderr.contains("abandoning"), "{run}");
    let finished = finished_interrupted(&run);
    assert_eq!(finished["signal"], "SIGINT", "{finished}");
}

/// cargo runs in a group of its own: the signal is forwarded to it, its
/// build script included, and cargo is waited for.
#[test]
fn sigterm_while_cargo_builds_stops_cargo_and_its_build_script() {
    let scope = Scope::new();
    let started = scope.tmpdir().join("build-started");
    let mut command = cargo_leaktest_command_in(&fixture_dir("slow-build"), &[], &scope);
    command.env("E2E_BUILD_STARTED", &started);
    let run = interrupt(command, &scope, || started.exists(), libc::SIGTERM, false);
    assert_eq!(run.code, Some(143), "{run}");
    assert!(run.stderr.contains("interrupted by SIGTERM"), "{run}");
}

/// A daemon the test started (double fork and `setsid`) is killed when the
/// test ends and reported as leaked; it cannot hold the run's output open.
#[test]
fn a_daemon_is_killed_with_its_test_and_reported_as_leaked() {
    build_checked_in_fixture("harness-outcomes");
    let dir = fixture_dir("harness-outcomes");
    let run = cargo_leaktest_in(
        &dir,
        &[
            "--message-format",
            "json",
            "--exact",
            "leaving_a_daemon_fails",
        ],
    );
    assert_eq!(run.code, Some(1), "{run}");
    let record = &run.records()["leaving_a_daemon_fails"];
    assert_eq!(record["outcome"]["kind"], "leaked", "{record}");
    let leaked = record["leaked_processes"].as_array().expect("a list");
    assert_eq!(leaked.len(), 1, "{record}");
    assert_eq!(leaked[0]["command"], "sleep 4321.7", "{record}");
    assert!(
        leaked[0]["pid"].as_u64().is_some_and(|pid| pid > 1),
        "{record}"
    );

    // With --nocapture the daemon inherits the run's own stdout: read to its
    // end, as `cargo leaktest --nocapture | cat` does, it must end with the run.
    let scope = Scope::new();
    let mut command = cargo_leaktest_command_in(
        &dir,
        &[
            "--nocapture",
            "--color",
            "never",
            "--exact",
            "leaving_a_daemon_fails",
        ],
        &scope,
    );
    command.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = command.spawn().expect("start cargo-leaktest");
    let mut stdout = child.stdout.take().expect("stdout");
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        let _ = done_tx.send(text);
    });
    let status = child.wait().expect("wait for cargo-leaktest");
    // The daemon would hold the pipe for 72 minutes; a few minutes of load is not that.
    let text = done_rx
        .recv_timeout(READY_LIMIT)
        .expect("stdout did not end with the run: a process still holds it");
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("left 1 process running"), "{text}");
    scope.assert_nothing_left(&text);
}

#[test]
fn a_memory_limit_stops_the_test_and_says_where() {
    build_checked_in_fixture("harness-outcomes");
    let run = cargo_leaktest_in(
        &fixture_dir("harness-outcomes"),
        &[
            "--memory-limit",
            "32MiB",
            "--message-format",
            "json",
            "--exact",
            "exceeding_the_memory_limit_fails",
            "clean_passes",
        ],
    );
    assert_eq!(run.code, Some(1), "{run}");
    let records = run.records();
    let record = &records["exceeding_the_memory_limit_fails"];
    assert_eq!(record["outcome"]["kind"], "out_of_memory", "{record}");
    assert_eq!(record["outcome"]["limit_bytes"], 32 << 20, "{record}");
    assert_eq!(record["outcome"]["iteration"], 0, "{record}");
    let peak = record["peak_heap_bytes"].as_u64().unwrap_or_default();
    assert!(
        peak >= 32 << 20,
        "the peak is the heap at the limit: {record}"
    );
    assert_eq!(
        records["clean_passes"]["settings"]["memory_limit_bytes"],
        32 << 20
    );
    let overrides = &line_of_type(&run, "run_started")["overrides"];
    assert_eq!(overrides[0]["setting"], "memory_limit", "{overrides}");
    assert_eq!(overrides[0]["source"], "--memory-limit", "{overrides}");
}

/// Internal variables left in the shell are ignored; an override taken from
/// the environment shows in the header and in `--list`.
#[test]
fn the_environment_cannot_fake_the_protocol_and_overrides_are_shown() {
    build_checked_in_fixture("harness-outcomes");
    let dir = fixture_dir("harness-outcomes");
    let stale = [
        ("LEAKTEST_CHILD", "x"),
        ("LEAKTEST_DESCRIBE", "1"),
        ("LEAKTEST_RECORD", "/nowhere"),
        ("LEAKTEST_ATTRIBUTION_PROFILE", "3:1:1"),
        ("LEAKTEST_ITERATIONS", "12"),
    ];
    let scope = Scope::new();
    let mut command = cargo_leaktest_command_in(
        &dir,
        &["--message-format", "json", "--exact", "clean_passes"],
        &scope,
    );
    command.envs(stale);
    let run = run_in(command, &scope);
    assert_eq!(run.code, Some(0), "{run}");
    let record = &run.records()["clean_passes"];
    assert_eq!(record["outcome"]["kind"], "passed", "{record}");
    assert_eq!(record["settings"]["iterations"], 12, "{record}");
    assert!(
        record["attribution"].is_null(),
        "the verdict run is no attribution run: {record}"
    );
    let overrides = &line_of_type(&run, "run_started")["overrides"];
    assert_eq!(
        overrides,
        &serde_json::json!([
            {"setting": "iterations", "value": "12", "source": "LEAKTEST_ITERATIONS"}
        ])
    );

    let scope = Scope::new();
    let mut command = cargo_leaktest_command_in(&dir, &["--list", "--color", "never"], &scope);
    command.envs(stale);
    let listed = run_in(command, &scope);
    assert!(
        listed
            .stdout
            .contains("override: iterations = 12 (from LEAKTEST_ITERATIONS)"),
        "{listed}"
    );
    let clean = listed
        .stdout
        .lines()
        .find(|line| line.trim_start().starts_with("clean_passes "))
        .unwrap_or_else(|| panic!("clean_passes not listed:\n{listed}"));
    assert!(clean.contains("iterations=12 "), "{clean}");
}

/// A target that is not a harness and writes garbage where the description
/// goes is skipped with the reason (an error only when named with `--test`);
/// one that leaves a process of its own session on its output does not hang
/// the run; the good harness's tests still run.
#[test]
fn binaries_that_cannot_describe_themselves_are_skipped_and_never_hang_the_run() {
    let dir = fixture_dir("reliability");
    let scope = Scope::new();
    let run = run_bounded(
        cargo_leaktest_command_in(&dir, &["--message-format", "json"], &scope),
        &scope,
    );
    assert_eq!(run.code, Some(0), "{run}");
    let skipped: BTreeMap<String, Value> = line_of_type(&run, "run_started")["skipped_targets"]
        .as_array()
        .expect("skipped targets")
        .iter()
        .map(|target| {
            let name = target["target"].as_str().unwrap_or_default().to_owned();
            (name, target.clone())
        })
        .collect();
    assert_eq!(skipped["garbled"]["reason"], "cannot_describe", "{run}");
    assert!(
        skipped["garbled"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("malformed")),
        "{run}"
    );
    assert_eq!(
        skipped["daemonizes"]["reason"], "not_a_leaktest_harness",
        "{run}"
    );
    assert_eq!(skipped["sleepy"]["reason"], "not_built", "{run}");
    assert_eq!(
        run.records()["runs_despite_the_others"]["outcome"]["kind"],
        "passed",
        "{run}"
    );

    let named = cargo_leaktest_in(&dir, &["--test", "garbled"]);
    assert_eq!(named.code, Some(2), "{named}");
    assert!(
        named
            .stderr
            .contains("could not list the leak tests of reliability::garbled"),
        "{named}"
    );
}

/// A binary that sleeps instead of describing itself: Ctrl-C ends the run
/// at once (exit 130), and the binary goes with it.
#[test]
fn ctrl_c_interrupts_a_binary_that_will_not_describe_itself() {
    let scope = Scope::new();
    let command = cargo_leaktest_command_in(
        &fixture_dir("reliability"),
        &["--features", "sleepy", "--test", "sleepy"],
        &scope,
    );
    let describing = || {
        scope
            .processes()
            .iter()
            .any(|process| process.contains("/sleepy-") && process.contains("--list"))
    };
    let run = interrupt(command, &scope, describing, libc::SIGINT, false);
    assert_eq!(run.code, Some(130), "{run}");
    assert!(run.stderr.contains("interrupted by SIGINT"), "{run}");
}

const REBUILT_MANIFEST: &str = r#"[package]
name = "rebuilt"
version = "0.1.0"
edition = "2021"
publish = false

[workspace]

[dev-dependencies]
CORE

[[test]]
name = "leaks"
harness = false
"#;

/// The first test waits (in its first iteration) until the test driving
/// this run has rebuilt the binary; `SECOND` names the second test.
const REBUILT_LEAKS: &str = r#"
use leaktest_core::leak_test;

#[leak_test(iterations = 4, timeout = "10m")]
fn a_waits_for_the_rebuild() {
    let dir = std::path::PathBuf::from(std::env::var_os("REBUILD_DIR").expect("REBUILD_DIR"));
    let _ = std::fs::write(dir.join("waiting"), "");
    while !dir.join("rebuilt").exists() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[leak_test(iterations = 4)]
fn SECOND() {}

leaktest_core::main!();
"#;

/// A rebuild between the description and the run of a test (another
/// `cargo test` in the same target directory) must not change what runs:
/// each test runs from the binary that was described.
#[test]
fn tests_run_from_the_binary_that_was_described_even_after_a_rebuild() {
    let fixture = Fixture::new("rebuilt");
    let manifest = REBUILT_MANIFEST.replace("CORE", &leaktest_core_dependency());
    fixture
        .file("Cargo.toml", &manifest)
        .file("src/lib.rs", "")
        .file(
            "tests/leaks.rs",
            &REBUILT_LEAKS.replace("SECOND", "b_is_the_original"),
        );
    let scope = Scope::new();
    let mut command =
        fixture.cargo_leaktest_command(&["-j", "1", "--message-format", "json"], &scope);
    command
        .env("REBUILD_DIR", scope.tmpdir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().expect("start cargo-leaktest");
    let waiting = wait_until(READY_LIMIT, || scope.tmpdir().join("waiting").exists());
    fixture.file(
        "tests/leaks.rs",
        &REBUILT_LEAKS.replace("SECOND", "b_was_renamed"),
    );
    let rebuild = fixture_cargo(
        &["test", "--no-run", "--test", "leaks"],
        &fixture.path().join("Cargo.toml"),
    )
    .output()
    .expect("rebuild");
    std::fs::write(scope.tmpdir().join("rebuilt"), "").expect("signal the rebuild");
    let output = child.wait_with_output().expect("wait for cargo-leaktest");
    let run = Run::new(output, Duration::ZERO);
    assert!(waiting, "the first test never started:\n{run}");
    assert!(
        rebuild.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuild.stderr)
    );
    assert_eq!(run.code, Some(0), "{run}");
    let records = run.records();
    assert_eq!(
        records["b_is_the_original"]["outcome"]["kind"], "passed",
        "{run}"
    );
    scope.assert_nothing_left(&run);
}

/// Runs `command` with SIGCHLD ignored, as a parent that leaves it so (some
/// supervisors and agents do) starts it: `exec` keeps an ignored disposition.
fn with_sigchld_ignored(command: &mut Command) -> &mut Command {
    // SAFETY: the closure runs between fork and exec and calls only signal,
    // which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGCHLD, libc::SIG_IGN);
            Ok(())
        })
    }
}

/// Started with SIGCHLD ignored, the harness under `cargo test` and
/// `cargo leaktest` still wait for their children: each test gets its own
/// verdict, not a timeout (the kernel would reap the test's process before
/// its keeper could), and `cargo leaktest` still runs `cargo metadata`. A
/// test that ignores SIGCHLD itself still has the child it left found,
/// killed and reported by its keeper.
#[test]
fn an_inherited_ignored_sigchld_changes_no_verdict() {
    let tests = [
        "--include-ignored",
        "--exact",
        "runs_despite_the_others",
        "ignores_sigchld_and_leaves_a_child",
    ];
    let binary = build_checked_in_fixture("reliability");
    let scope = Scope::new();
    let mut harness = Command::new(binary);
    harness.args(tests);
    scope.apply(with_sigchld_ignored(&mut harness));
    let harness = run_bounded(harness, &scope);
    assert_eq!(harness.code, Some(101), "{harness}");
    let status = |name: &str| {
        harness.stdout.lines().find_map(|line| {
            let (test, status) = line.strip_prefix("test ")?.split_once(" ... ")?;
            (test.trim() == name).then(|| status.trim().to_owned())
        })
    };
    assert_eq!(
        status("runs_despite_the_others").as_deref(),
        Some("ok"),
        "{harness}"
    );
    assert_eq!(
        status("ignores_sigchld_and_leaves_a_child").as_deref(),
        Some("FAILED"),
        "{harness}"
    );
    assert!(
        harness
            .stdout
            .contains("leak: the test left processes running")
            && harness.stdout.contains("(sleep 4321.9)"),
        "{harness}"
    );

    let scope = Scope::new();
    let mut cargo_leaktest = cargo_leaktest_command_in(
        &fixture_dir("reliability"),
        &[&["--test", "leaks", "--message-format", "json"][..], &tests].concat(),
        &scope,
    );
    with_sigchld_ignored(&mut cargo_leaktest);
    let run = run_bounded(cargo_leaktest, &scope);
    assert_eq!(run.code, Some(1), "{run}");
    let records = run.records();
    assert_eq!(
        records["runs_despite_the_others"]["outcome"]["kind"], "passed",
        "{run}"
    );
    let left_a_child = &records["ignores_sigchld_and_leaves_a_child"];
    assert_eq!(left_a_child["outcome"]["kind"], "leaked", "{run}");
    assert_eq!(
        left_a_child["leaked_processes"][0]["command"], "sleep 4321.9",
        "{run}"
    );
}

/// A test that used up its descriptors, or lowered its file size limit
/// below its record's size, still delivers its verdict (the record's file is
/// created before the test runs); a panic that ends the process (in a `Drop`
/// while unwinding, which aborts; in a setup value's `Drop`, which ends
/// `main`) is reported with its message and location.
#[test]
fn verdicts_survive_used_up_descriptors_and_panics_that_end_the_process() {
    let run = cargo_leaktest_in(
        &fixture_dir("reliability"),
        &[
            "--test",
            "leaks",
            "--no-fail-fast",
            "--message-format",
            "json",
            "--include-ignored",
            "--exact",
            "leaks_descriptors_until_none_is_left",
            "panics_under_a_tiny_file_size_limit",
            "panics_in_drop_while_unwinding",
            "setup_value_panics_in_drop",
        ],
    );
    assert_eq!(run.code, Some(1), "{run}");
    let records = run.records();

    let descriptors = &records["leaks_descriptors_until_none_is_left"];
    assert_eq!(descriptors["outcome"]["kind"], "leaked", "{descriptors}");
    let fds = descriptors["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|report| report["resource"] == "fds")
        .unwrap_or_else(|| panic!("no fds report: {descriptors}"));
    assert_eq!(fds["judgement"]["leaking"], true, "{fds}");

    let tiny_files = &records["panics_under_a_tiny_file_size_limit"];
    assert_eq!(tiny_files["outcome"]["kind"], "failed", "{tiny_files}");
    let message = tiny_files["outcome"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("panicked at tests/leaks.rs:")
            && message.contains("under a 64-byte file size limit"),
        "{tiny_files}"
    );

    for (name, ending, panics) in [
        (
            "panics_in_drop_while_unwinding",
            "killed by SIGABRT",
            &["the body panicked first", "the guard panicked in drop"][..],
        ),
        (
            "setup_value_panics_in_drop",
            "exited with code 101",
            &["the setup value panicked in drop"],
        ),
    ] {
        let record = &records[name];
        assert_eq!(record["outcome"]["kind"], "crashed", "{record}");
        let description = record["outcome"]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(
            description.starts_with(ending)
                && description.contains("after it panicked at tests/leaks.rs:"),
            "{name}: {description}"
        );
        for panic in panics {
            assert!(description.contains(panic), "{name}: {description}");
        }
    }
}
