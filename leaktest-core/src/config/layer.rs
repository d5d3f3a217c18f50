//! One layer of configuration (the command line, the environment, an
//! override, the attribute, a profile): the per-test settings it gives, each
//! with where it came from, and the parsers of their values shared by every
//! layer that writes them as text.

use crate::model::{Budget, ConfigSource};
use crate::protocol::{MAX_ITERATIONS, MIN_ITERATIONS, MIN_MEMORY_LIMIT_BYTES};
use std::collections::BTreeMap;

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub source: ConfigSource,
}

impl<T> Sourced<T> {
    /// `value`, set by `source`.
    pub fn new(value: T, source: ConfigSource) -> Sourced<T> {
        Sourced { value, source }
    }

    /// The value, when a layer other than the attribute and the default set
    /// it: a child applies those two itself, so only this one needs passing
    /// down in place of its own.
    pub fn override_for_child(&self) -> Option<&T> {
        (!matches!(self.source, ConfigSource::Attribute | ConfigSource::Default))
            .then_some(&self.value)
    }
}

/// The per-test settings one layer gives (unset ones are left to lower layers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layer {
    /// Iterations of every test.
    pub iterations: Option<Sourced<u64>>,
    /// Timeout of every test, in milliseconds.
    pub timeout_ms: Option<Sourced<u64>>,
    /// Memory limit of every test, in bytes.
    pub memory_limit_bytes: Option<Sourced<u64>>,
    /// Confirmation window of every test, in milliseconds (0: none).
    pub confirm_ms: Option<Sourced<u64>>,
    /// Budgets, in bytes or counts.
    pub budgets: BTreeMap<Budget, Sourced<u64>>,
}

impl Layer {
    /// Whether the layer sets nothing.
    pub fn is_empty(&self) -> bool {
        self.iterations.is_none()
            && self.timeout_ms.is_none()
            && self.memory_limit_bytes.is_none()
            && self.confirm_ms.is_none()
            && self.budgets.is_empty()
    }

    /// Sets `key` (`iterations`, `timeout`, `memory_limit`, `confirm` or a
    /// budget key) from `text`;
    /// `Ok(false)` when `key` is none of them.
    pub(crate) fn set_from_text(
        &mut self,
        key: &str,
        text: &str,
        source: ConfigSource,
    ) -> Result<bool, String> {
        match key {
            "iterations" => self.iterations = Some(Sourced::new(parse_iterations(text)?, source)),
            "timeout" => self.timeout_ms = Some(Sourced::new(parse_timeout_ms(text)?, source)),
            "memory_limit" => {
                self.memory_limit_bytes = Some(Sourced::new(parse_memory_limit(text)?, source))
            }
            "confirm" => self.confirm_ms = Some(Sourced::new(parse_confirm_ms(text)?, source)),
            key => match Budget::from_key(key) {
                Some(budget) => {
                    let limit = parse_limit(budget, text)?;
                    self.budgets.insert(budget, Sourced::new(limit, source));
                }
                None => return Ok(false),
            },
        }
        Ok(true)
    }
}

/// The per-test keys, for messages listing the valid ones.
pub(crate) fn test_keys() -> Vec<&'static str> {
    ["iterations", "timeout", "memory_limit", "confirm"]
        .into_iter()
        .chain(Budget::all().map(Budget::key))
        .collect()
}

/// Whether `key` is a per-test key (one [`Layer::set_from_text`] sets).
pub(crate) fn is_test_key(key: &str) -> bool {
    matches!(key, "iterations" | "timeout" | "memory_limit" | "confirm")
        || Budget::from_key(key).is_some()
}

/// Whether `key` takes a size or a duration, written as a string.
pub(crate) fn takes_text(key: &str) -> bool {
    matches!(key, "timeout" | "memory_limit" | "confirm")
        || Budget::from_key(key).is_some_and(Budget::is_bytes)
}

/// How `key` is written, for messages.
pub(crate) fn example(key: &str) -> String {
    match (key, Budget::from_key(key)) {
        ("iterations", _) => "iterations = 500".to_owned(),
        ("timeout", _) => "timeout = \"30s\"".to_owned(),
        ("memory_limit", _) => "memory_limit = \"4 GiB\"".to_owned(),
        ("confirm", _) => "confirm = \"2s\"".to_owned(),
        (_, Some(Budget::Peak)) => "max_peak = \"24 MiB\"".to_owned(),
        (_, Some(budget)) if budget.is_bytes() => format!("{key} = \"4 KiB\""),
        _ => format!("{key} = 1"),
    }
}

