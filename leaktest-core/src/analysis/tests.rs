//! The rule on synthetic series: leaks, and growth that must not count as one.

use super::*;
use crate::series::PointSeries;

const ITERATIONS: usize = 100;
const WARMUP: usize = 10;

/// `iterations` samples, sample `i` given by `sample(i)`.
fn series(iterations: usize, sample: impl Fn(usize) -> i64) -> Vec<i64> {
    (0..iterations).map(sample).collect()
}

/// A deterministic pseudo-random source (Knuth's MMIX LCG), so noisy series
/// are the same on every run.
struct Lcg(u64);

impl Lcg {
    /// A value in `0..=max`.
    fn up_to(&mut self, max: u64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % (max + 1)) as i64
    }
}

/// `iterations` samples of `base(i)` plus transient noise in `0..=amplitude`; the
/// last, settled sample carries no noise.
fn noisy(iterations: usize, amplitude: u64, base: impl Fn(usize) -> i64) -> Vec<i64> {
    let mut lcg = Lcg(0x5eed);
    let mut samples = series(iterations, &base);
    for sample in &mut samples {
        *sample += lcg.up_to(amplitude);
    }
    if let Some(last) = samples.last_mut() {
        *last = base(iterations - 1);
    }
    samples
}

/// Capacity in bytes of a vector of 16-byte elements pushed once per iteration,
/// doubling from 4 elements: steps at iterations 4, 8, 16, 32, 64, 128.
fn doubling_capacity_bytes(iteration: usize) -> i64 {
    16 * (iteration + 1).next_power_of_two().max(4) as i64
}

/// Judges `samples` as the analysis of a run that declared `declared`
/// iterations (extended when `samples` is longer).
fn analyze_declared(samples: &[i64], warmup: usize, declared: usize) -> SeriesAnalysis {
    let options = Options::default().declared_iterations(declared as u64);
    analyze_with(samples, warmup, &options)
}

#[track_caller]
fn assert_verdict(
    samples: &[i64],
    warmup: usize,
    declared: usize,
    expected: Verdict,
) -> SeriesAnalysis {
    let analysis = analyze_declared(samples, warmup, declared);
    assert_eq!(
        analysis.verdict, expected,
        "{analysis:#?}\nseries: {samples:?}"
    );
    analysis
}

/// Judges the series `sample(i)` as the driver judges a test of `declared`
/// iterations: at the declared length, then, while it needs more
/// iterations, at every [`next_length`], concluded at the cap.
fn judge_extending(
    declared: usize,
    warmup: usize,
    sample: impl Fn(usize) -> i64,
) -> SeriesAnalysis {
    let mut length = declared as u64;
    loop {
        let samples = series(length as usize, &sample);
        let analysis = analyze_declared(&samples, warmup, declared);
        if analysis.verdict != Verdict::NeedsMoreIterations {
            return analysis;
        }
        match next_length(declared as u64, length) {
            Some(next) => length = next,
            None => return conclude(analysis, ExtensionEnd::Cap),
        }
    }
}

#[track_caller]
fn assert_judged(
    declared: usize,
    warmup: usize,
    expected: Verdict,
    sample: impl Fn(usize) -> i64,
) -> SeriesAnalysis {
    let analysis = judge_extending(declared, warmup, sample);
    assert_eq!(analysis.verdict, expected, "{analysis:#?}");
    analysis
}

// Leaks. At the declared length steady growth needs more iterations (it
// could be a table still filling up); through the extension it leaks.

#[test]
fn one_byte_every_iteration_leaks() {
    let samples = series(ITERATIONS, |i| 1000 + i as i64);
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    assert_eq!(analysis.retained_growth, 90);
    assert_eq!(analysis.judged_iterations, 90);
    assert!((analysis.growth_per_iteration - 1.0).abs() < 1e-12);
    assert_eq!(analysis.noise, 0);
    assert_eq!(analysis.late_rises, 50);
    assert_eq!(analysis.late_growth, 50);
    assert_eq!(
        analysis.reason,
        Reason::KeptRising {
            late_growth: 50,
            steps: 50,
            from_iteration: 50
        }
    );
    let judged = assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, |i| 1000 + i as i64);
    assert_eq!(judged.iterations, 1000);
    assert_eq!(judged.retained_growth, 990);
    assert_eq!(
        judged.reason,
        Reason::GrewThroughExtension {
            extended_to: 1000,
            late_growth: 500,
            last_rise_iteration: 999
        }
    );
}

#[test]
fn one_block_every_tenth_iteration_leaks() {
    let block_every_tenth = |i: usize| 4096 + 16 * (i / 10) as i64;
    let samples = series(ITERATIONS, block_every_tenth);
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    assert_eq!(analysis.late_rises, 5);
    assert_eq!(analysis.retained_growth, 16 * 9);
    let judged = assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, block_every_tenth);
    assert!(
        (judged.growth_per_iteration - 1.6).abs() < 0.02,
        "{judged:?}"
    );
}

#[test]
fn one_byte_every_iteration_under_transient_noise_leaks() {
    let samples = noisy(ITERATIONS, 3, |i| 1000 + i as i64);
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    assert!(analysis.noise > 0 && analysis.noise <= 3, "{analysis:?}");
    assert!(analysis.retained_growth >= 86, "{analysis:?}");
    let extended = noisy(10 * ITERATIONS, 3, |i| 1000 + i as i64);
    let analysis = conclude(
        assert_verdict(&extended, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations),
        ExtensionEnd::Cap,
    );
    assert_eq!(analysis.verdict, Verdict::Leaking);
}

