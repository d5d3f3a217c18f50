//! What can be wrong with the configuration: each error names the file, the
//! line and the key (or the environment variable) and says what to write.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A place in a configuration file: line and column (1-based), and the
/// line's text with the spot underlined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub path: PathBuf,
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters.
    pub column: usize,
    /// The line's text, and a caret line under the spot.
    snippet: String,
}

impl Location {
    /// The location of byte range `span` of `text`, the contents of `path`.
    pub(crate) fn of(path: &Path, text: &str, span: Range<usize>) -> Location {
        let start = span.start.min(text.len());
        let start = (0..=start)
            .rev()
            .find(|&index| text.is_char_boundary(index))
            .unwrap_or(0);
        let line_start = text[..start].rfind('\n').map_or(0, |index| index + 1);
        let line_end = text[start..]
            .find('\n')
            .map_or(text.len(), |index| start + index);
        let line_text = text[line_start..line_end].trim_end_matches('\r');
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let end = span.end.clamp(start, line_end.max(start));
        let width = text
            .get(start..end)
            .map_or(1, |underlined| underlined.chars().count().max(1));
        let gutter = line.to_string();
        let snippet = format!(
            "{gutter} | {line_text}\n{:width$} | {}{}",
            "",
            " ".repeat(column - 1),
            "^".repeat(width),
            width = gutter.len()
        );
        Location {
            path: path.to_owned(),
            line,
            column,
            snippet,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// Why the configuration cannot be used. Every variant says where and what
/// to write instead; runners stop before any test runs (`cargo leaktest`
/// exits 2, the harness too).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("could not read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{location}: {message}\n{}", location.snippet)]
    Syntax {
        /// Where.
        location: Location,
        /// The key of the line, when one can be told.
        key: Option<String>,
        /// toml's message.
        message: String,
    },
    /// A key the file may not hold, or a value it may not have.
    #[error("{location}: `{key}`: {message}\n{}", location.snippet)]
    Invalid {
        /// Where.
        location: Location,
        /// The key (dotted from the profile: `profile.ci.max_peak`).
        key: String,
        /// What is wrong and what to write.
        message: String,
    },
    /// The profile asked for is not in the file.
    #[error("{}", unknown_profile_message(.profile, .selected_by, .path.as_deref(), .available))]
    UnknownProfile {
        /// The profile's name.
        profile: String,
        /// How it was asked for (`--profile`, `LEAKTEST_PROFILE`).
        selected_by: String,
        /// The file looked in, if one was found.
        path: Option<PathBuf>,
        /// The profiles there are.
        available: Vec<String>,
    },
    /// An override raises a test's budget above what it would have without
    /// the override, and gives no `reason`.
    #[error("{0}")]
    LoosenedWithoutReason(Box<Loosened>),
    /// An environment variable leaktest reads has a value it cannot use.
    #[error("{variable}={value:?}: {message}")]
    Environment {
        /// The variable.
        variable: String,
        /// Its value.
        value: String,
        /// What is wrong and what to write.
        message: String,
    },
    /// A `--budget` argument is not `KEY=VALUE` with a known key and a valid value.
    #[error("--budget {argument:?}: {message}")]
    CommandLine {
        /// The argument as given.
        argument: String,
        /// What is wrong and what to write.
        message: String,
    },
}

/// An override that raises a budget without saying why.
#[derive(Debug, thiserror::Error)]
#[error(
    "{location}: override {filter:?} of profile.{profile} raises `{budget}` of test `{test}` \
     from {from} to {to} without a reason: add `reason = \"...\"` to the override saying why \
     this test may use more\n{}",
    location.snippet
)]
#[non_exhaustive]
pub struct Loosened {
    /// Where the override is.
    pub location: Location,
    /// Its profile.
    pub profile: String,
    /// Its filter.
    pub filter: String,
    /// The test it matched.
    pub test: String,
    /// The budget key.
    pub budget: String,
    /// The budget without the override, and its source.
    pub from: String,
    /// The override's value.
    pub to: String,
}

fn unknown_profile_message(
    profile: &str,
    selected_by: &str,
    path: Option<&Path>,
    available: &[String],
) -> String {
    match path {
        Some(path) => format!(
            "profile `{profile}` ({selected_by}) is not defined in {}: add a [profile.{profile}] \
             table, or use one of: {}",
            path.display(),
            available.join(", ")
        ),
        None => format!(
            "profile `{profile}` ({selected_by}) needs a Leaktest.toml, and none was found \
             (leaktest looks in the package's directory and its parents up to the workspace root)"
        ),
    }
}

impl ConfigError {
    /// The file the error is in, if it is about one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ConfigError::Read { path, .. } => Some(path),
            ConfigError::Syntax { location, .. } | ConfigError::Invalid { location, .. } => {
                Some(&location.path)
            }
            ConfigError::LoosenedWithoutReason(loosened) => Some(&loosened.location.path),
            ConfigError::UnknownProfile { path, .. } => path.as_deref(),
            ConfigError::Environment { .. } | ConfigError::CommandLine { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_counts_lines_and_columns_and_underlines_the_span() {
        let text = "[profile.default]\nmax_peek = 1\n";
        let location = Location::of(Path::new("/ws/Leaktest.toml"), text, 18..26);
        assert_eq!((location.line, location.column), (2, 1));
        assert_eq!(location.to_string(), "/ws/Leaktest.toml:2:1");
        assert_eq!(location.snippet, "2 | max_peek = 1\n  | ^^^^^^^^");
        let at_end = Location::of(Path::new("f"), text, text.len()..text.len());
        assert_eq!(at_end.line, 3);
    }
}
