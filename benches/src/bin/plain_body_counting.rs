//! `plain_body` with leaktest's counting allocator as its global allocator
//! and nothing else of leaktest: what the allocator alone adds to a plain
//! program (`benches/heavy_test.rs`).

#[global_allocator]
static ALLOCATOR: leaktest_core::CountingAlloc = leaktest_core::CountingAlloc::system();

fn main() {
    leaktest_benches::plain_main();
}
