//! `Leaktest.toml`: parsed from the TOML document keeping every key's span,
//! so that an unknown key, a bad value or a bad unit is an error naming the
//! file, the line and the key.
//!
//! ```toml
//! [profile.default]
//! iterations = 100
//! max_peak = "64 MiB"
//!
//! [[profile.default.overrides]]
//! filter = "parser::*"
//! max_growth = "16 B"
//! reason = "the interner grows until 1k entries"
//!
//! [profile.ci]
//! inherits = "default"
//! iterations = 500
//! junit = "target/leaktest-junit.xml"
//! report = "target/leaktest-report"
//! ```

use super::error::{ConfigError, Location};
use super::layer::{self, Layer, Sourced};
use super::pattern::Pattern;
use crate::model::{Budget, ConfigSource};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The name of the configuration file.
pub const FILE_NAME: &str = "Leaktest.toml";
/// The profile used when none is selected, and that every other profile
/// inherits from unless it says `inherits`.
pub const DEFAULT_PROFILE: &str = "default";

/// Keys of a profile that configure the run rather than each test (read by
/// `cargo leaktest`; the harness ignores them).
const RUN_KEYS: [&str; 5] = [
    "junit",
    "report",
    "baseline_tolerance",
    "baseline_tolerance_bytes",
    "baseline_tolerance_count",
];

/// Settings of a whole `cargo leaktest` run, from the selected profile.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RunSettings {
    /// `junit = "path"`: where to write the JUnit report, relative paths
    /// taken from the file's directory.
    pub junit: Option<PathBuf>,
    /// `report = "dir"`: where to write the HTML report (`DIR/index.html`),
    /// relative paths taken from the file's directory.
    pub report: Option<PathBuf>,
    /// `baseline_tolerance = "10%"`: how far byte figures may rise over the
    /// baseline, in percent...
    pub baseline_tolerance_percent: Option<f64>,
    /// `baseline_tolerance_bytes = "64 KiB"`: ...and in bytes.
    pub baseline_tolerance_bytes: Option<u64>,
    /// `baseline_tolerance_count = "10%"`: how far counts may rise, in percent.
    pub baseline_tolerance_count_percent: Option<f64>,
}

impl RunSettings {
    /// Each setting of `self`, else of `parent`.
    fn or(self, parent: &RunSettings) -> RunSettings {
        RunSettings {
            junit: self.junit.or_else(|| parent.junit.clone()),
            report: self.report.or_else(|| parent.report.clone()),
            baseline_tolerance_percent: self
                .baseline_tolerance_percent
                .or(parent.baseline_tolerance_percent),
            baseline_tolerance_bytes: self
                .baseline_tolerance_bytes
                .or(parent.baseline_tolerance_bytes),
            baseline_tolerance_count_percent: self
                .baseline_tolerance_count_percent
                .or(parent.baseline_tolerance_count_percent),
        }
    }
}

/// One `[[profile.NAME.overrides]]` entry: settings for the tests its
/// filter matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// Which tests, by name.
    pub filter: Pattern,
    /// Only tests of this package, when given.
    pub package: Option<String>,
    /// Why, required when it raises a budget.
    pub reason: Option<String>,
    /// What it sets (sources name this override).
    pub layer: Layer,
    /// Where it is, for errors about it.
    pub location: Location,
    /// The profile it belongs to.
    pub profile: String,
}

impl Override {
    /// Whether it applies to test `name` of `package` (a test whose package
    /// is not known matches no override that names one).
    pub fn matches(&self, package: Option<&str>, name: &str) -> bool {
        let package_matches = match &self.package {
            Some(wanted) => package == Some(wanted.as_str()),
            None => true,
        };
        package_matches && self.filter.matches(name)
    }
}

/// One `[profile.NAME]` table, as written (before inheritance).
#[derive(Debug, Clone)]
struct ProfileTable {
    inherits: Option<Spanned<String>>,
    layer: Layer,
    overrides: Vec<Override>,
    run: RunSettings,
}

