//! `main!(allocator = installed)` when the user declared the counting
//! allocator as the global allocator themselves.

use leaktest_core::{leak_test, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc<std::alloc::System> = CountingAlloc::new(std::alloc::System);

#[leak_test(iterations = 10)]
fn runs_on_the_installed_allocator() {}

leaktest_core::main!(allocator = installed);
