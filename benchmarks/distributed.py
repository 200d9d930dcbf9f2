"""Distributed fits: 1 and several processes on the same data, time and peak memory per rank.

The data (``make_multiview_blobs``: ``--n`` samples, ``--views`` views of ``--dim``
features, ``--clusters`` clusters, ``noise=1.0``, seed 0) is written once to a ``.npz``
file; then for every method and every process count ``W`` in ``--processes``, ``W``
processes are started (as ``torchrun`` would: a ``--backend`` process group; gloo on the
CPU, NCCL with one GPU per rank), each with ``cpu_count // W`` threads, so that every
configuration uses the same cores. Each rank reads its shard of the file
(:func:`mvgraph.data.load_npz` with ``part``), fits, and reports its load time, fit time
and peak resident memory (``VmHWM``, the data included); rank 0 gathers the labels and
scores them, and against the labels of the single-process fit (ARI). Nothing else may
run on the machine meanwhile.

    python benchmarks/distributed.py                        # 10^6 samples, 1 and 2 processes
    python benchmarks/distributed.py --backend nccl --processes 1 2 4 --name distributed-cuda

Results: ``benchmarks/results/<name>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import faiss
import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from measure import format_mib, machine, measure

import mvgraph
from mvgraph.data import load_npz, save_npz
from mvgraph.distributed import current_shard
from mvgraph.metrics import ari
from mvgraph.models import get_method
from mvgraph.utils import atomic_save_json, atomic_write


def rank_main(rank: int, world_size: int, port: int, args: argparse.Namespace, method: str,
              data_file: Path, out_file: Path) -> None:
    """One rank: join the group, read the shard, fit, write this rank's measurements."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank))
    threads = max(1, (os.cpu_count() or 1) // world_size)
    torch.set_num_threads(threads)
    faiss.omp_set_num_threads(threads)
    if args.backend == "nccl":
        torch.cuda.set_device(rank)
    dist.init_process_group(args.backend, timeout=timedelta(minutes=30))
    shard = current_shard()
    start = time.perf_counter()
    data = load_npz(data_file, part=(rank, world_size))
    load_seconds = time.perf_counter() - start
    estimator = get_method(method)(n_clusters=args.clusters, random_state=0)
    if "device" in estimator.get_params():
        estimator.set_params(device="cuda" if args.backend == "nccl" else "cpu")
    dist.barrier()
    measured, _ = measure(lambda: estimator.fit(data.views))
    labels = shard.all_gather_rows(torch.from_numpy(estimator.labels_)).numpy()
    row = {"rank": rank, "threads": threads, "load_seconds": load_seconds,
           "n_local": data.n_samples, **measured}
    if rank == 0:
        np.save(out_file.with_suffix(".labels.npy"), labels)
    out_file.with_suffix(f".rank{rank}.json").write_text(json.dumps(row))
    dist.barrier()
    dist.destroy_process_group()


def run_configuration(args: argparse.Namespace, method: str, world_size: int,
                      data_file: Path, folder: Path) -> tuple[list[dict], np.ndarray]:
    """Start ``world_size`` ranks and collect their rows and rank 0's gathered labels."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out_file = folder / f"{method}-{world_size}"
    context = mp.get_context("spawn")
    ranks = [context.Process(target=rank_main, args=(rank, world_size, port, args, method,
                                                     data_file, out_file))
             for rank in range(world_size)]
    for process in ranks:
        process.start()
    for process in ranks:
        process.join()
    codes = [process.exitcode for process in ranks]
    if any(codes):
        raise RuntimeError(f"{method} on {world_size} processes: ranks exited with {codes}")
    rows = [json.loads(out_file.with_suffix(f".rank{rank}.json").read_text())
            for rank in range(world_size)]
    return rows, np.load(out_file.with_suffix(".labels.npy"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--views", type=int, default=3)
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--methods", nargs="+", default=["anchor-spectral", "concat-kmeans"])
    parser.add_argument("--backend", choices=("gloo", "nccl"), default="gloo")
    parser.add_argument("--name", default="distributed-cpu")
    args = parser.parse_args()

    results = Path(__file__).parent / "results"
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        data = mvgraph.make_multiview_blobs(args.n, args.views, args.clusters, args.dim,
                                            noise=1.0, random_state=0)
        truth = data.labels
        data_file = folder / "data.npz"
        save_npz(data, data_file)
        del data
        rows = []
        for method in args.methods:
            reference = None
            for world_size in args.processes:
                ranks, labels = run_configuration(args, method, world_size, data_file, folder)
                scores = mvgraph.evaluate(truth, labels)
                if reference is None:
                    reference = labels
                rows.append({
                    "method": method, "processes": world_size,
                    "threads_per_process": ranks[0]["threads"],
                    "seconds": max(rank["seconds"] for rank in ranks),
                    "load_seconds": max(rank["load_seconds"] for rank in ranks),
                    "peak_rss_mib_per_rank": [rank["peak_rss_mib"] for rank in ranks],
                    "samples_per_rank": [rank["n_local"] for rank in ranks],
                    "acc": scores["acc"], "nmi": scores["nmi"],
                    "ari_to_first": ari(reference, labels),
                })
                print(f"{method:16s} W={world_size}  {rows[-1]['seconds']:.1f} s  "
                      f"ACC {scores['acc']:.4f}", flush=True)
    for row in rows:
        first = next(r for r in rows if r["method"] == row["method"])
        row["time_ratio_to_first"] = row["seconds"] / first["seconds"]

    record = {"description": __doc__.splitlines()[0], "n": args.n, "views": args.views,
              "dim": args.dim, "clusters": args.clusters, "backend": args.backend,
              "machine": machine(), "python": platform.python_version(),
              "torch": torch.__version__, "rows": rows}
    atomic_save_json(record, results / f"{args.name}.json")
    lines = [f"# {record['description']}", "",
             f"n = {args.n}, {args.views} views x {args.dim} features, {args.clusters} "
             f"clusters; backend {args.backend}; {record['machine']['cpu_count']} CPUs.", "",
             "| method | processes | threads each | fit s | ratio | load s | peak RSS per rank "
             "(MiB) | ACC | NMI | ARI to 1 process |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        memory = " / ".join(format_mib(value) for value in row["peak_rss_mib_per_rank"])
        lines.append(f"| {row['method']} | {row['processes']} | {row['threads_per_process']} | "
                     f"{row['seconds']:.1f} | {row['time_ratio_to_first']:.2f} | "
                     f"{row['load_seconds']:.1f} | {memory} | {row['acc']:.4f} | "
                     f"{row['nmi']:.4f} | {row['ari_to_first']:.4f} |")
    table = "\n".join(lines) + "\n"
    with atomic_write(results / f"{args.name}.md", "w") as handle:
        handle.write(table)
    print(table)


if __name__ == "__main__":
    main()
