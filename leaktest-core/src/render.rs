//! Plain-text rendering of series and judgements for terminal reports.
//!
//! Pure functions from numbers to strings, shared by the harness and
//! `cargo leaktest` so that both print a resource the same way:
//!
//! ```text
//! heap: +1,024 B/iter (+96.0 KiB over 96 iters) ▁▂▃▄▅▆▇█
//! fds: +1/iter (+96 over 96 iters) ▁▂▃▄▅▆▇█
//! ```

use crate::model::{
    Extension, ExtensionEnd, HandlesUnnamed, Judgement, LeakedHandles, Reason, Resource,
};

mod budgets;

pub use budgets::{
    budget_breach_short, budget_check_short, budget_limit, budget_line, budget_measurement,
    budget_verdict, format_bytes_exact,
};

mod attribution;

pub use attribution::{
    attribution_heading, attribution_lines, failure_sentence, frame_text,
    native_heap_not_attributed_lines, profile_notes, site_rate, unavailable_sentence,
    unprofiled_native_growth_line, SITES_SHOWN,
};

/// Characters of a [`sparkline`], lowest first.
const SPARK_LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Binary units above bytes, as used by [`format_bytes`].
const BYTE_UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/// Widest sparkline [`growth_line`] draws, in characters.
pub const SPARKLINE_WIDTH: usize = 40;

/// Most groups of handles [`leaked_handle_lines`] shows; the rest are summed
/// up in one `... and N more` line.
pub const HANDLE_GROUPS_SHOWN: usize = 8;

/// A one-line chart of `series` using `▁▂▃▄▅▆▇█`, scaled from its lowest to its
/// highest value.
///
/// A series longer than `width` is cut into `width` consecutive buckets of
/// (nearly) equal length, each drawn as its largest sample, so that spikes stay
/// visible. A flat series is all `▁`; an empty series or a zero width gives an
/// empty string.
///
/// ```
/// use leaktest_core::render::sparkline;
///
/// assert_eq!(sparkline(&[0, 1, 2, 3, 4, 5, 6, 7], 40), "▁▂▃▄▅▆▇█");
/// assert_eq!(sparkline(&[0, 7, 0, 0], 2), "█▁");
/// assert_eq!(sparkline(&[3, 3, 3], 40), "▁▁▁");
/// ```
pub fn sparkline(series: &[i64], width: usize) -> String {
    let peaks = bucket_peaks(series, width);
    let (Some(&lowest), Some(&highest)) = (peaks.iter().min(), peaks.iter().max()) else {
        return String::new();
    };
    let span = i128::from(highest) - i128::from(lowest);
    peaks
        .iter()
        .map(|&peak| spark_level(i128::from(peak) - i128::from(lowest), span))
        .collect()
}

/// The largest sample of each of at most `width` consecutive buckets of `series`.
fn bucket_peaks(series: &[i64], width: usize) -> Vec<i64> {
    if series.len() <= width {
        return series.to_vec();
    }
    let bucket_start =
        |bucket: usize| (bucket as u128 * series.len() as u128 / width as u128) as usize;
    (0..width)
        .filter_map(|bucket| {
            let bucket_samples = series.get(bucket_start(bucket)..bucket_start(bucket + 1))?;
            bucket_samples.iter().max().copied()
        })
        .collect()
}

/// The character for a value `height` above the lowest, out of `span`.
fn spark_level(height: i128, span: i128) -> char {
    let top = (SPARK_LEVELS.len() - 1) as i128;
    let level = if span == 0 {
        0
    } else {
        (height * top + span / 2) / span
    };
    SPARK_LEVELS[level.clamp(0, top) as usize]
}