#[test]
fn leak_starting_at_iteration_30_leaks() {
    let late_onset = |i: usize| 500 + 24 * i.saturating_sub(30) as i64;
    let samples = series(ITERATIONS, late_onset);
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    assert_eq!(analysis.retained_growth, 24 * 69);
    assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, late_onset);
}

#[test]
fn leak_starting_at_iteration_90_leaks() {
    assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, |i| {
        500 + 24 * i.saturating_sub(90) as i64
    });
}

#[test]
fn linear_growth_under_a_periodic_sawtooth_leaks() {
    // A buffer filled by 20 bytes per iteration and cleared every 7, plus 8 bytes
    // kept per iteration.
    let sawtooth = |i: usize| 8 * i as i64 + 20 * (i % 7) as i64;
    let samples = series(ITERATIONS, sawtooth);
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    assert!(analysis.noise > 20, "{analysis:?}");
    assert!(analysis.late_growth > analysis.noise, "{analysis:?}");
    let judged = assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, sawtooth);
    assert!(
        (judged.growth_per_iteration - 8.0).abs() < 0.2,
        "{judged:?}"
    );
}

#[test]
fn geometric_doubling_needs_confirmation() {
    let samples = series(ITERATIONS, doubling_capacity_bytes);
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    assert_eq!(analysis.late_rises, 1);
    assert_eq!(analysis.late_growth, 16 * 64);
    assert_eq!(
        analysis.reason,
        Reason::SingleLateStep {
            late_growth: 16 * 64,
            at_iteration: 64
        }
    );
    assert!(!analysis.judgement(Resource::HeapBytes).leaking);
}

#[test]
fn geometric_doubling_keeps_growing_through_the_extension() {
    let samples = series(2 * ITERATIONS, doubling_capacity_bytes);
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    assert_eq!(analysis.late_rises, 1);
    assert!(
        matches!(
            analysis.reason,
            Reason::GrewThroughExtension {
                extended_to: 200,
                ..
            }
        ),
        "{:?}",
        analysis.reason
    );
    // A run that cannot go on is judged where it stands.
    let concluded = conclude(analysis, ExtensionEnd::Timeout);
    assert!(concluded.judgement(Resource::HeapBytes).leaking);
    let judged = assert_judged(
        ITERATIONS,
        WARMUP,
        Verdict::Leaking,
        doubling_capacity_bytes,
    );
    assert_eq!(judged.iterations, 1000);
}

#[test]
fn geometric_doubling_without_an_extension_still_needs_more_iterations() {
    let samples = series(2 * ITERATIONS, doubling_capacity_bytes);
    assert_verdict(
        &samples,
        WARMUP,
        2 * ITERATIONS,
        Verdict::NeedsMoreIterations,
    );
}

// Not leaks.

#[test]
fn flat_series_is_not_leaking() {
    let samples = vec![4096; ITERATIONS];
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NotLeaking);
    assert_eq!(analysis.retained_growth, 0);
    assert_eq!(analysis.reason, Reason::NoRetainedGrowth);
    assert_eq!(analysis.plateau_from, None);
}

#[test]
fn lazy_init_during_warmup_is_not_leaking() {
    let samples = series(ITERATIONS, |i| if i < 3 { 100 } else { 100_000 });
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NotLeaking);
    assert_eq!(analysis.retained_growth, 0);
}

#[test]
fn lazy_init_after_warmup_is_not_leaking() {
    let samples = series(ITERATIONS, |i| if i < 12 { 100 } else { 100_000 });
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NotLeaking);
    assert_eq!(analysis.retained_growth, 99_900);
    assert_eq!(analysis.plateau_from, Some(12));
    assert_eq!(
        analysis.reason,
        Reason::Plateaued {
            growth: 99_900,
            since_iteration: 12
        }
    );
}

#[test]
fn cache_filling_up_to_capacity_is_not_leaking() {
    let samples = series(ITERATIONS, |i| 64 * i.min(40) as i64);
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NotLeaking);
    assert_eq!(analysis.retained_growth, 64 * 31);
    assert_eq!(analysis.plateau_from, Some(40));
}

#[test]
fn stationary_transient_noise_is_not_leaking() {
    let samples = noisy(ITERATIONS, 5, |_| 2048);
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NotLeaking);
    assert_eq!(analysis.retained_growth, 0);
    assert!(analysis.noise > 0 && analysis.noise <= 5, "{analysis:?}");
}

#[test]
fn stationary_noise_left_in_the_last_sample_is_within_noise() {
    let mut samples = noisy(ITERATIONS, 5, |_| 2048);
    if let Some(last) = samples.last_mut() {
        *last = 2048 + 4;
    }
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NotLeaking);
    assert_eq!(analysis.late_growth, 4);
    assert!(
        matches!(analysis.reason, Reason::WithinNoise { .. }),
        "{:?}",
        analysis.reason
    );
}

#[test]
fn periodic_sawtooth_is_not_leaking() {
    // A buffer filled by 50 bytes per iteration and cleared every 7 iterations.
    let samples = series(ITERATIONS, |i| 1000 + 50 * (i % 7) as i64);
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NotLeaking);
    assert_eq!(analysis.noise, 300);
}

