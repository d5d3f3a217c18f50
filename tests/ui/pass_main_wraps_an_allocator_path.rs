//! `main!(allocator = PATH)` wraps a unit-struct allocator of the user's.

use leaktest_core::leak_test;
use std::alloc::{GlobalAlloc, Layout, System};

pub struct MyAlloc;

unsafe impl GlobalAlloc for MyAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[leak_test(iterations = 10)]
fn runs_on_the_wrapped_allocator() {}

leaktest_core::main!(allocator = MyAlloc);