/// An amount of memory: bytes below 1 KiB, otherwise one decimal in binary
/// units (`KiB`, `MiB`, `GiB`, ...). Negative amounts keep their sign.
///
/// ```
/// use leaktest_core::render::format_bytes;
///
/// assert_eq!(format_bytes(512), "512 B");
/// assert_eq!(format_bytes(96 * 1024), "96.0 KiB");
/// assert_eq!(format_bytes(3 * 1024 * 1024 + 512 * 1024), "3.5 MiB");
/// assert_eq!(format_bytes(-2048), "-2.0 KiB");
/// ```
pub fn format_bytes(bytes: i64) -> String {
    let sign = if bytes < 0 { "-" } else { "" };
    let magnitude = bytes.unsigned_abs();
    if magnitude < 1024 {
        return format!("{sign}{magnitude} B");
    }
    let mut scaled = magnitude as f64 / 1024.0;
    let mut unit = 0;
    // Move up a unit whenever one decimal would round to 1024.0 or more.
    while scaled >= 1023.95 && unit + 1 < BYTE_UNITS.len() {
        scaled /= 1024.0;
        unit += 1;
    }
    format!("{sign}{scaled:.1} {}", BYTE_UNITS[unit])
}

/// A wait in milliseconds, as `850 ms` or `1.4 s`.
fn format_wait_ms(millis: u64) -> String {
    if millis < 1000 {
        format!("{millis} ms")
    } else {
        format!("{:.1} s", millis as f64 / 1000.0)
    }
}

/// A count with thousands separators: `1,024`, `-12,345`.
///
/// ```
/// use leaktest_core::render::format_count;
///
/// assert_eq!(format_count(1024), "1,024");
/// assert_eq!(format_count(-1_000_000), "-1,000,000");
/// assert_eq!(format_count(999), "999");
/// ```
pub fn format_count(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group_thousands(n.unsigned_abs()))
}

/// The digits of `n` with a comma every three from the right.
fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// One line summing up the growth of a resource: per iteration, in total over the
/// judged iterations, and a [`sparkline`] of the whole series.
///
/// Byte amounts carry their unit (`B` per iteration, [`format_bytes`] in total);
/// counts have none. The per-iteration figure has thousands separators and one
/// decimal when it is not a whole number; figures that one decimal would show
/// as `0.0` get the decimals needed to show their first digit (`+0.01/iter`).
///
/// ```
/// use leaktest_core::model::{Judgement, Reason, Resource};
/// use leaktest_core::render::growth_line;
///
/// let reason = Reason::KeptRising { late_growth: 48, steps: 48, from_iteration: 50 };
/// let judgement = Judgement::new(Resource::Fds, true, 96, 1.0, 96, reason);
/// let series = [0, 1, 2, 3, 4, 5, 6, 7];
/// assert_eq!(
///     growth_line(Resource::Fds, &judgement, &series),
///     "fds: +1/iter (+96 over 96 iters) ▁▂▃▄▅▆▇█"
/// );
/// ```
pub fn growth_line(resource: Resource, judgement: &Judgement, series: &[i64]) -> String {
    let bytes = resource.is_bytes();
    let per_iteration = format_resource_rate(resource, judgement.growth_per_iteration);
    let total = signed_amount(judgement.retained_growth, bytes);
    let iterations = judgement.judged_iterations;
    let iterations_noun = if iterations == 1 { "iter" } else { "iters" };
    let mut line = format!(
        "{}: {per_iteration}/iter ({total} over {} {iterations_noun})",
        resource.short_name(),
        group_thousands(iterations),
    );
    let chart = sparkline(series, SPARKLINE_WIDTH);
    if !chart.is_empty() {
        line.push(' ');
        line.push_str(&chart);
    }
    line
}

