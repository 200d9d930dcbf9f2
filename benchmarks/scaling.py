"""DMAC fit time and peak memory from 10^4 to 10^6 samples, against k-means on the
concatenated views run on the same data in the same process.

For every n: synthetic data (``make_multiview_blobs``: ``--views`` views of ``--dim``
features, ``--clusters`` clusters, noise ``--noise``, seed 0), then

(a) ``ConcatKMeans`` (10 restarts), the baseline;
(b) ``DMAC`` with the large-n recipe ``mvgraph.models.dmac.LARGE_SCALE``;
(c) for ``n <= --faithful-max``: ``DMAC`` with its defaults (the reference code's recipe:
    full batch, m = floor(sqrt(n c)) anchors, 1000 + 50 epochs), to show the accuracy the
    recipe keeps.

Each row has the fit time, its ratio to (a), ACC and NMI, and memory: on the CPU the
process's peak resident memory during the fit (``peak_rss_mib``, the data included) and
its growth over the fit (``peak_extra_mib``); on CUDA also the growth of
``torch.cuda.max_memory_allocated``. The table ends with time(n) / time(previous n) for
the recipe. Results go to ``benchmarks/results/scaling-<device>.json``.

    python benchmarks/scaling.py --sizes 10000 100000 1000000 --device cpu
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import faiss
import torch
from measure import MEMORY_METHOD, format_mib, machine, measure_fit

import mvgraph
from mvgraph.models import DMAC, ConcatKMeans
from mvgraph.models.dmac import LARGE_SCALE
from mvgraph.utils import resolve_device


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--views", type=int, default=3)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument("--faithful-max", type=int, default=10_000)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    device = resolve_device(args.device)

    rows = []
    for n in args.sizes:
        data = mvgraph.make_multiview_blobs(
            n_samples=n, n_views=args.views, n_clusters=args.clusters, dims=args.dim,
            noise=args.noise, random_state=0,
        )
        runs = [("concat-kmeans", lambda: ConcatKMeans(n_clusters=args.clusters,
                                                       random_state=0))]
        runs.append(("dmac large-n recipe", lambda: DMAC(
            n_clusters=args.clusters, random_state=0, device=str(device), **LARGE_SCALE)))
        if n <= args.faithful_max:
            runs.append(("dmac faithful", lambda: DMAC(
                n_clusters=args.clusters, random_state=0, device=str(device))))
        for name, build in runs:
            row = {"n": n, "method": name, **measure_fit(build(), data, device)}
            rows.append(row)
            print(_row_line(row), flush=True)
        baseline = next(r for r in rows if r["n"] == n and r["method"] == "concat-kmeans")
        for row in rows:
            if row["n"] == n:
                row["ratio_to_kmeans"] = row["seconds"] / baseline["seconds"]
        del data
    recipe = [r for r in rows if r["method"] == "dmac large-n recipe"]
    growth = [
        {"from": a["n"], "to": b["n"], "time_ratio": b["seconds"] / a["seconds"]}
        for a, b in zip(recipe, recipe[1:])
    ]
    report = {
        "machine": machine(),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "faiss": faiss.__version__, "mvgraph": mvgraph.__version__},
        "threads": {"torch": torch.get_num_threads(), "faiss": faiss.omp_get_max_threads()},
        "config": {key: str(value) for key, value in vars(args).items()},
        "recipe": LARGE_SCALE,
        "memory_method": MEMORY_METHOD,
        "rows": rows,
        "growth": growth,
    }
    out = args.out or Path("benchmarks/results") / f"scaling-{device.type}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(_markdown(report))
    return report


def _row_line(row: dict) -> str:
    return (f"n={row['n']:,} {row['method']}: {row['seconds']:.1f} s, "
            f"peak RSS {format_mib(row['peak_rss_mib'])} MiB, ACC {row['acc']:.4f}")



def _markdown(report: dict) -> str:
    cuda = any("cuda_peak_extra_mib" in row for row in report["rows"])
    lines = [
        f"{report['device']}, torch {report['versions']['torch']}, "
        f"threads torch={report['threads']['torch']} faiss={report['threads']['faiss']}; "
        f"recipe {report['recipe']}",
        "",
        "| n | method | seconds | vs k-means | ACC | NMI | peak RSS MiB | RSS growth MiB |"
        + (" CUDA peak MiB |" if cuda else ""),
        "|---:|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if cuda else ""),
    ]
    for row in report["rows"]:
        line = (
            f"| {row['n']:,} | {row['method']} | {row['seconds']:.1f} "
            f"| {row['ratio_to_kmeans']:.2f}x | {100 * row['acc']:.2f} | {100 * row['nmi']:.2f} "
            f"| {format_mib(row['peak_rss_mib'])} | {format_mib(row['peak_extra_mib'])} |"
        )
        if cuda:
            line += f" {row.get('cuda_peak_extra_mib', 0):.0f} |"
        lines.append(line)
    for step in report["growth"]:
        lines.append(f"\nrecipe time({step['to']:,}) / time({step['from']:,}) = "
                     f"{step['time_ratio']:.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1:])
