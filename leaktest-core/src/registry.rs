//! Tests registered by `#[leak_test]`, collected at link time with `inventory`.

use crate::driver::Driver;
use crate::model::{
    warmup_for, AttributeSettings, Budget, Flavor, Settings, TestDescription, DEFAULT_CONFIRM_MS,
    DEFAULT_ITERATIONS, DEFAULT_MEMORY_LIMIT_BYTES, DEFAULT_SETTLE_MS, DEFAULT_TIMEOUT_MS,
};
use crate::protocol::SettingsOverride;

/// The attribute's arguments, as the macro wrote them (unset values are `None`).
#[derive(Debug, Clone, Copy)]
pub struct TestConfig {
    /// `iterations = N`.
    pub iterations: Option<u64>,
    /// `warmup = N`.
    pub warmup: Option<u64>,
    /// `should_leak`.
    pub should_leak: bool,
    /// `ignore` (`Some("")`) or `ignore = "reason"`.
    pub ignore: Option<&'static str>,
    /// `timeout = "30s"`, in milliseconds.
    pub timeout_ms: Option<u64>,
    /// `settle = "200ms"`, in milliseconds.
    pub settle_ms: Option<u64>,
    /// `confirm = "2s"`, in milliseconds.
    pub confirm_ms: Option<u64>,
    /// The tokio flavor of an async body (`None` for a sync body).
    pub runtime: Option<Flavor>,
    /// `worker_threads = N` of a `multi_thread` runtime.
    pub worker_threads: Option<usize>,
    /// Whether `setup = path` was given.
    pub has_setup: bool,
    /// Budgets given as `max_peak = "24 MiB"` and the like, in bytes or counts.
    pub budgets: &'static [(Budget, u64)],
    /// `memory_limit = "2 GiB"`, in bytes.
    pub memory_limit_bytes: Option<u64>,
}

impl TestConfig {
    /// Settings after defaults, before any command-line override.
    pub fn settings(&self) -> Settings {
        self.settings_with(None)
    }

    /// Settings after defaults, with `iterations_override` (from
    /// `cargo leaktest --iterations` or `LEAKTEST_ITERATIONS`) in place of the
    /// attribute's iterations. The default warm-up follows the iterations that
    /// run; an explicit warm-up is kept while it is below them.
    pub fn settings_with(&self, iterations_override: Option<u64>) -> Settings {
        let iterations = iterations_override
            .or(self.iterations)
            .unwrap_or(DEFAULT_ITERATIONS)
            .max(1);
        let warmup = warmup_for(iterations, self.warmup);
        Settings {
            iterations,
            warmup,
            should_leak: self.should_leak,
            timeout_ms: self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
            settle_ms: self.settle_ms.unwrap_or(DEFAULT_SETTLE_MS),
            confirm_ms: self.confirm_ms.unwrap_or(DEFAULT_CONFIRM_MS),
            runtime: self.runtime,
            worker_threads: self.worker_threads,
            has_setup: self.has_setup,
            memory_limit_bytes: self
                .memory_limit_bytes
                .unwrap_or(DEFAULT_MEMORY_LIMIT_BYTES),
        }
    }

    /// What the attribute set itself, for resolving the configuration layers.
    pub fn attribute_settings(&self) -> AttributeSettings {
        AttributeSettings::new(
            self.iterations,
            self.timeout_ms,
            self.budgets.iter().copied(),
        )
        .with_memory_limit_and_warmup(self.memory_limit_bytes, self.warmup)
        .with_confirm_ms(self.confirm_ms)
    }
}

/// One `#[leak_test]` function, registered by the macro.
pub struct LeakTest {
    /// The function's name.
    pub name: &'static str,
    /// `module_path!()` at the function.
    pub module_path: &'static str,
    /// `file!()` at the function.
    pub file: &'static str,
    /// `line!()` at the function.
    pub line: u32,
    /// The attribute's arguments.
    pub config: TestConfig,
    /// Runs the test's iterations through the driver.
    pub run: fn(&mut Driver),
}

inventory::collect!(LeakTest);

impl LeakTest {
    /// The name libtest would give: module path without the crate name, then `::name`.
    pub fn full_name(&self) -> String {
        match self.module_path.split_once("::") {
            Some((_crate, rest)) => format!("{rest}::{}", self.name),
            None => self.name.to_owned(),
        }
    }

    /// `file:line` of the function.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// The description shown by `--list` and the describe handshake.
    pub fn description(&self) -> TestDescription {
        self.description_with(&SettingsOverride::default())
    }

    /// The description with `overrides` applied to its settings: what runs.
    pub fn description_with(&self, overrides: &SettingsOverride) -> TestDescription {
        let mut settings = self.config.settings_with(overrides.iterations);
        if let Some(limit) = overrides.memory_limit_bytes {
            settings.memory_limit_bytes = limit;
        }
        if let Some(confirm_ms) = overrides.confirm_ms {
            settings.confirm_ms = confirm_ms;
        }
        TestDescription {
            name: self.full_name(),
            location: self.location(),
            settings,
            ignored: self.config.ignore.map(str::to_owned),
            attribute: self.config.attribute_settings(),
        }
    }
}

/// Every registered test, sorted by full name.
pub fn all_tests() -> Vec<&'static LeakTest> {
    let mut tests: Vec<&'static LeakTest> = inventory::iter::<LeakTest>.into_iter().collect();
    tests.sort_by_cached_key(|t| t.full_name());
    tests
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::default_warmup;

    /// The config `#[leak_test(iterations = N, warmup = W)]` expands to.
    fn config(iterations: Option<u64>, warmup: Option<u64>) -> TestConfig {
        TestConfig {
            iterations,
            warmup,
            should_leak: false,
            ignore: None,
            timeout_ms: None,
            settle_ms: None,
            confirm_ms: None,
            runtime: None,
            worker_threads: None,
            has_setup: false,
            budgets: &[],
            memory_limit_bytes: None,
        }
    }

    #[test]
    fn default_warmup_is_a_tenth_bounded() {
        assert_eq!(config(None, None).settings(), Settings::default());
        assert_eq!(default_warmup(100), 10);
        assert_eq!(default_warmup(5), 1);
        assert_eq!(default_warmup(1), 0);
        assert_eq!(default_warmup(2000), 50);
    }

    #[test]
    fn an_iterations_override_recomputes_the_default_warmup() {
        let defaulted = config(Some(100), None);
        assert_eq!(defaulted.settings_with(Some(1000)).warmup, 50);
        assert_eq!(defaulted.settings_with(Some(20)).warmup, 2);
        let explicit = config(Some(100), Some(30));
        assert_eq!(explicit.settings_with(Some(1000)).warmup, 30);
        assert_eq!(explicit.settings_with(Some(20)).warmup, 2);
    }

    #[test]
    fn a_warmup_not_below_iterations_falls_back_to_the_default() {
        assert_eq!(
            config(Some(10), Some(20)).settings().warmup,
            default_warmup(10)
        );
    }
}
