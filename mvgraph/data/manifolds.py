r"""Synthetic multi-view clusters on curved manifolds, where k-means must fail.

The clusters are concentric rings, ``rings`` to a group. Group :math:`g` has a centre
:math:`\boldsymbol{\mu}_g` in a latent space of ``latent_dim`` dimensions (centres spread by
farthest-point sampling, the closest two ``separation`` apart) and a random plane with
orthonormal basis :math:`(\mathbf{a}_g, \mathbf{b}_g)`; ring :math:`j` of the group has radius
:math:`j + 1`. Sample :math:`i` of ring :math:`j` of group :math:`g` is

.. math::
    \mathbf{z}_i = \boldsymbol{\mu}_g + (j + 1)(\cos\theta_i\,\mathbf{a}_g +
    \sin\theta_i\,\mathbf{b}_g) + \sigma_r\,\boldsymbol{\eta}_i, \qquad
    \theta_i \sim U(0, 2\pi),\ \boldsymbol{\eta}_i \sim N(0, I),

and view :math:`v` sees it through its own isometry into :math:`d_v` dimensions,
:math:`\mathbf{x}^v_i = \mathbf{Q}_v \mathbf{z}_i + \sigma\,\boldsymbol{\epsilon}^v_i`
(:math:`\mathbf{Q}_v` a random :math:`d_v \times` ``latent_dim`` matrix with orthonormal
columns). Rings one unit apart are far wider than they are apart, so a centroid cannot
tell them apart: k-means splits a group's rings by a line, and scores about half on them,
while neighbours along a ring are closer than the next ring and a sample or anchor graph
separates them. Samples are generated in row blocks (memory close to the float32 output,
time linear in :math:`n`).
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from mvgraph.data.container import MultiViewData
from mvgraph.data.synthetic import _BLOCK_ROWS, _check_arguments, _separated_centers


def make_multiview_manifolds(
    n_samples: int = 10000,
    n_views: int = 3,
    n_clusters: int = 20,
    dims: int | list[int] = 64,
    noise: float = 0.02,
    *,
    rings: int = 2,
    latent_dim: int = 3,
    ring_std: float = 0.1,
    separation: float = 8.0,
    noise_view: bool = False,
    random_state: int | None = None,
) -> MultiViewData:
    """Concentric rings seen through ``n_views`` random isometries (module documentation).

    Parameters
    ----------
    n_samples, n_views, n_clusters : int
        Sizes; cluster sizes differ by at most one and the labels are shuffled.
    dims : int or list of int
        Width of every view (at least ``latent_dim``), or one width per view.
    noise : float
        Standard deviation :math:`\\sigma` of the Gaussian noise of every feature.
    rings : int
        Rings per group (radii 1, 2, ...); the last group has fewer when ``rings`` does
        not divide ``n_clusters``.
    latent_dim : int
        Dimension of the latent space, at least 2.
    ring_std : float
        Standard deviation :math:`\\sigma_r` of the latent jitter around a ring.
    separation : float
        Distance between the two closest group centres (at least ``2 * rings + 1`` keeps
        the groups apart).
    noise_view : bool
        Append a view of pure standard normal noise, as wide as the widest view.
    random_state : int, optional
        Seed; equal seeds give equal data.

    Returns
    -------
    MultiViewData
        float32 views ``[n_samples, d_v]``, labels ``0..n_clusters-1``.
    """
    view_dims = _check_arguments(n_samples, n_views, n_clusters, dims, noise, latent_dim,
                                 ring_std)
    if latent_dim < 2:
        raise ValueError(f"latent_dim must be at least 2 (a ring spans a plane); got "
                         f"{latent_dim}")
    if min(view_dims) < latent_dim:
        raise ValueError(f"dims must be at least latent_dim = {latent_dim} for an isometry; "
                         f"got {dims!r}")
    if not isinstance(rings, (int, np.integer)) or isinstance(rings, bool) or rings < 1:
        raise ValueError(f"rings must be a positive integer; got {rings!r}")
    if not isinstance(separation, (int, float, np.number)) or not 0 < separation < np.inf:
        raise ValueError(f"separation must be a positive finite number; got {separation!r}")
    rng = np.random.Generator(np.random.SFC64(random_state))
    n_groups = -(-n_clusters // rings)
    centers = (separation * _separated_centers(rng, n_groups, latent_dim)
               if n_groups > 1 else np.zeros((1, latent_dim)))
    planes = [np.linalg.qr(rng.standard_normal((latent_dim, 2)))[0] for _ in range(n_groups)]
    isometries = [np.linalg.qr(rng.standard_normal((dim, latent_dim)))[0].T.astype(np.float32)
                  for dim in view_dims]  # [latent_dim, d_v], orthonormal rows
    labels = rng.permutation(np.arange(n_samples) % n_clusters)
    group, radius = labels // rings, (labels % rings + 1).astype(np.float32)
    ring_axes = np.stack(planes).astype(np.float32)  # [groups, latent_dim, 2]
    sample_rng, noise_view_rng = rng.spawn(2)
    centers = centers.astype(np.float32)
    views = [np.empty((n_samples, dim), dtype=np.float32) for dim in view_dims]
    if noise_view:
        views.append(np.empty((n_samples, max(view_dims)), dtype=np.float32))
    with threadpool_limits(limits=1, user_api="blas"):
        for start in range(0, n_samples, _BLOCK_ROWS):
            rows = slice(start, min(start + _BLOCK_ROWS, n_samples))
            size = rows.stop - start
            angle = sample_rng.uniform(0.0, 2 * np.pi, size).astype(np.float32)
            circle = np.stack([np.cos(angle), np.sin(angle)], axis=1) * radius[rows, None]
            latent = centers[group[rows]] + np.einsum("nlt,nt->nl", ring_axes[group[rows]],
                                                      circle)
            latent += ring_std * sample_rng.standard_normal((size, latent_dim),
                                                            dtype=np.float32)
            for view, isometry in zip(views, isometries):
                block = view[rows]
                sample_rng.standard_normal(out=block, dtype=np.float32)
                block *= noise
                block += latent @ isometry
            if noise_view:
                noise_view_rng.standard_normal(out=views[-1][rows], dtype=np.float32)
    names = [f"view_{v}" for v in range(n_views)] + (["noise"] if noise_view else [])
    return MultiViewData(views, labels, name="multiview_manifolds", view_names=names)
