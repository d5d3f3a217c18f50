//! Baselines: what each test measured in an earlier run, kept in a file, so
//! that a later run can fail on a regression against it.
//!
//! - [`model`]: the file (versioned JSON, keys sorted for stable diffs) and
//!   one test's entry, made from its record;
//! - [`file`](mod@file): where baselines live, reading them with errors that name the
//!   file and the fix, writing them atomically;
//! - [`compare`]: the pure comparison of a test against its entry, with the
//!   tolerance;
//! - [`environment`]: the target and build profile a run is measured with,
//!   and what differs from a baseline's;
//! - [`merge`]: one baseline out of the baselines of several shards;
//! - [`gate`]: the run's side: load before the tests, compare each finished
//!   test, save at the end;
//! - [`commands`]: `cargo leaktest baseline merge`.

pub mod commands;
pub mod compare;
pub mod environment;
pub mod file;
pub mod gate;
pub mod merge;
pub mod model;

pub use compare::{Comparison, Status, Tolerance};
pub use file::BaselineError;
pub use gate::{BaselineOptions, Gate};
