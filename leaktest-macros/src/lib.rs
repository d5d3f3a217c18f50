//! The `#[leak_test]` attribute of leaktest. Use it through `leaktest_core`,
//! which re-exports it and provides everything the expansion calls.
//!
//! The macro stays thin: `args` parses the attribute into `LeakTestArgs`,
//! `signature` checks the function, and `expand` emits the function
//! unchanged plus an `inventory` registration whose body calls
//! `leaktest_core::__private::Driver`. Every mistake is reported at the user's
//! own tokens, all of them at once, and the function is still emitted so the
//! rest of the crate keeps type-checking.

mod args;
mod budgets;
mod errors;
mod expand;
mod signature;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Registers a function as a leak test: its body is one iteration, run many
/// times in a child process while heap, file descriptors, threads, child
/// processes and (for async tests) tokio tasks are sampled; the test fails when
/// any of them keeps growing.
///
/// ```ignore
/// use leaktest_core::leak_test;
///
/// #[leak_test]                                   // 100 iterations
/// fn format_and_drop() {
///     let _ = format!("{}", 42);
/// }
///
/// #[leak_test(iterations = 200, warmup = 20, timeout = "30s")]
/// fn round_trip() -> Result<(), String> {
///     Ok(())
/// }
///
/// #[leak_test(iterations = 500, setup = Server::start)]   // setup runs once
/// async fn connect(server: &mut Server) {
///     server.connect_and_close().await;
/// }
/// ```
///
/// Arguments, all optional:
///
/// | argument | meaning |
/// | --- | --- |
/// | `iterations = N` | iterations to run, N > 0 (default 100) |
/// | `warmup = N` | leading iterations not judged, N < iterations (default: a tenth, at least 1, at most 50) |
/// | `should_leak` | the test passes only if a leak is found |
/// | `ignore`, `ignore = "reason"` | skip the test unless ignored tests are asked for |
/// | `timeout = "30s"` | kill the test process after this long (`ms`, `s` or `m`) |
/// | `settle = "200ms"` | longest wait after the last iteration for resources to be released |
/// | `flavor = "current_thread"` / `"multi_thread"` | tokio runtime of an `async fn` (default current-thread) |
/// | `worker_threads = N` | workers of the `multi_thread` runtime |
/// | `setup = path` or `setup = \|\| expr` | function or closure without arguments (sync or async) called once; its value is passed as `&mut` to every iteration |
/// | `memory_limit = "4 GiB"` | stop the test as out of memory when its live heap passes this (default 2 GiB, at least 16 MiB) |
/// | `max_peak = "24 MiB"` | fail when the peak live heap rises this far above its level before the first iteration |
/// | `max_growth = "64 B"` | heap bytes per iteration a leak may grow and still pass (default 0: every leak fails) |
/// | `max_native_growth = "1 KiB"`, `max_blocks_growth`, `max_fds_growth`, `max_threads_growth`, `max_children_growth`, `max_tasks_growth` `= N` | the same for the other resources |
/// | `max_alloc_per_iter = "4 KiB"` | bytes allocated per judged iteration (median), freed or not |
/// | `max_allocs_per_iter = N` | allocations per judged iteration (median) |
///
/// Sizes are strings with a unit, `B`, `KiB`/`MiB`/`GiB` (powers of 1024) or
/// `KB`/`MB`/`GB` (powers of 1000), or whole numbers of bytes. `Leaktest.toml`,
/// the environment and `cargo leaktest --budget` can set every budget too (see
/// the README for which wins).
///
/// The function takes no parameter, or exactly one when `setup` is given, and
/// returns `()` or `Result<(), E>` with `E: Debug`. It cannot be generic,
/// `const`, `unsafe`, `extern` or a method.
#[proc_macro_attribute]
pub fn leak_test(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::leak_test(attr.into(), item.into()).into()
}
