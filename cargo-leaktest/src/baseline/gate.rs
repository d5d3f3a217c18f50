//! The baseline side of a run: the baseline is loaded (and checked against
//! this run's target and profile) before anything is built, every finished
//! test is compared with its entry, and the baseline to save is written once
//! the run is over.

use super::compare::{compare, Comparison, Status, Tolerance};
use super::environment::Environment;
use super::file::{self, BaselineError, Location};
use super::model::{Baseline, Entry, FORMAT, FORMAT_VERSION};
use crate::partition::Partition;
use crate::test_key::TestKey;
use leaktest_core::model::{Outcome, TestRecord};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The baseline flags of the command line.
#[derive(Debug, Clone, Default)]
pub struct BaselineOptions {
    /// `--baseline NAME` or `--baseline-file PATH`.
    pub compare: Option<Location>,
    /// `--save-baseline NAME` or `--save-baseline-file PATH`.
    pub save: Option<Location>,
    /// `--strict-baseline`: a baseline measured differently is an error.
    pub strict: bool,
    /// How far figures may rise before they regress.
    pub tolerance: Tolerance,
}

/// The baseline a run compares with, as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineInfo {
    /// Its name (`--baseline NAME`), `None` for `--baseline-file`.
    pub name: Option<String>,
    /// The file.
    pub path: PathBuf,
    /// The tolerance in force.
    pub tolerance: Tolerance,
}

impl BaselineInfo {
    /// `'main'`, or the path of a baseline given by file.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("'{name}'"),
            None => self.path.display().to_string(),
        }
    }
}

/// How the comparisons of a run came out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BaselineCounts {
    /// Tests compared with their entry.
    pub compared: usize,
    /// Tests with at least one regression.
    pub regressed: usize,
    /// Tests that improved (and did not regress).
    pub improved: usize,
    /// Tests the baseline does not know.
    pub new: usize,
    /// Tests that could not be compared.
    pub not_compared: usize,
}

/// What happened to the baseline to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// Written, with this many tests.
    Written {
        /// The file.
        path: PathBuf,
        /// Tests in it.
        tests: usize,
    },
    /// Not written, and why.
    Skipped {
        /// The file it would have been.
        path: PathBuf,
        /// Why not.
        why: String,
    },
}

struct Compared {
    info: BaselineInfo,
    baseline: Baseline,
    /// `Some(why)` when the baseline was measured differently (and not strict):
    /// nothing is compared.
    incomparable: Option<String>,
}

/// Compares and records the tests of one run.
pub struct Gate {
    compared: Option<Compared>,
    save_path: Option<PathBuf>,
    environment: Environment,
    tolerance: Tolerance,
    strict: bool,
    recorded: BTreeMap<String, Entry>,
    counts: BaselineCounts,
}

impl Gate {
    /// Loads the baseline to compare with, if any, and checks that it was
    /// measured like this run. `None` when no baseline flag was given.
    /// Warnings (a baseline measured differently, not `--strict-baseline`;
    /// another toolchain) are pushed to `warnings`.
    pub fn prepare(
        options: &BaselineOptions,
        target_dir: &Path,
        build_profile: String,
        warnings: &mut Vec<String>,
    ) -> Result<Option<Gate>, BaselineError> {
        if options.compare.is_none() && options.save.is_none() {
            return Ok(None);
        }
        let baseline = match &options.compare {
            Some(location) => Some((location, file::load(location, target_dir)?)),
            None => None,
        };
        let environment = Environment::detect(build_profile)?;
        let compared = match baseline {
            Some((location, baseline)) => {
                let path = location.path(target_dir);
                let differences = environment.differences(&baseline);
                let incomparable = if differences.is_empty() {
                    None
                } else if options.strict {
                    return Err(BaselineError::Mismatch {
                        path,
                        differences: differences.join("; "),
                    });
                } else {
                    let why = format!(
                        "the baseline {} was measured with {}: its tests are not compared \
                         (--strict-baseline makes this an error)",
                        location.label(),
                        differences.join("; ")
                    );
                    warnings.push(why.clone());
                    Some(why)
                };
                if let Some(note) = environment.toolchain_note(&baseline) {
                    warnings.push(note);
                }
                Some(Compared {
                    info: BaselineInfo {
                        name: match location {
                            Location::Named(name) => Some(name.clone()),
                            Location::File(_) => None,
                        },
                        path,
                        tolerance: options.tolerance,
                    },
                    baseline,
                    incomparable,
                })
            }
            None => None,
        };
        Ok(Some(Gate {
            compared,
            save_path: options.save.as_ref().map(|save| save.path(target_dir)),
            environment,
            tolerance: options.tolerance,
            strict: options.strict,
            recorded: BTreeMap::new(),
            counts: BaselineCounts::default(),
        }))
    }

