"""Clustering as views go missing: every method at missing rates 0 to 0.7.

For every set, rate and seed ``0 .. --seeds - 1``, :func:`mvgraph.data.make_incomplete`
removes views from a fraction ``rate`` of the samples (drawn with the seed; each keeps at
least one view), and every method (``--methods``, default all) fits the incomplete set with
its defaults and no preset; ACC scores every sample. ``concat-kmeans`` with missing views
is the mean-imputation baseline. Writes ``benchmarks/results/<name>.json``, ``.md`` (mean ±
std ACC per set, method and rate) and ``.png`` (ACC against the rate, one panel per set),
rewritten after every fit; ``--resume`` keeps the fits already there, those of other sets,
rates and methods included, and runs only the missing ones.

    python benchmarks/incomplete.py --name incomplete
    python benchmarks/incomplete.py --name incomplete --resume --methods dmac \
        --datasets handwritten --rates 0 0.5
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from mvgraph.benchmark import environment
from mvgraph.experiment import load_data, run
from mvgraph.models import METHOD_NAMES
from mvgraph.plot import save_png
from mvgraph.plot.canvas import new_figure
from mvgraph.utils import atomic_save_json, atomic_write

RESULTS = Path(__file__).resolve().parent / "results"
DATASETS = ["handwritten", "cub", "scene15", "landuse21", "ngs"]
RATES = [0.0, 0.1, 0.3, 0.5, 0.7]


def table(report: dict[str, Any]) -> str:
    """Mean ± std ACC (%) per set and method (rows) and rate (columns), with the number
    of seeds; a method never run on a set has no row."""
    rates = report["rates"]
    lines = ["| set | method | " + " | ".join(f"{rate:g}" for rate in rates) + " |",
             "|---|---|" + "---|" * len(rates)]
    for name in report["datasets"]:
        for method in report["methods"]:
            cells = []
            for rate in rates:
                scores = [100 * r["acc"] for r in report["runs"] if r["dataset"] == name
                          and r["method"] == method and r["missing_rate"] == rate]
                cells.append(f"{np.mean(scores):.1f} ± {np.std(scores):.1f} ({len(scores)})"
                             if scores else "–")
            if any(cell != "–" for cell in cells):
                lines.append(f"| {name} | {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def figure(report: dict[str, Any], path: Path) -> None:
    """ACC against the missing rate, one panel per set, one line per method."""
    datasets = report["datasets"]
    picture = new_figure(3.2 * len(datasets), 3.0)
    axes = picture.subplots(1, len(datasets), squeeze=False)[0]
    for axis, name in zip(axes, datasets, strict=True):
        for method in report["methods"]:
            means = [np.mean([100 * r["acc"] for r in report["runs"] if r["dataset"] == name
                              and r["method"] == method and r["missing_rate"] == rate] or
                             [np.nan]) for rate in report["rates"]]
            axis.plot(report["rates"], means, marker="o", label=method)
        axis.set_title(name)
        axis.set_xlabel("missing rate")
        axis.set_ylabel("ACC (%)")
    axes[0].legend(fontsize="small")
    save_png(picture, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=METHOD_NAMES, choices=METHOD_NAMES)
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--rates", nargs="+", type=float, default=RATES)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--name", default="incomplete")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    path = RESULTS / f"{args.name}.json"
    done = json.loads(path.read_text())["runs"] if args.resume and path.exists() else []

    def union(key: str, chosen: list, order: list) -> list:
        """The values of ``key`` chosen now or in the kept runs, in ``order`` first."""
        values = {*chosen, *(r[key] for r in done)}
        return [v for v in order if v in values] + sorted(values - set(order))

    report: dict[str, Any] = {
        "datasets": union("dataset", args.datasets, DATASETS),
        "rates": union("missing_rate", args.rates, RATES),
        "methods": union("method", args.methods, METHOD_NAMES),
        "environment": environment(1), "runs": list(done),
    }
    for name in args.datasets:
        data = load_data(name)
        for rate in args.rates:
            for method in args.methods:
                for seed in range(args.seeds):
                    key = (method, data.name, rate, seed)
                    record = next((r for r in done if (r["method"], r["dataset"],
                                                       r["missing_rate"], r["seed"]) == key),
                                  None)
                    if record is None:
                        record = run(method, data, seed=seed, use_preset=False,
                                     missing_rate=rate).record()
                        record["missing_rate"] = rate
                        print(f"{name:12s} rate {rate:.1f} {method:16s} seed {seed}: "
                              f"ACC {100 * record['acc']:.1f}", flush=True)
                        report["runs"].append(record)
                        atomic_save_json(report, path)
    markdown = table(report)
    with atomic_write(RESULTS / f"{args.name}.md", "w") as handle:
        handle.write("# ACC (%) as views go missing, mean ± std (number of seeds, from 0 "
                     "on)\n\n" + markdown)
    figure(report, RESULTS / f"{args.name}.png")
    print(markdown)


if __name__ == "__main__":
    main()
