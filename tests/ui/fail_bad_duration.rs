use leaktest_core::leak_test;

#[leak_test(timeout = "30")]
fn duration_without_unit() {}

#[leak_test(settle = "1h")]
fn unknown_unit() {}

#[leak_test(timeout = "1.5s")]
fn fractional_duration() {}

#[leak_test(timeout = "0s")]
fn zero_timeout() {}

fn main() {}
