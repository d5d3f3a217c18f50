"""Helpers shared by the benchmark scripts: building, locating binaries,
summaries and the machine line printed above every table.

Only the Python standard library is used, so the scripts run wherever cargo does.
"""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

WORKSPACE = Path(__file__).resolve().parents[2]


def log(message):
    """Progress goes to stderr, figures to stdout."""
    print(message, file=sys.stderr, flush=True)


def load_average():
    """The 1-minute load average, or None where /proc/loadavg is missing."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def machine_line():
    """CPU model, cores and load, for the header of every report."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = load_average()
    load_text = f"{load:.2f}" if load is not None else "unknown"
    return f"{model}, {os.cpu_count()} cores, 1-min load {load_text}"


def cargo_executables(args, cwd=WORKSPACE):
    """Builds with `cargo <args> --message-format=json` and returns
    {target name: executable path} of every built executable."""
    command = ["cargo", *args, "--message-format=json"]
    log("building: " + " ".join(command))
    built = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, text=True)
    if built.returncode != 0:
        sys.exit(f"build failed: {' '.join(command)}")
    executables = {}
    for line in built.stdout.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if message.get("reason") != "compiler-artifact" or not message.get("executable"):
            continue
        # `cargo bench` also builds each binary as a test harness (of no
        # benches): that artifact is not the program.
        if message["target"]["kind"] == ["bin"] and message.get("profile", {}).get("test"):
            continue
        executables[message["target"]["name"]] = message["executable"]
    return executables


def summary(values):
    """(min, median, max) of a non-empty list."""
    return min(values), statistics.median(values), max(values)


def fmt_summary(values, digits=2):
    low, mid, high = summary(values)
    return f"{low:.{digits}f} / {mid:.{digits}f} / {high:.{digits}f}"


def markdown_table(header, rows):
    """A GitHub table from a header list and rows of strings."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
