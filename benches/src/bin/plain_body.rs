//! The baseline of `benches/real_test.rs` and `benches/heavy_test.rs`: one
//! process, under the system allocator, that calls the same bodies as the
//! leak tests of `leaktest_fixture` as plain code would (arguments in
//! [`leaktest_benches::plain_main`]).

fn main() {
    leaktest_benches::plain_main();
}