/// Iterations, within what an override may ask for.
pub(crate) fn parse_iterations(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(iterations) if (MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) => Ok(iterations),
        _ => Err(format!(
            "expected a number of iterations from {MIN_ITERATIONS} to {MAX_ITERATIONS}, \
             not `{text}`, like `iterations = 500`"
        )),
    }
}

/// A timeout as the attribute writes it (`"30s"`, `"500ms"`, `"2m"`), in
/// milliseconds, longer than zero.
pub(crate) fn parse_timeout_ms(text: &str) -> Result<u64, String> {
    match leaktest_units::parse_duration_ms(text.trim()) {
        Some(ms) if ms > 0 => Ok(ms),
        _ => Err(format!(
            "expected a duration longer than zero written as a whole number and `ms`, `s` or `m`, \
             not `{text}`, like `timeout = \"30s\"`"
        )),
    }
}

/// A confirmation window as the attribute writes it (`"2s"`, `"500ms"`), in
/// milliseconds; `"0s"` turns the wait off.
pub(crate) fn parse_confirm_ms(text: &str) -> Result<u64, String> {
    leaktest_units::parse_duration_ms(text.trim()).ok_or_else(|| {
        format!(
            "expected a duration written as a whole number and `ms`, `s` or `m` \
             (`0s` turns the wait off), not `{text}`, like `confirm = \"2s\"`"
        )
    })
}

/// A memory limit: a size (`"4 GiB"`, or bytes) of at least
/// [`MIN_MEMORY_LIMIT_BYTES`].
pub(crate) fn parse_memory_limit(text: &str) -> Result<u64, String> {
    let bytes = leaktest_units::parse_size(text).map_err(|error| error.to_string())?;
    if bytes < MIN_MEMORY_LIMIT_BYTES {
        return Err(format!(
            "a memory limit must be at least 16 MiB (even an empty test's process holds more), \
             not `{text}`, like `memory_limit = \"4 GiB\"`"
        ));
    }
    Ok(bytes)
}

/// A budget's limit: a size for byte budgets (`"24 MiB"`, or bytes), a whole
/// number for counts.
pub(crate) fn parse_limit(budget: Budget, text: &str) -> Result<u64, String> {
    if budget.is_bytes() {
        leaktest_units::parse_size(text).map_err(|error| error.to_string())
    } else {
        text.trim().parse::<u64>().map_err(|_| {
            format!(
                "expected a whole number, not `{text}`, like `{}`",
                example(budget.key())
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Resource;

    #[test]
    fn text_values_parse_by_key() {
        let mut layer = Layer::default();
        let source = || ConfigSource::Attribute;
        assert_eq!(
            layer.set_from_text("max_peak", "24 MiB", source()),
            Ok(true)
        );
        assert_eq!(
            layer.set_from_text("max_fds_growth", "2", source()),
            Ok(true)
        );
        assert_eq!(layer.set_from_text("timeout", "2m", source()), Ok(true));
        assert_eq!(layer.set_from_text("iterations", "500", source()), Ok(true));
        assert_eq!(
            layer.set_from_text("memory_limit", "4GiB", source()),
            Ok(true)
        );
        assert_eq!(
            layer.memory_limit_bytes.clone().map(|l| l.value),
            Some(4 << 30)
        );
        assert_eq!(layer.set_from_text("max_peek", "1", source()), Ok(false));
        assert_eq!(layer.budgets[&Budget::Peak].value, 24 << 20);
        assert_eq!(layer.budgets[&Budget::Growth(Resource::Fds)].value, 2);
        assert_eq!(layer.timeout_ms.map(|t| t.value), Some(120_000));
        assert_eq!(layer.iterations.map(|i| i.value), Some(500));
    }

    #[test]
    fn bad_values_say_what_to_write() {
        let mut layer = Layer::default();
        let error = |key: &str, text: &str| {
            Layer::default()
                .set_from_text(key, text, ConfigSource::Default)
                .unwrap_err()
        };
        assert!(error("max_peak", "24 mib").contains("write `MiB`"));
        assert!(error("max_fds_growth", "1 KiB").contains("expected a whole number"));
        assert!(error("timeout", "0s").contains("longer than zero"));
        assert!(error("iterations", "2").contains("from 4 to"));
        assert!(error("memory_limit", "1 MiB").contains("at least 16 MiB"));
        assert!(layer.is_empty());
        layer.iterations = Some(Sourced::new(5, ConfigSource::Default));
        assert!(!layer.is_empty());
    }
}
