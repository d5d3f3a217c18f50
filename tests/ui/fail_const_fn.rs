use leaktest_core::leak_test;

#[leak_test]
const fn constant() {}

fn main() {}
