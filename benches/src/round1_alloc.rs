//! The counting allocator as it was after the first performance round
//! (commit 05c1702, `leaktest-core/src/alloc.rs`), kept unchanged but for
//! its readers (`HeapStats`, the peak), which the benches do not need, so
//! that `benches/alloc_leaktest_round1.rs` can measure it side by side with
//! the current one in the same run (BENCHMARKS.md, section 1). Nothing else
//! uses it.

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering::*};

/// Net bytes a thread may accumulate before flushing them to the shared live
/// counter used for the peak. Bounds the peak's error per running thread.
const PEAK_GRANULARITY_BYTES: i64 = 64 * 1024;

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

thread_local! {
    /// This thread's own slot, or null while it has none. No destructor, so it
    /// is readable at any point of the thread's life, teardown included, and
    /// reading it is one thread-pointer-relative load.
    static OWN_SLOT: Cell<*const Slot> = const { Cell::new(std::ptr::null()) };
    /// True until the thread first tries to claim a slot. Once false, a thread
    /// without a slot (none was free, or it is exiting) counts on [`OVERFLOW`]
    /// without searching again.
    static MAY_CLAIM: Cell<bool> = const { Cell::new(true) };
    /// Releases the slot when the thread exits, so slots are reused by new threads.
    static SLOT_RELEASER: SlotReleaser = const { SlotReleaser };
}

struct SlotReleaser;

impl Drop for SlotReleaser {
    fn drop(&mut self) {
        let own = OWN_SLOT.with(|cell| cell.replace(std::ptr::null()));
        MAY_CLAIM.with(|cell| cell.set(false));
        // SAFETY: OWN_SLOT is null or points into the static SLOTS.
        if let Some(slot) = unsafe { own.as_ref() } {
            flush_unflushed(slot);
            // Release publishes this thread's last plain stores to the next owner.
            slot.claimed.store(false, Release);
        }
    }
}

/// The slot of a thread that has none yet: claims one on the first call,
/// `None` (count on the overflow slot) afterwards or when all are taken.
#[cold]
#[inline(never)]
fn claim_slot() -> Option<&'static Slot> {
    if !MAY_CLAIM
        .try_with(|cell| cell.replace(false))
        .unwrap_or(false)
    {
        return None;
    }
    // MAY_CLAIM is false from here: anything allocated while registering the
    // releaser below goes to the overflow slot instead of recursing.
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
                return None;
            }
            OWN_SLOT.with(|cell| cell.set(slot));
            return Some(slot);
        }
    }
    None
}

/// This thread's slot once it has one: a single load and a null check, the
/// only work on the hot path besides the counters themselves.
#[inline(always)]
fn own_slot() -> Option<&'static Slot> {
    let own = OWN_SLOT.try_with(Cell::get).unwrap_or(std::ptr::null());
    // SAFETY: OWN_SLOT is null or points into the static SLOTS.
    unsafe { own.as_ref() }
}

#[inline(always)]
fn bump(counter: &AtomicU64, amount: u64) {
    // Only the owning thread writes this counter: a plain load/store pair.
    counter.store(counter.load(Relaxed).wrapping_add(amount), Relaxed);
}

/// Adds `delta` to the slot's unflushed net bytes. True when they reached
/// [`PEAK_GRANULARITY_BYTES`] either way and must be published; the caller
/// does that off the hot path, merged with its other rare case.
#[inline(always)]
#[must_use]
fn track_net(slot: &Slot, delta: i64) -> bool {
    let unflushed = slot.unflushed_bytes.load(Relaxed).wrapping_add(delta);
    slot.unflushed_bytes.store(unflushed, Relaxed);
    // `|unflushed| >= PEAK_GRANULARITY_BYTES` as one unsigned comparison.
    unflushed.wrapping_add(PEAK_GRANULARITY_BYTES - 1) as u64
        >= (2 * PEAK_GRANULARITY_BYTES - 1) as u64
}

