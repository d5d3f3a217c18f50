//! The allocation churn under `dhat::Alloc` with no profiler running (as a
//! test binary that installs it for some tests only would run the others).

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

leaktest_benches::allocator_benches!("dhat");
