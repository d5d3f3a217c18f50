//! Builds the candidate test targets with `cargo test --no-run` and reads the
//! paths of their executables from cargo's JSON messages.
//!
//! cargo renders its own diagnostics on stderr
//! (`--message-format json-render-diagnostics`), so a build failure shows
//! exactly what `cargo test` would show.
//!
//! cargo runs in a process group of its own, with the compilers and build
//! scripts it starts: an interruption (Ctrl-C, SIGTERM) is forwarded to the
//! whole group, as a terminal would deliver it, and cargo is waited for, so
//! nothing builds on as an orphan holding the build lock.

use crate::discovery::TestTarget;
use crate::error::Error;
use crate::interrupt::Interrupt;
use cargo_metadata::{Message, PackageId};
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// How to build, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// `--manifest-path`.
    pub manifest_path: Option<PathBuf>,
    /// `--features` values, each passed on.
    pub features: Vec<String>,
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
    /// `--release`.
    pub release: bool,
    /// `--profile NAME`.
    pub profile: Option<String>,
    /// `--target-dir DIR`.
    pub target_dir: Option<PathBuf>,
    /// `--locked`, `--offline`, `--frozen` as given.
    pub cargo_flags: Vec<String>,
    /// `--color` for cargo, when it should not decide by itself.
    pub color: Option<&'static str>,
    /// Pass `--quiet` to cargo.
    pub quiet: bool,
    /// Pass `-v` this many times to cargo.
    pub verbose: u8,
}

/// The executables of the built test targets, by package id and target name.
pub type Executables = HashMap<(PackageId, String), PathBuf>;

/// The cargo program: `$CARGO` when run by cargo, else `cargo` from `PATH`.
pub fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

impl BuildOptions {
    /// Whether the features given enable every `required-features` of
    /// `target`. cargo refuses to build a target named with `--test` whose
    /// features are off, so such targets are left out of the build (and
    /// reported as not built). Features enabled only indirectly (through
    /// another feature) are not seen here.
    pub fn enables_required_features(&self, target: &TestTarget) -> bool {
        if self.all_features {
            return true;
        }
        let given: Vec<&str> = self
            .features
            .iter()
            .flat_map(|list| list.split([',', ' ']))
            .map(|feature| feature.rsplit('/').next().unwrap_or(feature))
            .filter(|feature| !feature.is_empty())
            .collect();
        target.required_features.iter().all(|required| {
            given.contains(&required.as_str())
                || (!self.no_default_features && target.default_features.contains(required))
        })
    }
}

/// The `cargo test --no-run` command line that builds `targets`.
pub fn build_command(options: &BuildOptions, targets: &[&TestTarget]) -> Command {
    let mut command = Command::new(cargo_program());
    command.args([
        "test",
        "--no-run",
        "--message-format",
        "json-render-diagnostics",
    ]);
    if let Some(path) = &options.manifest_path {
        command.arg("--manifest-path").arg(path);
    }
    let mut packages: Vec<String> = targets
        .iter()
        .map(|target| format!("{}@{}", target.package, target.package_version))
        .collect();
    packages.sort();
    packages.dedup();
    for package in packages {
        command.arg("--package").arg(package);
    }
    let mut names: Vec<&str> = targets.iter().map(|target| target.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        command.arg("--test").arg(name);
    }
    for features in &options.features {
        command.arg("--features").arg(features);
    }
    if options.all_features {
        command.arg("--all-features");
    }
    if options.no_default_features {
        command.arg("--no-default-features");
    }
    if options.release {
        command.arg("--release");
    }
    if let Some(profile) = &options.profile {
        command.arg("--profile").arg(profile);
    }
    if let Some(dir) = &options.target_dir {
        command.arg("--target-dir").arg(dir);
    }
    command.args(&options.cargo_flags);
    if let Some(color) = options.color {
        command.args(["--color", color]);
    }
    if options.quiet {
        command.arg("--quiet");
    }
    for _ in 0..options.verbose {
        command.arg("--verbose");
    }
    command
}

