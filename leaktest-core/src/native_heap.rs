//! The native heap: bytes that C code holds through `malloc`.
//!
//! Rust programs leak through the C libraries they call (a zlib stream never
//! ended, an SQLite statement never finalised, a `strdup` nobody frees) as
//! often as through their own code, and the counting global allocator never
//! sees those bytes. This module counts them.
//!
//! ## How
//!
//! With the `native-heap` feature (on by default) on Linux with glibc, this
//! crate defines `malloc`, `free`, `calloc`, `realloc`, `reallocarray`,
//! `posix_memalign`, `aligned_alloc`, `memalign`, `valloc`, `pvalloc`,
//! `free_sized` and `free_aligned_sized` in the test binary. The executable's
//! definitions take precedence over glibc's for every caller, shared libraries
//! and glibc itself included (glibc supports replacing malloc this way), so
//! every C allocation passes through here. Each one is counted with its
//! usable size (`malloc_usable_size`, the same on allocation and on free) in a
//! per-thread slot, then handed to glibc's own implementation (`__libc_malloc`
//! and its siblings). Reading [`live_bytes`] sums the slots.
//!
//! Rust's own allocations must not be counted twice. `main!()` installs
//! `CountingAlloc<DirectSystem>`: [`DirectSystem`] is the system allocator
//! reached directly through glibc's `__libc_*` entry points, past this
//! counter, so the native heap holds C's share only, whichever allocator Rust
//! uses (`main!(allocator = mimalloc::MiMalloc)` never calls malloc at all).
//!
//! Counting calls rather than reading glibc's statistics keeps glibc's own
//! caching out of the series by construction: chunks parked in the per-thread
//! tcache or the fastbins, the top chunk, arenas created lazily by new threads,
//! the dynamic mmap threshold and trimming are all invisible here, and a
//! reading costs a sum over the slots whatever the state of the heap.
//! `mallinfo2()` walks every free chunk of every arena under its lock (2.4 ms
//! after 100,000 small blocks were freed) and counts the tcache as in use; the
//! comparison is in `BENCHMARKS.md`.
//!
//! ## When it is not measured
//!
//! [`availability`] probes the process once: a `strdup` inside glibc must move
//! the counter (else another allocator in the binary replaced malloc, or the
//! interposer was not linked), and an allocation through the global allocator
//! must not (else Rust's allocations reach malloc through this counter, as with
//! a hand-installed `CountingAlloc<System>`, and would be counted twice).
//! Elsewhere (musl, macOS, Windows, the feature off) the native heap is
//! reported as not measured, with the reason, never as a wrong number.
//!
//! ## Limits
//!
//! - Memory C code obtains with `mmap` or `sbrk` directly, or from an
//!   allocator of its own (a pool carved out of one big `malloc` counts as
//!   that one block), is not seen block by block.
//! - A block C allocated and Rust frees through its global allocator (or the
//!   reverse) is counted on one side only. Rust forbids that mix
//!   (`GlobalAlloc::dealloc` takes only what it allocated); it shows as growth
//!   of one counter and shrinkage of the other.
//! - A test binary that also links an allocator defining `malloc` itself
//!   (jemalloc's `unprefixed_malloc_on_supported_platforms`, mimalloc's
//!   `override`) cannot have two: turn this crate's `native-heap` feature off.
//! - Tools that replace malloc with `LD_PRELOAD` (heaptrack) see no C
//!   allocations in a test binary with this feature: the executable's
//!   definitions come first.
//!
//! ```
//! use leaktest_core::native_heap;
//!
//! if native_heap::availability().is_ok() {
//!     let before = native_heap::live_bytes();
//!     // SAFETY: strdup of a NUL-terminated literal; the copy is freed below.
//!     let copy = unsafe { libc::strdup(c"kept by C".as_ptr()) };
//!     assert!(native_heap::live_bytes() - before >= 10);
//!     // SAFETY: `copy` came from strdup and is freed once.
//!     unsafe { libc::free(copy.cast()) };
//! }
//! ```

use std::alloc::{GlobalAlloc, Layout};
use std::sync::OnceLock;

