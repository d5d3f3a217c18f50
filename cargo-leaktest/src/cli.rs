//! The command line of `cargo leaktest`.
//!
//! Cargo runs `cargo-leaktest leaktest ARGS...` for `cargo leaktest ARGS...`;
//! the binary also accepts being run directly, without the `leaktest` word.

use crate::exit_codes;
use clap::{ArgAction, Parser, ValueEnum};
use leaktest_core::protocol::{MAX_ITERATIONS, MIN_ITERATIONS};
use leaktest_core::render::format_count;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// Find, build and run the leak tests of a workspace, each in a process of its own.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-leaktest",
    bin_name = "cargo leaktest",
    version,
    about = "Find, build and run the leak tests of a workspace, each in a process of its own.",
    long_about = "Find, build and run the leak tests of a workspace, each in a process of its own.\n\n\
        Test targets with `harness = false` whose package depends on leaktest-core are built \
        with `cargo test --no-run`; each binary that ends with `leaktest_core::main!()` \
        describes its tests, and every selected test runs in a child process with its timeout.",
    after_help = exit_codes::HELP,
    after_long_help = exit_codes::HELP
)]
pub struct Args {
    /// Run only the tests whose name contains one of these strings (all tests when none).
    #[arg(value_name = "FILTERS")]
    pub filters: Vec<String>,

    /// Arguments after `--`, read as libtest reads them: filters, `--exact`,
    /// `--skip NAME`, `--ignored`, `--include-ignored`, `--nocapture`, `--list`.
    #[arg(last = true, value_name = "HARNESS ARGS", allow_hyphen_values = true)]
    pub harness_args: Vec<String>,

    /// Path to the Cargo.toml of the package or workspace.
    #[arg(long, value_name = "PATH", help_heading = "Package Selection")]
    pub manifest_path: Option<PathBuf>,

    /// Test only this package (repeatable; `name` or `name@version`).
    #[arg(
        short = 'p',
        long = "package",
        value_name = "SPEC",
        help_heading = "Package Selection"
    )]
    pub packages: Vec<String>,

    /// Test every member of the workspace.
    #[arg(long, visible_alias = "all", help_heading = "Package Selection")]
    pub workspace: bool,

    /// Leave this package out of `--workspace` (repeatable).
    #[arg(
        long,
        value_name = "SPEC",
        requires = "workspace",
        help_heading = "Package Selection"
    )]
    pub exclude: Vec<String>,

    /// Run only this test target (repeatable), e.g. `--test leaks` for `tests/leaks.rs`.
    #[arg(
        long = "test",
        value_name = "NAME",
        help_heading = "Target and Test Selection"
    )]
    pub test_targets: Vec<String>,

    /// Match filters against whole test names instead of substrings.
    #[arg(long, help_heading = "Target and Test Selection")]
    pub exact: bool,

    /// Leave out tests whose name contains this string (repeatable; whole names with `--exact`).
    #[arg(
        long,
        value_name = "FILTER",
        help_heading = "Target and Test Selection"
    )]
    pub skip: Vec<String>,

    /// Run only the ignored tests.
    #[arg(
        long,
        conflicts_with = "include_ignored",
        help_heading = "Target and Test Selection"
    )]
    pub ignored: bool,

    /// Run the ignored tests too.
    #[arg(long, help_heading = "Target and Test Selection")]
    pub include_ignored: bool,

    /// List the selected tests with their target and settings, and the test
    /// targets skipped as not leaktest harnesses; run nothing.
    #[arg(long, help_heading = "Target and Test Selection")]
    pub list: bool,

    /// Features to activate (space or comma separated; repeatable).
    #[arg(
        short = 'F',
        long,
        value_name = "FEATURES",
        help_heading = "Feature Selection"
    )]
    pub features: Vec<String>,

    /// Activate all features.
    #[arg(long, help_heading = "Feature Selection")]
    pub all_features: bool,

    /// Do not activate the `default` feature.
    #[arg(long, help_heading = "Feature Selection")]
    pub no_default_features: bool,

    /// Build with the release profile.
    #[arg(
        short = 'r',
        long,
        conflicts_with = "profile",
        help_heading = "Compilation Options"
    )]
    pub release: bool,

    /// Build with this profile.
    #[arg(long, value_name = "NAME", help_heading = "Compilation Options")]
    pub profile: Option<String>,

    /// Directory for all generated artifacts.
    #[arg(long, value_name = "DIR", help_heading = "Compilation Options")]
    pub target_dir: Option<PathBuf>,

    /// Require Cargo.lock to be up to date (passed to cargo).
    #[arg(long, help_heading = "Manifest Options")]
    pub locked: bool,

    /// Run without accessing the network (passed to cargo).
    #[arg(long, help_heading = "Manifest Options")]
    pub offline: bool,

    /// Both `--locked` and `--offline` (passed to cargo).
    #[arg(long, help_heading = "Manifest Options")]
    pub frozen: bool,

    /// Run at most this many tests at once [default: number of CPUs].
    #[arg(
        short = 'j',
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..),
        help_heading = "Run Options"
    )]
    pub jobs: Option<u32>,

    /// Kill every test still running after this long, overriding the tests'
    /// own `timeout` (e.g. `90s`, `500ms`, `2m`; a bare number is seconds; at most 7 days).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Run Options")]
    pub timeout: Option<Duration>,

    /// Run every test for this many iterations, overriding its own (4 to 10,000,000).
    #[arg(
        long,
        value_name = "N",
        value_parser = parse_iterations,
        help_heading = "Run Options"
    )]
    pub iterations: Option<u64>,

    /// Keep starting tests after one fails (by default no new test starts
    /// after the first failure; the ones already running are still reported).
    #[arg(long, help_heading = "Run Options")]
    pub no_fail_fast: bool,

    /// Let the tests print to the terminal instead of keeping the tail of
    /// their output for the failure report.
    #[arg(long, alias = "no-capture", help_heading = "Run Options")]
    pub nocapture: bool,

    /// How to report: `human` text or `json` lines on stdout (see the README).
    #[arg(
        long,
        value_enum,
        value_name = "FMT",
        default_value_t = MessageFormat::Human,
        help_heading = "Output Options"
    )]
    pub message_format: MessageFormat,

    /// When to use colors (`NO_COLOR` set in the environment means never for `auto`).
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value_t = ColorChoice::Auto,
        help_heading = "Output Options"
    )]
    pub color: ColorChoice,

    /// Print less: only failures and the summary.
    #[arg(
        short,
        long,
        conflicts_with = "verbose",
        help_heading = "Output Options"
    )]
    pub quiet: bool,

    /// Print more: growth lines of every leaking resource, cargo's commands (repeatable).
    #[arg(short, long, action = ArgAction::Count, help_heading = "Output Options")]
    pub verbose: u8,
}

