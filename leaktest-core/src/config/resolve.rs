//! Which value each setting of a test takes, and from where. Highest first:
//!
//! 1. the command line (`cargo leaktest --budget`, `--iterations`, `--timeout`),
//! 2. the environment (`LEAKTEST_MAX_PEAK`, `LEAKTEST_ITERATIONS`, ...),
//! 3. the first override of the selected profile (then of the profiles it
//!    inherits from) whose filter matches the test,
//! 4. the test's attribute,
//! 5. the selected profile, following `inherits`,
//! 6. leaktest's default (growth budgets 0, the rest unset; 100 iterations,
//!    a 60 s timeout).
//!
//! Files and the environment are read elsewhere: this is a pure function of
//! the layers, the test's name and its attribute.

use super::error::{ConfigError, Loosened};
use super::file::{Override, Profile};
use super::layer::{Layer, Sourced};
use crate::model::{
    AttributeSettings, Budget, ConfigSource, ResolvedBudget, DEFAULT_CONFIRM_MS,
    DEFAULT_MEMORY_LIMIT_BYTES, DEFAULT_TIMEOUT_MS,
};
use std::time::Duration;

/// Every layer of configuration but the test's own attribute.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `cargo leaktest`'s arguments (empty under `cargo test`).
    pub command_line: Layer,
    /// The environment.
    pub environment: Layer,
    /// The selected profile of `Leaktest.toml` (empty without a file).
    pub profile: Profile,
}

/// A test, as overrides match it.
#[derive(Debug, Clone, Copy)]
pub struct TestIdentity<'a> {
    /// Its package, when known (overrides with `package = "..."` need it).
    pub package: Option<&'a str>,
    /// Its name as `--list` shows it.
    pub name: &'a str,
}

/// The settings a test runs with, each with its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Iterations, when a layer above the default sets them.
    pub iterations: Option<Sourced<u64>>,
    /// Timeout, in milliseconds.
    pub timeout_ms: Sourced<u64>,
    /// Memory limit, in bytes.
    pub memory_limit_bytes: Sourced<u64>,
    /// Confirmation window, in milliseconds.
    pub confirm_ms: Sourced<u64>,
    /// Every budget in force, in [`Budget::all`] order: growth budgets of
    /// every resource (0 by default), the others when a layer sets them.
    pub budgets: Vec<ResolvedBudget>,
}

impl Resolved {
    /// The iterations to pass a child in place of its own, when they come
    /// from a layer other than the attribute (which the child applies itself).
    pub fn iterations_override(&self) -> Option<u64> {
        self.iterations
            .as_ref()
            .filter(|iterations| !matches!(iterations.source, ConfigSource::Attribute))
            .map(|iterations| iterations.value)
    }

    /// The memory limit to pass a child in place of its own, when it comes
    /// from a layer other than the attribute and the default (which the
    /// child applies itself).
    pub fn memory_limit_override(&self) -> Option<u64> {
        self.memory_limit_bytes.override_for_child().copied()
    }

    /// The confirmation window to pass a child in place of its own, when it
    /// comes from a layer other than the attribute and the default (which
    /// the child applies itself).
    pub fn confirm_override(&self) -> Option<u64> {
        self.confirm_ms.override_for_child().copied()
    }

    /// The timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.value)
    }
}

