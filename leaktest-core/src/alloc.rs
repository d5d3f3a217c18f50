//! The counting global allocator.
//!
//! [`CountingAlloc`] wraps any [`GlobalAlloc`] and counts, across every thread of
//! the process, the bytes and blocks allocated and freed. Counters live in
//! per-thread slots so the hot path is two plain loads and stores on memory no
//! other thread writes: no locks, no allocation, no contended atomics. Reading a
//! [`HeapStats`] sums the slots, so memory allocated on one thread and freed on
//! another nets to zero.
//!
//! Peak live bytes need one global view; each thread flushes its net change to a
//! shared counter once it exceeds [`PEAK_GRANULARITY_BYTES`], so the recorded
//! peak is exact to within that many bytes per running thread.
//!
//! ```no_run
//! use leaktest_core::{CountingAlloc, HeapStats};
//!
//! #[global_allocator]
//! static ALLOC: CountingAlloc<std::alloc::System> = CountingAlloc::system();
//!
//! let before = HeapStats::now();
//! let kept = vec![0u8; 4096];
//! let after = HeapStats::now();
//! assert!(after.live_bytes - before.live_bytes >= 4096);
//! drop(kept);
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering::*};

/// Net bytes a thread may accumulate before flushing them to the shared live
/// counter used for the peak. Bounds the peak's error per running thread.
pub const PEAK_GRANULARITY_BYTES: i64 = 64 * 1024;

/// Number of per-thread slots. Threads beyond this (alive at once) share one
/// overflow slot updated with atomic read-modify-writes.
const SLOT_COUNT: usize = 256;

/// Counters owned by one thread at a time. Only the owner writes `allocated_*`,
/// `freed_*`, `reallocs` and `unflushed_bytes`, with plain load/store pairs;
/// readers on other threads load them.
#[repr(align(128))]
struct Slot {
    claimed: AtomicBool,
    allocated_bytes: AtomicU64,
    freed_bytes: AtomicU64,
    allocated_blocks: AtomicU64,
    freed_blocks: AtomicU64,
    reallocs: AtomicU64,
    unflushed_bytes: AtomicI64,
}

impl Slot {
    const fn new() -> Self {
        Slot {
            claimed: AtomicBool::new(false),
            allocated_bytes: AtomicU64::new(0),
            freed_bytes: AtomicU64::new(0),
            allocated_blocks: AtomicU64::new(0),
            freed_blocks: AtomicU64::new(0),
            reallocs: AtomicU64::new(0),
            unflushed_bytes: AtomicI64::new(0),
        }
    }
}

static SLOTS: [Slot; SLOT_COUNT] = [const { Slot::new() }; SLOT_COUNT];
/// Shared by threads that found no free slot, and by threads after their slot
/// was released during thread exit. Updated with atomic read-modify-writes.
static OVERFLOW: Slot = Slot::new();
/// One past the highest slot index ever claimed: readers sum only up to it.
static SLOTS_IN_USE: AtomicUsize = AtomicUsize::new(0);
/// Live bytes as flushed by all threads (lags by the unflushed amounts).
static FLUSHED_LIVE_BYTES: AtomicI64 = AtomicI64::new(0);
static PEAK_LIVE_BYTES: AtomicI64 = AtomicI64::new(0);
/// Set once [`is_installed`] saw the counters move.
static INSTALLED: AtomicBool = AtomicBool::new(false);

const UNASSIGNED: usize = usize::MAX;
const USE_OVERFLOW: usize = usize::MAX - 1;

thread_local! {
    /// This thread's slot index, or one of the markers above. No destructor, so
    /// it is usable at any point of the thread's life, including its teardown.
    static SLOT_INDEX: Cell<usize> = const { Cell::new(UNASSIGNED) };
    /// Releases the slot when the thread exits, so slots are reused by new threads.
    static SLOT_RELEASER: SlotReleaser = const { SlotReleaser };
}

struct SlotReleaser;

impl Drop for SlotReleaser {
    fn drop(&mut self) {
        let index = SLOT_INDEX.with(|cell| cell.replace(USE_OVERFLOW));
        if index < SLOT_COUNT {
            let slot = &SLOTS[index];
            flush_unflushed(slot);
            // Release publishes this thread's last plain stores to the next owner.
            slot.claimed.store(false, Release);
        }
    }
}

