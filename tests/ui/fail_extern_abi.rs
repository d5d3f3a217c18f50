use leaktest_core::leak_test;

#[leak_test]
extern "C" fn foreign_abi() {}

fn main() {}
