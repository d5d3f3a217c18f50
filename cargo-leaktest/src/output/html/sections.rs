//! The details under a test's plots, one function per kind of detail.
//!
//! Each function of [`SECTIONS`] looks at one test and returns a [`Section`]
//! when it has something to say (the budgets, the comparison with the
//! baseline, the handles that leaked, the resources not measured, the
//! output). A new kind of detail (the allocation sites of the heap growth)
//! is one more function here, added to the list: the page renders every
//! section the same way, as a titled block that opens by itself for failing
//! tests.

use super::{configured_budgets, ReportedTest};
use crate::baseline::compare::Verdict as ChangeVerdict;
use crate::baseline::Status;
use leaktest_core::model::{Attribution, BudgetCheck, ConfigSource, Outcome};
use leaktest_core::render::{
    attribution_heading, budget_line, format_count, frame_text, handles_unnamed_sentence,
    native_heap_not_attributed_lines, profile_notes, site_rate, HANDLE_GROUPS_SHOWN, SITES_SHOWN,
};
use leaktest_core::summary::{heap_growth_judged_a_leak, native_leak_needs_its_own_note};
use maud::{html, Markup};

/// One block of details under a test's plots.
#[derive(Debug, Clone)]
pub struct Section {
    /// Its heading.
    pub title: String,
    /// Its content.
    pub body: Markup,
    /// Shown open (failures); otherwise one click away.
    pub open: bool,
}

/// The detail sections, in the order they appear.
pub const SECTIONS: &[fn(&ReportedTest) -> Option<Section>] = &[
    budgets,
    baseline_comparison,
    allocation_sites,
    native_heap_sites,
    leaked_handles,
    unmeasured_resources,
    output_tail,
];

/// Every budget set for the test, as the failure details say it (limit,
/// measured value, source), with the reason an override gave; open when one
/// was exceeded.
fn budgets(test: &ReportedTest) -> Option<Section> {
    let checks: Vec<&BudgetCheck> = configured_budgets(&test.record).collect();
    if checks.is_empty() {
        return None;
    }
    let exceeded = checks.iter().filter(|check| check.exceeded).count();
    let title = match exceeded {
        0 => format!("Budgets ({}): none exceeded", checks.len()),
        _ => format!("Budgets ({}): {exceeded} exceeded", checks.len()),
    };
    Some(Section {
        title,
        body: html! {
            ul.budgets {
                @for check in &checks {
                    li {
                        (budget_symbol(check)) " " (budget_line(check))
                        @if let ConfigSource::Override { reason: Some(reason), .. } = &check.source {
                            br; span.note { "Reason given: " (reason) }
                        }
                    }
                }
            }
        },
        open: exceeded > 0,
    })
}

/// `✗` for a budget exceeded, `✓` for one held, `○` for one not measured;
/// the words beside it say the same.
pub fn budget_symbol(check: &BudgetCheck) -> Markup {
    let (class, symbol) = match (check.exceeded, check.measured) {
        (true, _) => ("verdict failed", "✗"),
        (false, None) => ("verdict ignored", "○"),
        (false, Some(_)) => ("verdict passed", "✓"),
    };
    html! { span class=(class) aria-hidden="true" { (symbol) } }
}

/// Every figure compared with the baseline, and what its move means; open
/// when something regressed.
fn baseline_comparison(test: &ReportedTest) -> Option<Section> {
    let comparison = test.comparison.as_ref()?;
    let title = match comparison.status {
        Status::Regressed => "Baseline: regressed",
        Status::Improved => "Baseline: improved",
        Status::Unchanged => "Baseline: unchanged",
        Status::New => "Baseline: new test, not in the baseline",
        Status::NotCompared => "Baseline: not compared",
    };
    Some(Section {
        title: title.to_owned(),
        body: html! {
            @if let Some(note) = &comparison.note { p { (note) } }
            @if !comparison.changes.is_empty() {
                ul.changes {
                    @for change in &comparison.changes {
                        li {
                            @match change.verdict {
                                ChangeVerdict::Regressed => strong.regressed { "✗ regressed: " },
                                ChangeVerdict::Improved => strong.improved { "↓ improved: " },
                                ChangeVerdict::Within => span.note { "within tolerance: " },
                            }
                            (change.text)
                        }
                    }
                }
            }
        },
        open: comparison.status == Status::Regressed,
    })
}

