//! Items the `#[leak_test]` expansion and `main!` call, and the internals the
//! project's own benchmarks and tests reach. Not a public API: no stability
//! promise, hidden from the docs.

pub use crate::driver::{Driver, IntoTestResult, TestResult};
pub use crate::model::{Budget, Flavor, Resource};
pub use crate::registry::{all_tests, LeakTest, TestConfig};
pub use crate::sampling::{Sample, SampledResources};
pub use inventory;

#[cfg(feature = "tokio")]
pub use crate::setup::{AsyncSetupValue, SetupWrap, SyncSetupValue};

/// Calls a `setup` closure once and returns what it built. The expansion
/// passes the closure here instead of calling it in place: `(|| ..)()` in
/// the user's code is what clippy's `redundant_closure_call` flags, and
/// projects that deny warnings would fail on their own attribute.
pub fn call_setup<T>(setup: impl FnOnce() -> T) -> T {
    setup()
}

/// Entry point of `main!()`: runs the harness and exits with its status.
/// `allocator` is the type name of the allocator the counting allocator
/// wraps, when `main!` installed it (reported to `cargo leaktest`, which
/// keeps it in baselines).
pub fn run_main(allocator: Option<&'static str>) -> ! {
    crate::harness::run_main(allocator)
}
