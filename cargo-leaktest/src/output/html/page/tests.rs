use super::*;
use crate::baseline::compare::{Change, Verdict as ChangeVerdict};
use crate::baseline::gate::BaselineCounts;
use crate::baseline::Comparison;
use crate::output::html::plot::PlotSeries;
use crate::output::html::ReportedBaseline;
use leaktest_core::model::{
    AllocationPerIteration, ConfigSource, HandleGroup, HandleKind, Judgement, LeakedHandles,
    Reason, ResolvedBudget, Resource, Settings, TestDescription,
};
use std::time::Duration;

const HOSTILE_NAME: &str = "tricky::<script>alert(1)</script>&\"name\"";

fn description(name: &str) -> TestDescription {
    let mut settings = Settings::default();
    settings.iterations = 20;
    settings.warmup = 2;
    TestDescription::new(name, "tests/leaks.rs:7", settings)
}

fn resource(resource: Resource, series: Vec<i64>, leaking: bool) -> ResourceReport {
    let growth = series.last().copied().unwrap_or(0) - series.first().copied().unwrap_or(0);
    let cause = if leaking {
        Reason::KeptRising {
            late_growth: growth / 2,
            steps: 10,
            from_iteration: 10,
        }
    } else {
        Reason::NoRetainedGrowth
    };
    let mut judgement = Judgement::new(
        resource,
        leaking,
        growth,
        1.0,
        series.len() as u64 - 2,
        cause,
    );
    judgement.reason = "retained amount kept rising <fast>".to_owned();
    ResourceReport::new(resource, series, judgement)
}

/// A test that ran 20 iterations: heap leaking when `leaking`, fds flat.
fn ran(name: &str, outcome: Outcome, leaking: bool) -> ReportedTest {
    let mut record = TestRecord::without_run(&description(name), outcome, 42);
    record.iterations_run = 20;
    record.peak_heap_bytes = 4096;
    record.resources = vec![
        resource(
            Resource::HeapBytes,
            (0..20).map(|i| 1000 + 64 * i).collect(),
            leaking,
        ),
        resource(Resource::Fds, vec![5; 20], false),
    ];
    ReportedTest::new("alpha::leaks".to_owned(), record)
}

/// A test that delivered no record of its own.
fn without_run(name: &str, outcome: Outcome, stderr_tail: &str) -> ReportedTest {
    let mut record = TestRecord::without_run(&description(name), outcome, 1500);
    record.stderr_tail = stderr_tail.to_owned();
    ReportedTest::new("alpha::leaks".to_owned(), record)
}

fn run_of(tests: Vec<ReportedTest>) -> ReportedRun {
    let mut tally = Tally {
        duration: Duration::from_millis(3_900),
        ..Tally::default()
    };
    for test in &tests {
        tally.count(&test.record);
    }
    ReportedRun {
        command: "cargo leaktest --report <out>".to_owned(),
        written_at: "2024-05-01T12:00:00Z".to_owned(),
        tests,
        tally,
        unfinished: Vec::new(),
        skipped_targets: Vec::new(),
        baseline: None,
    }
}

fn every_outcome() -> ReportedRun {
    run_of(vec![
        ran("clean", Outcome::Passed, false),
        ran("leaky", Outcome::Leaked, true),
        without_run(
            "panics",
            Outcome::Failed {
                message: "called `Option::unwrap()` on a `None` value </pre><img src=x>".to_owned(),
                iteration: Some(3),
            },
            "thread 'main' panicked at src/lib.rs:3:5\n",
        ),
        without_run(
            "aborts",
            Outcome::Crashed {
                exit_code: None,
                signal: Some(6),
                description: "was killed by SIGABRT".to_owned(),
            },
            "fatal runtime error: <b>boom</b>\n",
        ),
        without_run("hangs", Outcome::TimedOut { timeout_ms: 2000 }, ""),
        without_run(
            "later",
            Outcome::Ignored {
                reason: Some("needs a database".to_owned()),
            },
            "",
        ),
        ran(HOSTILE_NAME, Outcome::Passed, false),
    ])
}

/// The positions of `needle` in `page`, in order.
fn positions(page: &str, needle: &str) -> Vec<usize> {
    page.match_indices(needle).map(|(at, _)| at).collect()
}

