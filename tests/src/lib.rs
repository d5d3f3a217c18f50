//! End-to-end tests of leaktest live in `tests/`: trybuild UI tests of the
//! `#[leak_test]` attribute (`tests/ui.rs` over the cases in `ui/`), the
//! harness under plain `cargo test` (`tests/harness.rs`), and `cargo leaktest`
//! run on fixture workspaces (`tests/cargo_leaktest.rs`).
//!
//! This library holds the helpers those tests share: where the workspace and
//! the shared fixture target directory are, the checked-in fixture crates of
//! `tests/fixtures` and fixture workspaces written to a temporary directory,
//! the `cargo-leaktest` binary built once per test process, the insta
//! settings that snapshots of what users read are taken with, and [`Scope`],
//! which gives every run a test starts its own temporary directory and a
//! marker, and checks that the run left no process and no `leaktest-record-*`
//! behind (other people's runs on the same machine are not looked at).
//!
//! Snapshots live in `tests/tests/snapshots/`. After a deliberate change of wording
//! or of a JSON field, review and accept them with `cargo insta review` (or
//! run with `INSTA_UPDATE=always` and read the diff); with `CI=true` a
//! mismatch fails the test and writes nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

/// The environment variable that marks every process a [`Scope`] started
/// (processes inherit it, down to daemons).
pub const SCOPE_MARKER: &str = "E2E_RUN_SCOPE";

/// What one run started by a test may touch: its own `TMPDIR`, and a marker
/// in the environment of every process it starts, so that what it left
/// behind can be found without looking at anybody else's processes or files.
pub struct Scope {
    tmpdir: tempfile::TempDir,
    marker: String,
}

impl Default for Scope {
    fn default() -> Self {
        Scope::new()
    }
}

impl Scope {
    /// A new scope with an empty temporary directory of its own.
    pub fn new() -> Scope {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let tmpdir = tempfile::Builder::new()
            .prefix("leaktest-e2e-scope-")
            .tempdir()
            .expect("create a scope directory");
        let marker = format!(
            "{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|elapsed| elapsed.as_nanos())
                .unwrap_or_default()
        );
        Scope { tmpdir, marker }
    }

    /// Puts `command` (and everything it starts) in this scope.
    pub fn apply(&self, command: &mut Command) {
        command
            .env("TMPDIR", self.tmpdir.path())
            .env(SCOPE_MARKER, &self.marker);
    }

    /// The scope's temporary directory.
    pub fn tmpdir(&self) -> &Path {
        self.tmpdir.path()
    }

