"""The check behind the deep methods' handling of missing views.

Neighbour imputation of the inputs against mean imputation, and imputed inputs with masked
losses against imputed inputs alone.

On one incomplete draw (``make_incomplete``, ``--rate``, drawn with ``--seed``) of
``--dataset`` (Handwritten, on the tuning half of ``benchmarks/PROTOCOL.md``), with the
views scaled as each method scales them (fitted on the samples that have each view;
``"auto"`` for k-means, DMAC's ``"l2"``):

- ``kmeans mean-imputed``: ``ConcatKMeans`` on the incomplete data (its baseline: an absent
  row is the view's mean scaled row);
- ``kmeans neighbour-imputed``: k-means on the concatenation of the views imputed by
  :func:`mvgraph.data.impute_from_neighbors` (10 neighbours, every sample a donor);
- ``dmac imputed, as complete``: DMAC (defaults, ``random_state=--seed``) fitted on its
  scaled views imputed the same way, as if they were complete data;
- ``dmac as committed``: DMAC fitted on the incomplete data (imputed inputs, masked
  losses);
- ``dmac complete``: DMAC on the complete data, for reference.

    python benchmarks/imputation_check.py

Results: ``benchmarks/results/imputation-check.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from mvgraph.benchmark import environment
from mvgraph.cluster import kmeans
from mvgraph.data import ViewScaler, impute_from_neighbors, load_dataset, make_incomplete
from mvgraph.metrics import evaluate
from mvgraph.models import DMAC, ConcatKMeans
from mvgraph.models.base import IMPUTATION_NEIGHBORS
from mvgraph.utils import atomic_save_json, atomic_write

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="handwritten")
    parser.add_argument("--rate", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="imputation-check")
    args = parser.parse_args()
    torch.set_num_threads(1)

    complete = load_dataset(args.dataset)
    data = make_incomplete(complete, args.rate, random_state=args.seed)
    k = complete.n_classes

    def imputed(scaling: str) -> list[np.ndarray]:
        """The views scaled by ``scaling`` and neighbour-imputed, every sample a donor."""
        present = [view[data.present(v)] for v, view in enumerate(data.views)]
        scaled = ViewScaler(scaling).fit(present).transform(data.views)
        return impute_from_neighbors(scaled, data.presence, scaled, data.presence,
                                     n_neighbors=IMPUTATION_NEIGHBORS)

    rows: dict[str, float] = {}

    def record(name: str, labels: np.ndarray) -> None:
        rows[name] = 100 * evaluate(complete.labels, labels)["acc"]
        print(f"{name:28s} ACC {rows[name]:.1f}", flush=True)

    record("kmeans mean-imputed",
           ConcatKMeans(k, random_state=args.seed).fit(data).labels_)
    record("kmeans neighbour-imputed",
           kmeans(np.hstack(imputed("auto")), k, n_init=10, max_iter=100,
                  random_state=args.seed).labels)
    dmac_inputs = imputed(DMAC.default_scaler)
    record("dmac imputed, as complete",
           DMAC(k, random_state=args.seed, verbose=0, scaler="none").fit(dmac_inputs).labels_)
    record("dmac as committed", DMAC(k, random_state=args.seed, verbose=0).fit(data).labels_)
    record("dmac complete", DMAC(k, random_state=args.seed, verbose=0).fit(complete).labels_)

    report = {"description": __doc__.splitlines()[0], "dataset": args.dataset,
              "missing_rate": args.rate, "seed": args.seed, "acc": rows,
              "environment": environment(1)}
    atomic_save_json(report, RESULTS / f"{args.name}.json")
    lines = [f"# {report['description']}", "",
             f"{args.dataset}, missing rate {args.rate:g}, seed {args.seed} "
             "(`benchmarks/imputation_check.py`).", "", "| fit | ACC |", "|---|---:|"]
    lines += [f"| {name} | {acc:.1f} |" for name, acc in rows.items()]
    with atomic_write(RESULTS / f"{args.name}.md", "w") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
