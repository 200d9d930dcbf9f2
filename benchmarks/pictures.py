"""The README's pictures, drawn from committed results.

1. The pictures of the run ``results/bmvc-cub-seed0`` (``mvgraph fit bmvc --data cub
   --seed 0 --out benchmarks/results/bmvc-cub-seed0 --plot``), drawn with
   :func:`mvgraph.plot.plot_run`; the README shows its ``embedding.png``. Its metrics,
   history and pictures are committed, its arrays (``*.npy``) are not: when they are
   missing the fit is run again first (about 3 minutes on 2 CPU cores).
2. ``results/headline-report-half.png``: the report half of the headline table
   (``results/headline.json``, from ``benchmarks/headline.py``) with the drawing of
   ``mvgraph report``: per set, each method's mean ACC ± std over its seeds, the floor as
   a black line and the paper's number, where there is one, as a red diamond.

    python benchmarks/pictures.py
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mvgraph.benchmark import PROTOCOL_HALVES, reference_result
from mvgraph.cli import main as main_cli
from mvgraph.plot import plot_run, save_png
from mvgraph.plot.report import accuracy_figure

RUN = Path("bmvc-cub-seed0")


def headline_figure(results: Path) -> Path:
    """Draw the report half of ``headline.json`` into ``headline-report-half.png``."""
    headline = json.loads((results / "headline.json").read_text())
    datasets = PROTOCOL_HALVES["report"]
    methods = list(headline["methods"])
    cells = {
        (method, name): {**entry, "published": reference_result(method, name, "")}
        for method, by_set in headline["methods"].items()
        for name, entry in by_set.items() if name in datasets
    }
    figure = accuracy_figure(methods, datasets, cells, headline["floor"])
    figure.suptitle("Report half of the protocol: defaults, ACC over seeds 0–4 "
                    "(no bar: not run yet)", fontsize=10)
    path = results / "headline-report-half.png"
    save_png(figure, path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", default="benchmarks/results")
    results = Path(parser.parse_args().results)
    run = results / RUN
    if not (run / "embedding.npy").is_file():
        fit = ["fit", "bmvc", "--data", "cub", "--seed", "0", "--out", str(run), "--quiet"]
        if main_cli(fit) != 0:
            raise SystemExit(f"mvgraph {' '.join(fit)} failed")
    for path in [*plot_run(run), headline_figure(results)]:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