/// The rows of the summary table's bodies, without the rows that name a binary.
fn table_rows(page: &str) -> Vec<&str> {
    let table = page
        .split_once("</thead>")
        .and_then(|(_, rest)| rest.split_once("</table>"))
        .map(|(table, _)| table)
        .expect("a table");
    table
        .split("<tr")
        .skip(1)
        .filter(|row| !row.starts_with(" class=\"binary\""))
        .collect()
}

#[test]
fn the_summary_is_a_real_table_with_one_row_per_test() {
    let page = render(&every_outcome());
    assert!(page.contains("<caption>"), "a caption");
    for header in [
        "Test",
        "Verdict",
        "Growth",
        "Peak heap",
        "Iterations",
        "Duration",
    ] {
        assert!(
            page.contains(&format!(">{header}</th>")) && page.contains("scope=\"col\""),
            "{header}"
        );
    }
    let rows = table_rows(&page);
    assert_eq!(rows.len(), 7);
    assert!(rows.iter().all(|row| row.contains("<th scope=\"row\">")));
    assert!(page.contains("<th scope=\"colgroup\" colspan=\"7\"><code>alpha::leaks</code>"));
    // Every row links to the test's details, which exist.
    for (position, row) in rows.iter().enumerate() {
        assert!(row.contains(&format!("href=\"#test-{position}\"")), "{row}");
        assert!(page.contains(&format!("id=\"test-{position}\"")));
    }
}

#[test]
fn the_summary_charts_the_resource_that_leaked() {
    let mut fds_leak = TestRecord::without_run(&description("fds_leak"), Outcome::Leaked, 42);
    fds_leak.iterations_run = 20;
    fds_leak.resources = vec![
        resource(Resource::HeapBytes, vec![1000; 20], false),
        resource(Resource::Fds, (0..20).collect(), true),
    ];
    let page = render(&run_of(vec![
        ReportedTest::new("alpha::leaks".to_owned(), fds_leak),
        ran("heap_leak", Outcome::Leaked, true),
    ]));
    assert!(page.contains(">Over the run</th>"), "the column's header");
    let rows = table_rows(&page);
    let fds_row = rows
        .iter()
        .find(|row| row.contains("fds_<wbr>leak"))
        .expect("its row");
    assert!(
        fds_row.contains("<span class=\"note\">fds </span><svg class=\"sparkline\""),
        "{fds_row}"
    );
    assert!(
        fds_row.contains("aria-label=\"fds from 0 to 19\""),
        "{fds_row}"
    );
    let heap_row = rows
        .iter()
        .find(|row| row.contains("heap_<wbr>leak"))
        .expect("its row");
    assert!(heap_row.contains("aria-label=\"heap from"), "{heap_row}");
    assert!(
        !heap_row.contains("<span class=\"note\">heap"),
        "{heap_row}"
    );
}

#[test]
fn a_native_heap_leak_says_why_it_has_no_sites() {
    let mut native_leak = TestRecord::without_run(&description("c_leak"), Outcome::Leaked, 42);
    native_leak.iterations_run = 20;
    native_leak.resources = vec![
        resource(Resource::HeapBytes, vec![1000; 20], false),
        resource(
            Resource::NativeHeapBytes,
            (0..20).map(|i| 256 * i).collect(),
            true,
        ),
    ];
    let page = render(&run_of(vec![
        ReportedTest::new("alpha::leaks".to_owned(), native_leak),
        ran("heap_leak", Outcome::Leaked, true),
    ]));
    assert_eq!(
        positions(&page, "Where the native heap grows").len(),
        1,
        "one test's"
    );
    assert!(page.contains("valgrind --leak-check=full --trace-children=yes"));
}

#[test]
fn failures_come_first_then_the_rest_by_name() {
    let page = render(&every_outcome());
    let names: Vec<String> = table_rows(&page)
        .iter()
        .map(|row| {
            let link = &row[row.find("<a ").unwrap_or(0)..];
            let text_start = link.find('>').map_or(0, |at| at + 1);
            let text_end = link.find("</a>").unwrap_or(link.len());
            link[text_start..text_end].replace("<wbr>", "")
        })
        .collect();
    assert_eq!(
        names,
        [
            "aborts",
            "hangs",
            "leaky",
            "panics",
            "clean",
            "later",
            "tricky::&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;name&quot;"
        ]
    );
    // Names may wrap where they have natural breaks.
    assert!(page.contains("tricky::<wbr>&lt;script"));
}

