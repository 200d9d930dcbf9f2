"""Fixtures shared by the tests, and the CPU kernels every test runs on.

A deep fit amplifies the last bit of a floating-point sum into different labels, and the
last bits depend on the vector instructions the kernels use: on a CPU with AVX-512 and AMX
the same seed gives other labels than with AVX2 kernels (DMAC on 3Sources, seed 0: ACC
73.4 against 66.3, benchmarks/results/refactor-reproduction{,-avx2}.json). So that the
suite gives the same numbers on every x86-64 machine with AVX2 or more, it selects the AVX2
kernels of PyTorch, oneDNN and MKL (MKL's reproducibility mode) before torch is first
imported; the real-data bars were measured with them. A value already set in the
environment wins.
"""

import importlib.util
import math
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

for variable, value in (("ATEN_CPU_CAPABILITY", "avx2"), ("ONEDNN_MAX_CPU_ISA", "AVX2"),
                        ("MKL_CBWR", "AVX2")):
    os.environ.setdefault(variable, value)

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

# The blobs that the method tests fit, as keyword arguments of make_multiview_blobs. A test
# module that needs other blobs sets its own ``BLOBS``.
BLOBS = dict(n_samples=240, n_views=3, n_clusters=4, dims=[16, 12, 10], noise=0.05,
             random_state=0)


@pytest.fixture(scope="module")
def blobs(request):
    """Multi-view blobs, made once per test module: ``make_multiview_blobs(**BLOBS)``, with the
    module's own ``BLOBS`` where it sets one."""
    from mvgraph.data import make_multiview_blobs

    return make_multiview_blobs(**getattr(request.module, "BLOBS", BLOBS))


@pytest.fixture
def benchmark_script() -> Callable[[str], ModuleType]:
    """Loads a script of ``benchmarks/`` by its file stem, as a fresh module."""

    def load(stem: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(stem, BENCHMARKS / f"{stem}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


def run_cli(capsys, *argv):
    """Run the command line in this process: exit status, stdout and stderr."""
    from mvgraph.cli import main

    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def load_or_skip(name: str):
    """The registry set ``name``, or a skip naming what is missing."""
    from mvgraph.data import load_dataset

    try:
        return load_dataset(name)
    except FileNotFoundError as missing:
        pytest.skip(f"benchmark data not found: {missing}")


def floor_accuracies(data, seeds=range(5)) -> list[float]:
    """ACC of the floor, k-means on the concatenation with ``scaler="auto"``, per seed."""
    from mvgraph.metrics import acc
    from mvgraph.models import ConcatKMeans

    return [acc(data.labels, ConcatKMeans(data.n_classes, random_state=seed).fit(data).labels_)
            for seed in seeds]


# Reference loops, written entry by entry from the papers' formulas, that the loss tests
# compare the vectorised losses with.


def sparse_counts(blobs, density: float = 0.05) -> list:
    """The blobs as non-negative views with a fraction ``density`` of their entries
    non-zero (sparse by :func:`~mvgraph.data.scalers.is_sparse_view` below 0.1)."""
    import numpy as np

    views = [np.abs(view) for view in blobs.views]
    return [np.where(view > np.quantile(view, 1.0 - density), view, 0.0) for view in views]


def cosine(x, y) -> float:
    return float(x @ y / (x.norm() * y.norm()))


def loop_gaussian(z, sigma: float):
    import torch

    b = z.shape[0]
    out = torch.empty(b, b, dtype=torch.float64)
    for i in range(b):
        for k in range(b):
            out[i, k] = math.exp(-float(((z[i] - z[k]) ** 2).sum()) / sigma)
    return out


def loop_nt_xent(a, b, tau):
    """NT-Xent over the 2B items of ``a`` and ``b``, each item's own similarity removed."""
    import torch

    items = torch.cat([a, b])
    n, batch = items.shape[0], a.shape[0]
    total = 0.0
    for i in range(n):
        positive = i + batch if i < batch else i - batch
        denominator = sum(math.exp(cosine(items[i], items[j]) / tau) for j in range(n) if j != i)
        total -= math.log(math.exp(cosine(items[i], items[positive]) / tau) / denominator)
    return total / n


def loop_relation_alignment(latents, sigma, tau):
    """L_S as written in the paper, with the rows of S^v and S as the 2B items: the
    denominator sums over all 2B rows and then subtracts the self term e^{1/tau}."""
    import torch

    global_relation = loop_gaussian(torch.cat(latents, 1), sigma)
    total = 0.0
    for z in latents:
        items = torch.cat([loop_gaussian(z, sigma), global_relation])
        count, batch = items.shape[0], z.shape[0]
        view_loss = 0.0
        for i in range(count):
            positive = i + batch if i < batch else i - batch
            denominator = sum(math.exp(cosine(items[i], items[j]) / tau) for j in range(count))
            denominator -= math.exp(1.0 / tau)
            view_loss -= math.log(math.exp(cosine(items[i], items[positive]) / tau) / denominator)
        total += view_loss / count
    return total


def loop_cluster_loss(assignments, weights, tau):
    """The paper's L_Q: 1/2 sum_v sum_{u != v} 1/2 (w_vu + w_uv) l_c^{(v,u)} plus
    sum_v sum_j r_j log r_j, with l_c one-directional over the K columns of view v."""
    count, k = len(assignments), assignments[0].shape[1]

    def l_c(q_v, q_u):
        value = 0.0
        for j in range(k):
            denominator = sum(
                math.exp(cosine(q_v[:, j], q_m[:, c]) / tau) for c in range(k) for q_m in (q_v, q_u)
            )
            denominator -= math.exp(1.0 / tau)
            value -= math.log(math.exp(cosine(q_v[:, j], q_u[:, j]) / tau) / denominator)
        return value / k

    contrast = 0.0
    for v in range(count):
        for u in range(count):
            if u != v:
                pair = 0.5 * float(weights[v, u] + weights[u, v])
                contrast += 0.5 * pair * l_c(assignments[v], assignments[u])
    entropy = 0.0
    for q in assignments:
        r = q.sum(0) / q.sum()
        entropy += float((r * r.log()).sum())
    return contrast, entropy
