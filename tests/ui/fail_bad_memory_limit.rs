use leaktest_core::leak_test;

#[leak_test(memory_limit = "2 gigs")]
fn unknown_unit() {}

#[leak_test(memory_limit = "1 MiB")]
fn below_the_minimum() {}

#[leak_test(memory_limit = 4096)]
fn not_a_string() {}

fn main() {}
