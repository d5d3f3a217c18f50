#!/usr/bin/env python3
"""Goal 6 and 7: what the adaptive run length costs, and how much memory one
test needs as its iterations grow. Before and after, side by side.

`before` is leaktest-core of a git revision (default `main`, extracted with
`git archive`), `after` this checkout's. A scratch workspace per side holds
the same test file; both build into one target directory.

Cost (default): each test runs in child mode (one process, as `cargo
leaktest` starts it), timed from spawn to exit; the two sides and all tests
are interleaved, round after round, and each ratio is taken within a round:

- flat:      allocates and frees 64 bytes (no growth)
- leak:      keeps one 16-byte block per call
- pool:      a pool of up to 48 buffers, each call takes or returns one at random
- cache_300: an LRU cache of 300 entries fed a new key per call
- flat_busy, leak_busy: flat and leak with about 0.1 ms of work per call, so
  that the iterations, not the process start, make the time

Scale (`--scale`): a trivial test with LEAKTEST_ITERATIONS=10000000 in child
mode (wall time, the child's peak RSS as GNU time reports it, the record's
size), then `cargo leaktest --iterations 10000000` on it, after a first run
that builds the harness (its own peak RSS, VmHWM polled every 10 ms, and the
longest JSON line it printed).

    python3 benches/scripts/adaptive_length.py [--rounds 15] [--before main] [--scale]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import WORKSPACE, cargo_executables, fmt_summary, log, machine_line, markdown_table

TESTS = ["flat", "leak", "pool", "cache_300", "flat_busy", "leak_busy"]

CASES = r'''//! The same leak tests for both sides of the comparison.

use leaktest_core::leak_test;
use std::collections::{HashMap, VecDeque};
use std::hint::black_box;

#[leak_test]
fn flat() {
    black_box(vec![0u8; 64]);
}

#[leak_test]
fn leak() {
    Box::leak(Box::new([0u8; 16]));
}

#[leak_test]
fn trivial() {}

/// About 0.1 ms of arithmetic.
fn busy() -> u64 {
    (0..40_000u64).fold(0, |sum, i| black_box(sum.wrapping_mul(31).wrapping_add(i)))
}

#[leak_test]
fn flat_busy() {
    black_box(vec![0u8; 64]);
    black_box(busy());
}

#[leak_test]
fn leak_busy() {
    Box::leak(Box::new([0u8; 16]));
    black_box(busy());
}

pub struct Pool {
    idle: Vec<Vec<u8>>,
    state: u64,
}

fn new_pool() -> Pool {
    Pool { idle: Vec::new(), state: 0x9e37_79b9_7f4a_7c15 }
}

#[leak_test(setup = new_pool)]
fn pool(pool: &mut Pool) {
    pool.state ^= pool.state << 13;
    pool.state ^= pool.state >> 7;
    pool.state ^= pool.state << 17;
    if pool.state & 1 == 1 {
        if pool.idle.len() < 48 {
            pool.idle.push(vec![0; 256]);
        }
    } else {
        pool.idle.pop();
    }
}

pub struct Cache {
    entries: HashMap<u64, String>,
    order: VecDeque<u64>,
    next: u64,
}

fn new_cache() -> Cache {
    Cache { entries: HashMap::new(), order: VecDeque::new(), next: 0 }
}

#[leak_test(setup = new_cache)]
fn cache_300(cache: &mut Cache) {
    if cache.order.len() == 300 {
        if let Some(oldest) = cache.order.pop_front() {
            cache.entries.remove(&oldest);
        }
    }
    cache.next += 1;
    cache.order.push_back(cache.next);
    cache.entries.insert(cache.next, format!("profile {:>32}", cache.next));
}

leaktest_core::main!();
'''


def write_side(root, name, core):
    crate = root / name
    (crate / "src").mkdir(parents=True)
    (crate / "tests").mkdir()
    (crate / "src" / "lib.rs").write_text("//! Fixture.\n")
    (crate / "tests" / "cases.rs").write_text(CASES)
    (crate / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n'
        f'[dev-dependencies]\nleaktest-core = {{ path = "{core}", default-features = false }}\n\n'
        '[[test]]\nname = "cases"\nharness = false\n\n[workspace]\n'
    )
    return crate


def run_child(binary, test, extra_env=None):
    """Runs one test in child mode; returns (seconds, record dict, peak RSS in KiB, record bytes)."""
    with tempfile.TemporaryDirectory() as scratch:
        record_path = Path(scratch) / "record.json"
        env = dict(os.environ, LEAKTEST_CHILD=test, LEAKTEST_RECORD=str(record_path), **(extra_env or {}))
        start = time.perf_counter()
        child = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        if status != 0:
            sys.exit(f"{binary} {test} ended with status {status}")
        text = record_path.read_text()
        return seconds, json.loads(text), usage.ru_maxrss, len(text.encode())


def verdict(record):
    leaking = [r["resource"] for r in record["resources"] if r["judgement"]["leaking"]]
    return "leak" if leaking else "no leak"


def cost(binaries, rounds):
    times = {(side, test): [] for side in binaries for test in TESTS}
    records = {}
    for round_index in range(rounds):
        order = [(side, test) for test in TESTS for side in binaries]
        shift = round_index % len(order)
        for side, test in order[shift:] + order[:shift]:
            seconds, record, _, _ = run_child(binaries[side], test)
            times[(side, test)].append(seconds * 1000)
            records[(side, test)] = record
    rows = []
    for test in TESTS:
        before, after = times[("before", test)], times[("after", test)]
        ratios = [a / b for a, b in zip(after, before)]
        rows.append([
            test,
            f'{records[("before", test)]["iterations_run"]}, {verdict(records[("before", test)])}',
            f'{records[("after", test)]["iterations_run"]}, {verdict(records[("after", test)])}',
            fmt_summary(before),
            fmt_summary(after),
            fmt_summary(ratios),
            f"{min(after) / min(before):.2f}",
        ])
    print(markdown_table(
        ["test", "before: iterations, verdict", "after: iterations, verdict", "before ms (min / median / max)",
         "after ms", "after / before, same round (min / median / max)", "fastest / fastest"],
        rows,
    ))


def peak_rss_run(command, env, stdout):
    """Runs `command` under GNU time; returns (seconds, exit code, peak RSS in KiB of it and
    the children it waited for). A small process forks the measured one, so its peak is
    its own: a child forked from this Python process would inherit the parent's RSS
    high-water mark at exec."""
    with tempfile.NamedTemporaryFile() as report:
        start = time.perf_counter()
        status = subprocess.call(
            ["/usr/bin/time", "-f", "%M", "-o", report.name, *command],
            env=env, stdout=stdout, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        kib = int(Path(report.name).read_text().split()[-1])
    return seconds, status, kib


def longest_line(path):
    longest = 0
    with open(path, "rb") as lines:
        for line in lines:
            longest = max(longest, len(line))
    return longest


def own_peak_rss_run(command, stdout):
    """Runs `command` directly and polls its own peak RSS (VmHWM, which exec resets)
    every 10 ms until it exits; returns (seconds, exit code, peak RSS in KiB)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        try:
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.01)
    return time.perf_counter() - start, process.returncode, peak


