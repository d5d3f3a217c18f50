use leaktest_core::leak_test;

#[leak_test(flavor = "multi")]
async fn misspelled_flavor() {}

fn main() {}
