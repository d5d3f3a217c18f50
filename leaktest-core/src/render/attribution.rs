//! Text of an [`Attribution`]: the allocation sites of the heap growth, or
//! why there are none, with what to do to get them.

use super::{format_bytes, format_rate};
use crate::model::{
    AllocationSite, Attribution, AttributionFailure, AttributionUnavailable, ProfiledSites,
    SiteFrame,
};
use crate::summary::format_duration_ms;

/// The most sites the text lists; the record keeps up to
/// [`ProfiledSites::MAX_LISTED`].
pub const SITES_SHOWN: usize = 5;

const _: () = assert!(SITES_SHOWN <= ProfiledSites::MAX_LISTED);

/// The lines describing `attribution`, unindented: a heading, then each site
/// (indented by two spaces, its callers by six) and the profile's path, or one
/// line saying why there are no sites. `measured_bytes_per_iteration` is the
/// heap growth the verdict run judged a leak, which the sites' sum is put
/// against.
///
/// ```
/// use leaktest_core::model::{AllocationSite, Attribution, ProfiledSites, SiteFrame};
/// use leaktest_core::render::attribution_lines;
///
/// let site = AllocationSite::new(
///     72.0,
///     1.0,
///     vec![
///         SiteFrame::new("app::Sessions::close", Some("app/src/sessions.rs".into()), Some(42)),
///         SiteFrame::new("leaks::sessions_leak", Some("app/tests/leaks.rs".into()), Some(9)),
///     ],
///     true,
/// );
/// let profiled = ProfiledSites::new(vec![site], 0, 72.0, "/t/s.dhat.json".into(), [100, 200], true);
/// assert_eq!(
///     attribution_lines(&Attribution::Profiled(profiled), Some(74.0)),
///     [
///         "where the heap grows: sites explain 72 of 74 B/iter",
///         "  +72 B/iter, +1 block/iter: app::Sessions::close (app/src/sessions.rs:42)",
///         "      called from leaks::sessions_leak (app/tests/leaks.rs:9)",
///         "dhat profile of 200 iterations (open it in DHAT's viewer, dh_view.html): /t/s.dhat.json",
///     ]
/// );
/// ```
pub fn attribution_lines(
    attribution: &Attribution,
    measured_bytes_per_iteration: Option<f64>,
) -> Vec<String> {
    let heading = format!(
        "where the heap grows: {}",
        attribution_heading(attribution, measured_bytes_per_iteration)
    );
    let Attribution::Profiled(profiled) = attribution else {
        return vec![heading];
    };
    let mut lines = vec![heading];
    for site in profiled.sites.iter().take(SITES_SHOWN) {
        let mut frames = site.frames.iter();
        lines.push(format!(
            "  {}: {}",
            site_rate(site),
            frames
                .next()
                .map_or_else(|| "(no frames)".to_owned(), frame_text)
                + if site.in_user_code {
                    ""
                } else {
                    " (no frame of the test's own code)"
                }
        ));
        lines.extend(frames.map(|frame| format!("      called from {}", frame_text(frame))));
    }
    lines.extend(profile_notes(profiled));
    lines
}

/// What the attribution found, in one sentence: how much of the growth the
/// sites explain (`sites explain 72 of 74 B/iter`), that none grows, or why
/// there are no sites (`not attributed: ...`). `measured_bytes_per_iteration`
/// is the heap growth the verdict judged a leak.
pub fn attribution_heading(
    attribution: &Attribution,
    measured_bytes_per_iteration: Option<f64>,
) -> String {
    let profiled = match attribution {
        Attribution::Profiled(profiled) => profiled,
        Attribution::Unavailable { reason } => {
            return format!("not attributed: {}", unavailable_sentence(reason))
        }
        Attribution::Failed { reason } => {
            return format!("not attributed: {}", failure_sentence(reason))
        }
    };
    let explained = unsigned_rate(profiled.explained_bytes_per_iteration);
    let measured = measured_bytes_per_iteration.filter(|&measured| measured > 0.0);
    match (profiled.sites.is_empty(), measured) {
        (true, Some(_)) => "no allocation site grows from one profiled window to the next \
                            (memory C code allocates with malloc is not profiled, and growth \
                            that stops under the profiler is not seen)"
            .to_owned(),
        (true, None) => "no allocation site grows from one profiled window to the next".to_owned(),
        (false, Some(measured)) => format!(
            "sites explain {explained} of {} B/iter",
            unsigned_rate(measured)
        ),
        (false, None) => format!("sites grow by {explained} B/iter"),
    }
}

