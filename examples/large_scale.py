"""Cluster a million samples seen through three views with DMAC's large-n recipe.

Minibatches of 16384 rows, 256 anchors placed every epoch by a k-means on a
subsample, a short schedule: every epoch is linear in the number of samples (see
``mvgraph.models.dmac.LARGE_SCALE``). Prints the metrics, the fit time and the process's
peak memory.

    python examples/large_scale.py                 # 10^6 samples, CUDA when available
    python examples/large_scale.py --n 100000 --device cpu
"""

from __future__ import annotations

import argparse
import resource
import time

import mvgraph
from mvgraph.experiment import format_metrics_table
from mvgraph.models.dmac import LARGE_SCALE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="number of samples")
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    args = parser.parse_args()

    start = time.perf_counter()
    data = mvgraph.make_multiview_blobs(
        n_samples=args.n, n_views=3, n_clusters=args.clusters, dims=64, noise=1.0,
        random_state=0,
    )
    print(f"{data}: generated in {time.perf_counter() - start:.1f} s")

    model = mvgraph.DMAC(n_clusters=args.clusters, random_state=0, device=args.device,
                         verbose=1, **LARGE_SCALE)
    start = time.perf_counter()
    model.fit(data.views)
    seconds = time.perf_counter() - start
    record = {**mvgraph.evaluate(data.labels, model.labels_), "method": "dmac",
              "dataset": f"blobs n={args.n:,}", "seed": 0, "seconds": seconds}
    print(format_metrics_table([record]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"device {model.device_}, {model.n_anchors_} anchors, peak memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
