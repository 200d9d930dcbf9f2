"""Time and memory of the graph operators against the raw faiss search they are built on.

For every n, on synthetic float32 data (Gaussian blobs, ``--dim`` features) and ``--anchors``
anchors drawn from the rows:

(a) raw faiss ``IndexFlatL2`` search of the k + 1 nearest anchors (the baseline),
(b) ``anchor_graph`` without gradient, in the same process, with its ratio to (a),
(c) ``knn_graph`` over the n points: exact flat search up to ``--exact-knn-max`` points,
    above it the approximate ``--approx-index`` (its recall@k is measured on 1000 queries).

Timing: best of ``--repeats`` runs; a single run for n >= 10^6 (and for the kNN graph from
n = 10^5 on, where one exact run takes minutes on a small CPU).

Peak extra memory (CPU): before each run the process's peak RSS is reset to its current RSS
(``/proc/self/clear_refs`` = 5, after ``gc.collect()`` and glibc ``malloc_trim(0)`` so freed
heap pages do not hide new allocations); the value is ``VmHWM`` after the run minus ``VmRSS``
before it, i.e. the high-water growth of resident memory caused by the operation, its
outputs included. Recorded as null where the kernel does not offer the reset.

CUDA (only when available): the torch backend of ``nearest_neighbors`` (k + 1 nearest
anchors) and ``anchor_graph`` against a bare ``n x d @ d x m`` GEMM in TF32 (the floor) and
GEMM + ``topk``, timed with ``torch.cuda.synchronize()``; memory is the growth of
``torch.cuda.max_memory_allocated``.

    python benchmarks/graphs.py --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import faiss
import numpy as np
import torch
from measure import MEMORY_METHOD, machine, measure

from mvgraph.graphs import anchor_graph, knn_graph, nearest_neighbors, select_anchors

LARGE = 1_000_000
KNN_SINGLE_RUN = 100_000
RECALL_QUERIES = 1000
MIB = 1 << 20


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, LARGE])
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--anchors", type=int, default=1000)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--exact-knn-max", type=int, default=100_000)
    parser.add_argument("--approx-index", choices=["hnsw", "ivf"], default="hnsw")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/graphs.json"))
    args = parser.parse_args(argv)

    _warm_up(args.dim)
    rows, cuda_rows = [], []
    for n in args.sizes:
        x = _blobs(n, args.dim, args.seed)
        anchors = select_anchors(
            torch.from_numpy(x), args.anchors, method="random", random_state=args.seed
        ).numpy()
        rows += _cpu_rows(x, anchors, args)
        if torch.cuda.is_available():
            cuda_rows += _cuda_rows(x, anchors, args)
        del x
    report = {
        "machine": machine(),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "faiss": faiss.__version__,
            "numpy": np.__version__,
        },
        "threads": {"torch": torch.get_num_threads(), "faiss": faiss.omp_get_max_threads()},
        "config": {key: str(value) for key, value in vars(args).items()},
        "memory_method": MEMORY_METHOD,
        "rows": rows,
        "cuda": (
            {"rows": cuda_rows, "device": torch.cuda.get_device_name()}
            if torch.cuda.is_available()
            else {"skipped": "torch.cuda.is_available() is False"}
        ),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(_markdown(report))
    return report


def _cpu_rows(x: np.ndarray, anchors: np.ndarray, args: argparse.Namespace) -> list[dict]:
    n, k = x.shape[0], args.k
    repeats = 1 if n >= LARGE else args.repeats
    points, centres = torch.from_numpy(x), torch.from_numpy(anchors)

    def faiss_search() -> tuple[np.ndarray, np.ndarray]:
        index = faiss.IndexFlatL2(anchors.shape[1])
        index.add(anchors)
        return index.search(x, k + 1)

    base = measure(faiss_search, repeats)[0]
    graph = measure(lambda: anchor_graph(points, centres, k), repeats)[0]
    rows = [
        dict(n=n, operation="faiss IndexFlatL2 search, k+1 anchors", index="flat", **base),
        dict(n=n, operation="anchor_graph", index="flat", **graph),
    ]
    rows[1]["ratio_to_faiss"] = graph["seconds"] / base["seconds"]
    exact = n <= args.exact_knn_max
    index = "flat" if exact else args.approx_index
    knn_repeats = 1 if n >= KNN_SINGLE_RUN else args.repeats
    knn, (edge_index, _) = measure(lambda: knn_graph(points, k, index=index), knn_repeats)
    rows.append(dict(n=n, operation="knn_graph", index=index, **knn))
    if not exact:
        rows[-1]["recall_at_k"] = _recall(x, edge_index, k, args.seed)
        rows[-1]["note"] = f"approximate ({index}); recall@{k} on {RECALL_QUERIES} queries"
    return rows


def _cuda_rows(x: np.ndarray, anchors: np.ndarray, args: argparse.Namespace) -> list[dict]:
    n, k = x.shape[0], args.k
    repeats = 1 if n >= LARGE else args.repeats
    points = torch.from_numpy(x).cuda()
    centres = torch.from_numpy(anchors).cuda()
    centres_t = centres.t().contiguous()

    def gemm() -> torch.Tensor:
        return points @ centres_t

    def gemm_topk() -> torch.Tensor:
        return (points @ centres_t).topk(k + 1, dim=1, largest=False).indices

    operations = [
        ("GEMM n x d @ d x m (floor)", True, gemm),
        ("GEMM + topk(k+1)", True, gemm_topk),
        (
            "nearest_neighbors torch, k+1 anchors",
            False,
            lambda: nearest_neighbors(points, k + 1, centres, backend="torch"),
        ),
        (
            "nearest_neighbors torch, k+1 anchors",
            True,
            lambda: nearest_neighbors(points, k + 1, centres, backend="torch"),
        ),
        ("anchor_graph torch", False, lambda: anchor_graph(points, centres, k, backend="torch")),
    ]
    rows = []
    for name, use_tf32, operation in operations:
        with _tf32(use_tf32):
            measured = _measure_cuda(operation, repeats)
        precision = "tf32" if use_tf32 else "fp32 (ieee)"
        rows.append(dict(n=n, operation=name, precision=precision, **measured))
    floor = rows[0]["seconds"]
    for row in rows:
        row["ratio_to_gemm"] = row["seconds"] / floor
    return rows


def _measure_cuda(operation: Callable[[], object], repeats: int) -> dict:
    operation()  # warm-up: kernels, cuBLAS handles, allocator
    torch.cuda.synchronize()
    best, peak = float("inf"), 0.0
    for _ in range(repeats):
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        start = time.perf_counter()
        result = operation()
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
        peak = max(peak, (torch.cuda.max_memory_allocated() - before) / MIB)
        del result
    return {"seconds": best, "peak_extra_mib": peak, "repeats": repeats}


@contextlib.contextmanager
def _tf32(enabled: bool) -> Iterator[None]:
    matmul = torch.backends.cuda.matmul
    previous = matmul.fp32_precision
    matmul.fp32_precision = "tf32" if enabled else "ieee"
    try:
        yield
    finally:
        matmul.fp32_precision = previous


def _recall(x: np.ndarray, edge_index: torch.Tensor, k: int, seed: int) -> float:
    """Fraction of the exact k nearest neighbours (self excluded) found, on sampled queries."""
    n = x.shape[0]
    queries = np.random.default_rng(seed).choice(n, min(RECALL_QUERIES, n), replace=False)
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x)
    _, exact = index.search(x[queries], k + 1)
    found = edge_index[0].view(n, k)[torch.from_numpy(queries)].numpy()
    hits = sum(
        len(set(row_found) & (set(row_exact) - {query}))
        for query, row_found, row_exact in zip(queries, found, exact, strict=True)
    )
    return hits / (len(queries) * k)


def _blobs(n: int, dim: int, seed: int) -> np.ndarray:
    """Gaussian blobs in float32 around 100 centres, generated without float64 copies."""
    rng = np.random.default_rng(seed)
    centres = 4.0 * rng.standard_normal((100, dim), dtype=np.float32)
    x = rng.standard_normal((n, dim), dtype=np.float32)
    x += centres[rng.integers(0, 100, n)]
    return x


def _warm_up(dim: int) -> None:
    """Start the thread pools of faiss and torch before anything is timed."""
    sample = np.random.default_rng(0).standard_normal((4096, dim), dtype=np.float32)
    anchor_graph(torch.from_numpy(sample), torch.from_numpy(sample[:64]), 2)


def _markdown(report: dict) -> str:
    def mib(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0f}"

    lines = [
        f"torch {report['versions']['torch']}, faiss {report['versions']['faiss']}, "
        f"threads torch={report['threads']['torch']} faiss={report['threads']['faiss']}",
        "",
        "| n | operation | index | seconds | peak extra MiB | vs faiss search | note |",
        "|---:|---|---|---:|---:|---:|---|",
    ]
    for row in report["rows"]:
        ratio = f"{row['ratio_to_faiss']:.2f}x" if "ratio_to_faiss" in row else ""
        note = row.get("note", "")
        if "recall_at_k" in row:
            note = f"{note}: {row['recall_at_k']:.3f}"
        lines.append(
            f"| {row['n']:,} | {row['operation']} | {row['index']} | {row['seconds']:.3f} "
            f"| {mib(row['peak_extra_mib'])} | {ratio} | {note} |"
        )
    cuda = report["cuda"]
    if "skipped" in cuda:
        lines += ["", f"CUDA: skipped ({cuda['skipped']})."]
    else:
        lines += [
            "",
            f"CUDA ({cuda['device']}):",
            "",
            "| n | operation | precision | seconds | peak extra MiB | vs GEMM |",
            "|---:|---|---|---:|---:|---:|",
        ]
        for row in cuda["rows"]:
            lines.append(
                f"| {row['n']:,} | {row['operation']} | {row['precision']} "
                f"| {row['seconds']:.4f} | {mib(row['peak_extra_mib'])} "
                f"| {row['ratio_to_gemm']:.2f}x |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1:])
