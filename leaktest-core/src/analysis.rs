//! Decides, from one resource's series of samples, whether it grows without bound.
//!
//! The harness runs a test body `n` times (its declared iterations) and
//! samples every resource (live heap bytes, open fds, threads, ...) after each
//! iteration; sample `i` is taken after iteration `i` (0-based). After the last
//! iteration it waits for the process to settle (see [`has_settled`]) and the
//! settled reading replaces the last sample. The first `warmup` samples are not
//! judged: lazy initialisation belongs there.
//!
//! Growth that must **not** count as a leak: one-time lazy init, a cache that
//! fills up to its capacity (even a capacity larger than the run), a `Vec` or
//! `HashMap` whose capacity doubled a few times and then stopped, a pool or a
//! queue whose size wanders at random within a bound, a few blocks of noise,
//! memory that another thread frees a moment later. [`analyze`] tells these
//! from unbounded growth with one rule, explained here on a series of `n = 12`
//! samples with `warmup = 2`:
//!
//! ```text
//! iteration     0  1 |  2  3  4  5  6  7  8  9 10 11
//! sample        0  4 |  4  6  5  6  7 10  8  9 10 10
//! floor              |  4  5  5  6  7  8  8  9 10 10
//! above floor        |  0  1  0  0  0  2  0  0  0  0
//! late part          |              ^^^^^^^^^^^^^^^^ (iterations >= n/2 = 6)
//! ```
//!
//! 1. **Retained floor.** `floor[i]` is the smallest sample from `i` to the end.
//!    What rises above the floor is freed again later, so it is transient; only
//!    the floor is retained. Here the `10` of iteration 7 is a transient spike.
//! 2. **Retained growth** is what the floor gained over the judged part:
//!    `10 - 4 = 6`, that is `0.6` per judged iteration.
//! 3. **Late part.** Only what happens in the second half of the run
//!    (iterations `>= n / 2`, warm-up counted in `n`) decides: `late_growth` is
//!    what the floor gained there (`10 - 6 = 4`) and `late_rises` how often it
//!    stepped up (4). Bounded structures the run outgrew have stopped growing by
//!    then. (When the warm-up reaches past the middle, the late part is every
//!    judged iteration after the first.)
//! 4. **Noise** is the largest rise of a sample of the late part (and of the
//!    sample just before it) above its floor: `2`, or how far the counter moved
//!    while the body was not running, if that is more. A spike or a bump that
//!    happened earlier and was given back cannot lift the late floor, so it
//!    does not hide growth still going on at the end.
//! 5. **Quiet tail** is how many iterations have passed since the floor's last
//!    rise. Growth counts as stopped once the quiet tail is longer than seven
//!    times the spacing of the rises and a tenth of the run: a leak that keeps
//!    its pace pauses that long by chance about once in a thousand runs. The
//!    spacing is that of the late rises, and at least the late part's length
//!    divided by its rises: rises that came in a cluster (two collections
//!    doubling at nearby iterations) do not make a dense rate whose pause
//!    would mean it stopped.
//! 6. **At the declared length:** no late growth is **not leaking** (it grew,
//!    then plateaued), once the floor has been flat for more than three times
//!    the longest gap between its rises (else it **needs more iterations**:
//!    see "Why half of the run" below); late growth no larger than the noise
//!    is **not leaking** (within noise). Anything else grows, as here (`4 > 2`), and the series
//!    alone cannot tell a leak from a bounded structure still filling up: it
//!    **needs more iterations**.
//!
//! ```
//! use leaktest_core::analysis::{analyze, Verdict};
//! use leaktest_core::model::Reason;
//!
//! let samples = [0, 4, 4, 6, 5, 6, 7, 10, 8, 9, 10, 10];
//! let analysis = analyze(&samples, 2);
//! assert_eq!(analysis.verdict, Verdict::NeedsMoreIterations);
//! assert_eq!(analysis.retained_growth, 6);
//! assert_eq!(analysis.noise, 2);
//! assert_eq!(
//!     analysis.reason,
//!     Reason::KeptRising { late_growth: 4, steps: 4, from_iteration: 6 }
//! );
//!
//! // A cache that fills up by iteration 4 and then stays full.
//! let cache = [0, 8, 16, 24, 32, 32, 32, 32, 32, 32, 32, 32];
//! let analysis = analyze(&cache, 2);
//! assert_eq!(analysis.verdict, Verdict::NotLeaking);
//! assert_eq!(analysis.plateau_from, Some(4));
//! ```
//!
//! ## Adaptive length: growth is judged on a longer run
//!
//! A cache of 500 entries fed a new key per call looks exactly like a leak for
//! its first 500 calls, and a pool whose size wanders at random can drift up
//! through the second half of a short run. What tells them apart is length: a
//! leak keeps growing at its rate, a bounded structure stops, and a random
//! fluctuation's reach grows only like the square root of the run. So a series
//! that **needs more iterations** is not judged on the spot: the harness goes
//! on running the test in the same process, to twice its length at a time
//! ([`next_length`]: `n`, `2n`, `4n`, `8n`, then the cap of
//! [`EXTENSION_CAP_FACTOR`]` × n`), and judges the whole, longer series again
//! with the same steps, its late part being the second half of the longer run.
//! With the run extended to `L` iterations:
//!
//! - no late growth is **not leaking** (plateaued), with the same proviso on
//!   the quiet tail and the gaps between rises;
//! - late growth no larger than `L / n` times the noise is **not leaking**: the
//!   noise is allowed once per half of the *declared* run, so the rate a leak
//!   must exceed (noise per `n / 2` iterations) is the same however far the run
//!   was extended, while a fluctuation's reach does not keep up (a fluctuation).
//!   Past the cap (see [`next_length_past_cap`]) the noise is allowed no more
//!   than [`EXTENSION_CAP_FACTOR`] times: fluctuations are told apart by then,
//!   and the largest transient of a longer run keeps growing by itself;
//! - late growth that stopped (its quiet tail is long) is **not leaking**;
//! - anything else still grows, and needs more iterations.
//!
//! The run stops as soon as every resource is judged. When it cannot go on (it
//! reached the cap, the next length would not finish within the timeout, or
//! at its pace a resource would pass its limit), [`conclude`] gives the final
//! verdict: steady growth is **leaking**; a single late step, or rises that
//! paused, in a run that could not even be doubled is reported as not
//! confirmed, not as a leak. A test whose growth stops within the extension
//! can declare [`SeriesAnalysis::iterations_without_extension`] iterations to
//! be judged without it.
//!
//! ```
//! use leaktest_core::analysis::{analyze_with, conclude, Options, Verdict};
//! use leaktest_core::model::ExtensionEnd;
//!
//! // A cache of 300 entries, declared 100 iterations: plateaued at 400.
//! let cache: Vec<i64> = (0..400).map(|i| 64 * i.min(300)).collect();
//! let options = Options::default().declared_iterations(100);
//! assert_eq!(analyze_with(&cache, 10, &options).verdict, Verdict::NotLeaking);
//!
//! // One block of 16 bytes kept every tenth call: still growing at the cap.
//! let leak: Vec<i64> = (0..1000).map(|i| 16 * (i / 10)).collect();
//! let analysis = analyze_with(&leak, 10, &options);
//! assert_eq!(analysis.verdict, Verdict::NeedsMoreIterations);
//! assert_eq!(conclude(analysis, ExtensionEnd::Cap).verdict, Verdict::Leaking);
//! ```
//!
//! ## Why half of the run, and why a single late rise needs more iterations
//!
//! A container growing without bound by doubling its capacity, from empty,
//! steps at `t, 2t, 4t, ...`: steps get rarer but never stop. Its last step
//! before `n` lies at `n / 2` or later (otherwise the next one, at twice its
//! iteration, would still be before `n`), so such growth shows at least one
//! rise in the late part, at every length. A bounded structure's last resize
//! can land there too. One late rise therefore cannot be judged: in the doubled
//! run a bounded structure's last resize falls in the first half (no late
//! growth, not leaking), while unbounded doubling steps again in the late half.
//!
//! A container that did not start empty (a `Vec` of 30 elements, with room for
//! just them, gaining one per call) steps at `30, 90, 210, 450, ...`: each gap
//! twice the one before, but the steps are not tied to the run's halves, and
//! the doubled run of 200 iterations sees nothing after 90. What holds
//! wherever the growth began is the gaps: the next step comes within twice
//! the last gap. So a flat late part counts as a plateau only once the floor
//! has been flat for more than three times the longest gap between
//! its rises; until then the run needs more iterations (a third more than
//! twice covers rises that come every few calls). Where the run cannot go on,
//! a flat late part is reported as the plateau it shows: it is never a leak.
//!
//! ## Why the noise scales with the extension
//!
//! Over `m` iterations a leak of rate `r` gains `r · m`, while a driftless
//! random walk (a pool that takes or returns a buffer at random, a queue under
//! random load) reaches about `σ · √m`, and so does its largest fall, which is
//! what the noise measures. Against a fixed bound, a longer run would turn
//! every fluctuation into a leak; against `L / n` times the noise, the
//! fluctuation's share shrinks like `1 / √L` while a leak's rate keeps its
//! place. For a driftless walk of 1,000 steps, a second half that gains more
//! than ten times its largest fall happens in about one run in 8,000 (and the
//! walk must have looked like growth at every shorter length to get there);
//! a leak of one block per call inside such a pool, or 8 bytes a call under
//! transient noise of 100 bytes, is still caught, and reported at its own rate.
//!
//! ## Limits
//!
//! - Growth over the late part that is no larger than the largest transient
//!   spike of the late part is taken as noise: a leak of a few bytes per
//!   iteration next to a large temporary buffer held across iterations needs
//!   more iterations to show.
//! - A bounded structure still filling up in the last tenth of the longest run
//!   (a cache of more than about eight times the declared iterations fed a new
//!   key per call) is taken for a leak; so, often, is a table filled by keys
//!   drawn at random from a space of more than about the declared iterations,
//!   which fills ever more slowly. Declare more iterations for such tests.
//! - A collection that already holds many elements when the run starts and
//!   gains one per call steps only once within a run shorter than about three
//!   times what it held (its next doubling falls after the run's end): one
//!   rise followed by a flat late part reads as a plateau, exactly as the one
//!   resize of a bounded structure does. Its own elements' allocations, if
//!   any, are rises of their own and are caught as usual.
//! - A leak much slower than the fluctuation around it (one block every tenth
//!   call inside a pool that moves by a block every call) is taken for the
//!   fluctuation.
//! - A run longer than 2,048 iterations is kept at a bounded resolution:
//!   neighbouring samples are merged into points that keep their lowest and
//!   highest sample and their largest fall, so the floor and the noise are
//!   exact, while rises are counted per point.

