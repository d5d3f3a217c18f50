use leaktest_core::leak_test;

#[leak_test(max_peak = "24 MiBs")]
fn unknown_unit() {}

#[leak_test(max_peak = "24 mib")]
fn unit_in_the_wrong_case() {}

#[leak_test(max_alloc_per_iter = "4 kb")]
fn ambiguous_unit() {}

#[leak_test(max_growth = "lots")]
fn not_a_size() {}

#[leak_test(max_growth = 1.5)]
fn not_a_string_or_whole_bytes() {}

#[leak_test(max_fds_growth = "1")]
fn a_count_as_a_string() {}

#[leak_test(max_allocs_per_iter)]
fn no_value() {}

#[leak_test(max_peek = "1 MiB")]
fn misspelled() {}

fn main() {}