    /// The process ids of the processes of this scope still running.
    fn pids(&self) -> Vec<String> {
        let needle = format!("{SCOPE_MARKER}={}", self.marker);
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|entry| {
                let pid = entry.file_name().to_str()?.to_owned();
                pid.bytes().all(|byte| byte.is_ascii_digit()).then_some(pid)
            })
            .filter(|pid| {
                let process = Path::new("/proc").join(pid);
                let environ = std::fs::read(process.join("environ")).unwrap_or_default();
                let ended = std::fs::read_to_string(process.join("stat"))
                    .ok()
                    .and_then(|stat| {
                        let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
                        Some(state == 'Z' || state == 'X')
                    })
                    .unwrap_or(true);
                !ended
                    && environ
                        .split(|&byte| byte == 0)
                        .any(|variable| variable == needle.as_bytes())
            })
            .collect()
    }

    /// The command lines of the processes of this scope still running.
    pub fn processes(&self) -> Vec<String> {
        self.pids()
            .into_iter()
            .map(|pid| {
                let cmdline = std::fs::read(Path::new("/proc").join(&pid).join("cmdline"))
                    .unwrap_or_default();
                format!(
                    "{pid} {}",
                    String::from_utf8_lossy(&cmdline).replace('\0', " ")
                )
            })
            .collect()
    }

    /// What the processes of this scope hold open whose file name starts
    /// with `prefix` (e.g. `.attribution-`, the profile directory of an
    /// attribution run), wherever it is: for files a run keeps outside its
    /// `TMPDIR`, found while the run holds them.
    pub fn open_files_named(&self, prefix: &str) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = self
            .pids()
            .into_iter()
            .filter_map(|pid| std::fs::read_dir(Path::new("/proc").join(pid).join("fd")).ok())
            .flat_map(|descriptors| descriptors.flatten())
            .filter_map(|descriptor| std::fs::read_link(descriptor.path()).ok())
            .filter(|target| {
                target
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with(prefix))
            })
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// The `leaktest-record-*` entries left in the scope's temporary directory.
    pub fn record_files(&self) -> Vec<String> {
        std::fs::read_dir(self.tmpdir.path())
            .map(|entries| {
                entries
                    .flatten()
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .filter(|name| name.starts_with("leaktest-record-"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Panics unless, within a few seconds (what was killed may take a
    /// moment to be gone), no process of this scope runs and no record file
    /// is left in its temporary directory.
    pub fn assert_nothing_left(&self, context: &dyn std::fmt::Display) {
        let gone = wait_until(Duration::from_secs(10), || {
            self.processes().is_empty() && self.record_files().is_empty()
        });
        assert!(
            gone,
            "left behind: processes {:?}, record files {:?}\n{context}",
            self.processes(),
            self.record_files()
        );
    }
}

/// Polls `done` every 20 ms until it holds or `limit` has passed; its last answer.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// The leaktest workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().unwrap_or(manifest_dir);
    root.canonicalize().unwrap_or_else(|_| root.to_owned())
}

/// The cargo that runs these tests (`$CARGO`), or `cargo` from `PATH`.
pub fn cargo() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cargo"))
}

/// The target directory every fixture builds into, so that leaktest-core and
/// its dependencies compile once for all fixtures and all runs:
/// `$CARGO_TARGET_DIR/leaktest-e2e-fixtures`, or `<workspace>/target/leaktest-e2e-fixtures`.
pub fn fixture_target_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("leaktest-e2e-fixtures")
}

/// The `[dependencies]` line of a fixture on this checkout's leaktest-core.
pub fn leaktest_core_dependency() -> String {
    let core = workspace_root().join("leaktest-core");
    format!(
        "leaktest-core = {{ path = {:?} }}",
        core.display().to_string()
    )
}

/// Raises this process's soft limit of open files to its hard limit, once,
/// so that the fixture harnesses it starts (which inherit it) judge
/// descriptor leaks alike on every machine: leaktest stops extending a
/// growing run at half the soft limit, and a soft limit of 1024 (common on
/// desktops) would end some fixture runs earlier than a CI runner's 65536.
pub fn raise_open_file_limit() {
    static RAISED: std::sync::Once = std::sync::Once::new();
    RAISED.call_once(|| {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct they
        // are given; raising the soft limit up to the hard one is always allowed.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
                limit.rlim_cur = limit.rlim_max;
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            }
        }
    });
}

/// The `cargo-leaktest` binary of this checkout, built on first use.
///
/// `CARGO_BIN_EXE_<name>` exists only for a package's own binaries, and
/// artifact dependencies are unstable, so the binary is built here with
/// `cargo build -p cargo-leaktest` into the fixture target directory (its own
/// directory: the `cargo test` running us may still hold the lock of ours),
/// and found through cargo's JSON messages. It is always fresh.
pub fn cargo_leaktest_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        build_executable(
            &["build", "--package", "cargo-leaktest"],
            &workspace_root().join("Cargo.toml"),
            "cargo-leaktest",
        )
    })
}

/// The manifest of the checked-in fixture crate `tests/fixtures/<name>`, with
/// the workspace's lock file beside it: the same dependency versions, nothing
/// to resolve anew.
pub fn checked_in_fixture_manifest(name: &str) -> PathBuf {
    let manifest = workspace_root()
        .join("tests/fixtures")
        .join(name)
        .join("Cargo.toml");
    let lock = manifest.with_file_name("Cargo.lock");
    // Tests run in parallel: one copies while the others wait, so cargo never
    // reads a half-written lock file.
    static COPYING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _copying = COPYING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !lock.exists() {
        std::fs::copy(workspace_root().join("Cargo.lock"), &lock).expect("copy Cargo.lock");
    }
    manifest
}

/// Builds the `leaks` test binary of the checked-in fixture crate
/// `tests/fixtures/<name>` and returns its path.
pub fn build_checked_in_fixture(name: &str) -> PathBuf {
    let manifest = checked_in_fixture_manifest(name);
    build_executable(&["test", "--no-run", "--test", "leaks"], &manifest, "leaks")
}