#[test]
fn single_late_step_needs_more_iterations() {
    let samples = series(ITERATIONS, |i| if i < 70 { 1000 } else { 3000 });
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    assert!(!analysis.judgement(Resource::HeapBytes).leaking);
    // A run that cannot be doubled in time reports it unconfirmed, not as a leak.
    let concluded = conclude(analysis.clone(), ExtensionEnd::Timeout);
    assert_eq!(concluded.verdict, Verdict::NotLeaking);
    assert_eq!(
        concluded.reason,
        Reason::CouldNotConfirm {
            pending: Box::new(analysis.reason.clone())
        }
    );
    let limit = ExtensionEnd::Limit {
        resource: Resource::Fds,
        limit: 512,
    };
    assert_eq!(
        conclude(analysis.clone(), limit).reason,
        Reason::NotExtendedNearLimit {
            pending: Box::new(analysis.reason),
            limited: Resource::Fds,
            limit: 512
        }
    );
}

#[test]
fn single_late_step_plateaus_when_the_run_is_extended() {
    let samples = series(2 * ITERATIONS, |i| if i < 70 { 1000 } else { 3000 });
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NotLeaking);
    assert_eq!(analysis.plateau_from, Some(70));
    assert_eq!(analysis.late_rises, 0);
}

#[test]
fn memory_freed_later_is_not_leaking() {
    let base = 10_000;
    let mut samples = series(ITERATIONS, |i| if i % 2 == 1 { base + 100 } else { base });
    if let Some(last) = samples.last_mut() {
        *last = base;
    }
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NotLeaking);
    assert_eq!(analysis.retained_growth, 0);
    assert_eq!(analysis.noise, 100);
}

#[test]
fn decreasing_series_is_not_leaking() {
    let samples = series(ITERATIONS, |i| 10_000 - 7 * i as i64);
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NotLeaking);
    assert_eq!(analysis.retained_growth, 0);
    assert_eq!(analysis.reason, Reason::NoRetainedGrowth);
}

#[test]
fn growth_smaller_than_a_late_transient_spike_is_within_noise() {
    // The documented limit: 1 byte per iteration next to a 1 MiB temporary
    // buffer still held in the second half of the run.
    let mut samples = series(ITERATIONS, |i| i as i64);
    samples[70] += 1 << 20;
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NotLeaking);
    assert_eq!(analysis.noise, (1 << 20) - 1);
    assert_eq!(
        analysis.reason,
        Reason::WithinNoise {
            noise: (1 << 20) - 1
        }
    );
}

#[test]
fn an_early_spike_given_back_does_not_hide_late_growth() {
    // The same 1 MiB buffer, freed in the first half: the growth still going
    // on at the end is judged against the noise of the second half.
    let spike_early = |i: usize| i as i64 + if i == 20 { 1 << 20 } else { 0 };
    let samples = series(ITERATIONS, spike_early);
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    assert_eq!(analysis.noise, 0);
    assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, spike_early);
}

#[test]
fn too_short_series_are_not_leaking() {
    for (samples, warmup) in [
        (vec![], 0),
        (vec![], WARMUP),
        (vec![5], 0),
        (series(WARMUP + 1, |i| i as i64 * 1000), WARMUP),
        (series(5, |i| i as i64 * 1000), WARMUP),
    ] {
        let analysis = assert_verdict(&samples, warmup, samples.len(), Verdict::NotLeaking);
        assert!(
            matches!(analysis.reason, Reason::TooFewJudged { .. }),
            "{:?}",
            analysis.reason
        );
        assert_eq!(analysis.retained_growth, 0);
    }
}

#[test]
fn shortest_judged_series_can_leak() {
    // Two judged samples, both late: a single rise, which needs more
    // iterations; when the rises go on in the extension, it leaks.
    assert_verdict(&[0, 0, 5], 1, 3, Verdict::NeedsMoreIterations);
    let extended = assert_verdict(&[0, 0, 5, 10, 15, 20], 1, 3, Verdict::NeedsMoreIterations);
    assert_eq!(
        conclude(extended, ExtensionEnd::Cap).verdict,
        Verdict::Leaking
    );
}

#[test]
fn warmup_past_the_middle_judges_the_whole_judged_part_as_late() {
    let samples = series(20, |i| if i < 15 { 0 } else { i as i64 });
    let analysis = assert_verdict(&samples, 15, 20, Verdict::NeedsMoreIterations);
    assert_eq!(analysis.late_growth, 19);
    assert_eq!(analysis.late_rises, 5);
}

#[test]
fn extreme_values_do_not_overflow() {
    let samples = [i64::MIN, i64::MAX, i64::MIN, i64::MAX, i64::MAX];
    let analysis = analyze(&samples, 0);
    assert_eq!(analysis.retained_growth, i64::MAX);
    assert_eq!(analysis.noise, i64::MAX);
}

#[test]
fn judgement_carries_the_figures() {
    let samples = series(ITERATIONS, |i| 1000 + i as i64);
    // A test that could not be extended: judged at its declared length.
    let analysis = conclude(analyze(&samples, WARMUP), ExtensionEnd::Timeout);
    let judgement = analysis.judgement(Resource::Fds);
    assert!(judgement.leaking);
    assert_eq!(judgement.retained_growth, analysis.retained_growth);
    assert_eq!(
        judgement.growth_per_iteration,
        analysis.growth_per_iteration
    );
    assert_eq!(judgement.judged_iterations, 90);
    assert_eq!(judgement.cause, analysis.reason);
    assert_eq!(
        judgement.reason,
        "retained amount kept rising through the second half of the run: \
         +50 in 50 steps from iteration 50 on"
    );
    assert!(!analyze(&[1, 1, 1], 0).judgement(Resource::Fds).leaking);
}

