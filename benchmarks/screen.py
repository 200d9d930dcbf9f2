"""Screen a grid of hyper-parameters of one method over many data sets.

Every combination of the ``--grid`` values is fitted on every set of ``--datasets`` (a
protocol half by name: ``tuning``) with ``random_state = 0 .. --seeds - 1``, with no
preset, one fit after another in this process. The table has one row per combination:
mean ACC (%) per set over the seeds, the mean over the sets, and how many sets are at or
above the floor (``concat-kmeans`` with its defaults, read from
``benchmarks/results/concat-kmeans.json``). It is how a default is chosen on the tuning
half of ``benchmarks/PROTOCOL.md``. Results go to ``benchmarks/results/<name>.json`` and
``.md``, rewritten after every fit; ``--resume`` keeps the fits already there.

    python benchmarks/screen.py --method anchor-spectral --datasets tuning --seeds 2 \\
        --grid n_anchors=250,500,1000 n_neighbors=3,5,10 --name anchor-spectral-screen
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mvgraph.benchmark import PROTOCOL_HALVES, environment, write_report
from mvgraph.experiment import load_data, parse_params, run


def grid_points(grid: list[str]) -> list[dict[str, Any]]:
    """``["a=1,2", "b=x"]`` → ``[{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]``."""
    axes = []
    for item in grid:
        name, _, values = item.partition("=")
        axes.append([parse_params([f"{name}={value}"]) for value in values.split(",")])
    return [{k: v for part in combination for k, v in part.items()}
            for combination in itertools.product(*axes)]


def markdown_table(report: Mapping[str, Any]) -> str:
    sets, floor = report["datasets"], report["floor"]
    lines = [f"`{report['method']}`, seeds 0–{report['seeds'] - 1}, no preset; mean ACC (%)",
             "", "| params | " + " | ".join(sets) + " | mean | ≥ floor |",
             "|" + "---|" * (len(sets) + 3),
             "| floor (concat-kmeans) | " + " | ".join(
                 f"{100 * floor[s]:.1f}" if s in floor else "-" for s in sets) + " | "
             + f"{100 * np.mean([floor[s] for s in sets if s in floor]):.1f} | |"]
    for row in report["summary"]:
        cells = [f"{100 * row['acc'][s]:.1f}" if s in row["acc"] else "-" for s in sets]
        done = [s for s in sets if s in row["acc"]]
        mean = f"{100 * np.mean([row['acc'][s] for s in done]):.1f}" if done else "-"
        above = sum(row["acc"][s] >= floor.get(s, np.inf) for s in done)
        lines.append(f"| {json.dumps(row['params'])} | " + " | ".join(cells)
                     + f" | {mean} | {above}/{len(done)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", required=True)
    parser.add_argument("--datasets", nargs="+", required=True)
    parser.add_argument("--grid", nargs="+", required=True, metavar="NAME=V1,V2")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--name", required=True)
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    sets = [s for spec in args.datasets for s in PROTOCOL_HALVES.get(spec, [spec])]
    floor_report = json.loads((out / "concat-kmeans.json").read_text())
    floor = {row["dataset"]: row["acc"] for row in floor_report["summary"]}
    points = grid_points(args.grid)
    path = out / f"{args.name}.json"
    done: dict[tuple[str, str, int], dict[str, Any]] = {}
    if args.resume and path.exists():
        done = {(json.dumps(r["grid"]), r["dataset"], r["seed"]): r
                for r in json.loads(path.read_text())["runs"]}
    report: dict[str, Any] = {"name": args.name, "method": args.method, "datasets": sets,
                              "grid": args.grid, "seeds": args.seeds, "floor": floor,
                              "environment": environment(1), "runs": [], "summary": []}
    for name in sets:
        data = load_data(name)
        for params, seed in itertools.product(points, range(args.seeds)):
            key = (json.dumps(params), name, seed)
            if key not in done:
                record = run(args.method, data, seed=seed, params=params,
                             use_preset=False).record()
                done[key] = {"grid": params, **record}
                print(f"{name:12s} seed {seed} {json.dumps(params)}: ACC "
                      f"{100 * record['acc']:.1f} ({record['seconds']:.1f} s)", flush=True)
            report["runs"] = list(done.values())
            report["summary"] = [
                {"params": p, "acc": {s: float(np.mean(accs)) for s in sets if (accs := [
                    r["acc"] for (g, d, _), r in done.items()
                    if g == json.dumps(p) and d == s])}}
                for p in points
            ]
            write_report(report, out, args.name, markdown_table)
    print(markdown_table(report))


if __name__ == "__main__":
    main()
