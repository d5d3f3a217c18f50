//! From two heap profiles of the same process to the allocation sites whose
//! live memory grows: pure functions, no I/O.
//!
//! The attribution run profiles two windows one after the other, after a
//! warm-up: a shorter one of `S` iterations, then a longer one of `L`
//! (`L = 2S`). Each profile counts, per backtrace, what was allocated while it
//! ran and was still live when it stopped. Per site (backtraces grouped by the
//! frames a site shows, see [`site_key`]):
//!
//! - a leak of `r` bytes per iteration keeps `r·S` of the shorter window and
//!   `r·L` of the longer: it grows by `r` per extra iteration;
//! - memory allocated once (lazy initialisation, a buffer sized on first
//!   use) was allocated before the windows, or in the shorter one only: the
//!   longer keeps as much or less;
//! - a cache that filled up keeps its capacity in both; churn that is freed
//!   keeps nothing;
//! - memory in flight when a window ends (a message queued for another
//!   thread) is about the same in both, and cancels out.
//!
//! A site **grows** when the longer window kept more than the shorter, and at
//! least halfway from "as much" to "in proportion to its length":
//! `kept_L ≥ kept_S · (1 + L/S) / 2`. Its rate is `(kept_L − kept_S) / (L − S)`
//! bytes (and blocks) per iteration. Sites are ranked by bytes per iteration.
//!
//! A buffer that grows by reallocation (a `Vec` or a `HashSet` never pruned)
//! is one block that dhat counts as allocated at its last reallocation, with
//! its whole size: each window keeps the buffer as it was at its end, so the
//! difference is what the buffer grew by between the two ends, `L` iterations
//! apart. Such a site (its blocks level) grows by `(kept_L − kept_S) / L`
//! bytes per iteration, following the buffer's doublings rather than each
//! push. The longer window spans a doubling of such a buffer whenever the
//! warm-up is shorter than the shorter window, which the attribution run
//! ensures.

use super::frames::ProfileFrame;
use super::profile::HeapProfile;
use crate::model::{AllocationSite, SiteFrame};
use std::collections::HashMap;

/// Internal frames a site shows when it has none of the test's own code.
const INTERNAL_FRAMES_SHOWN: usize = 3;

/// The frames an allocation site shows, which also group the program points
/// of a profile into sites.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct SiteKey {
    /// Innermost first.
    pub frames: Vec<SiteFrame>,
    /// Whether `frames` are the test's own code (or its dependencies).
    pub in_user_code: bool,
}

/// Live bytes and blocks a site kept at the end of a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Kept {
    /// Bytes.
    pub bytes: u64,
    /// Blocks.
    pub blocks: u64,
}

/// The growing sites of two windows, ranked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GrowingSites {
    /// Every growing site, most bytes per iteration first.
    pub sites: Vec<AllocationSite>,
    /// The sum of their bytes per iteration.
    pub explained_bytes_per_iteration: f64,
}

/// The site a backtrace (innermost frame first) belongs to: up to
/// [`AllocationSite::MAX_FRAMES`] frames of the test's own code, before
/// leaktest's generated runner; with none, the innermost frames that are not
/// the allocator's.
pub(crate) fn site_key(frames: &[ProfileFrame]) -> SiteKey {
    let before_runner = || {
        frames
            .iter()
            .take_while(|frame| !frame.is_generated_runner())
    };
    let user_frames: Vec<SiteFrame> = before_runner()
        .filter(|frame| !frame.is_internal())
        .take(AllocationSite::MAX_FRAMES)
        .map(ProfileFrame::to_site_frame)
        .collect();
    if !user_frames.is_empty() {
        return SiteKey {
            frames: user_frames,
            in_user_code: true,
        };
    }
    let shown = |frame: &&ProfileFrame| !frame.is_allocator() && frame.function != "[root]";
    let innermost = |prefer: &dyn Fn(&ProfileFrame) -> bool| -> Vec<SiteFrame> {
        before_runner()
            .filter(shown)
            .filter(|frame| prefer(frame))
            .take(INTERNAL_FRAMES_SHOWN)
            .map(ProfileFrame::to_site_frame)
            .collect()
    };
    // tokio's frames (say) tell more than the collection that allocated.
    let mut frames = innermost(&|frame| !frame.is_standard_library());
    if frames.is_empty() {
        frames = innermost(&|_| true);
    }
    SiteKey {
        frames,
        in_user_code: false,
    }
}

