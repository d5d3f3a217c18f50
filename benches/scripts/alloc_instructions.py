#!/usr/bin/env python3
"""Where the allocator's cycles go, counted in instructions: each allocator
bench binary runs every workload once under valgrind's callgrind, which counts
the instructions executed whatever the load of the machine, and the report
gives per workload the instructions of each allocator, the excess over the
system allocator's, and that excess per allocator call.

    python3 benches/scripts/alloc_instructions.py [--workloads churn,small_blocks,json]
        [--contender NAME=PATH ...] [--functions]

--functions also lists the instructions spent in the allocator entry points
(__rust_alloc, __rust_dealloc, __rust_realloc) and in leaktest's cold paths.
Needs valgrind (Debian: apt-get install valgrind). Instructions are not
time (a wrapper's instructions partly overlap the allocator's own), but they
repeat exactly from run to run, which timings on a shared machine do not.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from benchlib import cargo_executables, log, markdown_table

ALLOCATORS = ["system", "leaktest", "leaktest_round1", "stats_alloc", "dhat", "passthrough"]
WORKLOADS = ["churn", "small_blocks", "json"]
ENTRY_POINTS = ("__rust_alloc", "__rust_dealloc", "__rust_realloc", "__rust_alloc_zeroed")


def parse_callgrind(path):
    """(total instructions, calls of the allocator entry points, instructions
    by function) from a callgrind output file."""
    names = {}
    total = None
    calls = 0
    by_function = {}
    current_function = None
    pending_callee = None
    for line in Path(path).read_text(errors="replace").splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            total = int(line.split()[1])
            continue
        match = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line)
        if match:
            kind, ident, name = match.groups()
            if name:
                names[ident] = name
            name = names.get(ident, "")
            if kind == "fn":
                current_function = name
                pending_callee = None
            else:
                pending_callee = name
            continue
        if line.startswith("calls="):
            if pending_callee and pending_callee.rsplit("::", 1)[-1] in ENTRY_POINTS:
                calls += int(line.split("=", 1)[1].split()[0])
            continue
        if pending_callee is not None and line and line[0].isdigit():
            # The inclusive cost line of a call: not the caller's own cost.
            pending_callee = None
            continue
        if current_function and line and (line[0].isdigit() or line[0] in "+-*"):
            fields = line.split()
            if len(fields) >= 2 and fields[1].isdigit():
                by_function[current_function] = by_function.get(current_function, 0) + int(fields[1])
    return total or 0, calls, by_function


def count(binary, workload, scratch):
    out = Path(scratch) / f"{Path(binary).name}-{workload}.callgrind"
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary],
        env={**os.environ, "BENCH_RAW": "1", "BENCH_WORKLOADS": workload},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return parse_callgrind(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--contender", action="append", default=[], help="NAME=PATH of another allocator bench binary")
    parser.add_argument("--functions", action="store_true")
    args = parser.parse_args()
    if subprocess.run(["valgrind", "--version"], stdout=subprocess.DEVNULL).returncode != 0:
        sys.exit("valgrind is not installed")
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

    with tempfile.TemporaryDirectory(prefix="leaktest-callgrind-") as scratch:
        for workload in [name for name in args.workloads.split(",") if name]:
            results = {}
            for name, binary in binaries.items():
                log(f"callgrind: {name} on {workload}")
                results[name] = count(binary, workload, scratch)
            system_total, system_calls, _ = results["system"]
            rows = []
            for name, (total, calls, _) in results.items():
                excess = total - system_total
                per_call = excess / system_calls if system_calls else float("nan")
                rows.append([name, f"{total:,}", f"{excess:+,}", f"{100 * excess / system_total:+.2f}%", f"{per_call:+.1f}"])
            print(f"\n### {workload}: one warm-up and one timed run on 1 and on 2 threads, {system_calls:,} allocator calls\n")
            print(markdown_table(["allocator", "instructions", "over system", "", "per allocator call"], rows))
            if args.functions:
                for name, (_, _, by_function) in results.items():
                    hot = sorted(
                        (
                            (instructions, function)
                            for function, instructions in by_function.items()
                            if function.rsplit("::", 1)[-1] in ENTRY_POINTS or "leaktest_core::alloc" in function
                        ),
                        reverse=True,
                    )
                    listed = ", ".join(f"{function.rsplit('::', 1)[-1]} {instructions:,}" for instructions, function in hot[:6])
                    print(f"- {name}: {listed}")


if __name__ == "__main__":
    main()
