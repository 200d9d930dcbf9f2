"""DMAC's main (joint) phase under candidate optimisers, each from the same pretraining.

For every set and seed: one reconstruction pretraining (DMAC's defaults: 1000 epochs,
RMSprop at 1e-3, full batch), then every candidate's main phase (50 epochs) from a copy
of that pretrained network, each run by ``mvgraph.DMAC`` itself. Per candidate it
records the final labels' ACC and NMI (k-means on the final embedding, ``n_init=10``),
the embedding's spread (mean squared distance to its mean; rows have unit norm) and the
clusters the labels use, beside the k-means ACC of the pretrained embedding (``n_init``
10, same seed), which the main phase should keep or improve.

The candidates are the paper's RMSprop at 5e-3 (``variant="paper"``), RMSprop at 5e-4
and Adam at 1e-4, 5e-5 and 2e-5. Used to choose ``variant="stable"`` on the tuning half
of ``benchmarks/PROTOCOL.md``; labels are read only to score.

Writes ``benchmarks/results/dmac-joint-phase-<half>.json`` (``--resume`` keeps finished
(set, seed) entries) and ``.md``: mean ACC per set and candidate, and per candidate the
sets where it ends more than 1 point under the pretrained embedding.

    python benchmarks/dmac_joint_phase.py --datasets ngs bbcsport --seeds 3
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mvgraph import DMAC
from mvgraph.benchmark import PROTOCOL_HALVES, environment
from mvgraph.cluster import kmeans
from mvgraph.data import load_dataset
from mvgraph.metrics import acc, nmi
from mvgraph.training import embedding_health
from mvgraph.utils import atomic_save_json, atomic_write

CANDIDATES: dict[str, dict[str, Any]] = {
    "paper (rmsprop 5e-3)": {"variant": "paper"},
    "rmsprop 5e-4": {"optimizer": "rmsprop", "lr": 5e-4},
    "adam 1e-4": {"optimizer": "adam", "lr": 1e-4},
    "adam 5e-5": {"optimizer": "adam", "lr": 5e-5},
    "adam 2e-5": {"optimizer": "adam", "lr": 2e-5},
}


class FromPretrained(DMAC):
    """DMAC whose network starts as a copy of ``pretrained``, an attribute set after
    construction (not a hyper-parameter, so not declared)."""

    def _build(self, dims: list[int]) -> torch.nn.Module:
        return copy.deepcopy(self.pretrained)


def run_set(name: str, seed: int) -> dict[str, Any]:
    data = load_dataset(name)
    c = int(data.n_classes)
    pretraining = DMAC(c, epochs=0, random_state=seed).fit(data)
    pretrained_acc = acc(
        data.labels, kmeans(pretraining.embedding_, c, n_init=10, random_state=seed).labels
    )
    entry: dict[str, Any] = {
        "dataset": name, "seed": seed, "pretrained_acc": pretrained_acc,
        "pretrained_spread": embedding_health(pretraining.embedding_, pretraining.labels_)[
            "spread"],
        "candidates": {},
    }
    for label, params in CANDIDATES.items():
        model = FromPretrained(c, pretrain_epochs=0, random_state=seed, **params)
        model.pretrained = pretraining.model_
        model.fit(data)
        entry["candidates"][label] = {
            "acc": acc(data.labels, model.labels_),
            "nmi": nmi(data.labels, model.labels_),
            **embedding_health(model.embedding_, model.labels_),
        }
        print(f"{name} seed {seed} {label:22s} ACC {100 * entry['candidates'][label]['acc']:.1f}"
              f" (pretrained {100 * pretrained_acc:.1f})", flush=True)
    return entry


def table(entries: list[dict[str, Any]]) -> str:
    sets = list(dict.fromkeys(entry["dataset"] for entry in entries))
    lines = ["| set | seeds | pretrained | " + " | ".join(CANDIDATES) + " |",
             "|---|---|---" + "|---" * len(CANDIDATES) + "|"]
    means: dict[str, list[float]] = {label: [] for label in ["pretrained", *CANDIDATES]}
    for name in sets:
        rows = [entry for entry in entries if entry["dataset"] == name]
        pretrained = 100 * np.mean([row["pretrained_acc"] for row in rows])
        means["pretrained"].append(pretrained)
        cells = []
        for label in CANDIDATES:
            value = 100 * np.mean([row["candidates"][label]["acc"] for row in rows])
            means[label].append(value)
            cells.append(f"{value:.1f}")
        lines.append(f"| {name} | {len(rows)} | {pretrained:.1f} | " + " | ".join(cells) + " |")
    lines.append("| mean | | " + " | ".join(f"{np.mean(v):.1f}" for v in means.values()) + " |")
    lines.append("| sets > 1 point under pretrained | | | " + " | ".join(
        str(sum(value < pretrained - 1 for value, pretrained in zip(means[label],
                                                                   means["pretrained"])))
        for label in CANDIDATES) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half", choices=sorted(PROTOCOL_HALVES), default="tuning")
    parser.add_argument("--datasets", nargs="+", default=None,
                        help="sets of the half (default: all of it)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    sets = args.datasets or PROTOCOL_HALVES[args.half]
    outside = sorted(set(sets) - set(PROTOCOL_HALVES[args.half]))
    if outside:
        parser.error(f"--datasets {outside} are not in the {args.half} half")
    path = args.out / f"dmac-joint-phase-{args.half}.json"
    entries = json.loads(path.read_text())["entries"] if args.resume and path.exists() else []
    done = {(entry["dataset"], entry["seed"]) for entry in entries}
    for name in sets:
        for seed in range(args.seeds):
            if (name, seed) in done:
                continue
            entries.append(run_set(name, seed))
            atomic_save_json({"half": args.half, "candidates": CANDIDATES,
                              "environment": environment(1), "entries": entries}, path)
    report = table(entries)
    with atomic_write(path.with_suffix(".md"), "w") as handle:
        handle.write(f"# DMAC main phase, {args.half} half\n\n{report}\n")
    print(report)


if __name__ == "__main__":
    main()