/// A parsed `Leaktest.toml`.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    path: PathBuf,
    text: String,
    profiles: BTreeMap<String, ProfileTable>,
}

/// The selected profile with what it inherits folded in: each setting from
/// the nearest profile of the chain that sets it, and the overrides of the
/// profile first, then those of the profiles it inherits from.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// The profile's name.
    pub name: String,
    /// Per-test settings (sources name the profile that set each).
    pub layer: Layer,
    /// Overrides, in the order they are tried (the first match wins).
    pub overrides: Vec<Override>,
    /// Settings of the whole run.
    pub run: RunSettings,
}

impl ConfigFile {
    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        ConfigFile::parse(path, &text)
    }

    /// Parses `text`, the contents of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
        let parser = Parser { path, text };
        let document = DeTable::parse(text).map_err(|error| parser.syntax_error(&error))?;
        let mut profiles = BTreeMap::new();
        for (key, value) in document.get_ref().iter() {
            match key.get_ref().as_ref() {
                "profile" => {
                    let table = parser.table(value, "profile")?;
                    for (name, profile) in table.iter() {
                        let name_text = name.get_ref().to_string();
                        let parsed = parser.profile(&name_text, profile)?;
                        profiles.insert(name_text, parsed);
                    }
                }
                other => {
                    return Err(parser.invalid(
                        key.span(),
                        other,
                        "unknown key: Leaktest.toml holds [profile.NAME] tables (like \
                         [profile.default]) and nothing else",
                    ))
                }
            }
        }
        let file = ConfigFile {
            path: path.to_owned(),
            text: text.to_owned(),
            profiles,
        };
        for name in file.profiles.keys() {
            file.chain(name)?;
        }
        Ok(file)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The profiles defined (`default` always exists, even when not written).
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.profiles.keys().cloned().collect();
        if !self.profiles.contains_key(DEFAULT_PROFILE) {
            names.insert(0, DEFAULT_PROFILE.to_owned());
        }
        names
    }

    /// Profile `name` with its inherited settings; `selected_by` says how it
    /// was asked for, for the error when it does not exist.
    pub fn profile(&self, name: &str, selected_by: &str) -> Result<Profile, ConfigError> {
        if name != DEFAULT_PROFILE && !self.profiles.contains_key(name) {
            return Err(ConfigError::UnknownProfile {
                profile: name.to_owned(),
                selected_by: selected_by.to_owned(),
                path: Some(self.path.clone()),
                available: self.profile_names(),
            });
        }
        let mut folded = Profile {
            name: name.to_owned(),
            ..Profile::default()
        };
        for table in self.chain(name)? {
            let layer = &table.layer;
            if folded.layer.iterations.is_none() {
                folded.layer.iterations = layer.iterations.clone();
            }
            if folded.layer.timeout_ms.is_none() {
                folded.layer.timeout_ms = layer.timeout_ms.clone();
            }
            if folded.layer.memory_limit_bytes.is_none() {
                folded.layer.memory_limit_bytes = layer.memory_limit_bytes.clone();
            }
            if folded.layer.confirm_ms.is_none() {
                folded.layer.confirm_ms = layer.confirm_ms.clone();
            }
            for (budget, limit) in &layer.budgets {
                folded
                    .layer
                    .budgets
                    .entry(*budget)
                    .or_insert_with(|| limit.clone());
            }
            folded.overrides.extend(table.overrides.iter().cloned());
            folded.run = folded.run.clone().or(&table.run);
        }
        Ok(folded)
    }

    /// The tables of `name` and of the profiles it inherits from, nearest
    /// first; an error for a cycle or a missing parent.
    fn chain(&self, name: &str) -> Result<Vec<&ProfileTable>, ConfigError> {
        let mut chain: Vec<(&str, &ProfileTable)> = Vec::new();
        let mut current = name;
        while let Some(table) = self.profiles.get(current) {
            if chain.iter().any(|(seen, _)| *seen == current) {
                let cycle: Vec<&str> = chain.iter().map(|(seen, _)| *seen).collect();
                let span = chain
                    .last()
                    .and_then(|(_, table)| table.inherits.as_ref())
                    .map_or(0..0, Spanned::span);
                return Err(self.invalid(
                    span,
                    &format!("profile.{}.inherits", cycle.last().copied().unwrap_or(name)),
                    &format!(
                        "profiles inherit in a circle ({} -> {current}): one of them must not inherit",
                        cycle.join(" -> ")
                    ),
                ));
            }
            chain.push((current, table));
            let parent = match &table.inherits {
                Some(parent) => {
                    let parent_name = parent.get_ref();
                    if parent_name != DEFAULT_PROFILE && !self.profiles.contains_key(parent_name) {
                        return Err(self.invalid(
                            parent.span(),
                            &format!("profile.{current}.inherits"),
                            &format!(
                                "there is no profile `{parent_name}` to inherit from; profiles: {}",
                                self.profile_names().join(", ")
                            ),
                        ));
                    }
                    parent_name.as_str()
                }
                None if current == DEFAULT_PROFILE => break,
                None => DEFAULT_PROFILE,
            };
            current = parent;
        }
        Ok(chain.into_iter().map(|(_, table)| table).collect())
    }

    fn invalid(&self, span: Range<usize>, key: &str, message: &str) -> ConfigError {
        Parser {
            path: &self.path,
            text: &self.text,
        }
        .invalid(span, key, message)
    }
}

