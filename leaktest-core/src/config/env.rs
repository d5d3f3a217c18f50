//! The environment layer: `LEAKTEST_ITERATIONS`, `LEAKTEST_TIMEOUT`,
//! `LEAKTEST_MEMORY_LIMIT`, `LEAKTEST_CONFIRM` and one
//! variable per budget (`LEAKTEST_MAX_PEAK`, `LEAKTEST_MAX_FDS_GROWTH`, ...),
//! and the profile selected by `LEAKTEST_PROFILE`; and the `LEAKTEST_*`
//! variables leaktest does not know ([`unknown_variables`]).

use super::error::ConfigError;
use super::layer::Layer;
use crate::model::{Budget, ConfigSource};
use crate::protocol::{ENV_ATTRIBUTE, ENV_CONFIRM, ENV_ITERATIONS, ENV_MEMORY_LIMIT, INTERNAL_ENV};
use std::ffi::OsString;
use std::fmt;

/// Selects the profile of `Leaktest.toml`, as `cargo leaktest --profile` does.
pub const ENV_PROFILE: &str = "LEAKTEST_PROFILE";
/// The timeout of every test, written as the attribute writes it (`30s`).
pub const ENV_TIMEOUT: &str = "LEAKTEST_TIMEOUT";

/// The layer the environment gives, reading variables through `lookup` (so
/// that tests need not change the process's environment). Empty values
/// count as unset.
pub fn environment_layer(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Layer, ConfigError> {
    let mut layer = Layer::default();
    let variables = [
        ("iterations", ENV_ITERATIONS.to_owned()),
        ("timeout", ENV_TIMEOUT.to_owned()),
        ("memory_limit", ENV_MEMORY_LIMIT.to_owned()),
        ("confirm", ENV_CONFIRM.to_owned()),
    ]
    .into_iter()
    .chain(Budget::all().map(|budget| (budget.key(), budget.env_variable())));
    for (key, variable) in variables {
        let Some(value) = lookup(&variable).filter(|value| !value.trim().is_empty()) else {
            continue;
        };
        let source = ConfigSource::Environment {
            variable: variable.clone(),
        };
        layer
            .set_from_text(key, &value, source)
            .map_err(|message| ConfigError::Environment {
                variable,
                value,
                message,
            })?;
    }
    Ok(layer)
}

/// The profile `LEAKTEST_PROFILE` selects, if set and not empty.
pub fn profile_from_env(lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    lookup(ENV_PROFILE)
        .map(|profile| profile.trim().to_owned())
        .filter(|profile| !profile.is_empty())
}

/// The prefix of every variable leaktest reads.
pub const ENV_PREFIX: &str = "LEAKTEST_";

/// The variables a user may set: the settings of every test, the budgets,
/// the profile and attribution.
pub fn user_variables() -> Vec<String> {
    [
        ENV_ITERATIONS,
        ENV_TIMEOUT,
        ENV_MEMORY_LIMIT,
        ENV_CONFIRM,
        ENV_PROFILE,
        ENV_ATTRIBUTE,
    ]
    .into_iter()
    .map(str::to_owned)
    .chain(Budget::all().map(Budget::env_variable))
    .collect()
}

/// A `LEAKTEST_*` variable of the environment that leaktest does not read:
/// its setting changes nothing (a misspelled budget is never enforced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariable {
    /// The variable's name.
    pub name: String,
    /// The known variable closest to it, when one is close enough to be the
    /// one meant.
    pub closest: Option<String>,
}

impl fmt::Display for UnknownVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not a variable leaktest reads, so it changes nothing",
            self.name
        )?;
        match &self.closest {
            Some(closest) => write!(f, " (did you mean {closest}?)"),
            None => write!(f, " (leaktest reads: {})", user_variables().join(", ")),
        }
    }
}

/// The `LEAKTEST_*` names among `names` (the environment's) that leaktest
/// neither reads nor sets for its own processes, each with the known name
/// closest to it.
pub fn unknown_variables(names: impl IntoIterator<Item = OsString>) -> Vec<UnknownVariable> {
    let user = user_variables();
    let known: Vec<&str> = user
        .iter()
        .map(String::as_str)
        .chain(INTERNAL_ENV)
        .collect();
    let mut unknown: Vec<UnknownVariable> = names
        .into_iter()
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| name.starts_with(ENV_PREFIX) && !known.contains(&name.as_str()))
        .map(|name| UnknownVariable {
            closest: closest_to(&name, &user),
            name,
        })
        .collect();
    unknown.sort_by(|a, b| a.name.cmp(&b.name));
    unknown
}

/// The name of `candidates` closest to `name`, if a few edits turn one into
/// the other (up to a third of the part after the prefix, at least two).
fn closest_to(name: &str, candidates: &[String]) -> Option<String> {
    let significant = name.len().saturating_sub(ENV_PREFIX.len());
    let most_edits = (significant / 3).max(2);
    candidates
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), candidate))
        .filter(|(edits, _)| *edits <= most_edits)
        .min_by_key(|(edits, _)| *edits)
        .map(|(_, candidate)| candidate.clone())
}