/// `cargo ARGS --manifest-path MANIFEST`, building into the shared
/// [`fixture_target_dir`].
pub fn fixture_cargo(args: &[&str], manifest: &Path) -> Command {
    let mut command = Command::new(cargo());
    command
        .args(args)
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--target-dir")
        .arg(fixture_target_dir());
    command
}

/// Runs `cargo ARGS --message-format json` on `manifest` in the shared
/// fixture target directory and returns the executable of target
/// `target_name`; panics with cargo's diagnostics when the build fails.
pub fn build_executable(args: &[&str], manifest: &Path, target_name: &str) -> PathBuf {
    let mut args = args.to_vec();
    args.extend(["--message-format", "json"]);
    let output = fixture_cargo(&args, manifest).output().expect("run cargo");
    assert!(
        output.status.success(),
        "building {target_name} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    executable_in_cargo_messages(&output.stdout, target_name)
        .unwrap_or_else(|| panic!("cargo reported no executable for {target_name}"))
}

/// The executable of target `target_name` in cargo's `--message-format json` output.
pub fn executable_in_cargo_messages(stdout: &[u8], target_name: &str) -> Option<PathBuf> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == target_name)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
}

/// A workspace of fixture crates in a temporary directory under the fixture
/// target directory (removed when dropped; leftovers of interrupted runs are
/// swept by the next run).
pub struct Fixture {
    dir: tempfile::TempDir,
}

/// Where fixture workspaces are written.
fn fixture_parent() -> PathBuf {
    fixture_target_dir().join("workspaces")
}

