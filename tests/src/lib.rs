//! End-to-end tests of leaktest live in `tests/`: trybuild UI tests of the
//! `#[leak_test]` attribute (`tests/ui.rs` over the cases in `ui/`). This
//! library is empty; it only gives the unpublished test crate a target.
