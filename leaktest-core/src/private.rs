//! Items the `#[leak_test]` expansion calls. Not a public API: no stability promise.

pub use crate::driver::{Driver, IntoTestResult, TestResult};
pub use crate::registry::{LeakTest, RuntimeKind, TestConfig};
pub use inventory;

#[cfg(feature = "tokio")]
pub use crate::setup::{AsyncSetupValue, SetupWrap, SyncSetupValue};

/// Entry point of `main!()`: runs the harness and exits with its status.
pub fn run_main() -> ! {
    crate::harness::run_main()
}