/// The lines after a profile's sites: the sites not shown, a missing line
/// table, and where the profile is kept (always the last).
pub fn profile_notes(profiled: &ProfiledSites) -> Vec<String> {
    let mut notes = Vec::new();
    let unshown_sites =
        profiled.sites.len().saturating_sub(SITES_SHOWN) as u64 + profiled.unlisted_sites;
    if unshown_sites > 0 {
        let shown_bytes: f64 = profiled
            .sites
            .iter()
            .take(SITES_SHOWN)
            .map(|site| site.bytes_per_iteration)
            .sum();
        notes.push(format!(
            "  and {unshown_sites} more {}, {} B/iter in all",
            if unshown_sites == 1 { "site" } else { "sites" },
            format_rate((profiled.explained_bytes_per_iteration - shown_bytes).max(0.0))
        ));
    }
    if !profiled.has_line_info {
        notes.push(
            "the test binary has no line tables, so frames have no file and line: build it \
             with debug info (for --release, `debug = \"line-tables-only\"` in \
             `[profile.release]`)"
                .to_owned(),
        );
    }
    notes.push(format!(
        "dhat profile of {} iterations (open it in DHAT's viewer, dh_view.html): {}",
        profiled.window_iterations[1], profiled.profile_path
    ));
    notes
}

/// How fast a site grows: `+72 B/iter, +1 block/iter`, or `+61.4 B/iter, by
/// reallocation` for a buffer that grows in place.
pub fn site_rate(site: &AllocationSite) -> String {
    if site.blocks_per_iteration > 0.0 {
        format!(
            "{} B/iter, {} {}/iter",
            format_rate(site.bytes_per_iteration),
            format_rate(site.blocks_per_iteration),
            if site.blocks_per_iteration == 1.0 {
                "block"
            } else {
                "blocks"
            }
        )
    } else {
        format!(
            "{} B/iter, by reallocation",
            format_rate(site.bytes_per_iteration)
        )
    }
}

/// `function (file:line)`, or the function alone without line tables.
pub fn frame_text(frame: &SiteFrame) -> String {
    match (&frame.file, frame.line) {
        (Some(file), Some(line)) => format!("{} ({file}:{line})", frame.function),
        (Some(file), None) => format!("{} ({file})", frame.function),
        (None, _) => frame.function.clone(),
    }
}

/// A rate without its sign: `72`, `1,024`, `0.5`.
fn unsigned_rate(rate: f64) -> String {
    format_rate(rate).trim_start_matches(['+', '-']).to_owned()
}

/// The line under the sites of a test whose native heap (C code's `malloc`)
/// grows too, by `growth_per_iteration` bytes: dhat sees the global allocator
/// only.
///
/// ```
/// use leaktest_core::render::unprofiled_native_growth_line;
///
/// assert_eq!(
///     unprofiled_native_growth_line(264.0),
///     "the native heap grows too (+264 B/iter): C code's malloc is not profiled, only Rust's allocator"
/// );
/// ```
pub fn unprofiled_native_growth_line(growth_per_iteration: f64) -> String {
    format!(
        "the native heap grows too ({} B/iter): C code's malloc is not profiled, only Rust's allocator",
        format_rate(growth_per_iteration)
    )
}

