//! The counting global allocator.
//!
//! [`CountingAlloc`] wraps any [`GlobalAlloc`] and counts, across every thread of
//! the process, the bytes and blocks allocated and freed. Counters live in
//! per-thread slots, so the hot path is one thread-local load (this thread's
//! slot), a few adds on memory no other thread writes, and branches almost
//! never taken for what is rare: no locks, no allocation, no contended
//! atomics. Reading a [`HeapStats`] sums the slots, so memory allocated on one
//! thread and freed on another nets to zero.
//!
//! Global atomic counters (as `stats_alloc` keeps) would be simpler, but every
//! thread would then write the same cache line on every call: on two threads
//! they cost 1.2 to 1.3 times the system allocator on an allocation-heavy
//! loop, against 1.04 to 1.07 for the slots (figures in `BENCHMARKS.md`).
//!
//! Each call is counted before it is forwarded and taken back if the inner
//! allocator refuses it, so a failed `try_reserve` leaves no trace. What is
//! rare (a thread without a slot yet, a net to publish for the peak) branches
//! off before the inner call into out-of-line functions, so across the call
//! only the size is kept and a free ends in a tail call to the inner
//! allocator: about 15 instructions per call over the system allocator's
//! (`BENCHMARKS.md`, section 1).
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
use std::cell::{Cell, UnsafeCell};
use std::ptr;
use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering::*,
};
use std::sync::OnceLock;

/// Net bytes a thread may accumulate before flushing them to the shared live
/// counter used for the peak. Bounds the peak's error per running thread.
pub const PEAK_GRANULARITY_BYTES: i64 = 64 * 1024;

/// Number of per-thread slots. Threads beyond this (alive at once) share one
/// overflow slot updated with atomic read-modify-writes.
const SLOT_COUNT: usize = 256;

/// [`Slot::state`]: nobody owns the slot.
const FREE: u8 = 0;
/// [`Slot::state`]: a thread owns the slot and counts in it.
const OWNED: u8 = 1;
/// [`Slot::state`]: a thread is claiming the slot, or [`redirect_all`] is
/// clearing its owner's pointer to it; whoever finds it so waits.
const BUSY: u8 = 2;

/// Room of each direction once a slot has just published.
const FULL_ROOM_BYTES: u64 = PEAK_GRANULARITY_BYTES as u64;

/// Counters owned by one thread at a time. Only the owner writes the counters
/// and the rooms, with plain load/store pairs; readers on other threads load
/// the counters.
///
/// The owner's net bytes not yet published for the peak are kept twice, as
/// the room left before publishing in each direction: `alloc_room` is
/// [`PEAK_GRANULARITY_BYTES`] minus that net and `free_room` the granularity
/// plus it (their sum stays twice the granularity). An allocation takes from
/// the one and gives to the other, and must publish when it takes all that is
/// left or more: a subtraction whose borrow (or zero) is the test, one
/// instruction and a branch almost never taken, where a two-sided bound on a
/// single net would need a load, a store and two comparisons. What is published is
/// computed from the counters (`published_bytes` holds the sum so far), so
/// the rooms start at zero like everything else in a slot (the first call
/// publishes and fills them): the slots need no initialised data in the
/// binary.
#[repr(align(128))]
struct Slot {
    state: AtomicU8,
    allocated_bytes: AtomicU64,
    freed_bytes: AtomicU64,
    allocated_blocks: AtomicU64,
    freed_blocks: AtomicU64,
    reallocs: AtomicU64,
    alloc_room: OwnerOnly,
    free_room: OwnerOnly,
    /// Net bytes of this slot published so far (by all its owners).
    published_bytes: OwnerOnly,
    /// The owner's [`OWN_SLOT`], so that [`redirect_all`] can clear it.
    owner_pointer: AtomicPtr<AtomicPtr<Slot>>,
}

