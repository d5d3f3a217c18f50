//! Experiment.
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
#[repr(align(128))]
struct Slot {
    a: AtomicU64,
    f: AtomicU64,
    ab: AtomicU64,
    fb: AtomicU64,
    un: AtomicI64,
}
static S: Slot = Slot {
    a: AtomicU64::new(0),
    f: AtomicU64::new(0),
    ab: AtomicU64::new(0),
    fb: AtomicU64::new(0),
    un: AtomicI64::new(0),
};
static G: AtomicI64 = AtomicI64::new(0);
thread_local! { static P: Cell<*const Slot> = const { Cell::new(std::ptr::null()) }; }
#[inline(always)]
fn slot() -> &'static Slot {
    let p = P.with(Cell::get);
    if p.is_null() {
        claim()
    } else {
        unsafe { &*p }
    }
}
#[cold]
#[inline(never)]
fn claim() -> &'static Slot {
    P.with(|c| c.set(&S));
    &S
}
#[inline(always)]
fn bump(c: &AtomicU64, n: u64) {
    c.store(c.load(Relaxed).wrapping_add(n), Relaxed)
}
const MODE: u8 = match option_env!("EXP_MODE") {
    Some(s) => s.as_bytes()[0] - b'0',
    None => 0,
};
#[cold]
#[inline(never)]
fn publish(u: i64) {
    G.fetch_add(u, Relaxed);
}
#[inline(always)]
fn net(s: &Slot, d: i64) {
    let u = s.un.load(Relaxed).wrapping_add(d);
    if MODE & 1 == 1 {
        if (u.wrapping_add(65535) as u64) >= 131071 {
            s.un.store(0, Relaxed);
            publish(u);
        } else {
            s.un.store(u, Relaxed)
        }
    } else {
        s.un.store(u, Relaxed)
    }
}
#[cold]
#[inline(never)]
fn undo(n: usize) {
    let s = slot();
    bump(&s.a, (n as u64).wrapping_neg());
}
struct X;
unsafe impl GlobalAlloc for X {
    #[inline]
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let s = slot();
        bump(&s.a, l.size() as u64);
        bump(&s.ab, 1);
        net(s, l.size() as i64);
        let p = unsafe { System.alloc(l) };
        if MODE & 2 == 2 && p.is_null() {
            undo(l.size())
        }
        p
    }
    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        let s = slot();
        bump(&s.f, l.size() as u64);
        bump(&s.fb, 1);
        net(s, -(l.size() as i64));
        unsafe { System.dealloc(p, l) }
    }
    #[inline]
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let s = slot();
        bump(&s.a, n as u64);
        bump(&s.f, l.size() as u64);
        net(s, n as i64 - l.size() as i64);
        let q = unsafe { System.realloc(p, l, n) };
        if MODE & 2 == 2 && q.is_null() {
            undo(n)
        }
        q
    }
}
#[global_allocator]
static ALLOCATOR: X = X;
leaktest_benches::allocator_benches!("experiment");
