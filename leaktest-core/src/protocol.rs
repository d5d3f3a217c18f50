//! How a parent process talks to a leaktest harness binary.
//!
//! Both the harness under `cargo test` and `cargo leaktest` start the test
//! binary again with environment variables saying what to do:
//!
//! - [`ENV_DESCRIBE`]`=1`: print [`DESCRIBE_MARKER`] followed by a JSON
//!   [`HarnessDescription`] on one stdout line, then exit 0. A binary that is
//!   not a leaktest harness prints no such line: that is how harnesses are told
//!   apart from ordinary test binaries.
//! - [`ENV_CHILD_TEST`]`=<test name>` and [`ENV_RECORD_PATH`]`=<file>`: run that
//!   one test in this process and write its [`TestRecord`] as JSON to the file.
//! - [`ENV_ITERATIONS`]`=<n>` (optional): run every test for `n` iterations.
//! - [`ENV_ATTRIBUTION_PROFILE`]`=<file>` (with [`ENV_CHILD_TEST`]): instead of
//!   judging the test, profile it under dhat to find the allocation sites of
//!   its heap growth, keep the profile at that path, and write a record whose
//!   `attribution` holds them (see [`crate::attribution`]).
//!
//! Records carry [`SCHEMA_VERSION`], checked on read.

use crate::model::{HarnessDescription, TestRecord, SCHEMA_VERSION};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set to `1` to make a harness binary describe its tests and exit.
pub const ENV_DESCRIBE: &str = "LEAKTEST_DESCRIBE";
/// The full name of the one test a child process runs.
pub const ENV_CHILD_TEST: &str = "LEAKTEST_CHILD";
/// Where the child writes its record.
pub const ENV_RECORD_PATH: &str = "LEAKTEST_RECORD";
/// Overrides the iterations of every test.
pub const ENV_ITERATIONS: &str = "LEAKTEST_ITERATIONS";
/// The child's timeout in milliseconds, so it can keep its run within it.
pub const ENV_TIMEOUT_MS: &str = "LEAKTEST_TIMEOUT_MS";
/// The process id of the parent, so a child dies with it.
pub const ENV_PARENT_PID: &str = "LEAKTEST_PARENT_PID";
/// Set by the parent, with [`ENV_CHILD_TEST`], to make the child an
/// attribution run that keeps dhat's profile at this path.
pub const ENV_ATTRIBUTION_PROFILE: &str = "LEAKTEST_ATTRIBUTION_PROFILE";
/// Read by the parent (the harness under `cargo test`, and `cargo leaktest`
/// when given no flag): when to run attribution (`off`, `failures`, `all`; see
/// [`crate::attribution::AttributionPolicy`]).
pub const ENV_ATTRIBUTE: &str = "LEAKTEST_ATTRIBUTE";
/// Prefix of the description line printed under [`ENV_DESCRIBE`].
pub const DESCRIBE_MARKER: &str = "leaktest-describe:";

/// What went wrong talking to a harness binary.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// The binary could not be started.
    #[error("could not run {binary}: {source}")]
    Spawn {
        /// The binary.
        binary: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The binary did not finish describing itself in time.
    #[error(
        "{binary} did not describe its tests within {timeout:?} when run with --list: \
         a test binary with `harness = false` must end with `leaktest_core::main!()` \
         or stop after listing"
    )]
    DescribeTimedOut {
        /// The binary.
        binary: PathBuf,
        /// How long it was given.
        timeout: Duration,
    },
    /// A record or description file could not be read.
    #[error("could not read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A record or description is not valid JSON of the expected shape.
    #[error("{what} from {origin} is malformed: {source}")]
    Malformed {
        /// `record` or `description`.
        what: &'static str,
        /// Where it came from.
        origin: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The other side speaks another schema version.
    #[error(
        "{origin} speaks leaktest schema {found}, this program speaks {expected}: \
         rebuild both with the same leaktest version"
    )]
    SchemaMismatch {
        /// Where it came from.
        origin: String,
        /// Version found.
        found: u32,
        /// Version expected.
        expected: u32,
    },
}

#[derive(serde::Deserialize)]
struct VersionProbe {
    schema_version: u32,
}

