//! Budgets in the record: which limits a test was held to, where each came
//! from, what was measured against it, and whether it was exceeded.

use super::Resource;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A limit a test's measurements are held to, named by its key (the same in
/// the attribute, `Leaktest.toml`, `cargo leaktest --budget` and, upper-cased
/// with a `LEAKTEST_` prefix, the environment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Budget {
    /// `max_peak`: the test's peak live heap above its level before the
    /// first iteration, in bytes.
    Peak,
    /// `max_growth` (heap bytes) and `max_<resource>_growth`: how much a
    /// resource judged to leak may grow per iteration and still pass. The
    /// default, 0, fails every leak verdict.
    Growth(Resource),
    /// `max_alloc_per_iter`: bytes allocated per judged iteration (median),
    /// freed or not.
    AllocationBytesPerIteration,
    /// `max_allocs_per_iter`: allocations per judged iteration (median).
    AllocationsPerIteration,
}

impl Budget {
    /// Every budget, in report order.
    pub fn all() -> impl Iterator<Item = Budget> {
        [Budget::Peak]
            .into_iter()
            .chain(Resource::ALL.map(Budget::Growth))
            .chain([
                Budget::AllocationBytesPerIteration,
                Budget::AllocationsPerIteration,
            ])
    }

    /// The key: `max_peak`, `max_growth`, `max_fds_growth`, `max_alloc_per_iter`, ...
    pub fn key(self) -> &'static str {
        match self {
            Budget::Peak => "max_peak",
            Budget::Growth(resource) => match resource {
                Resource::HeapBytes => "max_growth",
                Resource::HeapBlocks => "max_blocks_growth",
                Resource::NativeHeapBytes => "max_native_growth",
                Resource::Fds => "max_fds_growth",
                Resource::Threads => "max_threads_growth",
                Resource::ChildProcesses => "max_children_growth",
                Resource::TokioTasks => "max_tasks_growth",
            },
            Budget::AllocationBytesPerIteration => "max_alloc_per_iter",
            Budget::AllocationsPerIteration => "max_allocs_per_iter",
        }
    }

    /// The budget a key names, if any.
    ///
    /// ```
    /// use leaktest_core::model::{Budget, Resource};
    ///
    /// assert_eq!(Budget::from_key("max_fds_growth"), Some(Budget::Growth(Resource::Fds)));
    /// assert_eq!(Budget::from_key("max_peek"), None);
    /// ```
    pub fn from_key(key: &str) -> Option<Budget> {
        Budget::all().find(|budget| budget.key() == key)
    }

    /// Whether the limit is in bytes (written as a size, `"24 MiB"`) rather
    /// than a count.
    pub fn is_bytes(self) -> bool {
        match self {
            Budget::Peak | Budget::AllocationBytesPerIteration => true,
            Budget::Growth(resource) => resource.is_bytes(),
            Budget::AllocationsPerIteration => false,
        }
    }

    /// The environment variable that sets it: `LEAKTEST_MAX_PEAK`, ...
    pub fn env_variable(self) -> String {
        format!("LEAKTEST_{}", self.key().to_ascii_uppercase())
    }

    /// What it limits, for people: `peak heap above the start`, `fds leak`
    /// (the growth per iteration of a leak), ...
    pub fn measure_name(self) -> String {
        match self {
            Budget::Peak => "peak heap above the start".to_owned(),
            Budget::Growth(resource) => format!("{resource} leak"),
            Budget::AllocationBytesPerIteration => "bytes allocated per iteration".to_owned(),
            Budget::AllocationsPerIteration => "allocations per iteration".to_owned(),
        }
    }

    /// Every key, comma separated, for messages listing the valid ones.
    pub fn keys_list() -> String {
        Budget::all()
            .map(Budget::key)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl Serialize for Budget {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for Budget {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Budget, D::Error> {
        let key = String::deserialize(deserializer)?;
        Budget::from_key(&key).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown budget `{key}`; budgets are: {}",
                Budget::keys_list()
            ))
        })
    }
}

/// Where a setting came from, highest precedence first: the command line,
/// the environment, an override of `Leaktest.toml` matching the test, the
/// test's attribute, a profile of `Leaktest.toml`, leaktest's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConfigSource {
    /// `cargo leaktest` arguments (`--budget`, `--iterations`, `--timeout`).
    CommandLine {
        /// The argument as given, e.g. `--budget max_peak=24MiB`.
        argument: String,
    },
    /// An environment variable.
    Environment {
        /// Its name, e.g. `LEAKTEST_MAX_PEAK`.
        variable: String,
    },
    /// A `[[profile.NAME.overrides]]` entry whose filter matched the test.
    Override {
        /// The configuration file.
        file: String,
        /// The profile the override belongs to.
        profile: String,
        /// Its `filter`.
        filter: String,
        /// Its `reason`, if it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The test's `#[leak_test(...)]` attribute.
    Attribute,
    /// A `[profile.NAME]` of the configuration file (the profile that set
    /// it, following `inherits`).
    Profile {
        /// The configuration file.
        file: String,
        /// The profile.
        profile: String,
    },
    /// leaktest's built-in default.
    Default,
}