/// What each site of `profile` kept at its end.
pub(crate) fn kept_by_site(profile: &HeapProfile) -> HashMap<SiteKey, Kept> {
    let mut sites: HashMap<SiteKey, Kept> = HashMap::new();
    for point in &profile.points {
        if point.end_bytes == 0 && point.end_blocks == 0 {
            continue;
        }
        let kept = sites.entry(site_key(&point.frames)).or_default();
        kept.bytes = kept.bytes.saturating_add(point.end_bytes);
        kept.blocks = kept.blocks.saturating_add(point.end_blocks);
    }
    sites
}

/// Whether a site that kept `shorter` bytes at the end of a window of
/// `window_iterations[0]` and `longer` at the end of one of
/// `window_iterations[1]` grows (see the module docs).
pub(crate) fn grows(shorter: u64, longer: u64, window_iterations: [u64; 2]) -> bool {
    let [short, long] = window_iterations.map(u128::from);
    // longer ≥ shorter · (1 + long/short) / 2, without division.
    longer > shorter && 2 * u128::from(longer) * short >= u128::from(shorter) * (short + long)
}

/// The sites growing from the `shorter` profile to the `longer`, of windows
/// of `window_iterations` (shorter first), ranked by bytes per iteration.
pub(crate) fn growing_sites(
    shorter: &HeapProfile,
    longer: &HeapProfile,
    window_iterations: [u64; 2],
) -> GrowingSites {
    let extra_iterations = window_iterations[1].saturating_sub(window_iterations[0]);
    if extra_iterations == 0 {
        return GrowingSites {
            sites: Vec::new(),
            explained_bytes_per_iteration: 0.0,
        };
    }
    let kept_shorter = kept_by_site(shorter);
    let per_iteration = |amount: u64, iterations: u64| amount as f64 / iterations as f64;
    let mut sites: Vec<AllocationSite> = kept_by_site(longer)
        .into_iter()
        .filter_map(|(key, kept_longer)| {
            let kept_shorter = kept_shorter.get(&key).copied().unwrap_or_default();
            if !grows(kept_shorter.bytes, kept_longer.bytes, window_iterations) {
                return None;
            }
            let bytes = kept_longer.bytes - kept_shorter.bytes;
            let blocks = kept_longer.blocks.saturating_sub(kept_shorter.blocks);
            // A site whose blocks stay level grew by reallocating one buffer,
            // whose growth spans the L iterations between the windows' ends.
            let bytes_iterations = if blocks == 0 {
                window_iterations[1]
            } else {
                extra_iterations
            };
            Some(AllocationSite::new(
                per_iteration(bytes, bytes_iterations),
                per_iteration(blocks, extra_iterations),
                key.frames,
                key.in_user_code,
            ))
        })
        .collect();
    sites.sort_by(|a, b| {
        b.bytes_per_iteration
            .total_cmp(&a.bytes_per_iteration)
            .then_with(|| b.blocks_per_iteration.total_cmp(&a.blocks_per_iteration))
            .then_with(|| a.frames.cmp(&b.frames))
    });
    GrowingSites {
        explained_bytes_per_iteration: sites.iter().map(|site| site.bytes_per_iteration).sum(),
        sites,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribution::profile::ProgramPoint;

    const WINDOWS: [u64; 2] = [100, 200];

    /// Frames of `functions`, each at a line of its own (the length of its
    /// name) in `src/lib.rs`.
    fn frames(functions: &[&str]) -> Vec<ProfileFrame> {
        functions
            .iter()
            .enumerate()
            .map(|(index, function)| {
                ProfileFrame::parse(&format!(
                    "0x{index:x}: {function} (src/lib.rs:{}:1)",
                    function.len()
                ))
            })
            .collect()
    }

    fn point(end_bytes: u64, end_blocks: u64, functions: &[&str]) -> ProgramPoint {
        ProgramPoint {
            end_bytes,
            end_blocks,
            frames: frames(functions),
        }
    }

    fn profile(points: Vec<ProgramPoint>) -> HeapProfile {
        HeapProfile { points }
    }

    const LEAK: &[&str] = &[
        "alloc::alloc::exchange_malloc",
        "my_crate::sessions::Sessions::close",
        "leaks::sessions_forget_closed",
        "leaks::_::__leaktest_run::{{closure}}",
        "leaktest_core::driver::Driver::measure",
        "leaks::main",
    ];
    const LAZY: &[&str] = &[
        "alloc::alloc::alloc",
        "std::sync::once_lock::OnceLock<T>::get_or_init",
        "my_crate::content_types",
        "leaks::sessions_forget_closed",
    ];
    const CHURN: &[&str] = &["alloc::alloc::alloc", "my_crate::render"];
    const CACHE: &[&str] = &["alloc::alloc::alloc", "my_crate::cache::Cache::insert"];

    fn functions(site: &AllocationSite) -> Vec<&str> {
        site.frames
            .iter()
            .map(|frame| frame.function.as_str())
            .collect()
    }

    #[test]
    fn a_leak_is_listed_with_its_rate_and_lazy_init_churn_and_caches_are_not() {
        let shorter = profile(vec![
            point(4_800, 100, LEAK),
            point(1_024, 7, LAZY),
            point(0, 0, CHURN),
            point(6_400, 64, CACHE),
        ]);
        let longer = profile(vec![
            point(9_600, 200, LEAK),
            point(0, 0, CHURN),
            point(6_400, 64, CACHE),
        ]);
        let growing = growing_sites(&shorter, &longer, WINDOWS);
        assert_eq!(growing.sites.len(), 1, "{growing:?}");
        let site = &growing.sites[0];
        assert_eq!(site.bytes_per_iteration, 48.0);
        assert_eq!(site.blocks_per_iteration, 1.0);
        assert!(site.in_user_code);
        assert_eq!(
            functions(site),
            [
                "my_crate::sessions::Sessions::close",
                "leaks::sessions_forget_closed"
            ]
        );
        assert_eq!(site.frames[0].file.as_deref(), Some("src/lib.rs"));
        assert_eq!(site.frames[0].line, Some(35));
        assert_eq!(growing.explained_bytes_per_iteration, 48.0);
    }

    #[test]
    fn memory_in_flight_at_both_ends_cancels_out() {
        let in_flight = 3 * 512;
        let shorter = profile(vec![point(in_flight + 100 * 16, 103, LEAK)]);
        let longer = profile(vec![point(in_flight + 200 * 16, 203, LEAK)]);
        let growing = growing_sites(&shorter, &longer, WINDOWS);
        assert_eq!(growing.sites[0].bytes_per_iteration, 16.0);
        // A little more in flight at the end of the longer window is not growth.
        let shorter = profile(vec![point(3 * 512, 3, CHURN)]);
        let longer = profile(vec![point(4 * 512, 4, CHURN)]);
        assert!(growing_sites(&shorter, &longer, WINDOWS).sites.is_empty());
    }

    #[test]
    fn a_buffer_growing_by_reallocation_is_listed_with_no_blocks() {
        let shorter = profile(vec![point(2_048, 1, CACHE)]);
        let longer = profile(vec![point(8_192, 1, CACHE)]);
        let site = &growing_sites(&shorter, &longer, WINDOWS).sites[0];
        // The buffer grew by 6,144 bytes between the windows' ends, 200
        // iterations apart.
        assert_eq!(site.bytes_per_iteration, 30.72);
        assert_eq!(site.blocks_per_iteration, 0.0);
    }

    #[test]
    fn sites_are_ranked_by_bytes_per_iteration() {
        let small = &["alloc::alloc::alloc", "my_crate::small"];
        let large = &["alloc::alloc::alloc", "my_crate::large"];
        let shorter = profile(vec![point(100, 100, small), point(800, 100, large)]);
        let longer = profile(vec![point(200, 200, small), point(1_600, 200, large)]);
        let growing = growing_sites(&shorter, &longer, WINDOWS);
        let first_functions: Vec<&str> = growing
            .sites
            .iter()
            .map(|site| functions(site)[0])
            .collect();
        assert_eq!(first_functions, ["my_crate::large", "my_crate::small"]);
        assert_eq!(growing.explained_bytes_per_iteration, 9.0);
    }

    #[test]
    fn points_showing_the_same_frames_are_one_site() {
        let via_vec = &[
            "alloc::alloc::alloc",
            "alloc::raw_vec::RawVecInner<A>::finish_grow",
            "my_crate::History::record",
        ];
        let via_box = &["alloc::alloc::exchange_malloc", "my_crate::History::record"];
        let shorter = profile(vec![point(100, 10, via_vec), point(100, 10, via_box)]);
        let longer = profile(vec![point(200, 20, via_vec), point(200, 20, via_box)]);
        let growing = growing_sites(&shorter, &longer, WINDOWS);
        assert_eq!(growing.sites.len(), 1);
        assert_eq!(growing.sites[0].bytes_per_iteration, 2.0);
    }

    #[test]
    fn a_site_without_user_code_shows_its_innermost_internal_frames() {
        let key = site_key(&frames(&[
            "<leaktest_core::alloc::CountingAlloc<A> as core::alloc::global::GlobalAlloc>::alloc",
            "alloc::alloc::alloc",
            "alloc::raw_vec::RawVecInner<A>::finish_grow",
            "tokio::runtime::time::entry::TimerEntry::new",
            "std::thread::local::LocalKey<T>::with",
            "tokio::time::sleep::Sleep::new_timeout",
            "tokio::runtime::scheduler::current_thread::CoreGuard::block_on",
            "tokio::runtime::runtime::Runtime::block_on",
            "leaks::_::__leaktest_run::{{closure}}",
        ]));
        assert!(!key.in_user_code);
        let shown: Vec<&str> = key
            .frames
            .iter()
            .map(|frame| frame.function.as_str())
            .collect();
        assert_eq!(
            shown,
            [
                "tokio::runtime::time::entry::TimerEntry::new",
                "tokio::time::sleep::Sleep::new_timeout",
                "tokio::runtime::scheduler::current_thread::CoreGuard::block_on"
            ]
        );
        let only_std = site_key(&frames(&[
            "alloc::alloc::alloc",
            "alloc::raw_vec::RawVecInner<A>::finish_grow",
            "std::thread::current::init_current",
        ]));
        let shown: Vec<&str> = only_std
            .frames
            .iter()
            .map(|frame| frame.function.as_str())
            .collect();
        assert_eq!(
            shown,
            [
                "alloc::raw_vec::RawVecInner<A>::finish_grow",
                "std::thread::current::init_current"
            ]
        );
    }

    #[test]
    fn a_site_keeps_at_most_its_innermost_user_frames() {
        let deep: Vec<String> = (0..8)
            .map(|depth| format!("my_crate::level{depth}"))
            .collect();
        let deep: Vec<&str> = deep.iter().map(String::as_str).collect();
        let key = site_key(&frames(&deep));
        assert_eq!(key.frames.len(), AllocationSite::MAX_FRAMES);
        assert_eq!(key.frames[0].function, "my_crate::level0");
    }

    #[test]
    fn growth_needs_more_than_half_the_proportional_rise() {
        assert!(grows(100, 200, WINDOWS));
        assert!(grows(100, 150, WINDOWS));
        assert!(!grows(100, 149, WINDOWS));
        assert!(!grows(100, 100, WINDOWS));
        assert!(grows(0, 1, WINDOWS));
        assert!(!grows(u64::MAX, u64::MAX, WINDOWS));
        assert!(
            growing_sites(&profile(vec![]), &profile(vec![]), [100, 100])
                .sites
                .is_empty()
        );
    }
}