impl Config {
    /// Resolves the settings of `test`, whose attribute set `attribute`. An
    /// override that raises a budget above what the test would have without
    /// it, and gives no `reason`, is an error.
    pub fn resolve(
        &self,
        test: TestIdentity<'_>,
        attribute: &AttributeSettings,
    ) -> Result<Resolved, ConfigError> {
        let matched: Option<&Override> = self
            .profile
            .overrides
            .iter()
            .find(|entry| entry.matches(test.package, test.name));
        let empty = Layer::default();
        let matched_layer = matched.map_or(&empty, |entry| &entry.layer);
        let attribute_layer = attribute_layer(attribute);
        // Highest precedence first.
        let above_attribute = [&self.command_line, &self.environment, matched_layer];
        let from_attribute_down = [&attribute_layer, &self.profile.layer];

        let first = |pick: &dyn Fn(&Layer) -> Option<Sourced<u64>>, layers: &[&Layer]| {
            layers.iter().find_map(|layer| pick(layer))
        };
        let iterations = first(&|layer| layer.iterations.clone(), &above_attribute)
            .or_else(|| first(&|layer| layer.iterations.clone(), &from_attribute_down));
        let timeout_ms = first(&|layer| layer.timeout_ms.clone(), &above_attribute)
            .or_else(|| first(&|layer| layer.timeout_ms.clone(), &from_attribute_down))
            .unwrap_or_else(|| Sourced::new(DEFAULT_TIMEOUT_MS, ConfigSource::Default));
        let memory_limit_bytes = first(&|layer| layer.memory_limit_bytes.clone(), &above_attribute)
            .or_else(|| {
                first(
                    &|layer| layer.memory_limit_bytes.clone(),
                    &from_attribute_down,
                )
            })
            .unwrap_or_else(|| Sourced::new(DEFAULT_MEMORY_LIMIT_BYTES, ConfigSource::Default));
        let confirm_ms = first(&|layer| layer.confirm_ms.clone(), &above_attribute)
            .or_else(|| first(&|layer| layer.confirm_ms.clone(), &from_attribute_down))
            .unwrap_or_else(|| Sourced::new(DEFAULT_CONFIRM_MS, ConfigSource::Default));

        let mut budgets = Vec::new();
        for budget in Budget::all() {
            let pick = |layer: &Layer| layer.budgets.get(&budget).cloned();
            let below_override =
                first(&pick, &from_attribute_down).or_else(|| default_limit(budget));
            if let (Some(entry), Some(set)) = (matched, matched_layer.budgets.get(&budget)) {
                check_reason(entry, test, budget, set, below_override.as_ref())?;
            }
            let chosen = first(&pick, &above_attribute).or(below_override);
            if let Some(limit) = chosen {
                budgets.push(ResolvedBudget::new(budget, limit.value, limit.source));
            }
        }
        Ok(Resolved {
            iterations,
            timeout_ms,
            memory_limit_bytes,
            confirm_ms,
            budgets,
        })
    }
}

/// The attribute's settings as a layer.
fn attribute_layer(attribute: &AttributeSettings) -> Layer {
    let sourced = |value: u64| Sourced::new(value, ConfigSource::Attribute);
    Layer {
        iterations: attribute.iterations.map(sourced),
        timeout_ms: attribute.timeout_ms.map(sourced),
        memory_limit_bytes: attribute.memory_limit_bytes.map(sourced),
        confirm_ms: attribute.confirm_ms.map(sourced),
        budgets: attribute
            .budgets
            .iter()
            .map(|(budget, limit)| (*budget, sourced(*limit)))
            .collect(),
    }
}

/// The built-in limit of `budget`: 0 for growth (every leak fails), none
/// for the others.
fn default_limit(budget: Budget) -> Option<Sourced<u64>> {
    matches!(budget, Budget::Growth(_)).then(|| Sourced::new(0, ConfigSource::Default))
}

/// An override raising `budget` above `without` (what the test would have
/// without it; none means no limit, which any limit tightens) needs a reason.
fn check_reason(
    entry: &Override,
    test: TestIdentity<'_>,
    budget: Budget,
    set: &Sourced<u64>,
    without: Option<&Sourced<u64>>,
) -> Result<(), ConfigError> {
    let Some(without) = without else {
        return Ok(());
    };
    let loosens = set.value > without.value;
    let explained = entry
        .reason
        .as_deref()
        .is_some_and(|reason| !reason.trim().is_empty());
    if !loosens || explained {
        return Ok(());
    }
    Err(ConfigError::LoosenedWithoutReason(Box::new(Loosened {
        location: entry.location.clone(),
        profile: entry.profile.clone(),
        filter: entry.filter.as_str().to_owned(),
        test: test.name.to_owned(),
        budget: budget.key().to_owned(),
        from: without.describe(budget),
        to: crate::render::budget_limit(budget, set.value),
    })))
}

#[cfg(test)]
mod tests;
