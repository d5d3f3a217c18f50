//! Human text for one test's result: what leaked, by how much, and why.
//! Used by the harness for failed tests and by `cargo leaktest` for details.

use crate::model::{Attribution, Budget, ConfigSource, Outcome, Resource, TestRecord};
use crate::render;
use std::fmt::Write;

/// Lines of each output stream shown under a failure.
const OUTPUT_TAIL_LINES: usize = 20;

/// Growth lines of the leaking resources, one per resource, e.g.
/// `heap: +1,024 B/iter (+96.0 KiB over 96 iters) ▁▂▃▄▅▆▇█`.
pub fn leak_lines(record: &TestRecord) -> Vec<String> {
    record
        .leaking_resources()
        .map(|report| {
            render::growth_line(
                report.resource,
                &report.judgement,
                report.peaks_or_samples(),
            )
        })
        .collect()
}

/// The full explanation of a test that did not pass: verdict, growth per
/// leaking resource, why, the handles that leaked (named and grouped), where,
/// and the tail of its output.
pub fn failure_details(record: &TestRecord) -> String {
    let mut text = String::new();
    let settings = &record.settings;
    let judged = record.iterations_run.saturating_sub(settings.warmup);
    match &record.outcome {
        Outcome::Passed => {
            let _ = writeln!(text, "passed");
        }
        Outcome::Leaked if record.leaking_resources().next().is_none() => {
            let _ = writeln!(text, "leak: the test left processes running");
        }
        Outcome::Leaked => {
            let _ = writeln!(
                text,
                "leak: memory or handles grow without bound over {judged} judged iterations \
                 ({} run, {} warm-up):",
                record.iterations_run, settings.warmup
            );
            for report in record.leaking_resources() {
                let _ = writeln!(
                    text,
                    "  {}",
                    render::growth_line(
                        report.resource,
                        &report.judgement,
                        report.peaks_or_samples()
                    )
                );
                let _ = writeln!(text, "      {}", report.judgement.reason);
                if let Some(handles) = record.leaked_handles_of(report.resource) {
                    for line in render::leaked_handle_lines(handles) {
                        let _ = writeln!(text, "      {line}");
                    }
                }
            }
            write_extension(&mut text, record);
        }
        Outcome::OverBudget => {
            let _ = writeln!(
                text,
                "over budget: the test exceeded {} over {judged} judged iterations \
                 ({} run, {} warm-up):",
                plural_budgets(record.exceeded_budgets().count()),
                record.iterations_run,
                settings.warmup
            );
        }
        Outcome::LeakNotFound => {
            let _ = writeln!(
                text,
                "expected a leak (should_leak) but none was found over {judged} judged iterations:"
            );
            for report in &record.resources {
                let _ = writeln!(text, "  {}: {}", report.resource, report.judgement.reason);
            }
            write_extension(&mut text, record);
        }
        Outcome::Failed { message, iteration } => match iteration {
            Some(iteration) => {
                let _ = writeln!(text, "failed in iteration {iteration}: {message}");
            }
            None => {
                let _ = writeln!(text, "failed: {message}");
            }
        },
        Outcome::Crashed { description, .. } => {
            let _ = writeln!(text, "crashed: the test process {description}");
        }
        Outcome::TimedOut { timeout_ms } => {
            let _ = writeln!(
                text,
                "timed out: still running after {}; killed. Raise it with \
                 #[leak_test(timeout = \"...\")] or `cargo leaktest --timeout` if the test is just slow.",
                format_duration_ms(*timeout_ms)
            );
        }
        Outcome::OutOfMemory {
            limit_bytes,
            iteration,
        } => {
            let _ = writeln!(
                text,
                "{}. Raise it with #[leak_test(memory_limit = \"...\")], `cargo leaktest \
                 --memory-limit` or LEAKTEST_MEMORY_LIMIT if the test needs more.",
                out_of_memory_sentence(*limit_bytes, *iteration)
            );
        }
        Outcome::Ignored { reason } => {
            let _ = writeln!(
                text,
                "ignored{}",
                reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            );
        }
    }
    // A leak held to the default growth budget (0) is the leak itself,
    // already told above; any other budget exceeded is named.
    let named_budgets = record.exceeded_budgets().filter(|check| {
        !(matches!(check.budget, Budget::Growth(_)) && check.source == ConfigSource::Default)
    });
    for check in named_budgets {
        let _ = writeln!(text, "  {}", render::budget_line(check));
    }
    if !record.leaked_processes.is_empty() {
        let _ = writeln!(
            text,
            "  left running after the test's process ended (killed): {}",
            leaked_processes_list(record)
        );
    }
    if record.peak_heap_bytes > 0 {
        let above_start = record
            .peak_heap_bytes_above_start()
            .map(|bytes| format!(" ({} above the start)", render::format_bytes(bytes as i64)))
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "  peak heap: {}{above_start}",
            render::format_bytes(record.peak_heap_bytes as i64)
        );
    }
    let _ = writeln!(text, "  at {}", record.location);
    text.push_str(&attribution_details(record));
    for (label, tail) in [
        ("stdout", &record.stdout_tail),
        ("stderr", &record.stderr_tail),
    ] {
        let lines = last_lines(tail, OUTPUT_TAIL_LINES);
        if !lines.is_empty() {
            let _ = writeln!(text, "---- {label} (last lines) ----\n{lines}");
        }
    }
    text
}

