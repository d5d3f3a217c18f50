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
//! `kept_L ≥ kept_S · (1 + L/S) / 2`. Sites are ranked by bytes per iteration.
//!
//! A site's **rate** never overstates what it keeps per iteration, so that
//! the sites never explain more than the growth measured. Its program points
//! fall in two parts, each with a rate of its own, summed:
//!
//! - **Blocks** allocated and kept (`B` kept by the shorter window, `C` by the
//!   longer): `min((C − B) / (L − S), C / L)`. The difference cancels memory
//!   in flight at both ends; `C / L`, the longer window's own average, cannot
//!   overstate a leak that started inside the shorter window (which keeps
//!   less than `S` iterations' worth, so the difference alone would count up
//!   to twice its rate) or stopped inside the longer.
//! - A **buffer growing by reallocation** (a `Vec` or a `HashSet` never
//!   pruned): one block that dhat counts as allocated at its last
//!   reallocation, with its whole size, holding everything pushed since the
//!   test began. Its size runs ahead of its contents by up to twice, and the
//!   window a doubling falls in says nothing of its rate, so it is rated by
//!   what it surely holds: a buffer that doubles held at least half its final
//!   size `C` when it last reallocated, pushed by at most every iteration of
//!   the attribution run up to then (`I` = warm-up + `S` + `L`): `C / (2 I)`.
//!   This understates a buffer by up to about twice and a hash table by up to
//!   about three times (its load factor); it is exact for neither, and never
//!   more. Points reached through a reallocating entry of the allocator that
//!   gained at most one block, and points whose blocks did not grow at all,
//!   are buffers; other reallocation points (a `Vec` shrunk into a kept
//!   `Box<[T]>` per call) are blocks.
//!
//! The longer window spans a doubling of a buffer whenever the warm-up is
//! shorter than the shorter window, which the attribution run ensures.

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

impl Kept {
    fn add(&mut self, bytes: u64, blocks: u64) {
        self.bytes = self.bytes.saturating_add(bytes);
        self.blocks = self.blocks.saturating_add(blocks);
    }
}

/// What a site kept at the end of a window, apart by how it was allocated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SiteKept {
    /// Through `alloc` (and `alloc_zeroed`).
    pub allocated: Kept,
    /// Through `realloc`: buffers grown (or shrunk) in place.
    pub reallocated: Kept,
}

impl SiteKept {
    /// Bytes of both parts.
    pub fn bytes(&self) -> u64 {
        self.allocated.bytes.saturating_add(self.reallocated.bytes)
    }
}

/// The iterations of an attribution run: its unprofiled warm-up, then the
/// shorter and the longer profiled window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Windows {
    /// Iterations before the shorter window.
    pub warmup_iterations: u64,
    /// Iterations of the shorter and of the longer window.
    pub iterations: [u64; 2],
}

impl Windows {
    /// Iterations from the start of the run to the end of the longer window.
    fn iterations_to_end(&self) -> u64 {
        let [shorter, longer] = self.iterations;
        self.warmup_iterations
            .saturating_add(shorter)
            .saturating_add(longer)
    }
}

/// Bytes (or blocks) per iteration of a site's blocks that were kept
/// `shorter` by the shorter window and `longer` by the longer:
/// `min((C − B) / (L − S), C / L)`, never negative (see the module docs).
pub(crate) fn kept_blocks_rate(shorter: u64, longer: u64, windows: Windows) -> f64 {
    let [short, long] = windows.iterations;
    if longer <= shorter || long <= short {
        return 0.0;
    }
    let gained = (longer - shorter) as f64 / (long - short) as f64;
    let longer_average = longer as f64 / long as f64;
    gained.min(longer_average)
}

/// Bytes per iteration of a buffer growing by reallocation that was
/// `longer_bytes` at the end of the longer window: `C / (2 I)`, half its size
/// over every iteration up to then (see the module docs).
pub(crate) fn buffer_rate(longer_bytes: u64, windows: Windows) -> f64 {
    let iterations = windows.iterations_to_end();
    if iterations == 0 {
        return 0.0;
    }
    longer_bytes as f64 / 2.0 / iterations as f64
}