impl ConfigSource {
    /// The file name of a path, for the short label (`Leaktest.toml`).
    fn file_name(file: &str) -> &str {
        std::path::Path::new(file)
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or(file)
    }
}

impl fmt::Display for ConfigSource {
    /// `[attribute]`, `[Leaktest.toml profile.ci]`,
    /// `[Leaktest.toml profile.ci override "parser::*"]`,
    /// `[environment LEAKTEST_MAX_PEAK]`, `[command line --budget max_peak=1MiB]`, `[default]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::CommandLine { argument } => write!(f, "[command line {argument}]"),
            ConfigSource::Environment { variable } => write!(f, "[environment {variable}]"),
            ConfigSource::Override {
                file,
                profile,
                filter,
                ..
            } => write!(
                f,
                "[{} profile.{profile} override {filter:?}]",
                ConfigSource::file_name(file)
            ),
            ConfigSource::Attribute => f.write_str("[attribute]"),
            ConfigSource::Profile { file, profile } => {
                write!(f, "[{} profile.{profile}]", ConfigSource::file_name(file))
            }
            ConfigSource::Default => f.write_str("[default]"),
        }
    }
}

/// A budget in force for a test: its limit and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResolvedBudget {
    /// Which budget.
    pub budget: Budget,
    /// The limit, in bytes or a count (see [`Budget::is_bytes`]); per
    /// iteration for growth and allocation budgets.
    pub limit: u64,
    /// Where the limit came from.
    pub source: ConfigSource,
}

impl ResolvedBudget {
    /// `budget` limited to `limit`, set by `source`.
    pub fn new(budget: Budget, limit: u64, source: ConfigSource) -> ResolvedBudget {
        ResolvedBudget {
            budget,
            limit,
            source,
        }
    }
}

/// A budget held against what the test measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BudgetCheck {
    /// Which budget.
    pub budget: Budget,
    /// Its limit, in bytes or a count, per iteration for growth and allocation budgets.
    pub limit: u64,
    /// Where the limit came from.
    pub source: ConfigSource,
    /// What was measured, in the same unit: the peak heap above the start,
    /// the leak's growth per judged iteration (0 for a resource judged not
    /// to leak, whatever its slope: that is in the resource's
    /// [`Judgement`](super::Judgement)), or what one judged iteration
    /// allocates. `None` when it was not measured (the resource is not
    /// sampled in this test, or the test reached no verdict).
    pub measured: Option<f64>,
    /// Whether the measurement exceeds the limit: `measured > limit`, except
    /// that a growth budget is never exceeded in a `should_leak` test, whose
    /// expected leak is its verdict.
    pub exceeded: bool,
}

impl BudgetCheck {
    /// `budget` checked: `measured` against its limit, `exceeded` or not.
    pub fn new(budget: &ResolvedBudget, measured: Option<f64>, exceeded: bool) -> BudgetCheck {
        BudgetCheck {
            budget: budget.budget,
            limit: budget.limit,
            source: budget.source.clone(),
            measured,
            exceeded,
        }
    }
}

/// What a test's `#[leak_test(...)]` attribute set itself, before defaults:
/// one layer of the configuration, between the overrides of `Leaktest.toml`
/// (above it) and its profiles (below it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AttributeSettings {
    /// `iterations = N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u64>,
    /// `timeout = "..."`, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// `memory_limit = "..."`, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit_bytes: Option<u64>,
    /// `confirm = "..."`, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_ms: Option<u64>,
    /// `warmup = N` (a runner recomputes the warm-up when it overrides the
    /// iterations, as the test's process does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<u64>,
    /// Budgets given as `max_peak = "24 MiB"` and the like.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub budgets: std::collections::BTreeMap<Budget, u64>,
}

impl AttributeSettings {
    /// An attribute that set `iterations`, `timeout_ms` and `budgets`.
    pub fn new(
        iterations: Option<u64>,
        timeout_ms: Option<u64>,
        budgets: impl IntoIterator<Item = (Budget, u64)>,
    ) -> AttributeSettings {
        AttributeSettings {
            iterations,
            timeout_ms,
            memory_limit_bytes: None,
            confirm_ms: None,
            warmup: None,
            budgets: budgets.into_iter().collect(),
        }
    }

    /// The same, with `memory_limit = "..."` in bytes and `warmup = N`.
    pub fn with_memory_limit_and_warmup(
        mut self,
        memory_limit_bytes: Option<u64>,
        warmup: Option<u64>,
    ) -> AttributeSettings {
        self.memory_limit_bytes = memory_limit_bytes;
        self.warmup = warmup;
        self
    }

    /// The same, with `confirm = "..."` in milliseconds.
    pub fn with_confirm_ms(mut self, confirm_ms: Option<u64>) -> AttributeSettings {
        self.confirm_ms = confirm_ms;
        self
    }
}