#[test]
fn every_piece_of_user_text_is_escaped() {
    let page = render(&every_outcome());
    assert!(!page.contains("<script"), "no script element at all");
    assert!(!page.contains("<img"), "the message's markup is text");
    assert!(!page.contains("<b>boom"), "the output's markup is text");
    assert!(!page.contains("<fast>"), "the reason's markup is text");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;name&quot;"));
    assert!(page.contains("&lt;/pre&gt;&lt;img src=x&gt;"));
    assert!(page.contains("<span class=\"reason\">retained amount kept rising &lt;fast&gt;</span>"));
    assert!(page.contains("fatal runtime error: &lt;b&gt;boom&lt;/b&gt;"));
    assert!(page.contains("cargo leaktest --report &lt;out&gt;"));
}

#[test]
fn failed_crashed_and_timed_out_tests_keep_their_message_and_output() {
    let page = render(&every_outcome());
    assert!(page.contains("Failed in iteration 3:"));
    assert!(page.contains("called `Option::unwrap()` on a `None` value"));
    assert!(page.contains("thread 'main' panicked at src/lib.rs:3:5"));
    assert!(page.contains("Crashed: the test process was killed by SIGABRT."));
    assert!(page.contains("Timed out: still running after 2s; killed."));
    assert!(page.contains("Ignored: needs a database."));
    // A failure's output is open; tests without a record say why there is no plot.
    assert!(page.contains("<details class=\"detail\" open><summary><h4>Output (last lines)</h4>"));
    assert_eq!(positions(&page, "No samples:").len(), 4);
}

#[test]
fn each_measured_resource_gets_a_plot_of_its_full_series() {
    let page = render(&every_outcome());
    // Three tests ran, each measuring heap and fds.
    assert_eq!(positions(&page, "<svg class=\"plot\"").len(), 6);
    assert_eq!(positions(&page, "data-samples=\"20\"").len(), 6);
    assert_eq!(positions(&page, "data-points=\"20\"").len(), 6);
    assert_eq!(positions(&page, "data-resource=\"heap\"").len(), 3);
}

#[test]
fn ids_are_unique_on_the_page() {
    let page = render(&every_outcome());
    let mut ids: Vec<&str> = page
        .match_indices(" id=\"")
        .map(|(at, found)| {
            let value = &page[at + found.len()..];
            &value[..value.find('"').unwrap_or(0)]
        })
        .collect();
    let count = ids.len();
    assert!(count > 20, "{count} ids");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count);
}

#[test]
fn the_growth_of_leaking_resources_and_the_verdict_are_in_words() {
    let page = render(&every_outcome());
    let rows = table_rows(&page);
    let leaky = rows
        .iter()
        .find(|row| row.contains(">leaky<"))
        .expect("leaky");
    assert!(leaky.contains("✗ leaked"), "{leaky}");
    assert!(leaky.contains("heap +1 B/iter"), "{leaky}");
    assert!(leaky.contains("4.0 KiB"), "{leaky}");
    assert!(
        leaky.contains("20<br><span class=\"note\"><span class=\"nowrap\">2 warm-up</span></span>"),
        "{leaky}"
    );
    assert!(leaky.contains("42 ms"), "{leaky}");
    let clean = rows
        .iter()
        .find(|row| row.contains(">clean<"))
        .expect("clean");
    assert!(clean.contains("✓ passed"), "{clean}");
    assert!(clean.contains("aria-label=\"none\""), "no growth: {clean}");
    assert!(page.contains("Leak: heap grows without bound over 18 judged iterations."));
}

#[test]
fn an_expected_leak_passes_and_says_so() {
    let mut test = ran("known_leak", Outcome::Passed, true);
    test.record.settings.should_leak = true;
    let page = render(&run_of(vec![test]));
    assert!(page.contains("(leak expected)"));
    assert!(page.contains("Passed: the expected leak was found (heap)"));
}

#[test]
fn a_run_extended_to_confirm_says_so() {
    let mut test = ran("stepped", Outcome::Leaked, true);
    test.record.iterations_run = 40;
    let page = render(&run_of(vec![test]));
    assert!(page.contains(
        "<span class=\"nowrap\">2 warm-up</span>, <span class=\"nowrap\">extended from 20</span>"
    ));
    assert!(page.contains("40 iterations (2 warm-up, extended from 20)"));
}

