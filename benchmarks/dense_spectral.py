"""Anchor spectral clustering against dense n × n multi-view spectral clustering.

On one registry set (``hdigit`` by default, n = 10^4), in this process, one after the
other:

- the dense baseline, once: every view scaled as ``anchor-spectral`` scales it
  (``ViewScaler("auto")``), a Gaussian affinity :math:`W_v = \\exp(-\\lVert x_i - x_j
  \\rVert^2 / (2\\sigma_v^2))` with :math:`\\sigma_v^2` the mean squared distance, zero
  diagonal, normalised :math:`D_v^{-1/2} W_v D_v^{-1/2}` and averaged over the views; its
  c leading eigenvectors by a full ``torch.linalg.eigh`` (float64, the textbook method) and,
  timed separately, by Lanczos (``scipy.sparse.linalg.eigsh``) on the same matrix; rows
  normalised and clustered by k-means (``n_init=10``);
- ``anchor-spectral`` with its defaults, seeds 0–4.

Times are wall seconds from the raw views (scaling included), ACC against the labels.
Results: ``benchmarks/results/dense-spectral-<set>.json``.

    python benchmarks/dense_spectral.py --dataset hdigit
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from measure import machine
from scipy.sparse.linalg import eigsh

from mvgraph.cluster import kmeans
from mvgraph.data import ViewScaler, load_dataset
from mvgraph.metrics import acc
from mvgraph.models import AnchorSpectral
from mvgraph.utils import atomic_save_json


def dense_affinity(views: list) -> torch.Tensor:
    """The mean over the views of the normalised Gaussian affinities, ``[n, n]`` float64."""
    fused = None
    for view in ViewScaler("auto").fit_transform(views):
        x = torch.from_numpy(np.asarray(view.toarray() if sp.issparse(view) else view,
                                        dtype=np.float64))
        squared = torch.cdist(x, x).pow_(2)
        affinity = torch.exp_(squared.div_(-2 * squared.mean()))
        affinity.fill_diagonal_(0)
        scale = affinity.sum(1).rsqrt()
        affinity.mul_(scale[:, None]).mul_(scale[None, :])
        fused = affinity if fused is None else fused.add_(affinity)
    return fused.div_(len(views))


def cluster_rows(vectors: np.ndarray, c: int) -> np.ndarray:
    rows = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return kmeans(rows.astype(np.float32), c, n_init=10, random_state=0).labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="hdigit")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    data = load_dataset(args.dataset)
    c = data.n_classes
    rows = []

    start = time.perf_counter()
    fused = dense_affinity(data.views)
    affinity_seconds = time.perf_counter() - start
    start = time.perf_counter()
    _, vectors = torch.linalg.eigh(fused)
    labels = cluster_rows(vectors[:, -c:].numpy(), c)
    rows.append({"method": "dense spectral, full eigh", "seed": 0,
                 "seconds": affinity_seconds + time.perf_counter() - start,
                 "acc": acc(data.labels, labels)})
    start = time.perf_counter()
    _, vectors = eigsh(fused.numpy(), k=c, which="LA",
                       v0=np.random.default_rng(0).standard_normal(len(fused)))
    labels = cluster_rows(vectors, c)
    rows.append({"method": "dense spectral, Lanczos", "seed": 0,
                 "seconds": affinity_seconds + time.perf_counter() - start,
                 "acc": acc(data.labels, labels)})
    del fused, vectors
    for seed in range(args.seeds):
        start = time.perf_counter()
        model = AnchorSpectral(c, random_state=seed).fit(data)
        rows.append({"method": "anchor-spectral", "seed": seed,
                     "seconds": time.perf_counter() - start,
                     "acc": acc(data.labels, model.labels_)})
    for row in rows:
        print(f"{row['method']:28s} seed {row['seed']}: {row['seconds']:8.2f} s, "
              f"ACC {100 * row['acc']:.2f}")
    anchor = [row for row in rows if row["method"] == "anchor-spectral"]
    summary = {
        "anchor_spectral_seconds": float(np.mean([r["seconds"] for r in anchor])),
        "anchor_spectral_acc": float(np.mean([r["acc"] for r in anchor])),
        "anchor_spectral_acc_std": float(np.std([r["acc"] for r in anchor])),
    }
    for row in rows[:2]:
        summary[f"speedup over {row['method']}"] = (row["seconds"]
                                                     / summary["anchor_spectral_seconds"])
    print(summary)
    atomic_save_json({"dataset": args.dataset, "n": data.n_samples, "machine": machine(),
                      "threads": torch.get_num_threads(), "rows": rows, "summary": summary},
                     args.out / f"dense-spectral-{args.dataset}.json")


if __name__ == "__main__":
    main()
