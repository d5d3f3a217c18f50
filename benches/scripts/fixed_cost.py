#!/usr/bin/env python3
"""Goal 3, taken apart: where the fixed cost of a leak test goes.

Every contender is a process timed from spawn to exit (wall time, and the
CPU time of the process and everything it reaped); all run interleaved,
round after round, each round in a freshly shuffled order (seeded), and
every figure below the first table is computed within a round before the
median is taken:

- start:          `plain_body 0 1`, the process start of a plain program
- plain N:        `plain_body N 1`, N calls of the real body (about 25 us)
- list:           `leaktest_fixture --list`, the test binary started as a
                  harness (its larger image, the command line, the settings)
- empty N:        the `empty_body_unsettled` leak test at N iterations, in
                  child mode (as `cargo leaktest` starts it: keeper, test
                  process, a fresh record directory handed down by descriptor)
- leak N:         the `realistic_body_unsettled` leak test at N iterations
- before ...:     with `--before PATH`, the same leak tests of another build
                  of `leaktest_fixture` (for example a copy of main's)

Derived, per round:

- one-time cost of a leak test:   empty 4 - start
- cost of a sample, per iteration: (empty 100 - empty 4) / 96
- the body per call, plain and in a leak test: (N=300 - N=100) / 200
- the goal-3 ratio:               leak 100 / plain 100

    python3 benches/scripts/fixed_cost.py [--rounds 80] [--before PATH]
"""

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import cargo_executables, fmt_summary, log, machine_line, markdown_table

# The protocol's variables (leaktest_core::protocol): run one test, and the
# record directory as <fd>:<device>:<inode> of a descriptor handed down.
ENV_CHILD = "LEAKTEST_CHILD"
ENV_RECORD = "LEAKTEST_RECORD"
ENV_ITERATIONS = "LEAKTEST_ITERATIONS"
RECORD_FD = 7


def children_cpu_ms():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1e3


class Contender:
    def __init__(self, name, argv, test=None, iterations=None):
        self.name = name
        self.argv = argv
        self.test = test
        self.iterations = iterations
        self.wall = []
        self.cpu = []

    def run(self, scratch, index):
        env = None
        pass_fds = ()
        if self.test is not None:
            record_dir = os.path.join(scratch, f"records-{index}")
            os.mkdir(record_dir)
            fd = os.open(record_dir, os.O_RDONLY | os.O_DIRECTORY)
            os.dup2(fd, RECORD_FD)
            os.close(fd)
            stat = os.fstat(RECORD_FD)
            env = dict(os.environ)
            env[ENV_CHILD] = self.test
            env[ENV_RECORD] = f"{RECORD_FD}:{stat.st_dev}:{stat.st_ino}"
            env[ENV_ITERATIONS] = str(self.iterations)
            pass_fds = (RECORD_FD,)
        cpu_before = children_cpu_ms()
        started = time.perf_counter()
        status = subprocess.run(
            self.argv, env=env, pass_fds=pass_fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ).returncode
        wall = (time.perf_counter() - started) * 1e3
        cpu = children_cpu_ms() - cpu_before
        if self.test is not None:
            os.close(RECORD_FD)
        if status != 0:
            sys.exit(f"`{self.name}` failed with exit code {status}")
        self.wall.append(wall)
        self.cpu.append(cpu)


