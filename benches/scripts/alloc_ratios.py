#!/usr/bin/env python3
"""Goal 1: the counting allocator against the system allocator, stats_alloc
and dhat, on every allocation workload (the churn, the small-block churn and
a JSON round trip), 1 and 2 threads; `leaktest_round1` is the counting
allocator of the first performance round, for before/after.

Each allocator is the global allocator of its own bench binary
(benches/benches/alloc_*.rs). The binaries run interleaved, round after
round, each round in a shuffled order; each round yields one figure per allocator,
workload and thread count, and the ratio to the system allocator is taken
within the round so that load drifting between rounds cancels out.

    python3 benches/scripts/alloc_ratios.py [--rounds N] [--samples N] [--workloads churn,small_blocks,json]
        [--clock wall|cpu] [--contender NAME=PATH ...]

`--contender` adds another binary built from `allocator_benches!` (for
instance the allocator of an older commit, built in another checkout) to
compare in the same run.

Prints min / median / max over rounds of ns per unit of work and of the
ratio to the system allocator, and whether goal 1 is met on each workload.
"""

import argparse
import json
import os
import random
import subprocess
import sys

from benchlib import cargo_executables, fmt_summary, log, machine_line, markdown_table, summary

ALLOCATORS = ["system", "leaktest", "leaktest_round1", "stats_alloc", "dhat", "passthrough"]
WORKLOADS = ["churn", "small_blocks", "json"]
UNITS = {"churn": "ns per allocator call", "small_blocks": "ns per vector", "json": "ms per round trip"}
SCALE = {"churn": 1.0, "small_blocks": 1.0, "json": 1e-6}
# Goal 1: at most this ratio to the system allocator, by thread count.
GOALS = {1: 1.05, 2: 1.15}
# A round's figure for one allocator is the fastest of the timed runs in its
# process: on a shared machine interference only ever adds time, so the
# fastest run is the one least disturbed, for every allocator alike. By wall
# time, or (--clock cpu) by the CPU time of the busiest thread, which leaves
# out the time other processes held the CPU: steadier on a loaded machine,
# but on 2 threads it misses contention when the threads did not run at once.
ROUND_FIGURE = {"wall": "ns_per_op_min", "cpu": "cpu_ns_per_op_min"}


def run_raw(executable, samples, workloads):
    output = subprocess.run(
        [executable],
        env={**os.environ, "BENCH_RAW": str(samples), "BENCH_WORKLOADS": ",".join(workloads)},
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    ).stdout
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--samples", type=int, default=5, help="timed runs per process, workload and thread count")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--clock", choices=sorted(ROUND_FIGURE), default="wall")
    parser.add_argument("--contender", action="append", default=[], help="NAME=PATH of another allocator bench binary")
    args = parser.parse_args()
    workloads = [name for name in args.workloads.split(",") if name]
    unknown = [name for name in workloads if name not in WORKLOADS]
    if unknown:
        sys.exit(f"unknown workloads {unknown}; known: {WORKLOADS}")

    executables = cargo_executables(["bench", "-p", "leaktest-benches", "--no-run"])
    binaries = {name: executables.get(f"alloc_{name}") for name in ALLOCATORS}
    for contender in args.contender:
        name, _, path = contender.partition("=")
        if not name or not os.access(path, os.X_OK):
            sys.exit(f"--contender wants NAME=PATH of an executable, not {contender!r}")
        binaries[name] = path
    missing = [name for name, path in binaries.items() if not path]
    if missing:
        sys.exit(f"bench binaries not built: {missing}")
    names = list(binaries)

    print(f"machine: {machine_line()} (at start)")
    # per_round[(allocator, workload, threads)] = [figure of each round]
    per_round = {}
    # A fresh shuffle each round (seeded: repeatable), so that no binary always
    # follows the same one; a fixed rotation keeps every predecessor.
    shuffler = random.Random(0x5EED)
    for round_index in range(args.rounds):
        order = list(names)
        shuffler.shuffle(order)
        log(f"round {round_index + 1}/{args.rounds}: {' '.join(order)}")
        for name in order:
            for line in run_raw(binaries[name], args.samples, workloads):
                key = (name, line["workload"], line["threads"])
                per_round.setdefault(key, []).append(line[ROUND_FIGURE[args.clock]] * SCALE[line["workload"]])
    print(f"machine: {machine_line()} (at end)")

    print(
        f"\n{args.rounds} interleaved rounds of {args.samples} timed runs per process; a round's figure is the "
        f"fastest of its process's runs ({args.clock} time); each cell min / median / max over rounds"
    )
    verdicts = []
    for workload in workloads:
        rows = []
        for threads in (1, 2):
            baseline = per_round[("system", workload, threads)]
            for name in names:
                values = per_round[(name, workload, threads)]
                ratios = [value / base for value, base in zip(values, baseline)]
                rows.append(
                    [name, threads, fmt_summary(values, 3), fmt_summary(ratios, 3), f"{min(values) / min(baseline):.3f}"]
                )
            leaktest = per_round[("leaktest", workload, threads)]
            ratio = summary([value / base for value, base in zip(leaktest, baseline)])[1]
            goal = GOALS[threads]
            status = "met" if ratio <= goal else f"NOT met (over by {100 * (ratio / goal - 1):.1f}%)"
            verdicts.append(f"goal 1, {workload}, {threads} thread(s): leaktest/system median ratio {ratio:.3f} <= {goal}: {status}")
            for rival in ("stats_alloc", "dhat"):
                theirs = per_round[(rival, workload, threads)]
                wins = sum(ours < other for ours, other in zip(leaktest, theirs))
                rival_ratio = summary([other / ours for ours, other in zip(leaktest, theirs)])[1]
                faster = "met" if rival_ratio > 1 else "NOT met"
                verdicts.append(
                    f"goal 1, {workload}, {threads} thread(s): leaktest faster than {rival} in {wins}/{args.rounds} rounds "
                    f"({rival} is {rival_ratio:.3f}x leaktest, median): {faster}"
                )
        print(f"\n### {workload} ({UNITS[workload]})\n")
        print(
            markdown_table(
                ["allocator", "threads", UNITS[workload], "ratio to system (same round)", "fastest / fastest system"],
                rows,
            )
        )
    print()
    for verdict in verdicts:
        print(verdict)


if __name__ == "__main__":
    main()