fn claim_slot() -> usize {
    // Mark first: anything allocated while registering the releaser below goes
    // to the overflow slot instead of recursing into the claim.
    SLOT_INDEX.with(|cell| cell.set(USE_OVERFLOW));
    for (index, slot) in SLOTS.iter().enumerate() {
        if !slot.claimed.load(Relaxed)
            && slot
                .claimed
                .compare_exchange(false, true, Acquire, Relaxed)
                .is_ok()
        {
            SLOTS_IN_USE.fetch_max(index + 1, Relaxed);
            // Registering the thread-exit destructor; if the thread is already
            // being torn down this fails and the slot is released at once.
            if SLOT_RELEASER.try_with(|_| ()).is_err() {
                slot.claimed.store(false, Release);
                return USE_OVERFLOW;
            }
            SLOT_INDEX.with(|cell| cell.set(index));
            return index;
        }
    }
    USE_OVERFLOW
}

#[inline(always)]
fn current_slot() -> Option<&'static Slot> {
    let index = SLOT_INDEX
        .try_with(|cell| cell.get())
        .unwrap_or(USE_OVERFLOW);
    match index {
        UNASSIGNED => match claim_slot() {
            USE_OVERFLOW => None,
            claimed => Some(&SLOTS[claimed]),
        },
        USE_OVERFLOW => None,
        index => Some(&SLOTS[index]),
    }
}

#[inline(always)]
fn bump(counter: &AtomicU64, amount: u64) {
    // Only the owning thread writes this counter: a plain load/store pair.
    counter.store(counter.load(Relaxed).wrapping_add(amount), Relaxed);
}

#[inline(always)]
fn track_net(slot: &Slot, delta: i64) {
    let unflushed = slot.unflushed_bytes.load(Relaxed) + delta;
    if unflushed.abs() >= PEAK_GRANULARITY_BYTES {
        slot.unflushed_bytes.store(0, Relaxed);
        publish_net(unflushed);
    } else {
        slot.unflushed_bytes.store(unflushed, Relaxed);
    }
}

#[cold]
fn publish_net(delta: i64) {
    let live = FLUSHED_LIVE_BYTES.fetch_add(delta, Relaxed) + delta;
    if delta > 0 {
        PEAK_LIVE_BYTES.fetch_max(live, Relaxed);
    }
}

fn flush_unflushed(slot: &Slot) {
    let unflushed = slot.unflushed_bytes.swap(0, Relaxed);
    if unflushed != 0 {
        publish_net(unflushed);
    }
}

#[inline(always)]
fn record_alloc(bytes: usize) {
    match current_slot() {
        Some(slot) => {
            bump(&slot.allocated_bytes, bytes as u64);
            bump(&slot.allocated_blocks, 1);
            track_net(slot, bytes as i64);
        }
        None => {
            OVERFLOW.allocated_bytes.fetch_add(bytes as u64, Relaxed);
            OVERFLOW.allocated_blocks.fetch_add(1, Relaxed);
            publish_net(bytes as i64);
        }
    }
}

#[inline(always)]
fn record_free(bytes: usize) {
    match current_slot() {
        Some(slot) => {
            bump(&slot.freed_bytes, bytes as u64);
            bump(&slot.freed_blocks, 1);
            track_net(slot, -(bytes as i64));
        }
        None => {
            OVERFLOW.freed_bytes.fetch_add(bytes as u64, Relaxed);
            OVERFLOW.freed_blocks.fetch_add(1, Relaxed);
            publish_net(-(bytes as i64));
        }
    }
}

#[inline(always)]
fn record_realloc(old_bytes: usize, new_bytes: usize) {
    match current_slot() {
        Some(slot) => {
            if new_bytes >= old_bytes {
                bump(&slot.allocated_bytes, (new_bytes - old_bytes) as u64);
            } else {
                bump(&slot.freed_bytes, (old_bytes - new_bytes) as u64);
            }
            bump(&slot.reallocs, 1);
            track_net(slot, new_bytes as i64 - old_bytes as i64);
        }
        None => {
            if new_bytes >= old_bytes {
                OVERFLOW
                    .allocated_bytes
                    .fetch_add((new_bytes - old_bytes) as u64, Relaxed);
            } else {
                OVERFLOW
                    .freed_bytes
                    .fetch_add((old_bytes - new_bytes) as u64, Relaxed);
            }
            OVERFLOW.reallocs.fetch_add(1, Relaxed);
            publish_net(new_bytes as i64 - old_bytes as i64);
        }
    }
}

/// A global allocator that counts every allocation, then delegates to `A`.
///
/// Install it with `leaktest_core::main!()` (which wraps [`System`]), with
/// `leaktest_core::main!(allocator = MyAlloc)` to wrap your own allocator, or
/// yourself with `#[global_allocator]` and then `leaktest_core::main!(allocator = installed)`.
///
/// All instances share one set of process-wide counters, read with [`HeapStats::now`].
pub struct CountingAlloc<A = System> {
    inner: A,
}

