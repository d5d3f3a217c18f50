//! The rule on synthetic series: leaks, and growth that must not count as one.

use super::*;

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

#[track_caller]
fn assert_verdict(
    samples: &[i64],
    warmup: usize,
    confirming: bool,
    expected: Verdict,
) -> SeriesAnalysis {
    let analysis = analyze(samples, warmup, confirming);
    assert_eq!(
        analysis.verdict, expected,
        "{analysis:#?}\nseries: {samples:?}"
    );
    analysis
}

// Leaks.

#[test]
fn one_byte_every_iteration_leaks() {
    let samples = series(ITERATIONS, |i| 1000 + i as i64);
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::Leaking);
    assert_eq!(analysis.retained_growth, 90);
    assert_eq!(analysis.judged_iterations, 90);
    assert!((analysis.growth_per_iteration - 1.0).abs() < 1e-12);
    assert_eq!(analysis.noise, 0);
    assert_eq!(analysis.late_rises, 50);
    assert_eq!(analysis.late_growth, 50);
}

#[test]
fn one_block_every_tenth_iteration_leaks() {
    let samples = series(ITERATIONS, |i| 4096 + 16 * (i / 10) as i64);
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::Leaking);
    assert_eq!(analysis.late_rises, 5);
    assert_eq!(analysis.retained_growth, 16 * 9);
}

#[test]
fn one_byte_every_iteration_under_transient_noise_leaks() {
    let samples = noisy(ITERATIONS, 3, |i| 1000 + i as i64);
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::Leaking);
    assert!(analysis.noise > 0 && analysis.noise <= 3, "{analysis:?}");
    assert!(analysis.retained_growth >= 86, "{analysis:?}");
}

#[test]
fn leak_starting_at_iteration_30_leaks() {
    let samples = series(ITERATIONS, |i| 500 + 24 * i.saturating_sub(30) as i64);
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::Leaking);
    assert_eq!(analysis.retained_growth, 24 * 69);
}

#[test]
fn linear_growth_under_a_periodic_sawtooth_leaks() {
    // A buffer filled by 20 bytes per iteration and cleared every 7, plus 8 bytes
    // kept per iteration.
    let samples = series(ITERATIONS, |i| 8 * i as i64 + 20 * (i % 7) as i64);
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::Leaking);
    assert!(analysis.noise > 20, "{analysis:?}");
    assert!(analysis.late_growth > analysis.noise, "{analysis:?}");
}

#[test]
fn geometric_doubling_needs_confirmation() {
    let samples = series(ITERATIONS, doubling_capacity_bytes);
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::NeedsConfirmation);
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
fn geometric_doubling_is_confirmed_when_the_run_is_extended() {
    let samples = series(2 * ITERATIONS, doubling_capacity_bytes);
    let analysis = assert_verdict(&samples, WARMUP, true, Verdict::Leaking);
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
    assert!(analysis.judgement(Resource::HeapBytes).leaking);
}

#[test]
fn geometric_doubling_without_confirming_still_needs_confirmation() {
    let samples = series(2 * ITERATIONS, doubling_capacity_bytes);
    assert_verdict(&samples, WARMUP, false, Verdict::NeedsConfirmation);
}

// Not leaks.

#[test]
fn flat_series_is_not_leaking() {
    let samples = vec![4096; ITERATIONS];
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::NotLeaking);
    assert_eq!(analysis.retained_growth, 0);
    assert_eq!(analysis.reason, Reason::NoRetainedGrowth);
    assert_eq!(analysis.plateau_from, None);
}

#[test]
fn lazy_init_during_warmup_is_not_leaking() {
    let samples = series(ITERATIONS, |i| if i < 3 { 100 } else { 100_000 });
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::NotLeaking);
    assert_eq!(analysis.retained_growth, 0);
}

#[test]
fn lazy_init_after_warmup_is_not_leaking() {
    let samples = series(ITERATIONS, |i| if i < 12 { 100 } else { 100_000 });
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::NotLeaking);
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
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::NotLeaking);
    assert_eq!(analysis.retained_growth, 64 * 31);
    assert_eq!(analysis.plateau_from, Some(40));
}

#[test]
fn stationary_transient_noise_is_not_leaking() {
    let samples = noisy(ITERATIONS, 5, |_| 2048);
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::NotLeaking);
    assert_eq!(analysis.retained_growth, 0);
    assert!(analysis.noise > 0 && analysis.noise <= 5, "{analysis:?}");
}

#[test]
fn stationary_noise_left_in_the_last_sample_is_within_noise() {
    let mut samples = noisy(ITERATIONS, 5, |_| 2048);
    if let Some(last) = samples.last_mut() {
        *last = 2048 + 4;
    }
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::NotLeaking);
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
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::NotLeaking);
    assert_eq!(analysis.noise, 300);
}

#[test]
fn single_late_step_needs_confirmation() {
    let samples = series(ITERATIONS, |i| if i < 70 { 1000 } else { 3000 });
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::NeedsConfirmation);
    assert!(!analysis.judgement(Resource::HeapBytes).leaking);
}

#[test]
fn single_late_step_plateaus_when_the_run_is_extended() {
    let samples = series(2 * ITERATIONS, |i| if i < 70 { 1000 } else { 3000 });
    let analysis = assert_verdict(&samples, WARMUP, true, Verdict::NotLeaking);
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
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::NotLeaking);
    assert_eq!(analysis.retained_growth, 0);
    assert_eq!(analysis.noise, 100);
}

#[test]
fn decreasing_series_is_not_leaking() {
    let samples = series(ITERATIONS, |i| 10_000 - 7 * i as i64);
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::NotLeaking);
    assert_eq!(analysis.retained_growth, 0);
    assert_eq!(analysis.reason, Reason::NoRetainedGrowth);
}