fn check_version(json: &str, origin: &str) -> Result<(), ProtocolError> {
    let probe: VersionProbe =
        serde_json::from_str(json).map_err(|source| ProtocolError::Malformed {
            what: "schema version",
            origin: origin.to_owned(),
            source,
        })?;
    if probe.schema_version != SCHEMA_VERSION {
        return Err(ProtocolError::SchemaMismatch {
            origin: origin.to_owned(),
            found: probe.schema_version,
            expected: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// The iterations override in [`ENV_ITERATIONS`]: `Ok(None)` when unset, an
/// error naming the variable when it is not a positive integer.
///
/// ```
/// use leaktest_core::protocol::parse_iterations_override;
/// assert_eq!(parse_iterations_override(Some("500")), Ok(Some(500)));
/// assert_eq!(parse_iterations_override(None), Ok(None));
/// assert!(parse_iterations_override(Some("0")).is_err());
/// assert!(parse_iterations_override(Some("2")).is_err());
/// ```
pub fn parse_iterations_override(value: Option<&str>) -> Result<Option<u64>, String> {
    match value.map(|text| (text, text.trim().parse::<u64>())) {
        None => Ok(None),
        Some((_, Ok(iterations))) if (MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) => {
            Ok(Some(iterations))
        }
        Some((text, _)) => Err(format!(
            "{ENV_ITERATIONS} must be a number of iterations from {MIN_ITERATIONS} to \
             {MAX_ITERATIONS}, not `{text}`: set it to e.g. 500, or unset it"
        )),
    }
}

/// Fewest iterations an override may ask for: below this, too few are left
/// after the warm-up to judge growth.
pub const MIN_ITERATIONS: u64 = 4;
/// Most iterations an override may ask for (the sample log is reserved up front).
pub const MAX_ITERATIONS: u64 = 10_000_000;

/// Reads [`ENV_ITERATIONS`] from the environment (see [`parse_iterations_override`]).
pub fn iterations_override_from_env() -> Result<Option<u64>, String> {
    let value = std::env::var_os(ENV_ITERATIONS).map(|v| v.to_string_lossy().into_owned());
    parse_iterations_override(value.as_deref())
}

/// Parses a record, checking its schema version first.
pub fn parse_record(json: &str, origin: &str) -> Result<TestRecord, ProtocolError> {
    check_version(json, origin)?;
    serde_json::from_str(json).map_err(|source| ProtocolError::Malformed {
        what: "record",
        origin: origin.to_owned(),
        source,
    })
}

/// Reads the record a child wrote to `path`.
pub fn read_record(path: &Path) -> Result<TestRecord, ProtocolError> {
    let json = std::fs::read_to_string(path).map_err(|source| ProtocolError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_record(&json, &path.display().to_string())
}

/// Finds the description line in a binary's stdout; `Ok(None)` when there is
/// none (not a leaktest harness).
pub fn parse_description(
    stdout: &str,
    origin: &str,
) -> Result<Option<HarnessDescription>, ProtocolError> {
    let Some(json) = stdout
        .lines()
        .find_map(|line| line.strip_prefix(DESCRIBE_MARKER))
    else {
        return Ok(None);
    };
    check_version(json, origin)?;
    serde_json::from_str(json)
        .map(Some)
        .map_err(|source| ProtocolError::Malformed {
            what: "description",
            origin: origin.to_owned(),
            source,
        })
}

/// How long a binary may take to describe itself before it is killed.
pub const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(30);

/// Asks `binary` to describe its leak tests. `Ok(None)` when it is not a
/// leaktest harness. The binary runs with `--list` too, so an ordinary libtest
/// binary only lists its tests instead of running them; one that does not stop
/// within [`DESCRIBE_TIMEOUT`] is killed and reported.
pub fn describe_harness(binary: &Path) -> Result<Option<HarnessDescription>, ProtocolError> {
    let spawn_error = |source| ProtocolError::Spawn {
        binary: binary.to_owned(),
        source,
    };
    let mut child = Command::new(binary)
        .arg("--list")
        .env(ENV_DESCRIBE, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(spawn_error)?;
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(stdout) = stdout.as_mut() {
            let _ = stdout.read_to_end(&mut text);
        }
        text
    });
    let deadline = Instant::now() + DESCRIBE_TIMEOUT;
    loop {
        match child.try_wait().map_err(spawn_error)? {
            Some(_) => break,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ProtocolError::DescribeTimedOut {
                    binary: binary.to_owned(),
                    timeout: DESCRIBE_TIMEOUT,
                });
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    let stdout = reader.join().unwrap_or_default();
    parse_description(
        &String::from_utf8_lossy(&stdout),
        &binary.display().to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_of_another_schema_is_refused_with_the_fix() {
        let error = parse_record(r#"{"schema_version": 999}"#, "child").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("schema 999"), "{message}");
        assert!(message.contains("same leaktest version"), "{message}");
    }

    #[test]
    fn output_without_the_marker_is_not_a_harness() {
        let parsed = parse_description("test a ... ok\n", "bin").unwrap();
        assert!(parsed.is_none());
    }

    #[test]
    fn the_marker_line_is_parsed() {
        let line = format!(
            "noise\n{DESCRIBE_MARKER}{{\"schema_version\":{SCHEMA_VERSION},\"leaktest_version\":\"0.1.0\",\"tests\":[]}}\n"
        );
        let parsed = parse_description(&line, "bin").unwrap().unwrap();
        assert_eq!(parsed.tests.len(), 0);
    }
}
