//! The environment layer: `LEAKTEST_ITERATIONS`, `LEAKTEST_TIMEOUT`,
//! `LEAKTEST_MEMORY_LIMIT`, `LEAKTEST_CONFIRM` and one
//! variable per budget (`LEAKTEST_MAX_PEAK`, `LEAKTEST_MAX_FDS_GROWTH`, ...),
//! and the profile selected by `LEAKTEST_PROFILE`.

use super::error::ConfigError;
use super::layer::Layer;
use crate::model::{Budget, ConfigSource};
use crate::protocol::{ENV_CONFIRM, ENV_ITERATIONS, ENV_MEMORY_LIMIT};

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
    fn the_profile_variable_is_trimmed_and_empty_means_unset() {
        assert_eq!(
            profile_from_env(&lookup(&[("LEAKTEST_PROFILE", " ci ")])),
            Some("ci".to_owned())
        );
        assert_eq!(profile_from_env(&lookup(&[("LEAKTEST_PROFILE", "")])), None);
    }
}