/// `1 budget`, `2 budgets`.
fn plural_budgets(count: usize) -> String {
    if count == 1 {
        "1 budget".to_owned()
    } else {
        format!("{count} budgets")
    }
}

/// `out of memory: exceeded the 2.0 GiB limit at iteration 17`.
pub fn out_of_memory_sentence(limit_bytes: u64, iteration: Option<u64>) -> String {
    let limit = render::format_bytes(i64::try_from(limit_bytes).unwrap_or(i64::MAX));
    match iteration {
        Some(iteration) => {
            format!("out of memory: exceeded the {limit} limit at iteration {iteration}")
        }
        None => format!("out of memory: exceeded the {limit} limit"),
    }
}

/// Pids listed for processes of one command line; the others are counted.
const PIDS_LISTED_PER_COMMAND: usize = 3;

/// The processes a test left running, comma separated, grouped by command
/// line in the order they were found: `pid 4242 (sleep 3600)` for one,
/// `98 × sleep 30 (pids 101, 102, 103 and 95 more)` for several.
///
/// ```
/// use leaktest_core::model::{LeakedProcess, Outcome, Settings, TestDescription, TestRecord};
/// use leaktest_core::summary::leaked_processes_list;
///
/// let test = TestDescription::new("spawns", "tests/leaks.rs:3", Settings::default());
/// let mut record = TestRecord::without_run(&test, Outcome::Leaked, 12);
/// record.leaked_processes = vec![
///     LeakedProcess::new(101, "sleep 30"),
///     LeakedProcess::new(7, "exporter --daemon"),
///     LeakedProcess::new(102, "sleep 30"),
/// ];
/// assert_eq!(
///     leaked_processes_list(&record),
///     "2 × sleep 30 (pids 101, 102), pid 7 (exporter --daemon)"
/// );
/// ```
pub fn leaked_processes_list(record: &TestRecord) -> String {
    let mut groups: Vec<(&str, Vec<u32>)> = Vec::new();
    for process in &record.leaked_processes {
        match groups
            .iter_mut()
            .find(|(command, _)| *command == process.command)
        {
            Some((_, pids)) => pids.push(process.pid),
            None => groups.push((&process.command, vec![process.pid])),
        }
    }
    groups
        .iter()
        .map(|(command, pids)| match pids.as_slice() {
            [pid] => format!("pid {pid} ({command})"),
            _ => {
                let listed: Vec<String> = pids
                    .iter()
                    .take(PIDS_LISTED_PER_COMMAND)
                    .map(u32::to_string)
                    .collect();
                let more = pids.len().saturating_sub(PIDS_LISTED_PER_COMMAND);
                let listed = if more > 0 {
                    format!("{} and {more} more", listed.join(", "))
                } else {
                    listed.join(", ")
                };
                format!("{} × {command} (pids {listed})", pids.len())
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The line saying how far the run was extended, when it was.
fn write_extension(text: &mut String, record: &TestRecord) {
    if let Some(extension) = &record.extension {
        let _ = writeln!(
            text,
            "  {}",
            render::extension_sentence(record.settings.iterations, extension)
        );
    }
}

/// The heap growth per iteration the verdict judged a leak, which the
/// allocation sites are put against; `None` when the heap did not leak.
pub fn heap_growth_judged_a_leak(record: &TestRecord) -> Option<f64> {
    record
        .resource(Resource::HeapBytes)
        .filter(|report| report.judgement.leaking)
        .map(|report| report.judgement.growth_per_iteration)
}

/// Where the heap growth comes from, when the test had an attribution run:
/// its lines (see [`render::attribution_lines`]) indented by two spaces,
/// each ending with a newline. Put against the heap growth the verdict
/// judged a leak, if it did. A native heap (C code's `malloc`) that leaks is
/// never in the sites: next to a heap leak's sites a line says so, and in a
/// test that failed as leaked without them, it gets
/// [`render::native_heap_not_attributed_lines`]. Empty when there is nothing
/// to say.
pub fn attribution_details(record: &TestRecord) -> String {
    let native_growth = record
        .resource(Resource::NativeHeapBytes)
        .filter(|report| report.judgement.leaking)
        .map(|report| report.judgement.growth_per_iteration);
    let mut lines = match &record.attribution {
        Some(attribution) => {
            render::attribution_lines(attribution, heap_growth_judged_a_leak(record))
        }
        None => Vec::new(),
    };
    if let Some(growth) = native_growth {
        if beside_heap_sites(record) {
            // Above the profile's path, which ends the lines.
            let at = lines.len().saturating_sub(1);
            lines.insert(at, render::unprofiled_native_growth_line(growth));
        } else if native_leak_needs_its_own_note(record) {
            lines.extend(render::native_heap_not_attributed_lines(&record.name));
        }
    }
    lines.iter().map(|line| format!("  {line}\n")).collect()
}

/// Whether the test has allocation sites of a heap leak to show.
fn beside_heap_sites(record: &TestRecord) -> bool {
    matches!(record.attribution, Some(Attribution::Profiled(_))) && record.heap_leaked()
}

/// Whether the test failed as leaked with its native heap (C code's
/// `malloc`) leaking and no heap leak's sites beside which to say so: its
/// report then says why there are no sites for it, with
/// [`render::native_heap_not_attributed_lines`].
pub fn native_leak_needs_its_own_note(record: &TestRecord) -> bool {
    record.outcome == Outcome::Leaked
        && !beside_heap_sites(record)
        && record
            .resource(Resource::NativeHeapBytes)
            .is_some_and(|report| report.judgement.leaking)
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(count);
    lines[start..].join("\n")
}

/// `30s`, `2m`, `1550ms`: a duration as the attribute spells it (whole
/// minutes, seconds or milliseconds).
pub fn format_duration_ms(millis: u64) -> String {
    if millis >= 60_000 && millis.is_multiple_of(60_000) {
        format!("{}m", millis / 60_000)
    } else if millis >= 1000 && millis.is_multiple_of(1000) {
        format!("{}s", millis / 1000)
    } else {
        format!("{millis}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaked_processes_are_grouped_by_command_with_a_few_pids_each() {
        use crate::model::{LeakedProcess, Outcome, Settings, TestDescription};
        let test = TestDescription::new("spawns", "tests/leaks.rs:3", Settings::default());
        let mut record = TestRecord::without_run(&test, Outcome::Leaked, 12);
        record.leaked_processes = (0..98)
            .map(|n| LeakedProcess::new(100 + n, "sleep 30"))
            .chain([LeakedProcess::new(7, "(exe)")])
            .collect();
        assert_eq!(
            leaked_processes_list(&record),
            "98 × sleep 30 (pids 100, 101, 102 and 95 more), pid 7 ((exe))"
        );
        record.leaked_processes.truncate(1);
        assert_eq!(leaked_processes_list(&record), "pid 100 (sleep 30)");
    }

    #[test]
    fn durations_read_like_the_attribute() {
        assert_eq!(format_duration_ms(30_000), "30s");
        assert_eq!(format_duration_ms(120_000), "2m");
        assert_eq!(format_duration_ms(1_550), "1550ms");
        assert_eq!(format_duration_ms(250), "250ms");
    }

    fn leaked_fds_record() -> TestRecord {
        use crate::model::{
            HandleGroup, HandleKind, Judgement, LeakedHandles, Reason, Resource, ResourceReport,
            Settings, TestDescription,
        };
        let settings = Settings::default();
        let test = TestDescription::new("servers_leak", "tests/leaks.rs:7", settings);
        let mut record = TestRecord::without_run(&test, Outcome::Leaked, 10);
        record.iterations_run = 100;
        let cause = Reason::KeptRising {
            late_growth: 50,
            steps: 50,
            from_iteration: 50,
        };
        record.resources = vec![ResourceReport::new(
            Resource::Fds,
            (0..100).collect(),
            Judgement::new(Resource::Fds, true, 90, 1.0, 90, cause),
        )];
        record.leaked_handles = vec![LeakedHandles::named(
            Resource::Fds,
            vec![HandleGroup::new(90, HandleKind::Tcp, "127.0.0.1:* LISTEN")],
            0,
            0,
        )];
        record
    }

    #[test]
    fn leaked_handles_are_named_under_their_resource() {
        let details = failure_details(&leaked_fds_record());
        let lines: Vec<&str> = details.lines().collect();
        let growth = lines
            .iter()
            .position(|line| line.starts_with("  fds: +1/iter"))
            .expect("the growth line");
        assert!(lines[growth + 1].starts_with("      retained amount kept rising"));
        assert_eq!(
            lines[growth + 2],
            "      fds +90: 90 x tcp 127.0.0.1:* LISTEN"
        );
    }

    /// `leaked_fds_record` whose leak is the native heap's (and the heap's
    /// too, with `heap_too`).
    fn leaked_native_record(heap_too: bool) -> TestRecord {
        use crate::model::{Judgement, Reason, ResourceReport};
        let mut record = leaked_fds_record();
        record.leaked_handles.clear();
        let leaking = |resource| {
            let cause = Reason::KeptRising {
                late_growth: 1200,
                steps: 50,
                from_iteration: 50,
            };
            ResourceReport::new(
                resource,
                (0..100).map(|i| i * 24).collect(),
                Judgement::new(resource, true, 2160, 24.0, 90, cause),
            )
        };
        record.resources = vec![leaking(Resource::NativeHeapBytes)];
        if heap_too {
            record.resources.push(leaking(Resource::HeapBytes));
        }
        record
    }

    #[test]
    fn a_native_heap_leak_alone_says_why_it_has_no_sites_and_how_to_get_them() {
        let details = failure_details(&leaked_native_record(false));
        assert!(
            details.contains(
                "  where the native heap grows: not attributed: allocation sites come from dhat"
            ),
            "{details}"
        );
        assert!(
            details.contains("valgrind --leak-check=full --trace-children=yes <test binary> servers_leak --exact"),
            "{details}"
        );
        assert!(!details.contains("grows too"), "{details}");
        // A should_leak test that found its native leak passes, quietly.
        let mut expected = leaked_native_record(false);
        expected.outcome = Outcome::Passed;
        assert_eq!(attribution_details(&expected), "");
    }

    #[test]
    fn a_native_heap_leak_beside_heap_sites_is_one_line_above_the_profile() {
        use crate::model::{AllocationSite, ProfiledSites, SiteFrame};
        let mut record = leaked_native_record(true);
        let site = AllocationSite::new(24.0, 1.0, vec![SiteFrame::new("app::f", None, None)], true);
        record.attribution = Some(Attribution::Profiled(ProfiledSites::new(
            vec![site],
            0,
            24.0,
            "/p.dhat.json".to_owned(),
            [100, 200],
            true,
        )));
        let details = attribution_details(&record);
        let lines: Vec<&str> = details.lines().collect();
        assert!(
            lines[lines.len() - 2].starts_with("  the native heap grows too (+24 B/iter)"),
            "{details}"
        );
        assert!(!details.contains("not attributed"), "{details}");
    }

    #[test]
    fn a_handle_leak_names_handles_and_says_nothing_of_sites() {
        let details = failure_details(&leaked_fds_record());
        for unwanted in ["where the", "site", "not attributed", "dhat"] {
            assert!(!details.contains(unwanted), "{unwanted:?} in {details}");
        }
    }

    #[test]
    fn out_of_memory_says_the_limit_and_the_iteration() {
        assert_eq!(
            out_of_memory_sentence(2 << 30, Some(17)),
            "out of memory: exceeded the 2.0 GiB limit at iteration 17"
        );
        assert_eq!(
            out_of_memory_sentence(512 << 20, None),
            "out of memory: exceeded the 512.0 MiB limit"
        );
    }

    #[test]
    fn last_lines_keeps_the_end() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(last_lines("", 2), "");
    }
}
