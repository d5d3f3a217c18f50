#!/usr/bin/env python3
"""Issue 12's cost goals for the allocation sites of heap growth.

1. With attribution off, the counting allocator is no slower than before:
   the `alloc_system` and `alloc_leaktest` bench binaries of this checkout and
   of another one (the baseline, e.g. an export of `main`), run interleaved
   round after round in a rotating order, on the allocation churn of goal 1,
   1 and 2 threads. Ratios are taken within a round.

       python3 benches/scripts/attribution_cost.py allocator --baseline-checkout DIR [--rounds 20] [--samples 7]

2. The attribution run of every heap-leaking example finishes in under 2 s:
   `cargo leaktest -p leaktest-examples --attribute` on the examples' leak
   tests (names containing `_leak`), one test at a time, several rounds; the
   wall time of each attribution run (its process, from start to exit, as
   cargo leaktest measured it) next to the test's own run.

       python3 benches/scripts/attribution_cost.py examples [--rounds 3]

Prints the machine line (with the 1-minute load) at start and end, and the
figures as Markdown tables.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from benchlib import WORKSPACE, cargo_executables, fmt_summary, log, machine_line, markdown_table, summary

ALLOCATOR_BENCHES = ["alloc_system", "alloc_leaktest"]
# A round's figure: the fastest of the timed runs in the process (interference
# only ever adds time), as alloc_ratios.py takes it.
ROUND_FIGURE = "ns_per_op_min"
GOAL_SECONDS = 2.0


def build_allocator_benches(checkout):
    args = ["bench", "-p", "leaktest-benches", "--no-run"]
    for bench in ALLOCATOR_BENCHES:
        args += ["--bench", bench]
    executables = cargo_executables(args, cwd=checkout)
    missing = [bench for bench in ALLOCATOR_BENCHES if bench not in executables]
    if missing:
        sys.exit(f"not built in {checkout}: {missing}")
    return {bench: executables[bench] for bench in ALLOCATOR_BENCHES}


def run_raw(executable, samples):
    output = subprocess.run(
        [executable],
        env={**os.environ, "BENCH_RAW": str(samples)},
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    ).stdout
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def allocator(args):
    baseline = Path(args.baseline_checkout).resolve()
    contenders = {}
    for label, checkout in (("baseline", baseline), ("this checkout", WORKSPACE)):
        for bench, path in build_allocator_benches(checkout).items():
            contenders[(label, bench)] = path
    names = list(contenders)
    print(f"machine: {machine_line()} (at start)")
    figures = {}
    for round_index in range(args.rounds):
        shift = round_index % len(names)
        order = names[shift:] + names[:shift]
        log(f"round {round_index + 1}/{args.rounds}")
        for name in order:
            for line in run_raw(contenders[name], args.samples):
                figures.setdefault((name, line["threads"]), []).append(line[ROUND_FIGURE])
    print(f"machine: {machine_line()} (at end)")
    rows = []
    for threads in (1, 2):
        for label in ("baseline", "this checkout"):
            system = figures[((label, "alloc_system"), threads)]
            counting = figures[((label, "alloc_leaktest"), threads)]
            ratios = [value / base for value, base in zip(counting, system)]
            rows.append([label, threads, fmt_summary(counting), fmt_summary(ratios, 3)])
        ours = figures[(("this checkout", "alloc_leaktest"), threads)]
        theirs = figures[(("baseline", "alloc_leaktest"), threads)]
        head_to_head = [mine / base for mine, base in zip(ours, theirs)]
        faster = sum(mine <= base for mine, base in zip(ours, theirs))
        rows.append(
            [
                "this / baseline (counting)",
                threads,
                "",
                f"{fmt_summary(head_to_head, 3)} ({faster}/{len(ours)} rounds not slower)",
            ]
        )
    print(
        markdown_table(
            ["counting allocator of", "threads", "ns per call (min / median / max)", "ratio to its system allocator, same round"],
            rows,
        )
    )


def examples(args):
    cargo_leaktest = cargo_executables(["build", "-p", "cargo-leaktest"])["cargo-leaktest"]
    command = [
        cargo_leaktest,
        "leaktest",
        "-p",
        "leaktest-examples",
        "--test",
        "leaks",
        "--attribute",
        "--message-format",
        "json",
        "-j",
        "1",
        "_leak",
    ]
    # Built once before timing anything.
    subprocess.run(command + ["--list"], cwd=WORKSPACE, stdout=subprocess.DEVNULL, check=True)
    print(f"machine: {machine_line()} (at start)")
    runs = {}
    for round_index in range(args.rounds):
        log(f"round {round_index + 1}/{args.rounds}")
        output = subprocess.run(command, cwd=WORKSPACE, stdout=subprocess.PIPE, text=True).stdout
        for line in output.splitlines():
            message = json.loads(line)
            if message.get("type") != "test_finished":
                continue
            record = message["record"]
            attribution = record.get("attribution") or {}
            heap_leaked = any(
                report["resource"] in ("heap_bytes", "heap_blocks") and report["judgement"]["leaking"]
                for report in record["resources"]
            )
            entry = runs.setdefault(record["name"], {"heap": heap_leaked, "test": [], "attribution": [], "kinds": set()})
            entry["test"].append(record["duration_ms"])
            entry["kinds"].add(attribution.get("kind", "none"))
            if attribution.get("kind") == "profiled":
                entry["attribution"].append(attribution["duration_ms"])
    print(f"machine: {machine_line()} (at end)")
    rows = []
    worst = 0.0
    for name, entry in sorted(runs.items()):
        attribution = entry["attribution"]
        if attribution:
            worst = max(worst, summary(attribution)[1] / 1000)
        rows.append(
            [
                name,
                "heap" if entry["heap"] else "no heap leak",
                fmt_summary([ms / 1000 for ms in entry["test"]]),
                fmt_summary([ms / 1000 for ms in attribution]) if attribution else ", ".join(sorted(entry["kinds"])),
            ]
        )
    print(markdown_table(["test", "leaks", "test's own run, s (min / median / max)", "attribution run, s"], rows))
    verdict = "met" if worst < GOAL_SECONDS else "NOT met"
    print(f"slowest attribution run (median): {worst:.2f} s; goal < {GOAL_SECONDS:.0f} s: {verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    allocator_parser = commands.add_parser("allocator", help="the counting allocator against another checkout's")
    allocator_parser.add_argument("--baseline-checkout", required=True, help="a checkout of the baseline (e.g. main)")
    allocator_parser.add_argument("--rounds", type=int, default=20)
    allocator_parser.add_argument("--samples", type=int, default=7, help="timed runs per process and thread count")
    examples_parser = commands.add_parser("examples", help="the attribution run of every leaking example")
    examples_parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    {"allocator": allocator, "examples": examples}[args.command](args)


if __name__ == "__main__":
    main()