#[cold]
fn publish_net(delta: i64) {
    let live = FLUSHED_LIVE_BYTES.fetch_add(delta, Relaxed) + delta;
    if delta > 0 {
        PEAK_LIVE_BYTES.fetch_max(live, Relaxed);
    }
}

/// Publishes a slot's unflushed net bytes. Only its owner thread calls this.
fn flush_unflushed(slot: &Slot) {
    let unflushed = slot.unflushed_bytes.load(Relaxed);
    if unflushed != 0 {
        slot.unflushed_bytes.store(0, Relaxed);
        publish_net(unflushed);
    }
}

/// Publishes this thread's unflushed net bytes, if it has a slot.
#[cold]
#[inline(never)]
fn flush_own_slot() {
    if let Some(slot) = own_slot() {
        flush_unflushed(slot);
    }
}

#[inline(always)]
#[must_use]
fn count_alloc(slot: &Slot, bytes: usize) -> bool {
    bump(&slot.allocated_bytes, bytes as u64);
    bump(&slot.allocated_blocks, 1);
    track_net(slot, bytes as i64)
}

#[inline(always)]
#[must_use]
fn count_free(slot: &Slot, bytes: usize) -> bool {
    bump(&slot.freed_bytes, bytes as u64);
    bump(&slot.freed_blocks, 1);
    track_net(slot, -(bytes as i64))
}

#[inline(always)]
#[must_use]
fn count_realloc(slot: &Slot, old_bytes: usize, new_bytes: usize) -> bool {
    // Both counters, one of them by zero: whether a reallocation grows is as
    // random as the program, and a mispredicted branch costs more than a store.
    bump(
        &slot.allocated_bytes,
        new_bytes.saturating_sub(old_bytes) as u64,
    );
    bump(
        &slot.freed_bytes,
        old_bytes.saturating_sub(new_bytes) as u64,
    );
    bump(&slot.reallocs, 1);
    track_net(slot, new_bytes as i64 - old_bytes as i64)
}

/// Counts an allocation; true when this thread's net must be published.
#[inline(always)]
#[must_use]
fn record_alloc(bytes: usize) -> bool {
    match own_slot() {
        Some(slot) => count_alloc(slot, bytes),
        None => record_alloc_without_slot(bytes),
    }
}

/// Counts a free; true when this thread's net must be published.
#[inline(always)]
#[must_use]
fn record_free(bytes: usize) -> bool {
    match own_slot() {
        Some(slot) => count_free(slot, bytes),
        None => record_free_without_slot(bytes),
    }
}

/// Counts a reallocation; true when this thread's net must be published.
#[inline(always)]
#[must_use]
fn record_realloc(old_bytes: usize, new_bytes: usize) -> bool {
    match own_slot() {
        Some(slot) => count_realloc(slot, old_bytes, new_bytes),
        None => record_realloc_without_slot(old_bytes, new_bytes),
    }
}

// The paths of a thread without a slot of its own: its first allocation, and
// threads past SLOT_COUNT or exiting, which share OVERFLOW with atomic
// read-modify-writes and publish at once. Kept out of line so the hot path
// stays a few instructions.

#[cold]
#[inline(never)]
fn record_alloc_without_slot(bytes: usize) -> bool {
    match claim_slot() {
        Some(slot) => count_alloc(slot, bytes),
        None => {
            OVERFLOW.allocated_bytes.fetch_add(bytes as u64, Relaxed);
            OVERFLOW.allocated_blocks.fetch_add(1, Relaxed);
            publish_net(bytes as i64);
            false
        }
    }
}

#[cold]
#[inline(never)]
fn record_free_without_slot(bytes: usize) -> bool {
    match claim_slot() {
        Some(slot) => count_free(slot, bytes),
        None => {
            OVERFLOW.freed_bytes.fetch_add(bytes as u64, Relaxed);
            OVERFLOW.freed_blocks.fetch_add(1, Relaxed);
            publish_net(-(bytes as i64));
            false
        }
    }
}

