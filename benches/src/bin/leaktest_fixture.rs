//! Leak tests that `benches/real_test.rs` runs one at a time, each in a
//! process of its own, exactly as `cargo test` or `cargo leaktest` would.

use leaktest_core::leak_test;
use std::sync::atomic::{AtomicU64, Ordering};

fn next_round() -> u64 {
    static ROUND: AtomicU64 = AtomicU64::new(0);
    ROUND.fetch_add(1, Ordering::Relaxed)
}

/// The real body, 100 iterations, default settings (the settle window included).
#[leak_test(iterations = 100)]
fn realistic_body() -> Result<(), String> {
    leaktest_benches::realistic_body(next_round())
}

/// The same without the settle window, to show what the window costs.
#[leak_test(iterations = 100, settle = "0ms")]
fn realistic_body_unsettled() -> Result<(), String> {
    leaktest_benches::realistic_body(next_round())
}

/// A body ten times heavier, default settings.
#[leak_test(iterations = 100)]
fn realistic_body_x10() -> Result<(), String> {
    leaktest_benches::realistic_body_repeated(next_round(), 10)
}

/// The heavier body without the settle window.
#[leak_test(iterations = 100, settle = "0ms")]
fn realistic_body_x10_unsettled() -> Result<(), String> {
    leaktest_benches::realistic_body_repeated(next_round(), 10)
}

/// An allocation-heavy body (400,000 small vectors and 30,000 grown strings
/// per iteration), 30 iterations: what the counting allocator and the
/// harness add to a whole test (`benches/heavy_test.rs`).
#[leak_test(iterations = 30, setup = leaktest_benches::workloads::SmallBlockRing::new)]
fn small_block_churn(ring: &mut leaktest_benches::workloads::SmallBlockRing) {
    std::hint::black_box(leaktest_benches::workloads::small_block_churn(ring));
}

/// An empty body: the fixed cost of a leak test.
#[leak_test(iterations = 100)]
fn empty_body() {}

/// An empty body without the settle window: the fixed cost of the process,
/// the driver and the record.
#[leak_test(iterations = 100, settle = "0ms")]
fn empty_body_unsettled() {}

leaktest_core::main!();
