use leaktest_core::leak_test;

#[leak_test]
fn variadic(_: ...) {}

fn main() {}
