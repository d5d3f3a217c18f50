//! `main!(allocator: TYPE = CONST_EXPR)` wraps an allocator built by a const fn.

use leaktest_core::leak_test;
use std::alloc::{GlobalAlloc, Layout, System};

pub struct Tagged {
    #[allow(dead_code)]
    tag: u32,
}

impl Tagged {
    pub const fn new(tag: u32) -> Self {
        Tagged { tag }
    }
}

unsafe impl GlobalAlloc for Tagged {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[leak_test(iterations = 10)]
fn runs_on_the_wrapped_allocator() {}

leaktest_core::main!(allocator: Tagged = Tagged::new(7));