/// Where the heap growth comes from: the allocation sites of the test's
/// attribution run, each with its frames, as the failure text lists them, or
/// why there are none; open when the test failed.
fn allocation_sites(test: &ReportedTest) -> Option<Section> {
    let record = &test.record;
    let attribution = record.attribution.as_ref()?;
    let heading = attribution_heading(attribution, heap_growth_judged_a_leak(record));
    let profiled = match attribution {
        Attribution::Profiled(profiled) => Some(profiled),
        _ => None,
    };
    Some(Section {
        title: "Where the heap grows".to_owned(),
        body: html! {
            p { (heading) }
            @if let Some(profiled) = profiled {
                @if !profiled.sites.is_empty() {
                    ol.sites {
                        @for site in profiled.sites.iter().take(SITES_SHOWN) {
                            li {
                                strong { (site_rate(site)) } ": "
                                @for (index, frame) in site.frames.iter().enumerate() {
                                    @if index > 0 { br; "called from " }
                                    code { (frame_text(frame)) }
                                }
                                @if !site.in_user_code {
                                    " " span.note { "(no frame of the test's own code)" }
                                }
                            }
                        }
                    }
                }
                @for note in profile_notes(profiled) {
                    p.note { (note.trim()) }
                }
            }
        },
        open: record.outcome.is_failure(),
    })
}

/// Why a leak of the native heap (C code's `malloc`) has no allocation
/// sites, and how to get the C call stacks, as the failure text says; open
/// (the test failed).
fn native_heap_sites(test: &ReportedTest) -> Option<Section> {
    let record = &test.record;
    if !native_leak_needs_its_own_note(record) {
        return None;
    }
    let lines = native_heap_not_attributed_lines(&record.name);
    Some(Section {
        title: "Where the native heap grows".to_owned(),
        body: html! {
            @for line in &lines {
                p { (line.trim()) }
            }
        },
        open: true,
    })
}

/// The handles of each leaking resource that appeared during the judged
/// iterations and were still there at the end, grouped as in the failure
/// text; open when the test failed.
fn leaked_handles(test: &ReportedTest) -> Option<Section> {
    let record = &test.record;
    if record.leaked_handles.is_empty() {
        return None;
    }
    let appeared: u64 = record
        .leaked_handles
        .iter()
        .map(|handles| handles.appeared)
        .sum();
    let count = |count: u64| format_count(i64::try_from(count).unwrap_or(i64::MAX));
    Some(Section {
        title: format!("Leaked handles ({})", count(appeared)),
        body: html! {
            @for handles in &record.leaked_handles {
                h5 { (handles.resource.short_name()) " +" (count(handles.appeared)) }
                @if let Some(why) = &handles.unnamed {
                    p.note { "The handles cannot be named: " (handles_unnamed_sentence(why)) }
                } @else {
                    ul.handles {
                        @for group in handles.groups.iter().take(HANDLE_GROUPS_SHOWN) {
                            li {
                                (count(group.count)) " × " (group.kind.label()) " "
                                code { (group.name) }
                            }
                        }
                        @let hidden = &handles.groups[handles.groups.len().min(HANDLE_GROUPS_SHOWN)..];
                        @let more_groups = hidden.len() as u64 + handles.omitted_groups;
                        @if more_groups > 0 {
                            @let more_handles = hidden.iter().map(|group| group.count).sum::<u64>()
                                + handles.omitted_handles;
                            li.note {
                                "… and " (count(more_groups)) " more ("
                                (count(more_handles)) " " (handles.resource.short_name()) ")"
                            }
                        }
                    }
                }
            }
        },
        open: record.outcome.is_failure(),
    })
}

/// The resources that could not be measured, and why.
fn unmeasured_resources(test: &ReportedTest) -> Option<Section> {
    let unmeasured = &test.record.unmeasured;
    if unmeasured.is_empty() {
        return None;
    }
    Some(Section {
        title: format!("Not measured ({})", unmeasured.len()),
        body: html! {
            ul {
                @for resource in unmeasured {
                    li { strong { (resource.resource.short_name()) } ": " (resource.why) }
                }
            }
        },
        open: false,
    })
}

