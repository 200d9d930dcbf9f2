"""Large-scale clustering: time, peak memory and accuracy from 10^4 to 10^7 samples.

For every kind of synthetic data and every n (``--views`` views of ``--dim`` features,
``--clusters`` clusters, seed 0):

- ``blobs``: ``make_multiview_blobs`` with ``noise=--blob-noise`` (1.0, as
  ``benchmarks/scaling.py``), where k-means is at home;
- ``manifolds``: ``make_multiview_manifolds`` (concentric rings), where k-means splits every
  group's rings by a line;

the methods (``--methods``) are fitted in this process, one after another:
``concat-kmeans`` (the baseline), ``anchor-spectral`` with its defaults (or
``--anchor-neighbors k``), and DMAC's large-n recipe (``mvgraph.models.dmac.LARGE_SCALE``)
for ``n <= --dmac-max``. A method that is not run
at some n is a row with the reason (``skipped``): beyond ``--dmac-max``, or refused by the
memory guard (its estimate is larger than the memory available). Each row has the fit
time and its ratio to k-means on the same data in the same process, the process's peak
resident memory during the fit (``peak_rss_mib``, the data included; the peak is reset
before each fit), its growth over the fit, ACC and NMI. The table ends with
anchor-spectral's time(10n) / time(n) per kind. Results: ``benchmarks/results/
large-scale-<device>.json``, ``.md`` and ``.png`` (time and memory against n, log-log).

    python benchmarks/large_scale.py --sizes 10000 100000 1000000
    python benchmarks/large_scale.py --sizes 10000000 --name large-scale-cpu-1e7
"""

from __future__ import annotations

import argparse
import platform
from collections.abc import Callable
from pathlib import Path

import faiss
import torch
from measure import MEMORY_METHOD, format_mib, machine, measure_fit

import mvgraph
from mvgraph.models import DMAC, AnchorSpectral, ConcatKMeans
from mvgraph.models.dmac import LARGE_SCALE
from mvgraph.plot import save_png
from mvgraph.plot.report import scaling_figure
from mvgraph.utils import InsufficientMemoryError, atomic_save_json, atomic_write, resolve_device

METHODS = ("concat-kmeans", "anchor-spectral", "dmac large-n recipe")


def make_data(kind: str, n: int, args: argparse.Namespace) -> mvgraph.MultiViewData:
    if kind == "blobs":
        return mvgraph.make_multiview_blobs(n, args.views, args.clusters, args.dim,
                                            noise=args.blob_noise, random_state=0)
    return mvgraph.make_multiview_manifolds(n, args.views, args.clusters, args.dim,
                                            random_state=0)


