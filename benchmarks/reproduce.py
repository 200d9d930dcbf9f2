"""Refit committed runs and compare their scores: does the code still give the numbers in
``benchmarks/results``?

Each ``--run FILE:DATASET:SEED`` names one run of a committed bench file. It is refitted
with the parameters that run recorded (its preset already among them), no preset applied
on top, and the torch threads its file's ``environment`` says each fit had; every score
of the run is then compared with the new fit's. A refactor that changes no result leaves
every difference at 0. The table and ``benchmarks/results/<name>.json`` list the runs,
the old and new ACC and the largest absolute difference over the scores. A deep fit also
depends on the vector instructions of the CPU kernels (``ATEN_CPU_CAPABILITY=avx2
ONEDNN_MAX_CPU_ISA=AVX2 MKL_CBWR=AVX2`` selects AVX2 kernels on any CPU with AVX2), so a
comparison holds for runs made with the same kernels.

    python benchmarks/reproduce.py --name refactor-reproduction \\
        --run crrc-stable-report.json:3sources:0 dmac-stable.json:3sources:0
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch

from mvgraph.benchmark import environment
from mvgraph.experiment import load_data, run
from mvgraph.metrics import METRIC_KEYS
from mvgraph.utils import atomic_save_json

RESULTS = Path(__file__).resolve().parent / "results"
# Recorded parameters that are the run's identity, not settings to pass again.
NOT_PASSED = ("n_clusters", "random_state")


def committed_run(file: str, dataset: str, seed: int) -> tuple[dict[str, Any], int]:
    """The run of ``file`` on ``dataset`` with ``seed``, and its torch threads per fit."""
    report = json.loads((RESULTS / file).read_text())
    for record in report["runs"]:
        if record["dataset"] == dataset and record["seed"] == seed:
            return record, int(report["environment"]["threads"])
    raise ValueError(f"{file} has no run on {dataset} with seed {seed}")


def reproduce(file: str, dataset: str, seed: int) -> dict[str, Any]:
    old, threads = committed_run(file, dataset, seed)
    params = {key: tuple(value) if isinstance(value, list) else value
              for key, value in old["params"].items() if key not in NOT_PASSED}
    torch.set_num_threads(threads)
    new = run(old["method"], load_data(dataset), seed=seed, params=params,
              use_preset=False).record()
    scores = [key for key in METRIC_KEYS if key in old]
    return {"file": file, "method": old["method"], "dataset": dataset, "seed": seed,
            "threads": threads, "old": {key: old[key] for key in scores},
            "new": {key: new[key] for key in scores},
            "largest_difference": max(abs(old[key] - new[key]) for key in scores)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", nargs="+", required=True, metavar="FILE:DATASET:SEED")
    parser.add_argument("--name", required=True, help="results/<name>.json")
    args = parser.parse_args()
    rows = []
    print("| method | set | seed | file | ACC committed | ACC now | largest difference |")
    print("|---|---|---|---|---|---|---|")
    for spec in args.run:
        file, dataset, seed = spec.split(":")
        rows.append(reproduce(file, dataset, int(seed)))
        row = rows[-1]
        print(f"| {row['method']} | {dataset} | {seed} | {file} | {100 * row['old']['acc']:.2f}"
              f" | {100 * row['new']['acc']:.2f} | {row['largest_difference']:.2e} |", flush=True)
        atomic_save_json({"environment": environment(1), "runs": rows},
                         RESULTS / f"{args.name}.json")


if __name__ == "__main__":
    main()