#[test]
fn the_page_loads_nothing_from_anywhere() {
    let mut run = every_outcome();
    // Markup in user text is shown as text; here only the page's own markup counts.
    run.tests
        .retain(|test| test.record.outcome.is_failure() || test.record.name == "clean");
    for test in &mut run.tests {
        test.record.stderr_tail.clear();
        if let Outcome::Failed { message, .. } = &mut test.record.outcome {
            message.clear();
        }
    }
    let page = render(&run);
    assert!(page.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    ));
    for forbidden in ["<script", "<link", "src=", "url(", "@import", "https:"] {
        assert!(!page.contains(forbidden), "{forbidden}");
    }
    for (at, _) in page.match_indices("href=\"") {
        assert!(page[at + 6..].starts_with('#'), "{}", &page[at..at + 40]);
    }
    // The only address is the SVG namespace, which is a name, not a request.
    let addresses = positions(&page, "http://").len();
    assert_eq!(
        addresses,
        positions(&page, "xmlns=\"http://www.w3.org/2000/svg\"").len()
    );
}

#[test]
fn an_interrupted_run_names_the_tests_it_cut_short() {
    let mut run = run_of(vec![ran("clean", Outcome::Passed, false)]);
    run.tally.interrupted_by = Some(crate::interrupt::StopSignal::Interrupt);
    run.tally.not_run = 2;
    run.unfinished = vec![("alpha::leaks".to_owned(), "hangs <forever>".to_owned())];
    let page = render(&run);
    assert!(page.contains("Interrupted"));
    assert!(page.contains("2 tests did not finish."));
    assert!(page.contains("alpha::leaks hangs &lt;forever&gt;"));
    assert!(page.contains("✗ 1 passed, 0 failed, 2 skipped"));
}

#[test]
fn an_empty_run_says_so() {
    let page = render(&run_of(Vec::new()));
    assert!(page.contains("No test ran."));
    assert!(!page.contains("<table"));
}

#[test]
fn optional_columns_appear_only_when_a_test_has_the_figure() {
    let page = render(&every_outcome());
    assert!(!page.contains("Allocated per iteration"));
    let mut run = every_outcome();
    run.tests[0].record.allocation_per_iteration = Some(AllocationPerIteration::new(4096, 12));
    let page = render(&run);
    assert!(page.contains(">Allocated per iteration</th>"));
    let rows = table_rows(&page);
    let clean = rows
        .iter()
        .find(|row| row.contains(">clean<"))
        .expect("clean");
    assert!(
        clean.contains("4.0 KiB<br><span class=\"note\">12 allocations</span>"),
        "{clean}"
    );
    let leaky = rows
        .iter()
        .find(|row| row.contains(">leaky<"))
        .expect("leaky");
    assert!(leaky.contains("aria-label=\"none\""), "{leaky}");
}

#[test]
fn resources_that_never_moved_are_folded_under_their_value() {
    let page = render(&run_of(vec![ran("leaky", Outcome::Leaked, true)]));
    let (moving, folded) = page
        .split_once("<details class=\"constant-plots\">")
        .expect("a fold for the constant fds");
    assert!(moving.contains("data-resource=\"heap\""));
    assert!(folded.contains("Constant all run long: fds 5 (plots)"));
    assert!(folded.contains("data-resource=\"fds\""));
}

fn change(verdict: ChangeVerdict, text: &str) -> Change {
    Change {
        measure: "peak_heap_bytes".to_owned(),
        old: 1.0,
        new: 2.0,
        change_percent: Some(100.0),
        verdict,
        text: text.to_owned(),
    }
}