/// Report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    /// Text for people, with a progress bar on a terminal.
    Human,
    /// One JSON object per line on stdout.
    Json,
}

/// When to use colors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When stdout is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl Args {
    /// Parses the process arguments, exiting with code 2 on a usage error
    /// (and 0 for `--help` and `--version`).
    pub fn from_env() -> Args {
        Args::parse_from(strip_subcommand_word(std::env::args_os()))
    }
}

/// What the arguments after `--` asked for, read the way libtest reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HarnessArgs {
    /// Positional filters.
    pub filters: Vec<String>,
    /// `--exact`.
    pub exact: bool,
    /// `--skip NAME`s.
    pub skip: Vec<String>,
    /// `--ignored`.
    pub ignored: bool,
    /// `--include-ignored`.
    pub include_ignored: bool,
    /// `--nocapture`.
    pub nocapture: bool,
    /// `--list`.
    pub list: bool,
    /// `--test-threads N`.
    pub test_threads: Option<u32>,
}

/// Reads libtest arguments given after `--`. Flags that only shape libtest's
/// own output (`-q`, `--quiet`, `--show-output`) are accepted and ignored.
pub fn parse_harness_args(args: &[String]) -> Result<HarnessArgs, String> {
    let mut parsed = HarnessArgs::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = |flag: &str| {
            inline_value
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("`{flag}` needs a value"))
        };
        match flag {
            "--exact" => parsed.exact = true,
            "--ignored" => parsed.ignored = true,
            "--include-ignored" => parsed.include_ignored = true,
            "--nocapture" | "--no-capture" => parsed.nocapture = true,
            "--list" => parsed.list = true,
            "-q" | "--quiet" | "--show-output" => {}
            "--skip" => parsed.skip.push(value(flag)?),
            "--test-threads" => {
                let threads = value(flag)?;
                let threads = threads
                    .parse::<u32>()
                    .ok()
                    .filter(|&threads| threads > 0)
                    .ok_or_else(|| {
                        format!("`--test-threads {threads}` is not a positive number")
                    })?;
                parsed.test_threads = Some(threads);
            }
            other if other.starts_with('-') => {
                return Err(format!("unsupported harness argument `{arg}`"));
            }
            _ => parsed.filters.push(arg.clone()),
        }
    }
    Ok(parsed)
}

/// Drops the `leaktest` word cargo inserts after the program name.
pub fn strip_subcommand_word(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    if args.get(1).is_some_and(|word| word == "leaktest") {
        args.remove(1);
    }
    args
}