/// Builds `targets` (those whose required features are enabled) and returns
/// their executables. cargo's progress and diagnostics go to stderr as they come.
pub fn build(
    options: &BuildOptions,
    targets: &[&TestTarget],
    interrupt: &Interrupt,
) -> Result<Executables, Error> {
    let mut executables = Executables::new();
    let targets: Vec<&TestTarget> = targets
        .iter()
        .copied()
        .filter(|target| options.enables_required_features(target))
        .collect();
    let targets = targets.as_slice();
    if targets.is_empty() {
        return Ok(executables);
    }
    let mut command = build_command(options, targets);
    let program = command.get_program().to_string_lossy().into_owned();
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|source| Error::SpawnCargo { program, source })?;
    // cargo leads its group until it is reaped below, so the group id stays its own.
    let forwarding = interrupt.forward_to_group(child.id());
    if let Some(stdout) = child.stdout.take() {
        for message in Message::parse_stream(BufReader::new(stdout)) {
            let message = match message {
                Ok(message) => message,
                Err(error) => {
                    // Leave nothing of the build running behind us, nor a zombie.
                    // SAFETY: kill has no memory-safety preconditions; cargo
                    // is not reaped yet, so its group id is still its own.
                    unsafe {
                        libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
                    }
                    let _ = child.wait();
                    return Err(Error::BuildMessages(error));
                }
            };
            match message {
                Message::CompilerArtifact(artifact)
                    if artifact.profile.test && artifact.target.is_test() =>
                {
                    if let Some(executable) = artifact.executable {
                        executables.insert(
                            (artifact.package_id, artifact.target.name),
                            executable.into_std_path_buf(),
                        );
                    }
                }
                // Build-script output and the like, which cargo passes through.
                Message::TextLine(line) => {
                    let _ = writeln!(std::io::stderr(), "{line}");
                }
                _ => {}
            }
        }
    }
    // cargo closed its output: it is ending. No signal may reach its group id
    // once it is reaped and the id free for reuse.
    drop(forwarding);
    let status = child.wait().map_err(Error::BuildMessages)?;
    if !status.success() {
        return Err(Error::BuildFailed { status });
    }
    Ok(executables)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::TestTarget;

    fn target(package: &str, name: &str) -> TestTarget {
        TestTarget {
            package: package.to_owned(),
            package_version: "0.1.0".to_owned(),
            package_id: PackageId {
                repr: format!("path+file:///ws/{package}#0.1.0"),
            },
            package_root: PathBuf::from(format!("/ws/{package}")),
            name: name.to_owned(),
            src_path: PathBuf::from(format!("/ws/{package}/tests/{name}.rs")),
            required_features: Vec::new(),
            default_features: Vec::new(),
            skip: None,
        }
    }

    #[test]
    fn builds_only_the_candidate_targets_with_cargo_s_options() {
        let a = target("a", "leaks");
        let b = target("b", "leaks");
        let c = target("b", "more");
        let options = BuildOptions {
            features: vec!["x,y".to_owned()],
            release: true,
            cargo_flags: vec!["--locked".to_owned()],
            color: Some("never"),
            ..BuildOptions::default()
        };
        let command = build_command(&options, &[&a, &b, &c]);
        let args: Vec<String> = command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args.join(" "),
            "test --no-run --message-format json-render-diagnostics \
             --package a@0.1.0 --package b@0.1.0 --test leaks --test more \
             --features x,y --release --locked --color never"
        );
    }

    #[test]
    fn targets_with_features_off_are_not_built() {
        let mut gated = target("a", "gated");
        gated.required_features = vec!["slow".to_owned()];
        let off = BuildOptions::default();
        assert!(!off.enables_required_features(&gated));
        let named = BuildOptions {
            features: vec!["fast,a/slow".to_owned()],
            ..BuildOptions::default()
        };
        assert!(named.enables_required_features(&gated));
        let all = BuildOptions {
            all_features: true,
            ..BuildOptions::default()
        };
        assert!(all.enables_required_features(&gated));
        gated.default_features = vec!["slow".to_owned()];
        assert!(off.enables_required_features(&gated));
        let no_default = BuildOptions {
            no_default_features: true,
            ..BuildOptions::default()
        };
        assert!(!no_default.enables_required_features(&gated));
    }
}
