use leaktest_core::leak_test;

#[leak_test(iterations = 5, warmup = 1, iterations = 6)]
fn duplicate_iterations() {}

fn main() {}
