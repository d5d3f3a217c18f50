//! Decides, from one resource's series of samples, whether it grows without bound.
//!
//! The harness runs a test body `n` times and samples every resource (live heap
//! bytes, open fds, threads, ...) after each iteration; sample `i` is taken after
//! iteration `i` (0-based). After the last iteration it waits for the process to
//! settle (see [`has_settled`]) and the settled reading replaces the last sample.
//! The first `warmup` samples are not judged: lazy initialisation belongs there.
//!
//! Growth that must **not** count as a leak: one-time lazy init, a cache that
//! fills up to its capacity, a `Vec` or `HashMap` whose capacity doubled a few
//! times and then stopped, a few blocks of noise, memory that another thread
//! frees a moment later. [`analyze`] tells these from unbounded growth with one
//! rule, explained here on a series of `n = 12` samples with `warmup = 2`:
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
//! 3. **Noise** is the largest rise of a sample above its floor: `2`.
//! 4. **Rises** are the iterations where the floor steps up: 3, 5, 6, 7, 9, 10.
//! 5. **Late part.** Only what happens in the second half of the run (iterations
//!    `>= n / 2`, warm-up counted in `n`) decides: `late_growth` is what the floor
//!    gained there (`10 - 6 = 4`) and `late_rises` how often it stepped up (4).
//!    Bounded structures have stopped growing by then. (When the warm-up reaches
//!    past the middle, the late part is every judged iteration after the first.)
//! 6. **Quiet tail** is how many iterations have passed since the floor's last
//!    rise. Growth counts as ongoing while the quiet tail is at most three times
//!    the spacing of the rises (and at least a tenth of the run).
//! 7. **Verdict:**
//!    - no late growth: **not leaking** (it grew, then plateaued);
//!    - late growth no larger than the noise: **not leaking** (within noise);
//!    - two or more late rises and growth ongoing: **leaking**, as in this
//!      example (`4 > 2`, 4 rises, the last at the end);
//!    - one late rise, or rises that stopped a while ago: **needs confirmation**.
//!      The harness doubles the run and calls [`analyze`] again with
//!      `confirming = true`: then late growth beyond the noise that is still
//!      ongoing is **leaking**, and growth that stopped is **not leaking**.
//!
//! ```
//! use leaktest_core::analysis::{analyze, Verdict};
//!
//! let samples = [0, 4, 4, 6, 5, 6, 7, 10, 8, 9, 10, 10];
//! let analysis = analyze(&samples, 2, false);
//! assert_eq!(analysis.verdict, Verdict::Leaking);
//! assert_eq!(analysis.retained_growth, 6);
//! assert_eq!(analysis.noise, 2);
//! assert_eq!(analysis.late_rises, 4);
//!
//! // A cache that fills up by iteration 4 and then stays full.
//! let cache = [0, 8, 16, 24, 32, 32, 32, 32, 32, 32, 32, 32];
//! let analysis = analyze(&cache, 2, false);
//! assert_eq!(analysis.verdict, Verdict::NotLeaking);
//! assert_eq!(analysis.plateau_from, Some(4));
//! ```
//!
//! ## Why half of the run, and why a single late rise needs confirmation
//!
//! A container growing without bound by doubling its capacity steps at `t, 2t,
//! 4t, ...`: steps get rarer but never stop. Its last step before `n` lies at
//! `n / 2` or later (otherwise the next one, at twice its iteration, would still
//! be before `n`), so unbounded geometric growth always shows at least one rise in
//! the late part. A bounded structure's last resize can land there too. One late
//! rise therefore cannot be judged: the harness runs the test again for twice the
//! iterations and calls [`analyze`] with `confirming = true`. In the doubled run a
//! bounded structure's last resize falls in the first half (no late growth, not
//! leaking), while unbounded doubling steps again in the late half, and that one
//! rise is now a leak.
//!
//! ## Limits
//!
//! Growth over the late half that is no larger than the largest transient spike
//! is taken as noise: a leak of a few bytes per iteration next to a large
//! temporary buffer needs more iterations to show.

use crate::model::{Judgement, Reason, Resource};

