//! The allocation churn under `stats_alloc::StatsAlloc` (global atomic counters).

use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

leaktest_benches::allocator_benches!("stats_alloc");
