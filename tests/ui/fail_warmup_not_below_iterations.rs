use leaktest_core::leak_test;

#[leak_test(iterations = 10, warmup = 10)]
fn warmup_equals_iterations() {}

#[leak_test(warmup = 100)]
fn warmup_reaches_default_iterations() {}

fn main() {}
