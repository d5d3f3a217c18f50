use leaktest_core::leak_test;

#[leak_test(iterations = 0)]
fn no_iterations() {}

fn main() {}
