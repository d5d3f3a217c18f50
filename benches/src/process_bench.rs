//! Timing whole processes side by side: the benches that compare a leak test
//! with the same calls in a plain program (`benches/real_test.rs`,
//! `benches/heavy_test.rs`).
//!
//! Every contender is a process, timed from spawn to exit. The rounds run
//! them all, each round in a fresh shuffled order, and each ratio is taken against the
//! contender's baseline of the same round, so load that drifts between
//! rounds cancels out. Besides the wall time, the CPU time (user and system)
//! of the process and of the children it reaped is reported: it leaves out
//! the time other processes held the CPU, which makes it the steadier figure
//! on a loaded machine (but it does not see time spent waiting, such as a
//! settle window's sleeps).

use crate::Summary;
use std::process::{Command, Stdio};
use std::time::Instant;

/// One process to time.
pub struct Contender {
    /// Name in the report.
    pub name: &'static str,
    /// Builds the command (output is discarded).
    pub command: Box<dyn Fn() -> Command>,
    /// Index of the contender whose time of the same round divides this one's.
    pub baseline: usize,
    /// Whether the goal judges this contender's median ratio.
    pub judged: bool,
}

/// The order of one round: a fresh shuffle each round (seeded, so a run is
/// repeatable), so that no contender always follows the same one (a fixed
/// rotation keeps every contender's predecessor, whose leftovers in caches
/// and page cache would bias it the same way every round).
pub fn round_order(contenders: usize, rng: &mut crate::Rng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..contenders).collect();
    for last in (1..contenders).rev() {
        let pick = (rng.next_u64() % (last as u64 + 1)) as usize;
        order.swap(last, pick);
    }
    order
}

/// CPU time (user and system) of the reaped children of this process, in ms.
fn children_cpu_ms() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes one rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) } != 0 {
        return 0.0;
    }
    // SAFETY: zeroed, then filled in by the successful call.
    let usage = unsafe { usage.assume_init() };
    let ms = |time: libc::timeval| time.tv_sec as f64 * 1e3 + time.tv_usec as f64 / 1e3;
    ms(usage.ru_utime) + ms(usage.ru_stime)
}

/// Wall and CPU milliseconds from spawn to exit; `None` if it did not succeed.
fn time_ms(contender: &Contender) -> Option<(f64, f64)> {
    let mut command = (contender.command)();
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let cpu_before = children_cpu_ms();
    let started = Instant::now();
    let status = command.status().ok()?;
    let elapsed = started.elapsed();
    let cpu = children_cpu_ms() - cpu_before;
    status
        .success()
        .then_some((elapsed.as_secs_f64() * 1e3, cpu))
}

/// The 1-minute load average, for the report (`None` where unknown).
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn load_text() -> String {
    load_average().map_or_else(|| "unknown".to_owned(), |load| format!("{load:.2}"))
}

/// Runs `rounds` rounds of every contender, each round in a shuffled order, then prints
/// min / median / max milliseconds and ratios to each baseline, and the
/// verdict of every judged contender against `goal_ratio`. Exits the process
/// with an error if a contender fails.
pub fn run_and_report(
    title: &str,
    goal: &str,
    goal_ratio: f64,
    contenders: &[Contender],
    rounds: usize,
) {
    let load_at_start = load_text();
    let mut wall: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); contenders.len()];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); contenders.len()];
    let mut rng = crate::Rng::new(0x5EED_0DE5);
    for _ in 0..rounds {
        for index in round_order(contenders.len(), &mut rng) {
            match time_ms(&contenders[index]) {
                Some((wall_ms, cpu_ms)) => {
                    wall[index].push(wall_ms);
                    cpu[index].push(cpu_ms);
                }
                None => {
                    eprintln!("`{}` failed", contenders[index].name);
                    std::process::exit(1);
                }
            }
        }
    }
    println!(
        "{title}, {rounds} interleaved rounds; 1-minute load {load_at_start} at start, {} at end",
        load_text()
    );
    let mut verdicts = Vec::new();
    for (clock, timings) in [("wall", &wall), ("CPU", &cpu)] {
        println!();
        println!(
            "{:<44} {:>28}   {:<30}",
            format!("{clock} time"),
            "ms: min / median / max",
            "ratio to baseline (same round)"
        );
        for (index, contender) in contenders.iter().enumerate() {
            let baseline = &timings[contender.baseline];
            let ratios: Vec<f64> = timings[index]
                .iter()
                .zip(baseline)
                .map(|(ms, baseline_ms)| ms / baseline_ms)
                .collect();
            let (Some(ms), Some(ratio)) = (Summary::of(&timings[index]), Summary::of(&ratios))
            else {
                continue;
            };
            println!(
                "{:<44} {:>8.2} / {:>8.2} / {:>8.2}   {:.3} / {:.3} / {:.3}  (to {})",
                contender.name,
                ms.min,
                ms.median,
                ms.max,
                ratio.min,
                ratio.median,
                ratio.max,
                if contender.baseline == index {
                    "itself"
                } else {
                    contenders[contender.baseline].name
                }
            );
            if contender.judged {
                verdicts.push((clock, contender.name, ratio.median));
            }
        }
    }
    println!();
    for (clock, name, ratio) in verdicts {
        let verdict = if ratio <= goal_ratio {
            "met".to_owned()
        } else {
            format!(
                "NOT met (over by {:.1}%)",
                (ratio / goal_ratio - 1.0) * 100.0
            )
        };
        println!(
            "{goal}, {name}, {clock} time: median ratio {ratio:.3} <= {goal_ratio}: {verdict}"
        );
    }
}

/// A fresh, empty directory in `directory` for one child's record.
pub fn fresh_record_dir(directory: &std::path::Path) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let index = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = directory.join(format!("records-{index}"));
    if let Err(error) = std::fs::create_dir(&path) {
        eprintln!("cannot create {}: {error}", path.display());
    }
    path
}

/// A leak test of `binary` in child mode (as `cargo leaktest` and the
/// `main!()` harness start it), writing its record into a fresh directory
/// in `records`.
pub fn child_mode(
    binary: &'static str,
    test: &'static str,
    records: std::path::PathBuf,
) -> Box<dyn Fn() -> Command> {
    child_mode_of(std::path::Path::new(binary), test, records)
}

/// [`child_mode`] of a binary given by path (another build, for a
/// before/after comparison).
pub fn child_mode_of(
    binary: &'static std::path::Path,
    test: &'static str,
    records: std::path::PathBuf,
) -> Box<dyn Fn() -> Command> {
    Box::new(move || {
        let dir = fresh_record_dir(&records);
        leaktest_core::isolation::child_command(binary, test, &dir).unwrap_or_else(|error| {
            eprintln!("cannot prepare the child of {test}: {error}");
            std::process::exit(1);
        })
    })
}

/// Whether the bench binary runs for measurement (`cargo bench` passes
/// `--bench`) rather than as a smoke test under `cargo test`.
pub fn measuring() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_round_runs_each_contender_once_and_predecessors_vary() {
        let mut rng = crate::Rng::new(7);
        let mut predecessors_of_last = std::collections::BTreeSet::new();
        for _ in 0..50 {
            let order = round_order(5, &mut rng);
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, vec![0, 1, 2, 3, 4]);
            if let Some(at) = order.iter().position(|&index| index == 4) {
                if at > 0 {
                    predecessors_of_last.insert(order[at - 1]);
                }
            }
        }
        assert!(predecessors_of_last.len() > 1, "{predecessors_of_last:?}");
    }
}
