//! The command line of `cargo leaktest`.
//!
//! Cargo runs `cargo-leaktest leaktest ARGS...` for `cargo leaktest ARGS...`;
//! the binary also accepts being run directly, without the `leaktest` word.

use crate::baseline::file::{parse_name, Location};
use crate::baseline::{BaselineOptions, Tolerance};
use crate::exit_codes;
use crate::no_tests::NoTestsMode;
use crate::partition::Partition;
use clap::{ArgAction, Parser, Subcommand, ValueEnum};
use leaktest_core::attribution::AttributionPolicy;
use leaktest_core::config::{add_budget_argument, Layer, RunSettings};
use leaktest_core::protocol::{MAX_ITERATIONS, MIN_ITERATIONS, MIN_MEMORY_LIMIT_BYTES};
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
    after_long_help = exit_codes::HELP,
    args_conflicts_with_subcommands = true
)]
pub struct Args {
    /// Another command instead of running tests.
    #[command(subcommand)]
    pub command: Option<Command>,

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

    /// Run only shard M of N of the selected tests: `hash:M/N` (a test keeps
    /// its shard when tests are added) or `slice:M/N` (even shard sizes).
    #[arg(
        long,
        value_name = "SPEC",
        value_parser = parse_partition,
        help_heading = "Target and Test Selection"
    )]
    pub partition: Option<Partition>,

    /// What a run with no test to run is: `fail` (exit code 4), `warn` or
    /// `pass`. An empty --partition shard passes when other shards have tests.
    #[arg(
        long,
        value_enum,
        value_name = "ACTION",
        default_value_t = NoTestsMode::Fail,
        help_heading = "Target and Test Selection"
    )]
    pub no_tests: NoTestsMode,

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
        conflicts_with = "cargo_profile",
        help_heading = "Compilation Options"
    )]
    pub release: bool,

    /// Build with this cargo profile (cargo's `--profile`).
    #[arg(long, value_name = "NAME", help_heading = "Compilation Options")]
    pub cargo_profile: Option<String>,

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

    /// Run every test for this many iterations, overriding its own (4 to
    /// 10,000,000) [default: each test's own; or `LEAKTEST_ITERATIONS`].
    #[arg(
        long,
        value_name = "N",
        value_parser = parse_iterations,
        help_heading = "Run Options"
    )]
    pub iterations: Option<u64>,

    /// Use this profile of Leaktest.toml (default: `$LEAKTEST_PROFILE`, else `default`).
    #[arg(long, value_name = "NAME", help_heading = "Run Options")]
    pub profile: Option<String>,

    /// Hold every test to this budget, overriding Leaktest.toml, the
    /// environment and the attribute (repeatable): `max_peak=24MiB`,
    /// `max_growth=64B`, `max_fds_growth=1`, `max_alloc_per_iter=4KiB`,
    /// `max_allocs_per_iter=12`, ...
    #[arg(
        long = "budget",
        value_name = "KEY=VALUE",
        value_parser = parse_budget,
        help_heading = "Run Options"
    )]
    pub budgets: Vec<String>,

    /// Stop every test whose live heap passes this size as out of memory,
    /// overriding the tests' own `memory_limit` (e.g. `4GiB`, `512MiB`; at
    /// least 16 MiB) [default: each test's own, 2 GiB unless set; or
    /// `LEAKTEST_MEMORY_LIMIT`].
    #[arg(
        long,
        value_name = "SIZE",
        value_parser = parse_memory_limit,
        help_heading = "Run Options"
    )]
    pub memory_limit: Option<u64>,

    /// Keep starting tests after one fails (by default no new test starts
    /// after the first failure; the ones already running are still reported).
    #[arg(long, help_heading = "Run Options")]
    pub no_fail_fast: bool,

    /// Also find the allocation sites of passing tests (by default only
    /// tests whose heap leaks are run again under dhat's profiler to find
    /// them), for profiling. Overrides `LEAKTEST_ATTRIBUTE`.
    #[arg(long, conflicts_with = "no_attribute", help_heading = "Run Options")]
    pub attribute: bool,

    /// Do not run a test whose heap leaks again to find its allocation sites.
    /// Overrides `LEAKTEST_ATTRIBUTE` (`off`, `failures`, `all`).
    #[arg(long, help_heading = "Run Options")]
    pub no_attribute: bool,

    /// Let the tests print to the terminal instead of keeping the tail of
    /// their output for the failure report.
    ///
    /// With `--message-format json` their stdout goes to stderr, so stdout
    /// holds only JSON lines.
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

    /// Also write a JUnit XML report of the run to this file (after Ctrl-C too).
    #[arg(long, value_name = "PATH", help_heading = "Output Options")]
    pub junit: Option<PathBuf>,

    /// Annotate failing tests and write the job summary as GitHub Actions
    /// shows them: `auto` when `GITHUB_ACTIONS=true`, `always`, `never`.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value_t = GithubActions::Auto,
        help_heading = "Output Options"
    )]
    pub github_actions: GithubActions,

    /// Also write an HTML report of the run to DIR/index.html (after Ctrl-C too).
    ///
    /// One self-contained file that opens offline: a table of every test with
    /// its budgets, and per test a plot of each resource over the iterations
    /// with the warm-up, the retained floor, the judged late half and its
    /// budget. Without this flag, the profile's `report` in Leaktest.toml.
    #[arg(long, value_name = "DIR", help_heading = "Output Options")]
    pub report: Option<PathBuf>,

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

    /// Compare every test with the baseline saved as NAME (in
    /// `<target dir>/leaktest/baselines/`); a regression fails the run.
    #[arg(
        long,
        value_name = "NAME",
        value_parser = parse_name,
        conflicts_with = "baseline_file",
        help_heading = "Baseline Options"
    )]
    pub baseline: Option<String>,

    /// Compare every test with the baseline in this file (committed, or a CI artifact).
    #[arg(long, value_name = "PATH", help_heading = "Baseline Options")]
    pub baseline_file: Option<PathBuf>,

    /// Save what every test measured as the baseline NAME (after comparing, if
    /// --baseline names the same).
    #[arg(
        long,
        value_name = "NAME",
        value_parser = parse_name,
        conflicts_with = "save_baseline_file",
        help_heading = "Baseline Options"
    )]
    pub save_baseline: Option<String>,

    /// Save what every test measured as a baseline in this file.
    #[arg(long, value_name = "PATH", help_heading = "Baseline Options")]
    pub save_baseline_file: Option<PathBuf>,

    /// Fail (exit 2) instead of warning when the baseline was measured on
    /// another target, build profile or allocator.
    #[arg(long, help_heading = "Baseline Options")]
    pub strict_baseline: bool,

    /// Peak heap and bytes allocated per iteration regress when they rose by
    /// more than this percentage of the baseline... [default: Leaktest.toml's
    /// `baseline_tolerance`, else 10%]
    #[arg(
        long,
        value_name = "PERCENT",
        value_parser = parse_percent,
        help_heading = "Baseline Options"
    )]
    pub baseline_tolerance: Option<f64>,

    /// ...and by more than this many bytes (`64KiB`, `1MB`, `512`; KiB = 1024,
    /// KB = 1000) [default: Leaktest.toml's `baseline_tolerance_bytes`, else 64KiB]
    #[arg(
        long,
        value_name = "SIZE",
        value_parser = parse_size,
        help_heading = "Baseline Options"
    )]
    pub baseline_tolerance_bytes: Option<u64>,

    /// Allocations per iteration regress when they rose by more than this
    /// percentage (`0%` for any rise) [default: Leaktest.toml's
    /// `baseline_tolerance_count`, else 10%]
    #[arg(
        long,
        value_name = "PERCENT",
        value_parser = parse_percent,
        help_heading = "Baseline Options"
    )]
    pub baseline_tolerance_count: Option<f64>,
}

