//! The stable identity of one leak test across runs: its package, test target
//! and test name. Baselines are keyed by it and `--partition hash:` hashes it.

use crate::select::PlannedTest;
use std::fmt;

/// Which test, independent of where its binary was built.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TestKey {
    /// Package name.
    pub package: String,
    /// Test target name (`leaks` for `tests/leaks.rs`).
    pub target: String,
    /// Test name, as `--list` shows it (module path, then the function).
    pub name: String,
}

impl TestKey {
    /// The key of a planned test.
    pub fn of(test: &PlannedTest<'_>) -> TestKey {
        TestKey {
            package: test.harness.target.package.clone(),
            target: test.harness.target.name.clone(),
            name: test.test.name.clone(),
        }
    }
}

/// `package::target::name`, e.g. `parser::leaks::tokens::no_leak`.
impl fmt::Display for TestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}::{}", self.package, self.target, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_keeps_the_module_path_of_the_name() {
        let key = TestKey {
            package: "parser".to_owned(),
            target: "leaks".to_owned(),
            name: "tokens::no_leak".to_owned(),
        };
        assert_eq!(key.to_string(), "parser::leaks::tokens::no_leak");
    }
}
