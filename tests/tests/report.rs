//! `cargo leaktest --report DIR` on a fixture package, the report loaded in a
//! real browser: headless Chromium from the system's packages (`chromium`,
//! or the program named by `E2E_CHROMIUM`). Without Chromium the browser
//! test fails (a test that checked nothing must not pass), unless
//! `E2E_SKIP_CHROMIUM=1` says to skip it; `.ci/run` installs Chromium.
//! Two of the fixture's tests have budgets, which the table and the plots
//! show (the `report` key of Leaktest.toml is tested in `budgets.rs`).

use leaktest_e2e::{leaktest_core_dependency, Fixture, Scope};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const LEAKS: &str = r#"
use leaktest_core::leak_test;
use std::sync::atomic::{AtomicU32, Ordering};

#[leak_test(iterations = 40, max_growth = "32 B")]
fn leaks_a_box() {
    Box::leak(Box::new([0u8; 64]));
}

#[leak_test(iterations = 30, max_peak = "16 MiB")]
fn clean_vec() {
    std::hint::black_box(vec![7u8; 256]);
}

#[leak_test(iterations = 6000)]
fn many_iterations() {
    std::hint::black_box(vec![1u8; 16]);
}

#[leak_test(iterations = 12)]
fn panics_in_iteration_three() {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    if CALLS.fetch_add(1, Ordering::SeqCst) == 3 {
        panic!("<b>bad</b> & worse");
    }
}

#[leak_test(iterations = 5)]
fn aborts() {
    eprintln!("about to abort <now>");
    std::process::abort();
}

#[leak_test(iterations = 5, ignore = "hangs on purpose")]
fn hangs() {
    std::thread::sleep(std::time::Duration::from_secs(3600));
}

leaktest_core::main!();
"#;

/// The fixture package, written once per test process.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let fixture = Fixture::new("report");
        fixture
            .file(
                "Cargo.toml",
                &format!(
                    "[package]\nname = \"reported\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
                     publish = false\n\n[dev-dependencies]\n{}\n\n[[test]]\nname = \"leaks\"\n\
                     harness = false\n\n[workspace]\n",
                    leaktest_core_dependency()
                ),
            )
            .file("src/lib.rs", "")
            .file("tests/leaks.rs", LEAKS);
        fixture
    })
}

/// Set to `1` to run the end-to-end tests without Chromium installed: the
/// browser test then passes without checking the page in a browser, and says so.
const SKIP_CHROMIUM_VARIABLE: &str = "E2E_SKIP_CHROMIUM";

/// Chromium's program; `None` only when it is not installed and
/// [`SKIP_CHROMIUM_VARIABLE`] says to skip (otherwise the test fails here).
fn chromium() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os("E2E_CHROMIUM") {
        Some(program) => vec![PathBuf::from(program)],
        None => ["chromium", "chromium-browser"]
            .iter()
            .map(PathBuf::from)
            .collect(),
    };
    let found = candidates.into_iter().find(|program| {
        Command::new(program)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    });
    if found.is_none() {
        let skip = std::env::var_os(SKIP_CHROMIUM_VARIABLE).is_some_and(|value| value == "1");
        assert!(
            skip,
            "Chromium is not installed, so the report cannot be checked in a browser: \
             install it (`apt-get install chromium`, as .ci/run does; or set E2E_CHROMIUM \
             to its program) or set {SKIP_CHROMIUM_VARIABLE}=1 to skip this check knowingly"
        );
        eprintln!(
            "SKIPPED: the report was not loaded in a browser: Chromium is not installed \
             and {SKIP_CHROMIUM_VARIABLE}=1 is set"
        );
    }
    found
}

/// What Chromium made of a page.
struct PageLoad {
    /// The DOM after loading, serialized.
    dom: String,
    /// The console messages (errors, warnings, logs, CSP violations).
    console: Vec<String>,
}