    /// The baseline compared with, for the reports.
    pub fn info(&self) -> Option<&BaselineInfo> {
        self.compared.as_ref().map(|compared| &compared.info)
    }

    /// Checks the allocator of each test to run against its entry: a test
    /// measured with another allocator is not compared (a warning), or is an
    /// error with `--strict-baseline`.
    pub fn check_allocators<'a>(
        &self,
        tests: impl IntoIterator<Item = (TestKey, Option<&'a str>)>,
        warnings: &mut Vec<String>,
    ) -> Result<(), BaselineError> {
        let Some(compared) = &self.compared else {
            return Ok(());
        };
        if compared.incomparable.is_some() {
            return Ok(());
        }
        let mismatched: Vec<String> = tests
            .into_iter()
            .filter_map(|(key, allocator)| {
                let entry = compared.baseline.tests.get(&key.to_string())?;
                (entry.allocator.as_deref() != allocator).then(|| {
                    format!(
                        "{key} (allocator {} in the baseline, {} now)",
                        allocator_label(entry.allocator.as_deref()),
                        allocator_label(allocator)
                    )
                })
            })
            .collect();
        if mismatched.is_empty() {
            return Ok(());
        }
        if self.strict {
            return Err(BaselineError::Mismatch {
                path: compared.info.path.clone(),
                differences: format!("another allocator for {}", mismatched.join(", ")),
            });
        }
        warnings.push(format!(
            "{} measured with another allocator in the baseline {} and not compared: {}",
            if mismatched.len() == 1 {
                "1 test was".to_owned()
            } else {
                format!("{} tests were", mismatched.len())
            },
            compared.info.label(),
            mismatched.join(", ")
        ));
        Ok(())
    }

    /// Records a finished test (for the baseline to save) and compares it
    /// with its entry; `None` when no baseline is compared or the test was
    /// ignored.
    pub fn observe(
        &mut self,
        key: &TestKey,
        allocator: Option<&str>,
        record: &TestRecord,
    ) -> Option<Comparison> {
        let entry = Entry::from_record(record, allocator);
        if let (Some(_), Some(entry)) = (&self.save_path, &entry) {
            self.recorded.insert(key.to_string(), entry.clone());
        }
        let compared = self.compared.as_ref()?;
        if matches!(record.outcome, Outcome::Ignored { .. }) {
            return None;
        }
        let comparison = match (&compared.incomparable, entry) {
            (Some(why), _) => Comparison::not_compared(why.clone()),
            (None, None) => Comparison::not_compared(format!(
                "it {} and measured nothing to compare",
                record.outcome.label()
            )),
            (None, Some(entry)) => match compared.baseline.tests.get(&key.to_string()) {
                Some(old) => compare(old, &entry, &self.tolerance),
                None => Comparison::new_test(),
            },
        };
        match comparison.status {
            Status::Unchanged => self.counts.compared += 1,
            Status::Improved => {
                self.counts.compared += 1;
                self.counts.improved += 1;
            }
            Status::Regressed => {
                self.counts.compared += 1;
                self.counts.regressed += 1;
            }
            Status::New => self.counts.new += 1,
            Status::NotCompared => self.counts.not_compared += 1,
        }
        Some(comparison)
    }

    /// How the comparisons came out so far; `None` when nothing is compared.
    pub fn counts(&self) -> Option<&BaselineCounts> {
        self.compared.as_ref().map(|_| &self.counts)
    }

    /// Writes the baseline to save, if one was asked for. Not after an
    /// interrupt: a baseline missing the tests that did not finish would
    /// make them look new next time.
    pub fn save(
        &mut self,
        interrupted: bool,
        partition: Option<&Partition>,
    ) -> Result<Option<Saved>, BaselineError> {
        let Some(path) = self.save_path.clone() else {
            return Ok(None);
        };
        if interrupted {
            return Ok(Some(Saved::Skipped {
                path,
                why: "the run was interrupted".to_owned(),
            }));
        }
        let baseline = Baseline {
            build_profile: self.environment.build_profile.clone(),
            format: FORMAT.to_owned(),
            leaktest_version: env!("CARGO_PKG_VERSION").to_owned(),
            partitions: partition.map(|p| vec![p.to_string()]).unwrap_or_default(),
            rustc: self.environment.rustc.clone(),
            target: self.environment.target.clone(),
            tests: std::mem::take(&mut self.recorded),
            version: FORMAT_VERSION,
        };
        file::save(&baseline, &path)?;
        Ok(Some(Saved::Written {
            path,
            tests: baseline.tests.len(),
        }))
    }
}

fn allocator_label(allocator: Option<&str>) -> String {
    match allocator {
        Some(name) => format!("`{name}`"),
        None => "installed by the test file".to_owned(),
    }
}
