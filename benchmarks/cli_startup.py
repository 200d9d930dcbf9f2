"""How long the command line takes to answer before any fit.

Times, as fresh processes, ``mvgraph --help``, ``mvgraph datasets``, an argument error
(``mvgraph fit crrc --data handwritten --seed -1``) and, for scale, ``import torch`` and a
bare interpreter; each the median of ``--repeats`` runs, in one process, one after the
other. The target is 2 s for the first three on a 2-core machine.

Writes ``benchmarks/results/cli-startup.json`` and prints a table (seconds, and the ratio
to the bare interpreter).

    python benchmarks/cli_startup.py
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from mvgraph import __version__
from mvgraph.utils import atomic_save_json

# The installed entry point beside the interpreter (as a user runs it).
MVGRAPH = str(Path(sys.executable).with_name("mvgraph"))
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import torch'": [sys.executable, "-c", "import torch"],
    "mvgraph --help": [MVGRAPH, "--help"],
    "mvgraph datasets": [MVGRAPH, "datasets"],
    "mvgraph fit crrc --seed -1 (error)": [MVGRAPH, "fit", "crrc", "--data", "handwritten",
                                           "--seed", "-1"],
}
TARGET_SECONDS = 2.0


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="benchmarks/results/cli-startup.json")
    args = parser.parse_args()
    for command in COMMANDS.values():  # warm the file cache
        seconds(command)
    medians = {name: statistics.median(seconds(command) for _ in range(args.repeats))
               for name, command in COMMANDS.items()}
    bare = medians["python -c pass"]
    rows = [{"command": name, "seconds": round(value, 3), "ratio_to_bare": round(value / bare, 1),
             "within_target": None if name.startswith("python") else value <= TARGET_SECONDS}
            for name, value in medians.items()]
    atomic_save_json({"repeats": args.repeats, "target_seconds": TARGET_SECONDS, "rows": rows,
                      "environment": {"mvgraph": __version__,
                                      "python": platform.python_version(),
                                      "machine": platform.machine()}}, Path(args.out))
    print("| command | seconds (median) | × bare interpreter | ≤ 2 s |")
    print("|---|---|---|---|")
    for row in rows:
        within = {None: "–", True: "yes", False: "no"}[row["within_target"]]
        print(f"| {row['command']} | {row['seconds']:.2f} | {row['ratio_to_bare']:.1f} "
              f"| {within} |")


if __name__ == "__main__":
    main()
