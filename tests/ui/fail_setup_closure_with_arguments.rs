use leaktest_core::leak_test;

pub struct Lru(Vec<u64>);

impl Lru {
    pub fn new(capacity: usize) -> Lru {
        Lru(Vec::with_capacity(capacity))
    }
}

#[leak_test(setup = |capacity: usize| Lru::new(capacity))]
fn lru_stays_bounded(lru: &mut Lru) {
    lru.0.clear();
}

#[leak_test(setup = Lru::new(64))]
fn lru_built_by_a_call(lru: &mut Lru) {
    lru.0.clear();
}

fn main() {}
