"""The headline table of ``benchmarks/PROTOCOL.md``: every method's default on every set.

Reads the bench reports under ``--results``: the floor, ``concat-kmeans.json``
(``mvgraph bench --methods concat-kmeans --datasets tuning report``), and for each method
every bench report of that method alone run without ``--set`` parameters
(``<method>.json`` first, then the others by name, such as ``<method>-defaults.json`` from
``mvgraph bench --methods <method> --datasets report --no-preset --name <method>-defaults``);
of those only the runs made with the method's current defaults count (no preset, every
recorded hyper-parameter and the scaling equal to today's defaults, so a run made before
a default changed drops out, unless the change leaves that set's scaled views bit for
bit the same, or a pretraining length the default leaves to the data resolves on that set
to the run's), the first found for each (set, seed). Beside the floor it
shows the best single-view k-means: each view alone, scaled by ``scaler="auto"`` and
clustered by k-means (``n_init=10``, the same seeds), the view with the highest mean ACC
chosen with the labels; these runs are cached in ``single-view-kmeans.json``.

Writes ``headline.json`` and ``headline.md``: rows are sets (marked tuning / report),
columns the floor, the best view and the methods, cells mean ± std ACC in % over the
seeds (with the seed count when it is not 5, "–" when the method has no default run on
that set yet), and per method: "≥ floor on X of Y report sets, collapsed (< floor − 10)
on Z".

    python benchmarks/headline.py
"""

from __future__ import annotations

import argparse
import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from mvgraph.benchmark import PROTOCOL_HALVES, environment
from mvgraph.cluster import kmeans
from mvgraph.data import ViewScaler, load_dataset
from mvgraph.metrics import acc
from mvgraph.models import METHODS, get_method
from mvgraph.models.base import RESUMABLE_PARAMS
from mvgraph.utils import atomic_save_json, atomic_write

FLOOR = "concat-kmeans"
SEEDS = 5
COLLAPSE_MARGIN = 0.10  # a cell this far under the floor has collapsed
PROTOCOL_SETS = PROTOCOL_HALVES["tuning"] + PROTOCOL_HALVES["report"]
# What a run that does not record a parameter ran: before ``variant`` existed, the paper's
# model; before CONAN's ``pretrain_epochs``, no pretraining.
UNRECORDED = {"variant": "paper", "pretrain_epochs": 0}


def single_view_kmeans(name: str, seeds: int) -> dict[str, Any]:
    """Mean ± std ACC of k-means on each view of ``name`` alone, and the best view."""
    data = load_dataset(name)
    per_view = []
    for view in data.views:
        x = ViewScaler("auto").fit_transform([view])[0]
        x = x.toarray() if hasattr(x, "toarray") else x
        accs = [acc(data.labels, kmeans(x, data.n_classes, n_init=10, max_iter=100,
                                         random_state=seed).labels) for seed in range(seeds)]
        per_view.append({"acc": float(np.mean(accs)), "acc_std": float(np.std(accs))})
    best = int(np.argmax([view["acc"] for view in per_view]))
    return {"dataset": name, "views": per_view, "best_view": best, **per_view[best]}


@cache
def scales_as(dataset: str, default: str, used: str) -> bool:
    """Whether the scaling ``default`` transforms every view of ``dataset`` exactly as the
    scaling ``used`` does (the same method per view, with the same weights: ``"auto"``
    choosing ``"l2"`` for every view with unit weights is ``"l2"``), so that a run made
    with ``used`` is a run with ``default``."""
    views = load_dataset(dataset).views
    default_scaler, used_scaler = ViewScaler(default).fit(views), ViewScaler(used).fit(views)
    return (default_scaler.view_methods_ == used_scaler.view_methods_
            and default_scaler.view_weights_ == used_scaler.view_weights_)


@cache
def pretraining(method: str, dataset: str, value: int | None) -> int:
    """The epochs of pretraining that ``pretrain_epochs=value`` gives ``method``'s defaults
    on ``dataset``'s views, scaled as the method scales them."""
    estimator = get_method(method)(pretrain_epochs=value)
    views = ViewScaler(estimator.scaler_method).fit_transform(load_dataset(dataset).views)
    return estimator.pretraining_epochs(views)


