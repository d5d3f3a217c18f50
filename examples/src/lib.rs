//! Real leak patterns ported to Rust, each leaky version next to its fixed twin.
//!
//! Every module takes one shape from the incident reports that motivated
//! leaktest (tracking sets nobody prunes, subscribers never removed, intervals
//! never cleared, fire-and-forget tasks, servers never closed, sessions never
//! removed, self-pipes never closed, hooks never waited for, reference cycles,
//! caches without expiry) and writes it twice: the way it shipped and
//! the way it was fixed. `tests/leaks.rs` runs both under `#[leak_test]`: the
//! leaky version must be reported as a leak (`should_leak`), the fixed twin
//! must pass.
//!
//! A second group of modules is benign on purpose: lazy initialisation, bounded
//! caches, reused buffers, large short-lived allocations, pools started on
//! first use, memory freed on another thread. A one-shot "memory before vs
//! after" check flags most of them; leaktest must not.
//!
//! Leaks in C code called through FFI (`ffi_strings`, `zlib_stream`) grow
//! the native heap, which leaktest counts next to Rust's own; C code that
//! allocates and frees a lot (`c_allocator_churn`, `zlib_stream`'s
//! megabytes) must not.
//!
//! The `README.md` next to this crate has the full table of patterns, the
//! incident each comes from, and the expected verdict.

// Sync patterns that leak, with their fixed twins.
pub mod audit_trail;
pub mod background_worker;
pub mod batched_metrics;
pub mod closed_ids;
pub mod control_socket;
pub mod every_kth;
pub mod ffi_strings;
pub mod handles;
pub mod hooks;
pub mod rc_cycle;
pub mod revoked_tokens;
pub mod route_labels;
pub mod subscribers;
pub mod threads;
pub mod tiny_leak;
pub mod wakeup_pipe;
pub mod zlib_stream;

// Benign patterns that a naive before/after check would flag.
pub mod amortised_buffer;
pub mod bounded_cache;
pub mod c_allocator_churn;
pub mod deferred_drop;
pub mod large_allocations;
pub mod lazy_init;
pub mod metrics_flusher;
pub mod reused_buffer;
pub mod thread_pool;

// Async (tokio) patterns.
pub mod channel_task;
pub mod delayed_audit;
pub mod interval;
pub mod manager;
pub mod structured;
pub mod timeouts;
