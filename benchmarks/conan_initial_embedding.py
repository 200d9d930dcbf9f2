"""How much of the data's cluster structure CONAN's encoders keep before any training.

For every data set and seed the script scales the views as CONAN's default does, builds
the network with that seed (``torch.manual_seed``) and scores k-means (``n_init=10``) on
three things: the concatenation of the scaled views, each view representation
:math:`\\mathbf{h}^v` of the untrained network, and its fused :math:`\\mathbf{z}`. Where the
untrained :math:`\\mathbf{z}` has lost what the views show, the clustering head starts from
noise and the DDC loss, which rewards any compact partition of the head's own features,
settles on one. Results go to ``benchmarks/results/conan-initial-embedding.json``; a table
is printed.

    python benchmarks/conan_initial_embedding.py --datasets ngs bbcsport handwritten cub
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from mvgraph.benchmark import environment
from mvgraph.cluster import kmeans
from mvgraph.data import ViewScaler
from mvgraph.experiment import load_data
from mvgraph.metrics import acc
from mvgraph.models import CONAN
from mvgraph.utils.io import atomic_save_json


def kmeans_acc(labels: np.ndarray, features: np.ndarray, k: int, seed: int) -> float:
    return acc(labels, kmeans(features, k, n_init=10, random_state=seed).labels)


def probe(dataset: str, seed: int) -> dict[str, Any]:
    """ACC of k-means on the scaled views, on every untrained view representation and on
    the untrained fused representation."""
    data = load_data(dataset)
    estimator = CONAN(data.n_classes)
    scaled = ViewScaler(estimator.scaler_method).fit(data.views).transform(data.views)
    dense = [np.asarray(view.toarray() if sp.issparse(view) else view, dtype=np.float32)
             for view in scaled]
    torch.manual_seed(seed)
    network = estimator._build([view.shape[1] for view in dense]).eval()
    with torch.no_grad():
        representations, z = network.encode([torch.from_numpy(view) for view in dense])
    k = data.n_classes
    return {
        "dataset": data.name, "seed": seed, "scaler": estimator.scaler_method,
        "scaled_views": kmeans_acc(data.labels, np.hstack(dense), k, seed),
        "views": [kmeans_acc(data.labels, h.numpy(), k, seed) for h in representations],
        "z": kmeans_acc(data.labels, z.numpy(), k, seed),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+",
                        default=["ngs", "bbcsport", "handwritten", "cub"])
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 (default 1)")
    parser.add_argument("--out", default="benchmarks/results/conan-initial-embedding.json")
    args = parser.parse_args(argv)
    print("| dataset | seed | scaled views | untrained h^v | untrained z |")
    print("|---|---|---|---|---|")
    rows = []
    for dataset in args.datasets:
        for seed in range(args.seeds):
            row = probe(dataset, seed)
            rows.append(row)
            views = " / ".join(f"{100 * value:.1f}" for value in row["views"])
            print(f"| {row['dataset']} | {seed} | {100 * row['scaled_views']:.1f} | {views} "
                  f"| {100 * row['z']:.1f} |", flush=True)
    report = {"seeds": args.seeds, "rows": rows, "environment": environment(jobs=1)}
    atomic_save_json(report, Path(args.out))
    return report


if __name__ == "__main__":
    main()
