"""How close ``estimate_memory`` comes to the peak memory a fit really takes.

Every (method, n) runs in a fresh process: it builds the synthetic views
(``make_multiview_blobs``, ``--views`` × ``--dim`` features, ``--clusters`` clusters),
asks the estimator for its estimate, fits it and measures the growth of the peak resident
memory during the fit (``measure.py``). DMAC runs its large-n recipe (``LARGE_SCALE``), the
other deep methods a short schedule (memory does not grow with the epoch count). Writes
``benchmarks/results/memory-estimate.json`` and prints a table with the ratio of estimate
to measured peak; the guard is meant to be within 2x either way.

    python benchmarks/memory_estimate.py                       # the default grid
    python benchmarks/memory_estimate.py --runs dmac:10000 crrc:20000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

DEFAULT_RUNS = [
    "concat-kmeans:10000", "concat-kmeans:100000", "concat-kmeans:1000000",
    "dmac:10000", "dmac:100000", "dmac:1000000",
    "crrc:20000", "rav:20000", "bmvc:4000", "conan:20000",
    "anchor-spectral:100000", "anchor-spectral:1000000",
]
# Short schedules: the peak is reached in the first steps and at the final clustering.
SHORT = {"crrc": {"pretrain_epochs": 1, "epochs": 1}, "rav": {"pretrain_epochs": 1, "epochs": 1},
         "bmvc": {"epochs": 2}, "conan": {"epochs": 1}}
MIB = 1 << 20


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", default=DEFAULT_RUNS, metavar="METHOD:N")
    parser.add_argument("--views", type=int, default=3)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--out", type=Path,
                        default=Path("benchmarks/results/memory-estimate.json"))
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(_measure_one(args.one, args.views, args.dim, args.clusters)))
        return {}
    rows = []
    for run in args.runs:
        done = subprocess.run(
            [sys.executable, __file__, "--one", run, "--views", str(args.views),
             "--dim", str(args.dim), "--clusters", str(args.clusters)],
            capture_output=True, text=True, check=True,
        )
        row = json.loads(done.stdout.strip().splitlines()[-1])
        row["ratio"] = row["estimate_mib"] / row["peak_extra_mib"]
        rows.append(row)
        print(_line(row), flush=True)
    from measure import MEMORY_METHOD, machine

    report = {"machine": machine(), "memory_method": MEMORY_METHOD,
              "config": {"views": args.views, "dim": args.dim, "clusters": args.clusters,
                         "short_schedules": SHORT},
              "rows": rows,
              "max_ratio": max(max(r["ratio"], 1 / r["ratio"]) for r in rows)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"largest factor between estimate and peak: {report['max_ratio']:.2f}")
    return report


def _measure_one(run: str, views: int, dim: int, clusters: int) -> dict:
    from measure import measure

    import mvgraph
    from mvgraph.models import get_method
    from mvgraph.models.dmac import LARGE_SCALE

    method, n = run.split(":")
    data = mvgraph.make_multiview_blobs(n_samples=int(n), n_views=views, n_clusters=clusters,
                                        dims=dim, noise=1.0, random_state=0)
    params = LARGE_SCALE if method == "dmac" else SHORT.get(method, {})
    estimator = get_method(method)(n_clusters=clusters, random_state=0, **params)
    parts = estimator.estimate_memory(data.n_samples, data.dims)
    measured, _ = measure(lambda: estimator.fit(data.views))
    return {"method": method, "n": int(n), "params": params,
            "estimate_mib": sum(parts.values()) / MIB,
            "parts_mib": {key: value / MIB for key, value in parts.items()},
            "peak_extra_mib": measured["peak_extra_mib"], "seconds": measured["seconds"]}


def _line(row: dict) -> str:
    return (f"| {row['method']} | {row['n']:,} | {row['estimate_mib']:.0f} "
            f"| {row['peak_extra_mib']:.0f} | {row['ratio']:.2f} |")


if __name__ == "__main__":
    main()