#[cold]
#[inline(never)]
fn record_realloc_without_slot(old_bytes: usize, new_bytes: usize) -> bool {
    match claim_slot() {
        Some(slot) => count_realloc(slot, old_bytes, new_bytes),
        None => {
            OVERFLOW
                .allocated_bytes
                .fetch_add(new_bytes.saturating_sub(old_bytes) as u64, Relaxed);
            OVERFLOW
                .freed_bytes
                .fetch_add(old_bytes.saturating_sub(new_bytes) as u64, Relaxed);
            OVERFLOW.reallocs.fetch_add(1, Relaxed);
            publish_net(new_bytes as i64 - old_bytes as i64);
            false
        }
    }
}

/// The rare end of an allocation: the inner allocator refused it (its counts
/// are taken back), or this thread's net must be published, or both.
#[cold]
#[inline(never)]
fn finish_alloc_slow(refused: bool, bytes: usize) {
    if refused {
        // The thread counts where `record_alloc` just counted: its slot
        // cannot change in between.
        match own_slot() {
            Some(slot) => {
                bump(&slot.allocated_bytes, (bytes as u64).wrapping_neg());
                bump(&slot.allocated_blocks, u64::MAX);
                let _ = track_net(slot, -(bytes as i64));
            }
            None => {
                OVERFLOW.allocated_bytes.fetch_sub(bytes as u64, Relaxed);
                OVERFLOW.allocated_blocks.fetch_sub(1, Relaxed);
                publish_net(-(bytes as i64));
            }
        }
    }
    flush_own_slot();
}

/// The rare end of a reallocation: refused (the old block is then still live,
/// unchanged, and the counts are taken back), or the net must be published.
#[cold]
#[inline(never)]
fn finish_realloc_slow(refused: bool, old_bytes: usize, new_bytes: usize) {
    if refused {
        let grown = new_bytes.saturating_sub(old_bytes) as u64;
        let shrunk = old_bytes.saturating_sub(new_bytes) as u64;
        match own_slot() {
            Some(slot) => {
                bump(&slot.allocated_bytes, grown.wrapping_neg());
                bump(&slot.freed_bytes, shrunk.wrapping_neg());
                bump(&slot.reallocs, u64::MAX);
                let _ = track_net(slot, old_bytes as i64 - new_bytes as i64);
            }
            None => {
                OVERFLOW.allocated_bytes.fetch_sub(grown, Relaxed);
                OVERFLOW.freed_bytes.fetch_sub(shrunk, Relaxed);
                OVERFLOW.reallocs.fetch_sub(1, Relaxed);
                publish_net(old_bytes as i64 - new_bytes as i64);
            }
        }
    }
    flush_own_slot();
}

/// The round-1 counting allocator: counts every allocation, then delegates to `A`.
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
    // Each call is counted before it is forwarded, while the inner allocator
    // works; what is rare (the inner allocator refused, or this thread's net
    // must be published for the peak) is one branch after the call, out of
    // line. A free is then a tail call.

    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let flush = record_alloc(layout.size());
        // SAFETY: forwarded contract of GlobalAlloc::alloc.
        let ptr = unsafe { self.inner.alloc(layout) };
        if ptr.is_null() | flush {
            finish_alloc_slow(ptr.is_null(), layout.size());
        }
        ptr
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let flush = record_alloc(layout.size());
        // SAFETY: forwarded contract of GlobalAlloc::alloc_zeroed.
        let ptr = unsafe { self.inner.alloc_zeroed(layout) };
        if ptr.is_null() | flush {
            finish_alloc_slow(ptr.is_null(), layout.size());
        }
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if record_free(layout.size()) {
            flush_own_slot();
        }
        // SAFETY: forwarded contract of GlobalAlloc::dealloc.
        unsafe { self.inner.dealloc(ptr, layout) };
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let flush = record_realloc(layout.size(), new_size);
        // SAFETY: forwarded contract of GlobalAlloc::realloc.
        let new_ptr = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if new_ptr.is_null() | flush {
            finish_realloc_slow(new_ptr.is_null(), layout.size(), new_size);
        }
        new_ptr
    }
}