/// Commands besides running tests.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with baseline files.
    #[command(subcommand)]
    Baseline(BaselineCommand),
}

/// `cargo leaktest baseline ...`.
#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Merge the baselines saved by the shards of a `--partition`ed run into one file.
    Merge {
        /// The merged baseline to write.
        #[arg(value_name = "OUT")]
        out: PathBuf,
        /// The shards' baselines (`--save-baseline-file` of each shard).
        #[arg(value_name = "IN", required = true)]
        inputs: Vec<PathBuf>,
    },
}

/// Whether to write GitHub Actions annotations and the step summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GithubActions {
    /// When the `GITHUB_ACTIONS` environment variable is `true`.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl GithubActions {
    /// Whether it is on, given the value of `GITHUB_ACTIONS`.
    pub fn enabled(self, github_actions_env: Option<&str>) -> bool {
        match self {
            GithubActions::Always => true,
            GithubActions::Never => false,
            GithubActions::Auto => github_actions_env == Some("true"),
        }
    }
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

    /// When to run attribution: `--attribute` (every test), `--no-attribute`
    /// (never), else `LEAKTEST_ATTRIBUTE`, which defaults to tests whose heap
    /// leaks. An invalid `LEAKTEST_ATTRIBUTE` is an error naming it.
    pub fn attribution_policy(&self) -> Result<AttributionPolicy, String> {
        if self.attribute {
            Ok(AttributionPolicy::All)
        } else if self.no_attribute {
            Ok(AttributionPolicy::Off)
        } else {
            AttributionPolicy::from_env()
        }
    }

    /// The baseline flags, together; tolerances not given here come from
    /// `file` (the selected profile of Leaktest.toml), else the defaults.
    pub fn baseline_options(&self, file: &RunSettings) -> BaselineOptions {
        let location = |name: &Option<String>, file: &Option<PathBuf>| match (name, file) {
            (Some(name), _) => Some(Location::Named(name.clone())),
            (None, Some(path)) => Some(Location::File(path.clone())),
            (None, None) => None,
        };
        BaselineOptions {
            compare: location(&self.baseline, &self.baseline_file),
            save: location(&self.save_baseline, &self.save_baseline_file),
            strict: self.strict_baseline,
            tolerance: {
                let default = Tolerance::default();
                Tolerance {
                    percent: self
                        .baseline_tolerance
                        .or(file.baseline_tolerance_percent)
                        .unwrap_or(default.percent),
                    bytes: self
                        .baseline_tolerance_bytes
                        .or(file.baseline_tolerance_bytes)
                        .unwrap_or(default.bytes),
                    count_percent: self
                        .baseline_tolerance_count
                        .or(file.baseline_tolerance_count_percent)
                        .unwrap_or(default.count_percent),
                }
            },
        }
    }
}

