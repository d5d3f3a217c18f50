//! A hand-installed `CountingAlloc<System>` sends Rust's allocations through
//! malloc, so the native-heap counter would count them twice: the probe must
//! say so rather than let a wrong number through.

#![cfg(all(target_os = "linux", target_env = "gnu"))]

use leaktest_core::native_heap::{self, NativeHeapUnavailable};
use leaktest_core::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc<std::alloc::System> = CountingAlloc::system();

#[test]
fn rust_allocations_reaching_malloc_make_the_native_heap_unmeasured() {
    assert_eq!(
        native_heap::availability(),
        Err(NativeHeapUnavailable::RustAllocationsReachMalloc)
    );
}
