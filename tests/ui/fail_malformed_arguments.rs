use leaktest_core::leak_test;

#[leak_test(iterations = )]
fn missing_value() {}

fn main() {}