/// Parses `--partition` (see [`Partition`]).
fn parse_partition(text: &str) -> Result<Partition, String> {
    text.parse()
}

/// Parses a percentage: `10%`, `2.5%`, or a bare `10`; not negative.
pub fn parse_percent(text: &str) -> Result<f64, String> {
    leaktest_units::parse_percent(text).map_err(|error| error.to_string())
}

/// Parses a size in bytes (see [`leaktest_units::parse_size`]: a bare
/// number is bytes; `KiB`/`MiB`/`GiB` are powers of 1024, `KB`/`MB`/`GB`
/// powers of 1000).
pub fn parse_size(text: &str) -> Result<u64, String> {
    leaktest_units::parse_size(text).map_err(|error| error.to_string())
}

/// Checks a `--budget KEY=VALUE` (kept as text: the run reads it into the
/// command-line layer of the configuration).
fn parse_budget(text: &str) -> Result<String, String> {
    add_budget_argument(&mut Layer::default(), text).map_err(|error| error.to_string())?;
    Ok(text.to_owned())
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

/// Parses `--memory-limit`: a size (`4GiB`, `512 MiB`, `1.5GB`, bytes) of
/// at least [`MIN_MEMORY_LIMIT_BYTES`].
pub fn parse_memory_limit(text: &str) -> Result<u64, String> {
    let bytes = parse_size(text)?;
    if bytes < MIN_MEMORY_LIMIT_BYTES {
        return Err(format!(
            "`{text}` is too small: a test's process needs at least 16 MiB"
        ));
    }
    Ok(bytes)
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
    fn sizes_take_iec_and_si_units() {
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("1MB"), Ok(1_000_000));
        assert!(parse_size("64kib")
            .unwrap_err()
            .contains("unknown unit `kib`"));
    }

    #[test]
    fn budgets_are_checked_as_they_are_parsed() {
        let args = Args::parse_from([
            "cargo-leaktest",
            "--budget",
            "max_peak=24MiB",
            "--budget",
            "max_fds_growth=1",
        ]);
        assert_eq!(args.budgets, ["max_peak=24MiB", "max_fds_growth=1"]);
        let bad = Args::try_parse_from(["cargo-leaktest", "--budget", "max_peek=1"]).unwrap_err();
        assert_eq!(bad.exit_code(), exit_codes::SETUP_ERROR);
        assert!(
            bad.to_string().contains("unknown budget `max_peek`"),
            "{bad}"
        );
    }

    #[test]
    fn profile_is_leaktest_s_and_cargo_profile_is_cargo_s() {
        let args = Args::parse_from([
            "cargo-leaktest",
            "--profile",
            "ci",
            "--cargo-profile",
            "bench",
        ]);
        assert_eq!(args.profile.as_deref(), Some("ci"));
        assert_eq!(args.cargo_profile.as_deref(), Some("bench"));
        assert!(
            Args::try_parse_from(["cargo-leaktest", "--release", "--cargo-profile", "x"]).is_err()
        );
    }

    #[test]
    fn baseline_flags_default_to_the_documented_tolerance() {
        let args = Args::parse_from(["cargo-leaktest", "--baseline", "main"]);
        let options = args.baseline_options(&RunSettings::default());
        assert_eq!(options.compare, Some(Location::Named("main".to_owned())));
        assert_eq!(options.save, None);
        assert_eq!(options.tolerance, Tolerance::default());
        assert!(Args::try_parse_from(["cargo-leaktest", "--baseline", "../x"]).is_err());
        assert!(Args::try_parse_from([
            "cargo-leaktest",
            "--baseline",
            "a",
            "--baseline-file",
            "b.json"
        ])
        .is_err());
    }

    #[test]
    fn baseline_merge_is_a_subcommand_and_filters_still_work() {
        let args = Args::parse_from(["cargo-leaktest", "baseline", "merge", "out.json", "a.json"]);
        assert!(matches!(
            args.command,
            Some(Command::Baseline(BaselineCommand::Merge { .. }))
        ));
        let args = Args::parse_from(["cargo-leaktest", "parse"]);
        assert!(args.command.is_none());
        assert_eq!(args.filters, ["parse"]);
        let bad = Args::try_parse_from(["cargo-leaktest", "--partition", "hash:0/2"]).unwrap_err();
        assert_eq!(bad.exit_code(), exit_codes::SETUP_ERROR);
        assert!(
            bad.to_string().contains("shards are numbered 1 to 2"),
            "{bad}"
        );
    }

    #[test]
    fn filters_and_harness_args_are_kept_apart() {
        let args = Args::parse_from(["cargo-leaktest", "foo", "--exact", "--", "--skip", "bar"]);
        assert_eq!(args.filters, ["foo"]);
        assert!(args.exact);
        assert_eq!(args.harness_args, ["--skip", "bar"]);
    }
}
