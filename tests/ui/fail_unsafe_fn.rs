use leaktest_core::leak_test;

#[leak_test]
unsafe fn dangerous() {}

fn main() {}
