//! What a run is measured with besides the code: the target triple, cargo's
//! build profile and the toolchain. Figures measured differently (a debug
//! build against a release build, another target) do not compare.

use super::file::BaselineError;
use super::model::Baseline;
use std::process::Command;

/// The target, build profile and toolchain of this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// Target triple of the test binaries.
    pub target: String,
    /// cargo's build profile: `dev`, `release`, or a custom one.
    pub build_profile: String,
    /// The rustc release (`1.95.0`), when rustc says.
    pub rustc: Option<String>,
}

/// The profile name cargo builds the tests with: `release` for `--release`,
/// the `--profile` given, else `dev` (whose settings `cargo test` uses).
pub fn build_profile_name(release: bool, profile: Option<&str>) -> String {
    match (release, profile) {
        (_, Some(profile)) => profile.to_owned(),
        (true, None) => "release".to_owned(),
        (false, None) => "dev".to_owned(),
    }
}

/// The rustc program: `$RUSTC` when set, else `rustc` from `PATH` (the
/// toolchain cargo uses).
fn rustc_program() -> std::ffi::OsString {
    std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into())
}

/// Reads `host:` and `release:` from `rustc -vV`.
pub fn parse_rustc_verbose_version(text: &str) -> (Option<String>, Option<String>) {
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    (field("host:"), field("release:"))
}

impl Environment {
    /// This run's environment: the host target as rustc reports it (cargo
    /// leaktest builds for the host), and `build_profile`.
    pub fn detect(build_profile: String) -> Result<Environment, BaselineError> {
        let program = rustc_program();
        let output = Command::new(&program)
            .arg("-vV")
            .output()
            .map_err(|source| BaselineError::Rustc {
                program: program.to_string_lossy().into_owned(),
                message: source.to_string(),
            })?;
        let text = String::from_utf8_lossy(&output.stdout);
        let (host, release) = parse_rustc_verbose_version(&text);
        let target = host.ok_or_else(|| BaselineError::Rustc {
            program: program.to_string_lossy().into_owned(),
            message: format!(
                "`rustc -vV` printed no `host:` line ({})",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        })?;
        Ok(Environment {
            target,
            build_profile,
            rustc: release,
        })
    }

    /// How `baseline` was measured differently from this run, one phrase per
    /// difference (`target aarch64-apple-darwin (this run: x86_64-...)`).
    /// The toolchain is not among them: see [`Environment::toolchain_note`].
    pub fn differences(&self, baseline: &Baseline) -> Vec<String> {
        let mut differences = Vec::new();
        if baseline.target != self.target {
            differences.push(format!(
                "target {} (this run: {})",
                baseline.target, self.target
            ));
        }
        if baseline.build_profile != self.build_profile {
            differences.push(format!(
                "build profile `{}` (this run: `{}`)",
                baseline.build_profile, self.build_profile
            ));
        }
        differences
    }

    /// A note when the toolchain changed: std may allocate differently.
    pub fn toolchain_note(&self, baseline: &Baseline) -> Option<String> {
        match (&baseline.rustc, &self.rustc) {
            (Some(old), Some(new)) if old != new => Some(format!(
                "the baseline was built with rustc {old}, this run with rustc {new}: \
                 std may allocate differently"
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::model::{FORMAT, FORMAT_VERSION};

    #[test]
    fn rustc_s_verbose_version_gives_host_and_release() {
        let text = "rustc 1.95.0 (abc 2026-01-01)\nbinary: rustc\nhost: x86_64-unknown-linux-gnu\nrelease: 1.95.0\n";
        assert_eq!(
            parse_rustc_verbose_version(text),
            (
                Some("x86_64-unknown-linux-gnu".to_owned()),
                Some("1.95.0".to_owned())
            )
        );
        assert_eq!(parse_rustc_verbose_version("garbage"), (None, None));
    }

    #[test]
    fn the_profile_follows_cargo_s_flags() {
        assert_eq!(build_profile_name(false, None), "dev");
        assert_eq!(build_profile_name(true, None), "release");
        assert_eq!(build_profile_name(false, Some("ci")), "ci");
    }

    #[test]
    fn differences_name_what_and_this_run_s_value() {
        let baseline = Baseline {
            build_profile: "release".to_owned(),
            format: FORMAT.to_owned(),
            leaktest_version: "0.1.0".to_owned(),
            partitions: Vec::new(),
            rustc: Some("1.94.0".to_owned()),
            target: "aarch64-apple-darwin".to_owned(),
            tests: Default::default(),
            version: FORMAT_VERSION,
        };
        let here = Environment {
            target: "x86_64-unknown-linux-gnu".to_owned(),
            build_profile: "dev".to_owned(),
            rustc: Some("1.95.0".to_owned()),
        };
        assert_eq!(
            here.differences(&baseline),
            [
                "target aarch64-apple-darwin (this run: x86_64-unknown-linux-gnu)",
                "build profile `release` (this run: `dev`)"
            ]
        );
        assert!(here
            .toolchain_note(&baseline)
            .unwrap()
            .contains("rustc 1.94.0"));
    }
}
