use leaktest_core::leak_test;

#[leak_test]
fn needs_state(cache: &mut Vec<u8>) {
    cache.clear();
}

fn main() {}
