//! Asks each built candidate binary to describe its leak tests
//! ([`leaktest_core::protocol::describe_harness`]); binaries that answer are
//! leaktest harnesses, the others are skipped.

use crate::build::Executables;
use crate::discovery::{SkipReason, TestTarget};
use crate::error::Error;
use leaktest_core::model::TestDescription;
use leaktest_core::protocol::describe_harness;
use std::path::PathBuf;

/// A built test target that is a leaktest harness.
#[derive(Debug, Clone)]
pub struct Harness {
    /// The test target it was built from.
    pub target: TestTarget,
    /// The executable.
    pub binary: PathBuf,
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

/// Describes every candidate of `targets` that was built.
pub fn describe(targets: Vec<TestTarget>, executables: &Executables) -> Result<Described, Error> {
    let mut described = Described::default();
    for target in targets {
        if let Some(reason) = target.skip {
            described.skipped.push((target, reason));
            continue;
        }
        let key = (target.package_id.clone(), target.name.clone());
        let Some(binary) = executables.get(&key) else {
            described.skipped.push((target, SkipReason::NotBuilt));
            continue;
        };
        match describe_harness(binary) {
            Ok(Some(description)) => described.harnesses.push(Harness {
                binary: binary.clone(),
                leaktest_version: description.leaktest_version,
                allocator: description.allocator,
                tests: description.tests,
                target,
            }),
            Ok(None) => described
                .skipped
                .push((target, SkipReason::NotLeaktestHarness)),
            Err(source) => {
                return Err(Error::Describe {
                    package: target.package,
                    target: target.name,
                    source,
                })
            }
        }
    }
    Ok(described)
}