/// The last lines the test printed: open when it did not pass, since a panic
/// message or a crash's last words are usually there.
fn output_tail(test: &ReportedTest) -> Option<Section> {
    let record = &test.record;
    let streams: Vec<(&str, &str)> = [
        ("stdout", record.stdout_tail.as_str()),
        ("stderr", record.stderr_tail.as_str()),
    ]
    .into_iter()
    .filter(|(_, tail)| !tail.trim().is_empty())
    .collect();
    if streams.is_empty() {
        return None;
    }
    Some(Section {
        title: "Output (last lines)".to_owned(),
        body: html! {
            @for (stream, tail) in &streams {
                h5 { (stream) }
                pre.output { (printable(tail)) }
            }
        },
        open: record.outcome.is_failure() && !matches!(record.outcome, Outcome::LeakNotFound),
    })
}

/// `text` without terminal colour codes, and other control characters shown
/// as their visible symbols (`␛`), since HTML cannot show them.
pub fn printable(text: &str) -> String {
    console::strip_ansi_codes(text)
        .replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
            '\u{7f}' => '\u{2421}',
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use leaktest_core::model::{
        AllocationSite, ProfiledSites, Settings, SiteFrame, TestDescription, TestRecord,
    };

    fn attributed(attribution: Attribution) -> ReportedTest {
        let test = TestDescription::new("labels_leak", "tests/leaks.rs:9", Settings::default());
        let mut record = TestRecord::without_run(&test, Outcome::Leaked, 10);
        record.attribution = Some(attribution);
        ReportedTest::new("app::leaks".to_owned(), record)
    }

    #[test]
    fn the_sites_of_a_leak_are_listed_with_their_frames_and_the_profile() {
        let site = AllocationSite::new(
            17.8,
            1.0,
            vec![
                SiteFrame::new(
                    "app::labels::intern",
                    Some("app/src/labels.rs".into()),
                    Some(99),
                ),
                SiteFrame::new(
                    "leaks::labels_leak",
                    Some("app/tests/leaks.rs".into()),
                    Some(12),
                ),
            ],
            true,
        );
        let profiled = ProfiledSites::new(
            vec![site],
            0,
            17.8,
            "/t/labels_leak.dhat.json".to_owned(),
            [100, 200],
            true,
        );
        let section =
            allocation_sites(&attributed(Attribution::Profiled(profiled))).expect("a section");
        assert!(section.open, "open for a failing test");
        let body = section.body.into_string();
        for expected in [
            "sites grow by 17.8 B/iter",
            "<strong>+17.8 B/iter, +1 block/iter</strong>",
            "<code>app::labels::intern (app/src/labels.rs:99)</code>",
            "called from <code>leaks::labels_leak (app/tests/leaks.rs:12)</code>",
            "/t/labels_leak.dhat.json",
        ] {
            assert!(body.contains(expected), "{expected} in {body}");
        }
    }

    #[test]
    fn a_test_without_sites_says_why_and_one_without_attribution_has_no_section() {
        let unavailable = Attribution::Unavailable {
            reason: leaktest_core::model::AttributionUnavailable::FeatureOff,
        };
        let body = allocation_sites(&attributed(unavailable))
            .expect("a section")
            .body
            .into_string();
        assert!(
            body.contains("not attributed: leaktest-core was built without"),
            "{body}"
        );
        let mut plain = attributed(Attribution::Unavailable {
            reason: leaktest_core::model::AttributionUnavailable::FeatureOff,
        });
        plain.record.attribution = None;
        assert!(allocation_sites(&plain).is_none());
    }

    #[test]
    fn control_characters_become_visible_and_colours_are_dropped() {
        assert_eq!(printable("\u{1b}[31mred\u{1b}[0m\tok\n"), "red\tok\n");
        assert_eq!(
            printable("bell\u{7}\u{0}\r"),
            "bell\u{2407}\u{2400}\u{240d}"
        );
        assert_eq!(printable("del\u{7f}"), "del\u{2421}");
        assert_eq!(printable("windows\r\nline"), "windows\nline");
    }
}