/// The sentence saying why a resource's verdict is what it is, with amounts
/// in the resource's unit (bytes as [`format_bytes`] writes them, counts as
/// [`format_count`] does).
///
/// ```
/// use leaktest_core::model::{Reason, Resource};
/// use leaktest_core::render::reason_sentence;
///
/// let reason = Reason::KeptRising { late_growth: 3686, steps: 50, from_iteration: 50 };
/// assert_eq!(
///     reason_sentence(Resource::HeapBytes, &reason),
///     "retained amount kept rising through the second half of the run: \
///      +3.6 KiB in 50 steps from iteration 50 on"
/// );
/// ```
pub fn reason_sentence(resource: Resource, reason: &Reason) -> String {
    let amount = |amount: i64| {
        if resource.is_bytes() {
            format_bytes(amount)
        } else {
            format_count(amount)
        }
    };
    match reason {
        Reason::TooFewJudged { judged_iterations } => {
            format!("too few judged iterations ({judged_iterations}, at least 2 needed)")
        }
        Reason::NoRetainedGrowth => "no retained growth".to_owned(),
        Reason::Plateaued {
            growth,
            since_iteration,
        } => format!(
            "grew {} then plateaued from iteration {since_iteration}",
            amount(*growth)
        ),
        Reason::WithinNoise { noise } => format!("growth within noise (±{})", amount(*noise)),
        Reason::StoppedGrowing {
            growth,
            last_rise_iteration,
            quiet_iterations,
        } => format!(
            "grew {} until iteration {last_rise_iteration}, then stayed flat for the \
             {quiet_iterations} iterations of the extended run",
            amount(*growth)
        ),
        Reason::GrewThroughExtension {
            extended_to,
            late_growth,
            last_rise_iteration,
        } => format!(
            "growth continued after the run was extended to {extended_to} iterations \
             (+{} in the second half, last at iteration {last_rise_iteration})",
            amount(*late_growth)
        ),
        Reason::KeptRising {
            late_growth,
            steps,
            from_iteration,
        } => format!(
            "retained amount kept rising through the second half of the run: \
             +{} in {steps} steps from iteration {from_iteration} on",
            amount(*late_growth)
        ),
        Reason::PausedRising {
            steps,
            quiet_iterations,
        } => format!(
            "rose {steps} times in the second half but not in the last {quiet_iterations} \
             iterations; more iterations are needed to tell whether it plateaued"
        ),
        Reason::QuietShorterThanGaps {
            growth,
            last_rise_iteration,
            longest_gap,
            quiet_iterations,
        } => format!(
            "grew {} until iteration {last_rise_iteration}, then stayed flat for \
             {quiet_iterations} iterations, no more than three times the {longest_gap} \
             iterations between two of its rises (a collection that doubles steps \
             again within twice its last gap); more iterations are needed to tell \
             whether it plateaued",
            amount(*growth)
        ),
        Reason::SingleLateStep {
            late_growth,
            at_iteration,
        } => format!(
            "a single late step of +{} at iteration {at_iteration}; \
             more iterations are needed to tell whether growth continues",
            amount(*late_growth)
        ),
        Reason::CouldNotConfirm { pending } => format!(
            "{}; not confirmed: running twice as many iterations would not have \
             finished within the timeout, so it is not reported as a leak \
             (raise `timeout` or lower `iterations`)",
            reason_sentence(resource, pending)
        ),
        Reason::FluctuatedThroughExtension {
            extended_to,
            late_growth,
            noise,
            allowed_growth,
        } => format!(
            "fluctuates without a trend: after the run was extended to {extended_to} \
             iterations its second half gained +{}, no more than noise of ±{} allows \
             over that length (+{})",
            amount(*late_growth),
            amount(*noise),
            amount(*allowed_growth)
        ),
        Reason::ReleasedAfterRun { pending, waited_ms } => format!(
            "{}; then released within {} after the run (freed later than the settle \
             window, by a timer or a background flush), so it is not reported as a leak",
            reason_sentence(resource, pending),
            format_wait_ms(*waited_ms)
        ),
        Reason::NotExtendedNearLimit {
            pending,
            limited,
            limit,
        } => format!(
            "{}; not confirmed: running twice as many iterations could take {limited} \
             past {} (half of what the test may hold), so it is not reported as a leak",
            reason_sentence(resource, pending),
            if limited.is_bytes() {
                format_bytes(*limit)
            } else {
                format_count(*limit)
            }
        ),
    }
}

