use leaktest_core::leak_test;

#[leak_test]
fn type_parameter<T: Default>() {
    let _ = T::default();
}

#[leak_test]
fn where_clause()
where
    u8: Copy,
{
}

fn make_state() -> Vec<u8> {
    Vec::new()
}

#[leak_test(setup = make_state)]
fn impl_trait_parameter(state: &mut impl Extend<u8>) {
    state.extend([1]);
}

fn main() {}