use crate::model::{ExtensionEnd, Judgement, Reason, Resource};
use crate::series::{Point, PointSeries};

/// A run whose growth needs more iterations is extended up to this many times
/// its declared iterations (see [`next_length`]).
pub const EXTENSION_CAP_FACTOR: u64 = 10;

/// Past [`EXTENSION_CAP_FACTOR`], a run whose growth still needs more
/// iterations may go on while it is cheap (see [`next_length_past_cap`]), up
/// to this many times its declared iterations: a hard bound, so a leak that
/// costs nothing per call cannot run for ever.
pub const EXTENSION_MAX_FACTOR: u64 = 100;

/// Growth counts as stopped once the floor has not risen for this many times
/// the spacing of its rises (and for a tenth of the run): a leak that keeps
/// its pace pauses that long by chance with probability about `e^-7`, one in
/// a thousand, when its rises come at random.
const QUIET_SPACINGS: u64 = 7;

/// A floor that rose at least twice counts as plateaued only once it has been
/// flat for more than this many times the longest gap between its rises. A
/// collection that grows by doubling its capacity steps again within twice
/// its last gap, wherever its growth began (a `Vec` that starts with 30
/// elements and gains one per call steps at calls 30, 90, 210, 450: each gap
/// twice the one before); a third more covers rises that come every few
/// calls, or a growth factor up to three.
const QUIET_GAPS: u64 = 3;