/// The sentence saying how far a run was extended past its declared
/// iterations, why it stopped there, and which iteration count would judge
/// the test without the extension, when there is one.
///
/// ```
/// use leaktest_core::model::{Extension, ExtensionEnd};
/// use leaktest_core::render::extension_sentence;
///
/// let plateau = Extension::new(800, ExtensionEnd::Judged, Some(610));
/// assert_eq!(
///     extension_sentence(100, &plateau),
///     "run extended from 100 to 800 iterations until its growth stopped; \
///      declare `iterations = 610` to judge it without the extension"
/// );
/// let cap = Extension::new(1000, ExtensionEnd::Cap, None);
/// assert_eq!(
///     extension_sentence(100, &cap),
///     "run extended from 100 to 1,000 iterations, the longest run (10 × the declared iterations)"
/// );
/// ```
pub fn extension_sentence(declared: u64, extension: &Extension) -> String {
    let extended_to = extension.extended_to;
    let run = if extended_to > declared {
        format!(
            "run extended from {} to {} iterations",
            group_thousands(declared),
            group_thousands(extended_to)
        )
    } else {
        format!(
            "run not extended past its {} iterations",
            group_thousands(declared)
        )
    };
    let end = match extension.end {
        ExtensionEnd::Judged => match extension.suggested_iterations {
            Some(iterations) => format!(
                " until its growth stopped; declare `iterations = {iterations}` to judge it \
                 without the extension"
            ),
            None => " until its growth was told from noise".to_owned(),
        },
        ExtensionEnd::Cap => format!(
            ", the longest run ({} × the declared iterations)",
            crate::analysis::EXTENSION_CAP_FACTOR
        ),
        ExtensionEnd::PastCapWhileCheap { budget_ms } => format!(
            ", past the longest run of {} × the declared iterations while the whole run \
             stayed within {}; a longer one would not have",
            crate::analysis::EXTENSION_CAP_FACTOR,
            format_wait_ms(budget_ms)
        ),
        ExtensionEnd::LongestRun => format!(
            ", the longest run even for a quick test ({} × the declared iterations)",
            crate::analysis::EXTENSION_MAX_FACTOR
        ),
        ExtensionEnd::Timeout => {
            ": running twice as many would not have finished within the timeout".to_owned()
        }
        ExtensionEnd::Limit { resource, limit } => {
            let limit = if resource.is_bytes() {
                format_bytes(limit)
            } else {
                format_count(limit)
            };
            format!(
                ": at its pace, {resource} would have passed {limit} (half of its limit) \
                 by the next length"
            )
        }
    };
    run + &end
}

/// A growth rate of `resource` per iteration, signed, with its unit:
/// `+1,024 B`, `+1.6 B`, `+1`, `+0.01`.
///
/// ```
/// use leaktest_core::model::Resource;
/// use leaktest_core::render::format_resource_rate;
///
/// assert_eq!(format_resource_rate(Resource::HeapBytes, 1024.0), "+1,024 B");
/// assert_eq!(format_resource_rate(Resource::Fds, 1.0), "+1");
/// ```
pub fn format_resource_rate(resource: Resource, rate: f64) -> String {
    let number = format_rate(rate);
    if resource.is_bytes() {
        format!("{number} B")
    } else {
        number
    }
}

/// An amount with an explicit sign, in bytes or as a count.
fn signed_amount(amount: i64, bytes: bool) -> String {
    let text = if bytes {
        format_bytes(amount)
    } else {
        format_count(amount)
    };
    if amount < 0 {
        text
    } else {
        format!("+{text}")
    }
}

/// How many decimals show the first significant digit of `magnitude` (in
/// `0 < magnitude < 1`): `ceil(-log10(magnitude))`, at most 18. Counted by
/// multiplying rather than with `f64::log10`, which would make every test
/// binary load `libm` at start (about 70 µs per process, BENCHMARKS.md
/// section 3), for this one call.
fn decimals_to_first_digit(magnitude: f64) -> usize {
    let mut decimals = 0;
    let mut scaled = magnitude;
    while scaled < 1.0 && decimals < 18 {
        scaled *= 10.0;
        decimals += 1;
    }
    decimals
}

/// A rate with an explicit sign, thousands separators and at most one decimal
/// (more only when one would hide a non-zero rate).
fn format_rate(rate: f64) -> String {
    if !rate.is_finite() {
        return format!("{rate}");
    }
    let sign = if rate < 0.0 { "-" } else { "+" };
    let magnitude = rate.abs();
    let tenths = (magnitude * 10.0).round();
    if magnitude > 0.0 && tenths == 0.0 {
        let decimals = decimals_to_first_digit(magnitude).clamp(2, 18);
        return format!("{sign}{magnitude:.decimals$}");
    }
    // Saturating float-to-int conversion: rates beyond u64 are not meaningful here.
    let tenths = tenths as u64;
    let whole = group_thousands(tenths / 10);
    if magnitude.fract() == 0.0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{}", tenths % 10)
    }
}