/// Why the native heap is not measured in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NativeHeapUnavailable {
    /// Not Linux with glibc: musl, macOS, Windows and others.
    #[error(
        "the native (C) heap is measured on Linux with glibc only; not measured on this platform"
    )]
    Platform,
    /// leaktest-core was built without its `native-heap` feature.
    #[error(
        "leaktest-core's `native-heap` feature is off, so C allocations are not counted \
         (enable the feature to count them)"
    )]
    FeatureOff,
    /// C code's calls to malloc do not reach the counter.
    #[error(
        "C code's calls to malloc do not reach leaktest's counter: another allocator linked \
         into this test binary defines malloc (jemalloc's `unprefixed_malloc_on_supported_platforms`, \
         mimalloc's `override`), or the counter was not linked in"
    )]
    NotInterposed,
    /// The global allocator calls malloc through the counter, so Rust's own
    /// allocations would be counted as native too.
    #[error(
        "the global allocator calls malloc, so Rust's own allocations would be counted as \
         native too: install `CountingAlloc<leaktest_core::DirectSystem>` (as `main!()` does) \
         instead of `CountingAlloc<System>`"
    )]
    RustAllocationsReachMalloc,
}

/// Bytes C code holds through malloc now: usable bytes of the blocks
/// allocated and not yet freed since the process started, all threads.
/// Allocates nothing and takes no lock; 0 where the native heap is not
/// measured (see [`availability`]).
///
/// Frees are summed before allocations, so what other threads do during a
/// reading can only make it too high (a transient spike, which the verdict
/// ignores), never too low.
pub fn live_bytes() -> i64 {
    #[cfg(all(target_os = "linux", target_env = "gnu", feature = "native-heap"))]
    {
        glibc::counters::live_bytes()
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu", feature = "native-heap")))]
    {
        0
    }
}

/// Whether [`live_bytes`] measures the native heap of this process, or why
/// not. Probed once per process (a few microseconds), then remembered.
pub fn availability() -> Result<(), NativeHeapUnavailable> {
    static PROBED: OnceLock<Result<(), NativeHeapUnavailable>> = OnceLock::new();
    *PROBED.get_or_init(probe)
}

fn probe() -> Result<(), NativeHeapUnavailable> {
    if !cfg!(all(target_os = "linux", target_env = "gnu")) {
        return Err(NativeHeapUnavailable::Platform);
    }
    if !cfg!(feature = "native-heap") {
        return Err(NativeHeapUnavailable::FeatureOff);
    }
    #[cfg(all(target_os = "linux", target_env = "gnu", feature = "native-heap"))]
    {
        glibc::probe()
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu", feature = "native-heap")))]
    {
        Ok(())
    }
}

/// The system allocator, reached past the native-heap counter.
///
/// `main!()` wraps it (`CountingAlloc<DirectSystem>`) so that Rust's
/// allocations, counted by [`CountingAlloc`](crate::CountingAlloc), are not
/// counted a second time as native. On Linux with glibc and the
/// `native-heap` feature it calls glibc's `__libc_malloc`, `__libc_calloc`,
/// `__libc_realloc`, `__libc_memalign` and `__libc_free`, exactly as
/// [`System`](std::alloc::System) calls `malloc` and its siblings (the same memory, the same
/// alignment rules); elsewhere it is [`System`](std::alloc::System).
///
/// ```ignore
/// #[global_allocator]
/// static ALLOC: leaktest_core::CountingAlloc<leaktest_core::DirectSystem> =
///     leaktest_core::CountingAlloc::new(leaktest_core::DirectSystem);
/// leaktest_core::main!(allocator = installed);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DirectSystem;

// SAFETY: forwards to glibc's malloc family with the alignment rules of
// `System` (malloc only when it guarantees the alignment, memalign otherwise),
// or to `System` itself.
unsafe impl GlobalAlloc for DirectSystem {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        #[cfg(all(target_os = "linux", target_env = "gnu", feature = "native-heap"))]
        {
            glibc::direct_alloc(layout)
        }
        #[cfg(not(all(target_os = "linux", target_env = "gnu", feature = "native-heap")))]
        {
            // SAFETY: forwarded contract of GlobalAlloc::alloc.
            unsafe { std::alloc::System.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        #[cfg(all(target_os = "linux", target_env = "gnu", feature = "native-heap"))]
        {
            glibc::direct_alloc_zeroed(layout)
        }
        #[cfg(not(all(target_os = "linux", target_env = "gnu", feature = "native-heap")))]
        {
            // SAFETY: forwarded contract of GlobalAlloc::alloc_zeroed.
            unsafe { std::alloc::System.alloc_zeroed(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        #[cfg(all(target_os = "linux", target_env = "gnu", feature = "native-heap"))]
        {
            let _ = layout;
            // SAFETY: `ptr` came from direct_alloc (glibc's malloc family).
            unsafe { glibc::direct_free(ptr) }
        }
        #[cfg(not(all(target_os = "linux", target_env = "gnu", feature = "native-heap")))]
        {
            // SAFETY: forwarded contract of GlobalAlloc::dealloc.
            unsafe { std::alloc::System.dealloc(ptr, layout) }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        #[cfg(all(target_os = "linux", target_env = "gnu", feature = "native-heap"))]
        {
            // SAFETY: forwarded contract of GlobalAlloc::realloc.
            unsafe { glibc::direct_realloc(ptr, layout, new_size) }
        }
        #[cfg(not(all(target_os = "linux", target_env = "gnu", feature = "native-heap")))]
        {
            // SAFETY: forwarded contract of GlobalAlloc::realloc.
            unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu", feature = "native-heap"))]
mod glibc {
    //! The interposed malloc family, glibc's own entry points, and the probe.

    use super::NativeHeapUnavailable;
    use std::alloc::Layout;
    use std::ffi::{c_int, c_void};

    extern "C" {
        // glibc's implementations under the names it exports for allocators
        // that wrap it (GLIBC_2.2.5, x86_64 and every later port).
        fn __libc_malloc(size: usize) -> *mut c_void;
        fn __libc_calloc(count: usize, size: usize) -> *mut c_void;
        fn __libc_realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
        fn __libc_memalign(alignment: usize, size: usize) -> *mut c_void;
        fn __libc_valloc(size: usize) -> *mut c_void;
        fn __libc_pvalloc(size: usize) -> *mut c_void;
        fn __libc_free(ptr: *mut c_void);
    }

    /// The largest alignment glibc's malloc guarantees on every port (it is
    /// 16 on 64-bit targets and on i386; `System` assumes the same).
    const MALLOC_ALIGNMENT: usize = 2 * std::mem::size_of::<usize>();

    pub(super) mod counters {
        //! Per-thread counters of the native heap, as in `alloc.rs`: each
        //! thread claims a slot of its own on its first C allocation and
        //! updates it with plain loads and stores. Slots are never released
        //! (no thread-exit destructor runs inside malloc); threads past
        //! [`SLOT_COUNT`] share an overflow slot with atomic adds.

        use std::cell::Cell;
        use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};

        const SLOT_COUNT: usize = 256;

        #[repr(align(128))]
        struct Slot {
            claimed: AtomicBool,
            allocated_bytes: AtomicU64,
            freed_bytes: AtomicU64,
        }

        impl Slot {
            const fn new() -> Self {
                Slot {
                    claimed: AtomicBool::new(false),
                    allocated_bytes: AtomicU64::new(0),
                    freed_bytes: AtomicU64::new(0),
                }
            }
        }

        static SLOTS: [Slot; SLOT_COUNT] = [const { Slot::new() }; SLOT_COUNT];
        static OVERFLOW: Slot = Slot::new();
        /// One past the highest slot index ever claimed.
        static SLOTS_IN_USE: AtomicUsize = AtomicUsize::new(0);

        thread_local! {
            // Constant-initialised and without destructors: readable from the
            // first malloc of a thread to its last, teardown included, and
            // never allocating.
            static OWN_SLOT: Cell<*const Slot> = const { Cell::new(std::ptr::null()) };
            static TRIED_TO_CLAIM: Cell<bool> = const { Cell::new(false) };
        }

        #[inline(always)]
        fn own_slot() -> Option<&'static Slot> {
            let own = OWN_SLOT.try_with(Cell::get).unwrap_or(std::ptr::null());
            // SAFETY: OWN_SLOT is null or points into the static SLOTS.
            match unsafe { own.as_ref() } {
                Some(slot) => Some(slot),
                None => claim_slot(),
            }
        }

        #[cold]
        #[inline(never)]
        fn claim_slot() -> Option<&'static Slot> {
            if TRIED_TO_CLAIM
                .try_with(|tried| tried.replace(true))
                .unwrap_or(true)
            {
                return None;
            }
            for (index, slot) in SLOTS.iter().enumerate() {
                if !slot.claimed.load(Relaxed)
                    && slot
                        .claimed
                        .compare_exchange(false, true, Acquire, Relaxed)
                        .is_ok()
                {
                    SLOTS_IN_USE.fetch_max(index + 1, Relaxed);
                    let _ = OWN_SLOT.try_with(|own| own.set(slot));
                    return Some(slot);
                }
            }
            None
        }

        #[inline(always)]
        fn bump(counter: &AtomicU64, bytes: u64) {
            // Only the owning thread writes its slot: a plain load/store pair.
            counter.store(counter.load(Relaxed).wrapping_add(bytes), Relaxed);
        }

        /// Counts `bytes` allocated by this thread.
        #[inline(always)]
        pub fn allocated(bytes: u64) {
            match own_slot() {
                Some(slot) => bump(&slot.allocated_bytes, bytes),
                None => {
                    OVERFLOW.allocated_bytes.fetch_add(bytes, Relaxed);
                }
            }
        }

        /// Counts `bytes` freed by this thread.
        #[inline(always)]
        pub fn freed(bytes: u64) {
            match own_slot() {
                Some(slot) => bump(&slot.freed_bytes, bytes),
                None => {
                    OVERFLOW.freed_bytes.fetch_add(bytes, Relaxed);
                }
            }
        }

        /// Allocated minus freed, over every slot.
        pub fn live_bytes() -> i64 {
            let in_use = SLOTS_IN_USE.load(Relaxed).min(SLOT_COUNT);
            let slots = || SLOTS[..in_use].iter().chain(std::iter::once(&OVERFLOW));
            let freed = slots().fold(0u64, |sum, slot| {
                sum.wrapping_add(slot.freed_bytes.load(Relaxed))
            });
            let allocated = slots().fold(0u64, |sum, slot| {
                sum.wrapping_add(slot.allocated_bytes.load(Relaxed))
            });
            allocated.wrapping_sub(freed) as i64
        }
    }

    #[inline(always)]
    fn usable_bytes(ptr: *mut c_void) -> u64 {
        // SAFETY: `ptr` is a live block of glibc's malloc.
        unsafe { libc::malloc_usable_size(ptr) as u64 }
    }

    #[inline(always)]
    fn note_allocated(ptr: *mut c_void) -> *mut c_void {
        if !ptr.is_null() {
            counters::allocated(usable_bytes(ptr));
        }
        ptr
    }

    // The interposed entry points. Each forwards to glibc's implementation and
    // counts the block's usable size on the way: after a successful
    // allocation, before a free (the size must be read while the block lives).

    /// `malloc`, counted.
    ///
    /// # Safety
    /// The C `malloc` contract.
    #[no_mangle]
    pub unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
        // SAFETY: the caller's malloc contract.
        note_allocated(unsafe { __libc_malloc(size) })
    }

    /// `calloc`, counted.
    ///
    /// # Safety
    /// The C `calloc` contract.
    #[no_mangle]
    pub unsafe extern "C" fn calloc(count: usize, size: usize) -> *mut c_void {
        // SAFETY: the caller's calloc contract.
        note_allocated(unsafe { __libc_calloc(count, size) })
    }

    /// `free`, counted.
    ///
    /// # Safety
    /// The C `free` contract: null or a live block of this malloc.
    #[no_mangle]
    pub unsafe extern "C" fn free(ptr: *mut c_void) {
        if !ptr.is_null() {
            counters::freed(usable_bytes(ptr));
        }
        // SAFETY: the caller's free contract.
        unsafe { __libc_free(ptr) }
    }

    /// `realloc`, counted: the old block's size out, the new one's in.
    ///
    /// # Safety
    /// The C `realloc` contract.
    #[no_mangle]
    pub unsafe extern "C" fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
        if ptr.is_null() {
            // SAFETY: realloc(NULL, n) is malloc(n).
            return unsafe { malloc(size) };
        }
        let old_bytes = usable_bytes(ptr);
        // SAFETY: the caller's realloc contract.
        let moved = unsafe { __libc_realloc(ptr, size) };
        if !moved.is_null() {
            counters::freed(old_bytes);
            counters::allocated(usable_bytes(moved));
        } else if size == 0 {
            // glibc frees the block and returns null for a size of zero; on
            // any other null the old block is untouched.
            counters::freed(old_bytes);
        }
        moved
    }

    /// `reallocarray`, counted.
    ///
    /// # Safety
    /// The C `reallocarray` contract.
    #[no_mangle]
    pub unsafe extern "C" fn reallocarray(
        ptr: *mut c_void,
        count: usize,
        size: usize,
    ) -> *mut c_void {
        match count.checked_mul(size) {
            // SAFETY: the caller's reallocarray contract, without overflow.
            Some(bytes) => unsafe { realloc(ptr, bytes) },
            None => {
                // SAFETY: errno is this thread's.
                unsafe { *libc::__errno_location() = libc::ENOMEM };
                std::ptr::null_mut()
            }
        }
    }

    /// `memalign`, counted.
    ///
    /// # Safety
    /// The C `memalign` contract.
    #[no_mangle]
    pub unsafe extern "C" fn memalign(alignment: usize, size: usize) -> *mut c_void {
        // SAFETY: the caller's memalign contract.
        note_allocated(unsafe { __libc_memalign(alignment, size) })
    }

    /// `aligned_alloc`, counted.
    ///
    /// # Safety
    /// The C `aligned_alloc` contract.
    #[no_mangle]
    pub unsafe extern "C" fn aligned_alloc(alignment: usize, size: usize) -> *mut c_void {
        if !alignment.is_power_of_two() {
            // SAFETY: errno is this thread's.
            unsafe { *libc::__errno_location() = libc::EINVAL };
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's aligned_alloc contract.
        note_allocated(unsafe { __libc_memalign(alignment, size) })
    }

    /// `posix_memalign`, counted. Leaves `errno` alone, as POSIX asks.
    ///
    /// # Safety
    /// The C `posix_memalign` contract.
    #[no_mangle]
    pub unsafe extern "C" fn posix_memalign(
        out: *mut *mut c_void,
        alignment: usize,
        size: usize,
    ) -> c_int {
        if !alignment.is_power_of_two()
            || !alignment.is_multiple_of(std::mem::size_of::<*mut c_void>())
        {
            return libc::EINVAL;
        }
        // SAFETY: errno is this thread's.
        let errno = unsafe { libc::__errno_location() };
        // SAFETY: as above.
        let saved = unsafe { *errno };
        // SAFETY: the caller's posix_memalign contract, with a valid alignment.
        let block = note_allocated(unsafe { __libc_memalign(alignment, size) });
        // SAFETY: as above.
        unsafe { *errno = saved };
        if block.is_null() {
            return libc::ENOMEM;
        }
        // SAFETY: the caller passes a writable `out`.
        unsafe { *out = block };
        0
    }

    /// `valloc`, counted.
    ///
    /// # Safety
    /// The C `valloc` contract.
    #[no_mangle]
    pub unsafe extern "C" fn valloc(size: usize) -> *mut c_void {
        // SAFETY: the caller's valloc contract.
        note_allocated(unsafe { __libc_valloc(size) })
    }

    /// `pvalloc`, counted.
    ///
    /// # Safety
    /// The C `pvalloc` contract.
    #[no_mangle]
    pub unsafe extern "C" fn pvalloc(size: usize) -> *mut c_void {
        // SAFETY: the caller's pvalloc contract.
        note_allocated(unsafe { __libc_pvalloc(size) })
    }

    /// C23 `free_sized`: C code built against a newer glibc may call it.
    ///
    /// # Safety
    /// The C `free` contract.
    #[no_mangle]
    pub unsafe extern "C" fn free_sized(ptr: *mut c_void, _size: usize) {
        // SAFETY: the caller's free contract.
        unsafe { free(ptr) }
    }

    /// C23 `free_aligned_sized`: C code built against a newer glibc may call it.
    ///
    /// # Safety
    /// The C `free` contract.
    #[no_mangle]
    pub unsafe extern "C" fn free_aligned_sized(ptr: *mut c_void, _alignment: usize, _size: usize) {
        // SAFETY: the caller's free contract.
        unsafe { free(ptr) }
    }

    // DirectSystem: std's `System` for unix, on glibc's own entry points.

    #[inline(always)]
    fn malloc_guarantees(alignment: usize, size: usize) -> bool {
        alignment <= MALLOC_ALIGNMENT && alignment <= size
    }

    #[inline]
    pub(super) fn direct_alloc(layout: Layout) -> *mut u8 {
        // SAFETY: plain calls into glibc's allocator; a null result is passed on.
        unsafe {
            if malloc_guarantees(layout.align(), layout.size()) {
                __libc_malloc(layout.size()).cast()
            } else {
                __libc_memalign(layout.align(), layout.size()).cast()
            }
        }
    }

    #[inline]
    pub(super) fn direct_alloc_zeroed(layout: Layout) -> *mut u8 {
        if malloc_guarantees(layout.align(), layout.size()) {
            // SAFETY: a plain call into glibc's allocator.
            unsafe { __libc_calloc(layout.size(), 1).cast() }
        } else {
            let block = direct_alloc(layout);
            if !block.is_null() {
                // SAFETY: the block has `layout.size()` writable bytes.
                unsafe { std::ptr::write_bytes(block, 0, layout.size()) };
            }
            block
        }
    }

    /// # Safety
    /// `ptr` is a live block from [`direct_alloc`] or its siblings.
    #[inline]
    pub(super) unsafe fn direct_free(ptr: *mut u8) {
        // SAFETY: the caller's contract.
        unsafe { __libc_free(ptr.cast()) }
    }

    /// # Safety
    /// The contract of `GlobalAlloc::realloc`.
    #[inline]
    pub(super) unsafe fn direct_realloc(ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if malloc_guarantees(layout.align(), new_size) {
            // SAFETY: `ptr` is a live block of glibc's malloc.
            return unsafe { __libc_realloc(ptr.cast(), new_size).cast() };
        }
        // SAFETY: the caller guarantees the new layout is valid.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let moved = direct_alloc(new_layout);
        if !moved.is_null() {
            // SAFETY: both blocks are live, distinct, and hold at least the
            // smaller size.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                direct_free(ptr);
            }
        }
        moved
    }

    /// Bytes of the C string the probe copies with `strdup`.
    const PROBE_BYTES: usize = 4096;
    /// A NUL-terminated string of [`PROBE_BYTES`] characters.
    static PROBE_TEXT: [u8; PROBE_BYTES + 1] = {
        let mut text = [b'x'; PROBE_BYTES + 1];
        text[PROBE_BYTES] = 0;
        text
    };
    /// Readings tried before other threads' allocations are blamed.
    const PROBE_ATTEMPTS: usize = 3;

    /// Whether glibc's own calls to malloc reach the counter (a `strdup`
    /// inside glibc must move it) and Rust's do not (a 64 KiB allocation
    /// through the global allocator must not). Other threads may allocate or
    /// free meanwhile, so each check gets a few attempts.
    pub(super) fn probe() -> Result<(), NativeHeapUnavailable> {
        let c_reaches_counter = (0..PROBE_ATTEMPTS).any(|_| {
            let before = counters::live_bytes();
            // SAFETY: PROBE_TEXT is NUL-terminated; the copy is freed below.
            let copy = unsafe { libc::strdup(PROBE_TEXT.as_ptr().cast()) };
            let grown = counters::live_bytes() - before;
            // SAFETY: `copy` came from strdup (null is fine too).
            unsafe { libc::free(copy.cast()) };
            !copy.is_null() && grown >= PROBE_BYTES as i64
        });
        if !c_reaches_counter {
            return Err(NativeHeapUnavailable::NotInterposed);
        }
        const RUST_PROBE_BYTES: usize = 64 * 1024;
        let rust_reaches_counter = (0..PROBE_ATTEMPTS).all(|_| {
            let before = counters::live_bytes();
            let block = std::hint::black_box(Vec::<u8>::with_capacity(RUST_PROBE_BYTES));
            let grown = counters::live_bytes() - before;
            drop(block);
            grown >= RUST_PROBE_BYTES as i64
        });
        if rust_reaches_counter {
            return Err(NativeHeapUnavailable::RustAllocationsReachMalloc);
        }
        Ok(())
    }
}
