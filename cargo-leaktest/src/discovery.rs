//! Finds the test targets of the selected packages with `cargo metadata` and
//! tells which of them can be leaktest harnesses.
//!
//! A test target can be a leaktest harness only if it has `harness = false`
//! (leaktest brings its own `main`) and its package depends on leaktest-core.
//! Whether it really is one is known only once it is built and asked to
//! describe itself (see [`crate::describe`]).

use crate::error::Error;
use cargo_metadata::{Metadata, MetadataCommand, Package, PackageId};
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// The package every leaktest harness depends on.
const CORE_PACKAGE: &str = "leaktest-core";

/// Which packages and test targets to look at.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `-p SPEC`s; empty means the package of the manifest, or the default members.
    pub packages: Vec<String>,
    /// `--workspace`.
    pub workspace: bool,
    /// `--exclude SPEC`s (with `--workspace`).
    pub exclude: Vec<String>,
    /// `--test NAME`s; empty means every test target.
    pub test_targets: Vec<String>,
}

/// Why a test target is not run as a leaktest harness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// It uses libtest's harness (no `harness = false`).
    LibtestHarness,
    /// Its package does not depend on leaktest-core.
    NoLeaktestDependency,
    /// It was built, but does not end with `leaktest_core::main!()`.
    NotLeaktestHarness,
    /// cargo built no executable for it (for example unmet `required-features`).
    NotBuilt,
    /// It was built, but could not describe its tests: it hung past the
    /// describe timeout, or wrote a description leaktest cannot read.
    CannotDescribe(String),
}

impl SkipReason {
    /// A stable identifier for machine-readable output.
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::LibtestHarness => "libtest_harness",
            SkipReason::NoLeaktestDependency => "no_leaktest_dependency",
            SkipReason::NotLeaktestHarness => "not_a_leaktest_harness",
            SkipReason::NotBuilt => "not_built",
            SkipReason::CannotDescribe(_) => "cannot_describe",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::LibtestHarness => {
                "not a leaktest harness: it uses libtest's harness (leaktest needs `harness = false`); run it with cargo test"
            }
            SkipReason::NoLeaktestDependency => {
                "not a leaktest harness: its package does not depend on leaktest-core"
            }
            SkipReason::NotLeaktestHarness => {
                "not a leaktest harness: the binary does not end with `leaktest_core::main!()`"
            }
            SkipReason::NotBuilt => {
                "not built by cargo (are its `required-features` enabled?)"
            }
            SkipReason::CannotDescribe(why) => {
                return write!(f, "could not be described, so none of its tests run: {why}");
            }
        })
    }
}

/// One test target of a selected package.
#[derive(Debug, Clone)]
pub struct TestTarget {
    /// Name of its package.
    pub package: String,
    /// Version of its package.
    pub package_version: String,
    /// cargo's id of its package, to match build artifacts.
    pub package_id: PackageId,
    /// Directory of the package's Cargo.toml; tests run there, as under `cargo test`.
    pub package_root: PathBuf,
    /// Target name (`leaks` for `tests/leaks.rs`).
    pub name: String,
    /// Its main source file.
    pub src_path: PathBuf,
    /// Features it needs (`required-features`) to be built at all.
    pub required_features: Vec<String>,
    /// What the package's `default` feature enables directly.
    pub default_features: Vec<String>,
    /// `None` when it may be a leaktest harness; otherwise why it is not.
    pub skip: Option<SkipReason>,
}

impl TestTarget {
    /// `package::target`, how reports name the binary.
    pub fn id(&self) -> String {
        format!("{}::{}", self.package, self.name)
    }

    /// Whether it is to be built and asked to describe itself.
    pub fn is_candidate(&self) -> bool {
        self.skip.is_none()
    }
}

/// The workspace as far as `cargo leaktest` cares.
#[derive(Debug)]
pub struct Discovered {
    /// The test targets of the selected packages, in package then target order.
    pub targets: Vec<TestTarget>,
    /// The workspace root (`file!()` of members is relative to it).
    pub workspace_root: PathBuf,
    /// cargo's target directory (`CARGO_TARGET_DIR` and config honoured).
    pub target_directory: PathBuf,
}

/// Reads the metadata of the workspace at `manifest_path` (or around the
/// current directory) and lists the test targets of the selected packages.
/// `cargo_flags` are `--locked`, `--offline`, `--frozen` as given.
pub fn discover(
    manifest_path: Option<&Path>,
    cargo_flags: &[String],
    selection: &Selection,
) -> Result<Discovered, Error> {
    let mut command = MetadataCommand::new();
    if let Some(path) = manifest_path {
        command.manifest_path(path);
    }
    if let Some(cargo) = std::env::var_os("CARGO") {
        command.cargo_path(cargo);
    }
    command.no_deps().other_options(cargo_flags.to_vec());
    let metadata = command.exec().map_err(Error::metadata)?;
    let packages = select_packages(&metadata, selection)?;
    let mut targets = Vec::new();
    for package in packages {
        targets.extend(test_targets(package)?);
    }
    let targets = select_targets(targets, &selection.test_targets)?;
    Ok(Discovered {
        targets,
        workspace_root: metadata.workspace_root.clone().into_std_path_buf(),
        target_directory: metadata.target_directory.clone().into_std_path_buf(),
    })
}