/// Why leaked handles could not be named, as a sentence.
///
/// ```
/// use leaktest_core::model::HandlesUnnamed;
/// use leaktest_core::render::handles_unnamed_sentence;
///
/// assert_eq!(
///     handles_unnamed_sentence(&HandlesUnnamed::NotLinux),
///     "handles can be named only on Linux (from /proc)"
/// );
/// ```
pub fn handles_unnamed_sentence(why: &HandlesUnnamed) -> String {
    match why {
        HandlesUnnamed::NotLinux => "handles can be named only on Linux (from /proc)".to_owned(),
        HandlesUnnamed::ProcUnreadable { path, error } => {
            format!("could not read {path} to name them: {error}")
        }
    }
}

/// Lines naming the handles of one resource that leaked: a header with how
/// many appeared and the largest group, then one line per further group,
/// aligned, at most [`HANDLE_GROUPS_SHOWN`] groups in all.
///
/// ```
/// use leaktest_core::model::{HandleGroup, HandleKind, LeakedHandles, Resource};
/// use leaktest_core::render::leaked_handle_lines;
///
/// let handles = LeakedHandles::named(
///     Resource::Fds,
///     vec![
///         HandleGroup::new(96, HandleKind::Tcp, "127.0.0.1:* LISTEN"),
///         HandleGroup::new(1, HandleKind::File, "/var/log/app.log"),
///     ],
///     0,
///     0,
/// );
/// assert_eq!(
///     leaked_handle_lines(&handles),
///     ["fds +97: 96 x tcp 127.0.0.1:* LISTEN", "         1 x file /var/log/app.log"]
/// );
/// ```
pub fn leaked_handle_lines(handles: &LeakedHandles) -> Vec<String> {
    let resource = handles.resource.short_name();
    if let Some(why) = &handles.unnamed {
        return vec![format!(
            "{resource}: the handles cannot be named: {}",
            handles_unnamed_sentence(why)
        )];
    }
    if handles.appeared == 0 {
        return vec![format!(
            "{resource} +0: none of the {resource} there at the end appeared during the judged iterations"
        )];
    }
    let header = format!("{resource} +{}: ", group_thousands(handles.appeared));
    let indent = " ".repeat(header.chars().count());
    let hidden = handles.groups.len().saturating_sub(HANDLE_GROUPS_SHOWN);
    let mut lines: Vec<String> = handles
        .groups
        .iter()
        .take(HANDLE_GROUPS_SHOWN)
        .enumerate()
        .map(|(index, group)| {
            let lead = if index == 0 { &header } else { &indent };
            let text = format!(
                "{} x {} {}",
                group_thousands(group.count),
                group.kind.label(),
                group.name
            );
            format!("{lead}{}", text.trim_end())
        })
        .collect();
    let more_groups = hidden as u64 + handles.omitted_groups;
    if more_groups > 0 {
        let more_handles = handles.groups[handles.groups.len() - hidden..]
            .iter()
            .map(|group| group.count)
            .sum::<u64>()
            + handles.omitted_handles;
        lines.push(format!(
            "{indent}... and {} more ({} {resource})",
            group_thousands(more_groups),
            group_thousands(more_handles)
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HandleGroup, HandleKind};

    fn judgement(
        retained_growth: i64,
        growth_per_iteration: f64,
        judged_iterations: u64,
    ) -> Judgement {
        Judgement::new(
            Resource::HeapBytes,
            true,
            retained_growth,
            growth_per_iteration,
            judged_iterations,
            Reason::NoRetainedGrowth,
        )
    }

    #[test]
    fn growth_released_after_the_run_says_when_and_what_it_looked_like() {
        use crate::model::{Extension, ExtensionEnd, Reason};
        let released = Reason::ReleasedAfterRun {
            pending: Box::new(Reason::GrewThroughExtension {
                extended_to: 1000,
                late_growth: 25_000,
                last_rise_iteration: 999,
            }),
            waited_ms: 1340,
        };
        let sentence = reason_sentence(Resource::HeapBytes, &released);
        assert!(
            sentence.starts_with("growth continued after the run was extended to 1000"),
            "{sentence}"
        );
        assert!(
            sentence.contains("then released within 1.3 s after the run"),
            "{sentence}"
        );
        assert!(sentence.ends_with("not reported as a leak"), "{sentence}");
        let past_cap = Extension::new(
            4000,
            ExtensionEnd::PastCapWhileCheap { budget_ms: 1500 },
            None,
        );
        assert_eq!(
            extension_sentence(100, &past_cap),
            "run extended from 100 to 4,000 iterations, past the longest run of 10 × the \
             declared iterations while the whole run stayed within 1.5 s; a longer one would not have"
        );
        let longest = Extension::new(10_000, ExtensionEnd::LongestRun, None);
        assert!(extension_sentence(100, &longest).ends_with("(100 × the declared iterations)"));
    }

    #[test]
    fn sparkline_scales_from_lowest_to_highest() {
        assert_eq!(sparkline(&[0, 1, 2, 3, 4, 5, 6, 7], 8), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(&[-70, 0], 8), "▁█");
        assert_eq!(sparkline(&[100, 150, 200], 8), "▁▅█");
    }

    #[test]
    fn sparkline_of_a_flat_series_is_all_lowest() {
        assert_eq!(sparkline(&[42; 5], 8), "▁▁▁▁▁");
    }

    #[test]
    fn sparkline_of_nothing_is_empty() {
        assert_eq!(sparkline(&[], 8), "");
        assert_eq!(sparkline(&[1, 2, 3], 0), "");
    }

    #[test]
    fn sparkline_downsamples_to_the_width_keeping_peaks() {
        let series: Vec<i64> = (0..100).map(|i| if i == 55 { 1000 } else { 0 }).collect();
        let chart = sparkline(&series, 10);
        assert_eq!(chart.chars().count(), 10);
        assert_eq!(chart, "▁▁▁▁▁█▁▁▁▁");
        let rising: Vec<i64> = (0..1000).collect();
        assert_eq!(sparkline(&rising, 8), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(&rising, 7).chars().count(), 7);
    }

    #[test]
    fn sparkline_survives_extreme_values() {
        assert_eq!(sparkline(&[i64::MIN, 0, i64::MAX], 3), "▁▅█");
    }

    #[test]
    fn bytes_below_a_kibibyte_are_exact() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(-512), "-512 B");
    }

    #[test]
    fn larger_byte_amounts_have_binary_units() {
        assert_eq!(format_bytes(1024), "1.0 KiB");
        assert_eq!(format_bytes(96 * 1024), "96.0 KiB");
        assert_eq!(format_bytes(3 * 1024 * 1024 + 512 * 1024), "3.5 MiB");
        assert_eq!(format_bytes(1_288_490_189), "1.2 GiB");
        assert_eq!(format_bytes(-(3 << 20) - (1 << 19)), "-3.5 MiB");
        assert_eq!(format_bytes((1 << 20) - 1), "1.0 MiB");
        assert_eq!(format_bytes(i64::MAX), "8.0 EiB");
        assert_eq!(format_bytes(i64::MIN), "-8.0 EiB");
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(1024), "1,024");
        assert_eq!(format_count(123_456), "123,456");
        assert_eq!(format_count(1_234_567), "1,234,567");
        assert_eq!(format_count(-1024), "-1,024");
        assert_eq!(format_count(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn growth_line_of_bytes() {
        let series = [0, 1, 2, 3, 4, 5, 6, 7];
        assert_eq!(
            growth_line(
                Resource::HeapBytes,
                &judgement(96 * 1024, 1024.0, 96),
                &series
            ),
            "heap: +1,024 B/iter (+96.0 KiB over 96 iters) ▁▂▃▄▅▆▇█"
        );
        assert_eq!(
            growth_line(Resource::HeapBytes, &judgement(96, 1.0, 96), &series),
            "heap: +1 B/iter (+96 B over 96 iters) ▁▂▃▄▅▆▇█"
        );
        assert_eq!(
            growth_line(Resource::HeapBytes, &judgement(160, 1.6, 100), &[]),
            "heap: +1.6 B/iter (+160 B over 100 iters)"
        );
    }

    #[test]
    fn growth_line_of_counts() {
        let series = [0, 1, 2, 3, 4, 5, 6, 7];
        assert_eq!(
            growth_line(Resource::Fds, &judgement(96, 1.0, 96), &series),
            "fds: +1/iter (+96 over 96 iters) ▁▂▃▄▅▆▇█"
        );
        assert_eq!(
            growth_line(Resource::HeapBlocks, &judgement(9, 0.1, 90), &[5, 5]),
            "blocks: +0.1/iter (+9 over 90 iters) ▁▁"
        );
        assert_eq!(
            growth_line(Resource::Threads, &judgement(0, 0.0, 1), &[]),
            "threads: +0/iter (+0 over 1 iter)"
        );
    }

    fn handles(resource: Resource, groups: &[(u64, HandleKind, &str)]) -> LeakedHandles {
        let groups = groups
            .iter()
            .map(|&(count, kind, name)| HandleGroup::new(count, kind, name))
            .collect();
        LeakedHandles::named(resource, groups, 0, 0)
    }

    #[test]
    fn one_group_of_handles_fits_on_one_line() {
        assert_eq!(
            leaked_handle_lines(&handles(
                Resource::Fds,
                &[(96, HandleKind::Tcp, "127.0.0.1:* LISTEN")]
            )),
            ["fds +96: 96 x tcp 127.0.0.1:* LISTEN"]
        );
        assert_eq!(
            leaked_handle_lines(&handles(
                Resource::Threads,
                &[(20, HandleKind::Thread, "\"watcher\"")]
            )),
            ["threads +20: 20 x thread \"watcher\""]
        );
    }

    #[test]
    fn groups_beyond_those_shown_are_summed_up() {
        let many: Vec<(u64, HandleKind, String)> = (0..12)
            .map(|index| (1, HandleKind::File, format!("/tmp/{index:02}")))
            .collect();
        let many: Vec<(u64, HandleKind, &str)> = many
            .iter()
            .map(|(count, kind, name)| (*count, *kind, name.as_str()))
            .collect();
        let mut leaked = handles(Resource::Fds, &many);
        leaked.omitted_groups = 5;
        leaked.omitted_handles = 7;
        leaked.appeared += 7;
        let lines = leaked_handle_lines(&leaked);
        assert_eq!(lines.len(), HANDLE_GROUPS_SHOWN + 1);
        assert_eq!(lines[0], "fds +19: 1 x file /tmp/00");
        assert_eq!(lines[1], "         1 x file /tmp/01");
        assert_eq!(
            lines[HANDLE_GROUPS_SHOWN], "         ... and 9 more (11 fds)",
            "4 groups hidden here and 5 left out of the record"
        );
    }

    #[test]
    fn unnamed_or_missing_handles_say_so() {
        let unnamed = LeakedHandles::unnamed(Resource::Fds, HandlesUnnamed::NotLinux);
        assert_eq!(
            leaked_handle_lines(&unnamed),
            ["fds: the handles cannot be named: handles can be named only on Linux (from /proc)"]
        );
        let none = handles(Resource::ChildProcesses, &[]);
        assert_eq!(
            leaked_handle_lines(&none),
            ["children +0: none of the children there at the end appeared during the judged iterations"]
        );
    }

    #[test]
    fn rates_show_one_decimal_unless_whole_or_tiny() {
        assert_eq!(format_rate(1024.0), "+1,024");
        assert_eq!(format_rate(1234.56), "+1,234.6");
        assert_eq!(format_rate(0.96), "+1.0");
        assert_eq!(format_rate(-2.5), "-2.5");
        assert_eq!(format_rate(0.0), "+0");
        assert_eq!(format_rate(1.0 / 96.0), "+0.01");
        assert_eq!(format_rate(0.004), "+0.004");
        assert_eq!(format_rate(-0.0004), "-0.0004");
        assert_eq!(format_rate(0.01), "+0.01");
        assert_eq!(format_rate(1e-30), "+0.000000000000000000");
    }

    #[test]
    fn decimals_reach_the_first_significant_digit() {
        assert_eq!(decimals_to_first_digit(0.5), 1);
        assert_eq!(decimals_to_first_digit(0.05), 2);
        assert_eq!(decimals_to_first_digit(0.01), 2);
        assert_eq!(decimals_to_first_digit(0.0099), 3);
        for decimals in 1..=18 {
            let power = (0..decimals).fold(1.0, |value: f64, _| value / 10.0);
            assert_eq!(decimals_to_first_digit(power), decimals, "10^-{decimals}");
        }
        assert_eq!(decimals_to_first_digit(1e-30), 18);
    }
}
