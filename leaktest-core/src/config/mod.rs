//! Configuration of leak tests beyond the attribute: `Leaktest.toml`
//! profiles and overrides, the environment, and `cargo leaktest`'s
//! arguments, resolved per test into iterations, a timeout and budgets, each
//! with where it came from.
//!
//! - [`discover`] finds the file (the harness under `cargo test` and
//!   `cargo nextest run` does so on its own, from `CARGO_MANIFEST_DIR`);
//! - [`ConfigFile`] parses it, with errors naming the file, line and key;
//! - [`environment_layer`] reads `LEAKTEST_*` variables, and
//!   [`unknown_variables`] names those leaktest does not know (a warning);
//! - [`Config::resolve`] picks each setting by precedence (command line >
//!   environment > matching override > attribute > profile > default).
//!
//! The budgets a test resolves to are held against its record by
//! [`crate::budget::apply`].

mod discover;
mod env;
mod error;
mod file;
mod layer;
mod pattern;
mod resolve;

pub use discover::{discover, package_dir_at_run_time};
pub use env::{
    environment_layer, process_env, profile_from_env, unknown_variables, user_variables,
    warn_about_unknown_variables, UnknownVariable, ENV_PREFIX, ENV_PROFILE, ENV_TIMEOUT,
};
pub use error::{ConfigError, Location, Loosened};
pub use file::{ConfigFile, Override, Profile, RunSettings, DEFAULT_PROFILE, FILE_NAME};
pub use layer::{Layer, Sourced};
pub use pattern::Pattern;
pub use resolve::{Config, Resolved, TestIdentity};

use crate::model::{Budget, ConfigSource};

/// Which profile to use, and how it was chosen (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileChoice {
    /// The profile's name.
    pub name: String,
    /// How it was chosen: `--profile ci`, `LEAKTEST_PROFILE=ci`, `the default`.
    pub selected_by: String,
}

impl ProfileChoice {
    /// The profile given on the command line, else by `LEAKTEST_PROFILE`
    /// (read through `lookup`), else `default`.
    pub fn select(
        command_line: Option<&str>,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> ProfileChoice {
        match (command_line, profile_from_env(lookup)) {
            (Some(name), _) => ProfileChoice {
                name: name.to_owned(),
                selected_by: format!("--profile {name}"),
            },
            (None, Some(name)) => ProfileChoice {
                selected_by: format!("{ENV_PROFILE}={name}"),
                name,
            },
            (None, None) => ProfileChoice {
                name: DEFAULT_PROFILE.to_owned(),
                selected_by: "the default".to_owned(),
            },
        }
    }

    /// The chosen profile of `file`; without a file, only `default` (empty)
    /// may be chosen.
    pub fn profile_of(&self, file: Option<&ConfigFile>) -> Result<Profile, ConfigError> {
        match file {
            Some(file) => file.profile(&self.name, &self.selected_by),
            None if self.name == DEFAULT_PROFILE => Ok(Profile {
                name: self.name.clone(),
                ..Profile::default()
            }),
            None => Err(ConfigError::UnknownProfile {
                profile: self.name.clone(),
                selected_by: self.selected_by.clone(),
                path: None,
                available: Vec::new(),
            }),
        }
    }
}

impl Config {
    /// The configuration of the harness under `cargo test` or
    /// `cargo nextest run`: the `Leaktest.toml` found from the package
    /// directory, the profile `LEAKTEST_PROFILE` selects, and the
    /// environment (there is no command-line layer).
    ///
    /// Warns on stderr about `LEAKTEST_*` variables leaktest does not know
    /// (once: the harness reads its configuration once).
    pub fn for_harness() -> Result<Config, ConfigError> {
        warn_about_unknown_variables("leaktest: warning: ");
        let file = package_dir_at_run_time()
            .and_then(|dir| discover(&dir))
            .map(|path| ConfigFile::load(&path))
            .transpose()?;
        let choice = ProfileChoice::select(None, &process_env);
        Ok(Config {
            command_line: Layer::default(),
            environment: environment_layer(&process_env)?,
            profile: choice.profile_of(file.as_ref())?,
        })
    }
}

/// Parses one `--budget KEY=VALUE` argument into `layer`, e.g.
/// `max_peak=24MiB` or `max_fds_growth=1`.
pub fn add_budget_argument(layer: &mut Layer, argument: &str) -> Result<(), ConfigError> {
    let error = |message: String| ConfigError::CommandLine {
        argument: argument.to_owned(),
        message,
    };
    let Some((key, value)) = argument.split_once('=') else {
        return Err(error(format!(
            "expected KEY=VALUE, like `max_peak=24MiB`; keys: {}",
            Budget::keys_list()
        )));
    };
    let key = key.trim();
    let source = ConfigSource::CommandLine {
        argument: format!("--budget {argument}"),
    };
    if Budget::from_key(key).is_none() {
        return Err(error(format!(
            "unknown budget `{key}`; budgets: {}",
            Budget::keys_list()
        )));
    }
    layer.set_from_text(key, value, source).map_err(error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Resource;

    #[test]
    fn budget_arguments_are_key_value_with_the_attribute_s_keys() {
        let mut layer = Layer::default();
        add_budget_argument(&mut layer, "max_peak=24MiB").unwrap();
        add_budget_argument(&mut layer, "max_fds_growth=1").unwrap();
        assert_eq!(layer.budgets[&Budget::Peak].value, 24 << 20);
        assert_eq!(
            layer.budgets[&Budget::Peak].source.to_string(),
            "[command line --budget max_peak=24MiB]"
        );
        assert_eq!(layer.budgets[&Budget::Growth(Resource::Fds)].value, 1);
        for (bad, expected) in [
            ("max_peak", "expected KEY=VALUE"),
            ("max_peek=1", "unknown budget `max_peek`"),
            ("iterations=5", "unknown budget `iterations`"),
            ("max_peak=1 mib", "write `MiB`"),
        ] {
            let error = add_budget_argument(&mut layer, bad)
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{bad}: {error}");
        }
    }

    #[test]
    fn the_command_line_profile_beats_the_environment_s() {
        let env = |name: &str| (name == ENV_PROFILE).then(|| "ci".to_owned());
        assert_eq!(ProfileChoice::select(Some("nightly"), &env).name, "nightly");
        let from_env = ProfileChoice::select(None, &env);
        assert_eq!(from_env.name, "ci");
        assert_eq!(from_env.selected_by, "LEAKTEST_PROFILE=ci");
        assert_eq!(ProfileChoice::select(None, &|_| None).name, "default");
    }

    #[test]
    fn without_a_file_only_the_default_profile_exists() {
        let default = ProfileChoice::select(None, &|_| None);
        assert!(default.profile_of(None).unwrap().layer.is_empty());
        let ci = ProfileChoice::select(Some("ci"), &|_| None);
        let error = ci.profile_of(None).unwrap_err().to_string();
        assert!(
            error.contains("profile `ci` (--profile ci) needs a Leaktest.toml"),
            "{error}"
        );
    }
}
