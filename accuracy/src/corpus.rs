//! The code the corpus runs: structures whose memory fluctuates or fills up
//! and must not be reported, and leaks of every rate and shape that must be.
//! Each is driven one call per iteration by a `#[leak_test]` in
//! `tests/corpus.rs`; random choices come from a seeded generator, so a
//! case makes the same calls on every run.

pub mod bounded;
pub mod leaks;