#[test]
fn growth_smaller_than_a_transient_spike_is_within_noise() {
    // The documented limit: 1 byte per iteration next to a 1 MiB temporary buffer.
    let mut samples = series(ITERATIONS, |i| i as i64);
    samples[20] += 1 << 20;
    let analysis = assert_verdict(&samples, WARMUP, false, Verdict::NotLeaking);
    assert_eq!(analysis.noise, (1 << 20) - 1);
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
        let analysis = assert_verdict(&samples, warmup, false, Verdict::NotLeaking);
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
    // Two judged samples, both late: a single rise, judged when confirming.
    assert_verdict(&[0, 0, 5], 1, false, Verdict::NeedsConfirmation);
    assert_verdict(&[0, 0, 5], 1, true, Verdict::Leaking);
}

#[test]
fn warmup_past_the_middle_judges_the_whole_judged_part_as_late() {
    let samples = series(20, |i| if i < 15 { 0 } else { i as i64 });
    let analysis = assert_verdict(&samples, 15, false, Verdict::Leaking);
    assert_eq!(analysis.late_growth, 19);
    assert_eq!(analysis.late_rises, 5);
}

#[test]
fn extreme_values_do_not_overflow() {
    let samples = [i64::MIN, i64::MAX, i64::MIN, i64::MAX, i64::MAX];
    let analysis = analyze(&samples, 0, false);
    assert_eq!(analysis.retained_growth, i64::MAX);
    assert_eq!(analysis.noise, i64::MAX);
}

#[test]
fn judgement_carries_the_figures() {
    let samples = series(ITERATIONS, |i| 1000 + i as i64);
    let analysis = analyze(&samples, WARMUP, false);
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
    assert!(
        !analyze(&[1, 1, 1], 0, false)
            .judgement(Resource::Fds)
            .leaking
    );
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
    let floor = retained_floor(&samples);
    assert_eq!(floor, [4, 5, 5, 6, 7, 8, 8, 9, 10, 10]);
    assert_eq!(noise_amplitude(&samples, &floor), 2);
    assert_eq!(rise_positions(&floor), [1, 3, 4, 5, 7, 8]);
    assert!(retained_floor(&[]).is_empty());
    assert_eq!(noise_amplitude(&[], &[]), 0);
}

// Growth that stops inside the late part.

#[test]
fn cache_filling_up_late_in_the_run_needs_confirmation_then_plateaus() {
    // A cache of 64 entries fed a new key every iteration: still filling at n/2.
    let samples = series(ITERATIONS, |i| 48 * i.min(64) as i64);
    assert_verdict(&samples, WARMUP, false, Verdict::NeedsConfirmation);
    let extended = series(2 * ITERATIONS, |i| 48 * i.min(64) as i64);
    let analysis = assert_verdict(&extended, WARMUP, true, Verdict::NotLeaking);
    assert_eq!(analysis.plateau_from, Some(64));
}

#[test]
fn cache_filling_up_in_the_extension_then_flat_is_not_leaking() {
    // Still filling when the extension starts, flat for its last 80 iterations.
    let extended = series(2 * ITERATIONS, |i| 48 * i.min(120) as i64);
    let analysis = assert_verdict(&extended, WARMUP, true, Verdict::NotLeaking);
    assert_eq!(analysis.plateau_from, Some(120));
}

#[test]
fn irregular_leak_with_a_long_gap_is_confirmed_by_the_extension() {
    // Leaks at irregular iterations, with a 33-iteration gap at the end of the
    // first run, and again in the extension.
    let leak_at = [12, 20, 31, 45, 52, 60, 66, 120, 131, 150, 172, 190];
    let count_up_to = |i: usize| leak_at.iter().filter(|&&at| at <= i).count() as i64;
    let samples = series(ITERATIONS, |i| 24 * count_up_to(i));
    assert_verdict(&samples, WARMUP, false, Verdict::NeedsConfirmation);
    let extended = series(2 * ITERATIONS, |i| 24 * count_up_to(i));
    assert_verdict(&extended, WARMUP, true, Verdict::Leaking);
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
    assert_verdict(&samples, WARMUP, false, Verdict::NeedsConfirmation);
    let extended = series(2 * ITERATIONS, capacity_at);
    assert_verdict(&extended, WARMUP, true, Verdict::Leaking);
}

// Movement seen while the body was not running.

fn analyze_with_fluctuation(
    series: &[i64],
    warmup: usize,
    confirming: bool,
    fluctuation_at_rest: i64,
) -> SeriesAnalysis {
    let options = Options {
        fluctuation_at_rest,
        ..Options::default()
    };
    analyze_with(series, warmup, confirming, &options)
}

#[test]
fn a_slow_ramp_within_the_fluctuation_at_rest_is_noise() {
    // A background buffer of 1 to 385 bytes, sampled in step with its cycle.
    let samples = series(ITERATIONS, |i| 5000 + 3 * i as i64);
    assert_eq!(
        analyze_with_fluctuation(&samples, WARMUP, false, 0).verdict,
        Verdict::Leaking
    );
    let analysis = analyze_with_fluctuation(&samples, WARMUP, false, 384);
    assert_eq!(analysis.verdict, Verdict::NotLeaking);
    assert_eq!(analysis.noise, 384);
}

#[test]
fn a_leak_larger_than_the_fluctuation_at_rest_still_leaks() {
    let samples = series(ITERATIONS, |i| 5000 + 64 * i as i64);
    let analysis = analyze_with_fluctuation(&samples, WARMUP, false, 384);
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
