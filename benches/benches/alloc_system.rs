//! The allocation churn under the system allocator itself: the baseline.

#[global_allocator]
static ALLOCATOR: std::alloc::System = std::alloc::System;

leaktest_benches::allocator_benches!("system");