/// Turns the TOML document into profiles, with errors located in `text`.
struct Parser<'a> {
    path: &'a Path,
    text: &'a str,
}

type Value<'i> = Spanned<DeValue<'i>>;

impl Parser<'_> {
    fn location(&self, span: Range<usize>) -> Location {
        Location::of(self.path, self.text, span)
    }

    fn invalid(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            location: self.location(span),
            key: key.to_owned(),
            message: message.into(),
        }
    }

    fn syntax_error(&self, error: &toml::de::Error) -> ConfigError {
        let span = error.span().unwrap_or(0..0);
        let location = self.location(span.clone());
        let line_start = self.text[..span.start.min(self.text.len())]
            .rfind('\n')
            .map_or(0, |index| index + 1);
        let key = self.text[line_start..]
            .lines()
            .next()
            .and_then(|line| line.split_once('='))
            .map(|(key, _)| key.trim())
            .filter(|key| {
                !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            })
            .map(str::to_owned);
        let message = match &key {
            Some(key) => format!("`{key}`: {}", error.message().trim()),
            None => error.message().trim().to_owned(),
        };
        ConfigError::Syntax {
            location,
            key,
            message,
        }
    }

    fn table<'v, 'i>(
        &self,
        value: &'v Value<'i>,
        key: &str,
    ) -> Result<&'v DeTable<'i>, ConfigError> {
        match value.get_ref() {
            DeValue::Table(table) => Ok(table),
            other => Err(self.invalid(
                value.span(),
                key,
                format!(
                    "expected a table, like [{key}.NAME], not a {}",
                    other.type_str()
                ),
            )),
        }
    }

    fn profile(&self, name: &str, value: &Value<'_>) -> Result<ProfileTable, ConfigError> {
        let table = self.table(value, &format!("profile.{name}"))?;
        let mut profile = ProfileTable {
            inherits: None,
            layer: Layer::default(),
            overrides: Vec::new(),
            run: RunSettings::default(),
        };
        let source = || ConfigSource::Profile {
            file: self.path.display().to_string(),
            profile: name.to_owned(),
        };
        for (key, value) in table.iter() {
            let key_text = key.get_ref().as_ref();
            let dotted = format!("profile.{name}.{key_text}");
            match key_text {
                "inherits" => {
                    profile.inherits = Some(Spanned::new(
                        value.span(),
                        self.string(value, &dotted, "inherits = \"default\"")?
                            .to_owned(),
                    ));
                }
                "overrides" => {
                    let DeValue::Array(entries) = value.get_ref() else {
                        return Err(self.invalid(
                            value.span(),
                            &dotted,
                            format!(
                                "expected a list of tables, written [[profile.{name}.overrides]], \
                                 not a {}",
                                value.get_ref().type_str()
                            ),
                        ));
                    };
                    for entry in entries.iter() {
                        profile
                            .overrides
                            .push(self.override_entry(name, key, entry)?);
                    }
                }
                "junit" => {
                    let path =
                        self.string(value, &dotted, "junit = \"target/leaktest-junit.xml\"")?;
                    profile.run.junit = Some(self.relative_to_file(path));
                }
                "report" => {
                    let example = "report = \"target/leaktest-report\"";
                    let path = self.string(value, &dotted, example)?;
                    if path.trim().is_empty() {
                        return Err(self.invalid(
                            value.span(),
                            &dotted,
                            format!("expected the report's directory, like `{example}`, not an empty string"),
                        ));
                    }
                    profile.run.report = Some(self.relative_to_file(path));
                }
                "baseline_tolerance" | "baseline_tolerance_count" => {
                    let percent = self.percent(value, &dotted)?;
                    if key_text == "baseline_tolerance" {
                        profile.run.baseline_tolerance_percent = Some(percent);
                    } else {
                        profile.run.baseline_tolerance_count_percent = Some(percent);
                    }
                }
                "baseline_tolerance_bytes" => {
                    let text =
                        self.scalar_text(value, &dotted, "baseline_tolerance_bytes = \"64 KiB\"")?;
                    let bytes = leaktest_units::parse_size(&text)
                        .map_err(|error| self.invalid(value.span(), &dotted, error.to_string()))?;
                    profile.run.baseline_tolerance_bytes = Some(bytes);
                }
                _ => {
                    if !self.set(&mut profile.layer, key_text, value, &dotted, source())? {
                        let valid: Vec<&str> = ["inherits", "overrides"]
                            .into_iter()
                            .chain(layer::test_keys())
                            .chain(RUN_KEYS)
                            .collect();
                        return Err(self.invalid(
                            key.span(),
                            &dotted,
                            format!(
                                "unknown key `{key_text}` in [profile.{name}]; valid keys: {}",
                                valid.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        Ok(profile)
    }

    fn override_entry(
        &self,
        profile: &str,
        overrides_key: &Spanned<std::borrow::Cow<'_, str>>,
        value: &Value<'_>,
    ) -> Result<Override, ConfigError> {
        let at = format!("profile.{profile}.overrides");
        let table = self.table(value, &at)?;
        let mut filter = None;
        let mut package = None;
        let mut reason = None;
        let mut values = Vec::new();
        for (key, value) in table.iter() {
            let key_text = key.get_ref().as_ref();
            let dotted = format!("{at}.{key_text}");
            match key_text {
                "filter" => {
                    filter = Some(
                        self.string(value, &dotted, "filter = \"parser::*\"")?
                            .to_owned(),
                    )
                }
                "package" => {
                    package = Some(
                        self.string(value, &dotted, "package = \"my-crate\"")?
                            .to_owned(),
                    )
                }
                "reason" => {
                    reason = Some(self.string(value, &dotted, "reason = \"why\"")?.to_owned())
                }
                _ if layer::is_test_key(key_text) => {
                    values.push((key_text.to_owned(), value, dotted));
                }
                _ => {
                    let valid: Vec<&str> = ["filter", "package", "reason"]
                        .into_iter()
                        .chain(layer::test_keys())
                        .collect();
                    return Err(self.invalid(
                        key.span(),
                        &dotted,
                        format!(
                            "unknown key `{key_text}` in an override of profile.{profile}; valid keys: {}",
                            valid.join(", ")
                        ),
                    ));
                }
            }
        }
        // An override's span may be empty for `[[...]]` headers: point at
        // its first key, or at the `overrides` key.
        let span = table
            .iter()
            .next()
            .map(|(key, _)| key.span())
            .unwrap_or_else(|| overrides_key.span());
        let Some(filter) = filter else {
            return Err(self.invalid(
                span,
                &format!("{at}.filter"),
                "an override needs `filter = \"...\"`: a test name pattern such as \"parser::*\"",
            ));
        };
        let source = ConfigSource::Override {
            file: self.path.display().to_string(),
            profile: profile.to_owned(),
            filter: filter.clone(),
            reason: reason.clone(),
        };
        let mut layer = Layer::default();
        for (key, value, dotted) in values {
            self.set(&mut layer, &key, value, &dotted, source.clone())?;
        }
        Ok(Override {
            filter: Pattern::new(filter),
            package,
            reason,
            layer,
            location: self.location(span),
            profile: profile.to_owned(),
        })
    }

    /// Sets a per-test key of `layer`; `Ok(false)` when `key` is not one.
    fn set(
        &self,
        layer: &mut Layer,
        key: &str,
        value: &Value<'_>,
        dotted: &str,
        source: ConfigSource,
    ) -> Result<bool, ConfigError> {
        if !layer::is_test_key(key) {
            return Ok(false);
        }
        let wants_string = layer::takes_text(key);
        let text = match value.get_ref() {
            DeValue::Integer(integer) if integer.radix() == 10 => integer.as_str().to_owned(),
            DeValue::String(text) if wants_string => text.to_string(),
            other => {
                let expected = if key == "timeout" {
                    "a string"
                } else if wants_string {
                    "a size string or a whole number of bytes"
                } else {
                    "a whole number"
                };
                return Err(self.invalid(
                    value.span(),
                    dotted,
                    format!(
                        "expected {expected}, like `{}`, not a {}",
                        layer::example(key),
                        other.type_str()
                    ),
                ));
            }
        };
        if key == "timeout" && !matches!(value.get_ref(), DeValue::String(_)) {
            return Err(self.invalid(
                value.span(),
                dotted,
                format!("expected a string, like `{}`", layer::example(key)),
            ));
        }
        layer
            .set_from_text(key, &text, source)
            .map_err(|message| self.invalid(value.span(), dotted, message))
    }

    /// `path` as written in the file: relative paths are taken from the
    /// file's directory, so the file means the same from any working directory.
    fn relative_to_file(&self, path: &str) -> PathBuf {
        self.path.parent().unwrap_or(Path::new(".")).join(path)
    }

    fn string<'v>(
        &self,
        value: &'v Value<'_>,
        dotted: &str,
        example: &str,
    ) -> Result<&'v str, ConfigError> {
        match value.get_ref() {
            DeValue::String(text) => Ok(text.as_ref()),
            other => Err(self.invalid(
                value.span(),
                dotted,
                format!(
                    "expected a string, like `{example}`, not a {}",
                    other.type_str()
                ),
            )),
        }
    }

    /// A string, or a number written as its text.
    fn scalar_text(
        &self,
        value: &Value<'_>,
        dotted: &str,
        example: &str,
    ) -> Result<String, ConfigError> {
        match value.get_ref() {
            DeValue::String(text) => Ok(text.to_string()),
            DeValue::Integer(integer) if integer.radix() == 10 => Ok(integer.as_str().to_owned()),
            DeValue::Float(float) => Ok(float.as_str().to_owned()),
            other => Err(self.invalid(
                value.span(),
                dotted,
                format!(
                    "expected a string or a number, like `{example}`, not a {}",
                    other.type_str()
                ),
            )),
        }
    }

    fn percent(&self, value: &Value<'_>, dotted: &str) -> Result<f64, ConfigError> {
        let key = dotted.rsplit('.').next().unwrap_or(dotted);
        let text = self.scalar_text(value, dotted, &format!("{key} = \"10%\""))?;
        leaktest_units::parse_percent(&text)
            .map_err(|error| self.invalid(value.span(), dotted, error.to_string()))
    }
}

impl Sourced<u64> {
    /// The value with its unit for `budget`, and its source, for messages:
    /// `16 B [Leaktest.toml profile.default]`.
    pub(crate) fn describe(&self, budget: Budget) -> String {
        format!(
            "{} {}",
            crate::render::budget_limit(budget, self.value),
            self.source
        )
    }
}

#[cfg(test)]
mod tests;