/// Warns on stderr, prefixed with `prefix`, about every `LEAKTEST_*`
/// variable of this process's environment that leaktest does not know.
/// A warning, not an error: the environment reaches every process of a CI
/// job, harnesses built with another leaktest version and other tools using
/// the prefix among them.
pub fn warn_about_unknown_variables(prefix: &str) {
    use std::io::Write;
    let names = std::env::vars_os().map(|(name, _)| name);
    for unknown in unknown_variables(names) {
        let _ = writeln!(std::io::stderr(), "{prefix}{unknown}");
    }
}

/// The process's environment, for [`environment_layer`] and [`profile_from_env`].
pub fn process_env(variable: &str) -> Option<String> {
    std::env::var_os(variable).map(|value| value.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Resource;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn each_variable_is_its_own_source() {
        let layer = environment_layer(&lookup(&[
            ("LEAKTEST_MAX_PEAK", "2 MiB"),
            ("LEAKTEST_MAX_THREADS_GROWTH", "1"),
            ("LEAKTEST_ITERATIONS", "40"),
            ("LEAKTEST_TIMEOUT", "90s"),
            ("LEAKTEST_MAX_GROWTH", ""),
        ]))
        .unwrap();
        let peak = &layer.budgets[&Budget::Peak];
        assert_eq!(peak.value, 2 << 20);
        assert_eq!(
            peak.source,
            ConfigSource::Environment {
                variable: "LEAKTEST_MAX_PEAK".to_owned()
            }
        );
        assert_eq!(layer.budgets[&Budget::Growth(Resource::Threads)].value, 1);
        assert!(!layer
            .budgets
            .contains_key(&Budget::Growth(Resource::HeapBytes)));
        assert_eq!(layer.iterations.map(|i| i.value), Some(40));
        assert_eq!(layer.timeout_ms.map(|t| t.value), Some(90_000));
    }

    #[test]
    fn a_bad_value_names_the_variable() {
        let error = environment_layer(&lookup(&[("LEAKTEST_MAX_ALLOC_PER_ITER", "4 kb")]))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("LEAKTEST_MAX_ALLOC_PER_ITER=\"4 kb\": unknown unit `kb`"),
            "{error}"
        );
    }

    #[test]
    fn unknown_variables_are_named_with_the_closest_known_one() {
        let names = [
            "LEAKTEST_MAX_PEAKK",
            "LEAKTEST_MAX_ALLOC_PER_ITERATION",
            "LEAKTEST_MAX_PEAK",
            "LEAKTEST_CHILD",
            "LEAKTEST_RECORD",
            "LEAKTEST_TIMEOUT_MS",
            "LEAKTEST_ATTRIBUTE",
            "LEAKTEST_ITERATONS",
            "LEAKTEST_SOMETHING_ELSE_ENTIRELY",
            "PATH",
            "CARGO_LEAKTEST_X",
        ]
        .map(OsString::from);
        let unknown = unknown_variables(names);
        let described: Vec<(&str, Option<&str>)> = unknown
            .iter()
            .map(|u| (u.name.as_str(), u.closest.as_deref()))
            .collect();
        assert_eq!(
            described,
            [
                ("LEAKTEST_ITERATONS", Some("LEAKTEST_ITERATIONS")),
                (
                    "LEAKTEST_MAX_ALLOC_PER_ITERATION",
                    Some("LEAKTEST_MAX_ALLOC_PER_ITER")
                ),
                ("LEAKTEST_MAX_PEAKK", Some("LEAKTEST_MAX_PEAK")),
                ("LEAKTEST_SOMETHING_ELSE_ENTIRELY", None),
            ]
        );
        assert_eq!(
            unknown[2].to_string(),
            "LEAKTEST_MAX_PEAKK is not a variable leaktest reads, so it changes nothing \
             (did you mean LEAKTEST_MAX_PEAK?)"
        );
        assert!(unknown[3]
            .to_string()
            .contains("(leaktest reads: LEAKTEST_ITERATIONS, LEAKTEST_TIMEOUT,"));
    }

    #[test]
    fn every_variable_leaktest_reads_is_known() {
        let names = user_variables()
            .into_iter()
            .chain(INTERNAL_ENV.map(str::to_owned))
            .map(OsString::from);
        assert_eq!(unknown_variables(names), []);
    }

    #[test]
    fn the_profile_variable_is_trimmed_and_empty_means_unset() {
        assert_eq!(
            profile_from_env(&lookup(&[("LEAKTEST_PROFILE", " ci ")])),
            Some("ci".to_owned())
        );
        assert_eq!(profile_from_env(&lookup(&[("LEAKTEST_PROFILE", "")])), None);
    }
}
