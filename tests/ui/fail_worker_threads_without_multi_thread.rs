use leaktest_core::leak_test;

#[leak_test(worker_threads = 2)]
async fn default_flavor() {}

#[leak_test(flavor = "current_thread", worker_threads = 2)]
async fn current_thread_flavor() {}

fn main() {}
