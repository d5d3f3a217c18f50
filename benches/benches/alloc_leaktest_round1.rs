//! The allocation workloads under leaktest's counting allocator as it was
//! after the first performance round ([`leaktest_benches::round1_alloc`]),
//! to compare with `alloc_leaktest` in the same run.

#[global_allocator]
static ALLOCATOR: leaktest_benches::round1_alloc::CountingAlloc =
    leaktest_benches::round1_alloc::CountingAlloc::system();

leaktest_benches::allocator_benches!("leaktest_round1");
