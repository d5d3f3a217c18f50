//! Where baselines live and how they are read and written.
//!
//! A named baseline (`--save-baseline NAME`, `--baseline NAME`) is
//! `<target dir>/leaktest/baselines/NAME.json`; a path (`--baseline-file`,
//! `--save-baseline-file`) is for a committed file or a CI artifact. Writes
//! go to a temporary file in the same directory, renamed over the old file,
//! so a reader never sees half a baseline.

use super::model::{Baseline, FORMAT, FORMAT_VERSION};
use crate::atomic_file::write_atomically;
use std::path::{Path, PathBuf};

/// Every way reading, writing, checking or merging baselines can fail.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The baseline to compare against does not exist.
    #[error("the baseline {path} does not exist: {fix}")]
    Missing {
        /// The file looked for.
        path: PathBuf,
        /// How to make one.
        fix: String,
    },
    /// The file exists but could not be read.
    #[error("could not read the baseline {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid JSON, or not of a baseline's shape.
    #[error("the baseline {path} is corrupt ({source}): {fix}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The parse error, with line and column.
        source: serde_json::Error,
        /// How to replace it.
        fix: String,
    },
    /// Valid JSON, but not a leaktest baseline.
    #[error("{path} is not a leaktest baseline (no `\"format\": \"{FORMAT}\"`): {fix}")]
    NotABaseline {
        /// The file.
        path: PathBuf,
        /// How to make one.
        fix: String,
    },
    /// A baseline of a newer (or unknown) format version.
    #[error(
        "the baseline {path} has format version {found}, this cargo-leaktest reads version \
         {FORMAT_VERSION}: {fix}"
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version it has.
        found: u32,
        /// How to replace it.
        fix: String,
    },
    /// Writing the baseline failed.
    #[error("could not write the baseline {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// `--strict-baseline` and the baseline was measured differently.
    #[error(
        "the baseline {path} was measured with {differences}: compare runs with the same \
         target, build options and allocator, or leave out --strict-baseline to only warn"
    )]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// What differs, `; ` separated.
        differences: String,
    },
    /// Two shard baselines hold the same test.
    #[error(
        "{first} and {second} both hold `{test}`: merge the baselines of the shards of one \
         partition (`--partition hash:M/N` with the same N), each once"
    )]
    MergeOverlap {
        /// The test.
        test: String,
        /// The file that had it first.
        first: PathBuf,
        /// The file that has it again.
        second: PathBuf,
    },
    /// Two shard baselines were measured differently.
    #[error(
        "{first} and {second} were measured differently ({differences}): merge shards of one \
         run, built with the same target and build options"
    )]
    MergeMismatch {
        /// The first file.
        first: PathBuf,
        /// The file that differs.
        second: PathBuf,
        /// What differs.
        differences: String,
    },
    /// `baseline merge` was given no baseline.
    #[error("no baseline to merge: give the baselines of the shards after the output file")]
    NothingToMerge,
    /// The target triple could not be found.
    #[error(
        "could not ask `{program} -vV` for the host target, needed to tell whether a baseline \
         compares: {message}"
    )]
    Rustc {
        /// The rustc program.
        program: String,
        /// What went wrong.
        message: String,
    },
}

/// A baseline named on the command line: by name in the target directory,
/// or by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `--baseline NAME` / `--save-baseline NAME`.
    Named(String),
    /// `--baseline-file PATH` / `--save-baseline-file PATH`.
    File(PathBuf),
}

impl Location {
    /// The file, with named baselines under `target_dir`.
    pub fn path(&self, target_dir: &Path) -> PathBuf {
        match self {
            Location::Named(name) => target_dir
                .join("leaktest")
                .join("baselines")
                .join(format!("{name}.json")),
            Location::File(path) => path.clone(),
        }
    }

    /// How reports name it: `'main'` or the path.
    pub fn label(&self) -> String {
        match self {
            Location::Named(name) => format!("'{name}'"),
            Location::File(path) => path.display().to_string(),
        }
    }

    /// How to create it, for error messages.
    fn fix_missing(&self) -> String {
        match self {
            Location::Named(name) => format!(
                "save it first with `cargo leaktest --save-baseline {name}` on the code to \
                 compare against (or compare with a file: --baseline-file PATH)"
            ),
            Location::File(path) => format!(
                "write it with `cargo leaktest --save-baseline-file {}` on the code to compare \
                 against (in CI: download the artifact holding it first)",
                path.display()
            ),
        }
    }

    /// How to replace it, for error messages.
    fn fix_unreadable(&self) -> String {
        match self {
            Location::Named(name) => format!(
                "save it again with `cargo leaktest --save-baseline {name}` on the code to \
                 compare against, or delete it"
            ),
            Location::File(path) => format!(
                "write it again with `cargo leaktest --save-baseline-file {}` on the code to \
                 compare against (in CI: check the artifact holds the baseline file)",
                path.display()
            ),
        }
    }
}

/// Checks a baseline name: letters, digits, `-`, `_` and `.`, not starting
/// with `.` (it becomes a file name).
pub fn parse_name(name: &str) -> Result<String, String> {
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "`{name}` is not a baseline name: use letters, digits, `-`, `_` and `.` \
             (e.g. `main`), or give a path with --baseline-file / --save-baseline-file"
        ))
    }
}