/// What the rule concluded about a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The retained amount stopped growing, or grew no faster than its noise.
    NotLeaking,
    /// The retained amount kept growing faster than its noise until the run
    /// could not be extended any further.
    Leaking,
    /// The retained amount grows, and the series alone cannot tell yet whether
    /// it grows without bound (a leak) or is filling a bounded structure larger
    /// than the run (a cache, a table, the next resize of a collection). Run
    /// to [`next_length`] and analyze again; when the run cannot go on,
    /// [`conclude`] turns this into a verdict.
    NeedsMoreIterations,
}

/// The verdict on one series and the figures it was reached from.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesAnalysis {
    /// The conclusion.
    pub verdict: Verdict,
    /// What the retained floor gained over the judged samples (never negative).
    pub retained_growth: i64,
    /// `retained_growth` divided by `judged_iterations`.
    pub growth_per_iteration: f64,
    /// Number of judged samples (iterations after warm-up).
    pub judged_iterations: u64,
    /// Largest amount by which a sample of the late part rose above its
    /// floor, or the fluctuation seen at rest when larger.
    pub noise: i64,
    /// What the floor gained during the late part of the run: iterations
    /// `>= n / 2`, or every judged iteration after the first when the warm-up
    /// reaches past the middle of the run.
    pub late_growth: i64,
    /// How many times the floor stepped up during the late part of the run.
    pub late_rises: u64,
    /// The iteration of the floor's last rise, when it grew and then stopped.
    pub plateau_from: Option<u64>,
    /// The longest gap, in iterations, between two consecutive rises of the
    /// floor over the judged iterations (0 with fewer than two rises). A
    /// flat second half counts as a plateau only once the floor has been
    /// flat for more than three times this (see [`Reason::QuietShorterThanGaps`]).
    pub longest_rise_gap: u64,
    /// Iterations in the judged series (more than `declared_iterations` when
    /// the run was extended).
    pub iterations: u64,
    /// Iterations the test declared.
    pub declared_iterations: u64,
    /// Which case of the rule decided, with its figures (rendered as text by
    /// `render::reason_sentence`).
    pub reason: Reason,
}

impl SeriesAnalysis {
    /// The verdict on `resource` as the serialisable [`Judgement`] of the
    /// result model.
    ///
    /// [`Verdict::NeedsMoreIterations`] maps to `leaking = false`: callers
    /// are expected to run on, or to [`conclude`], before turning an analysis
    /// into a judgement.
    pub fn judgement(&self, resource: Resource) -> Judgement {
        Judgement::new(
            resource,
            self.verdict == Verdict::Leaking,
            self.retained_growth,
            self.growth_per_iteration,
            self.judged_iterations,
            self.reason.clone(),
        )
    }

