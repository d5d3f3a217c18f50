//! The exit codes of `cargo leaktest`, documented in `--help` and the README.

/// Every selected leak test passed (or there was nothing to run).
pub const SUCCESS: i32 = 0;
/// At least one test leaked, failed, crashed or timed out.
pub const TESTS_FAILED: i32 = 1;
/// Usage, configuration or build error: no test verdict was reached.
pub const SETUP_ERROR: i32 = 2;
/// Interrupted by Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED: i32 = 130;

/// The exit-code table as printed at the end of `--help`.
pub const HELP: &str = "\
Exit codes:
  0    every selected leak test passed
  1    at least one test leaked, failed, crashed or timed out
  2    usage, configuration or build error
  130  interrupted (Ctrl-C); the tests that finished are still reported";
