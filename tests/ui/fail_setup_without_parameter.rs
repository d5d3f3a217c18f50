use leaktest_core::leak_test;

fn make_state() -> Vec<u8> {
    Vec::new()
}

#[leak_test(setup = make_state)]
fn forgets_the_state() {}

fn main() {}
