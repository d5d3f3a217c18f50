//! Runs the corpus and the examples with `cargo leaktest` (built from this
//! workspace) and reads the record of every test.

use crate::table::Case;
use leaktest_core::model::TestRecord;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The packages whose leak tests make up the corpus.
pub const PACKAGES: [&str; 2] = ["leaktest-accuracy", "leaktest-examples"];

/// Why the corpus could not be run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// cargo could not be started.
    #[error("could not run `{cargo}`: {source} (is cargo on PATH, or CARGO set?)")]
    Cargo {
        /// The cargo that was tried.
        cargo: String,
        /// Why it could not start.
        source: std::io::Error,
    },
    /// `cargo leaktest` ended with an error of its own (a build failure, a
    /// bad command line): exit code 2 or a signal.
    #[error("`cargo leaktest` failed ({status}); its output ends with:\n{stderr_tail}")]
    Failed {
        /// How it ended.
        status: std::process::ExitStatus,
        /// The end of what it wrote to stderr.
        stderr_tail: String,
    },
    /// A line of its JSON output could not be read.
    #[error("`cargo leaktest --message-format json` printed a line that is not a test event: {line}: {reason}")]
    BadLine {
        /// The line.
        line: String,
        /// What was wrong with it.
        reason: String,
    },
}

/// How to run the corpus.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The workspace holding the corpus (this crate's parent directory).
    pub workspace: PathBuf,
    /// The cargo to run (`$CARGO` under cargo, else `cargo`).
    pub cargo: PathBuf,
    /// Where to build (`--target-dir`); cargo's default when `None`.
    pub target_dir: Option<PathBuf>,
}

impl RunOptions {
    /// This workspace, the cargo that built this program, its default target directory.
    pub fn for_this_workspace() -> RunOptions {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        RunOptions {
            workspace: manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf(),
            cargo: std::env::var_os("CARGO")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("cargo")),
            target_dir: None,
        }
    }
}

/// Builds `cargo leaktest` and runs every leak test of [`PACKAGES`] at
/// their own settings, each to its end (`--no-fail-fast`); returns their
/// records. A run with failing tests is not an error: their records say so.
pub fn run_corpus(options: &RunOptions) -> Result<Vec<Case>, RunError> {
    let manifest = options.workspace.join("Cargo.toml");
    let mut command = Command::new(&options.cargo);
    command
        .args([
            "run",
            "--quiet",
            "--package",
            "cargo-leaktest",
            "--manifest-path",
        ])
        .arg(&manifest);
    if let Some(target_dir) = &options.target_dir {
        command.arg("--target-dir").arg(target_dir);
    }
    command
        .args(["--", "leaktest", "--manifest-path"])
        .arg(&manifest)
        .args(["--no-fail-fast", "--message-format", "json"]);
    for package in PACKAGES {
        command.args(["--package", package]);
    }
    if let Some(target_dir) = &options.target_dir {
        command.arg("--target-dir").arg(target_dir);
    }
    let output = command.output().map_err(|source| RunError::Cargo {
        cargo: options.cargo.display().to_string(),
        source,
    })?;
    // 0: every test passed; 1: some did not, and their records say how.
    if !matches!(output.status.code(), Some(0 | 1)) {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        return Err(RunError::Failed {
            status: output.status,
            stderr_tail: lines[lines.len().saturating_sub(40)..].join("\n"),
        });
    }
    parse_events(&String::from_utf8_lossy(&output.stdout))
}

/// The cases of the `test_finished` events among `cargo leaktest`'s JSON lines.
pub fn parse_events(json_lines: &str) -> Result<Vec<Case>, RunError> {
    let mut cases = Vec::new();
    for line in json_lines.lines().filter(|line| !line.trim().is_empty()) {
        let bad = |reason: String| RunError::BadLine {
            line: line.chars().take(200).collect(),
            reason,
        };
        let event: serde_json::Value =
            serde_json::from_str(line).map_err(|error| bad(error.to_string()))?;
        if event["type"] != "test_finished" {
            continue;
        }
        let package = event["package"]
            .as_str()
            .ok_or_else(|| bad("no package".to_owned()))?
            .to_owned();
        let record: TestRecord = serde_json::from_value(event["record"].clone())
            .map_err(|error| bad(error.to_string()))?;
        cases.push(Case { package, record });
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_events_are_read_and_other_events_skipped() {
        let record = r#"{"schema_version":1,"name":"steady_leak::a","location":"tests/corpus.rs:1","outcome":{"kind":"passed"},"settings":{"iterations":100,"warmup":10,"should_leak":true,"timeout_ms":60000,"settle_ms":200,"runtime":null,"has_setup":true},"iterations_run":1000,"resources":[],"unmeasured":[],"peak_heap_bytes":10,"duration_ms":3}"#;
        let lines = format!(
            "{{\"type\":\"run_started\",\"schema_version\":1}}\n\
             {{\"type\":\"test_finished\",\"package\":\"leaktest-accuracy\",\"record\":{record}}}\n\
             {{\"type\":\"run_finished\",\"schema_version\":1}}\n"
        );
        let cases = parse_events(&lines).expect("events");
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].package, "leaktest-accuracy");
        assert_eq!(cases[0].record.iterations_run, 1000);
        assert!(cases[0].leaks());
    }

    #[test]
    fn a_line_that_is_not_json_is_an_error() {
        assert!(matches!(
            parse_events("warning: something\n"),
            Err(RunError::BadLine { .. })
        ));
    }
}