impl Slot {
    const fn new() -> Self {
        Slot {
            state: AtomicU8::new(FREE),
            allocated_bytes: AtomicU64::new(0),
            freed_bytes: AtomicU64::new(0),
            allocated_blocks: AtomicU64::new(0),
            freed_blocks: AtomicU64::new(0),
            reallocs: AtomicU64::new(0),
            alloc_room: OwnerOnly::new(0),
            free_room: OwnerOnly::new(0),
            published_bytes: OwnerOnly::new(0),
            owner_pointer: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

/// A number only the thread that owns its slot reads or writes. The slot
/// passes from owner to owner through its `state` (given up with Release,
/// claimed with Acquire), so these accesses never race; being plain loads
/// and stores, the compiler folds a load, a subtraction and a store into one
/// instruction whose flags are the test.
struct OwnerOnly(UnsafeCell<u64>);

// SAFETY: only the owner of the slot holding it accesses the value (see the
// type's documentation); every method that does is unsafe with that contract.
unsafe impl Sync for OwnerOnly {}

impl OwnerOnly {
    const fn new(value: u64) -> Self {
        OwnerOnly(UnsafeCell::new(value))
    }

    /// # Safety
    /// Only the slot's owner thread may call this.
    #[inline(always)]
    unsafe fn get(&self) -> u64 {
        // SAFETY: no other thread accesses the value (the caller owns the slot).
        unsafe { *self.0.get() }
    }

    /// # Safety
    /// Only the slot's owner thread may call this.
    #[inline(always)]
    unsafe fn set(&self, value: u64) {
        // SAFETY: as in `get`.
        unsafe { *self.0.get() = value }
    }

    /// Takes `bytes`; true when that was all there was or more (the room is
    /// used up and the owner must publish: the net has reached the
    /// granularity, as `|net| >= PEAK_GRANULARITY_BYTES`, so a single block
    /// of the granularity's size is published at once).
    ///
    /// # Safety
    /// Only the slot's owner thread may call this.
    #[inline(always)]
    #[must_use]
    unsafe fn take(&self, bytes: u64) -> bool {
        // SAFETY: forwarded.
        unsafe {
            let left = self.get();
            self.set(left.wrapping_sub(bytes));
            left <= bytes
        }
    }

    /// Gives `bytes` back.
    ///
    /// # Safety
    /// Only the slot's owner thread may call this.
    #[inline(always)]
    unsafe fn give(&self, bytes: u64) {
        // SAFETY: forwarded.
        unsafe { self.set(self.get().wrapping_add(bytes)) }
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
/// Where [`redirect_all`] sends every call, once it was called.
static REDIRECT_TARGET: OnceLock<&'static (dyn GlobalAlloc + Sync)> = OnceLock::new();
/// Set by [`redirect_all`] after [`REDIRECT_TARGET`]; read by threads that
/// claim a slot (sequentially consistent on both sides, so that a thread
/// claiming a slot while the redirect runs either is found by it or sees it).
static REDIRECTED: AtomicBool = AtomicBool::new(false);
/// Flushed live bytes above which [`LIMIT_HOOK`] runs; `i64::MAX` while no
/// limit is set. Checked only where a thread publishes its net bytes.
static LIVE_BYTES_LIMIT: AtomicI64 = AtomicI64::new(i64::MAX);
/// Called once when the limit is exceeded (see [`set_live_bytes_limit`]).
static LIMIT_HOOK: std::sync::OnceLock<fn(i64)> = std::sync::OnceLock::new();
/// Set by the first thread that found the limit exceeded.
static LIMIT_EXCEEDED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// This thread's own slot, or null while it has none (or after
    /// [`redirect_all`] cleared it). No destructor, so it is readable at any
    /// point of the thread's life, teardown included, and reading it is one
    /// thread-pointer-relative load. Only its thread sets it; `redirect_all`
    /// may clear it from another thread, hence the atomic (a relaxed load is
    /// a plain load).
    static OWN_SLOT: AtomicPtr<Slot> = const { AtomicPtr::new(ptr::null_mut()) };
    /// True until the thread first tries to claim a slot. Once false, a thread
    /// without a slot (none was free, or it is exiting) counts on [`OVERFLOW`]
    /// without searching again.
    static MAY_CLAIM: Cell<bool> = const { Cell::new(true) };
    /// Releases the thread's slot when it exits, so slots are reused by new
    /// threads. Holds the slot itself: [`OWN_SLOT`] may have been cleared.
    static SLOT_RELEASER: SlotReleaser = const { SlotReleaser { slot: Cell::new(ptr::null()) } };
}

struct SlotReleaser {
    slot: Cell<*const Slot>,
}

impl Drop for SlotReleaser {
    fn drop(&mut self) {
        let _ = OWN_SLOT.try_with(|own| own.store(ptr::null_mut(), Relaxed));
        let _ = MAY_CLAIM.try_with(|may_claim| may_claim.set(false));
        // SAFETY: null or a slot of the static SLOTS.
        if let Some(slot) = unsafe { self.slot.replace(ptr::null()).as_ref() } {
            publish_unpublished(slot);
            // Release publishes this thread's last plain stores to the next
            // owner. While `redirect_all` holds the slot BUSY it is writing
            // this thread's OWN_SLOT, which must outlive that: wait.
            while slot
                .state
                .compare_exchange_weak(OWNED, FREE, Release, Relaxed)
                .is_err()
            {
                std::hint::spin_loop();
            }
        }
    }
}

/// The redirect target, once [`redirect_all`] was called.
#[inline]
fn redirect_target() -> Option<&'static (dyn GlobalAlloc + Sync)> {
    if REDIRECTED.load(SeqCst) {
        REDIRECT_TARGET.get().copied()
    } else {
        None
    }
}

/// The slot of a thread that has none yet: claims one on the first call,
/// `None` (count on the overflow slot) afterwards, when all are taken, or
/// once every call is redirected.
#[cold]
#[inline(never)]
fn claim_slot() -> Option<&'static Slot> {
    if !MAY_CLAIM
        .try_with(|may_claim| may_claim.replace(false))
        .unwrap_or(false)
    {
        return None;
    }
    // MAY_CLAIM is false from here: anything allocated while registering the
    // releaser below goes to the overflow slot instead of recursing.
    let own = OWN_SLOT
        .try_with(|own| ptr::from_ref(own).cast_mut())
        .ok()?;
    for (index, slot) in SLOTS.iter().enumerate() {
        if slot.state.load(Relaxed) != FREE
            || slot
                .state
                .compare_exchange(FREE, BUSY, SeqCst, Relaxed)
                .is_err()
        {
            continue;
        }
        SLOTS_IN_USE.fetch_max(index + 1, SeqCst);
        // Registering the thread-exit destructor; if the thread is already
        // being torn down this fails and the slot is released at once.
        if SLOT_RELEASER
            .try_with(|releaser| releaser.slot.set(slot))
            .is_err()
        {
            slot.state.store(FREE, Release);
            return None;
        }
        slot.owner_pointer.store(own, Relaxed);
        let slot_pointer = ptr::from_ref(slot).cast_mut();
        // SAFETY: `own` is this thread's OWN_SLOT, alive for the thread's life.
        unsafe { (*own).store(slot_pointer, Relaxed) };
        slot.state.store(OWNED, SeqCst);
        // A redirect that started before the slot was OWNED may not have seen
        // it; it set REDIRECTED first, so this load sees that.
        if REDIRECTED.load(SeqCst) {
            // SAFETY: as above.
            unsafe { (*own).store(ptr::null_mut(), Relaxed) };
            return None;
        }
        return Some(slot);
    }
    None
}

/// This thread's slot once it has one: a single load and a null check, the
/// only work on the hot path besides the counters themselves.
#[inline(always)]
fn own_slot() -> Option<&'static Slot> {
    let own = OWN_SLOT
        .try_with(|own| own.load(Relaxed))
        .unwrap_or(ptr::null_mut());
    // SAFETY: OWN_SLOT is null or points into the static SLOTS.
    unsafe { own.as_ref() }
}

#[inline(always)]
fn bump(counter: &AtomicU64, amount: u64) {
    // Only the owning thread writes this counter: a plain load/store pair.
    counter.store(counter.load(Relaxed).wrapping_add(amount), Relaxed);
}

#[cold]
fn publish_net(delta: i64) {
    let live = FLUSHED_LIVE_BYTES.fetch_add(delta, Relaxed) + delta;
    if delta > 0 {
        PEAK_LIVE_BYTES.fetch_max(live, Relaxed);
        if live > LIVE_BYTES_LIMIT.load(Relaxed) {
            limit_exceeded(live);
        }
    }
}

/// The live bytes passed the limit: the first thread to see it runs the hook.
#[cold]
#[inline(never)]
fn limit_exceeded(live_bytes: i64) {
    if LIMIT_EXCEEDED.swap(true, Relaxed) {
        return;
    }
    if let Some(hook) = LIMIT_HOOK.get() {
        hook(live_bytes);
    }
}

/// Calls `on_exceeded` with the live bytes once they exceed `limit_bytes`
/// (to within [`PEAK_GRANULARITY_BYTES`] per running thread). It runs once,
/// from inside the allocator, on the thread whose allocation passed the
/// limit: it may allocate (the counters are consistent there and the inner
/// allocator is not in a call), but must not take locks the interrupted code
/// may hold. Only the first hook set in a process is kept.
pub(crate) fn set_live_bytes_limit(limit_bytes: u64, on_exceeded: fn(i64)) {
    let _ = LIMIT_HOOK.set(on_exceeded);
    LIVE_BYTES_LIMIT.store(i64::try_from(limit_bytes).unwrap_or(i64::MAX), Relaxed);
}

/// Publishes a slot's unpublished net bytes and gives it its full room back.
/// Only its owner thread calls this.
#[cold]
#[inline(never)]
fn publish_unpublished(slot: &Slot) {
    let net = slot
        .allocated_bytes
        .load(Relaxed)
        .wrapping_sub(slot.freed_bytes.load(Relaxed));
    // SAFETY: only the owner publishes (see the callers).
    let unpublished = unsafe {
        let unpublished = net.wrapping_sub(slot.published_bytes.get());
        slot.published_bytes.set(net);
        slot.alloc_room.set(FULL_ROOM_BYTES);
        slot.free_room.set(FULL_ROOM_BYTES);
        unpublished as i64
    };
    if unpublished != 0 {
        publish_net(unpublished);
    }
}

/// Counts an allocation; true when the slot's net must be published.
#[inline(always)]
#[must_use]
fn count_alloc(slot: &Slot, bytes: usize) -> bool {
    bump(&slot.allocated_bytes, bytes as u64);
    bump(&slot.allocated_blocks, 1);
    // SAFETY: the hot path runs on the slot's owner thread.
    unsafe {
        let publish = slot.alloc_room.take(bytes as u64);
        slot.free_room.give(bytes as u64);
        publish
    }
}

/// Takes back an allocation the inner allocator refused. The thread counts
/// where it counted the allocation: in its slot, or, if [`redirect_all`]
/// cleared that meanwhile, on the overflow slot (the sums are the same).
#[cold]
#[inline(never)]
fn uncount_alloc(bytes: usize) {
    match own_slot() {
        Some(slot) => {
            bump(&slot.allocated_bytes, (bytes as u64).wrapping_neg());
            bump(&slot.allocated_blocks, u64::MAX);
            // SAFETY: `own_slot` is this thread's own.
            unsafe {
                slot.alloc_room.give(bytes as u64);
                slot.free_room
                    .set(slot.free_room.get().wrapping_sub(bytes as u64));
            }
        }
        None => {
            OVERFLOW.allocated_bytes.fetch_sub(bytes as u64, Relaxed);
            OVERFLOW.allocated_blocks.fetch_sub(1, Relaxed);
            publish_net(-(bytes as i64));
        }
    }
}

/// Counts a free; true when the slot's net must be published.
#[inline(always)]
#[must_use]
fn count_free(slot: &Slot, bytes: usize) -> bool {
    bump(&slot.freed_bytes, bytes as u64);
    bump(&slot.freed_blocks, 1);
    // SAFETY: the hot path runs on the slot's owner thread.
    unsafe {
        let publish = slot.free_room.take(bytes as u64);
        slot.alloc_room.give(bytes as u64);
        publish
    }
}

/// Counts a reallocation; true when the slot's net must be published.
#[inline(always)]
#[must_use]
fn count_realloc(slot: &Slot, old_bytes: usize, new_bytes: usize) -> bool {
    // Both directions, one of them by zero: whether a reallocation grows is as
    // random as the program, and a mispredicted branch costs more than a store.
    let grown = new_bytes.saturating_sub(old_bytes) as u64;
    let shrunk = old_bytes.saturating_sub(new_bytes) as u64;
    bump(&slot.allocated_bytes, grown);
    bump(&slot.freed_bytes, shrunk);
    bump(&slot.reallocs, 1);
    // SAFETY: the hot path runs on the slot's owner thread.
    unsafe {
        let publish = slot.alloc_room.take(grown) | slot.free_room.take(shrunk);
        slot.alloc_room.give(shrunk);
        slot.free_room.give(grown);
        publish
    }
}

/// Takes back a reallocation the inner allocator refused (the old block is
/// then still live, unchanged), where [`uncount_alloc`] would.
#[cold]
#[inline(never)]
fn uncount_realloc(old_bytes: usize, new_bytes: usize) {
    let grown = new_bytes.saturating_sub(old_bytes) as u64;
    let shrunk = old_bytes.saturating_sub(new_bytes) as u64;
    let delta = (new_bytes as i64).wrapping_sub(old_bytes as i64);
    match own_slot() {
        Some(slot) => {
            bump(&slot.allocated_bytes, grown.wrapping_neg());
            bump(&slot.freed_bytes, shrunk.wrapping_neg());
            bump(&slot.reallocs, u64::MAX);
            // SAFETY: `own_slot` is this thread's own.
            unsafe {
                slot.alloc_room.give(grown);
                slot.alloc_room
                    .set(slot.alloc_room.get().wrapping_sub(shrunk));
                slot.free_room.give(shrunk);
                slot.free_room.set(slot.free_room.get().wrapping_sub(grown));
            }
        }
        None => {
            OVERFLOW.allocated_bytes.fetch_sub(grown, Relaxed);
            OVERFLOW.freed_bytes.fetch_sub(shrunk, Relaxed);
            OVERFLOW.reallocs.fetch_sub(1, Relaxed);
            publish_net(delta.wrapping_neg());
        }
    }
}

/// An allocation, plain or zeroed, forwarded to `allocator`.
///
/// # Safety
/// The contract of [`GlobalAlloc::alloc`].
#[inline(always)]
unsafe fn forward_alloc<A: GlobalAlloc + ?Sized>(
    allocator: &A,
    layout: Layout,
    zeroed: bool,
) -> *mut u8 {
    if zeroed {
        // SAFETY: forwarded contract of GlobalAlloc::alloc_zeroed.
        unsafe { allocator.alloc_zeroed(layout) }
    } else {
        // SAFETY: forwarded contract of GlobalAlloc::alloc.
        unsafe { allocator.alloc(layout) }
    }
}

// The rare paths, out of line so that the hot path stays a few instructions:
// a thread without a slot of its own (its first call; threads past
// SLOT_COUNT or exiting, which share OVERFLOW with atomic read-modify-writes
// and publish at once; every thread once the calls are redirected), and a
// slot whose net must be published.

/// An allocation whose slot's net must be published: counted already.
///
/// # Safety
/// The contract of [`GlobalAlloc::alloc`].
#[cold]
#[inline(never)]
unsafe fn alloc_publishing<A: GlobalAlloc>(
    inner: &A,
    slot: &Slot,
    layout: Layout,
    zeroed: bool,
) -> *mut u8 {
    // SAFETY: forwarded contract.
    let block = unsafe { forward_alloc(inner, layout, zeroed) };
    if block.is_null() {
        uncount_alloc(layout.size());
    }
    publish_unpublished(slot);
    block
}

/// An allocation on a thread without a slot.
///
/// # Safety
/// The contract of [`GlobalAlloc::alloc`].
#[cold]
#[inline(never)]
unsafe fn alloc_without_slot<A: GlobalAlloc>(inner: &A, layout: Layout, zeroed: bool) -> *mut u8 {
    let bytes = layout.size();
    if let Some(target) = redirect_target() {
        // SAFETY: forwarded contract; `redirect_all`'s caller vouched for the target.
        return unsafe { alloc_on_overflow(target, layout, zeroed) };
    }
    match claim_slot() {
        Some(slot) => {
            if count_alloc(slot, bytes) {
                // SAFETY: forwarded contract.
                return unsafe { alloc_publishing(inner, slot, layout, zeroed) };
            }
            // SAFETY: forwarded contract.
            let block = unsafe { forward_alloc(inner, layout, zeroed) };
            if block.is_null() {
                uncount_alloc(bytes);
            }
            block
        }
        // SAFETY: forwarded contract.
        None => unsafe { alloc_on_overflow(inner, layout, zeroed) },
    }
}

/// An allocation counted on the overflow slot and published at once.
///
/// # Safety
/// The contract of [`GlobalAlloc::alloc`].
unsafe fn alloc_on_overflow<A: GlobalAlloc + ?Sized>(
    allocator: &A,
    layout: Layout,
    zeroed: bool,
) -> *mut u8 {
    let bytes = layout.size();
    OVERFLOW.allocated_bytes.fetch_add(bytes as u64, Relaxed);
    OVERFLOW.allocated_blocks.fetch_add(1, Relaxed);
    publish_net(bytes as i64);
    // SAFETY: forwarded contract.
    let block = unsafe { forward_alloc(allocator, layout, zeroed) };
    if block.is_null() {
        OVERFLOW.allocated_bytes.fetch_sub(bytes as u64, Relaxed);
        OVERFLOW.allocated_blocks.fetch_sub(1, Relaxed);
        publish_net(-(bytes as i64));
    }
    block
}

/// A free whose slot's net must be published: counted already.
///
/// # Safety
/// The contract of [`GlobalAlloc::dealloc`].
#[cold]
#[inline(never)]
unsafe fn dealloc_publishing<A: GlobalAlloc>(
    block: *mut u8,
    layout: Layout,
    slot: &Slot,
    inner: &A,
) {
    publish_unpublished(slot);
    // SAFETY: forwarded contract.
    unsafe { inner.dealloc(block, layout) }
}

/// A free on a thread without a slot.
///
/// # Safety
/// The contract of [`GlobalAlloc::dealloc`].
#[cold]
#[inline(never)]
unsafe fn dealloc_without_slot<A: GlobalAlloc>(block: *mut u8, layout: Layout, inner: &A) {
    let bytes = layout.size();
    if let Some(target) = redirect_target() {
        count_free_on_overflow(bytes);
        // SAFETY: forwarded contract; `redirect_all`'s caller vouched for the target.
        return unsafe { target.dealloc(block, layout) };
    }
    match claim_slot() {
        Some(slot) => {
            if count_free(slot, bytes) {
                publish_unpublished(slot);
            }
        }
        None => count_free_on_overflow(bytes),
    }
    // SAFETY: forwarded contract.
    unsafe { inner.dealloc(block, layout) }
}

fn count_free_on_overflow(bytes: usize) {
    OVERFLOW.freed_bytes.fetch_add(bytes as u64, Relaxed);
    OVERFLOW.freed_blocks.fetch_add(1, Relaxed);
    publish_net(-(bytes as i64));
}

/// A reallocation whose slot's net must be published: counted already.
///
/// # Safety
/// The contract of [`GlobalAlloc::realloc`].
#[cold]
#[inline(never)]
unsafe fn realloc_publishing<A: GlobalAlloc>(
    inner: &A,
    slot: &Slot,
    block: *mut u8,
    layout: Layout,
    new_size: usize,
) -> *mut u8 {
    // SAFETY: forwarded contract.
    let moved = unsafe { inner.realloc(block, layout, new_size) };
    if moved.is_null() {
        uncount_realloc(layout.size(), new_size);
    }
    publish_unpublished(slot);
    moved
}

/// A reallocation on a thread without a slot.
///
/// # Safety
/// The contract of [`GlobalAlloc::realloc`].
#[cold]
#[inline(never)]
unsafe fn realloc_without_slot<A: GlobalAlloc>(
    inner: &A,
    block: *mut u8,
    layout: Layout,
    new_size: usize,
) -> *mut u8 {
    if let Some(target) = redirect_target() {
        // SAFETY: forwarded contract; `redirect_all`'s caller vouched for the target.
        return unsafe { realloc_on_overflow(target, block, layout, new_size) };
    }
    match claim_slot() {
        Some(slot) => {
            if count_realloc(slot, layout.size(), new_size) {
                // SAFETY: forwarded contract.
                return unsafe { realloc_publishing(inner, slot, block, layout, new_size) };
            }
            // SAFETY: forwarded contract.
            let moved = unsafe { inner.realloc(block, layout, new_size) };
            if moved.is_null() {
                uncount_realloc(layout.size(), new_size);
            }
            moved
        }
        // SAFETY: forwarded contract.
        None => unsafe { realloc_on_overflow(inner, block, layout, new_size) },
    }
}

/// A reallocation counted on the overflow slot and published at once.
///
/// # Safety
/// The contract of [`GlobalAlloc::realloc`].
unsafe fn realloc_on_overflow<A: GlobalAlloc + ?Sized>(
    allocator: &A,
    block: *mut u8,
    layout: Layout,
    new_size: usize,
) -> *mut u8 {
    let old_bytes = layout.size();
    let grown = new_size.saturating_sub(old_bytes) as u64;
    let shrunk = old_bytes.saturating_sub(new_size) as u64;
    let delta = (new_size as i64).wrapping_sub(old_bytes as i64);
    OVERFLOW.allocated_bytes.fetch_add(grown, Relaxed);
    OVERFLOW.freed_bytes.fetch_add(shrunk, Relaxed);
    OVERFLOW.reallocs.fetch_add(1, Relaxed);
    publish_net(delta);
    // SAFETY: forwarded contract.
    let moved = unsafe { allocator.realloc(block, layout, new_size) };
    if moved.is_null() {
        OVERFLOW.allocated_bytes.fetch_sub(grown, Relaxed);
        OVERFLOW.freed_bytes.fetch_sub(shrunk, Relaxed);
        OVERFLOW.reallocs.fetch_sub(1, Relaxed);
        publish_net(delta.wrapping_neg());
    }
    moved
}

/// Sends every later call of every [`CountingAlloc`] in the process
/// (allocations, zeroed allocations, reallocations and frees, on every
/// thread) to `to` instead of the wrapped allocator, still counted. For the
/// attribution run of a failing test, which profiles its child process with
/// an allocator that records call sites.
///
/// Threads that hold a slot have their slot pointer cleared, so their next
/// call takes the slot-less path, which checks for the redirect: the hot
/// path gains no instruction. A call already under way when this runs may
/// still finish in the wrapped allocator; every call that happens after this
/// returns (in the happens-before sense) goes to `to`. The first target
/// stays for the life of the process: later calls change nothing.
///
/// # Safety
/// Blocks cross between the two allocators both ways: blocks the wrapped
/// allocator handed out before the call are freed or reallocated by `to`,
/// and a call that was under way may hand `to`'s blocks to the wrapped
/// allocator. So this is only sound when every `CountingAlloc` of the process
/// wraps the system allocator ([`System`], or
/// [`DirectSystem`](crate::DirectSystem) as `main!()` installs it: the same
/// glibc heap) and `to` allocates and frees through `System` too (as
/// `dhat::Alloc` does). With the native-heap counter linked in, `to`'s calls
/// reach it through `malloc`: the redirected blocks then count as native,
/// and a block allocated before the redirect and freed after it as a native
/// free of a block never counted.
// The attribution run calls it (`attribution/child.rs`); without that feature
// only the unit test below does.
#[cfg_attr(not(feature = "attribution"), allow(dead_code))]
pub(crate) unsafe fn redirect_all(to: &'static (dyn GlobalAlloc + Sync)) {
    let _ = REDIRECT_TARGET.set(to);
    REDIRECTED.store(true, SeqCst);
    let in_use = SLOTS_IN_USE.load(SeqCst).min(SLOT_COUNT);
    for slot in &SLOTS[..in_use] {
        loop {
            match slot
                .state
                .compare_exchange_weak(OWNED, BUSY, SeqCst, SeqCst)
            {
                Ok(_) => {
                    let owner = slot.owner_pointer.load(Relaxed);
                    // SAFETY: the owner set this to its OWN_SLOT before it
                    // made the slot OWNED, and while the slot is BUSY its
                    // releaser waits, so the thread (and its OWN_SLOT) is alive.
                    unsafe { (*owner).store(ptr::null_mut(), Release) };
                    slot.state.store(OWNED, SeqCst);
                    break;
                }
                Err(FREE) => break,
                // BUSY: being claimed (the claimer then sees REDIRECTED) or
                // released, or a spurious failure: look again.
                Err(_) => std::hint::spin_loop(),
            }
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

// SAFETY: every method delegates to the inner allocator (or, after
// `redirect_all`, to its target, under that function's contract) with the
// caller's arguments unchanged; counting only touches atomics and never
// allocates.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAlloc<A> {
    // Each call is counted before it is forwarded. What is rare branches off
    // before the call: a thread without a slot, or a net that must be
    // published; after an allocation only a refusal (null) does, and a free
    // ends in a tail call.

    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(slot) = own_slot() else {
            // SAFETY: forwarded contract.
            return unsafe { alloc_without_slot(&self.inner, layout, false) };
        };
        if count_alloc(slot, layout.size()) {
            // SAFETY: forwarded contract.
            return unsafe { alloc_publishing(&self.inner, slot, layout, false) };
        }
        // SAFETY: forwarded contract of GlobalAlloc::alloc.
        let block = unsafe { self.inner.alloc(layout) };
        if block.is_null() {
            uncount_alloc(layout.size());
        }
        block
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let Some(slot) = own_slot() else {
            // SAFETY: forwarded contract.
            return unsafe { alloc_without_slot(&self.inner, layout, true) };
        };
        if count_alloc(slot, layout.size()) {
            // SAFETY: forwarded contract.
            return unsafe { alloc_publishing(&self.inner, slot, layout, true) };
        }
        // SAFETY: forwarded contract of GlobalAlloc::alloc_zeroed.
        let block = unsafe { self.inner.alloc_zeroed(layout) };
        if block.is_null() {
            uncount_alloc(layout.size());
        }
        block
    }

    #[inline]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some(slot) = own_slot() else {
            // SAFETY: forwarded contract.
            return unsafe { dealloc_without_slot(block, layout, &self.inner) };
        };
        if count_free(slot, layout.size()) {
            // SAFETY: forwarded contract.
            return unsafe { dealloc_publishing(block, layout, slot, &self.inner) };
        }
        // SAFETY: forwarded contract of GlobalAlloc::dealloc.
        unsafe { self.inner.dealloc(block, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some(slot) = own_slot() else {
            // SAFETY: forwarded contract.
            return unsafe { realloc_without_slot(&self.inner, block, layout, new_size) };
        };
        if count_realloc(slot, layout.size(), new_size) {
            // SAFETY: forwarded contract.
            return unsafe { realloc_publishing(&self.inner, slot, block, layout, new_size) };
        }
        // SAFETY: forwarded contract of GlobalAlloc::realloc.
        let moved = unsafe { self.inner.realloc(block, layout, new_size) };
        if moved.is_null() {
            uncount_realloc(layout.size(), new_size);
        }
        moved
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
        let in_use = SLOTS_IN_USE.load(Relaxed).min(SLOT_COUNT);
        let slots = || SLOTS[..in_use].iter().chain(std::iter::once(&OVERFLOW));
        // Frees are summed before allocations: whatever other threads do
        // between the two passes can only make this reading too high (a
        // transient spike, which the verdict ignores), never too low (a dip
        // would pull the retained floor down and hide growth).
        let mut freed_bytes = 0u64;
        let mut freed_blocks = 0u64;
        for slot in slots() {
            freed_bytes = freed_bytes.wrapping_add(slot.freed_bytes.load(Relaxed));
            freed_blocks = freed_blocks.wrapping_add(slot.freed_blocks.load(Relaxed));
        }
        let mut allocated_bytes = 0u64;
        let mut allocated_blocks = 0u64;
        let mut reallocs = 0u64;
        for slot in slots() {
            allocated_bytes = allocated_bytes.wrapping_add(slot.allocated_bytes.load(Relaxed));
            allocated_blocks = allocated_blocks.wrapping_add(slot.allocated_blocks.load(Relaxed));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Refuses every request, as an exhausted allocator or a failed
    /// `try_reserve` of an absurd size does.
    struct Refusing;

    // SAFETY: never hands out memory, so there is nothing to misuse.
    unsafe impl GlobalAlloc for Refusing {
        unsafe fn alloc(&self, _layout: Layout) -> *mut u8 {
            std::ptr::null_mut()
        }

        unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}

        unsafe fn realloc(&self, _ptr: *mut u8, _layout: Layout, _new_size: usize) -> *mut u8 {
            std::ptr::null_mut()
        }
    }

    #[test]
    fn refused_requests_leave_no_count_behind() {
        // Runs on a thread of its own so that it counts in a slot nobody else
        // uses: the unit-test binary does not install CountingAlloc globally,
        // so only direct calls like these move the counters.
        std::thread::spawn(|| {
            let refusing = CountingAlloc::new(Refusing);
            let layout = Layout::from_size_align(4096, 8).expect("layout");
            let before = HeapStats::now();
            // SAFETY: Refusing returns null for every request; nothing is freed.
            unsafe {
                assert!(refusing.alloc(layout).is_null());
                assert!(refusing.alloc_zeroed(layout).is_null());
                let dangling = std::ptr::NonNull::<u64>::dangling().as_ptr().cast::<u8>();
                assert!(refusing.realloc(dangling, layout, 1 << 20).is_null());
                assert!(refusing.realloc(dangling, layout, 16).is_null());
            }
            assert_eq!(HeapStats::now(), before);
        })
        .join()
        .expect("join");
    }

    /// Forwards to the system allocator and counts the calls, by kind.
    struct CallCounter {
        allocs: AtomicUsize,
        zeroed_allocs: AtomicUsize,
        reallocs: AtomicUsize,
        deallocs: AtomicUsize,
    }

    impl CallCounter {
        fn calls(&self) -> [usize; 4] {
            [
                self.allocs.load(SeqCst),
                self.zeroed_allocs.load(SeqCst),
                self.reallocs.load(SeqCst),
                self.deallocs.load(SeqCst),
            ]
        }
    }

    // SAFETY: every call is forwarded to System unchanged.
    unsafe impl GlobalAlloc for CallCounter {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            self.allocs.fetch_add(1, SeqCst);
            // SAFETY: forwarded contract.
            unsafe { System.alloc(layout) }
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            self.zeroed_allocs.fetch_add(1, SeqCst);
            // SAFETY: forwarded contract.
            unsafe { System.alloc_zeroed(layout) }
        }

        unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            self.reallocs.fetch_add(1, SeqCst);
            // SAFETY: forwarded contract.
            unsafe { System.realloc(block, layout, new_size) }
        }

        unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
            self.deallocs.fetch_add(1, SeqCst);
            // SAFETY: forwarded contract.
            unsafe { System.dealloc(block, layout) }
        }
    }

