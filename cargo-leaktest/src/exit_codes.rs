//! The exit codes of `cargo leaktest`, documented in `--help` and the README.

/// Every selected leak test passed (or there was nothing to run).
pub const SUCCESS: i32 = 0;
/// At least one test leaked, failed, crashed or timed out.
pub const TESTS_FAILED: i32 = 1;
/// Usage, configuration or build error: no test verdict was reached.
pub const SETUP_ERROR: i32 = 2;
/// Every test passed, but a report could not be written (stdout a closed
/// pipe, a full disk): the run went on and wrote the other reports.
pub const REPORT_UNWRITTEN: i32 = 2;
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
Exit codes (when several apply: 130, 143 or 129, then 1, 3, 4, 2):
  0    every selected leak test passed (an empty --partition shard passes too)
  1    at least one test leaked, failed, crashed or timed out
  2    usage, configuration, build or baseline error (missing or corrupt baseline);
       or a report could not be written (stdout closed early, disk full): every
       test still ran and the other reports (--junit, --report, baseline) were written
  3    no test failed, but at least one regressed against the --baseline
  4    the filters matched no test to run (--no-tests=warn or pass accepts it)
  129  stopped by SIGHUP (as for 130)
  130  interrupted (Ctrl-C): the running tests are killed with everything they
       started, and the tests that finished are still reported
  143  stopped by SIGTERM (as for 130)";

/// The exit code of a run whose verdict is `verdict` when some report could
/// not be written (`unwritten`): a failing verdict stands (it says more), and
/// a passing one becomes [`REPORT_UNWRITTEN`], so the run never looks green.
pub fn with_unwritten_reports(verdict: i32, unwritten: bool) -> i32 {
    if unwritten && verdict == SUCCESS {
        REPORT_UNWRITTEN
    } else {
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unwritten_report_fails_a_green_run_and_keeps_any_other_verdict() {
        assert_eq!(with_unwritten_reports(SUCCESS, true), REPORT_UNWRITTEN);
        assert_eq!(with_unwritten_reports(SUCCESS, false), SUCCESS);
        for verdict in [TESTS_FAILED, REGRESSED, NO_TESTS, INTERRUPTED, TERMINATED] {
            assert_eq!(with_unwritten_reports(verdict, true), verdict);
        }
    }
}
