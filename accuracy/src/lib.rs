//! leaktest's accuracy corpus: labelled cases of real code, run by the
//! harness at default settings, and the table of how many leaks were caught
//! and how many false alarms were raised, per class.
//!
//! - [`corpus`]: the code the cases exercise (in `tests/corpus.rs`).
//! - [`table`]: the classes, the tally of records, and the table's text.
//! - [`run`]: runs the corpus and the examples with `cargo leaktest` and
//!   reads their records.
//!
//! `cargo run -p leaktest-accuracy` prints the table; `-- --check README.md`
//! compares it with the README's, as the crate's test does.

pub mod corpus;
pub mod run;
pub mod table;
