"""Synthetic multi-view clusters: one latent blob per cluster, seen through random nonlinear maps.

Sample ``i`` of cluster ``c`` has a latent point ``z_i ~ N(mu_c, cluster_std^2 I)`` in
``latent_dim`` dimensions, with centres ``mu_c`` spread by farthest-point sampling and
scaled so the closest two are at distance 1. View ``v`` is

    x_i^v = tanh(z_i W_v + b_v) U_v + noise * eps_i^v,     eps ~ N(0, I),

with its own random ``W_v`` (``latent_dim × 4·latent_dim``), ``b_v`` and ``U_v``
(``4·latent_dim × d_v``); features are of order 1. Samples are generated in row
blocks, so memory stays close to the output and time linear in ``n``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from mvgraph.data.container import MultiViewData

_BLOCK_ROWS = 65536


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_arguments(
    n_samples: Any,
    n_views: Any,
    n_clusters: Any,
    dims: Any,
    noise: Any,
    latent_dim: Any,
    cluster_std: Any,
) -> list[int]:
    """Validate the arguments; return one dimension per view."""
    for name, value, least in (
        ("n_samples", n_samples, 2),
        ("n_views", n_views, 1),
        ("n_clusters", n_clusters, 1),
        ("latent_dim", latent_dim, 1),
    ):
        if not _is_int(value) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}; got {value!r}")
    if n_clusters > n_samples:
        raise ValueError(f"n_clusters={n_clusters} exceeds n_samples={n_samples}")
    for name, value in (("noise", noise), ("cluster_std", cluster_std)):
        if not isinstance(value, (int, float, np.number)) or not 0 <= value < np.inf:
            raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    view_dims = [dims] * n_views if _is_int(dims) else list(dims)
    if len(view_dims) != n_views or not all(_is_int(d) and d >= 1 for d in view_dims):
        raise ValueError(
            f"dims must be a positive integer or {n_views} positive integers; got {dims!r}"
        )
    return [int(d) for d in view_dims]


def _separated_centers(rng: np.random.Generator, n_clusters: int, latent_dim: int) -> np.ndarray:
    """``[k, latent_dim]`` centres, closest pair at distance 1.

    Farthest-point sampling over ``32k + 256`` uniform candidates in ``[-1, 1]^latent_dim``
    (``O(k^2 latent_dim)`` work): each pick maximises its distance to the centres already
    chosen, and the last such distance is the smallest pairwise gap.
    """
    candidates = rng.uniform(-1.0, 1.0, size=(32 * n_clusters + 256, latent_dim))
    chosen = [0]
    distance = np.linalg.norm(candidates - candidates[0], axis=1)
    gap = 1.0
    for _ in range(n_clusters - 1):
        chosen.append(int(np.argmax(distance)))
        gap = distance[chosen[-1]]
        distance = np.minimum(distance, np.linalg.norm(candidates - candidates[chosen[-1]], axis=1))
    return candidates[chosen] / gap


def make_multiview_blobs(
    n_samples: int = 1000,
    n_views: int = 3,
    n_clusters: int = 5,
    dims: int | Sequence[int] = 32,
    noise: float = 0.1,
    latent_dim: int = 8,
    noise_view: bool = False,
    cluster_std: float = 0.1,
    random_state: int | None = None,
) -> MultiViewData:
    """Balanced clusters seen through ``n_views`` random nonlinear views.

    Parameters
    ----------
    n_samples, n_views, n_clusters : int
        Sizes; cluster sizes differ by at most one and the labels are shuffled.
    dims : int or sequence of int
        Width of every view, or one width per view.
    noise : float
        Standard deviation of the Gaussian noise added to every view.
    latent_dim : int
        Dimension of the shared latent space.
    noise_view : bool
        Append a view of pure standard normal noise (named ``"noise"``), as wide as
        the widest view.
    cluster_std : float
        Standard deviation of each latent blob (closest centres are 1 apart).
    random_state : int, optional
        Seed of the ``numpy.random.Generator`` (SFC64 bits, the fastest numpy offers);
        equal seeds give equal data.

    Returns
    -------
    MultiViewData
        float32 views ``[n_samples, d_v]``, labels ``0..n_clusters-1``.
    """
    view_dims = _check_arguments(
        n_samples, n_views, n_clusters, dims, noise, latent_dim, cluster_std
    )
    rng = np.random.Generator(np.random.SFC64(random_state))
    centers = _separated_centers(rng, n_clusters, latent_dim)
    hidden = 4 * latent_dim
    input_scale = np.sqrt(latent_dim * (np.mean(np.square(centers)) + cluster_std**2))
    maps = [
        (
            (rng.standard_normal((latent_dim, hidden)) / input_scale).astype(np.float32),
            rng.uniform(-0.5, 0.5, hidden).astype(np.float32),
            (rng.standard_normal((hidden, dim)) / np.sqrt(hidden)).astype(np.float32),
        )
        for dim in view_dims
    ]
    labels = rng.permutation(np.arange(n_samples) % n_clusters)
    # Separate streams: adding the noise view leaves the other views unchanged.
    sample_rng, noise_view_rng = rng.spawn(2)
    centers = centers.astype(np.float32)
    views = [np.empty((n_samples, dim), dtype=np.float32) for dim in view_dims]
    if noise_view:
        views.append(np.empty((n_samples, max(view_dims)), dtype=np.float32))
    eps_buffer = np.empty(_BLOCK_ROWS * max(view_dims), dtype=np.float32)
    # The products are small (inner size latent_dim or 4·latent_dim): BLAS threads only
    # add overhead, and oversubscribe a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        for start in range(0, n_samples, _BLOCK_ROWS):
            rows = slice(start, min(start + _BLOCK_ROWS, n_samples))
            size = rows.stop - start
            latent = sample_rng.standard_normal((size, latent_dim), dtype=np.float32)
            latent *= cluster_std
            latent += centers[labels[rows]]
            for view, (weight, bias, projection) in zip(views, maps):
                block = view[rows]
                np.matmul(np.tanh(latent @ weight + bias), projection, out=block)
                eps = eps_buffer[: block.size].reshape(block.shape)
                sample_rng.standard_normal(out=eps, dtype=np.float32)
                eps *= noise
                block += eps
            if noise_view:
                noise_view_rng.standard_normal(out=views[-1][rows], dtype=np.float32)
    names = [f"view_{v}" for v in range(n_views)] + (["noise"] if noise_view else [])
    return MultiViewData(views, labels, name="multiview_blobs", view_names=names)
