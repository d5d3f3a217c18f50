//! trybuild UI tests of `#[leak_test]`: every valid form compiles, and every
//! invalid one fails with the message pinned in `ui/fail_*.stderr`.
//!
//! Re-bless after changing a message with `TRYBUILD=overwrite cargo test -p
//! leaktest-e2e --test ui`, then read the new `.stderr` files.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass_*.rs");
    cases.compile_fail("ui/fail_*.rs");
}
