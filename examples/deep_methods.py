"""Fit every deep method on one data set and compare them with the k-means baseline.

Each method runs with its paper's defaults (and its per-dataset preset, as ``mvgraph fit``
does) unless ``--short`` divides every schedule by 20 for a quick look. Pass labels to
``fit`` and every estimator's ``history_`` holds per-epoch losses and metrics.

    python examples/deep_methods.py                      # NGs (500 samples, 3 views)
    python examples/deep_methods.py --data cub --methods bmvc conan
    python examples/deep_methods.py --short              # 44 s on a 2-core CPU
"""

from __future__ import annotations

import argparse

from mvgraph.data import MultiViewData
from mvgraph.experiment import format_metrics_table, load_data, run
from mvgraph.models import get_method

METHODS = ["concat-kmeans", "crrc", "rav", "bmvc", "conan", "dmac"]
SCHEDULES = ("pretrain_epochs", "epochs")


def short_schedule(method: str, divisor: int, data: MultiViewData) -> dict[str, int]:
    """Every epoch count of ``method``'s defaults on ``data`` divided by ``divisor`` (at
    least 1, or 0 where it is 0); a count the default leaves to the data (``None``: RAV's
    and CONAN's pretraining) is first resolved for it."""
    estimator = get_method(method)()
    defaults = estimator.get_params()
    if "pretrain_epochs" in defaults and defaults["pretrain_epochs"] is None:
        defaults["pretrain_epochs"] = estimator.pretraining_epochs(data.views)
    return {name: max(1, defaults[name] // divisor) if defaults[name] else 0
            for name in SCHEDULES if name in defaults}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="ngs", help="registry name, file or synthetic:...")
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--short", action="store_true", help="schedules divided by 20")
    args = parser.parse_args()

    data = load_data(args.data)
    print(data)
    records = []
    for method in args.methods:
        params = short_schedule(method, 20, data) if args.short else {}
        result = run(method, data, seed=args.seed, params=params)
        records.append(result.record())
        print(format_metrics_table(records[-1:]).splitlines()[-1], flush=True)
    print()
    print(format_metrics_table(records))


if __name__ == "__main__":
    main()
