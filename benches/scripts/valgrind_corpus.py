#!/usr/bin/env python3
"""Goal 5: leaktest against valgrind memcheck on the examples corpus.

For every case of examples/tests/leaks.rs that benches/src/bin/corpus_plain.rs
mirrors, three processes run, interleaved in a rotating order, round after round:

- native:   corpus_plain CASE, the body N times as a plain program (no tool);
- leaktest: the examples' `leaks` test binary running that one leak test in a
            process of its own (child mode, as `cargo leaktest` starts it);
- valgrind: valgrind --leak-check=full corpus_plain CASE.

A case whose name ends in `_leaks` has a real leak; one ending in `_is_clean`
has none (a flag there is a false alarm). leaktest "catches" a case when its
record marks any resource as leaking; valgrind when it reports bytes
definitely or indirectly lost.

    CARGO_TARGET_DIR=/work/target-bench python3 benches/scripts/valgrind_corpus.py [--rounds N] [--cases SUBSTRING]

Both binaries are built with the release profile.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import cargo_executables, log, machine_line, markdown_table

SUMMARY = re.compile(r"(definitely lost|indirectly lost|possibly lost|still reachable): ([\d,]+) bytes in ([\d,]+) blocks")


def timed(command, env=None, pass_fds=()):
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          pass_fds=pass_fds)
    return (time.perf_counter() - started) * 1e3, done


def run_leaktest(binary, case, record_dir):
    # The child proves a runner started it: LEAKTEST_RECORD names an
    # inherited descriptor open on its record directory, as `<fd>:<dev>:<ino>`.
    records = tempfile.mkdtemp(dir=record_dir)
    fd = os.open(records, os.O_RDONLY)
    os.set_inheritable(fd, True)
    stat = os.fstat(fd)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAKTEST_")}
    env.update({"LEAKTEST_CHILD": case, "LEAKTEST_RECORD": f"{fd}:{stat.st_dev}:{stat.st_ino}"})
    try:
        ms, done = timed([binary], env, pass_fds=(fd,))
    finally:
        os.close(fd)
    leaking = []
    outcome = f"exit {done.returncode}"
    try:
        # The record is named after the process that ran the test.
        [name] = [n for n in os.listdir(records) if n.startswith("record-") and n.endswith(".json")]
        with open(os.path.join(records, name)) as file:
            data = json.load(file)
        outcome = data["outcome"]["kind"]
        leaking = [r["resource"] for r in data["resources"] if r["judgement"]["leaking"]]
    except (OSError, ValueError, KeyError):
        pass
    shutil.rmtree(records, ignore_errors=True)
    return ms, leaking, outcome


def run_valgrind(binary, case):
    ms, done = timed(["valgrind", "--leak-check=full", binary, case])
    lost = {}
    for kind, size, blocks in SUMMARY.findall(done.stderr):
        lost[kind] = (int(size.replace(",", "")), int(blocks.replace(",", "")))
    if "definitely lost" not in lost and "All heap blocks were freed" in done.stderr:
        lost = {"definitely lost": (0, 0), "indirectly lost": (0, 0)}
    return ms, lost


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", default="", help="run only cases containing this")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed (apt-get install valgrind)")

    plain = cargo_executables(["build", "--release", "-p", "leaktest-benches", "--bin", "corpus_plain"])
    leaks = cargo_executables(["test", "--release", "-p", "leaktest-examples", "--test", "leaks", "--no-run"])
    corpus_plain, leaks_binary = plain.get("corpus_plain"), leaks.get("leaks")
    if not corpus_plain or not leaks_binary:
        sys.exit("could not build corpus_plain or the examples' leaks binary")

    listed = subprocess.run([corpus_plain, "--list"], stdout=subprocess.PIPE, text=True, check=True).stdout
    cases = [line.split()[0] for line in listed.splitlines() if args.cases in line]
    print(f"machine: {machine_line()} (at start)")

    native, leaktest, valgrind = {}, {}, {}
    verdicts = {}
    with tempfile.TemporaryDirectory() as record_dir:
        for round_index in range(args.rounds):
            log(f"round {round_index + 1}/{args.rounds}")
            for case_index, case in enumerate(cases):
                runs = ["native", "leaktest", "valgrind"]
                shift = (round_index + case_index) % 3
                for run in runs[shift:] + runs[:shift]:
                    if run == "native":
                        ms, _ = timed([corpus_plain, case])
                        native.setdefault(case, []).append(ms)
                    elif run == "leaktest":
                        ms, leaking, outcome = run_leaktest(leaks_binary, case, record_dir)
                        leaktest.setdefault(case, []).append(ms)
                        verdicts.setdefault(case, {})["leaktest"] = (leaking, outcome)
                    else:
                        ms, lost = run_valgrind(corpus_plain, case)
                        valgrind.setdefault(case, []).append(ms)
                        verdicts.setdefault(case, {})["valgrind"] = lost
    print(f"machine: {machine_line()} (at end)")

    rows = []
    score = {"leaktest": [0, 0], "valgrind": [0, 0]}  # [caught leaks, false alarms]
    leaky_cases = sum(case.endswith("_leaks") for case in cases)
    totals = {"native": 0.0, "leaktest": 0.0, "valgrind": 0.0}
    for case in cases:
        leaky = case.endswith("_leaks")
        leaking, outcome = verdicts[case]["leaktest"]
        lost = verdicts[case]["valgrind"]
        definitely = lost.get("definitely lost", (0, 0))
        indirectly = lost.get("indirectly lost", (0, 0))
        reachable = lost.get("still reachable", (0, 0))
        valgrind_flags = definitely[0] + indirectly[0] > 0
        leaktest_flags = bool(leaking)
        for tool, flags in (("leaktest", leaktest_flags), ("valgrind", valgrind_flags)):
            if flags and leaky:
                score[tool][0] += 1
            elif flags and not leaky:
                score[tool][1] += 1
        medians = {
            "native": statistics.median(native[case]),
            "leaktest": statistics.median(leaktest[case]),
            "valgrind": statistics.median(valgrind[case]),
        }
        for key, value in medians.items():
            totals[key] += value

        def mark(flags):
            if flags == leaky:
                return "caught" if leaky else "clean"
            return "MISSED" if leaky else "FALSE ALARM"

        rows.append(
            [
                case,
                "leak" if leaky else "none",
                f"{medians['native']:.1f}",
                f"{medians['leaktest']:.1f}",
                f"{medians['valgrind']:.1f}",
                f"{mark(leaktest_flags)} ({', '.join(leaking) or outcome})",
                f"{mark(valgrind_flags)} (def {definitely[0]} B, ind {indirectly[0]} B, reach {reachable[0]} B)",
            ]
        )
    print(f"\nexamples corpus, {args.rounds} interleaved rounds; times are medians in ms\n")
    print(
        markdown_table(
            ["case", "real leak", "native ms", "leaktest ms", "valgrind ms", "leaktest", "valgrind --leak-check=full"],
            rows,
        )
    )
    print()
    print(
        f"total time: native {totals['native']:.0f} ms, leaktest {totals['leaktest']:.0f} ms, "
        f"valgrind {totals['valgrind']:.0f} ms (valgrind / leaktest = {totals['valgrind'] / totals['leaktest']:.2f})"
    )
    for tool in ("leaktest", "valgrind"):
        caught, false_alarms = score[tool]
        print(f"{tool}: caught {caught}/{leaky_cases} leaks, {false_alarms} false alarms on {len(cases) - leaky_cases} clean cases")


if __name__ == "__main__":
    main()
