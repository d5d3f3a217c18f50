//! The native heap in a real harness, under the three ways a harness can
//! allocate (fixture `tests/fixtures/native-heap`, one test target each): a C
//! leak is reported as native growth and nothing else, a Rust-only leak is
//! never reported as native, and where Rust's allocations cannot be told
//! apart from C's the native heap is reported as not measured, with the fix.

#![cfg(all(target_os = "linux", target_env = "gnu"))]

use leaktest_core::isolation::{run_isolated, ChildSpec};
use leaktest_core::model::{Outcome, Resource, Settings, TestDescription, TestRecord};
use leaktest_core::protocol;
use leaktest_e2e::{checked_in_fixture_manifest, executable_in_cargo_messages, fixture_cargo};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The fixture's test targets: `main!()`, `main!(allocator = MmapAlloc)`,
/// and a hand-installed `CountingAlloc<System>`.
const TARGETS: [&str; 3] = ["system", "own_allocator", "system_through_malloc"];

/// The executable of one of [`TARGETS`]; all three are built by one cargo run.
fn harness(target: &str) -> PathBuf {
    static BUILT: OnceLock<Vec<u8>> = OnceLock::new();
    let messages = BUILT.get_or_init(|| {
        let manifest = checked_in_fixture_manifest("native-heap");
        let output = fixture_cargo(
            &["test", "--no-run", "--tests", "--message-format", "json"],
            &manifest,
        )
        .output()
        .expect("run cargo");
        assert!(
            output.status.success(),
            "building the native-heap fixture failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    });
    executable_in_cargo_messages(messages, target)
        .unwrap_or_else(|| panic!("cargo reported no executable for {target}"))
}

/// The record of `test`, run in a child process as a runner runs it.
fn record(binary: &Path, test: &str) -> TestRecord {
    let mut settings = Settings::default();
    settings.timeout_ms = 30_000;
    let spec = ChildSpec::new(
        binary.to_owned(),
        TestDescription::new(test, "tests/leaks.rs", settings),
    );
    let record = run_isolated(&spec).expect("run the child");
    assert!(
        !matches!(record.outcome, Outcome::Crashed { .. }),
        "the child of {test} crashed: {record:?}"
    );
    record
}

fn leaking(record: &TestRecord) -> BTreeSet<Resource> {
    record
        .leaking_resources()
        .map(|report| report.resource)
        .collect()
}

fn native_growth_per_iteration(record: &TestRecord) -> f64 {
    record
        .resource(Resource::NativeHeapBytes)
        .unwrap_or_else(|| {
            panic!(
                "{} did not measure the native heap: {record:?}",
                record.name
            )
        })
        .judgement
        .growth_per_iteration
}

/// With Rust's allocations kept out of malloc's counter (`main!()`, or an
/// allocator of one's own), only C's share is native.
fn c_and_rust_leaks_are_told_apart(target: &str) {
    let binary = harness(target);

    let c_leak = record(&binary, "c_malloc_leaks");
    assert_eq!(
        leaking(&c_leak),
        BTreeSet::from([Resource::NativeHeapBytes]),
        "{target}: a C leak is native growth only: {c_leak:?}"
    );
    let growth = native_growth_per_iteration(&c_leak);
    assert!(
        (256.0..=256.0 + 32.0).contains(&growth),
        "{target}: malloc(256) per iteration grows the native heap by {growth} B/iter"
    );
    // Were the leak unexpected, its failure would say why it has no
    // allocation sites (dhat sees Rust's allocator only) and how to get them.
    let mut unexpected = c_leak.clone();
    unexpected.settings.should_leak = false;
    leaktest_core::budget::apply(&mut unexpected, &[]);
    assert_eq!(unexpected.outcome, Outcome::Leaked, "{target}");
    let details = leaktest_core::summary::failure_details(&unexpected);
    assert!(
        details.contains(
            "  where the native heap grows: not attributed: allocation sites come from dhat"
        ) && details.contains(
            "valgrind --leak-check=full --trace-children=yes <test binary> c_malloc_leaks --exact"
        ),
        "{target}: {details}"
    );
    assert!(
        !details.contains("where the heap grows"),
        "{target}: {details}"
    );

    for rust_leak in ["rust_box_leaks", "rust_mapped_vec_leaks"] {
        let record = record(&binary, rust_leak);
        let leaking = leaking(&record);
        assert!(
            leaking.contains(&Resource::HeapBytes),
            "{target}: {rust_leak} is a heap leak: {record:?}"
        );
        assert!(
            !leaking.contains(&Resource::NativeHeapBytes),
            "{target}: {rust_leak} must not be reported as native too: {record:?}"
        );
        assert_eq!(
            native_growth_per_iteration(&record),
            0.0,
            "{target}: {rust_leak} moved the native heap"
        );
    }
}

#[test]
fn with_main_c_leaks_are_native_and_rust_leaks_are_not() {
    c_and_rust_leaks_are_told_apart("system");
}

#[test]
fn with_an_allocator_that_never_calls_malloc_c_leaks_are_native_and_rust_leaks_are_not() {
    c_and_rust_leaks_are_told_apart("own_allocator");
}

#[test]
fn rust_allocations_through_malloc_make_the_native_heap_unmeasured_with_the_fix() {
    let binary = harness("system_through_malloc");
    let rust_leak = record(&binary, "rust_box_leaks");
    assert!(leaking(&rust_leak).contains(&Resource::HeapBytes));
    assert!(rust_leak.resource(Resource::NativeHeapBytes).is_none());
    let why = rust_leak
        .unmeasured
        .iter()
        .find(|unmeasured| unmeasured.resource == Resource::NativeHeapBytes)
        .map(|unmeasured| unmeasured.why.as_str())
        .unwrap_or_else(|| panic!("native heap not listed as unmeasured: {rust_leak:?}"));
    assert!(
        why.contains("CountingAlloc<leaktest_core::DirectSystem>"),
        "the reason says what to install: {why}"
    );
}

#[test]
fn the_fixture_has_the_targets_these_tests_run() {
    for target in TARGETS {
        let binary = harness(target);
        let binary = protocol::PinnedBinary::open(&binary).expect("open the harness");
        let description = protocol::describe_harness(&binary, protocol::DESCRIBE_TIMEOUT, None)
            .expect("describe")
            .expect("a leaktest harness");
        let names: Vec<_> = description
            .tests
            .iter()
            .map(|test| test.name.as_str())
            .collect();
        assert_eq!(
            names,
            ["c_malloc_leaks", "rust_box_leaks", "rust_mapped_vec_leaks"],
            "{target}"
        );
    }
}
