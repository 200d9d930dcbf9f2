"""k-means with k-means++ seeding, on faiss for CPU data and on torch for GPU tensors.

The objective is the usual inertia :math:`\\sum_i \\min_j \\lVert x_i - c_j \\rVert^2`.
Every restart is seeded by greedy k-means++ (the seeding scikit-learn uses; faiss's own
plain k-means++ lands in visibly worse optima on the benchmark sets) and refined by Lloyd
iterations: faiss's on CPU, ours on torch for GPU tensors. ``n_init`` restarts are run
and the one with the lowest inertia is kept. By default every sample is used; for large
data, ``max_points_per_centroid`` fits each restart on at most that many random points
per cluster (as faiss does by default) and then assigns every sample to its nearest
centroid, which keeps the cost linear in ``n`` at a small loss of quality. The samples may
also be spread over several processes (``shard``): the subsamples are drawn over all of
them and gathered, and Lloyd iterations over all samples sum the centroids' parts.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import faiss
import numpy as np
import torch

from mvgraph.distributed import SINGLE_PROCESS, Shard

_BACKENDS = ("auto", "faiss", "torch")
# Lloyd stops once the squared centroid shift is below this fraction of the mean feature
# variance (scikit-learn's rule), or when no label changes.
TOLERANCE = 1e-4
# A distributed k-means over all samples seeds by k-means++ on a gathered subsample of at
# most this many points per cluster.
SEEDING_POINTS_PER_CENTROID = 256


class KMeansResult(NamedTuple):
    """Labels ``[n]`` (int64), centroids ``[k, d]`` (float32) and inertia over all samples.

    ``labels`` and ``centroids`` have the type of the input: numpy arrays for numpy input,
    torch tensors on the input's device for tensor input.
    """

    labels: np.ndarray | torch.Tensor
    centroids: np.ndarray | torch.Tensor
    inertia: float


def kmeans(
    x: np.ndarray | torch.Tensor,
    n_clusters: int,
    *,
    n_init: int = 10,
    max_iter: int = 50,
    random_state: int | None = None,
    backend: str = "auto",
    max_points_per_centroid: int | None = None,
    init: np.ndarray | torch.Tensor | None = None,
    shard: Shard = SINGLE_PROCESS,
) -> KMeansResult:
    """Cluster the rows of ``x`` into ``n_clusters`` groups.

    Args:
        x: samples, shape ``[n, d]`` (with ``shard``: this process's rows of them).
        n_clusters: number of clusters ``k``; ``1 <= k <= n``.
        n_init: restarts with different seeds; the lowest inertia wins.
        max_iter: Lloyd iterations per restart.
        random_state: seed; the same seed gives the same result on the same backend.
        backend: ``"faiss"`` (CPU), ``"torch"`` (any device), or ``"auto"``: torch for
            CUDA tensors, faiss otherwise.
        max_points_per_centroid: fit each restart on at most this many random points per
            cluster (``None``, the default: all points).
        init: the starting centroids ``[k, d]`` instead of k-means++ seeds; one run of the
            torch Lloyd iterations (``n_init`` and ``backend`` do not apply).
        shard: this process's :class:`~mvgraph.distributed.Shard` when ``x`` is its
            part of the samples (the samples are the ranks' parts in rank order);
            every rank calls with the same other arguments. A restart fitted on a subsample
            draws it from all samples and gathers it, so the result is that of one
            process on the whole data; a restart over all samples runs the torch Lloyd
            iterations with centroid sums and counts summed over the ranks, seeded by
            k-means++ on a gathered subsample of :data:`SEEDING_POINTS_PER_CENTROID`
            points per cluster. Labels are those of the local rows; the inertia is global.
    """
    is_tensor = isinstance(x, torch.Tensor)
    data = x.detach() if is_tensor else np.asarray(x)
    if data.ndim != 2:
        raise ValueError(f"x must be a 2-d array of shape (n, d); got shape {tuple(data.shape)}")
    n, d = shard.total(data.shape[0]), data.shape[1]
    if not isinstance(n_clusters, (int, np.integer)) or n_clusters < 1:
        raise ValueError(f"n_clusters must be a positive integer; got {n_clusters!r}")
    if n_clusters > n:
        raise ValueError(
            f"n_clusters={n_clusters} exceeds the number of samples ({n}); "
            "a clustering needs at least one sample per cluster"
        )
    if d < 1:
        raise ValueError(f"x must have at least one column; got shape {tuple(data.shape)}")
    if n_init < 1 or max_iter < 1:
        raise ValueError(f"n_init and max_iter must be >= 1; got {n_init} and {max_iter}")
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {_BACKENDS}; got {backend!r}")
    finite = torch.isfinite(data).all().item() if is_tensor else np.isfinite(data).all()
    if shard.agree(not finite):
        raise ValueError("x contains NaN or infinite values")
    if max_points_per_centroid is not None and max_points_per_centroid < 1:
        raise ValueError(
            f"max_points_per_centroid must be >= 1 or None; got {max_points_per_centroid}"
        )
    if init is not None and tuple(init.shape) != (n_clusters, d):
        raise ValueError(f"init must have shape (n_clusters, d) = ({n_clusters}, {d}); "
                         f"got {tuple(init.shape)}")
    sample_cap = n if max_points_per_centroid is None else max_points_per_centroid * n_clusters
    seed = int(np.random.SeedSequence(random_state).generate_state(1)[0] & 0x7FFFFFFF)
    seed = int(shard.broadcast(torch.tensor(seed)))  # rank 0's, for random_state=None
    sample = _Sample(shard, n, sample_cap)

    if backend == "auto":
        backend = "torch" if is_tensor and data.is_cuda else "faiss"
    if backend == "faiss" and init is None and not sample.is_distributed_lloyd:
        points = data.cpu().numpy() if is_tensor else data
        labels, centroids, inertia = _kmeans_faiss(
            points, int(n_clusters), n_init, max_iter, seed, sample
        )
        if is_tensor:
            return KMeansResult(
                torch.from_numpy(labels).to(data.device),
                torch.from_numpy(centroids).to(data.device),
                inertia,
            )
        return KMeansResult(labels, centroids, inertia)

    points = data if is_tensor else torch.from_numpy(np.ascontiguousarray(data))
    points = points.float()
    start = None if init is None else torch.as_tensor(init, dtype=torch.float32,
                                                      device=points.device)
    labels, centroids, inertia = _kmeans_torch(
        points, int(n_clusters), 1 if start is not None else n_init, max_iter, seed, sample,
        start,
    )
    if is_tensor:
        return KMeansResult(labels, centroids, inertia)
    return KMeansResult(labels.numpy(), centroids.numpy(), inertia)


def nearest_centroid(
    x: np.ndarray | torch.Tensor, centroids: np.ndarray | torch.Tensor
) -> np.ndarray | torch.Tensor:
    """Index of the nearest centroid (squared Euclidean) of every row, ``[n]`` int64.

    Computed in chunks of rows, so memory stays ``O(chunk · k)``. Returns the type of ``x``.
    """
    is_tensor = isinstance(x, torch.Tensor)
    points = x.detach().float() if is_tensor else torch.from_numpy(np.asarray(x, np.float32))
    centres = torch.as_tensor(centroids, dtype=torch.float32, device=points.device)
    if points.ndim != 2 or centres.ndim != 2 or points.shape[1] != centres.shape[1]:
        raise ValueError(
            f"x [n, d] and centroids [k, d] must share d; got shapes {tuple(points.shape)} "
            f"and {tuple(centres.shape)}"
        )
    labels, _ = _assign(points, centres)
    return labels if is_tensor else labels.numpy()


class _Sample:
    """Which points a restart is fitted on: all of them, or a random subsample of
    ``cap`` of the ``n`` samples, drawn over all ranks' samples and gathered."""

    def __init__(self, shard: Shard, n: int, cap: int) -> None:
        self.shard, self.n, self.cap = shard, n, cap

    @property
    def is_distributed_lloyd(self) -> bool:
        """Whether restarts run over all samples of several ranks."""
        return self.shard.is_distributed and self.n <= self.cap

    def fit_points(self, points: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """The points of one restart: the local points, or the drawn subsample."""
        if self.n <= self.cap:
            return points
        drawn = torch.randperm(self.n, generator=generator, device=generator.device)
        return self.shard.gather_rows(points, drawn[: self.cap])

    def seeds(self, points: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
        """k-means++ seeds of a restart over ``points``; over the points of several ranks,
        from a gathered subsample, as rank 0 draws it."""
        if not self.is_distributed_lloyd:
            return _kmeans_plus_plus(points, k, generator)
        size = min(self.n, SEEDING_POINTS_PER_CENTROID * k)
        drawn = torch.randperm(self.n, generator=generator, device=generator.device)
        subsample = self.shard.gather_rows(points, drawn[:size])
        return self.shard.broadcast(_kmeans_plus_plus(subsample, k, generator))


def _kmeans_faiss(
    x: np.ndarray, k: int, n_init: int, max_iter: int, seed: int, sample: _Sample
) -> tuple[np.ndarray, np.ndarray, float]:
    """Greedy k-means++ seeds (as the torch path) refined by faiss's Lloyd iterations,
    each restart on points that every rank holds alike."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    d = x.shape[1]
    generator = torch.Generator().manual_seed(seed)
    points = torch.from_numpy(x)
    best_centroids, best_inertia = None, float("inf")
    for restart in range(n_init):
        fit_points = sample.fit_points(points, generator)
        seeds = _kmeans_plus_plus(fit_points, k, generator).numpy()
        model = faiss.Kmeans(
            d, k, niter=max_iter, nredo=1, seed=seed + restart, verbose=False,
            max_points_per_centroid=max(1, sample.cap // k), min_points_per_centroid=1,
        )
        inertia = model.train(fit_points.numpy(), init_centroids=seeds)
        if inertia < best_inertia:
            best_centroids, best_inertia = model.centroids, inertia
    centroids = sample.shard.broadcast(torch.from_numpy(best_centroids)).numpy()
    index = faiss.IndexFlatL2(d)
    index.add(centroids)
    distances, labels = index.search(x, 1)
    inertia = sample.shard.all_sum(torch.tensor(distances.sum(dtype=np.float64)))
    return (
        labels[:, 0].astype(np.int64),
        np.ascontiguousarray(centroids, dtype=np.float32),
        float(inertia),
    )


def _kmeans_torch(
    x: torch.Tensor, k: int, n_init: int, max_iter: int, seed: int, sample: _Sample,
    init: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor, float]:
    shard = sample.shard
    # over the samples of several ranks, every rank keeps the restart rank 0 keeps
    local = shard if sample.is_distributed_lloyd else SINGLE_PROCESS
    generator = torch.Generator(device=x.device).manual_seed(seed)
    best_centroids, best_inertia = None, float("inf")
    for _ in range(n_init):
        fit_points = sample.fit_points(x, generator)
        tolerance = TOLERANCE * _mean_variance(fit_points, local)
        centroids = init if init is not None else sample.seeds(fit_points, k, generator)
        centroids = _lloyd(fit_points, centroids, max_iter, tolerance, local)
        _, min_dist = _assign(fit_points, centroids)
        inertia = float(local.all_sum(min_dist.double().sum()))
        if inertia < best_inertia:
            best_centroids, best_inertia = centroids, inertia
    best_centroids = shard.broadcast(best_centroids)
    labels, min_dist = _assign(x, best_centroids)
    return labels, best_centroids, float(shard.all_sum(min_dist.double().sum()))


def _lloyd(x: torch.Tensor, centroids: torch.Tensor, max_iter: int, tolerance: float,
           shard: Shard) -> torch.Tensor:
    """Lloyd iterations from ``centroids`` over the points of every rank of ``shard``
    (``x``: the local ones), until no label changes or the squared centroid shift is at
    most ``tolerance``."""
    previous = None
    for _ in range(max_iter):
        labels, _ = _assign(x, centroids, distances=False)
        if previous is not None and shard.total(int((labels != previous).sum())) == 0:
            break
        updated = _update(x, labels, centroids, shard)
        shift = float((updated - centroids).pow(2).sum())
        centroids, previous = updated, labels
        if shift <= tolerance:
            break
    return centroids


def _mean_variance(x: torch.Tensor, shard: Shard) -> float:
    """The mean over features of the (unbiased) variance of the points of every rank."""
    n = shard.total(x.shape[0])
    mean = shard.all_sum(x.sum(0, dtype=torch.float64)) / n
    squares = shard.all_sum((x.double() - mean).pow(2).sum(0))
    return float((squares / max(n - 1, 1)).mean())


def _kmeans_plus_plus(x: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
    """Greedy k-means++ seeding (Arthur & Vassilvitskii, 2007): each new centre is the
    best of ``2 + ⌊ln k⌋`` candidates drawn with probability proportional to the squared
    distance to the nearest centre so far (the variant scikit-learn uses). Candidate
    distances come from one GEMM per step, :math:`O(nd)` with a small constant."""
    n = x.shape[0]
    squared_norms = x.pow(2).sum(1)
    trials = 2 + int(math.log(k))
    first = torch.randint(n, (1,), generator=generator, device=x.device)
    centroids = [x[first]]
    closest = (x - x[first]).pow(2).sum(1)
    for _ in range(1, k):
        total = closest.sum()
        if total <= 0:  # every point coincides with a centre: any point will do
            candidates = torch.randint(n, (trials,), generator=generator, device=x.device)
        else:
            candidates = torch.multinomial(closest / total, trials, replacement=True,
                                           generator=generator)
        chosen = x[candidates]
        distances = (
            squared_norms[candidates, None] - 2.0 * chosen @ x.T + squared_norms
        ).clamp_min(0.0)
        potentials = torch.minimum(closest.unsqueeze(0), distances)
        best = int(potentials.sum(1).argmin())
        centroids.append(x[candidates[best : best + 1]])
        closest = potentials[best]
    return torch.cat(centroids)


def _assign(
    x: torch.Tensor, centroids: torch.Tensor, chunk_size: int = 65536, *,
    distances: bool = True,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Nearest centroid of every row and its squared distance (``None`` without
    ``distances``: the labels need only :math:`\\lVert c \\rVert^2 - 2 x^\\top c`), in
    chunks of rows to bound memory by chunk·k."""
    c_sq = centroids.pow(2).sum(1)
    labels, min_dist = [], []
    for start in range(0, x.shape[0], chunk_size):
        block = x[start : start + chunk_size]
        value, index = torch.addmm(c_sq, block, centroids.T, alpha=-2.0).min(1)
        labels.append(index)
        if distances:
            min_dist.append((value + block.pow(2).sum(1)).clamp_min(0.0))
    return torch.cat(labels), torch.cat(min_dist) if distances else None


def _update(x: torch.Tensor, labels: torch.Tensor, centroids: torch.Tensor,
            shard: Shard) -> torch.Tensor:
    """Cluster means over the points of every rank; an empty cluster is moved to the point
    farthest from its centre."""
    k = centroids.shape[0]
    sums = shard.all_sum(torch.zeros_like(centroids).index_add_(0, labels, x))
    counts = shard.all_sum(torch.bincount(labels, minlength=k).to(x.dtype))
    updated = sums / counts.clamp_min(1.0).unsqueeze(1)
    empty = torch.nonzero(counts == 0).flatten()
    if empty.numel() > 0:
        residual = (x - centroids[labels]).pow(2).sum(1)
        farthest = residual.topk(min(empty.numel(), x.shape[0]))
        candidates = shard.all_gather_rows(
            torch.cat([farthest.values[:, None], x[farthest.indices]], dim=1))
        if candidates.shape[0] > empty.numel():
            candidates = candidates[candidates[:, 0].topk(empty.numel()).indices]
        updated[empty] = candidates[:, 1:]
    return updated