// Settling.

#[test]
fn still_falling_readings_have_not_settled() {
    assert!(!has_settled(&[900, 800, 700, 600], 2));
    assert!(!has_settled(&[900, 900, 900, 899], 1));
}

#[test]
fn readings_that_stopped_falling_have_settled() {
    assert!(has_settled(&[900, 700, 500, 500, 500], 2));
    assert!(has_settled(&[900, 700, 500, 510, 505], 2));
    assert!(has_settled(&[500, 500], 1));
}

#[test]
fn too_few_readings_have_not_settled() {
    assert!(!has_settled(&[], 0));
    assert!(!has_settled(&[], 3));
    assert!(!has_settled(&[500, 500, 500], 3));
}

#[test]
fn no_quiet_readings_needed_settles_at_once() {
    assert!(has_settled(&[500], 0));
}

#[test]
fn internal_floor_noise_and_rises() {
    let samples = [4, 6, 5, 6, 7, 10, 8, 9, 10, 10];
    let points = PointSeries::from_samples(&samples).to_points();
    let floor = point_floor(&points);
    assert_eq!(floor, [4, 5, 5, 6, 7, 8, 8, 9, 10, 10]);
    assert_eq!(floor, retained_floor(&samples));
    assert_eq!(noise_amplitude(&points, &floor), 2);
    assert_eq!(rise_positions(&floor), [1, 3, 4, 5, 7, 8]);
    assert!(point_floor(&[]).is_empty());
    assert_eq!(noise_amplitude(&[], &[]), 0);
}

// Growth that stops inside the late part.

#[test]
fn cache_filling_up_late_in_the_run_needs_more_iterations_then_plateaus() {
    // A cache of 64 entries fed a new key every iteration: still filling at n/2.
    let samples = series(ITERATIONS, |i| 48 * i.min(64) as i64);
    assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    let extended = series(2 * ITERATIONS, |i| 48 * i.min(64) as i64);
    let analysis = assert_verdict(&extended, WARMUP, ITERATIONS, Verdict::NotLeaking);
    assert_eq!(analysis.plateau_from, Some(64));
}

#[test]
fn cache_filling_up_in_the_extension_then_flat_is_not_leaking() {
    // Still filling when the extension starts, flat for its last 80 iterations.
    let extended = series(2 * ITERATIONS, |i| 48 * i.min(120) as i64);
    let analysis = assert_verdict(&extended, WARMUP, ITERATIONS, Verdict::NotLeaking);
    assert_eq!(analysis.plateau_from, Some(120));
}

#[test]
fn irregular_leak_with_a_long_gap_is_confirmed_by_the_extension() {
    // Leaks at irregular iterations, with a 38-iteration gap at the end of the
    // first run, and again through the extension (every 13th iteration from 200).
    let leak_at = [12, 20, 31, 45, 52, 57, 61, 120, 131, 150, 172, 190];
    let count_up_to = |i: usize| {
        let listed = leak_at.iter().filter(|&&at| at <= i).count();
        let later = if i >= 200 { (i - 200) / 13 + 1 } else { 0 };
        (listed + later) as i64
    };
    let samples = series(ITERATIONS, |i| 24 * count_up_to(i));
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    assert!(
        matches!(
            analysis.reason,
            Reason::PausedRising {
                steps: 3,
                quiet_iterations: 38
            }
        ),
        "{:?}",
        analysis.reason
    );
    assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, |i| {
        24 * count_up_to(i)
    });
}

#[test]
fn geometric_growth_is_confirmed_from_the_spacing_of_its_last_two_steps() {
    // A HashSet<u64> of ids nobody prunes: capacity steps after 3, 7, 14, 28, 56, 112 inserts.
    let capacity_at = |i: usize| {
        let mut capacity = 4i64;
        while (capacity * 7 / 8) < i as i64 + 1 {
            capacity *= 2;
        }
        capacity * 9
    };
    let samples = series(ITERATIONS, capacity_at);
    assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    let extended = series(2 * ITERATIONS, capacity_at);
    assert_verdict(&extended, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, capacity_at);
}

// Movement seen while the body was not running.

fn analyze_with_fluctuation(
    series: &[i64],
    warmup: usize,
    fluctuation_at_rest: i64,
) -> SeriesAnalysis {
    analyze_with(
        series,
        warmup,
        &Options::with_fluctuation_at_rest(fluctuation_at_rest),
    )
}

#[test]
fn a_slow_ramp_within_the_fluctuation_at_rest_is_noise() {
    // A background buffer of 1 to 385 bytes, sampled in step with its cycle.
    let samples = series(ITERATIONS, |i| 5000 + 3 * i as i64);
    assert_eq!(
        analyze_with_fluctuation(&samples, WARMUP, 0).verdict,
        Verdict::NeedsMoreIterations
    );
    let analysis = analyze_with_fluctuation(&samples, WARMUP, 384);
    assert_eq!(analysis.verdict, Verdict::NotLeaking);
    assert_eq!(analysis.noise, 384);
}