/// Removes fixture workspaces left by runs that ended more than an hour ago.
fn sweep_old_fixtures(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| modified < hour_ago);
        if old {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Fixture {
    /// An empty fixture workspace holding a copy of the workspace's
    /// Cargo.lock, so dependencies resolve to the versions already built.
    pub fn new(name: &str) -> Fixture {
        let parent = fixture_parent();
        std::fs::create_dir_all(&parent).expect("create the fixture directory");
        sweep_old_fixtures(&parent);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{name}-"))
            .tempdir_in(&parent)
            .expect("create a fixture workspace");
        std::fs::copy(
            workspace_root().join("Cargo.lock"),
            dir.path().join("Cargo.lock"),
        )
        .expect("copy Cargo.lock");
        Fixture { dir }
    }

    /// The fixture's root directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `relative_path` in the fixture, creating directories.
    pub fn file(&self, relative_path: &str, contents: &str) -> &Fixture {
        let path = self.path().join(relative_path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create fixture directories");
        }
        let mut file = std::fs::File::create(&path).expect("create a fixture file");
        file.write_all(contents.as_bytes())
            .expect("write a fixture file");
        self
    }

    /// The `cargo leaktest ARGS` command in the fixture, building into the
    /// shared fixture target directory, in `scope`.
    pub fn cargo_leaktest_command(&self, args: &[&str], scope: &Scope) -> Command {
        cargo_leaktest_command_in(self.path(), args, scope)
    }

    /// Runs `cargo leaktest ARGS` in the fixture, waits for it, and checks
    /// that it left nothing behind.
    pub fn cargo_leaktest(&self, args: &[&str]) -> Run {
        cargo_leaktest_in(self.path(), args)
    }
}

/// The `cargo leaktest ARGS` command in `dir`, building into the shared
/// fixture target directory, in `scope`.
pub fn cargo_leaktest_command_in(dir: &Path, args: &[&str], scope: &Scope) -> Command {
    let mut command = Command::new(cargo_leaktest_binary());
    command
        .arg("leaktest")
        .args(args)
        .env("CARGO_TARGET_DIR", fixture_target_dir())
        .env("CARGO", cargo())
        .env_remove("NO_COLOR")
        // Runs of this suite on GitHub Actions must not annotate it.
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_WORKSPACE")
        .current_dir(dir);
    scope.apply(&mut command);
    command
}

/// Runs `cargo leaktest ARGS` in `dir`, waits for it, and checks that it
/// left no process and no record file behind.
pub fn cargo_leaktest_in(dir: &Path, args: &[&str]) -> Run {
    let scope = Scope::new();
    let started = Instant::now();
    let output = cargo_leaktest_command_in(dir, args, &scope)
        .output()
        .expect("run cargo-leaktest");
    let run = Run::new(output, started.elapsed());
    scope.assert_nothing_left(&run);
    run
}

/// What one `cargo leaktest` run did.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Everything on stdout.
    pub stdout: String,
    /// Everything on stderr.
    pub stderr: String,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Run {
    /// The run of a finished process.
    pub fn new(output: Output, elapsed: Duration) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed,
        }
    }

    /// Parses every stdout line as JSON, failing the test on any other line.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|error| panic!("not a JSON line ({error}): {line}\n{self}"))
            })
            .collect()
    }

    /// The `test_finished` records of a JSON run, by test name.
    pub fn records(&self) -> std::collections::BTreeMap<String, serde_json::Value> {
        self.json_lines()
            .into_iter()
            .filter(|line| line["type"] == "test_finished")
            .map(|line| {
                let record = line["record"].clone();
                let name = record["name"].as_str().unwrap_or_default().to_owned();
                (name, record)
            })
            .collect()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// What varies from run to run or machine to machine in text users read, and
/// what it is replaced with in snapshots. Words, field names and figures that
/// do not vary stay, so a change of wording shows up in review.
const VARYING_TEXT: &[(&str, &str)] = &[
    // Per-test durations of the human report: `[  0.41s]`.
    (r"\[ *\d+(?:\.\d+)?s\]", "[DURATION]"),
    // Run times: `Finished 5 leak tests in 3.2s`, libtest's `finished in 2.17s`.
    // (A timeout, `after 1s`, is a setting and stays.)
    (r"\bin \d+(?:\.\d+)?s\b", "in [DURATION]"),
    // Peak heap depends on the allocator's history (a panic's backtrace
    // buffers, the runtime's start-up): `peak 9.9 KiB`, `peak heap: 14.7 KiB`.
    (
        r"\bpeak( heap:)? \d+(?:\.\d+)? (?:B|KiB|MiB|GiB|TiB)\b",
        "peak${1} [PEAK]",
    ),
    // The test's own peak, above the heap before its first iteration:
    // `peak heap: [PEAK] (5.8 KiB above the start)`.
    (
        r"\(\d+(?:\.\d+)? (?:B|KiB|MiB|GiB|TiB) above the start\)",
        "([PEAK] above the start)",
    ),
    // Rust prints the thread id in panic and stack-overflow messages.
    (r"thread '([^']*)' \(\d+\)", "thread '${1}' ([TID])"),
    // Build hashes in binary names: `leaks-460e9edf662ab5c0`.
    (r"-[0-9a-f]{16}\b", "-[HASH]"),
    // Processes a test left running: `pid 4242 (sleep 60)`.
    (r"\bpid \d+ \(", "pid [PID] ("),
];

/// insta settings for snapshots of what users read: the paths of this
/// checkout and of the fixture target directory, durations, peak heap
/// figures, thread ids, process ids and build hashes are replaced (in text
/// and in JSON), and in JSON records the fields whose values vary (`binary`,
/// `src_path`, `duration_ms` (the attribution run's too), `peak_heap_bytes`,
/// the pids of `leaked_processes`, the `series` of samples and the `peaks`
/// of a long run, shown as their length) are redacted.
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_omit_expression(true);
    // The fixture target directory may lie inside the workspace: longest first.
    let target = fixture_target_dir();
    for (path, name) in [
        (&target, "[FIXTURE_TARGET]"),
        (&workspace_root(), "[WORKSPACE]"),
    ] {
        settings.add_filter(&regex::escape(&path.display().to_string()), name);
    }
    for (pattern, replacement) in VARYING_TEXT {
        settings.add_filter(pattern, *replacement);
    }
    for field in [".binary", ".src_path"] {
        // A path, or `null` (a target cargo built no executable for): kept.
        settings.add_dynamic_redaction(field, |path, _| match path.as_str() {
            Some(_) => insta::internals::Content::from("[PATH]"),
            None => path,
        });
    }
    for field in [
        ".duration_ms",
        ".record.duration_ms",
        ".record.attribution.duration_ms",
    ] {
        settings.add_redaction(field, "[DURATION_MS]");
    }
    settings.add_redaction(".record.leaked_processes[].pid", "[PID]");
    settings.add_redaction(".record.peak_heap_bytes", "[PEAK_HEAP_BYTES]");
    settings.add_redaction(".record.heap_bytes_at_start", "[HEAP_BYTES_AT_START]");
    settings.add_dynamic_redaction(".record.resources[].series", |series, _path| {
        let samples = series.as_slice().map_or(0, <[_]>::len);
        format!("[{samples} samples]")
    });
    // A run longer than 2,048 iterations keeps each point's highest sample
    // too: shown as their number, like the series.
    settings.add_dynamic_redaction(".record.resources[].peaks", |peaks, _path| {
        let points = peaks.as_slice().map_or(0, <[_]>::len);
        format!("[{points} peaks]")
    });
    settings
}

