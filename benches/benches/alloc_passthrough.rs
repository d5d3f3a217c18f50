//! Control: a wrapper that only forwards.
use std::alloc::{GlobalAlloc, Layout, System};
struct Forward;
unsafe impl GlobalAlloc for Forward {
    #[inline]
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        unsafe { System.alloc(l) }
    }
    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    #[inline]
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        unsafe { System.realloc(p, l, n) }
    }
}
#[global_allocator]
static ALLOCATOR: Forward = Forward;
leaktest_benches::allocator_benches!("passthrough");
