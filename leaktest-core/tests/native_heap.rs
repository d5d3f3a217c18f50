//! The native-heap counter, in a binary of its own with `main!()`'s global
//! allocator (`CountingAlloc<DirectSystem>`). The counter is process-wide, so
//! the checks run one after the other, without libtest's harness
//! (`harness = false`): libtest's own threads start and allocate at moments
//! of their choosing, which these exact readings would catch.

use leaktest_core::{CountingAlloc, DirectSystem};

#[global_allocator]
static ALLOC: CountingAlloc<DirectSystem> = CountingAlloc::new(DirectSystem);

fn main() {
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        checks::native_heap_counter();
        println!("test result: ok. 1 passed; 0 failed (native_heap_counter)");
    } else {
        println!("test result: ok. 0 passed; 0 failed (the native heap is measured on Linux with glibc only)");
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod checks {
    use leaktest_core::native_heap::{self, NativeHeapUnavailable};
    use leaktest_core::HeapStats;
    use std::ffi::c_void;

    pub fn native_heap_counter() {
        is_available_with_direct_system_as_the_global_allocator();
        counts_each_c_allocation_function_and_its_free();
        rust_allocations_through_direct_system_are_not_counted();
        direct_system_honours_alignment_zeroing_and_reallocation();
        counts_c_memory_freed_on_another_thread();
        unavailable_reasons_say_what_to_do();
    }

    /// Native live bytes added by `f` while its result is alive.
    fn grown_by<T>(f: impl FnOnce() -> T) -> (i64, T) {
        let before = native_heap::live_bytes();
        let kept = f();
        (native_heap::live_bytes() - before, kept)
    }

    fn is_available_with_direct_system_as_the_global_allocator() {
        assert_eq!(native_heap::availability(), Ok(()));
    }

    fn counts_each_c_allocation_function_and_its_free() {
        let start = native_heap::live_bytes();
        // SAFETY: plain C allocations of valid sizes, each freed once below.
        unsafe {
            let (grown, block) = grown_by(|| libc::malloc(256));
            assert!((256..256 + 32).contains(&grown), "malloc(256): {grown}");
            let (grown, zeroed) = grown_by(|| libc::calloc(10, 100));
            assert!(
                (1000..1000 + 32).contains(&grown),
                "calloc(10, 100): {grown}"
            );
            let (grown, copy) = grown_by(|| libc::strdup(c"a string C keeps".as_ptr()));
            assert!((17..17 + 32).contains(&grown), "strdup: {grown}");
            let mut aligned: *mut c_void = std::ptr::null_mut();
            let (grown, status) = grown_by(|| libc::posix_memalign(&mut aligned, 64, 1000));
            assert_eq!(status, 0);
            assert_eq!(aligned as usize % 64, 0);
            assert!(grown >= 1000, "posix_memalign: {grown}");
            let (grown, page) = grown_by(|| libc::aligned_alloc(4096, 4096));
            assert_eq!(page as usize % 4096, 0);
            assert!(grown >= 4096, "aligned_alloc: {grown}");
            let (grown, big) = grown_by(|| libc::malloc(1 << 20));
            assert!(grown >= 1 << 20, "a mmapped block: {grown}");

            let before = native_heap::live_bytes();
            let block = libc::realloc(block, 4096);
            assert!(native_heap::live_bytes() - before >= 4096 - 256 - 32);
            // glibc frees the block when realloc asks for zero bytes.
            assert!(libc::realloc(copy.cast(), 0).is_null());

            for block in [block, zeroed, aligned, page, big] {
                libc::free(block);
            }
        }
        assert_eq!(native_heap::live_bytes(), start);
    }

    fn rust_allocations_through_direct_system_are_not_counted() {
        let (grown, kept) = grown_by(|| {
            let small: Vec<Box<u64>> = (0..100).map(Box::new).collect();
            let large = vec![1u8; 4 << 20];
            let aligned = Box::new(Aligned([0; 256]));
            (small, large, aligned)
        });
        assert_eq!(grown, 0, "Rust's allocations counted as native");
        let heap = HeapStats::now().live_bytes;
        assert!(heap >= 4 << 20, "CountingAlloc counted them: {heap}");
        drop(kept);
    }

    #[repr(align(256))]
    struct Aligned([u8; 256]);

    fn direct_system_honours_alignment_zeroing_and_reallocation() {
        let mut aligned: Vec<Aligned> = Vec::with_capacity(3);
        for round in 0..3 {
            aligned.push(Aligned([round; 256]));
            assert_eq!(aligned.as_ptr() as usize % 256, 0);
        }
        aligned.reserve(100);
        assert_eq!(aligned.as_ptr() as usize % 256, 0);
        assert!(aligned.iter().enumerate().all(|(i, a)| a.0[255] == i as u8));
        let zeroed = vec![0u64; 100_000];
        assert!(zeroed.iter().all(|&word| word == 0));
        let mut grown = vec![7u8; 10];
        grown.resize(1 << 20, 7);
        grown.truncate(5);
        grown.shrink_to_fit();
        assert_eq!(grown, [7; 5]);
    }

    fn counts_c_memory_freed_on_another_thread() {
        let start = native_heap::live_bytes();
        let blocks: Vec<usize> = (0..64)
            .map(|_| {
                std::thread::spawn(|| {
                    // SAFETY: a plain C allocation, freed on the main thread.
                    unsafe { libc::malloc(1000) as usize }
                })
                .join()
                .expect("join")
            })
            .collect();
        assert!(native_heap::live_bytes() - start >= 64 * 1000);
        for block in blocks {
            // SAFETY: each block came from malloc and is freed once.
            unsafe { libc::free(block as *mut c_void) };
        }
        // Threads that ended may leave glibc's per-thread state behind (their
        // stacks are cached), never more than a few KiB each.
        let left = native_heap::live_bytes() - start;
        assert!(left < 64 * 1000, "left after freeing: {left}");
    }

    fn unavailable_reasons_say_what_to_do() {
        let reason = NativeHeapUnavailable::RustAllocationsReachMalloc.to_string();
        assert!(reason.contains("CountingAlloc<leaktest_core::DirectSystem>"));
        let reason = NativeHeapUnavailable::NotInterposed.to_string();
        assert!(reason.contains("defines malloc"));
    }
}
