"""How early CONAN's labels settle: fits of increasing length from the same seed.

CONAN's default learning-rate schedule is stepped after every optimiser step with a period
that does not depend on ``epochs``, so a fit of ``e`` epochs is the first ``e`` epochs of a
longer fit from the same seed. For every data set, seed and epoch count the script records
ACC, the agreement (ARI) of the labels with those of the previous epoch count and the mean
largest probability of the clustering head over the data, :math:`\\frac1n \\sum_i \\max_j
y_{ij}` (1 for one-hot rows). The defaults and per-dataset presets apply. Results go to
``benchmarks/results/conan-saturation.json``; a table is printed.

    python benchmarks/conan_saturation.py --datasets cub ngs bbcsport --seeds 1
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from mvgraph.benchmark import environment
from mvgraph.experiment import applied_preset, load_data
from mvgraph.metrics import acc, ari
from mvgraph.models import CONAN
from mvgraph.utils.io import atomic_save_json


def largest_probability(estimator: CONAN) -> float:
    """Mean over samples of the largest soft assignment of the fitted clustering head."""
    estimator.model_.eval()
    z = torch.as_tensor(estimator.embedding_, dtype=torch.float32, device=estimator.device_)
    with torch.no_grad():
        return float(estimator.model_.assign(z).max(dim=1).values.mean())


def settle(dataset: str, seeds: int, epochs: Sequence[int]) -> list[dict[str, Any]]:
    """One row per seed and epoch count (in the order given)."""
    data = load_data(dataset)
    preset = applied_preset("conan", data.name, {}, True)
    rows = []
    for seed in range(seeds):
        previous = None
        for count in epochs:
            estimator = CONAN(**{**preset, "n_clusters": data.n_classes, "epochs": count,
                                 "random_state": seed}).fit(data)
            labels = estimator.labels_
            rows.append({
                "dataset": data.name, "seed": seed, "epochs": count,
                "acc": acc(data.labels, labels),
                "ari_previous": None if previous is None else ari(previous, labels),
                "largest_probability": largest_probability(estimator),
            })
            previous = labels
            print(_format(rows[-1]), flush=True)
    return rows


def _format(row: dict[str, Any]) -> str:
    agreement = "-" if row["ari_previous"] is None else f"{row['ari_previous']:.3f}"
    return (f"| {row['dataset']} | {row['seed']} | {row['epochs']} | {100 * row['acc']:.2f} "
            f"| {agreement} | {row['largest_probability']:.4f} |")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["cub", "ngs", "bbcsport"])
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 (default 1)")
    parser.add_argument("--epochs", type=int, nargs="+", default=[1, 3, 10, 30, 100])
    parser.add_argument("--out", default="benchmarks/results/conan-saturation.json")
    args = parser.parse_args(argv)
    print("| dataset | seed | epochs | ACC | ARI with previous | mean largest probability |")
    print("|---|---|---|---|---|---|")
    rows = [row for dataset in args.datasets for row in settle(dataset, args.seeds,
                                                                args.epochs)]
    report = {"epochs": args.epochs, "seeds": args.seeds, "rows": rows,
              "environment": environment(jobs=1)}
    atomic_save_json(report, Path(args.out))
    return report


if __name__ == "__main__":
    main()