#[test]
fn a_baseline_comparison_has_its_column_section_and_header_line() {
    let mut run = run_of(vec![
        ran("steady", Outcome::Passed, false),
        ran("bloated", Outcome::Passed, false),
    ]);
    run.tests[0].comparison = Some(Comparison {
        status: Status::Unchanged,
        changes: vec![change(ChangeVerdict::Within, "peak 2.0 KiB -> 2.0 KiB")],
        note: None,
    });
    run.tests[1].comparison = Some(Comparison {
        status: Status::Regressed,
        changes: vec![change(
            ChangeVerdict::Regressed,
            "peak 2.0 MiB -> 2.6 MiB <+30%>",
        )],
        note: None,
    });
    run.baseline = Some(ReportedBaseline {
        label: "'main'".to_owned(),
        path: "target/leaktest/baselines/main.json".to_owned(),
        tolerance: "10% and 64.0 KiB for bytes, 10% for counts".to_owned(),
    });
    run.tally.baseline = Some(BaselineCounts {
        compared: 2,
        regressed: 1,
        ..BaselineCounts::default()
    });
    let page = render(&run);
    assert!(page.contains(">Baseline</th>"));
    assert!(page.contains("Compared with baseline 'main'"));
    assert!(page.contains("1 regressed"));
    // A regression fails the run: the header says so and the test comes first, open.
    assert!(
        page.contains("class=\"counts failed\""),
        "exit code 3 is not a pass"
    );
    assert!(page.contains("2 passed, 0 failed, 0 skipped; 1 regressed against the baseline"));
    let rows = table_rows(&page);
    assert!(
        rows[0].contains(">bloated<") && rows[0].contains("✗ regressed"),
        "{}",
        rows[0]
    );
    assert!(
        rows[0].starts_with(" class=\"outcome-failed\""),
        "{}",
        rows[0]
    );
    assert!(rows[1].contains("= unchanged"), "{}", rows[1]);
    assert!(page.contains("<details class=\"detail\" open><summary><h4>Baseline: regressed</h4>"));
    assert!(page.contains("✗ regressed: </strong>peak 2.0 MiB -&gt; 2.6 MiB &lt;+30%&gt;"));
    assert!(page.contains("within tolerance: </span>peak 2.0 KiB -&gt; 2.0 KiB"));
}

#[test]
fn leaked_handles_are_listed_by_name_and_escaped() {
    let mut leaking = ran("leaky_files", Outcome::Leaked, false);
    leaking.record.leaked_handles = vec![LeakedHandles::named(
        Resource::Fds,
        vec![
            HandleGroup::new(18, HandleKind::Tcp, "127.0.0.1:* LISTEN"),
            HandleGroup::new(1, HandleKind::File, "/tmp/<b>odd</b>.log"),
        ],
        2,
        5,
    )];
    let page = render(&run_of(vec![leaking, ran("clean", Outcome::Passed, false)]));
    assert_eq!(
        positions(&page, "<h4>Leaked handles (24)</h4>").len(),
        1,
        "one section, for the test that leaked handles"
    );
    assert!(page.contains("<details class=\"detail\" open><summary><h4>Leaked handles (24)</h4>"));
    assert!(page.contains("<h5>fds +24</h5>"));
    assert!(page.contains("<li>18 × tcp <code>127.0.0.1:* LISTEN</code></li>"));
    assert!(page.contains("<code>/tmp/&lt;b&gt;odd&lt;/b&gt;.log</code>"));
    assert!(page.contains("… and 2 more (5 fds)"));
}

fn budget_check(
    budget: Budget,
    limit: u64,
    source: ConfigSource,
    measured: Option<f64>,
    exceeded: bool,
) -> BudgetCheck {
    BudgetCheck::new(
        &ResolvedBudget::new(budget, limit, source),
        measured,
        exceeded,
    )
}

/// `ran(name, outcome, leaking)` held to `checks`, its heap at 1000 B before
/// the first iteration.
fn budgeted(name: &str, outcome: Outcome, leaking: bool, checks: Vec<BudgetCheck>) -> ReportedTest {
    let mut test = ran(name, outcome, leaking);
    test.record.heap_bytes_at_start = Some(1000);
    test.record.budgets = checks;
    test
}

fn override_source() -> ConfigSource {
    ConfigSource::Override {
        file: "/ws/Leaktest.toml".to_owned(),
        profile: "ci".to_owned(),
        filter: "parser::*".to_owned(),
        reason: Some("the interner <grows>".to_owned()),
    }
}

fn row<'p>(rows: &[&'p str], name: &str) -> &'p str {
    rows.iter()
        .find(|row| row.contains(&format!(">{name}<")))
        .copied()
        .unwrap_or_else(|| panic!("no row of {name}"))
}

