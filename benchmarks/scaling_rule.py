"""Choose the data-aware scaling rule (``scaler="auto"``) on the tuning half.

Every candidate rule scales each view by what the data show: a view is *sparse* when it
is non-negative and fewer than ``--density`` of its entries are non-zero (word counts,
term weights, links), *dense* otherwise. A rule names the scaling of each kind, and
whether each scaled view is then divided by its root-mean-square row norm so that every
view weighs the same in the concatenation (``balanced``). Each rule is scored by k-means
on the concatenation (``n_init=10``, seeds ``0 .. --seeds-1``), the floor every method is
judged against, on the sets of one half of ``benchmarks/PROTOCOL.md``.

Writes ``benchmarks/results/scaling-rule-<half>.json`` and prints a table: mean ACC per
set and rule, and the mean over sets.

    python benchmarks/scaling_rule.py                 # tuning half, 5 seeds
    python benchmarks/scaling_rule.py --half report   # the report half, once chosen
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from mvgraph.benchmark import PROTOCOL_HALVES, environment
from mvgraph.cluster import kmeans
from mvgraph.data import ViewScaler, load_dataset
from mvgraph.data.scalers import is_sparse_view
from mvgraph.metrics import acc, nmi
from mvgraph.utils import atomic_save_json

DENSE = ("minmax", "standard", "l2")
SPARSE = ("l2", "tfidf-l2")


def tfidf_l2(view) -> np.ndarray:
    """Smoothed tf-idf, ``x_ij · (1 + log((1 + n) / (1 + df_j)))``, then row-L2."""
    dense = view.toarray() if sp.issparse(view) else np.asarray(view, dtype=np.float64)
    document_frequency = (dense > 0).sum(axis=0)
    idf = 1.0 + np.log((1.0 + dense.shape[0]) / (1.0 + document_frequency))
    return ViewScaler("l2").fit_transform([dense * idf])[0]


def scale(view, method: str) -> np.ndarray:
    if method == "tfidf-l2":
        out = tfidf_l2(view)
    else:
        out = ViewScaler(method).fit_transform([view])[0]
    return out.toarray() if sp.issparse(out) else np.asarray(out)


def balance(view: np.ndarray) -> np.ndarray:
    """The view divided by its root-mean-square row norm (zero views stay zero)."""
    rms = float(np.sqrt(np.mean(np.einsum("ij,ij->i", view, view))))
    return view / rms if rms > 0 else view


def embed(views, dense: str, sparse: str, balanced: bool, density: float) -> np.ndarray:
    scaled = [scale(view, sparse if is_sparse_view(view, density) else dense)
              for view in views]
    if balanced:
        scaled = [balance(view) for view in scaled]
    return np.hstack(scaled).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half", choices=sorted(PROTOCOL_HALVES), default="tuning")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--density", type=float, default=0.1)
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args()

    rules = [{"dense": d, "sparse": s, "balanced": b}
             for d, s, b in itertools.product(DENSE, SPARSE, (False, True))]
    rules.append({"dense": "minmax", "sparse": "minmax", "balanced": False})  # the old floor
    sets = PROTOCOL_HALVES[args.half]
    rows = []
    for name in sets:
        data = load_dataset(name)
        kinds = ["sparse" if is_sparse_view(v, args.density) else "dense" for v in data.views]
        scored: dict[bytes, tuple[list[float], list[float]]] = {}  # rules that coincide
        for rule in rules:
            x = embed(data.views, rule["dense"], rule["sparse"], rule["balanced"], args.density)
            key = hashlib.sha256(x.tobytes()).digest()
            if key not in scored:
                runs = [kmeans(x, data.n_classes, n_init=10, max_iter=100,
                               random_state=seed).labels for seed in range(args.seeds)]
                scored[key] = ([acc(data.labels, labels) for labels in runs],
                               [nmi(data.labels, labels) for labels in runs])
            accs, nmis = scored[key]
            rows.append({"dataset": name, "kinds": kinds, **rule,
                         "acc": float(np.mean(accs)), "acc_std": float(np.std(accs)),
                         "nmi": float(np.mean(nmis))})
            print(f"{name:14s} {rule['dense']:8s} {rule['sparse']:8s} "
                  f"{'bal' if rule['balanced'] else '   '} {100 * rows[-1]['acc']:6.2f}",
                  flush=True)
    report = {"half": args.half, "sets": sets, "seeds": args.seeds, "density": args.density,
              "environment": environment(1), "rows": rows}
    atomic_save_json(report, Path(args.out) / f"scaling-rule-{args.half}.json")
    print(f"\nmean ACC over the {args.half} half ({len(sets)} sets):")
    for rule in rules:
        mine = [r for r in rows if all(r[key] == rule[key] for key in rule)]
        print(f"  dense={rule['dense']:8s} sparse={rule['sparse']:8s} "
              f"balanced={rule['balanced']!s:5s} "
              f"{100 * np.mean([r['acc'] for r in mine]):6.2f}")


if __name__ == "__main__":
    main()