fn matches_spec(package: &Package, spec: &str) -> bool {
    match spec.split_once('@') {
        Some((name, version)) => {
            package.name.as_str() == name && package.version.to_string() == version
        }
        None => package.name.as_str() == spec,
    }
}

fn select_packages<'m>(
    metadata: &'m Metadata,
    selection: &Selection,
) -> Result<Vec<&'m Package>, Error> {
    let members = metadata.workspace_packages();
    let member_names = || {
        members
            .iter()
            .map(|package| package.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let unknown = |spec: &String| Error::UnknownPackage {
        spec: spec.clone(),
        members: member_names(),
    };
    if let Some(spec) = selection
        .packages
        .iter()
        .chain(&selection.exclude)
        .find(|spec| !members.iter().any(|package| matches_spec(package, spec)))
    {
        return Err(unknown(spec));
    }
    let selected = if selection.workspace {
        members
            .iter()
            .copied()
            .filter(|package| {
                !selection
                    .exclude
                    .iter()
                    .any(|spec| matches_spec(package, spec))
            })
            .collect()
    } else if !selection.packages.is_empty() {
        members
            .iter()
            .copied()
            .filter(|package| {
                selection
                    .packages
                    .iter()
                    .any(|spec| matches_spec(package, spec))
            })
            .collect()
    } else if let Some(root) = metadata.root_package() {
        vec![root]
    } else {
        metadata.workspace_default_packages()
    };
    Ok(selected)
}

/// The test targets of a package, each marked with whether it may be a harness.
fn test_targets(package: &Package) -> Result<Vec<TestTarget>, Error> {
    let manifest = package.manifest_path.as_std_path();
    let without_harness = targets_without_harness(manifest)?;
    let depends_on_core = package
        .dependencies
        .iter()
        .any(|dependency| dependency.name == CORE_PACKAGE);
    let package_root = manifest.parent().unwrap_or(Path::new(".")).to_owned();
    let default_features = package.features.get("default").cloned().unwrap_or_default();
    Ok(package
        .targets
        .iter()
        .filter(|target| target.is_test())
        .map(|target| {
            let skip = if !without_harness.contains(&target.name) {
                Some(SkipReason::LibtestHarness)
            } else if !depends_on_core {
                Some(SkipReason::NoLeaktestDependency)
            } else {
                None
            };
            TestTarget {
                package: package.name.to_string(),
                package_version: package.version.to_string(),
                package_id: package.id.clone(),
                package_root: package_root.clone(),
                name: target.name.clone(),
                src_path: target.src_path.clone().into_std_path_buf(),
                required_features: target.required_features.clone(),
                default_features: default_features.clone(),
                skip,
            }
        })
        .collect())
}

/// Names of the `[[test]]` targets declared with `harness = false`.
/// `cargo metadata` does not report the harness flag, so the manifest is read.
fn targets_without_harness(manifest: &Path) -> Result<BTreeSet<String>, Error> {
    let text = std::fs::read_to_string(manifest).map_err(|source| Error::ReadManifest {
        path: manifest.to_owned(),
        source,
    })?;
    let table: toml::Table = text.parse().map_err(|source| Error::ParseManifest {
        path: manifest.to_owned(),
        source: Box::new(source),
    })?;
    Ok(harness_false_tests(&table))
}

fn harness_false_tests(manifest: &toml::Table) -> BTreeSet<String> {
    let Some(tests) = manifest.get("test").and_then(toml::Value::as_array) else {
        return BTreeSet::new();
    };
    tests
        .iter()
        .filter_map(toml::Value::as_table)
        .filter(|test| test.get("harness").and_then(toml::Value::as_bool) == Some(false))
        .filter_map(|test| test.get("name").and_then(toml::Value::as_str))
        .map(str::to_owned)
        .collect()
}

fn select_targets(targets: Vec<TestTarget>, names: &[String]) -> Result<Vec<TestTarget>, Error> {
    if names.is_empty() {
        return Ok(targets);
    }
    if let Some(missing) = names
        .iter()
        .find(|name| !targets.iter().any(|target| &&target.name == name))
    {
        let available: BTreeSet<&str> = targets.iter().map(|target| target.name.as_str()).collect();
        return Err(Error::UnknownTestTarget {
            name: missing.clone(),
            available: if available.is_empty() {
                "none".to_owned()
            } else {
                available.into_iter().collect::<Vec<_>>().join(", ")
            },
        });
    }
    Ok(targets
        .into_iter()
        .filter(|target| names.contains(&target.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tests_with_harness_false_are_found() {
        let manifest: toml::Table = r#"
            [package]
            name = "x"
            [[test]]
            name = "leaks"
            harness = false
            [[test]]
            name = "plain"
            [[test]]
            name = "explicit"
            harness = true
            [[bench]]
            name = "bench"
            harness = false
        "#
        .parse()
        .unwrap();
        let found: Vec<String> = harness_false_tests(&manifest).into_iter().collect();
        assert_eq!(found, ["leaks"]);
    }

    #[test]
    fn a_manifest_without_test_sections_has_none() {
        let manifest: toml::Table = "[package]\nname = \"x\"\n".parse().unwrap();
        assert!(harness_false_tests(&manifest).is_empty());
    }
}