#[test]
fn the_budgets_column_shows_each_budget_set_with_figures_verdict_and_source() {
    let page = render(&every_outcome());
    assert!(!page.contains(">Budgets</th>"), "no budget, no column");

    let default_growth = budget_check(
        Budget::Growth(Resource::HeapBytes),
        0,
        ConfigSource::Default,
        Some(0.0),
        false,
    );
    let run = run_of(vec![
        budgeted(
            "bloated",
            Outcome::OverBudget,
            false,
            vec![
                budget_check(
                    Budget::Peak,
                    2048,
                    ConfigSource::Attribute,
                    Some(3096.0),
                    true,
                ),
                default_growth.clone(),
            ],
        ),
        budgeted(
            "parser",
            Outcome::Passed,
            false,
            vec![
                budget_check(
                    Budget::AllocationsPerIteration,
                    12,
                    override_source(),
                    Some(8.0),
                    false,
                ),
                budget_check(
                    Budget::Growth(Resource::TokioTasks),
                    2,
                    ConfigSource::Attribute,
                    None,
                    false,
                ),
            ],
        ),
        budgeted("plain", Outcome::Passed, false, vec![default_growth]),
    ]);
    let page = render(&run);
    assert!(page.contains(">Budgets</th>"));
    let rows = table_rows(&page);
    let bloated = row(&rows, "bloated");
    assert!(
        bloated.contains(
            "<span class=\"verdict failed\" aria-hidden=\"true\">✗</span> <span class=\"figures\">\
             max_peak 3.0 KiB (3,096 B) exceeds 2.0 KiB (2,048 B)</span> \
             <span class=\"note source\">[attribute]</span>"
        ),
        "{bloated}"
    );
    assert!(
        !bloated.contains("max_growth"),
        "the default growth budget is the verdict itself: {bloated}"
    );
    let parser = row(&rows, "parser");
    assert!(
        parser.contains("✓</span> <span class=\"figures\">max_allocs_per_iter 8 within 12</span>"),
        "{parser}"
    );
    assert!(
        parser.contains("[Leaktest.toml profile.ci override &quot;parser::*&quot;]"),
        "{parser}"
    );
    assert!(
        parser.contains("○</span> <span class=\"figures\">max_tasks_growth 2/iter, not measured"),
        "{parser}"
    );
    assert!(
        row(&rows, "plain").contains("aria-label=\"none\""),
        "only the default: no budget shown"
    );
}

#[test]
fn an_over_budget_test_is_a_failure_with_its_breach_explained() {
    let run = run_of(vec![
        budgeted(
            "bloated",
            Outcome::OverBudget,
            false,
            vec![
                budget_check(
                    Budget::Peak,
                    2048,
                    ConfigSource::Attribute,
                    Some(3096.0),
                    true,
                ),
                budget_check(
                    Budget::AllocationBytesPerIteration,
                    4096,
                    override_source(),
                    Some(1024.0),
                    false,
                ),
            ],
        ),
        ran("clean", Outcome::Passed, false),
    ]);
    let page = render(&run);
    assert!(page.contains("class=\"counts failed\""));
    let rows = table_rows(&page);
    assert!(
        rows[0].starts_with(" class=\"outcome-failed\""),
        "{}",
        rows[0]
    );
    assert!(rows[0].contains("✗ over budget"), "{}", rows[0]);
    assert!(page.contains(
        "Over budget: exceeded <code>max_peak</code> over 18 judged iterations (see Budgets)."
    ));
    let (_, section) = page
        .split_once("<details class=\"detail\" open><summary><h4>Budgets (2): 1 exceeded</h4>")
        .expect("an open budgets section");
    let section = &section[..section.find("</details>").unwrap_or(section.len())];
    assert!(
        section.contains(
            "✗</span> max_peak: peak heap above the start 3.0 KiB (3,096 B) exceeds 2.0 KiB (2,048 B) [attribute]"
        ),
        "{section}"
    );
    assert!(
        section.contains("✓</span> max_alloc_per_iter: bytes allocated per iteration 1.0 KiB (1,024 B) within 4.0 KiB (4,096 B) [Leaktest.toml profile.ci override &quot;parser::*&quot;]"),
        "{section}"
    );
    assert!(
        section.contains("Reason given: the interner &lt;grows&gt;"),
        "{section}"
    );
}

#[test]
fn budgets_held_stay_folded_and_a_leak_within_its_budget_says_so() {
    let run = run_of(vec![budgeted(
        "tolerated",
        Outcome::Passed,
        true,
        vec![budget_check(
            Budget::Growth(Resource::HeapBytes),
            128,
            ConfigSource::Attribute,
            Some(64.0),
            false,
        )],
    )]);
    let page = render(&run);
    assert!(page.contains("✓ passed</span> <span class=\"note\">(leak within budget)</span>"));
    assert!(page.contains(
        "Passed: heap grows without bound over 18 judged iterations, within its growth budget"
    ));
    assert!(!page.contains("expected leak"));
    assert!(page.contains("<details class=\"detail\"><summary><h4>Budgets (1): none exceeded</h4>"));
}