/// Bytes and blocks per iteration of one part of a site: a buffer when its
/// blocks did not grow, or when it was reallocated and gained at most one
/// block; kept blocks otherwise.
fn part_rate(shorter: Kept, longer: Kept, reallocated: bool, windows: Windows) -> (f64, f64) {
    if longer.bytes <= shorter.bytes {
        return (0.0, 0.0);
    }
    let blocks_gained = longer.blocks.saturating_sub(shorter.blocks);
    if blocks_gained == 0 || (reallocated && blocks_gained <= 1) {
        return (buffer_rate(longer.bytes, windows), 0.0);
    }
    (
        kept_blocks_rate(shorter.bytes, longer.bytes, windows),
        kept_blocks_rate(shorter.blocks, longer.blocks, windows),
    )
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
pub(crate) fn kept_by_site(profile: &HeapProfile) -> HashMap<SiteKey, SiteKept> {
    let mut sites: HashMap<SiteKey, SiteKept> = HashMap::new();
    for point in &profile.points {
        if point.end_bytes == 0 && point.end_blocks == 0 {
            continue;
        }
        let kept = sites.entry(site_key(&point.frames)).or_default();
        let part = if is_reallocation(&point.frames) {
            &mut kept.reallocated
        } else {
            &mut kept.allocated
        };
        part.add(point.end_bytes, point.end_blocks);
    }
    sites
}

/// Whether a backtrace (innermost frame first) is a reallocation's: one of
/// the allocator's frames it starts with is a `realloc`.
fn is_reallocation(frames: &[ProfileFrame]) -> bool {
    frames
        .iter()
        .take_while(|frame| frame.is_allocator())
        .any(ProfileFrame::is_reallocation)
}

/// Whether a site that kept `shorter` bytes at the end of a window of
/// `window_iterations[0]` and `longer` at the end of one of
/// `window_iterations[1]` grows (see the module docs).
pub(crate) fn grows(shorter: u64, longer: u64, window_iterations: [u64; 2]) -> bool {
    let [short, long] = window_iterations.map(u128::from);
    // longer ≥ shorter · (1 + long/short) / 2, without division.
    longer > shorter && 2 * u128::from(longer) * short >= u128::from(shorter) * (short + long)
}

/// The sites growing from the `shorter` profile to the `longer`, of the
/// run's `windows`, ranked by bytes per iteration.
pub(crate) fn growing_sites(
    shorter: &HeapProfile,
    longer: &HeapProfile,
    windows: Windows,
) -> GrowingSites {
    if windows.iterations[1] <= windows.iterations[0] {
        return GrowingSites {
            sites: Vec::new(),
            explained_bytes_per_iteration: 0.0,
        };
    }
    let kept_shorter = kept_by_site(shorter);
    let mut sites: Vec<AllocationSite> = kept_by_site(longer)
        .into_iter()
        .filter_map(|(key, kept_longer)| {
            let kept_shorter = kept_shorter.get(&key).copied().unwrap_or_default();
            if !grows(
                kept_shorter.bytes(),
                kept_longer.bytes(),
                windows.iterations,
            ) {
                return None;
            }
            let (allocated_bytes, allocated_blocks) = part_rate(
                kept_shorter.allocated,
                kept_longer.allocated,
                false,
                windows,
            );
            let (reallocated_bytes, reallocated_blocks) = part_rate(
                kept_shorter.reallocated,
                kept_longer.reallocated,
                true,
                windows,
            );
            Some(AllocationSite::new(
                allocated_bytes + reallocated_bytes,
                allocated_blocks + reallocated_blocks,
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

    /// 10 iterations of warm-up, then windows of 100 and 200: 310 in all.
    const WINDOWS: Windows = Windows {
        warmup_iterations: 10,
        iterations: [100, 200],
    };

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
    /// A `Vec` growing by reallocation, as dhat records it.
    const GROW: &[&str] = &[
        "<dhat::Alloc as core::alloc::global::GlobalAlloc>::realloc",
        "__rustc::__rust_realloc",
        "alloc::raw_vec::RawVecInner<A>::finish_grow",
        "my_crate::History::record",
    ];
    /// The same, as a backtrace that starts at std's `Allocator::grow`.
    const GROW_IN_STD: &[&str] = &[
        "<alloc::alloc::Global as core::alloc::Allocator>::grow",
        "<alloc::raw_vec::RawVecInner>::finish_grow",
        "alloc::vec::Vec<T,A>::push",
        "my_crate::History::record",
    ];
    /// A `String` kept per call, at the same line as `GROW`'s push.
    const KEEP: &[&str] = &[
        "<dhat::Alloc as core::alloc::global::GlobalAlloc>::alloc",
        "alloc::alloc::alloc",
        "alloc::fmt::format",
        "my_crate::History::record",
    ];

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
        let longer = profile(vec![point(6_200, 1, CACHE)]);
        let site = &growing_sites(&shorter, &longer, WINDOWS).sites[0];
        // Half its size, pushed over at most the 310 iterations of the run.
        assert_eq!(site.bytes_per_iteration, 10.0);
        assert_eq!(site.blocks_per_iteration, 0.0);
    }

    #[test]
    fn a_doubling_buffer_is_rated_by_what_it_surely_holds() {
        // A `Vec<u32>` pushed once per iteration from the start: 128 slots
        // (512 B) since push 65, in the shorter window; 512 slots (2,048 B)
        // since push 257, in the longer. It holds 310 × 4 B at the end.
        let shorter = profile(vec![point(512, 1, GROW)]);
        let longer = profile(vec![point(2_048, 1, GROW)]);
        let site = &growing_sites(&shorter, &longer, WINDOWS).sites[0];
        assert_eq!(site.bytes_per_iteration, 2_048.0 / 620.0);
        assert!(site.bytes_per_iteration <= 4.0, "{site:?}");
        assert_eq!(site.blocks_per_iteration, 0.0);
        // A buffer that reallocated in the longer window only is one too.
        let site = &growing_sites(&profile(vec![]), &longer, WINDOWS).sites[0];
        assert_eq!(site.bytes_per_iteration, 2_048.0 / 620.0);
        assert_eq!(site.blocks_per_iteration, 0.0);
    }

    #[test]
    fn a_leak_starting_inside_the_shorter_window_is_not_overstated() {
        // 2 blocks of 48 B kept per call from iteration 60 on: 50 calls of
        // the shorter window (10..110) keep 4,800 B, the longer 19,200 B.
        // Their difference over 100 iterations would say 144 B/iter.
        let shorter = profile(vec![point(4_800, 100, LEAK)]);
        let longer = profile(vec![point(19_200, 400, LEAK)]);
        let site = &growing_sites(&shorter, &longer, WINDOWS).sites[0];
        assert_eq!(site.bytes_per_iteration, 96.0);
        assert_eq!(site.blocks_per_iteration, 2.0);
    }

    #[test]
    fn kept_blocks_and_a_buffer_at_one_site_are_rated_apart() {
        // One call in 7 keeps a 72 B `String` and pushes it on a
        // `Vec<String>` (24 B a slot): 96 B per 7 calls, 13.7 B/iter.
        let shorter = profile(vec![point(1_008, 14, KEEP), point(768, 1, GROW)]);
        let longer = profile(vec![point(2_016, 28, KEEP), point(1_536, 1, GROW)]);
        let growing = growing_sites(&shorter, &longer, WINDOWS);
        assert_eq!(growing.sites.len(), 1, "{growing:?}");
        let site = &growing.sites[0];
        assert_eq!(site.bytes_per_iteration, 10.08 + 1_536.0 / 620.0);
        assert!(site.bytes_per_iteration <= 96.0 / 7.0, "{site:?}");
        assert_eq!(site.blocks_per_iteration, 0.14);
        // However dhat's backtrace of the reallocation begins.
        let shorter = profile(vec![point(1_008, 14, KEEP), point(768, 1, GROW_IN_STD)]);
        let longer = profile(vec![point(2_016, 28, KEEP), point(1_536, 1, GROW_IN_STD)]);
        let site = &growing_sites(&shorter, &longer, WINDOWS).sites[0];
        assert_eq!(site.bytes_per_iteration, 10.08 + 1_536.0 / 620.0);
        assert_eq!(site.blocks_per_iteration, 0.14);
    }

    #[test]
    fn reallocated_blocks_kept_per_call_are_blocks() {
        // A `Vec` shrunk into a `Box<[u8]>` kept per call: a reallocation
        // point gaining a block per iteration.
        let shorter = profile(vec![point(1_600, 100, GROW)]);
        let longer = profile(vec![point(3_200, 200, GROW)]);
        let site = &growing_sites(&shorter, &longer, WINDOWS).sites[0];
        assert_eq!(site.bytes_per_iteration, 16.0);
        assert_eq!(site.blocks_per_iteration, 1.0);
    }

    #[test]
    fn kept_blocks_rate_is_the_lesser_of_the_difference_and_the_longer_average() {
        // A steady leak: both say 5.
        assert_eq!(kept_blocks_rate(500, 1_000, WINDOWS), 5.0);
        // 300 B in flight at both ends: the difference cancels it.
        assert_eq!(kept_blocks_rate(800, 1_300, WINDOWS), 5.0);
        // Started at the longer window's middle: its average, 2.5, is all it shows.
        assert_eq!(kept_blocks_rate(0, 500, WINDOWS), 2.5);
        assert_eq!(kept_blocks_rate(1_000, 1_000, WINDOWS), 0.0);
        assert_eq!(kept_blocks_rate(1_000, 900, WINDOWS), 0.0);
        let equal = Windows {
            warmup_iterations: 0,
            iterations: [100, 100],
        };
        assert_eq!(kept_blocks_rate(0, 500, equal), 0.0);
        assert_eq!(
            buffer_rate(
                1_000,
                Windows {
                    warmup_iterations: 0,
                    iterations: [0, 0]
                }
            ),
            0.0
        );
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
        let windows = WINDOWS.iterations;
        assert!(grows(100, 200, windows));
        assert!(grows(100, 150, windows));
        assert!(!grows(100, 149, windows));
        assert!(!grows(100, 100, windows));
        assert!(grows(0, 1, windows));
        assert!(!grows(u64::MAX, u64::MAX, windows));
        let equal = Windows {
            warmup_iterations: 0,
            iterations: [100, 100],
        };
        assert!(growing_sites(&profile(vec![]), &profile(vec![]), equal)
            .sites
            .is_empty());
    }
}