/// The lines of a test whose native heap (C code's `malloc`) leaks while its
/// Rust heap does not, unindented: why there are no allocation sites, and
/// how to get the C allocations' call stacks from Valgrind, which follows the
/// harness into the process it runs `test_name` in.
///
/// ```
/// use leaktest_core::render::native_heap_not_attributed_lines;
///
/// let lines = native_heap_not_attributed_lines("codec_leaks");
/// assert!(lines[0].starts_with("where the native heap grows: not attributed: "));
/// assert!(lines[1].contains("valgrind --leak-check=full --trace-children=yes"));
/// assert!(lines[1].contains(" codec_leaks --exact"));
/// ```
pub fn native_heap_not_attributed_lines(test_name: &str) -> Vec<String> {
    vec![
        "where the native heap grows: not attributed: allocation sites come from dhat, which \
         sees Rust's global allocator only, not the malloc of C code"
            .to_owned(),
        format!(
            "  for the C allocations' call stacks, run the test binary (`cargo test --no-run` \
             prints its path) under Valgrind, which follows it into the test's process: \
             `LEAKTEST_ITERATIONS=20 valgrind --leak-check=full --trace-children=yes \
             <test binary> {test_name} --exact`; the blocks it reports \"definitely lost\" \
             are the leak"
        ),
    ]
}

/// Why a binary cannot be profiled, and how to make it possible.
pub fn unavailable_sentence(reason: &AttributionUnavailable) -> String {
    match reason {
        AttributionUnavailable::OtherAllocator {
            allocator: Some(allocator),
        } => format!(
            "the counting allocator wraps `{allocator}`, and dhat profiles only the system \
             allocator; to see the allocation sites, run the test with \
             `leaktest_core::main!()` (the system allocator)"
        ),
        AttributionUnavailable::OtherAllocator { allocator: None } => {
            "the test file installs its own counting allocator \
             (`main!(allocator = installed)`), which leaktest cannot check wraps the system \
             allocator, the only one dhat profiles; to see the allocation sites, end the file \
             with `leaktest_core::main!()` instead"
                .to_owned()
        }
        AttributionUnavailable::FeatureOff => {
            "leaktest-core was built without its `attribution` feature; enable it (it is on by \
             default) to see the allocation sites"
                .to_owned()
        }
    }
}

