//! Asks each built candidate binary to describe its leak tests
//! ([`leaktest_core::protocol::describe_harness`]); binaries that answer are
//! leaktest harnesses, the others are skipped.
//!
//! Each binary is opened once here and kept open ([`PinnedBinary`]): its tests
//! later run from that very file, even if a rebuild replaces it meanwhile.
//! A binary that cannot describe itself (it hangs past the timeout, or writes
//! something unreadable) is skipped with the reason, unless it was named with
//! `--test`: then the run stops with the error. Whatever a described binary
//! leaves running is killed once every binary has been described.

use crate::build::Executables;
use crate::discovery::{SkipReason, TestTarget};
use crate::error::Error;
use leaktest_core::isolation::OrphanCatcher;
use leaktest_core::model::TestDescription;
use leaktest_core::protocol::{describe_harness, PinnedBinary, ProtocolError, DESCRIBE_TIMEOUT};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// A built test target that is a leaktest harness.
#[derive(Debug, Clone)]
pub struct Harness {
    /// The test target it was built from.
    pub target: TestTarget,
    /// The executable, kept open: its tests run from this very file.
    pub binary: Arc<PinnedBinary>,
    /// The leaktest-core version it was built with.
    pub leaktest_version: String,
    /// The global allocator its counting allocator wraps (a type name), when
    /// the harness knows it.
    pub allocator: Option<String>,
    /// Its tests, in name order.
    pub tests: Vec<TestDescription>,
}

impl Harness {
    /// `package::target`.
    pub fn id(&self) -> String {
        self.target.id()
    }
}

/// The test targets sorted into harnesses and skipped targets.
#[derive(Debug, Default)]
pub struct Described {
    /// Leaktest harnesses, in discovery order.
    pub harnesses: Vec<Harness>,
    /// Test targets that are not leaktest harnesses, with the reason.
    pub skipped: Vec<(TestTarget, SkipReason)>,
}

/// Describes every candidate of `targets` that was built. `named` are the
/// target names given with `--test`; `cancel` (Ctrl-C) stops the describing.
pub fn describe(
    targets: Vec<TestTarget>,
    executables: &Executables,
    named: &[String],
    cancel: &AtomicBool,
) -> Result<Described, Error> {
    let _orphans = OrphanCatcher::start();
    let mut described = Described::default();
    for target in targets {
        if let Some(reason) = target.skip.clone() {
            described.skipped.push((target, reason));
            continue;
        }
        let key = (target.package_id.clone(), target.name.clone());
        let Some(path) = executables.get(&key) else {
            described.skipped.push((target, SkipReason::NotBuilt));
            continue;
        };
        let error = |source| Error::Describe {
            package: target.package.clone(),
            target: target.name.clone(),
            source,
        };
        let binary = PinnedBinary::open(path).map_err(|source| {
            error(ProtocolError::Spawn {
                binary: path.clone(),
                source,
            })
        })?;
        match describe_harness(&binary, DESCRIBE_TIMEOUT, Some(cancel)) {
            Ok(Some(description)) => described.harnesses.push(Harness {
                binary: Arc::new(binary),
                leaktest_version: description.leaktest_version,
                allocator: description.allocator,
                tests: description.tests,
                target,
            }),
            Ok(None) => described
                .skipped
                .push((target, SkipReason::NotLeaktestHarness)),
            Err(ProtocolError::DescribeCancelled { .. }) => break,
            Err(source) if named.contains(&target.name) => return Err(error(source)),
            Err(source) => described
                .skipped
                .push((target, SkipReason::CannotDescribe(source.to_string()))),
        }
    }
    Ok(described)
}
