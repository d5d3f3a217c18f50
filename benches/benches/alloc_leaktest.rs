//! The allocation churn under leaktest's counting allocator (per-thread slots).

#[global_allocator]
static ALLOCATOR: leaktest_core::CountingAlloc = leaktest_core::CountingAlloc::system();

leaktest_benches::allocator_benches!("leaktest");