#[test]
fn a_leak_larger_than_the_fluctuation_at_rest_still_leaks() {
    let samples = series(ITERATIONS, |i| 5000 + 64 * i as i64);
    let analysis = analyze_with_fluctuation(&samples, WARMUP, 384);
    assert_eq!(analysis.verdict, Verdict::NeedsMoreIterations);
    let extended = series(10 * ITERATIONS, |i| 5000 + 64 * i as i64);
    let options = Options::with_fluctuation_at_rest(384).declared_iterations(ITERATIONS as u64);
    let analysis = conclude(analyze_with(&extended, WARMUP, &options), ExtensionEnd::Cap);
    assert_eq!(analysis.verdict, Verdict::Leaking);
}

#[test]
fn the_settle_tracker_agrees_with_has_settled_reading_by_reading() {
    let mut state = 12345u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as i64
    };
    for _ in 0..200 {
        let length = 1 + (next() % 30) as usize;
        let readings: Vec<i64> = (0..length).map(|_| 1000 + next() % 50).collect();
        let mut tracker = SettleTracker::new(readings[0]);
        for taken in 1..=length {
            if taken > 1 {
                tracker.push(readings[taken - 1]);
            }
            for quiet in 0..6 {
                assert_eq!(
                    tracker.has_settled(quiet),
                    has_settled(&readings[..taken], quiet),
                    "{:?} quiet {quiet}",
                    &readings[..taken]
                );
            }
            let lowest = *readings[..taken].iter().min().unwrap();
            assert_eq!(tracker.lowest(), lowest);
        }
    }
}

#[test]
fn a_steady_rise_at_rest_is_no_fluctuation_but_a_swing_is() {
    let mut rising = SettleTracker::new(100);
    for reading in [108, 116, 124, 132, 140] {
        rising.push(reading);
    }
    assert_eq!(rising.fluctuation(), 0);
    let mut swinging = SettleTracker::new(100);
    for reading in [480, 90, 300, 120] {
        swinging.push(reading);
    }
    assert_eq!(swinging.fluctuation(), 390);
}

// Fluctuation, bounded structures larger than the run, and the extension.

/// A deterministic random source for the paths below.
struct Walker(u64);

impl Walker {
    fn seeded(seed: u64) -> Walker {
        Walker(seed.wrapping_mul(7919).wrapping_add(17))
    }

    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() as f64 / (1u64 << 31) as f64) < p
    }

    /// A value in `0..n`.
    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
}

/// The longest run the extension can reach for the default 100 iterations.
const CAP: usize = 10 * ITERATIONS;

/// `CAP` levels of a walk that starts at 0, moves by `step` each iteration
/// and is held within `0..=bound`.
fn bounded_walk(seed: u64, bound: i64, mut step: impl FnMut(&mut Walker) -> i64) -> Vec<i64> {
    let mut walker = Walker::seeded(seed);
    let mut level = 0i64;
    (0..CAP)
        .map(|_| {
            level = (level + step(&mut walker)).clamp(0, bound);
            level
        })
        .collect()
}

/// A pool of up to `capacity` buffers: each call takes one or returns one, at random.
fn pool(seed: u64, capacity: i64) -> Vec<i64> {
    bounded_walk(
        seed,
        capacity,
        |walker| if walker.chance(0.5) { 1 } else { -1 },
    )
}

#[test]
fn the_extension_doubles_the_run_up_to_ten_times_its_declared_length() {
    let stages = |declared| {
        std::iter::successors(Some(declared), move |&n| next_length(declared, n))
            .collect::<Vec<u64>>()
    };
    assert_eq!(stages(100), [100, 200, 400, 800, 1000]);
    assert_eq!(stages(30), [30, 60, 120, 240, 300]);
    assert_eq!(stages(1), [1, 2, 4, 8, 10]);
    assert_eq!(next_length(u64::MAX, u64::MAX), None);
}

#[test]
fn random_walk_pools_of_tens_of_entries_do_not_leak() {
    for capacity in [24, 48, 64] {
        let mut extended = 0;
        for seed in 0..200 {
            let levels = pool(seed, capacity);
            let analysis = assert_judged(ITERATIONS, WARMUP, Verdict::NotLeaking, |i| levels[i]);
            extended += usize::from(analysis.iterations > ITERATIONS as u64);
        }
        // Most walks are told from growth at the declared length.
        assert!(
            extended < 100,
            "{extended} of 200 pools of {capacity} extended"
        );
    }
}

#[test]
fn queues_under_random_load_do_not_leak() {
    for (arrivals, services) in [(4, 4), (4, 5), (3, 3)] {
        for seed in 0..200 {
            let lengths = bounded_walk(seed, i64::MAX, |walker| {
                walker.below(arrivals) - walker.below(services)
            });
            assert_judged(ITERATIONS, WARMUP, Verdict::NotLeaking, |i| 64 * lengths[i]);
        }
    }
}

