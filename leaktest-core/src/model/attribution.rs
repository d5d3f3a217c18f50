//! Where the heap growth of a test comes from: the allocation sites its
//! attribution run found, or why there are none to show.
//!
//! The attribution run is a second child process of the test, run under dhat's
//! profiler (see `leaktest_core::attribution`); its result is carried in
//! [`TestRecord::attribution`](super::TestRecord::attribution).

use serde::{Deserialize, Serialize};

/// What the attribution run of a test found, or why there is nothing to show.
///
/// In JSON, an object whose `kind` is `profiled`, `unavailable` or `failed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Attribution {
    /// The test was profiled: the allocation sites whose live memory grows.
    Profiled(ProfiledSites),
    /// This test binary cannot be profiled (its allocator, a missing feature).
    Unavailable {
        /// Why, and so how to make it possible.
        reason: AttributionUnavailable,
    },
    /// The attribution run ended without a profile.
    Failed {
        /// How it ended.
        reason: AttributionFailure,
    },
}

/// The allocation sites whose live memory grew from one profiled window of
/// iterations to a longer one, in the same process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProfiledSites {
    /// The growing sites, most bytes per iteration first (at most
    /// [`ProfiledSites::MAX_LISTED`]).
    pub sites: Vec<AllocationSite>,
    /// Growing sites left out of `sites`.
    pub unlisted_sites: u64,
    /// What every growing site gains per iteration, listed or not, in bytes.
    pub explained_bytes_per_iteration: f64,
    /// The DHAT profile of the longer window, kept for DHAT's viewer
    /// (`dh_view.html`).
    pub profile_path: String,
    /// Iterations of the shorter and of the longer profiled window.
    pub window_iterations: [u64; 2],
    /// False when the test binary has no line tables (a build without debug
    /// info): frames then have no file and line.
    pub has_line_info: bool,
    /// Wall time of the attribution run, in milliseconds: its child process
    /// from start to exit, as the parent measured it.
    pub duration_ms: u64,
}

impl ProfiledSites {
    /// Most sites [`ProfiledSites::sites`] lists.
    pub const MAX_LISTED: usize = 10;

    /// The profile of `sites` (ranked, at most [`ProfiledSites::MAX_LISTED`]),
    /// with `unlisted_sites` more growing by the rest of
    /// `explained_bytes_per_iteration`.
    pub fn new(
        sites: Vec<AllocationSite>,
        unlisted_sites: u64,
        explained_bytes_per_iteration: f64,
        profile_path: String,
        window_iterations: [u64; 2],
        has_line_info: bool,
    ) -> ProfiledSites {
        ProfiledSites {
            sites,
            unlisted_sites,
            explained_bytes_per_iteration,
            profile_path,
            window_iterations,
            has_line_info,
            duration_ms: 0,
        }
    }
}

/// One place whose allocations stay live and grow with the iterations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AllocationSite {
    /// Live bytes the site gains per iteration.
    pub bytes_per_iteration: f64,
    /// Live blocks the site gains per iteration (0 for a buffer that grows by
    /// reallocation).
    pub blocks_per_iteration: f64,
    /// The calls that lead to the allocation, the allocating function first:
    /// the test's own code and its dependencies, with the frames of the
    /// standard library, tokio and leaktest left out (at most
    /// [`AllocationSite::MAX_FRAMES`]). When no frame is outside those crates,
    /// the innermost of theirs, and `in_user_code` is false.
    pub frames: Vec<SiteFrame>,
    /// Whether `frames` are the test's own code (or its dependencies).
    pub in_user_code: bool,
}

impl AllocationSite {
    /// Most frames [`AllocationSite::frames`] keeps.
    pub const MAX_FRAMES: usize = 5;

    /// A site growing by `bytes_per_iteration` and `blocks_per_iteration`,
    /// reached through `frames` (innermost first).
    pub fn new(
        bytes_per_iteration: f64,
        blocks_per_iteration: f64,
        frames: Vec<SiteFrame>,
        in_user_code: bool,
    ) -> AllocationSite {
        AllocationSite {
            bytes_per_iteration,
            blocks_per_iteration,
            frames,
            in_user_code,
        }
    }
}

/// One frame of an allocation site: a function and where in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SiteFrame {
    /// The function, demangled without its hash
    /// (`my_crate::cache::Cache::insert`, `my_crate::run::{{closure}}`).
    pub function: String,
    /// Its source file, as DHAT writes it (the last three components of the
    /// path), when the binary has line tables.
    pub file: Option<String>,
    /// The line in `file`.
    pub line: Option<u32>,
}

impl SiteFrame {
    /// The frame of `function` at `file:line`, when known.
    pub fn new(function: impl Into<String>, file: Option<String>, line: Option<u32>) -> SiteFrame {
        SiteFrame {
            function: function.into(),
            file,
            line,
        }
    }
}

/// Why a test binary cannot be profiled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttributionUnavailable {
    /// The counting allocator wraps another allocator than the system's (or
    /// one leaktest cannot name): dhat profiles the system allocator only.
    OtherAllocator {
        /// The wrapped allocator's type name; `None` for
        /// `main!(allocator = installed)`, whose allocator leaktest cannot see.
        allocator: Option<String>,
    },
    /// leaktest-core was built without its `attribution` feature.
    FeatureOff,
}

/// How an attribution run ended without a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttributionFailure {
    /// The run was killed after the test's timeout.
    TimedOut {
        /// The timeout, in milliseconds.
        timeout_ms: u64,
    },
    /// At the pace of its first window, the second would not have finished
    /// within the timeout, so it was not run.
    WouldOverrunTimeout {
        /// The timeout, in milliseconds.
        timeout_ms: u64,
    },
    /// The run passed the test's memory limit (profiling three times the
    /// test's iterations, it holds more of a leak than the verdict run did).
    OutOfMemory {
        /// The limit, in bytes.
        limit_bytes: u64,
    },
    /// The process died (a signal, an early exit).
    Crashed {
        /// How, e.g. `killed by SIGSEGV`.
        description: String,
    },
    /// The test body returned `Err` or panicked under the profiler.
    TestFailed {
        /// Its message.
        message: String,
    },
    /// dhat's profile could not be written or read back.
    ProfileUnreadable {
        /// The profile's path.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The attribution run could not be started.
    NotStarted {
        /// Why.
        message: String,
    },
}