/// What the rule concluded about a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The retained amount stopped growing before the late part of the run, or
    /// grew there by no more than the noise.
    NotLeaking,
    /// The retained amount kept rising through the late part of the run.
    Leaking,
    /// The retained amount rose exactly once in the late part: either unbounded
    /// geometric growth or a bounded structure's last resize. Run twice as many
    /// iterations and analyze again with `confirming = true`.
    NeedsConfirmation,
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
    /// Largest amount by which a judged sample rose above its floor.
    pub noise: i64,
    /// What the floor gained during the late part of the run: iterations
    /// `>= n / 2`, or every judged iteration after the first when the warm-up
    /// reaches past the middle of the run.
    pub late_growth: i64,
    /// How many times the floor stepped up during the late part of the run.
    pub late_rises: u64,
    /// The iteration of the floor's last rise, when it grew and then stayed flat
    /// through the late part of the run.
    pub plateau_from: Option<u64>,
    /// Which case of the rule decided, with its figures (rendered as text by
    /// `render::reason_sentence`).
    pub reason: Reason,
}

impl SeriesAnalysis {
    /// The verdict on `resource` as the serialisable [`Judgement`] of the
    /// result model.
    ///
    /// [`Verdict::NeedsConfirmation`] maps to `leaking = false`: callers are
    /// expected to confirm (run more iterations and analyze again with
    /// `confirming = true`) before turning an analysis into a judgement.
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
}

/// Judges a series of samples, one per iteration, by the rule in the
/// [module docs](self).
///
/// `series[i]` is the sample after iteration `i`, the last one settled; the first
/// `warmup` samples are not judged. With fewer than two judged samples the
/// series is not leaking. Pass `confirming = true` when judging a run that was
/// extended after a [`Verdict::NeedsConfirmation`].
///
/// ```
/// use leaktest_core::analysis::{analyze, Verdict};
///
/// // One block of 16 bytes kept every tenth iteration.
/// let series: Vec<i64> = (0..100).map(|i| 16 * (i / 10)).collect();
/// assert_eq!(analyze(&series, 10, false).verdict, Verdict::Leaking);
///
/// // Lazy init right after warm-up, then flat.
/// let series: Vec<i64> = (0..100).map(|i| if i < 12 { 0 } else { 4096 }).collect();
/// assert_eq!(analyze(&series, 10, false).verdict, Verdict::NotLeaking);
/// ```
pub fn analyze(series: &[i64], warmup: usize, confirming: bool) -> SeriesAnalysis {
    analyze_with(series, warmup, confirming, &Options::default())
}

/// What [`analyze_with`] needs to know beyond the series.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Options {
    /// How far the counter moved while the body was not running; the noise is
    /// at least this much.
    pub fluctuation_at_rest: i64,
}

impl Options {
    /// Options with the noise seen at rest.
    pub fn with_fluctuation_at_rest(fluctuation_at_rest: i64) -> Options {
        Options {
            fluctuation_at_rest,
        }
    }
}

