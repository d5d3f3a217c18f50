//! The CI side of a run, wired by [`crate::run`]: the reports a run writes
//! besides the one on stdout (`--junit`, GitHub Actions), what an empty run
//! says, and the notes about baselines.

use crate::baseline::gate::Saved;
use crate::cli::{Args, MessageFormat};
use crate::no_tests::{Emptiness, NoTestsMode};
use crate::output::github::GithubReporter;
use crate::output::junit::JunitReporter;
use crate::output::Reporter;
use crate::source_paths::SourcePaths;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The reporters `args` ask for besides the one on stdout: the JUnit file
/// (`junit`: `--junit`, else Leaktest.toml's `junit`), and on GitHub Actions
/// the annotations (on stdout, or on stderr when stdout carries JSON lines)
/// and the step summary; each with where it writes, for its error.
pub fn extra_reporters(
    args: &Args,
    junit: Option<&Path>,
    workspace_root: &Path,
) -> Vec<(String, Box<dyn Reporter>)> {
    let mut reporters: Vec<(String, Box<dyn Reporter>)> = Vec::new();
    let github = args
        .github_actions
        .enabled(std::env::var("GITHUB_ACTIONS").ok().as_deref());
    if junit.is_none() && !github {
        return reporters;
    }
    let paths = SourcePaths::from_env(workspace_root);
    if let Some(path) = junit {
        reporters.push((
            format!("the JUnit report {}", path.display()),
            Box::new(JunitReporter::new(path.to_owned(), paths.clone())),
        ));
    }
    if github {
        let summary = std::env::var_os("GITHUB_STEP_SUMMARY")
            .filter(|value| !value.is_empty())
            .map(PathBuf::from);
        let reporter: (&str, Box<dyn Reporter>) = match args.message_format {
            MessageFormat::Json => (
                "stderr",
                Box::new(GithubReporter::new(io::stderr(), paths, summary)),
            ),
            MessageFormat::Human => (
                "stdout",
                Box::new(GithubReporter::new(io::stdout(), paths, summary)),
            ),
        };
        reporters.push((
            format!(
                "the GitHub Actions annotations (on {}) or step summary",
                reporter.0
            ),
            reporter.1,
        ));
    }
    reporters
}

/// Says on stderr why the run is empty, if it is; returns whether that
/// fails the run (`--no-tests=fail`).
pub fn announce_emptiness(emptiness: &Emptiness, mode: NoTestsMode) -> bool {
    match (emptiness, mode) {
        (Emptiness::HasTests, _) | (Emptiness::NoTests { .. }, NoTestsMode::Pass) => false,
        (Emptiness::EmptyShard { note }, _) => {
            say(format_args!(
                "{} {note}",
                console::style("note:").for_stderr().bold()
            ));
            false
        }
        (Emptiness::NoTests { message }, NoTestsMode::Warn) => {
            warn(message);
            false
        }
        (Emptiness::NoTests { message }, NoTestsMode::Fail) => {
            error(&format!(
                "{message} (`--no-tests=warn` or `--no-tests=pass` accepts an empty run)"
            ));
            true
        }
    }
}

/// `warning: ...` on stderr.
pub fn warn(message: &str) {
    say(format_args!(
        "{} {message}",
        console::style("warning:").for_stderr().yellow().bold()
    ));
}

/// `error: ...` on stderr.
pub fn error(message: &str) {
    say(format_args!(
        "{} {message}",
        console::style("error:").for_stderr().red().bold()
    ));
}

/// One line on stderr. Unlike `eprintln!`, a stderr that cannot be written
/// (`2>&1 | head`) does not panic and end the run: the line is let go, and
/// the exit code still tells how the run went.
pub fn say(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr(), "{line}");
}

/// Says on stderr where the baseline was saved, or why not.
pub fn announce_saved(saved: &Saved) {
    match saved {
        Saved::Written { path, tests } => say(format_args!(
            "{} saved the baseline of {tests} test{} to {}",
            console::style("note:").for_stderr().bold(),
            if *tests == 1 { "" } else { "s" },
            path.display()
        )),
        Saved::Skipped { path, why } => warn(&format!(
            "the baseline {} was not saved: {why}",
            path.display()
        )),
    }
}