/// How an attribution run ended without a profile, and what to do.
pub fn failure_sentence(reason: &AttributionFailure) -> String {
    match reason {
        AttributionFailure::TimedOut { timeout_ms } => format!(
            "the attribution run, under dhat's profiler (which slows allocation a lot), was \
             killed after the test's timeout of {}; raise the timeout or lower the iterations \
             to get the sites",
            format_duration_ms(*timeout_ms)
        ),
        AttributionFailure::WouldOverrunTimeout { timeout_ms } => format!(
            "at the pace of its first profiled window, the attribution run would not have \
             finished within the test's timeout of {}; raise the timeout or lower the \
             iterations to get the sites",
            format_duration_ms(*timeout_ms)
        ),
        AttributionFailure::OutOfMemory { limit_bytes } => format!(
            "the attribution run, which runs the test's iterations three times over under dhat's \
             profiler, passed the test's memory limit of {}; raise `memory_limit` or lower the \
             iterations to get the sites",
            format_bytes(i64::try_from(*limit_bytes).unwrap_or(i64::MAX))
        ),
        AttributionFailure::Crashed { description } => {
            format!("the attribution run crashed: the test process {description}")
        }
        AttributionFailure::TestFailed { message } => {
            format!("the test failed in the attribution run: {message}")
        }
        AttributionFailure::ProfileUnreadable { path, message } => {
            format!("dhat's profile {path} could not be read: {message}")
        }
        AttributionFailure::NotStarted { message } => {
            format!("the attribution run could not be started: {message}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(function: &str, line: u32) -> SiteFrame {
        SiteFrame::new(function, Some(format!("src/{function}.rs")), Some(line))
    }

    fn site(bytes: f64, blocks: f64, function: &str) -> AllocationSite {
        AllocationSite::new(bytes, blocks, vec![frame(function, 3)], true)
    }

    fn profiled(sites: Vec<AllocationSite>, unlisted: u64, explained: f64) -> Attribution {
        Attribution::Profiled(ProfiledSites::new(
            sites,
            unlisted,
            explained,
            "/p.dhat.json".to_owned(),
            [50, 100],
            true,
        ))
    }

    #[test]
    fn sites_beyond_the_shown_ones_are_counted_with_their_bytes() {
        let sites = (0..7)
            .map(|index| site(10.0 - index as f64, 1.0, &format!("f{index}")))
            .collect();
        let lines = attribution_lines(&profiled(sites, 2, 70.0), Some(80.0));
        assert_eq!(
            lines[0],
            "where the heap grows: sites explain 70 of 80 B/iter"
        );
        assert_eq!(lines[1], "  +10 B/iter, +1 block/iter: f0 (src/f0.rs:3)");
        // 5 shown (10 + 9 + 8 + 7 + 6 = 40), 2 listed and 2 unlisted more.
        assert_eq!(lines[6], "  and 4 more sites, +30 B/iter in all");
    }

    #[test]
    fn reallocation_growth_and_sites_outside_the_test_s_code_say_so() {
        let mut internal = site(4.0, 0.5, "tokio::time::Sleep::new");
        internal.in_user_code = false;
        let lines = attribution_lines(
            &profiled(vec![site(61.4, 0.0, "grow"), internal], 0, 65.4),
            None,
        );
        assert_eq!(lines[0], "where the heap grows: sites grow by 65.4 B/iter");
        assert_eq!(
            lines[1],
            "  +61.4 B/iter, by reallocation: grow (src/grow.rs:3)"
        );
        assert!(
            lines[2].ends_with("(no frame of the test's own code)"),
            "{}",
            lines[2]
        );
        assert!(lines[2].contains("+0.5 blocks/iter"), "{}", lines[2]);
    }

    #[test]
    fn no_growing_site_and_no_line_tables_are_explained() {
        let lines = attribution_lines(&profiled(Vec::new(), 0, 0.0), Some(12.0));
        assert!(
            lines[0].contains("no allocation site grows"),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains("malloc"), "{}", lines[0]);
        let Attribution::Profiled(mut without_lines) = profiled(vec![site(1.0, 1.0, "f")], 0, 1.0)
        else {
            unreachable!()
        };
        without_lines.has_line_info = false;
        let lines = attribution_lines(&Attribution::Profiled(without_lines), None);
        assert!(
            lines
                .iter()
                .any(|line| line.contains("debug = \"line-tables-only\"")),
            "{lines:?}"
        );
    }

    #[test]
    fn impossible_and_failed_runs_say_how_to_get_the_sites() {
        let other = Attribution::Unavailable {
            reason: AttributionUnavailable::OtherAllocator {
                allocator: Some("mimalloc::MiMalloc".to_owned()),
            },
        };
        let line = &attribution_lines(&other, Some(8.0))[0];
        assert!(line.contains("`mimalloc::MiMalloc`"), "{line}");
        assert!(line.contains("leaktest_core::main!()"), "{line}");
        let timed_out = Attribution::Failed {
            reason: AttributionFailure::TimedOut { timeout_ms: 60_000 },
        };
        let line = &attribution_lines(&timed_out, Some(8.0))[0];
        assert!(line.contains("timeout of 1m"), "{line}");
        let out_of_memory = Attribution::Failed {
            reason: AttributionFailure::OutOfMemory {
                limit_bytes: 2 << 30,
            },
        };
        let line = &attribution_lines(&out_of_memory, Some(8.0))[0];
        assert!(line.contains("memory limit of 2.0 GiB"), "{line}");
        assert!(line.contains("raise `memory_limit`"), "{line}");
    }
}
