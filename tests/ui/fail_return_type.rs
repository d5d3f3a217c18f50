use leaktest_core::leak_test;

#[leak_test]
fn returns_a_number() -> u32 {
    7
}

fn main() {}
