use leaktest_core::leak_test;

#[leak_test(iteration = 5)]
fn misspelled_key() {}

fn main() {}
