//! Sizes, durations and percentages as leaktest reads them, in one place, so
//! that the `#[leak_test]` attribute (a compile-time proc-macro, which cannot
//! depend on leaktest-core), `Leaktest.toml` and `cargo leaktest` accept the
//! same spellings and mean the same by them.
//!
//! ```
//! use leaktest_units::{parse_duration_ms, parse_percent, parse_size};
//!
//! assert_eq!(parse_size("24 MiB"), Ok(24 * 1024 * 1024));
//! assert_eq!(parse_size("24 MB"), Ok(24_000_000));
//! assert_eq!(parse_duration_ms("30s"), Some(30_000));
//! assert_eq!(parse_percent("10%"), Ok(10.0));
//! ```

mod duration;
mod percent;
mod size;

pub use duration::parse_duration_ms;
pub use percent::{parse_percent, PercentError};
pub use size::{parse_size, SizeError, SIZE_UNITS};