impl CountingAlloc<System> {
    /// Counts allocations made through the system allocator.
    pub const fn system() -> Self {
        CountingAlloc { inner: System }
    }
}

impl<A> CountingAlloc<A> {
    /// Counts allocations made through `inner`.
    ///
    /// ```ignore
    /// #[global_allocator]
    /// static ALLOC: leaktest_core::CountingAlloc<mimalloc::MiMalloc> =
    ///     leaktest_core::CountingAlloc::new(mimalloc::MiMalloc);
    /// ```
    pub const fn new(inner: A) -> Self {
        CountingAlloc { inner }
    }

    /// The wrapped allocator.
    pub const fn inner(&self) -> &A {
        &self.inner
    }
}

// SAFETY: every method delegates to the inner allocator with the caller's
// arguments unchanged; counting only touches atomics and never allocates.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAlloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract of GlobalAlloc::alloc.
        let ptr = unsafe { self.inner.alloc(layout) };
        if !ptr.is_null() {
            record_alloc(layout.size());
        }
        ptr
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract of GlobalAlloc::alloc_zeroed.
        let ptr = unsafe { self.inner.alloc_zeroed(layout) };
        if !ptr.is_null() {
            record_alloc(layout.size());
        }
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract of GlobalAlloc::dealloc.
        unsafe { self.inner.dealloc(ptr, layout) };
        record_free(layout.size());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract of GlobalAlloc::realloc.
        let new_ptr = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if !new_ptr.is_null() {
            record_realloc(layout.size(), new_size);
        }
        new_ptr
    }
}

/// A reading of the heap counters, summed over all threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeapStats {
    /// Bytes allocated and not yet freed.
    pub live_bytes: i64,
    /// Blocks allocated and not yet freed.
    pub live_blocks: i64,
    /// Allocations made since the process started (reallocations not included).
    pub total_allocations: u64,
    /// Reallocations made since the process started.
    pub total_reallocations: u64,
    /// Bytes allocated since the process started (growth by realloc included).
    pub total_allocated_bytes: u64,
}

impl HeapStats {
    /// Reads the counters now. Cost grows with the number of threads that ever
    /// ran at once (one slot each), not with the number of allocations.
    pub fn now() -> HeapStats {
        let mut allocated_bytes = 0u64;
        let mut freed_bytes = 0u64;
        let mut allocated_blocks = 0u64;
        let mut freed_blocks = 0u64;
        let mut reallocs = 0u64;
        let in_use = SLOTS_IN_USE.load(Relaxed).min(SLOT_COUNT);
        for slot in SLOTS[..in_use].iter().chain(std::iter::once(&OVERFLOW)) {
            allocated_bytes = allocated_bytes.wrapping_add(slot.allocated_bytes.load(Relaxed));
            freed_bytes = freed_bytes.wrapping_add(slot.freed_bytes.load(Relaxed));
            allocated_blocks = allocated_blocks.wrapping_add(slot.allocated_blocks.load(Relaxed));
            freed_blocks = freed_blocks.wrapping_add(slot.freed_blocks.load(Relaxed));
            reallocs = reallocs.wrapping_add(slot.reallocs.load(Relaxed));
        }
        HeapStats {
            live_bytes: allocated_bytes.wrapping_sub(freed_bytes) as i64,
            live_blocks: allocated_blocks.wrapping_sub(freed_blocks) as i64,
            total_allocations: allocated_blocks,
            total_reallocations: reallocs,
            total_allocated_bytes: allocated_bytes,
        }
    }
}

/// Highest live heap bytes since the last [`reset_peak`], exact to within
/// [`PEAK_GRANULARITY_BYTES`] per running thread.
pub fn peak_live_bytes() -> u64 {
    let exact_now = HeapStats::now().live_bytes;
    PEAK_LIVE_BYTES.load(Relaxed).max(exact_now).max(0) as u64
}

/// Starts a new peak measurement from the current live bytes.
pub fn reset_peak() {
    // The peak is tracked on the flushed counter, so it restarts from that one.
    PEAK_LIVE_BYTES.store(FLUSHED_LIVE_BYTES.load(Relaxed), Relaxed);
}

/// True once any allocation went through a [`CountingAlloc`] in this process.
///
/// The harness checks it at start-up and refuses to judge heap growth without it.
pub fn is_installed() -> bool {
    if INSTALLED.load(Relaxed) {
        return true;
    }
    let before = HeapStats::now().total_allocations;
    let probe = std::hint::black_box(Box::new(0u64));
    drop(probe);
    let installed = HeapStats::now().total_allocations > before;
    if installed {
        INSTALLED.store(true, Relaxed);
    }
    installed
}
