//! Control: the allocation churn under a wrapper that only forwards to the
//! system allocator. Whatever it costs over `alloc_system` is the price of
//! any wrapper (code layout, one more call level), not of counting.

use std::alloc::{GlobalAlloc, Layout, System};

struct Forward;

// SAFETY: every method forwards to the system allocator unchanged.
unsafe impl GlobalAlloc for Forward {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Forward = Forward;

leaktest_benches::allocator_benches!("passthrough");