    /// Iterations that would let a test whose run had to be extended be
    /// judged at its declared length: the growth stopped at iteration
    /// [`plateau_from`](Self::plateau_from), so a run more than twice as long
    /// sees a flat second half, and one that goes on for more than three
    /// times [`longest_rise_gap`](Self::longest_rise_gap) after it sees a
    /// quiet tail long enough. Rounded up to two significant digits, and
    /// never more than the run's own length. `None` unless the run was
    /// extended and then found growth that stopped with a flat second half:
    /// growth judged stopped by its quiet tail alone (its last rise in the
    /// second half of the run) would be extended again at any length the run
    /// reached, so no count is suggested for it.
    ///
    /// ```
    /// use leaktest_core::analysis::{analyze_with, Options, Verdict};
    ///
    /// // A cache of 300 entries, one new entry per call, in a run of 100
    /// // iterations extended to 800.
    /// let series: Vec<i64> = (0..800).map(|i| 48 * i.min(300)).collect();
    /// let analysis = analyze_with(&series, 10, &Options::default().declared_iterations(100));
    /// assert_eq!(analysis.verdict, Verdict::NotLeaking);
    /// assert_eq!(analysis.iterations_without_extension(), Some(610));
    /// ```
    pub fn iterations_without_extension(&self) -> Option<u64> {
        if self.iterations <= self.declared_iterations || self.verdict != Verdict::NotLeaking {
            return None;
        }
        let last_rise = self.plateau_from?;
        let flat_second_half = last_rise.saturating_add(1).saturating_mul(2);
        let quiet_tail_past_gaps = last_rise
            .saturating_add(2)
            .saturating_add(QUIET_GAPS.saturating_mul(self.longest_rise_gap));
        let needed = flat_second_half.max(quiet_tail_past_gaps);
        (needed > self.declared_iterations && needed <= self.iterations)
            .then(|| round_up_to_two_digits(needed).min(self.iterations))
    }
}

/// `value` rounded up to two significant digits: 1026 → 1100, 129 → 130.
fn round_up_to_two_digits(value: u64) -> u64 {
    let mut unit = 1u64;
    while value / unit >= 100 {
        unit = unit.saturating_mul(10);
    }
    value.div_ceil(unit).saturating_mul(unit)
}

/// What [`analyze_with`] needs to know beyond the series.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Options {
    /// How far the counter moved while the body was not running; the noise is
    /// at least this much.
    pub fluctuation_at_rest: i64,
    /// Iterations the test declared, when the series is longer because the
    /// run was extended (`None`: the series is as long as declared).
    pub declared_iterations: Option<u64>,
}

impl Options {
    /// Options with the noise seen at rest.
    pub fn with_fluctuation_at_rest(fluctuation_at_rest: i64) -> Options {
        Options {
            fluctuation_at_rest,
            declared_iterations: None,
        }
    }

    /// The same options, for a series of a run that declared `iterations`
    /// (and was extended past them when the series is longer).
    pub fn declared_iterations(self, iterations: u64) -> Options {
        Options {
            declared_iterations: Some(iterations),
            ..self
        }
    }
}

/// Judges a series of samples, one per iteration, by the rule in the
/// [module docs](self), as a run of `series.len()` declared iterations.
///
/// `series[i]` is the sample after iteration `i`, the last one settled; the
/// first `warmup` samples are not judged. With fewer than two judged samples
/// the series is not leaking.
///
/// ```
/// use leaktest_core::analysis::{analyze, Verdict};
///
/// // Lazy init right after warm-up, then flat.
/// let series: Vec<i64> = (0..100).map(|i| if i < 12 { 0 } else { 4096 }).collect();
/// assert_eq!(analyze(&series, 10).verdict, Verdict::NotLeaking);
///
/// // One block of 16 bytes kept every tenth iteration: it grows, and only a
/// // longer run can tell it from a table still filling up.
/// let series: Vec<i64> = (0..100).map(|i| 16 * (i / 10)).collect();
/// assert_eq!(analyze(&series, 10).verdict, Verdict::NeedsMoreIterations);
/// ```
pub fn analyze(series: &[i64], warmup: usize) -> SeriesAnalysis {
    analyze_with(series, warmup, &Options::default())
}

/// [`analyze`] with [`Options`]: the noise seen at rest (how far the counter
/// moved while the body was not running, in the settle window: movement of
/// other threads that the samples may have caught at any level), and the
/// declared iterations of a run that was extended.
///
/// ```
/// use leaktest_core::analysis::{analyze_with, conclude, Options, Verdict};
/// use leaktest_core::model::{ExtensionEnd, Reason};
///
/// // 2 KiB kept per call, run to the cap of ten times the declared 100 iterations.
/// let series: Vec<i64> = (0..1000).map(|i| 2048 * i).collect();
/// let options = Options::default().declared_iterations(100);
/// let analysis = conclude(analyze_with(&series, 10, &options), ExtensionEnd::Cap);
/// assert_eq!(analysis.verdict, Verdict::Leaking);
/// assert_eq!(
///     analysis.reason,
///     Reason::GrewThroughExtension { extended_to: 1000, late_growth: 1_024_000, last_rise_iteration: 999 }
/// );
///
/// // A background thread holds 1 to 385 bytes; sampling aliases it into a slow ramp.
/// let ramp: Vec<i64> = (0..100).map(|i| 1000 + 4 * i).collect();
/// let at_rest = Options::with_fluctuation_at_rest(384);
/// assert_eq!(analyze_with(&ramp, 10, &at_rest).verdict, Verdict::NotLeaking);
/// ```
pub fn analyze_with(series: &[i64], warmup: usize, options: &Options) -> SeriesAnalysis {
    let points = PointSeries::from_samples(series).to_points();
    analyze_points(&points, warmup as u64, options)
}

