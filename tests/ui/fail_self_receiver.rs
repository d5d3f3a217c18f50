use leaktest_core::leak_test;

pub struct Cache;

impl Cache {
    #[leak_test]
    fn method(&self) {}
}

fn main() {}
