//! The exit codes of `cargo leaktest`, documented in `--help` and the README.

/// Every selected leak test passed (or there was nothing to run).
pub const SUCCESS: i32 = 0;
/// At least one test leaked, failed, crashed or timed out.
pub const TESTS_FAILED: i32 = 1;
/// Usage, configuration or build error: no test verdict was reached.
pub const SETUP_ERROR: i32 = 2;
/// No test failed, but at least one regressed against the baseline.
pub const REGRESSED: i32 = 3;
/// The filters matched no test to run (`--no-tests=fail`, the default).
pub const NO_TESTS: i32 = 4;
/// Interrupted by Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED: i32 = 130;
/// Stopped by SIGTERM (128 + SIGTERM), as CI runners stop a job.
pub const TERMINATED: i32 = 143;
/// Stopped by SIGHUP (128 + SIGHUP): the terminal went away.
pub const HUNG_UP: i32 = 129;

/// The exit-code table as printed at the end of `--help`.
pub const HELP: &str = "\
Exit codes (when several apply: 130, 143 or 129, then 1, 3, 4):
  0    every selected leak test passed (an empty --partition shard passes too)
  1    at least one test leaked, failed, crashed or timed out
  2    usage, configuration, build or baseline error (missing or corrupt baseline)
  3    no test failed, but at least one regressed against the --baseline
  4    the filters matched no test to run (--no-tests=warn or pass accepts it)
  129  stopped by SIGHUP (as for 130)
  130  interrupted (Ctrl-C): the running tests are killed with everything they
       started, and the tests that finished are still reported
  143  stopped by SIGTERM (as for 130)";
