use leaktest_core::leak_test;

#[leak_test]
struct NotATest {
    _field: u8,
}

fn main() {}