#[test]
fn a_fluctuation_judged_after_an_extension_says_so() {
    // A walk whose second half rises above the noise at the declared length,
    // and falls back within it once the run is longer.
    let levels = (0..200)
        .map(|seed| pool(seed, 48))
        .find(|levels| {
            analyze_declared(&levels[..ITERATIONS], WARMUP, ITERATIONS).verdict
                == Verdict::NeedsMoreIterations
        })
        .expect("a pool that needs more iterations");
    let analysis = assert_judged(ITERATIONS, WARMUP, Verdict::NotLeaking, |i| levels[i]);
    match analysis.reason {
        Reason::FluctuatedThroughExtension {
            extended_to,
            late_growth,
            noise,
            allowed_growth,
        } => {
            assert_eq!(extended_to, analysis.iterations);
            assert!(late_growth <= allowed_growth, "{analysis:?}");
            assert_eq!(
                allowed_growth,
                noise * extended_to as i64 / ITERATIONS as i64
            );
        }
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn a_block_kept_per_call_inside_a_random_walk_pool_leaks_at_its_own_rate() {
    for seed in 0..100 {
        let levels = pool(seed, 48);
        let analysis = assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, |i| {
            levels[i] + i as i64
        });
        assert!(
            (analysis.growth_per_iteration - 1.0).abs() < 0.06,
            "the leak's rate, not the walk's: {analysis:?}"
        );
    }
}

#[test]
fn a_slow_irregular_leak_after_an_early_bump_is_caught_every_time() {
    // The structure's bookkeeping rises by 300 blocks and gives them back in
    // the first half; under one block per call is kept at random throughout,
    // with a few blocks of noise.
    for keep_probability in [0.3, 0.5, 0.7, 0.9] {
        for seed in 0..10 {
            let mut walker = Walker::seeded(seed);
            let mut kept = 0;
            let levels: Vec<i64> = (0..CAP as i64)
                .map(|i| {
                    kept += i64::from(walker.chance(keep_probability));
                    let bump = match i {
                        10..=30 => 15 * (i - 10),
                        31..=45 => 300 - 20 * (i - 30),
                        _ => 0,
                    };
                    100 + bump + kept + walker.below(3)
                })
                .collect();
            let at_declared = analyze_declared(&levels[..ITERATIONS], WARMUP, ITERATIONS);
            assert!(
                at_declared.noise < 10,
                "the bump is not the noise: {at_declared:?}"
            );
            assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, |i| levels[i]);
        }
    }
}

#[test]
fn rare_irregular_leaks_are_caught() {
    // A block kept on a path taken at random by one call in five.
    let mut caught = 0;
    for seed in 0..200 {
        let mut walker = Walker::seeded(seed);
        let mut kept = 0;
        let levels: Vec<i64> = (0..CAP)
            .map(|_| {
                kept += i64::from(walker.chance(0.2));
                kept
            })
            .collect();
        let analysis = judge_extending(ITERATIONS, WARMUP, |i| levels[i]);
        caught += usize::from(analysis.verdict == Verdict::Leaking);
    }
    // A pause of seven times the spacing of its rises passes for a stop by
    // chance about once in a thousand runs per look.
    assert!(caught >= 198, "{caught} of 200");
}

#[test]
fn caches_up_to_eight_times_the_declared_iterations_plateau_after_an_extension() {
    for (capacity, judged_at, suggested) in [
        (150, 200, None),
        (300, 400, None),
        (450, 800, None),
        (600, 800, None),
        (800, 1000, None),
    ] {
        let analysis = assert_judged(ITERATIONS, WARMUP, Verdict::NotLeaking, |i| {
            64 * i.min(capacity) as i64
        });
        assert_eq!(analysis.iterations, judged_at, "cache of {capacity}");
        assert_eq!(analysis.plateau_from, Some(capacity as u64));
        assert_eq!(
            analysis.iterations_without_extension(),
            suggested,
            "cache of {capacity}"
        );
    }
}

#[test]
fn the_suggested_iterations_judge_without_an_extension_and_never_exceed_the_run() {
    for capacity in (120..900).step_by(20) {
        let sample = |i: usize| 64 * i.min(capacity) as i64;
        let analysis = judge_extending(ITERATIONS, WARMUP, sample);
        let Some(suggested) = analysis.iterations_without_extension() else {
            continue;
        };
        assert!(suggested <= analysis.iterations, "cache of {capacity}");
        let declared = suggested as usize;
        let at_suggested = judge_extending(
            declared,
            crate::model::default_warmup(suggested) as usize,
            sample,
        );
        assert_eq!(
            at_suggested.verdict,
            Verdict::NotLeaking,
            "cache of {capacity}"
        );
        assert_eq!(at_suggested.iterations, suggested, "cache of {capacity}");
    }
}

#[test]
fn a_cache_still_filling_near_the_cap_is_taken_for_a_leak() {
    // The documented limit: growth that stops only in the last tenth of the
    // longest run cannot be told from a leak.
    let analysis = assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, |i| {
        64 * i.min(920) as i64
    });
    assert_eq!(analysis.iterations, CAP as u64);
}

#[test]
fn a_doubling_collection_whose_last_resize_falls_late_in_the_longest_run_is_taken_for_a_leak() {
    // The documented limit: a `Vec` bounded at 600 elements resizes at 512,
    // in the second half of the longest run, exactly as unbounded doubling.
    let bounded = |i: usize| doubling_capacity_bytes(i.min(599));
    assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, bounded);
    // Bounded at 400, its last resize (at 256) is judged a plateau.
    let analysis = assert_judged(ITERATIONS, WARMUP, Verdict::NotLeaking, |i| {
        doubling_capacity_bytes(i.min(399))
    });
    assert_eq!(analysis.plateau_from, Some(256));
}

