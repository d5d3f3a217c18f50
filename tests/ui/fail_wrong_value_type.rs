use leaktest_core::leak_test;

fn make_state() -> u32 {
    0
}

#[leak_test(iterations = "100")]
fn iterations_as_string() {}

#[leak_test(iterations)]
fn iterations_without_value() {}

#[leak_test(should_leak = true)]
fn flag_with_value() {}

#[leak_test(ignore = 5)]
fn ignore_with_number() {}

#[leak_test(timeout = 30)]
fn timeout_as_number() {}

#[leak_test(setup = "make_state")]
fn setup_as_string(state: &mut u32) {
    let _ = state;
}

fn main() {}