def fit_row(build: Callable[[], object], data: mvgraph.MultiViewData,
            device: torch.device) -> dict:
    """Fit a fresh estimator: time, memory and scores, or the memory guard's refusal."""
    try:
        return measure_fit(build(), data, device)
    except InsufficientMemoryError as refused:
        return {"skipped": f"refused by the memory guard: {str(refused).splitlines()[0]}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--kinds", nargs="+", choices=("blobs", "manifolds"),
                        default=["blobs", "manifolds"])
    parser.add_argument("--views", type=int, default=3)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--blob-noise", type=float, default=1.0)
    parser.add_argument("--dmac-max", type=int, default=1_000_000)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--anchor-neighbors", type=int, default=None,
                        help="n_neighbors of anchor-spectral (default: its default)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--name", default=None)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    device = resolve_device(args.device)
    clusters = args.clusters
    anchor = {} if args.anchor_neighbors is None else {"n_neighbors": args.anchor_neighbors}
    methods: dict[str, Callable[[], object]] = {
        "concat-kmeans": lambda: ConcatKMeans(clusters, random_state=0),
        "anchor-spectral": lambda: AnchorSpectral(clusters, random_state=0,
                                                  device=str(device), **anchor),
        "dmac large-n recipe": lambda: DMAC(clusters, random_state=0, device=str(device),
                                            **LARGE_SCALE),
    }
    methods = {name: methods[name] for name in args.methods}
    rows = []
    for kind in args.kinds:
        for n in args.sizes:
            data = make_data(kind, n, args)
            for method, build in methods.items():
                row = {"n": n, "kind": kind, "method": method}
                if method.startswith("dmac") and n > args.dmac_max:
                    row["skipped"] = f"n > --dmac-max = {args.dmac_max:,}"
                else:
                    row.update(fit_row(build, data, device))
                rows.append(row)
                print(_line(row), flush=True)
            baseline = rows[-len(methods)]
            for row in rows[-len(methods):]:
                both_timed = "seconds" in baseline and "seconds" in row
                if baseline["method"] == "concat-kmeans" and both_timed:
                    row["ratio_to_kmeans"] = row["seconds"] / baseline["seconds"]
            del data
    timed = {(r["kind"], r["n"]): r for r in rows
             if r["method"] == "anchor-spectral" and "seconds" in r}
    growth = [{"kind": kind, "from": n, "to": 10 * n,
               "time_ratio": timed[(kind, 10 * n)]["seconds"] / row["seconds"]}
              for (kind, n), row in timed.items() if (kind, 10 * n) in timed]
    report = {
        "machine": machine(),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "faiss": faiss.__version__, "mvgraph": mvgraph.__version__},
        "threads": {"torch": torch.get_num_threads(), "faiss": faiss.omp_get_max_threads()},
        "config": {key: str(value) for key, value in vars(args).items()},
        "dmac_recipe": LARGE_SCALE,
        "anchor_spectral": anchor,
        "memory_method": MEMORY_METHOD,
        "rows": rows,
        "growth": growth,
    }
    stem = args.out / (args.name or f"large-scale-{device.type}")
    atomic_save_json(report, stem.with_suffix(".json"))
    table = markdown(report)
    with atomic_write(stem.with_suffix(".md"), "w") as handle:
        handle.write(f"# {stem.name}\n\n{table}\n")
    save_png(scaling_figure(rows), stem.with_suffix(".png"))
    print(table)


def _line(row: dict) -> str:
    if "skipped" in row:
        return f"{row['kind']} n={row['n']:,} {row['method']}: skipped ({row['skipped']})"
    return (f"{row['kind']} n={row['n']:,} {row['method']}: {row['seconds']:.1f} s, peak RSS "
            f"{format_mib(row['peak_rss_mib'])} MiB, ACC {row['acc']:.4f}")



def markdown(report: dict) -> str:
    cuda = any("cuda_peak_extra_mib" in row for row in report["rows"])
    lines = [
        f"{report['device']}, torch {report['versions']['torch']}, threads "
        f"torch={report['threads']['torch']} faiss={report['threads']['faiss']}",
        "",
        "| data | n | method | seconds | vs k-means | ACC | NMI | peak RSS MiB | "
        "RSS growth MiB |" + (" CUDA peak MiB |" if cuda else ""),
        "|---|---:|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if cuda else ""),
    ]
    for row in report["rows"]:
        if "skipped" in row:
            lines.append(f"| {row['kind']} | {row['n']:,} | {row['method']} | not run: "
                         f"{row['skipped']} | | | | | |" + (" |" if cuda else ""))
            continue
        ratio = f"{row['ratio_to_kmeans']:.2f}x" if "ratio_to_kmeans" in row else "-"
        line = (f"| {row['kind']} | {row['n']:,} | {row['method']} | {row['seconds']:.1f} | "
                f"{ratio} | {100 * row['acc']:.2f} | {100 * row['nmi']:.2f} | "
                f"{format_mib(row['peak_rss_mib'])} | {format_mib(row['peak_extra_mib'])} |")
        if cuda:
            line += f" {row.get('cuda_peak_extra_mib', 0):.0f} |"
        lines.append(line)
    for step in report["growth"]:
        lines.append(f"\nanchor-spectral on {step['kind']}: time({step['to']:,}) / "
                     f"time({step['from']:,}) = {step['time_ratio']:.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
