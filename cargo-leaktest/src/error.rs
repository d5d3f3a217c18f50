//! Every way `cargo leaktest` can fail before reaching a verdict, each mapped
//! to a documented exit code and rendered once, in `main`.

use crate::exit_codes;
use crate::interrupt::StopSignal;
use std::path::PathBuf;
use std::process::ExitStatus;

/// Why `cargo leaktest` stopped without a verdict on the tests.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `cargo metadata` failed (no manifest, invalid manifest, offline lock...).
    #[error("could not read the workspace metadata: {message}")]
    Metadata {
        /// cargo's own message when cargo failed, else the error's.
        message: String,
        /// cargo_metadata's error.
        source: cargo_metadata::Error,
    },
    /// `-p SPEC` names no workspace member.
    #[error("package `{spec}` is not a member of the workspace; members: {members}")]
    UnknownPackage {
        /// The spec as given.
        spec: String,
        /// The workspace members, comma separated.
        members: String,
    },
    /// `--test NAME` names no test target of the selected packages.
    #[error("no test target named `{name}` in the selected packages; test targets: {available}")]
    UnknownTestTarget {
        /// The name as given.
        name: String,
        /// The test targets there are, comma separated.
        available: String,
    },
    /// A package manifest could not be read to find its `harness = false` targets.
    #[error("could not read {path}: {source}")]
    ReadManifest {
        /// The Cargo.toml.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A package manifest is not valid TOML.
    #[error("could not parse {path}: {source}")]
    ParseManifest {
        /// The Cargo.toml.
        path: PathBuf,
        /// The TOML error.
        source: Box<toml::de::Error>,
    },
    /// The arguments after `--` are not libtest arguments leaktest understands.
    #[error("{0} (after `--`, leaktest reads filters, --exact, --skip NAME, --ignored, --include-ignored, --nocapture and --list)")]
    HarnessArgs(String),
    /// `LEAKTEST_ATTRIBUTE` has a value leaktest does not know.
    #[error("{0}")]
    AttributionSetting(String),
    /// cargo could not be started.
    #[error("could not run `{program}`: {source}")]
    SpawnCargo {
        /// The cargo program (`$CARGO` or `cargo`).
        program: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Reading cargo's JSON messages failed.
    #[error("could not read cargo's build messages: {0}")]
    BuildMessages(std::io::Error),
    /// The build failed; cargo has printed its diagnostics.
    #[error(
        "could not build the test targets: cargo ended with {status} (its diagnostics are above)"
    )]
    BuildFailed {
        /// cargo's exit status.
        status: ExitStatus,
    },
    /// A test target named with `--test` could not describe its tests (it
    /// hung, or speaks another schema); unnamed ones are skipped instead.
    #[error("could not list the leak tests of {package}::{target}: {source}")]
    Describe {
        /// The package.
        package: String,
        /// The test target.
        target: String,
        /// What went wrong.
        source: leaktest_core::protocol::ProtocolError,
    },
    /// The handler of Ctrl-C and SIGTERM could not be installed.
    #[error("could not install the handler of Ctrl-C and SIGTERM: {0}")]
    InterruptHandler(std::io::Error),
    /// The `--report` directory cannot be written.
    #[error(transparent)]
    Report(#[from] crate::output::html::ReportError),
    /// Writing the report failed (stdout closed, disk full).
    #[error("could not write the report: {0}")]
    Output(#[from] std::io::Error),
    /// Leaktest.toml, a `LEAKTEST_*` variable or a `--budget` is not usable.
    #[error(transparent)]
    Config(#[from] leaktest_core::config::ConfigError),
    /// A baseline could not be read, written, merged, or does not compare.
    #[error(transparent)]
    Baseline(#[from] crate::baseline::BaselineError),
    /// Interrupted (Ctrl-C, SIGTERM) before any test ran: during the build or
    /// while the binaries described their tests.
    #[error("interrupted by {}", .0.name())]
    Interrupted(StopSignal),
}

impl Error {
    /// A metadata error, keeping only cargo's message when cargo itself failed.
    pub fn metadata(source: cargo_metadata::Error) -> Error {
        let message = match &source {
            cargo_metadata::Error::CargoMetadata { stderr } => {
                let stderr = stderr.trim();
                stderr.strip_prefix("error: ").unwrap_or(stderr).to_owned()
            }
            other => other.to_string(),
        };
        Error::Metadata { message, source }
    }

    /// The exit code this error ends the process with.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Interrupted(signal) => signal.exit_code(),
            _ => exit_codes::SETUP_ERROR,
        }
    }
}