#[test]
fn a_leak_beyond_its_budget_names_the_budget() {
    let run = run_of(vec![budgeted(
        "leaky",
        Outcome::Leaked,
        true,
        vec![budget_check(
            Budget::Growth(Resource::HeapBytes),
            32,
            ConfigSource::Attribute,
            Some(64.0),
            true,
        )],
    )]);
    let page = render(&run);
    assert!(page.contains(
        "Leak: heap grows without bound over 18 judged iterations, beyond <code>max_growth</code> (see Budgets)."
    ));
}

#[test]
fn plots_draw_the_budgets_of_their_resource_and_the_legend_explains_them() {
    let page = render(&every_outcome());
    assert!(!page.contains("data-reference="), "no budget, no line");
    assert!(
        !page.contains(" budget: max_peak at the start"),
        "nor its legend"
    );

    let run = run_of(vec![budgeted(
        "held",
        Outcome::Leaked,
        true,
        vec![
            budget_check(
                Budget::Peak,
                1 << 20,
                ConfigSource::Attribute,
                Some(3096.0),
                false,
            ),
            budget_check(
                Budget::Growth(Resource::HeapBytes),
                32,
                ConfigSource::Attribute,
                Some(64.0),
                true,
            ),
            budget_check(
                Budget::Growth(Resource::Fds),
                1,
                ConfigSource::Attribute,
                Some(0.0),
                false,
            ),
        ],
    )]);
    let page = render(&run);
    let heap_plot = {
        let start = page.find("data-resource=\"heap\"").expect("a heap plot");
        &page[start..start + page[start..].find("</svg>").expect("its end")]
    };
    for reference in ["max_peak", "peak", "max_growth"] {
        assert!(
            heap_plot.contains(&format!("data-reference=\"{reference}\"")),
            "{reference} on the heap plot"
        );
    }
    let fds_plot = {
        let start = page.find("data-resource=\"fds\"").expect("an fds plot");
        &page[start..start + page[start..].find("</svg>").expect("its end")]
    };
    assert!(fds_plot.contains("data-reference=\"max_fds_growth\""));
    assert!(!fds_plot.contains("data-reference=\"max_peak\""));
    // The captions say what each line is; the legend has both kinds.
    assert!(page.contains("Budget max_growth 32 B/iter [attribute], dotted: from the retained floor at the last warm-up sample"));
    assert!(page.contains("Peak, dash-dot: the highest heap while the test ran"));
    assert!(page.contains(" budget: max_peak at the start plus its limit"));
    assert!(page.contains(" peak: the highest heap while the test ran, between samples too"));
}

#[test]
fn a_constant_heap_over_its_peak_budget_is_not_folded_away() {
    let mut test = budgeted(
        "bloated",
        Outcome::OverBudget,
        false,
        vec![budget_check(
            Budget::Peak,
            2048,
            ConfigSource::Attribute,
            Some(3096.0),
            true,
        )],
    );
    test.plots[0] = PlotSeries::new(Resource::HeapBytes, &[1200; 20], 2);
    test.record.peak_heap_bytes = 4096;
    let page = render(&run_of(vec![test.clone()]));
    let (moving, folded) = page
        .split_once("<details class=\"constant-plots\">")
        .expect("the constant fds are folded");
    assert!(
        moving.contains("data-resource=\"heap\""),
        "the heap shows its breach"
    );
    assert!(!folded.contains("data-resource=\"heap\""));
    // Held, it folds like any constant series.
    test.record.budgets[0].exceeded = false;
    let page = render(&run_of(vec![test]));
    let (_, folded) = page
        .split_once("<details class=\"constant-plots\">")
        .expect("a fold");
    assert!(folded.contains("data-resource=\"heap\""));
}

#[test]
fn a_plot_of_a_leak_within_its_budget_is_not_marked_as_failing() {
    let run = run_of(vec![budgeted(
        "tolerated",
        Outcome::Passed,
        true,
        vec![budget_check(
            Budget::Growth(Resource::HeapBytes),
            128,
            ConfigSource::Attribute,
            Some(64.0),
            false,
        )],
    )]);
    let page = render(&run);
    assert!(page.contains("<span class=\"badge\">leaking, within its budget</span>"));
    assert!(!page.contains("<figure class=\"plot-figure leaking\">"));
}