#[derive(serde::Deserialize)]
struct FormatProbe {
    format: Option<String>,
    version: Option<u32>,
}

/// Reads the baseline at `location`.
pub fn load(location: &Location, target_dir: &Path) -> Result<Baseline, BaselineError> {
    let path = location.path(target_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(BaselineError::Missing {
                path,
                fix: location.fix_missing(),
            })
        }
        Err(source) => return Err(BaselineError::Read { path, source }),
    };
    parse(&text, &path, &location.fix_unreadable())
}

/// Parses a baseline read from `path`, checking its format first.
pub fn parse(text: &str, path: &Path, fix: &str) -> Result<Baseline, BaselineError> {
    let corrupt = |source| BaselineError::Corrupt {
        path: path.to_owned(),
        source,
        fix: fix.to_owned(),
    };
    let probe: FormatProbe = serde_json::from_str(text).map_err(corrupt)?;
    if probe.format.as_deref() != Some(FORMAT) {
        return Err(BaselineError::NotABaseline {
            path: path.to_owned(),
            fix: fix.to_owned(),
        });
    }
    match probe.version {
        Some(FORMAT_VERSION) => {}
        found => {
            return Err(BaselineError::UnsupportedVersion {
                path: path.to_owned(),
                found: found.unwrap_or(0),
                fix: fix.to_owned(),
            })
        }
    }
    serde_json::from_str(text).map_err(corrupt)
}

/// Reads a baseline given by path (for `baseline merge`).
pub fn load_path(path: &Path) -> Result<Baseline, BaselineError> {
    load(&Location::File(path.to_owned()), Path::new(""))
}

/// Writes `baseline` to `path` atomically (a temporary file in the same
/// directory, renamed over `path`), creating the directory.
pub fn save(baseline: &Baseline, path: &Path) -> Result<(), BaselineError> {
    let mut text =
        serde_json::to_string_pretty(baseline).map_err(|error| BaselineError::Write {
            path: path.to_owned(),
            source: std::io::Error::other(error),
        })?;
    text.push('\n');
    write_atomically(path, text.as_bytes()).map_err(|source| BaselineError::Write {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn baseline() -> Baseline {
        Baseline {
            build_profile: "dev".to_owned(),
            format: FORMAT.to_owned(),
            leaktest_version: "0.1.0".to_owned(),
            partitions: Vec::new(),
            rustc: None,
            target: "x86_64-unknown-linux-gnu".to_owned(),
            tests: BTreeMap::new(),
            version: FORMAT_VERSION,
        }
    }

    #[test]
    fn a_named_baseline_lives_in_the_target_directory() {
        let location = Location::Named("main".to_owned());
        assert_eq!(
            location.path(Path::new("/ws/target")),
            Path::new("/ws/target/leaktest/baselines/main.json")
        );
        assert_eq!(location.label(), "'main'");
    }

    #[test]
    fn names_that_are_not_plain_file_names_are_refused() {
        assert_eq!(parse_name("main"), Ok("main".to_owned()));
        assert_eq!(parse_name("pr-12_v1.2"), Ok("pr-12_v1.2".to_owned()));
        for bad in ["", "../main", "a/b", ".hidden", "with space"] {
            assert!(parse_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_saved_baseline_reads_back_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::Named("main".to_owned());
        let path = location.path(dir.path());
        save(&baseline(), &path).unwrap();
        save(&baseline(), &path).unwrap();
        assert_eq!(load(&location, dir.path()).unwrap(), baseline());
        let files: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(files, ["main.json"]);
    }

    #[test]
    fn missing_corrupt_foreign_and_newer_files_are_errors_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let named = Location::Named("main".to_owned());
        let missing = load(&named, dir.path()).unwrap_err().to_string();
        assert!(missing.contains("main.json does not exist"), "{missing}");
        assert!(missing.contains("--save-baseline main"), "{missing}");

        let path = dir.path().join("b.json");
        let file = Location::File(path.clone());
        std::fs::write(
            &path,
            "{\"format\": \"leaktest-baseline\", \"version\": 1, \"tests\": 7",
        )
        .unwrap();
        let corrupt = load(&file, dir.path()).unwrap_err().to_string();
        assert!(corrupt.contains("is corrupt"), "{corrupt}");
        assert!(corrupt.contains("line 1"), "{corrupt}");
        assert!(
            corrupt.contains("write it again with `cargo leaktest --save-baseline-file"),
            "{corrupt}"
        );

        std::fs::write(&path, "{\"name\": \"package.json\"}").unwrap();
        let foreign = load(&file, dir.path()).unwrap_err().to_string();
        assert!(foreign.contains("is not a leaktest baseline"), "{foreign}");

        let mut newer = serde_json::to_value(baseline()).unwrap();
        newer["version"] = 99.into();
        std::fs::write(&path, newer.to_string()).unwrap();
        let newer = load(&file, dir.path()).unwrap_err().to_string();
        assert!(newer.contains("format version 99"), "{newer}");
    }
}