/// Bytes held by two `Vec<u64>`s pushed once per iteration, one created
/// with room for `first_capacity` elements, the other empty: their doublings
/// come in pairs at nearby iterations (the repro of a missed leak: 60 and 64,
/// 120 and 128, 240 and 256, ...).
fn two_doubling_vecs_bytes(first_capacity: usize, iteration: usize) -> i64 {
    let capacity = |initial: usize, length: usize| {
        let mut capacity = initial;
        while capacity < length {
            capacity = (capacity * 2).max(4);
        }
        capacity
    };
    let length = iteration + 1;
    8 * (capacity(first_capacity, length) + capacity(0, length)) as i64
}

#[test]
fn two_collections_doubling_at_nearby_iterations_leak() {
    // Rises at 120 and 128, then quiet to 199: the two clustered rises are no
    // dense rate, so 71 quiet iterations do not mean the growth stopped.
    let at_200 = series(2 * ITERATIONS, |i| two_doubling_vecs_bytes(60, i));
    let analysis = assert_verdict(&at_200, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    assert_eq!(analysis.late_rises, 2);
    let analysis = assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, |i| {
        two_doubling_vecs_bytes(60, i)
    });
    assert!(
        matches!(
            analysis.reason,
            Reason::GrewThroughExtension {
                extended_to: 1000,
                ..
            }
        ),
        "{:?}",
        analysis.reason
    );
    // With other starting capacities the pairs fall elsewhere; all leak.
    for first_capacity in [0, 10, 48, 100] {
        assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, |i| {
            two_doubling_vecs_bytes(first_capacity, i)
        });
    }
}

#[test]
fn two_collections_bounded_below_the_declared_iterations_still_plateau() {
    // The same two vectors, cleared (keeping their capacity) once they hold
    // 80 elements: their last resizes, at 60 and 64, are late in the declared
    // run, and the doubled run sees them stop.
    let analysis = assert_judged(ITERATIONS, WARMUP, Verdict::NotLeaking, |i| {
        two_doubling_vecs_bytes(60, i.min(79))
    });
    assert_eq!(analysis.iterations, 2 * ITERATIONS as u64);
    assert_eq!(analysis.plateau_from, Some(64));
}

/// Bytes held by a `Vec<u64>` that starts with `initial` elements (and room
/// for just them) and gains one per iteration, cleared (keeping its
/// capacity) once it holds `bound` elements: it doubles at iterations 0,
/// `initial`, `3 × initial`, `7 × initial`, ..., each gap twice the one
/// before, none of them tied to the run's halves (the repro of a missed
/// leak: 30, 90, 210, 450, 930).
fn seeded_vec_bytes(initial: usize, bound: usize, iteration: usize) -> i64 {
    let length = (initial + iteration + 1).min(bound);
    let mut capacity = initial;
    while capacity < length {
        capacity *= 2;
    }
    8 * capacity as i64
}

#[test]
fn a_collection_that_did_not_start_empty_leaks() {
    // Steps at 30 and 90, then quiet to 199: the floor stayed flat through
    // the second half of the doubled run, but doubling from 30 elements steps
    // next at 210, twice the last gap after 90.
    let at_200 = series(2 * ITERATIONS, |i| seeded_vec_bytes(30, usize::MAX, i));
    let analysis = assert_verdict(&at_200, WARMUP, ITERATIONS, Verdict::NeedsMoreIterations);
    assert_eq!(
        analysis.reason,
        Reason::QuietShorterThanGaps {
            growth: 1440,
            last_rise_iteration: 90,
            longest_gap: 60,
            quiet_iterations: 109,
        }
    );
    // From 15 elements both steps of the declared run (15, 45) fall in its
    // first half: its flat second half is no plateau either.
    for initial in [15, 20, 30] {
        let analysis = assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, |i| {
            seeded_vec_bytes(initial, usize::MAX, i)
        });
        assert!(
            matches!(analysis.reason, Reason::GrewThroughExtension { .. }),
            "from {initial}: {:?}",
            analysis.reason
        );
    }
}

#[test]
fn the_same_collection_bounded_plateaus_once_flat_for_three_gaps() {
    // Bounded at 240 elements its last step is at 90: flat for 109
    // iterations at 200 (no more than three gaps of 60), for 309 at 400.
    let bounded = |i: usize| seeded_vec_bytes(30, 240, i);
    let analysis = assert_judged(ITERATIONS, WARMUP, Verdict::NotLeaking, bounded);
    assert_eq!(analysis.iterations, 4 * ITERATIONS as u64);
    assert_eq!(analysis.longest_rise_gap, 60);
    assert_eq!(
        analysis.reason,
        Reason::Plateaued {
            growth: 1440,
            since_iteration: 90
        }
    );
    // The suggested iterations see three gaps of quiet after the last step
    // at the declared length, and judge it there.
    let suggested = analysis.iterations_without_extension().unwrap();
    assert_eq!(suggested, 280);
    let at_suggested = judge_extending(
        suggested as usize,
        crate::model::default_warmup(suggested) as usize,
        bounded,
    );
    assert_eq!(at_suggested.verdict, Verdict::NotLeaking);
    assert_eq!(at_suggested.iterations, suggested);
}