def per_round(values_by_name, formula):
    """formula(round's values by name) for every round."""
    rounds = len(next(iter(values_by_name.values())))
    return [formula({name: values[r] for name, values in values_by_name.items()}) for r in range(rounds)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=80)
    parser.add_argument("--before", help="another build of leaktest_fixture, run in the same rounds")
    args = parser.parse_args()

    built = cargo_executables(["bench", "-p", "leaktest-benches", "--no-run"])
    plain, fixture = built.get("plain_body"), built.get("leaktest_fixture")
    if not plain or not fixture:
        sys.exit("plain_body or leaktest_fixture was not built")

    def leak_tests(prefix, binary):
        return [
            Contender(f"{prefix}empty 4", [binary], "empty_body_unsettled", 4),
            Contender(f"{prefix}empty 100", [binary], "empty_body_unsettled", 100),
            Contender(f"{prefix}leak 100", [binary], "realistic_body_unsettled", 100),
            Contender(f"{prefix}leak 300", [binary], "realistic_body_unsettled", 300),
        ]

    contenders = [
        Contender("start", [plain, "0", "1"]),
        Contender("plain 100", [plain, "100", "1"]),
        Contender("plain 300", [plain, "300", "1"]),
        Contender("list", [fixture, "--list"]),
        *leak_tests("", fixture),
    ]
    if args.before:
        contenders += leak_tests("before: ", args.before)

    log(f"{args.rounds} rounds of {len(contenders)} processes")
    header = machine_line()
    rng = random.Random(0x5EED)
    index = 0
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.rounds):
            order = list(contenders)
            rng.shuffle(order)
            for contender in order:
                index += 1
                contender.run(scratch, index)
    print(f"machine: {header} (at start)")
    print(f"machine: {machine_line()} (at end)")
    print()
    print(f"{args.rounds} interleaved rounds; ms, min / median / max")
    print()
    print(
        markdown_table(
            ["contender", "wall ms", "CPU ms"],
            [[c.name, fmt_summary(c.wall), fmt_summary(c.cpu)] for c in contenders],
        )
    )
    for clock in ["wall", "cpu"]:
        values = {c.name: getattr(c, clock) for c in contenders}
        rows = []

        def derived(label, formula, unit, digits=3):
            series = per_round(values, formula)
            rows.append([label, unit, fmt_summary(series, digits)])

        for prefix in ["", "before: "] if args.before else [""]:
            derived(f"{prefix}one-time cost (empty 4 - start)", lambda v: v[f"{prefix}empty 4"] - v["start"], "ms")
            derived(
                f"{prefix}sample per iteration ((empty 100 - empty 4) / 96)",
                lambda v: (v[f"{prefix}empty 100"] - v[f"{prefix}empty 4"]) / 96 * 1e3,
                "us",
                2,
            )
            derived(
                f"{prefix}body per call in a leak test ((leak 300 - leak 100) / 200)",
                lambda v: (v[f"{prefix}leak 300"] - v[f"{prefix}leak 100"]) / 200 * 1e3,
                "us",
                2,
            )
            derived(f"{prefix}goal 3: leak 100 / plain 100", lambda v: v[f"{prefix}leak 100"] / v["plain 100"], "ratio")
        derived("body per call, plain ((plain 300 - plain 100) / 200)", lambda v: (v["plain 300"] - v["plain 100"]) / 200 * 1e3, "us", 2)
        derived("list - start (starting the test binary as a harness)", lambda v: v["list"] - v["start"], "ms")
        if args.before:
            derived("one-time cost, after - before", lambda v: v["empty 4"] - v["before: empty 4"], "ms")
            derived("leak 100, after / before", lambda v: v["leak 100"] / v["before: leak 100"], "ratio")
        print()
        print(f"derived within each round ({clock} time), min / median / max over rounds")
        print()
        print(markdown_table(["figure", "unit", "value"], rows))
        # The same from each contender's fastest run: on a shared machine
        # interference only ever adds time, and when its speed flips between
        # two states within rounds (a busy sibling of the vCPU) the in-round
        # figures spread while the fastest runs stay put.
        fastest = {name: min(series) for name, series in values.items()}
        rows = []
        for prefix in ["", "before: "] if args.before else [""]:
            rows += [
                [f"{prefix}one-time cost", "ms", f"{fastest[prefix + 'empty 4'] - fastest['start']:.3f}"],
                [
                    f"{prefix}sample per iteration",
                    "us",
                    f"{(fastest[prefix + 'empty 100'] - fastest[prefix + 'empty 4']) / 96 * 1e3:.2f}",
                ],
                [
                    f"{prefix}body per call in a leak test",
                    "us",
                    f"{(fastest[prefix + 'leak 300'] - fastest[prefix + 'leak 100']) / 200 * 1e3:.2f}",
                ],
                [f"{prefix}goal 3: leak 100 / plain 100", "ratio", f"{fastest[prefix + 'leak 100'] / fastest['plain 100']:.3f}"],
            ]
        rows += [
            ["body per call, plain", "us", f"{(fastest['plain 300'] - fastest['plain 100']) / 200 * 1e3:.2f}"],
            ["list - start", "ms", f"{fastest['list'] - fastest['start']:.3f}"],
        ]
        print()
        print(f"the same from each contender's fastest run ({clock} time)")
        print()
        print(markdown_table(["figure", "unit", "value"], rows))


if __name__ == "__main__":
    main()