/// How long the run should be when a series of `current` iterations of a
/// test that declared `declared` needs more: twice as long, up to
/// [`EXTENSION_CAP_FACTOR`] times the declared iterations. `None` at the cap.
///
/// ```
/// use leaktest_core::analysis::next_length;
///
/// let stages: Vec<u64> = std::iter::successors(Some(100), |&n| next_length(100, n)).collect();
/// assert_eq!(stages, [100, 200, 400, 800, 1000]);
/// ```
pub fn next_length(declared: u64, current: u64) -> Option<u64> {
    let cap = declared.saturating_mul(EXTENSION_CAP_FACTOR);
    (current < cap).then(|| current.saturating_mul(2).min(cap))
}

/// How long the run should be, past the cap of [`next_length`], when a
/// series of `current` iterations of a test that declared `declared` still
/// needs more: twice as long, up to [`EXTENSION_MAX_FACTOR`] times the
/// declared iterations. `None` at that maximum. The driver goes there only
/// while the whole run fits a small budget of wall time and no resource
/// that costs the machine (descriptors, threads, processes) grows.
///
/// ```
/// use leaktest_core::analysis::next_length_past_cap;
///
/// let stages: Vec<u64> =
///     std::iter::successors(Some(1000), |&n| next_length_past_cap(100, n)).collect();
/// assert_eq!(stages, [1000, 2000, 4000, 8000, 10000]);
/// ```
pub fn next_length_past_cap(declared: u64, current: u64) -> Option<u64> {
    let maximum = declared.saturating_mul(EXTENSION_MAX_FACTOR);
    (current < maximum).then(|| current.saturating_mul(2).min(maximum))
}

/// The final verdict on a series whose run cannot go on: growth that still
/// needed more iterations is a leak when it was steady (it kept rising
/// through the run, or through its extension), and is reported as not
/// confirmed, not as a leak, when it was a single late step or rises that
/// had paused, in a run that could not even be doubled. A flat late part
/// whose quiet tail was too short to rule out another doubling
/// ([`Reason::QuietShorterThanGaps`]) is the plateau it shows. Other
/// analyses are returned unchanged.
///
/// ```
/// use leaktest_core::analysis::{analyze, conclude, Verdict};
/// use leaktest_core::model::ExtensionEnd;
///
/// // One byte kept per call, in a test too slow to be extended within its timeout.
/// let series: Vec<i64> = (0..100).map(|i| 1000 + i).collect();
/// assert_eq!(conclude(analyze(&series, 10), ExtensionEnd::Timeout).verdict, Verdict::Leaking);
///
/// // One step late in the run: the last resize of a bounded table, or not.
/// let step: Vec<i64> = (0..100).map(|i| if i < 70 { 1000 } else { 3000 }).collect();
/// assert_eq!(conclude(analyze(&step, 10), ExtensionEnd::Timeout).verdict, Verdict::NotLeaking);
/// ```
pub fn conclude(analysis: SeriesAnalysis, end: ExtensionEnd) -> SeriesAnalysis {
    if analysis.verdict != Verdict::NeedsMoreIterations {
        return analysis;
    }
    let (verdict, reason) = match analysis.reason {
        steady @ (Reason::KeptRising { .. } | Reason::GrewThroughExtension { .. }) => {
            (Verdict::Leaking, steady)
        }
        // A flat second half is never a leak: where the run must end, it
        // plateaued, as far as the run could tell.
        Reason::QuietShorterThanGaps {
            growth,
            last_rise_iteration,
            ..
        } => {
            return SeriesAnalysis {
                verdict: Verdict::NotLeaking,
                plateau_from: Some(last_rise_iteration),
                reason: Reason::Plateaued {
                    growth,
                    since_iteration: last_rise_iteration,
                },
                ..analysis
            };
        }
        pending => {
            let pending = Box::new(pending);
            let reason = match end {
                ExtensionEnd::Limit { resource, limit } => Reason::NotExtendedNearLimit {
                    pending,
                    limited: resource,
                    limit,
                },
                _ => Reason::CouldNotConfirm { pending },
            };
            (Verdict::NotLeaking, reason)
        }
    };
    SeriesAnalysis {
        verdict,
        reason,
        ..analysis
    }
}

/// The verdict on a series judged again after the confirmation wait: `before`
/// is the concluded analysis at the end of the run, `after` the analysis of
/// the same series whose last sample is the lowest reading of the wait, both
/// concluded where the run ended. Growth that was a leak before and is none
/// after was released while the process was watched, by a timer or a flusher
/// later than the settle window: it is not a leak, and the reason says so
/// (with the leak's reason and `waited_ms`, the time until its release).
///
/// ```
/// use leaktest_core::analysis::{after_confirmation_wait, analyze, conclude, Verdict};
/// use leaktest_core::model::{ExtensionEnd, Reason};
///
/// // 50 bytes a call queued for a flusher that runs every second.
/// let mut series: Vec<i64> = (0..100).map(|i| 1000 + 50 * i).collect();
/// let before = conclude(analyze(&series, 10), ExtensionEnd::Timeout);
/// assert_eq!(before.verdict, Verdict::Leaking);
/// // The flush, seen 800 ms after the run.
/// *series.last_mut().unwrap() = 1000;
/// let after = conclude(analyze(&series, 10), ExtensionEnd::Timeout);
/// let confirmed = after_confirmation_wait(before, after, 800);
/// assert_eq!(confirmed.verdict, Verdict::NotLeaking);
/// assert!(matches!(confirmed.reason, Reason::ReleasedAfterRun { waited_ms: 800, .. }));
/// ```
pub fn after_confirmation_wait(
    before: SeriesAnalysis,
    after: SeriesAnalysis,
    waited_ms: u64,
) -> SeriesAnalysis {
    if before.verdict != Verdict::Leaking || after.verdict == Verdict::Leaking {
        return after;
    }
    SeriesAnalysis {
        reason: Reason::ReleasedAfterRun {
            pending: Box::new(before.reason),
            waited_ms,
        },
        ..after
    }
}

