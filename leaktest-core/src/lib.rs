//! # leaktest: memory and resource leaks as ordinary failing tests
//!
//! A leak test runs its body many times, in a process of its own, under a
//! counting global allocator, a count of the bytes C code holds through
//! malloc (the [`native_heap`]), and a census of handles (file descriptors,
//! threads, child processes, tokio tasks). After each iteration every counter
//! is sampled; the series is then judged: a resource leaks when what it keeps
//! (its *retained floor*, the samples never freed again) still rises in the
//! second half of the run by more than the noise seen there, and keeps doing
//! so when the run is extended to ten times its iterations. Lazy one-time
//! initialisation, caches that fill up and plateau (even caches several times
//! larger than the run), pools and queues whose size wanders at random,
//! reused buffers and memory freed a moment later by another thread do not
//! leak; one block every tenth iteration, or one byte every iteration, does.
//!
//! ```ignore
//! // tests/leaks.rs, with `[[test]] name = "leaks" harness = false` in Cargo.toml
//! use leaktest_core::leak_test;
//!
//! #[leak_test(iterations = 100)]
//! fn parse_does_not_leak() {
//!     my_crate::parse("x").unwrap();
//! }
//!
//! #[leak_test(iterations = 50, should_leak)] // passes only if a leak is found
//! fn known_leak_is_detected() {
//!     Box::leak(Box::new([0u8; 64]));
//! }
//!
//! leaktest_core::main!();
//! ```
//!
//! `cargo test` runs them like any test; a leak fails with a report such as
//! `heap: +64 B/iter (+2.8 KiB over 45 iters) ▁▂▃▄▅▆▇█`.
//!
//! ## The verdict rule
//! For each resource, with `n` iterations of which the first `warmup` are not judged:
//! 1. After the last iteration the process *settles*: counters are re-read
//!    every 5 ms until they stop falling (at most `settle`, 200 ms by default),
//!    and the lowest reading of each counter replaces the last sample. A counter
//!    still above its level at the end of the warm-up gets the whole window to
//!    come back; a sync test whose process has a single thread skips the wait
//!    (nothing else can free anything).
//! 2. The retained floor at iteration `i` is the minimum of the samples from
//!    `i` to the end: what was still held and never released afterwards.
//! 3. Only the second half of the run (iterations `n/2..n`) decides. Its noise
//!    is how far its samples rose above the floor (transient memory), or how
//!    far the counters moved during the settle window, whichever is larger;
//!    a bump given back earlier does not count.
//! 4. A floor that does not rise there by more than the noise does not leak.
//!    One that does may be a leak, or a bounded structure still filling up, or
//!    a random fluctuation: the run goes on in the same process, doubling up to
//!    `10 n` iterations, and is judged again at each length `L`, with the noise
//!    allowed `L / n` times (the same rate per iteration as at `n`, which a
//!    fluctuation's reach, growing like `√L`, does not keep up with). Growth
//!    that stops, or stays within that noise, does not leak; growth still going
//!    on at `10 n` (or when the timeout, or half of a resource's limit, stops
//!    the run earlier) does. A quick body goes on past `10 n`, up to `100 n`,
//!    while the whole run stays within 1.5 s and no descriptor, thread or
//!    process count grows. The record says how far the run was extended, and,
//!    when fewer iterations than ran would do, which `iterations` would avoid
//!    the extension.
//! 5. Before growth becomes a leak, a run shorter than `confirm` (2 s by
//!    default) is watched until that long after its first iteration, with its
//!    runtime and threads running; growth released meanwhile (a flusher, a
//!    timer) is not a leak.
//!
//! See [`analysis`] for the pure functions behind it.
//!
//! ## Where the heap grows
//! When a test fails because its heap leaks, the harness runs it once more,
//! in a process of its own under dhat's heap profiler, and the failure lists
//! the allocation sites whose live memory grows with the iterations (lazy
//! initialisation and caches that filled up are left out), ranked by bytes
//! per iteration, with the file and line of the test's own frames. See
//! [`attribution`].
//!
//! ## Budgets
//! Beyond the verdict, a test can be held to budgets: its peak heap above
//! the start (`max_peak = "24 MiB"`), how much a leaking resource may grow
//! per iteration and still pass (`max_growth = "64 B"`, `max_fds_growth = 1`,
//! ...; 0 by default), and what one iteration allocates
//! (`max_alloc_per_iter = "4 KiB"`, `max_allocs_per_iter = 12`). They come
//! from the attribute, `Leaktest.toml`, the environment or `cargo leaktest
//! --budget` ([`config`]), and are held against each record by [`budget`].

#![warn(missing_docs)]

