r"""Anchors and bipartite sample→anchor graphs with closed-form adaptive-neighbour weights.

With anchors :math:`\mathbf{U} \in \mathbb{R}^{m \times d}`, each sample :math:`i` is linked to
its :math:`k` nearest anchors by the CAN weights of Nie, Zhu and Li (AAAI 2017) over squared
distances :math:`d_{i1} \le \dots \le d_{ik} \le d_{i,k+1}` to its :math:`k+1` nearest anchors:

.. math::
    s_{ij} = \frac{d_{i,k+1} - d_{ij}}{k\, d_{i,k+1} - \sum_{t=1}^{k} d_{it}},

0 for the other anchors, so :math:`\mathbf{S} \in \mathbb{R}^{n \times m}` has rows summing
to 1. With the anchor degrees :math:`\mathbf{D} = \operatorname{diag}(\mathbf{S}^\top
\mathbf{1})`, the sample graph is :math:`\mathbf{G} = \mathbf{S}\mathbf{D}^{-1}\mathbf{S}^\top`
and the anchor graph :math:`\hat{\mathbf{A}} = \mathbf{D}^{-1}\mathbf{S}^\top\mathbf{S}`;
neither :math:`n \times n` matrix is ever formed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from mvgraph.cluster import kmeans
from mvgraph.distributed import SINGLE_PROCESS, Shard
from mvgraph.graphs.can import adaptive_neighbor_weights
from mvgraph.graphs.neighbors import (
    as_points,
    check_compatible,
    check_neighbor_count,
    resolve_backend,
    search_points,
)

ANCHOR_METHODS = ("kmeans", "random")


def select_anchors(
    x: Tensor | np.ndarray,
    m: int,
    *,
    method: str = "kmeans",
    random_state: int | None = None,
    n_init: int = 1,
    max_iter: int = 50,
    max_points_per_centroid: int | None = None,
    shard: Shard = SINGLE_PROCESS,
) -> Tensor:
    """Choose :math:`m` anchors among or around the rows of ``x``.

    Args:
        x: samples ``[n, d]``.
        m: number of anchors, ``1 <= m <= n``.
        method: ``"kmeans"`` (the centroids of :func:`mvgraph.cluster.kmeans`) or
            ``"random"`` (:math:`m` distinct rows of ``x``, drawn uniformly).
        random_state: seed; ``None`` draws a fresh one.
        n_init: k-means restarts (``method="kmeans"`` only).
        max_iter: Lloyd iterations of every restart (``method="kmeans"`` only).
        max_points_per_centroid: fit the k-means on at most this many random rows per
            anchor (``None``: all rows), see :func:`~mvgraph.cluster.kmeans`.
        shard: with several processes, ``x`` is this process's part of the rows and the
            anchors are chosen among all of them, the same on every rank.

    Returns:
        Anchors ``[m, d]`` on the device and in the dtype of ``x``, without gradient (wrap
        them in a :class:`torch.nn.Parameter` to learn them).
    """
    points = as_points(x, "x").detach()
    n = shard.total(points.shape[0])
    check_neighbor_count(m, n, "the number of rows of x", name="m")
    if method not in ANCHOR_METHODS:
        raise ValueError(f"method must be one of {ANCHOR_METHODS}; got {method!r}")
    if method == "kmeans":
        result = kmeans(
            points, m, n_init=n_init, max_iter=max_iter, random_state=random_state,
            max_points_per_centroid=max_points_per_centroid, shard=shard,
        )
        return result.centroids.to(points.device, points.dtype)
    generator = torch.Generator()
    if random_state is None:
        generator.seed()
    else:
        generator.manual_seed(random_state)
    rows = torch.randperm(n, generator=generator)[:m].to(points.device)
    return shard.gather_rows(points, rows)


@dataclass
class AnchorGraph:
    r"""Bipartite sample→anchor graph :math:`\mathbf{S} \in \mathbb{R}^{n \times m}`.

    ``edge_index[0]`` holds sample indices and ``edge_index[1]`` anchor indices, so an edge
    is :math:`(i, j)` with weight :math:`s_{ij}`. :func:`anchor_graph` returns the edges
    grouped by sample (:math:`k` consecutive edges each) with anchors ascending within a
    sample, which is already the coalesced order of :meth:`to_sparse`. Every method is
    differentiable with respect to ``edge_weight`` and its feature argument.

    Args:
        edge_index: ``[2, E]`` int64.
        edge_weight: ``[E]``.
        size: ``(n, m)``, the numbers of samples and anchors.
    """

    edge_index: Tensor
    edge_weight: Tensor
    size: tuple[int, int]

    def __post_init__(self) -> None:
        if self.edge_index.ndim != 2 or self.edge_index.shape[0] != 2:
            raise ValueError(
                f"edge_index must have shape [2, E]; got {tuple(self.edge_index.shape)}"
            )
        if self.edge_weight.shape != (self.edge_index.shape[1],):
            raise ValueError(
                f"edge_weight must have shape [E] = [{self.edge_index.shape[1]}]; "
                f"got {tuple(self.edge_weight.shape)}"
            )
        self.size = (int(self.size[0]), int(self.size[1]))

    def to_sparse(self, transpose: bool = False) -> Tensor:
        r""":math:`\mathbf{S}` ``[n, m]`` (or :math:`\mathbf{S}^\top` ``[m, n]``) as a
        coalesced ``torch.sparse_coo`` tensor, which supports autograd through its values."""
        rows, cols = self.edge_index if not transpose else self.edge_index.flip(0)
        shape = self.size if not transpose else self.size[::-1]
        return _coalesced_coo(rows, cols, self.edge_weight, shape)

    def anchor_degree(self) -> Tensor:
        r"""Anchor degrees :math:`\mathbf{D} = \mathbf{S}^\top \mathbf{1}`, shape ``[m]``
        (column sums; :func:`inverse_degree` gives the safe inverse)."""
        degree = self.edge_weight.new_zeros(self.size[1])
        return degree.index_add(0, self.edge_index[1], self.edge_weight)

    def anchor_adjacency(self) -> Tensor:
        r"""Anchor graph :math:`\hat{\mathbf{A}} = \mathbf{D}^{-1}\mathbf{S}^\top\mathbf{S}`.

        Returned as a coalesced sparse COO tensor ``[m, m]`` whose row :math:`i` holds the
        weights anchor :math:`i` aggregates from the anchors :math:`j` (the ``adj_t``
        layout of PyG, ready for :class:`~mvgraph.nn.AGCNConv`); ``.to_dense()`` gives the
        dense matrix. Rows of anchors with degree 0 are empty (:math:`1/0` is taken as 0).
        """
        with warnings.catch_warnings():  # sparse @ sparse goes through CSR internally
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            gram = torch.sparse.mm(self.to_sparse(transpose=True), self.to_sparse()).coalesce()
        rows, cols = gram.indices()
        values = gram.values() * inverse_degree(self.anchor_degree())[rows]
        return _coalesced_coo(rows, cols, values, (self.size[1], self.size[1]))

    def propagate(self, z: Tensor) -> Tensor:
        r"""Sample smoothing :math:`\mathbf{G}\mathbf{Z} = \mathbf{S}(\mathbf{D}^{-1}
        (\mathbf{S}^\top\mathbf{Z}))`, in :math:`O(nkc)` without forming the
        :math:`n \times n` matrix :math:`\mathbf{G}`.

        Shapes:
            - **input:** :math:`(n, c)`
            - **output:** :math:`(n, c)`
        """
        adjacency = self.to_sparse()
        pooled = torch.sparse.mm(adjacency.t(), self._check_samples(z))
        return torch.sparse.mm(adjacency, pooled * inverse_degree(self.anchor_degree())[:, None])

    def structure_energy(self, z: Tensor) -> Tensor:
        r"""Graph smoothness :math:`\sum_{i,j} g_{ij} \lVert \mathbf{z}_i - \mathbf{z}_j
        \rVert^2` of the sample graph :math:`\mathbf{G} = \mathbf{S}\mathbf{D}^{-1}
        \mathbf{S}^\top`, a scalar.

        :math:`\mathbf{G}` is symmetric and :math:`\mathbf{G}\mathbf{1} =
        \mathbf{S}\mathbf{D}^{-1}\mathbf{S}^\top\mathbf{1} = \mathbf{S}\mathbf{1}`
        (anchors of degree 0 have empty columns), so when the rows of :math:`\mathbf{S}`
        sum to 1 (as built by :func:`anchor_graph`)

        .. math::
            \sum_{i,j} g_{ij} \lVert \mathbf{z}_i - \mathbf{z}_j \rVert^2
            = 2\operatorname{tr}(\mathbf{Z}^\top\mathbf{Z})
            - 2\operatorname{tr}(\mathbf{Z}^\top\mathbf{G}\mathbf{Z})
            = 2\lVert\mathbf{Z}\rVert_F^2
            - 2\lVert\mathbf{D}^{-1/2}\mathbf{S}^\top\mathbf{Z}\rVert_F^2.

        For other row sums this right-hand side is not the double sum.

        Shapes:
            - **input:** :math:`(n, c)`
            - **output:** :math:`()`
        """
        z = self._check_samples(z)
        pooled = torch.sparse.mm(self.to_sparse().t(), z)
        smooth = (inverse_degree(self.anchor_degree())[:, None] * pooled.pow(2)).sum()
        return 2.0 * (z.pow(2).sum() - smooth)

    def _check_samples(self, z: Tensor) -> Tensor:
        if not isinstance(z, Tensor) or z.ndim != 2 or z.shape[0] != self.size[0]:
            shape = tuple(z.shape) if isinstance(z, Tensor) else type(z).__name__
            raise ValueError(f"z must have shape [n, c] with n = {self.size[0]}; got {shape}")
        return z


def anchor_graph(
    x: Tensor | np.ndarray,
    anchors: Tensor | np.ndarray,
    k: int,
    *,
    backend: str = "auto",
) -> AnchorGraph:
    r"""Sample→anchor graph with closed-form CAN weights over each sample's :math:`k`
    nearest anchors (squared euclidean distances).

    The :math:`k+1` nearest anchors are selected without gradient by
    :func:`~mvgraph.graphs.nearest_neighbors` (faiss flat search on CPU, blocked torch GEMM
    + ``topk`` on CUDA). When ``x`` or ``anchors`` requires grad, the distances of the
    :math:`n(k+1)` selected pairs are recomputed in torch as
    :math:`\lVert\mathbf{x}_i\rVert^2 - 2\mathbf{x}_i^\top\mathbf{u}_j +
    \lVert\mathbf{u}_j\rVert^2` (clamped at 0), so the weights are differentiable with
    respect to both; otherwise the search's distances are used directly. Beyond the search,
    time and memory are :math:`O(nk)` (:math:`O(nkd)` for the gradient recomputation).
    When all :math:`k+1` distances of a sample are equal its weights are uniform,
    :math:`1/k`.

    Args:
        x: samples ``[n, d]``.
        anchors: anchors ``[m, d]`` on the same device.
        k: anchors per sample, ``1 <= k < m`` (the cutoff is the :math:`(k+1)`-th anchor).
        backend: neighbour search backend, see :func:`~mvgraph.graphs.nearest_neighbors`.

    Returns:
        :class:`AnchorGraph` with ``edge_index [2, nk]``, ``edge_weight [nk]`` (dtype of
        ``x``, at least float32) and ``size=(n, m)``.
    """
    points = as_points(x, "x")
    centres = as_points(anchors, "anchors")
    check_compatible(points, centres, "x", "anchors")
    n, m = points.shape[0], centres.shape[0]
    check_neighbor_count(k, m - 1, f"the cutoff needs k + 1 of the m = {m} anchors")
    backend = resolve_backend(backend, points.device)
    distances, nearest = search_points(
        points,
        k + 1,
        centres,
        metric="l2",
        exclude_self=False,
        backend=backend,
        index="flat",
        chunk_size=None,
    )
    if points.requires_grad or centres.requires_grad:
        distances = _pair_distances(points, centres, nearest)
    weights = adaptive_neighbor_weights(distances, k)
    anchor_ids, order = nearest[:, :k].sort(dim=1)
    edge_index = torch.stack(
        [torch.arange(n, device=nearest.device).repeat_interleave(k), anchor_ids.reshape(-1)]
    )
    return AnchorGraph(edge_index, weights.gather(1, order).reshape(-1), (n, m))


def inverse_degree(degree: Tensor) -> Tensor:
    """Safe inverse :math:`1/d` where :math:`d > 0`, else 0."""
    positive = degree > 0
    return torch.where(positive, 1.0 / torch.where(positive, degree, 1.0), 0.0)


def _pair_distances(points: Tensor, centres: Tensor, nearest: Tensor) -> Tensor:
    """Differentiable squared distances ``[n, c]`` between each point and its selected
    centres ``nearest [n, c]``."""
    dtype = torch.promote_types(points.dtype, torch.float32)
    points, centres = points.to(dtype), centres.to(dtype)
    dots = torch.bmm(centres[nearest], points.unsqueeze(2)).squeeze(2)
    centre_sq = centres.pow(2).sum(1)[nearest]
    return (points.pow(2).sum(1, keepdim=True) - 2.0 * dots + centre_sq).clamp_min(0.0)


def _coalesced_coo(rows: Tensor, cols: Tensor, values: Tensor, shape: tuple[int, int]) -> Tensor:
    """Sparse COO tensor, flagged coalesced without work when the entries are already in
    strictly increasing (row, col) order, coalesced (duplicates summed) otherwise."""
    indices = torch.stack([rows, cols])
    key = rows * shape[1] + cols
    ordered = key.numel() < 2 or bool((key[1:] > key[:-1]).all())
    adjacency = torch.sparse_coo_tensor(
        indices, values, shape, is_coalesced=ordered, check_invariants=False
    )
    return adjacency if ordered else adjacency.coalesce()