/// [`analyze`] with [`Options`]: the noise seen at rest (how far the counter
/// moved while the body was not running, in the settle window: movement of
/// other threads that the samples may have caught at any level).
///
/// ```
/// use leaktest_core::analysis::{analyze_with, Options, Verdict};
/// use leaktest_core::model::Reason;
///
/// let series: Vec<i64> = (0..100).map(|i| 2048 * i).collect();
/// let analysis = analyze_with(&series, 10, false, &Options::default());
/// assert_eq!(
///     analysis.reason,
///     Reason::KeptRising { late_growth: 102_400, steps: 50, from_iteration: 50 }
/// );
///
/// // A background thread holds 1 to 385 bytes; sampling aliases it into a slow ramp.
/// let ramp: Vec<i64> = (0..100).map(|i| 1000 + 4 * i).collect();
/// assert_eq!(analyze_with(&ramp, 10, false, &Options::default()).verdict, Verdict::Leaking);
/// let at_rest = Options::with_fluctuation_at_rest(384);
/// assert_eq!(analyze_with(&ramp, 10, false, &at_rest).verdict, Verdict::NotLeaking);
/// ```
pub fn analyze_with(
    series: &[i64],
    warmup: usize,
    confirming: bool,
    options: &Options,
) -> SeriesAnalysis {
    let fluctuation_at_rest = options.fluctuation_at_rest;
    let judged_count = series.len().saturating_sub(warmup);
    if judged_count < 2 {
        return too_few_judged(judged_count);
    }
    // The last warm-up sample is the baseline, so the growth of every judged
    // iteration is counted, the first one's included.
    let baseline = warmup.saturating_sub(1);
    let judged = &series[baseline..];
    let floor = retained_floor(judged);
    let first_floor = floor[0];
    let last_floor = floor[floor.len() - 1];
    let retained_growth = last_floor.saturating_sub(first_floor);
    let judged_iterations = (judged.len() - 1) as u64;
    let noise = noise_amplitude(judged, &floor).max(fluctuation_at_rest);
    let rises = rise_positions(&floor);

    // Position in `judged` of the first late sample; at least 1, so that a late
    // rise always has a judged sample before it.
    let late_start = late_part_start(series.len(), warmup) - baseline;
    let late_growth = last_floor.saturating_sub(floor[late_start - 1]);
    let late_rises: Vec<usize> = rises.iter().copied().filter(|&j| j >= late_start).collect();
    let iteration = |position: usize| (baseline + position) as u64;

    let last_position = judged.len() - 1;
    let quiet_tail = rises
        .last()
        .map_or(last_position, |&last| last_position - last);
    let allowed_quiet = allowed_quiet_tail(&rises, &late_rises, series.len());
    let growth_stopped = quiet_tail > allowed_quiet;

    let quiet_iterations = quiet_tail as u64;
    let (verdict, plateau_from, reason) = if late_growth <= 0 {
        match rises.last() {
            Some(&last_rise) if retained_growth > 0 => (
                Verdict::NotLeaking,
                Some(iteration(last_rise)),
                Reason::Plateaued {
                    growth: retained_growth,
                    since_iteration: iteration(last_rise),
                },
            ),
            _ => (Verdict::NotLeaking, None, Reason::NoRetainedGrowth),
        }
    } else if late_growth <= noise {
        (Verdict::NotLeaking, None, Reason::WithinNoise { noise })
    } else if confirming && growth_stopped {
        let last_rise = rises.last().map_or(0, |&j| j);
        (
            Verdict::NotLeaking,
            Some(iteration(last_rise)),
            Reason::StoppedGrowing {
                growth: retained_growth,
                last_rise_iteration: iteration(last_rise),
                quiet_iterations,
            },
        )
    } else if confirming {
        let step = late_rises.last().map_or(late_start, |&j| j);
        (
            Verdict::Leaking,
            None,
            Reason::GrewThroughExtension {
                extended_to: series.len() as u64,
                late_growth,
                last_rise_iteration: iteration(step),
            },
        )
    } else if late_rises.len() >= 2 && !growth_stopped {
        (
            Verdict::Leaking,
            None,
            Reason::KeptRising {
                late_growth,
                steps: late_rises.len() as u64,
                from_iteration: iteration(late_start),
            },
        )
    } else if late_rises.len() >= 2 {
        (
            Verdict::NeedsConfirmation,
            None,
            Reason::PausedRising {
                steps: late_rises.len() as u64,
                quiet_iterations,
            },
        )
    } else {
        let step = late_rises.first().map_or(late_start, |&j| j);
        (
            Verdict::NeedsConfirmation,
            None,
            Reason::SingleLateStep {
                late_growth,
                at_iteration: iteration(step),
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
        reason,
    }
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

fn too_few_judged(judged_iterations: usize) -> SeriesAnalysis {
    SeriesAnalysis {
        verdict: Verdict::NotLeaking,
        retained_growth: 0,
        growth_per_iteration: 0.0,
        judged_iterations: judged_iterations as u64,
        noise: 0,
        late_growth: 0,
        late_rises: 0,
        plateau_from: None,
        reason: Reason::TooFewJudged {
            judged_iterations: judged_iterations as u64,
        },
    }
}

/// The first iteration of the late part of a run of `run_length` samples whose
/// first `warmup` are not judged: `run_length / 2`, or the first judged
/// iteration when the warm-up reaches past the middle (never 0). Only the
/// floor's growth from here on decides the verdict (step 5 of the
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

/// How many iterations without a rise still count as "growing": three times the
/// spacing of the rises (of the late ones when there are two or more, else of
/// the last two), and at least a tenth of the run. Without two rises there is no
/// spacing to go by, and any quiet tail is allowed.
fn allowed_quiet_tail(rises: &[usize], late_rises: &[usize], run_length: usize) -> usize {
    let spacing = match (late_rises, rises) {
        ([first, .., last], _) => (last - first) / (late_rises.len() - 1),
        (_, [.., before_last, last]) => last - before_last,
        _ => return usize::MAX,
    };
    (3 * spacing).max(run_length / 10)
}

/// The largest amount by which a sample rose above its floor.
fn noise_amplitude(samples: &[i64], floor: &[i64]) -> i64 {
    samples
        .iter()
        .zip(floor)
        .map(|(&sample, &retained)| sample.saturating_sub(retained))
        .max()
        .unwrap_or(0)
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