// The API, by who it is for:
// - users writing leak tests: the attribute, `main!`, `CountingAlloc`,
//   `HeapStats` and `DirectSystem` (re-exported here), the `alloc` module for
//   custom allocators, `native_heap` for the C heap;
// - tools that read or produce results (`cargo leaktest`, CI scripts): the
//   record in `model`, the verdict rule in `analysis`, the text of `render`
//   and `summary`, the configuration layers in `config` and budgets in
//   `budget`, and the runner side of the protocol in `protocol` and
//   `isolation`, the attribution run of a heap leak in `attribution` (the
//   handle `census` and `handle_names` too, for tools that count or name
//   handles);
// - the macro expansion only: `__private`, hidden, no stability promise.
//
// Child side (runs in the test's own process): registry, child, driver,
// runtime, setup, sampling, alloc, census, handle_names, native_heap. Parent
// side (the harness under `cargo test`, and `cargo leaktest`): harness,
// isolation, summary, render.
// Shared by both: model, protocol, analysis; attribution has a side in each
// (the parent starts the attribution run, the child profiles its windows).
pub mod alloc;
pub mod analysis;
pub mod attribution;
pub mod budget;
pub mod census;
mod child;
pub mod config;
mod driver;
pub mod handle_names;
mod harness;
pub mod isolation;
#[cfg(target_os = "linux")]
mod keeper;
pub mod model;
pub mod native_heap;
mod panic_capture;
mod process;
pub mod protocol;
mod registry;
pub mod render;
#[cfg(feature = "tokio")]
mod runtime;
mod sampling;
mod series;
#[cfg(feature = "tokio")]
mod setup;
pub mod summary;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use alloc::{CountingAlloc, HeapStats};
pub use leaktest_macros::leak_test;
pub use model::{Outcome, Resource, TestRecord};
pub use native_heap::DirectSystem;

/// Ends a leak-test file: installs the counting global allocator and runs every
/// `#[leak_test]` of the binary with libtest's command line.
///
/// - `main!()` counts allocations of the system allocator (reached through
///   [`DirectSystem`], so that they are not counted again as native heap).
/// - `main!(allocator = PATH)` wraps your own unit-struct allocator, for example
///   `main!(allocator = mimalloc::MiMalloc)`.
/// - `main!(allocator: TYPE = CONST_EXPR)` wraps an allocator built by a constant expression.
/// - `main!(allocator = installed)` when you declared
///   `#[global_allocator] static A: leaktest_core::CountingAlloc<YourAlloc> = ...;`
///   yourself.
///
/// The harness reports the wrapped allocator's type name to `cargo leaktest`
/// (unknown with `installed`), whose baselines only compare figures measured
/// with the same allocator.
///
/// ```ignore
/// leaktest_core::main!();
/// ```
#[macro_export]
macro_rules! main {
    () => {
        #[global_allocator]
        static __LEAKTEST_GLOBAL_ALLOCATOR: $crate::CountingAlloc<$crate::DirectSystem> =
            $crate::CountingAlloc::new($crate::DirectSystem);
        fn main() {
            // DirectSystem is the system allocator (only the way it is
            // reached differs), so baselines name it as such.
            $crate::__private::run_main(::core::option::Option::Some(::core::any::type_name::<
                ::std::alloc::System,
            >()))
        }
    };
    (allocator = installed) => {
        fn main() {
            $crate::__private::run_main(::core::option::Option::None)
        }
    };
    (allocator = $allocator:path) => {
        #[global_allocator]
        static __LEAKTEST_GLOBAL_ALLOCATOR: $crate::CountingAlloc<$allocator> =
            $crate::CountingAlloc::new($allocator);
        fn main() {
            $crate::__private::run_main(::core::option::Option::Some(::core::any::type_name::<
                $allocator,
            >()))
        }
    };
    (allocator: $allocator:ty = $init:expr) => {
        #[global_allocator]
        static __LEAKTEST_GLOBAL_ALLOCATOR: $crate::CountingAlloc<$allocator> =
            $crate::CountingAlloc::new($init);
        fn main() {
            $crate::__private::run_main(::core::option::Option::Some(::core::any::type_name::<
                $allocator,
            >()))
        }
    };
}

/// Used by async `#[leak_test]` expansions: keeps the registration with the
/// `tokio` feature on.
#[cfg(feature = "tokio")]
#[doc(hidden)]
#[macro_export]
macro_rules! __require_tokio {
    ($($registration:tt)*) => { $($registration)* };
}

/// Used by async `#[leak_test]` expansions: a clear error with the `tokio` feature off.
#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __require_tokio {
    ($($registration:tt)*) => {
        ::core::compile_error!(
            "async #[leak_test] functions run on tokio: enable leaktest-core's `tokio` feature \
             (it is on by default; remove `default-features = false` or add `features = [\"tokio\"]`)"
        );
    };
}
