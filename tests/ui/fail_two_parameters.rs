use leaktest_core::leak_test;

fn make_state() -> Vec<u8> {
    Vec::new()
}

#[leak_test(setup = make_state)]
fn two_states(cache: &mut Vec<u8>, extra: &mut Vec<u8>, more: u8) {
    let _ = (cache, extra, more);
}

fn main() {}