/// Loads `page` in headless Chromium with a fresh profile, no network
/// services and console logging to stderr, and returns the DOM and the
/// console. Kills the browser after a minute rather than hang the suite.
fn load(chromium: &Path, page: &Path) -> PageLoad {
    let profile = tempfile::tempdir().expect("a profile directory");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start Chromium");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let dom = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let log = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("poll Chromium").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "Chromium did not finish loading {} within a minute",
                page.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = log.join().unwrap_or_default();
    let console = log
        .lines()
        // `INFO:CONSOLE:12] "message", source: file:///... (12)`, or
        // `INFO:CONSOLE(12)]` in older versions.
        .filter(|line| line.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    PageLoad {
        dom: dom.join().unwrap_or_default(),
        console,
    }
}

/// A plot as the browser holds it.
#[derive(Debug)]
struct DrawnPlot {
    resource: String,
    samples: u64,
    points: usize,
    /// The `data-reference` of each reference line (budgets, the peak).
    references: Vec<String>,
}

/// The plots of each test section in the DOM, by test name. Each inline
/// `<svg>` is serialized by the browser as well-formed XML and read back here.
fn plots_by_test(dom: &str) -> BTreeMap<String, Vec<DrawnPlot>> {
    let mut tests = BTreeMap::new();
    for section in dom.split("<section class=\"test").skip(1) {
        let name_start = section.find("data-test=\"").expect("data-test") + "data-test=\"".len();
        let name_length = section[name_start..].find('"').expect("end of data-test");
        let name = section[name_start..name_start + name_length].to_owned();
        let section = section.split("</section>").next().unwrap_or_default();
        let plots = section
            .match_indices("<svg class=\"plot\"")
            .map(|(start, _)| {
                let end = start + section[start..].find("</svg>").expect("end of svg") + 6;
                let svg = roxmltree::Document::parse(&section[start..end])
                    .unwrap_or_else(|error| panic!("{error}: {}", &section[start..end]));
                let root = svg.root_element();
                let points = svg
                    .descendants()
                    .find(|node| node.attribute("class") == Some("samples"))
                    .and_then(|line| line.attribute("points"))
                    .map_or(0, |points| points.split_whitespace().count());
                DrawnPlot {
                    resource: root
                        .attribute("data-resource")
                        .unwrap_or_default()
                        .to_owned(),
                    samples: root
                        .attribute("data-samples")
                        .and_then(|samples| samples.parse().ok())
                        .unwrap_or_default(),
                    points,
                    references: svg
                        .descendants()
                        .filter_map(|node| node.attribute("data-reference"))
                        .map(str::to_owned)
                        .collect(),
                }
            })
            .collect();
        tests.insert(name, plots);
    }
    tests
}

#[test]
fn the_report_renders_in_chromium_with_one_point_per_iteration() {
    let report = tempfile::tempdir().expect("a report directory");
    let run = fixture().cargo_leaktest(&[
        "--no-fail-fast",
        "--message-format",
        "json",
        "--report",
        &report.path().display().to_string(),
    ]);
    assert_eq!(run.code, Some(1), "{run}");
    let records = run.records();
    assert_eq!(records.len(), 6, "{run}");
    let page = report.path().join("index.html");
    assert!(page.is_file(), "{run}");
    assert!(
        run.stderr.contains(&format!("report: {}", page.display())),
        "{run}"
    );
    let Some(chromium) = chromium() else {
        return;
    };

    // A page that logs, next to the report: proves that console messages are caught.
    let canary = report.path().join("canary.html");
    std::fs::write(
        &canary,
        "<!doctype html><title>canary</title><script>console.error('canary <3')</script>",
    )
    .expect("write the canary page");
    let canary_load = {
        let chromium = chromium.clone();
        std::thread::spawn(move || load(&chromium, &canary))
    };
    let loaded = load(&chromium, &page);
    let canary = canary_load.join().expect("the canary load");
    assert!(
        canary.console.iter().any(|line| line.contains("canary <3")),
        "console messages are not seen: {:?}",
        canary.console
    );

    assert!(
        loaded.console.is_empty(),
        "console messages: {:#?}",
        loaded.console
    );
    assert!(
        loaded.dom.contains("<table class=\"summary\">"),
        "{}",
        loaded.dom
    );
    let plots = plots_by_test(&loaded.dom);
    assert_eq!(
        plots.keys().collect::<Vec<_>>(),
        records.keys().collect::<Vec<_>>(),
        "a section per test"
    );
    for (name, record) in &records {
        let mut measured: Vec<&str> = record["resources"]
            .as_array()
            .map(|resources| {
                resources
                    .iter()
                    .map(|resource| short_name(resource["resource"].as_str().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default();
        let drawn = &plots[name];
        let mut drawn_resources: Vec<&str> =
            drawn.iter().map(|plot| plot.resource.as_str()).collect();
        measured.sort_unstable();
        drawn_resources.sort_unstable();
        assert_eq!(
            drawn_resources, measured,
            "{name}: a plot per measured resource"
        );
        let iterations = record["iterations_run"].as_u64().expect("iterations_run");
        // A run longer than 2,048 iterations is kept in the record at a
        // coarser resolution (series.rs): each point is drawn as its lowest
        // and, when higher, its highest sample.
        let kept_points = record["resources"][0]["series"]
            .as_array()
            .map_or(0, Vec::len) as u64;
        let coarse = record["resources"][0]["iterations_per_point"]
            .as_u64()
            .is_some_and(|per_point| per_point > 1);
        for plot in drawn {
            assert_eq!(plot.samples, iterations, "{name}: {plot:?}");
            if iterations <= 5_000 && !coarse {
                assert_eq!(
                    plot.points as u64, iterations,
                    "{name}: one point per iteration: {plot:?}"
                );
            } else if iterations <= 5_000 {
                assert!(
                    (kept_points..=2 * kept_points).contains(&(plot.points as u64)),
                    "{name}: the lowest and highest sample of each point of the record: {plot:?}"
                );
            } else {
                assert!(
                    plot.points <= 2_000,
                    "{name}: long series are downsampled: {plot:?}"
                );
            }
        }
    }
    assert_eq!(records["many_iterations"]["iterations_run"], 6000);
    // Budgets: in the table, and drawn on the plot of the resource they limit.
    assert!(loaded.dom.contains(">Budgets</th>"));
    assert!(
        loaded
            .dom
            .contains("max_growth +64 B/iter exceeds 32 B/iter"),
        "the leak's breach in the table"
    );
    let references = |test: &str, resource: &str| -> Vec<String> {
        plots[test]
            .iter()
            .find(|plot| plot.resource == resource)
            .map(|plot| plot.references.clone())
            .unwrap_or_else(|| panic!("no {resource} plot of {test}"))
    };
    assert_eq!(references("leaks_a_box", "heap"), ["max_growth"]);
    assert!(references("leaks_a_box", "blocks").is_empty());
    assert_eq!(references("clean_vec", "heap"), ["max_peak", "peak"]);
    assert!(plots["leaks_a_box"].len() >= 2, "heap and blocks at least");
    assert!(plots["aborts"].is_empty(), "a crash has no series");

    // User text is shown as text, in the browser too.
    assert!(
        loaded.dom.contains("&lt;b&gt;bad&lt;/b&gt; &amp; worse"),
        "the panic message"
    );
    assert!(
        loaded.dom.contains("about to abort &lt;now&gt;"),
        "the crash's output"
    );
    assert!(
        loaded.dom.contains("killed by SIGABRT"),
        "the crash's description"
    );
    assert!(!loaded.dom.contains("<b>bad</b>"));
}

/// The short name (`heap`) of a resource as the JSON records spell it (`heap_bytes`).
fn short_name(resource: &str) -> &'static str {
    match resource {
        "heap_bytes" => "heap",
        "heap_blocks" => "blocks",
        "native_heap_bytes" => "native",
        "fds" => "fds",
        "threads" => "threads",
        "child_processes" => "children",
        "tokio_tasks" => "tasks",
        other => panic!("unknown resource {other}"),
    }
}

#[test]
fn an_unwritable_report_directory_fails_before_the_run() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let blocker = dir.path().join("report");
    std::fs::write(&blocker, "a file, not a directory").expect("write");
    let run = fixture().cargo_leaktest(&["--report", &blocker.display().to_string()]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.contains("could not create the report directory"),
        "{run}"
    );
    assert!(run.stderr.contains(&blocker.display().to_string()), "{run}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_writes_the_report_of_the_tests_that_finished() {
    let report = tempfile::tempdir().expect("a report directory");
    let scope = Scope::new();
    let mut child = fixture()
        .cargo_leaktest_command(
            &[
                "--include-ignored",
                "--no-fail-fast",
                "--message-format",
                "json",
                "--report",
                &report.path().display().to_string(),
                "clean_vec",
                "hangs",
            ],
            &scope,
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cargo-leaktest");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = String::new();
    // Once `clean_vec` has finished, `hangs` is running.
    while !lines.contains("\"name\":\"clean_vec\"") {
        if stdout.read_line(&mut lines).expect("read stdout") == 0 {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(signalled.success());
    let _ = stdout.read_to_string(&mut lines);
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let status = child.wait().expect("wait for cargo-leaktest");
    scope.assert_nothing_left(&format!("{lines}\n{stderr}"));
    assert_eq!(status.code(), Some(130), "{lines}\n{stderr}");
    let page = std::fs::read_to_string(report.path().join("index.html"))
        .unwrap_or_else(|error| panic!("no report ({error}): {stderr}"));
    assert!(
        page.contains("data-test=\"clean_vec\""),
        "the finished test is in"
    );
    assert!(
        page.contains("<strong>Interrupted</strong>"),
        "the interrupt is said"
    );
    assert!(
        page.contains("reported::leaks hangs"),
        "the test cut short is named"
    );
    let leftovers: Vec<_> = std::fs::read_dir(report.path())
        .expect("list the report directory")
        .map(|entry| entry.expect("an entry").file_name())
        .collect();
    assert_eq!(leftovers, ["index.html"], "no temporary file left");
}