    static REDIRECT_TARGET_FOR_TEST: CallCounter = CallCounter {
        allocs: AtomicUsize::new(0),
        zeroed_allocs: AtomicUsize::new(0),
        reallocs: AtomicUsize::new(0),
        deallocs: AtomicUsize::new(0),
    };
    static COUNTING: CountingAlloc = CountingAlloc::system();
    /// Set in the child process that runs the redirect for real.
    const REDIRECT_CHILD_ENV: &str = "LEAKTEST_REDIRECT_TEST_CHILD";
    const REDIRECT_TEST: &str = "alloc::tests::redirect_all_sends_every_later_call_to_the_target";

    #[test]
    fn redirect_all_sends_every_later_call_to_the_target() {
        if std::env::var_os(REDIRECT_CHILD_ENV).is_some() {
            redirected_calls_reach_the_target();
            return;
        }
        // A redirect is for the life of the process and concerns every
        // CountingAlloc in it (the refusal test's too), so it runs in a
        // process of its own: this test binary, running only this test.
        let binary = std::env::current_exe().expect("this test binary");
        let output = std::process::Command::new(binary)
            .args([
                REDIRECT_TEST,
                "--exact",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(REDIRECT_CHILD_ENV, "1")
            .output()
            .expect("run the redirect test in a child process");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Runs in the child process. The test binary's global allocator is
    /// System, so only the direct calls of [`COUNTING`] below move the
    /// heap counters and reach the target.
    fn redirected_calls_reach_the_target() {
        let layout = Layout::from_size_align(64, 8).expect("layout");
        let grown = Layout::from_size_align(128, 8).expect("layout");
        fn alloc_and_free() {
            let layout = Layout::from_size_align(32, 8).expect("layout");
            // SAFETY: a fresh block of `layout`, freed with it.
            unsafe {
                let block = COUNTING.alloc(layout);
                assert!(!block.is_null());
                COUNTING.dealloc(block, layout);
            }
        }

        // A thread that holds a slot before the redirect and calls after it.
        let (claimed_tx, claimed_rx) = std::sync::mpsc::channel::<()>();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            alloc_and_free();
            claimed_tx.send(()).expect("send");
            go_rx.recv().expect("recv");
            alloc_and_free();
        });
        claimed_rx.recv().expect("the holder claimed a slot");

        // SAFETY: a fresh block, reallocated and freed below.
        let old_block = unsafe { COUNTING.alloc(layout) };
        assert!(!old_block.is_null());
        let before = HeapStats::now();
        assert_eq!(REDIRECT_TARGET_FOR_TEST.calls(), [0, 0, 0, 0]);

        // SAFETY: COUNTING wraps System and the target forwards to System.
        unsafe { redirect_all(&REDIRECT_TARGET_FOR_TEST) };

        // This thread, every kind of call; a block of the wrapped allocator
        // is reallocated and freed by the target.
        // SAFETY: fresh blocks of their layouts, each freed once with it.
        unsafe {
            let plain = COUNTING.alloc(layout);
            let zeroed = COUNTING.alloc_zeroed(layout);
            assert!(!plain.is_null() && !zeroed.is_null());
            assert_eq!(*zeroed, 0);
            let moved = COUNTING.realloc(old_block, layout, grown.size());
            assert!(!moved.is_null());
            assert_eq!(REDIRECT_TARGET_FOR_TEST.calls(), [1, 1, 1, 0]);
            // Still counted: two blocks and the growth are live.
            let during = HeapStats::now();
            assert_eq!(during.live_blocks - before.live_blocks, 2);
            assert_eq!(during.live_bytes - before.live_bytes, 64 + 64 + 64);
            COUNTING.dealloc(plain, layout);
            COUNTING.dealloc(zeroed, layout);
            COUNTING.dealloc(moved, grown);
        }
        assert_eq!(REDIRECT_TARGET_FOR_TEST.calls(), [1, 1, 1, 3]);
        let after = HeapStats::now();
        assert_eq!(after.live_blocks - before.live_blocks, -1);
        assert_eq!(after.live_bytes - before.live_bytes, -64);

        // The thread that had its slot before the redirect.
        go_tx.send(()).expect("send");
        holder.join().expect("join the holder");
        assert_eq!(REDIRECT_TARGET_FOR_TEST.calls(), [2, 1, 1, 4]);

        // A thread started after the redirect.
        std::thread::spawn(alloc_and_free).join().expect("join");
        assert_eq!(REDIRECT_TARGET_FOR_TEST.calls(), [3, 1, 1, 5]);
        assert_eq!(HeapStats::now().live_bytes - before.live_bytes, -64);
    }
}