/// [`analyze_with`] over a series kept at a bounded resolution (see
/// [`crate::series`]): the rule is the same, with rises and the start of the
/// late part found to the resolution of the points.
pub(crate) fn analyze_points(points: &[Point], warmup: u64, options: &Options) -> SeriesAnalysis {
    let Some(last) = points.last() else {
        return too_few_judged(0, 0);
    };
    let iterations = last.first_iteration + 1;
    let declared_iterations = options
        .declared_iterations
        .unwrap_or(iterations)
        .clamp(1, iterations);
    let judged_count = iterations.saturating_sub(warmup);
    // The last warm-up sample is the baseline, so the growth of every judged
    // iteration is counted, the first one's included.
    let baseline = warmup.saturating_sub(1);
    let judged = &points[points.partition_point(|point| point.first_iteration < baseline)..];
    if judged_count < 2 || judged.len() < 2 {
        return too_few_judged(judged_count, iterations);
    }
    let floor = point_floor(judged);
    let first_floor = floor[0];
    let last_floor = floor[floor.len() - 1];
    let retained_growth = last_floor.saturating_sub(first_floor);
    let first_iteration = judged[0].first_iteration;
    let judged_iterations = iterations - 1 - first_iteration;

    // Index in `judged` of the first late point; at least 1, so that a late
    // rise always has a judged point before it.
    let late_start_iteration =
        (late_part_start(iterations as usize, warmup as usize) as u64).max(first_iteration + 1);
    let late_start = judged
        .partition_point(|point| point.first_iteration < late_start_iteration)
        .max(1);
    let late_growth = last_floor.saturating_sub(floor[late_start - 1]);
    let noise = noise_amplitude(&judged[late_start - 1..], &floor[late_start - 1..])
        .max(options.fluctuation_at_rest);
    let rises = rise_positions(&floor);
    let late_rises: Vec<usize> = rises.iter().copied().filter(|&p| p >= late_start).collect();
    let iteration_of = |position: usize| judged[position].first_iteration;
    let rise_iterations: Vec<u64> = rises.iter().map(|&p| iteration_of(p)).collect();
    let late_rise_iterations: Vec<u64> = late_rises.iter().map(|&p| iteration_of(p)).collect();

    let last_iteration = iterations - 1;
    let quiet_iterations = rise_iterations
        .last()
        .map_or(last_iteration - first_iteration, |&last_rise| {
            last_iteration - last_rise
        });
    // Whether the rises paused, at the pace of the late rises (a run that
    // cannot be extended reports paused rises as not confirmed), and whether
    // growth stopped, at the slower of that pace and the late part's mean
    // (an extended run that stopped growing is not leaking).
    let rise_spacing = rise_spacing(&rise_iterations, &late_rise_iterations);
    let rises_paused = rise_spacing
        .is_some_and(|spacing| quiet_iterations > allowed_quiet_tail(spacing, iterations));
    let late_part_spacing = match late_rise_iterations.len() as u64 {
        0 => 0,
        count => iterations.saturating_sub(late_start_iteration) / count,
    };
    let growth_stopped = rise_spacing.is_some_and(|spacing| {
        quiet_iterations > allowed_quiet_tail(spacing.max(late_part_spacing), iterations)
    });
    let extended = iterations > declared_iterations;
    let last_rise = rise_iterations.last().copied();
    let longest_rise_gap = longest_gap(&rise_iterations);
    // The late growth a leak must exceed: the noise over every half of the
    // declared run, so the rate caught is the same however far the run was
    // extended, while a fluctuation's reach grows only with the square root
    // of the length. Past the cap the allowance stays that of the cap: every
    // fluctuation was told apart by then, and the noise, the largest
    // transient of a longer run, keeps growing by itself (a backlog behind a
    // worker thread), so a run extended while cheap must not grow more
    // lenient than one that stopped at the cap.
    let allowed_growth = scale(
        noise,
        iterations.min(declared_iterations.saturating_mul(EXTENSION_CAP_FACTOR)),
        declared_iterations,
    );

    let (verdict, plateau_from, reason) = if late_growth <= 0 {
        match last_rise {
            Some(last_rise)
                if retained_growth > 0
                    && quiet_iterations <= QUIET_GAPS.saturating_mul(longest_rise_gap) =>
            {
                (
                    Verdict::NeedsMoreIterations,
                    None,
                    Reason::QuietShorterThanGaps {
                        growth: retained_growth,
                        last_rise_iteration: last_rise,
                        longest_gap: longest_rise_gap,
                        quiet_iterations,
                    },
                )
            }
            Some(last_rise) if retained_growth > 0 => (
                Verdict::NotLeaking,
                Some(last_rise),
                Reason::Plateaued {
                    growth: retained_growth,
                    since_iteration: last_rise,
                },
            ),
            _ => (Verdict::NotLeaking, None, Reason::NoRetainedGrowth),
        }
    } else if late_growth <= allowed_growth && !extended {
        (Verdict::NotLeaking, None, Reason::WithinNoise { noise })
    } else if late_growth <= allowed_growth {
        (
            Verdict::NotLeaking,
            None,
            Reason::FluctuatedThroughExtension {
                extended_to: iterations,
                late_growth,
                noise,
                allowed_growth,
            },
        )
    } else if extended && growth_stopped {
        let last_rise = last_rise.unwrap_or(first_iteration);
        (
            Verdict::NotLeaking,
            Some(last_rise),
            Reason::StoppedGrowing {
                growth: retained_growth,
                last_rise_iteration: last_rise,
                quiet_iterations,
            },
        )
    } else if extended {
        let last_rise_iteration = late_rise_iterations
            .last()
            .copied()
            .unwrap_or(late_start_iteration);
        (
            Verdict::NeedsMoreIterations,
            None,
            Reason::GrewThroughExtension {
                extended_to: iterations,
                late_growth,
                last_rise_iteration,
            },
        )
    } else if late_rises.len() >= 2 && !rises_paused {
        (
            Verdict::NeedsMoreIterations,
            None,
            Reason::KeptRising {
                late_growth,
                steps: late_rises.len() as u64,
                from_iteration: iteration_of(late_start),
            },
        )
    } else if late_rises.len() >= 2 {
        (
            Verdict::NeedsMoreIterations,
            None,
            Reason::PausedRising {
                steps: late_rises.len() as u64,
                quiet_iterations,
            },
        )
    } else {
        let step = late_rise_iterations
            .first()
            .copied()
            .unwrap_or(late_start_iteration);
        (
            Verdict::NeedsMoreIterations,
            None,
            Reason::SingleLateStep {
                late_growth,
                at_iteration: step,
            },
        )
    };

    SeriesAnalysis {
        verdict,
        retained_growth,
        growth_per_iteration: retained_growth as f64 / judged_iterations as f64,
        judged_iterations,
        noise,
        late_growth,
        late_rises: late_rises.len() as u64,
        plateau_from,
        longest_rise_gap,
        iterations,
        declared_iterations,
        reason,
    }
}

