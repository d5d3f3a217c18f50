//! `Leaktest.toml` in a `cargo leaktest` run: the profile `--profile` (or
//! `LEAKTEST_PROFILE`) selects, the environment and the command line as the
//! layers above the files, and each test's settings resolved the way the
//! harness resolves them under `cargo test`: from the file found walking up
//! from its package's directory (leaktest-core's `config::discover`), so
//! that budgets hold whichever runner runs the test.

use crate::cli::Args;
use crate::output::Override;
use crate::select::PlannedTest;
use leaktest_core::config::{
    add_budget_argument, discover, environment_layer, process_env, Config, ConfigError, ConfigFile,
    Layer, ProfileChoice, Resolved, RunSettings, Sourced, TestIdentity,
};
use leaktest_core::model::ConfigSource;
use leaktest_core::render::format_bytes;
use leaktest_core::summary::format_duration_ms;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The configuration of a run.
pub struct RunConfig {
    choice: ProfileChoice,
    command_line: Layer,
    environment: Layer,
    /// The file found from the workspace root, if any.
    workspace_file: Option<PathBuf>,
    /// Settings of the whole run (`junit`, `report`, baseline tolerances), from the
    /// selected profile of the workspace's file.
    pub run: RunSettings,
    /// The configuration per file found (`None`: no file), loaded once.
    by_file: HashMap<Option<PathBuf>, Config>,
}

impl RunConfig {
    /// What the command line and the environment override for every test.
    pub fn overrides(&self) -> Vec<Override> {
        overrides_of([&self.command_line, &self.environment])
    }

    /// Reads the command line's and the environment's layers and the
    /// workspace's `Leaktest.toml` (errors come before anything is built).
    pub fn load(args: &Args, workspace_root: &Path) -> Result<RunConfig, ConfigError> {
        let choice = ProfileChoice::select(args.profile.as_deref(), &process_env);
        let mut config = RunConfig {
            choice,
            command_line: command_line_layer(args)?,
            environment: environment_layer(&process_env)?,
            workspace_file: discover(workspace_root),
            run: RunSettings::default(),
            by_file: HashMap::new(),
        };
        let workspace_file = config.workspace_file.clone();
        config.run = config.config_of(workspace_file)?.profile.run.clone();
        Ok(config)
    }

    /// The settings `test` runs with.
    pub fn resolve(&mut self, test: &PlannedTest<'_>) -> Result<Resolved, ConfigError> {
        let file = discover(&test.harness.target.package_root);
        let identity = TestIdentity {
            package: Some(&test.harness.target.package),
            name: &test.test.name,
        };
        self.config_of(file)?
            .resolve(identity, &test.test.attribute)
    }

    fn config_of(&mut self, file: Option<PathBuf>) -> Result<&Config, ConfigError> {
        if !self.by_file.contains_key(&file) {
            let parsed = file.as_deref().map(ConfigFile::load).transpose()?;
            let config = Config {
                command_line: self.command_line.clone(),
                environment: self.environment.clone(),
                profile: self.choice.profile_of(parsed.as_ref())?,
            };
            self.by_file.insert(file.clone(), config);
        }
        Ok(&self.by_file[&file])
    }
}

/// `--iterations`, `--timeout`, `--memory-limit` and `--budget` as the top layer.
fn command_line_layer(args: &Args) -> Result<Layer, ConfigError> {
    let mut layer = Layer::default();
    for budget in &args.budgets {
        add_budget_argument(&mut layer, budget)?;
    }
    layer.iterations = args.iterations.map(|iterations| {
        Sourced::new(
            iterations,
            ConfigSource::CommandLine {
                argument: format!("--iterations {iterations}"),
            },
        )
    });
    layer.timeout_ms = args.timeout.map(|timeout| {
        Sourced::new(
            u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            ConfigSource::CommandLine {
                argument: "--timeout".to_owned(),
            },
        )
    });
    layer.memory_limit_bytes = args.memory_limit.map(|limit| {
        Sourced::new(
            limit,
            ConfigSource::CommandLine {
                argument: "--memory-limit".to_owned(),
            },
        )
    });
    Ok(layer)
}

/// Every setting the command line or the environment gives every test, with
/// where it came from, for the header and `--list`.
pub fn overrides_of(layers: [&Layer; 2]) -> Vec<Override> {
    let mut overrides = Vec::new();
    for layer in layers {
        let mut push = |setting: &'static str, value: String, source: &ConfigSource| {
            overrides.push(Override {
                setting,
                value,
                source: match source {
                    ConfigSource::CommandLine { argument } => argument.clone(),
                    ConfigSource::Environment { variable } => variable.clone(),
                    other => other.to_string(),
                },
            });
        };
        if let Some(iterations) = &layer.iterations {
            push(
                "iterations",
                iterations.value.to_string(),
                &iterations.source,
            );
        }
        if let Some(timeout) = &layer.timeout_ms {
            push(
                "timeout",
                format_duration_ms(timeout.value),
                &timeout.source,
            );
        }
        if let Some(limit) = &layer.memory_limit_bytes {
            push("memory_limit", bytes(limit.value), &limit.source);
        }
        if let Some(confirm) = &layer.confirm_ms {
            push(
                "confirm",
                format_duration_ms(confirm.value),
                &confirm.source,
            );
        }
        for (budget, limit) in &layer.budgets {
            let value = if budget.is_bytes() {
                bytes(limit.value)
            } else {
                limit.value.to_string()
            };
            push(budget.key(), value, &limit.source);
        }
    }
    overrides
}

fn bytes(value: u64) -> String {
    format_bytes(i64::try_from(value).unwrap_or(i64::MAX))
}