/// The longest `--timeout`: longer is surely a typo, and far beyond it the
/// deadline arithmetic would overflow.
const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Parses `--iterations`, within the bounds the harness accepts for an
/// override ([`MIN_ITERATIONS`] to [`MAX_ITERATIONS`]).
pub fn parse_iterations(text: &str) -> Result<u64, String> {
    let iterations: u64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number of iterations"))?;
    if iterations < MIN_ITERATIONS {
        return Err(format!(
            "at least {MIN_ITERATIONS} iterations are needed to judge growth: \
             warm-up iterations are not judged, and a trend takes several more"
        ));
    }
    if iterations > MAX_ITERATIONS {
        return Err(format!(
            "at most {} iterations are allowed (their samples are kept in memory)",
            format_count(MAX_ITERATIONS as i64)
        ));
    }
    Ok(iterations)
}

/// Parses `90s`, `1.5s`, `500ms`, `2m`, `1h`, or a bare number of seconds,
/// up to [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. `90s`, `500ms`, `2m`)"))?;
    let seconds_per_unit = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1.0,
        "ms" => 0.001,
        "m" | "min" | "mins" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}` (use ms, s, m or h)"
            ))
        }
    };
    let seconds = value * seconds_per_unit;
    if seconds > MAX_DURATION.as_secs_f64() {
        return Err(format!(
            "`{text}` is too long: the timeout can be at most 7 days"
        ));
    }
    let duration =
        Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is out of range"))?;
    if duration.is_zero() {
        return Err("the timeout must be longer than zero".to_owned());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn cargo_s_subcommand_word_is_dropped() {
        let args =
            strip_subcommand_word(["cargo-leaktest", "leaktest", "--list"].map(OsString::from));
        assert_eq!(args, ["cargo-leaktest", "--list"].map(OsString::from));
        let direct = strip_subcommand_word(["cargo-leaktest", "foo"].map(OsString::from));
        assert_eq!(direct, ["cargo-leaktest", "foo"].map(OsString::from));
    }

    #[test]
    fn durations_take_the_attribute_s_units() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3 fortnights").is_err());
    }

    #[test]
    fn durations_are_capped_at_7_days() {
        assert_eq!(
            parse_duration("168h"),
            Ok(Duration::from_secs(7 * 24 * 3600))
        );
        for huge in ["169h", "3000000000000000h", "99999999999999999999999s"] {
            let error = parse_duration(huge).unwrap_err();
            assert!(error.contains("at most 7 days"), "{huge}: {error}");
        }
        let error =
            Args::try_parse_from(["cargo-leaktest", "--timeout", "3000000000000000h"]).unwrap_err();
        assert_eq!(error.exit_code(), exit_codes::SETUP_ERROR);
    }

    #[test]
    fn iterations_must_be_enough_to_judge_and_not_absurd() {
        assert_eq!(parse_iterations("4"), Ok(4));
        assert_eq!(parse_iterations("10000000"), Ok(10_000_000));
        for few in ["0", "3"] {
            let error = parse_iterations(few).unwrap_err();
            assert!(
                error.starts_with("at least 4 iterations are needed to judge growth: "),
                "{few}: {error}"
            );
        }
        assert!(parse_iterations("10000001")
            .unwrap_err()
            .contains("at most 10,000,000"));
        assert!(parse_iterations("-5").is_err());
        assert!(parse_iterations("many").is_err());
        let args = Args::try_parse_from(["cargo-leaktest", "--iterations", "2"]);
        assert!(args.is_err());
    }

    #[test]
    fn harness_args_read_like_libtest() {
        let args: Vec<String> = [
            "foo",
            "--exact",
            "--skip",
            "bar",
            "--skip=baz",
            "--test-threads=2",
            "-q",
        ]
        .map(str::to_owned)
        .to_vec();
        let parsed = parse_harness_args(&args).unwrap();
        assert_eq!(parsed.filters, ["foo"]);
        assert!(parsed.exact);
        assert_eq!(parsed.skip, ["bar", "baz"]);
        assert_eq!(parsed.test_threads, Some(2));
        assert!(parse_harness_args(&["--bench".to_owned()]).is_err());
        assert!(parse_harness_args(&["--skip".to_owned()]).is_err());
    }

    #[test]
    fn filters_and_harness_args_are_kept_apart() {
        let args = Args::parse_from(["cargo-leaktest", "foo", "--exact", "--", "--skip", "bar"]);
        assert_eq!(args.filters, ["foo"]);
        assert!(args.exact);
        assert_eq!(args.harness_args, ["--skip", "bar"]);
    }
}