/// `amount` scaled by `iterations / declared`, saturating.
fn scale(amount: i64, iterations: u64, declared: u64) -> i64 {
    let scaled = i128::from(amount) * i128::from(iterations) / i128::from(declared.max(1));
    i64::try_from(scaled).unwrap_or(if scaled < 0 { i64::MIN } else { i64::MAX })
}

/// Whether counters read repeatedly after the last iteration have stopped falling:
/// true when none of the last `quiet` readings is below the smallest reading
/// taken before them.
///
/// The harness re-reads until this holds (or its settle window ends), so memory
/// that other threads free shortly after the body returns is not counted. With
/// `quiet == 0` any non-empty list of readings has settled; with no reading
/// before the last `quiet` ones nothing can be told yet.
///
/// ```
/// use leaktest_core::analysis::has_settled;
///
/// assert!(!has_settled(&[900, 700, 500], 2)); // still falling
/// assert!(has_settled(&[900, 700, 500, 500, 520], 2)); // stopped falling
/// ```
pub fn has_settled(readings: &[i64], quiet: usize) -> bool {
    let Some(split) = readings.len().checked_sub(quiet) else {
        return false;
    };
    let (earlier, latest) = readings.split_at(split);
    match earlier.iter().min() {
        Some(&lowest_earlier) => latest.iter().all(|&reading| reading >= lowest_earlier),
        None => false,
    }
}

/// Follows one counter through the settle window, reading by reading, in
/// constant space: the streaming form of [`has_settled`], plus the lowest
/// reading (the settled value) and the largest fall after a high reading (how
/// much the counter moves at rest: an oscillation's amplitude, while a steady
/// rise counts for nothing).
///
/// ```
/// use leaktest_core::analysis::SettleTracker;
///
/// let mut tracker = SettleTracker::new(900);
/// for reading in [700, 500, 520, 500] {
///     tracker.push(reading);
/// }
/// assert!(tracker.has_settled(2));
/// assert_eq!(tracker.lowest(), 500);
/// assert_eq!(tracker.fluctuation(), 400);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettleTracker {
    lowest: i64,
    highest: i64,
    largest_fall: i64,
    since_new_lowest: usize,
    readings: usize,
}

impl SettleTracker {
    /// Starts with the first reading.
    pub fn new(first: i64) -> Self {
        SettleTracker {
            lowest: first,
            highest: first,
            largest_fall: 0,
            since_new_lowest: 0,
            readings: 1,
        }
    }

    /// Takes the next reading.
    pub fn push(&mut self, reading: i64) {
        self.readings += 1;
        if reading < self.lowest {
            self.lowest = reading;
            self.since_new_lowest = 0;
        } else {
            self.since_new_lowest += 1;
        }
        self.highest = self.highest.max(reading);
        self.largest_fall = self.largest_fall.max(self.highest.saturating_sub(reading));
    }

    /// [`has_settled`] over the readings taken so far.
    pub fn has_settled(&self, quiet: usize) -> bool {
        self.readings > quiet && self.since_new_lowest >= quiet
    }