def made_with_defaults(run: dict[str, Any]) -> bool:
    """Whether a bench run used its method's current defaults. A parameter the run does
    not record was added after it, with a default that kept the earlier behaviour, except
    those of ``UNRECORDED``, which give what such a run ran. A run's scaling counts as the
    default's when it is the same method, or when the default transforms that set's views
    exactly as the run's method did (:func:`scales_as`); its pretraining length, when the
    two resolve to the same number of epochs on the set (:func:`pretraining`)."""
    estimator = get_method(run["method"])()
    defaults = json.loads(json.dumps(estimator.get_params()))
    recorded = {**{key: value for key, value in UNRECORDED.items() if key in defaults},
                **run["params"]}
    varying = ("n_clusters", "random_state", *RESUMABLE_PARAMS)  # these change no result
    in_protocol = run["dataset"] in PROTOCOL_SETS
    scaling = run["scaler"] == estimator.scaler_method or (
        in_protocol and scales_as(run["dataset"], estimator.scaler_method, run["scaler"]))

    def same(key: str, value: Any) -> bool:
        if recorded[key] == value:
            return True
        return (key == "pretrain_epochs" and in_protocol
                and hasattr(estimator, "pretraining_epochs") and (
            pretraining(run["method"], run["dataset"], recorded[key])
            == pretraining(run["method"], run["dataset"], value)))

    return (not run.get("preset") and scaling
            and all(same(key, value) for key, value in defaults.items()
                    if key in recorded and key not in varying))


def default_cells(results: Path, method: str) -> dict[str, dict[str, Any]]:
    """Mean ± std ACC per set over the runs of ``method`` made with its defaults."""
    paths = sorted(results.glob("*.json"), key=lambda path: (path.stem != method, path.name))
    accs: dict[tuple[str, int], float] = {}
    for path in paths:
        report = json.loads(path.read_text())
        if report.get("methods") != [method] or report.get("params") or "runs" not in report:
            continue
        for run in report["runs"]:
            if made_with_defaults(run):
                accs.setdefault((run["dataset"], run["seed"]), run["acc"])
    by_set: dict[str, list[float]] = {}
    for (name, _), value in sorted(accs.items()):
        by_set.setdefault(name, []).append(value)
    return {name: {"acc": float(np.mean(values)), "acc_std": float(np.std(values)),
                   "seeds": len(values)} for name, values in by_set.items()}


def standing(cells: dict[str, dict[str, Any]], floor: dict[str, dict[str, Any]],
             sets: list[str]) -> dict[str, Any]:
    """How a method's cells on ``sets`` compare with the floor's."""
    run = [name for name in sets if name in cells and name in floor]
    above = [name for name in run if cells[name]["acc"] >= floor[name]["acc"]]
    collapsed = [name for name in run
                 if cells[name]["acc"] < floor[name]["acc"] - COLLAPSE_MARGIN]
    return {"sets": len(sets), "run": run, "at_or_above_floor": above, "collapsed": collapsed}


def cell(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "–"
    text = f"{100 * entry['acc']:.1f} ± {100 * entry['acc_std']:.1f}"
    seeds = entry.get("seeds", SEEDS)
    return text if seeds == SEEDS else f"{text} ({seeds} seeds)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", default="benchmarks/results")
    args = parser.parse_args()
    results = Path(args.results)

    floor = default_cells(results, FLOOR)
    cache_path = results / "single-view-kmeans.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {"sets": {}}
    sets = PROTOCOL_SETS
    for name in sets:
        if name not in cache["sets"]:
            cache["sets"][name] = single_view_kmeans(name, SEEDS)
            cache["environment"] = environment(1)
            atomic_save_json(cache, cache_path)
    methods = [method for method in METHODS if method != FLOOR]
    cells = {method: default_cells(results, method) for method in methods}

    header = ["set", "half", "floor", "best view", *methods]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in sets:
        half = "tuning" if name in PROTOCOL_HALVES["tuning"] else "report"
        best = cache["sets"][name]
        row = [name, half, cell(floor.get(name)),
               f"{cell(best)} (view {best['best_view']})"]
        row += [cell(cells[method].get(name)) for method in methods]
        lines.append("| " + " | ".join(row) + " |")
    counts = {method: standing(cells[method], floor, PROTOCOL_HALVES["report"])
              for method in methods}
    lines.append("")
    for method, count in counts.items():
        lines.append(
            f"- `{method}`: ≥ floor on {len(count['at_or_above_floor'])} of "
            f"{count['sets']} report sets, collapsed (< floor − 10) on "
            f"{len(count['collapsed'])}; run with its defaults on {len(count['run'])} of them"
        )
    table = "\n".join(lines) + "\n"
    atomic_save_json({"floor": floor, "single_view": cache["sets"], "methods": cells,
                      "report_half": counts}, results / "headline.json")
    with atomic_write(results / "headline.md", "w") as handle:
        handle.write("# Headline: every method's defaults, ACC (%) over seeds 0–4\n\n" + table)
    print(table)


if __name__ == "__main__":
    main()
