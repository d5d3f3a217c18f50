use leaktest_core::leak_test;

#[leak_test(iterations = 0, bogus, timeout = "soon", flavor = "multi_thread")]
const fn everything_wrong<T>(state: &mut T) {
    let _ = state;
}

fn main() {}