    /// The lowest reading so far.
    pub fn lowest(&self) -> i64 {
        self.lowest
    }

    /// The largest fall from an earlier reading to a later one.
    pub fn fluctuation(&self) -> i64 {
        self.largest_fall
    }
}

fn too_few_judged(judged_iterations: u64, iterations: u64) -> SeriesAnalysis {
    SeriesAnalysis {
        verdict: Verdict::NotLeaking,
        retained_growth: 0,
        growth_per_iteration: 0.0,
        judged_iterations,
        noise: 0,
        late_growth: 0,
        late_rises: 0,
        plateau_from: None,
        longest_rise_gap: 0,
        iterations,
        declared_iterations: iterations,
        reason: Reason::TooFewJudged { judged_iterations },
    }
}

/// The first iteration of the late part of a run of `run_length` samples whose
/// first `warmup` are not judged: `run_length / 2`, or the first judged
/// iteration when the warm-up reaches past the middle (never 0). Only the
/// floor's growth from here on decides the verdict (step 3 of the
/// [module docs](self)); reports mark this part of the series.
///
/// ```
/// use leaktest_core::analysis::late_part_start;
///
/// assert_eq!(late_part_start(100, 10), 50);
/// assert_eq!(late_part_start(400, 20), 200); // a run extended to confirm
/// assert_eq!(late_part_start(12, 8), 8); // the warm-up reaches past the middle
/// ```
pub fn late_part_start(run_length: usize, warmup: usize) -> usize {
    (run_length / 2).max(warmup).max(1)
}

/// The retained floor of `samples` (step 1 of the [module docs](self)):
/// element `i` is the smallest of `samples[i..]`, the amount that is never
/// freed again after sample `i`.
///
/// ```
/// use leaktest_core::analysis::retained_floor;
///
/// assert_eq!(retained_floor(&[4, 6, 5, 9, 7]), [4, 5, 5, 7, 7]);
/// assert!(retained_floor(&[]).is_empty());
/// ```
pub fn retained_floor(samples: &[i64]) -> Vec<i64> {
    let mut floor: Vec<i64> = samples
        .iter()
        .rev()
        .scan(i64::MAX, |lowest, &sample| {
            *lowest = (*lowest).min(sample);
            Some(*lowest)
        })
        .collect();
    floor.reverse();
    floor
}

/// [`retained_floor`] over points: element `p` is the smallest sample from
/// point `p` to the end, the amount that is never freed again after point
/// `p` starts.
fn point_floor(points: &[Point]) -> Vec<i64> {
    let mut floor: Vec<i64> = points
        .iter()
        .rev()
        .scan(i64::MAX, |lowest, point| {
            *lowest = (*lowest).min(point.lowest);
            Some(*lowest)
        })
        .collect();
    floor.reverse();
    floor
}

/// How many iterations without a rise still count as "growing", for rises
/// `spacing` iterations apart: [`QUIET_SPACINGS`] times the spacing, and at
/// least a tenth of the run.
fn allowed_quiet_tail(spacing: u64, run_length: u64) -> u64 {
    QUIET_SPACINGS.saturating_mul(spacing).max(run_length / 10)
}

/// The spacing of the rises: of the late ones between the first and the last
/// of them, or of the last two rises when fewer than two are late. `None`
/// without two rises: there is no spacing to go by, and any quiet tail is
/// allowed.
///
/// Whether an extended run's growth stopped is judged at the larger of this
/// and the mean spacing over the whole late part, quiet tail included (its
/// length divided by its rises). The first is the pace of a rate that has
/// stopped: a cache that filled in the late part rises densely, then stays
/// quiet. The second keeps clustered rises from standing for a dense rate:
/// two collections doubling at nearby iterations (at 120 and 128, next at 240
/// and 256) rise twice in a late part of a hundred iterations, and are quiet
/// for as long as they have grown, which is no sign that they stopped.
fn rise_spacing(rises: &[u64], late_rises: &[u64]) -> Option<u64> {
    match (late_rises, rises) {
        ([first, .., last], _) => Some((last - first) / (late_rises.len() as u64 - 1)),
        (_, [.., before_last, last]) => Some(last - before_last),
        _ => None,
    }
}

/// The longest gap between two consecutive rises at `rise_iterations`; 0
/// with fewer than two.
fn longest_gap(rise_iterations: &[u64]) -> u64 {
    rise_iterations
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .max()
        .unwrap_or(0)
}

/// The largest amount by which a sample of `points` rose above its floor: in
/// each point, its largest fall, or its highest sample above the floor after
/// it, whichever is larger.
fn noise_amplitude(points: &[Point], floor: &[i64]) -> i64 {
    points
        .iter()
        .enumerate()
        .map(|(position, point)| {
            let above_later_floor = floor
                .get(position + 1)
                .map_or(0, |&later| point.highest.saturating_sub(later));
            point.largest_fall.max(above_later_floor)
        })
        .max()
        .unwrap_or(0)
        .max(0)
}

/// Positions at which the floor stepped up from the previous position.
fn rise_positions(floor: &[i64]) -> Vec<usize> {
    floor
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| pair[1] > pair[0])
        .map(|(position, _)| position + 1)
        .collect()
}

#[cfg(test)]
mod tests;
