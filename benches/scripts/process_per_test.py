#!/usr/bin/env python3
"""Goal 4: `cargo leaktest` over 200 trivial leak tests against `cargo nextest
run` over 200 trivial #[test]s: both run one process per test.

A scratch workspace gets three crates of the same shape (a lib and one test
file of 200 tests, each allocating and freeing 16 bytes):

- lt:  200 #[leak_test]s with default settings (100 iterations, settle window);
- lt0: the same with settle = "0ms", to show what the settle window costs;
- nx:  200 plain #[test]s.

Everything is built first (excluded from the timings); then the runs below
are timed from start to exit, interleaved in a shuffled order, round after
round, and each ratio is taken within its round:

- cargo leaktest -p lt / -p lt0     (the cargo-leaktest of this workspace)
- cargo nextest run -p nx
- cargo test -p nx                  (reference: libtest, all tests in one process)
- with --before PATH (a checkout of another revision of this workspace): its
  cargo-leaktest on the same two crates built against its leaktest-core, in
  the same rounds

    CARGO_TARGET_DIR=/work/target-bench python3 benches/scripts/process_per_test.py [--rounds N] [--tests N] [--before PATH]
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import WORKSPACE, cargo_executables, fmt_summary, log, machine_line, markdown_table, summary

GOAL = 1.0


def write_fixture(root, tests, core):
    root.mkdir(parents=True)
    (root / "Cargo.toml").write_text('[workspace]\nresolver = "2"\nmembers = ["lt", "lt0", "nx"]\n')
    for name, attribute in (("lt", "#[leak_test]"), ("lt0", '#[leak_test(settle = "0ms")]'), ("nx", "#[test]")):
        crate = root / name
        (crate / "src").mkdir(parents=True)
        (crate / "tests").mkdir()
        (crate / "src" / "lib.rs").write_text("//! Fixture.\n")
        manifest = f'[package]\nname = "{name}"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n'
        if name == "nx":
            body = "".join(
                f"\n{attribute}\nfn trivial_{index:03}() {{\n    std::hint::black_box(vec![0u8; 16]);\n}}\n"
                for index in range(tests)
            )
            (crate / "tests" / "trivial.rs").write_text("//! Trivial tests.\n" + body)
        else:
            manifest += (
                f'\n[dev-dependencies]\nleaktest-core = {{ path = "{core}" }}\n'
                '\n[[test]]\nname = "trivial"\nharness = false\n'
            )
            body = "".join(
                f"\n{attribute}\nfn trivial_{index:03}() {{\n    std::hint::black_box(vec![0u8; 16]);\n}}\n"
                for index in range(tests)
            )
            (crate / "tests" / "trivial.rs").write_text(
                "//! Trivial leak tests.\nuse leaktest_core::leak_test;\n" + body + "\nleaktest_core::main!();\n"
            )
        (crate / "Cargo.toml").write_text(manifest)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--keep", help="build the scratch workspace here and keep it")
    parser.add_argument("--before", help="a checkout of another revision, run in the same rounds")
    args = parser.parse_args()
    if not shutil.which("cargo-nextest"):
        sys.exit("cargo-nextest is not installed (cargo install cargo-nextest)")

    built = cargo_executables(["build", "--release", "-p", "cargo-leaktest"])
    cargo_leaktest = built.get("cargo-leaktest")
    if not cargo_leaktest:
        sys.exit("could not build cargo-leaktest")

    scratch = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="leaktest-ppt-"))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        envs = {}

        def fixture(name, core):
            # A target directory per fixture workspace: the two share crate
            # names, and one directory would rebuild on every switch.
            env = envs[name] = {**os.environ, "CARGO_TARGET_DIR": str(scratch / f"target-{name}")}
            root = scratch / name
            if root.exists():
                shutil.rmtree(root)
            write_fixture(root, args.tests, core)
            manifest = str(root / "Cargo.toml")
            log(f"building the fixture workspace {name} (not timed)")
            for command in (
                ["cargo", "test", "--workspace", "--no-run", "--manifest-path", manifest],
                ["cargo", "nextest", "run", "--no-run", "-p", "nx", "--manifest-path", manifest],
            ):
                subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return manifest

        def leaktest_runs(prefix, runner, manifest, env):
            return {
                f"{prefix}cargo leaktest (default settle)": (
                    [runner, "leaktest", "-p", "lt", "-q", "--color", "never", "--manifest-path", manifest],
                    env,
                ),
                f'{prefix}cargo leaktest (settle = "0ms")': (
                    [runner, "leaktest", "-p", "lt0", "-q", "--color", "never", "--manifest-path", manifest],
                    env,
                ),
            }

        manifest = fixture("ws", WORKSPACE / "leaktest-core")
        env = envs["ws"]
        runs = {
            **leaktest_runs("", cargo_leaktest, manifest, env),
            "cargo nextest run": (["cargo", "nextest", "run", "-p", "nx", "--manifest-path", manifest], env),
            "cargo test (one process)": (["cargo", "test", "-p", "nx", "--manifest-path", manifest], env),
        }
        if args.before:
            before = Path(args.before).resolve()
            log(f"building cargo-leaktest of {before} (not timed)")
            subprocess.run(
                ["cargo", "build", "--release", "-p", "cargo-leaktest", "--manifest-path", str(before / "Cargo.toml")],
                env={**os.environ, "CARGO_TARGET_DIR": str(scratch / "target-before")},
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            before_runner = scratch / "target-before" / "release" / "cargo-leaktest"
            before_manifest = fixture("ws-before", before / "leaktest-core")
            runs.update(leaktest_runs("before: ", before_runner, before_manifest, envs["ws-before"]))
        names = list(runs)
        print(f"machine: {machine_line()} (at start)")
        timings = {name: [] for name in names}
        # A fresh shuffle each round (seeded: repeatable): no run always follows the same one.
        shuffler = random.Random(0x5EED)
        for round_index in range(args.rounds):
            order = list(names)
            shuffler.shuffle(order)
            log(f"round {round_index + 1}/{args.rounds}: {', '.join(order)}")
            for name in order:
                started = time.perf_counter()
                argv, run_env = runs[name]
                done = subprocess.run(argv, env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                elapsed = time.perf_counter() - started
                if done.returncode != 0:
                    sys.exit(f"`{name}` failed with exit code {done.returncode}:\n{done.stderr[-2000:]}")
                timings[name].append(elapsed)
        print(f"machine: {machine_line()} (at end)")
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)

    baseline = timings["cargo nextest run"]
    rows = []
    for name in names:
        ratios = [value / base for value, base in zip(timings[name], baseline)]
        rows.append([name, fmt_summary(timings[name], 2), fmt_summary(ratios, 2)])
    print(f"\n{args.tests} trivial tests, {args.rounds} interleaved rounds; build excluded; min / median / max\n")
    print(markdown_table(["run", "seconds", "ratio to cargo nextest run (same round)"], rows))
    print()
    for name in [name for name in names if "cargo leaktest" in name]:
        ratio = summary([value / base for value, base in zip(timings[name], baseline)])[1]
        status = "met" if ratio <= GOAL else f"NOT met (over by {100 * (ratio / GOAL - 1):.0f}%)"
        print(f"goal 4, {name}: median ratio to nextest {ratio:.2f} <= {GOAL}: {status}")


if __name__ == "__main__":
    main()
