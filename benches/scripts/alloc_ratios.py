#!/usr/bin/env python3
"""Goal 1: the counting allocator against the system allocator, stats_alloc
and dhat, on the allocation churn, 1 and 2 threads.

Each allocator is the global allocator of its own bench binary
(benches/benches/alloc_*.rs). The binaries run interleaved, round after
round, in a rotating order; each round yields one median per allocator and
thread count, and the ratio to the system allocator is taken within the round
so that load drifting between rounds cancels out.

    CARGO_TARGET_DIR=/work/target-bench python3 benches/scripts/alloc_ratios.py [--rounds N]

Prints min / median / max over rounds of ns per allocator call and of the
ratio to the system allocator, and whether goal 1 is met.
"""

import argparse
import json
import os
import subprocess
import sys

from benchlib import cargo_executables, fmt_summary, log, machine_line, markdown_table, summary

ALLOCATORS = ["system", "leaktest", "stats_alloc", "dhat", "passthrough"]
GOALS = {1: 1.10, 2: 1.25}
# A round's figure for one allocator is the fastest of the timed runs in its
# process: on a shared machine interference only ever adds time, so the
# fastest run is the one least disturbed, for every allocator alike.
ROUND_FIGURE = "ns_per_op_min"


def run_raw(executable, samples):
    output = subprocess.run(
        [executable],
        env={**os.environ, "LEAKTEST_BENCH_RAW": str(samples)},
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    ).stdout
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--samples", type=int, default=7, help="timed runs per process and thread count")
    args = parser.parse_args()

    executables = cargo_executables(["bench", "-p", "leaktest-benches", "--no-run"])
    binaries = {name: executables.get(f"alloc_{name}") for name in ALLOCATORS}
    missing = [name for name, path in binaries.items() if not path]
    if missing:
        sys.exit(f"bench binaries not built: {missing}")

    print(f"machine: {machine_line()} (at start)")
    # per_round[(allocator, threads)] = [median ns/op of each round]
    per_round = {}
    for round_index in range(args.rounds):
        shift = round_index % len(ALLOCATORS)
        order = ALLOCATORS[shift:] + ALLOCATORS[:shift]
        log(f"round {round_index + 1}/{args.rounds}: {' '.join(order)}")
        for name in order:
            for line in run_raw(binaries[name], args.samples):
                per_round.setdefault((name, line["threads"]), []).append(line[ROUND_FIGURE])
    print(f"machine: {machine_line()} (at end)")

    rows = []
    verdicts = []
    for threads in (1, 2):
        baseline = per_round[("system", threads)]
        for name in ALLOCATORS:
            values = per_round[(name, threads)]
            ratios = [value / base for value, base in zip(values, baseline)]
            rows.append([name, threads, fmt_summary(values), fmt_summary(ratios, 3), f"{min(values) / min(baseline):.3f}"])
            if name == "leaktest":
                verdicts.append((threads, summary(ratios)[1]))
        leaktest = per_round[("leaktest", threads)]
        for rival in ("stats_alloc", "dhat"):
            wins = sum(ours < theirs for ours, theirs in zip(leaktest, per_round[(rival, threads)]))
            rival_ratio = summary([r / l for r, l in zip(per_round[(rival, threads)], leaktest)])[1]
            verdicts.append((threads, rival, wins, rival_ratio))

    print(
        f"\nallocation churn, {args.rounds} interleaved rounds of {args.samples} timed runs per process; "
        "a round's figure is the fastest of its process's runs; each cell min / median / max over rounds\n"
    )
    print(
        markdown_table(
            ["allocator", "threads", "ns per call", "ratio to system (same round)", "fastest / fastest system"],
            rows,
        )
    )
    print()
    for verdict in verdicts:
        if len(verdict) == 2:
            threads, ratio = verdict
            goal = GOALS[threads]
            status = "met" if ratio <= goal else f"NOT met (over by {100 * (ratio / goal - 1):.1f}%)"
            print(f"goal 1, {threads} thread(s): leaktest/system median ratio {ratio:.3f} <= {goal}: {status}")
        else:
            threads, rival, wins, rival_ratio = verdict
            print(
                f"goal 1, {threads} thread(s): leaktest faster than {rival} in {wins}/{args.rounds} rounds "
                f"({rival} is {rival_ratio:.2f}x leaktest, median)"
            )


if __name__ == "__main__":
    main()