/// Replaces every byte size (`+127.8 B`, `6.7 KiB`) and sparkline in `text`
/// with `[SIZE]` and `[SPARKLINE]`: for a test whose heap figures vary by a
/// few bytes from run to run (a multi-threaded runtime's own allocations),
/// while its counts of blocks and tasks, and every word, stay pinned.
pub fn redact_heap_figures(text: &str) -> String {
    static SIZE: OnceLock<regex::Regex> = OnceLock::new();
    static SPARKLINE: OnceLock<regex::Regex> = OnceLock::new();
    let size = SIZE.get_or_init(|| {
        regex::Regex::new(r"[+-]?\d+(?:\.\d+)? (?:B|KiB|MiB|GiB|TiB)\b").expect("size pattern")
    });
    let sparkline =
        SPARKLINE.get_or_init(|| regex::Regex::new("[▁▂▃▄▅▆▇█]+").expect("sparkline pattern"));
    let text = size.replace_all(text, "[SIZE]");
    sparkline.replace_all(&text, "[SPARKLINE]").into_owned()
}

/// Replaces what changes from run to run in human output: per-test durations
/// (`[  0.41s]`) become `[DURATION]`, and run times (`in 3.2s`, `after 3.2s`)
/// become `in DURATION` / `after DURATION`.
pub fn redact_durations(text: &str) -> String {
    let mut redacted = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(['[', ' ']) {
        redacted.push_str(&rest[..start]);
        let candidate = &rest[start..];
        if let Some(length) = bracketed_duration(candidate) {
            redacted.push_str("[DURATION]");
            rest = &candidate[length..];
        } else if let Some((word, length)) = worded_duration(candidate) {
            redacted.push_str(&format!(" {word} DURATION"));
            rest = &candidate[length..];
        } else {
            redacted.push_str(&candidate[..1]);
            rest = &candidate[1..];
        }
    }
    redacted.push_str(rest);
    redacted
}

/// Length of `[  0.41s]` at the start of `text`, if there is one.
fn bracketed_duration(text: &str) -> Option<usize> {
    let end = text.find(']')?;
    let inside = text[1..end].trim_start();
    is_seconds(inside).then_some(end + 1)
}

/// `in 3.2s` or `after 3.2s` (after a space) at the start of `text`.
fn worded_duration(text: &str) -> Option<(&'static str, usize)> {
    for word in ["in", "after"] {
        let Some(after_word) = text[1..]
            .strip_prefix(word)
            .and_then(|t| t.strip_prefix(' '))
        else {
            continue;
        };
        let number_length = after_word
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(after_word.len());
        if number_length > 0 && after_word[number_length..].starts_with('s') {
            return Some((word, 1 + word.len() + 1 + number_length + 1));
        }
    }
    None
}

fn is_seconds(text: &str) -> bool {
    text.strip_suffix('s').is_some_and(|number| {
        !number.is_empty() && number.chars().all(|c| c.is_ascii_digit() || c == '.')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_redacted() {
        assert_eq!(
            redact_durations("   PASSED [  0.41s] a::leaks clean\n Finished 2 leak tests in 1.2s"),
            "   PASSED [DURATION] a::leaks clean\n Finished 2 leak tests in DURATION"
        );
        assert_eq!(
            redact_durations("Interrupted after 4.0s: [x] in the box [12s]"),
            "Interrupted after DURATION: [x] in the box [DURATION]"
        );
    }
}
