"""Cluster a million samples seen through three views with anchor spectral clustering.

The data are concentric rings (``make_multiview_manifolds``: 20 clusters, 3 views of 64
features), on which k-means splits every pair of rings by a line; ``AnchorSpectral``
builds a 1000-anchor graph per view, fuses them and clusters their spectral embedding, in
time linear in the number of samples. Prints the metrics, the fit time and the process's
peak memory (the data included).

    python examples/large_scale.py                 # 10^6 samples, CUDA when available
    python examples/large_scale.py --n 100000 --device cpu
"""

from __future__ import annotations

import argparse
import resource
import time

import mvgraph
from mvgraph.experiment import format_metrics_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="number of samples")
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    args = parser.parse_args()

    start = time.perf_counter()
    data = mvgraph.make_multiview_manifolds(args.n, n_views=3, n_clusters=args.clusters,
                                            dims=64, random_state=0)
    print(f"{data}: generated in {time.perf_counter() - start:.1f} s")

    model = mvgraph.AnchorSpectral(n_clusters=args.clusters, random_state=0,
                                   device=args.device)
    start = time.perf_counter()
    model.fit(data.views)
    seconds = time.perf_counter() - start
    record = {**mvgraph.evaluate(data.labels, model.labels_), "method": "anchor-spectral",
              "dataset": f"manifolds n={args.n:,}", "seed": 0, "seconds": seconds}
    print(format_metrics_table([record]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"device {model.device_}, {len(model.anchors_[0])} anchors per view, "
          f"peak memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