def scale(binaries, runners, manifests, target_dir, iterations):
    rows = []
    for side in binaries:
        with tempfile.TemporaryDirectory() as scratch:
            record = Path(scratch) / "record.json"
            env = dict(os.environ, LEAKTEST_CHILD="trivial", LEAKTEST_RECORD=str(record),
                       LEAKTEST_ITERATIONS=str(iterations))
            child_seconds, child_status, child_kib = peak_rss_run([binaries[side]], env, subprocess.DEVNULL)
            record_bytes = record.stat().st_size
            output = Path(scratch) / "events.jsonl"
            command = [runners[side], "leaktest", "--manifest-path", str(manifests[side]),
                       "--target-dir", str(target_dir), "--release", "--exact", "trivial",
                       "--iterations", str(iterations), "--message-format", "json"]
            # A first run builds the harness (cargo and rustc are not the runner).
            subprocess.run([*command[:-4], "--list"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(output, "wb") as events:
                runner_seconds, runner_status, runner_kib = own_peak_rss_run(command, events)
            rows.append([
                side, f"{child_seconds:.1f}", f"{child_kib / 1024:.1f}", f"{record_bytes / 1e6:.3f}",
                f"{runner_seconds:.1f}", f"{runner_kib / 1024:.1f}", f"{longest_line(output) / 1e6:.3f}",
                f"{child_status} / {runner_status}",
            ])
    print(markdown_table(
        ["side", "child s", "child peak RSS MiB", "record MB", "cargo leaktest s",
         "cargo leaktest's own peak RSS MiB", "longest JSON line MB", "exit codes"],
        rows,
    ))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--before", default="main", help="git revision of the `before` side")
    parser.add_argument("--scale", action="store_true", help="measure 10,000,000 iterations instead")
    parser.add_argument("--iterations", type=int, default=10_000_000)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="leaktest-adaptive-"))
    before_source = scratch / "before-source"
    before_source.mkdir()
    archive = subprocess.run(["git", "-C", str(WORKSPACE), "archive", args.before], stdout=subprocess.PIPE, check=True)
    subprocess.run(["tar", "-x", "-C", str(before_source)], input=archive.stdout, check=True)
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", WORKSPACE / "target")) / "leaktest-adaptive-bench"
    env_target = ["--target-dir", str(target_dir)]
    cores = {"before": before_source / "leaktest-core", "after": WORKSPACE / "leaktest-core"}
    manifests = {}
    binaries = {}
    for side, core in cores.items():
        crate = write_side(scratch, f"lt_{side}", core)
        manifests[side] = crate / "Cargo.toml"
        built = cargo_executables(["test", "--release", "--no-run", "--manifest-path", str(manifests[side]), *env_target])
        binaries[side] = built["cases"]

    print(f"{machine_line()}; before = {args.before}, after = this checkout")
    if args.scale:
        # Both sides build to the same path: each is copied out before the other is built.
        runners = {}
        for side, source in (("before", before_source), ("after", WORKSPACE)):
            built = cargo_executables(["build", "--release", "-p", "cargo-leaktest", *env_target], cwd=source)
            runners[side] = str(scratch / f"cargo-leaktest-{side}")
            shutil.copy2(built["cargo-leaktest"], runners[side])
        scale(binaries, runners, manifests, target_dir, args.iterations)
    else:
        cost(binaries, args.rounds)
    print(f"1-min load at the end: {machine_line().rsplit(' ', 1)[-1]}")


if __name__ == "__main__":
    main()