#[test]
fn a_flat_second_half_that_cannot_be_extended_is_a_plateau() {
    // Where the run must end, a quiet tail shorter than three gaps is still
    // a flat second half: never a leak, reported as the plateau it shows.
    let at_200 = series(2 * ITERATIONS, |i| seeded_vec_bytes(30, usize::MAX, i));
    let analysis = analyze_declared(&at_200, WARMUP, ITERATIONS);
    for end in [ExtensionEnd::Timeout, ExtensionEnd::Cap] {
        let concluded = conclude(analysis.clone(), end);
        assert_eq!(concluded.verdict, Verdict::NotLeaking);
        assert_eq!(
            concluded.reason,
            Reason::Plateaued {
                growth: 1440,
                since_iteration: 90
            }
        );
        assert_eq!(concluded.plateau_from, Some(90));
    }
}

#[test]
fn a_cache_that_filled_in_the_late_part_still_stopped_growing() {
    // Dense late rises and a long quiet tail: the rate really stopped, and the
    // mean spacing over the late part does not hide it.
    let analysis = assert_judged(ITERATIONS, WARMUP, Verdict::NotLeaking, |i| {
        40 * i.min(130) as i64
    });
    assert_eq!(analysis.iterations, 2 * ITERATIONS as u64);
    assert!(
        matches!(analysis.reason, Reason::StoppedGrowing { .. }),
        "{:?}",
        analysis.reason
    );
}

#[test]
fn a_leak_slower_than_the_noise_per_half_run_is_within_noise_however_long_the_run() {
    // The documented limit: 8 bytes a call gain 400 bytes per 50 iterations,
    // less than a buffer of up to 1 KiB held across iterations.
    let mut walker = Walker::seeded(1);
    let levels: Vec<i64> = (0..CAP as i64)
        .map(|i| 8 * i + 1 + walker.below(1024))
        .collect();
    assert_judged(ITERATIONS, WARMUP, Verdict::NotLeaking, |i| levels[i]);
    // With up to 256 bytes of noise, it leaks.
    let levels: Vec<i64> = (0..CAP as i64)
        .map(|i| 8 * i + 1 + walker.below(256))
        .collect();
    assert_judged(ITERATIONS, WARMUP, Verdict::Leaking, |i| levels[i]);
}

#[test]
fn a_table_filled_by_random_keys_of_a_small_space_plateaus() {
    for seed in 0..50 {
        let mut walker = Walker::seeded(seed);
        let mut seen = [false; 32];
        let mut entries = 0;
        let levels: Vec<i64> = (0..CAP)
            .map(|_| {
                let key = walker.below(32) as usize;
                entries += i64::from(!seen[key]);
                seen[key] = true;
                48 * entries
            })
            .collect();
        assert_judged(ITERATIONS, WARMUP, Verdict::NotLeaking, |i| levels[i]);
    }
}

#[test]
fn growth_within_the_noise_scaled_to_the_extended_run_is_fluctuation() {
    // 1,000 iterations whose second half gains 40 with a noise of 12: more than
    // the noise, less than ten times it.
    let samples = series(CAP, |i| {
        let trend = if i >= 500 {
            (i as i64 - 500) * 40 / 499
        } else {
            0
        };
        trend + if i % 10 == 3 { 12 } else { 0 }
    });
    let analysis = assert_verdict(&samples, WARMUP, ITERATIONS, Verdict::NotLeaking);
    assert_eq!(
        analysis.reason,
        Reason::FluctuatedThroughExtension {
            extended_to: 1000,
            late_growth: 40,
            noise: 12,
            allowed_growth: 120
        }
    );
}

#[test]
fn a_series_kept_at_a_coarser_resolution_gets_the_same_verdict() {
    // Ten times the points a series keeps: one block per call, and a pool.
    let long = 10 * crate::series::MAX_POINTS;
    let leak = series(long, |i| 1000 + i as i64 + i64::from(i % 3 == 0) * 50);
    let analysis = conclude(
        assert_verdict(&leak, WARMUP, long / 10, Verdict::NeedsMoreIterations),
        ExtensionEnd::Cap,
    );
    assert_eq!(analysis.verdict, Verdict::Leaking);
    assert!(
        (analysis.growth_per_iteration - 1.0).abs() < 0.01,
        "{analysis:?}"
    );
    let mut walker = Walker::seeded(3);
    let mut level = 0i64;
    let walk: Vec<i64> = (0..long)
        .map(|_| {
            level = (level + if walker.chance(0.5) { 1 } else { -1 }).clamp(0, 48);
            level
        })
        .collect();
    assert_verdict(&walk, WARMUP, long / 10, Verdict::NotLeaking);
}

#[test]
fn past_the_cap_the_noise_is_allowed_no_more_than_at_the_cap() {
    // One block per call behind a worker thread whose backlog reaches 95
    // blocks at times: a leak, at the cap and past it.
    let declared = ITERATIONS as u64;
    let backlog = |i: usize| if i % 997 == 500 { 95 } else { 0 };
    let leak: Vec<i64> = series(8000, |i| i as i64 + backlog(i));
    let analysis = analyze_declared(&leak, WARMUP, declared as usize);
    assert_eq!(
        analysis.verdict,
        Verdict::NeedsMoreIterations,
        "{analysis:#?}"
    );
    let at_longest = conclude(analysis, ExtensionEnd::LongestRun);
    assert_eq!(at_longest.verdict, Verdict::Leaking);
}
