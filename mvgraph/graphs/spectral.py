r"""Spectral embedding of fused bipartite anchor graphs, through the anchors' side.

View :math:`v` has a sample→anchor graph :math:`\mathbf{S}_v \in \mathbb{R}^{n \times m_v}`
(:func:`~mvgraph.graphs.anchor_graph`: :math:`k` non-zeros a row, rows summing to 1) with
anchor degrees :math:`\mathbf{D}_v = \operatorname{diag}(\mathbf{S}_v^\top\mathbf{1})`. With
view weights :math:`w_v \ge 0`, :math:`\sum_v w_v = 1`, the fused sample graph is

.. math::
    \mathbf{G} = \sum_v w_v\, \mathbf{S}_v \mathbf{D}_v^{-1} \mathbf{S}_v^\top
    = \mathbf{B}\mathbf{B}^\top, \qquad
    \mathbf{B} = \big[\sqrt{w_1}\,\mathbf{S}_1\mathbf{D}_1^{-1/2}, \dots,
    \sqrt{w_V}\,\mathbf{S}_V\mathbf{D}_V^{-1/2}\big] \in \mathbb{R}^{n \times M},

:math:`M = \sum_v m_v`. :math:`\mathbf{G}` is symmetric with rows summing to 1, so it is its
own normalised adjacency, and its leading eigenvectors are the spectral embedding. They
are the left singular vectors of :math:`\mathbf{B}`: with the eigenpairs
:math:`\mathbf{K}\mathbf{V} = \mathbf{V}\boldsymbol{\Lambda}` of the small
:math:`M \times M` matrix :math:`\mathbf{K} = \mathbf{B}^\top\mathbf{B}`,

.. math::
    \mathbf{U} = \mathbf{B}\mathbf{V}\boldsymbol{\Lambda}^{-1/2}
    = \sum_v \mathbf{S}_v \mathbf{P}_v, \qquad
    \mathbf{P}_v = \sqrt{w_v}\,\mathbf{D}_v^{-1/2}\mathbf{V}_v\boldsymbol{\Lambda}^{-1/2},

where :math:`\mathbf{V}_v` are the rows of :math:`\mathbf{V}` of view :math:`v`'s anchors.
Nothing :math:`n \times n` or dense :math:`n \times M` is formed: :math:`\mathbf{K}` is
accumulated from each sample's :math:`(Vk)^2` products in row blocks (:math:`O(nV^2k^2)`),
and :math:`\mathbf{U}` costs :math:`O(nVkc)`. The maps :math:`\mathbf{P}_v` embed new samples
from their own anchor-graph rows (the same formula, so the training rows get back
:math:`\mathbf{U}`).

With ``weights="smoothness"`` the weights are learned as in AMGL (Nie, Li and Li, IJCAI
2016): :math:`w_v \propto 1/(2\sqrt{e_v})`, with :math:`e_v =
\operatorname{tr}(\mathbf{U}^\top(\mathbf{I} - \mathbf{S}_v\mathbf{D}_v^{-1}
\mathbf{S}_v^\top)\mathbf{U}) = c - \lVert \mathbf{D}_v^{-1/2}\mathbf{S}_v^\top\mathbf{U}
\rVert_F^2`, alternated with the embedding from uniform weights on: a view on which the
embedding is smooth gets more weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.linalg import eigsh
from torch import Tensor

from mvgraph.distributed import SINGLE_PROCESS, Shard
from mvgraph.graphs.anchors import AnchorGraph, anchor_graph, inverse_degree

VIEW_WEIGHTINGS = ("uniform", "smoothness")
DENSE_EIGEN_MAX = 512  # larger Gram matrices are decomposed by Lanczos
_BLOCK_ROWS = 65536
_SMOOTHNESS_FLOOR = 1e-12  # e_v below this counts as this (a perfectly smooth view)


@dataclass
class AnchorRows:
    r"""The rows of one view's anchor graph as dense ``[n, k]`` blocks.

    Attributes:
        anchors: anchor index of each of a sample's :math:`k` edges, ``[n, k]`` int32.
        weights: :math:`s_{ij}` of those edges, ``[n, k]``.
        n_anchors: :math:`m`.
    """

    anchors: Tensor
    weights: Tensor
    n_anchors: int

    @classmethod
    def from_graph(cls, graph: AnchorGraph) -> AnchorRows:
        """The rows of ``graph``, which must hold the same number of edges per sample in
        sample order, as :func:`~mvgraph.graphs.anchor_graph` builds it."""
        n, m = graph.size
        if n == 0 or graph.edge_index.shape[1] % n:
            raise ValueError(f"graph must have the same number of edges for each of its {n} "
                             f"samples; got {graph.edge_index.shape[1]} edges")
        k = graph.edge_index.shape[1] // n
        samples = graph.edge_index[0].view(n, k)
        if not bool((samples == torch.arange(n, device=samples.device)[:, None]).all()):
            raise ValueError("graph must list its edges sample by sample, k each")
        return cls(graph.edge_index[1].view(n, k).to(torch.int32),
                   graph.edge_weight.view(n, k).clone(), m)

    @classmethod
    def from_points(cls, x: Tensor, anchors: Tensor, k: int) -> AnchorRows:
        """The :func:`~mvgraph.graphs.anchor_graph` of the rows of ``x [n, d]`` and
        ``anchors [m, d]``, built :data:`_BLOCK_ROWS` × 16 rows at a time, so that the
        search's results and the edge list never exceed that block."""
        n = x.shape[0]
        ids = torch.empty(n, k, dtype=torch.int32, device=x.device)
        weights = torch.empty(n, k, dtype=torch.promote_types(x.dtype, torch.float32),
                              device=x.device)
        step = 16 * _BLOCK_ROWS
        for start in range(0, n, step):
            block = cls.from_graph(anchor_graph(x[start:start + step], anchors, k))
            ids[start:start + step], weights[start:start + step] = block.anchors, block.weights
        return cls(ids, weights, anchors.shape[0])

    def scatter(self, rows: Tensor, n: int) -> AnchorRows:
        """The graph of ``n`` samples whose rows ``rows`` (``[n_v]`` indices) are this
        graph's rows in order, and whose other rows have no edge (weight 0): the anchor
        graph of a view built over the samples that have it (absent samples add nothing
        to any degree or product)."""
        anchors = torch.zeros(n, self.anchors.shape[1], dtype=self.anchors.dtype,
                              device=self.anchors.device)
        weights = torch.zeros(n, self.weights.shape[1], dtype=self.weights.dtype,
                              device=self.weights.device)
        anchors[rows], weights[rows] = self.anchors, self.weights
        return AnchorRows(anchors, weights, self.n_anchors)

    def degree(self) -> Tensor:
        """Anchor degrees :math:`\\mathbf{S}^\\top\\mathbf{1}`, ``[m]`` float64."""
        degree = torch.zeros(self.n_anchors, dtype=torch.float64, device=self.anchors.device)
        return degree.index_add_(0, self.anchors.reshape(-1),
                                 self.weights.reshape(-1).to(torch.float64))

    def multiply(self, p: Tensor) -> Tensor:
        """:math:`\\mathbf{S}\\mathbf{P}` for ``p [m, c]``: ``[n, c]`` float32, in blocks of
        rows, without forming :math:`\\mathbf{S}`."""
        p = p.to(device=self.anchors.device, dtype=torch.float32)
        out = torch.empty(self.anchors.shape[0], p.shape[1], device=p.device)
        for start in range(0, self.anchors.shape[0], _BLOCK_ROWS):
            block = slice(start, start + _BLOCK_ROWS)
            out[block] = torch.einsum("nk,nkc->nc", self.weights[block].float(),
                                      p[self.anchors[block]])
        return out

    def pool(self, u: Tensor) -> Tensor:
        """:math:`\\mathbf{S}^\\top\\mathbf{U}` for ``u [n, c]``: ``[m, c]`` float64, in
        blocks of rows."""
        pooled = torch.zeros(self.n_anchors, u.shape[1], dtype=torch.float64,
                             device=self.anchors.device)
        for start in range(0, self.anchors.shape[0], _BLOCK_ROWS):
            block = slice(start, start + _BLOCK_ROWS)
            products = (self.weights[block].to(torch.float64)[:, :, None]
                        * u[block].to(torch.float64)[:, None, :])
            pooled.index_add_(0, self.anchors[block].reshape(-1),
                              products.reshape(-1, u.shape[1]))
        return pooled


@dataclass
class AnchorSpectralEmbedding:
    r"""What embeds samples from their anchor-graph rows (module documentation).

    Attributes:
        maps: :math:`\mathbf{P}_v`, one ``[m_v, c]`` per view (float64).
        eigenvalues: :math:`\lambda_1 \ge \dots \ge \lambda_c` of :math:`\mathbf{G}`, ``[c]``.
        weights: :math:`w_v`, ``[V]``.
    """

    maps: list[Tensor]
    eigenvalues: Tensor
    weights: Tensor

    def transform(self, rows: Sequence[AnchorRows]) -> Tensor:
        """:math:`\\sum_v \\mathbf{S}_v\\mathbf{P}_v` for the anchor-graph rows of samples
        (new ones, or the training ones, which get back their embedding): ``[n, c]``
        float32."""
        if len(rows) != len(self.maps):
            raise ValueError(f"rows must hold one anchor graph per view ({len(self.maps)}); "
                             f"got {len(rows)}")
        return sum(view.multiply(p) for view, p in zip(rows, self.maps, strict=True))


def anchor_spectral_embedding(
    rows: Sequence[AnchorRows],
    n_components: int,
    *,
    weights: str = "uniform",
    weight_iterations: int = 3,
    shard: Shard = SINGLE_PROCESS,
) -> AnchorSpectralEmbedding:
    """The ``n_components`` leading eigenvectors of the fused graph :math:`\\mathbf{G}`.

    Args:
        rows: the anchor graph of every view (:meth:`AnchorRows.from_graph`), over the same
            :math:`n` samples.
        n_components: :math:`c`, at most the total number of anchors :math:`M`.
        weights: ``"uniform"`` (:math:`w_v = 1/V`) or ``"smoothness"`` (learned, AMGL).
        weight_iterations: alternations of weights and embedding with ``"smoothness"``.
        shard: with several processes, ``rows`` are this process's samples; the degrees,
            :math:`\\mathbf{K}` and the smoothness energies are summed over the processes,
            so every rank gets the same maps and its own rows of :math:`\\mathbf{U}`.

    Shapes:
        - **rows:** per view, ``anchors`` and ``weights`` :math:`(n, k_v)`
        - **output:** :math:`\\mathbf{U}` :math:`(n, c)`, and ``maps`` :math:`(m_v, c)` per
          view
    """
    if not rows:
        raise ValueError("rows must hold at least one view's anchor graph; got none")
    if any(view.anchors.shape[0] != rows[0].anchors.shape[0] for view in rows):
        raise ValueError(f"rows must cover the same samples; got {[len(v.anchors) for v in rows]}")
    n = shard.total(rows[0].anchors.shape[0])
    total = sum(view.n_anchors for view in rows)
    if not isinstance(n_components, int) or not 1 <= n_components <= min(total, n):
        raise ValueError(f"n_components must be an integer in [1, {min(total, n)}] (the "
                         f"anchors and samples); got {n_components!r}")
    if weights not in VIEW_WEIGHTINGS:
        raise ValueError(f"weights must be one of {', '.join(VIEW_WEIGHTINGS)}; got {weights!r}")
    scales = [inverse_degree(shard.all_sum(view.degree())).sqrt() for view in rows]  # D_v^{-1/2}
    gram = shard.all_sum(_normalised_gram(rows, scales))  # K with unit weights, [M, M]
    offsets = [0]
    for view in rows:
        offsets.append(offsets[-1] + view.n_anchors)
    w = torch.full((len(rows),), 1.0 / len(rows), dtype=torch.float64)
    for _ in range(weight_iterations if weights == "smoothness" else 0):
        spectral = _embedding(rows, scales, gram, w, n_components)
        w = _smoothness_weights(rows, scales, spectral.transform(rows), shard)
    spectral = _embedding(rows, scales, gram, w, n_components)
    return spectral.transform(rows), spectral


def _embedding(
    rows: Sequence[AnchorRows], scales: Sequence[Tensor], gram: Tensor, w: Tensor,
    n_components: int,
) -> AnchorSpectralEmbedding:
    """The maps :math:`\\mathbf{P}_v` from the eigenpairs of :math:`\\mathbf{K}` for the
    weights ``w``."""
    root = torch.cat([w[v].sqrt().expand(view.n_anchors) for v, view in enumerate(rows)])
    values, vectors = leading_eigenpairs(root[:, None] * gram * root[None, :], n_components)
    vectors = vectors * values.clamp_min(1e-12).rsqrt()
    maps, start = [], 0
    for v, view in enumerate(rows):
        block = vectors[start:start + view.n_anchors]
        maps.append((w[v].sqrt() * scales[v].cpu()[:, None] * block)
                    .to(view.anchors.device))
        start += view.n_anchors
    return AnchorSpectralEmbedding(maps, values, w)


def leading_eigenpairs(matrix: Tensor, count: int) -> tuple[Tensor, Tensor]:
    """The ``count`` largest eigenvalues (descending) of the symmetric ``matrix [M, M]`` and
    their eigenvectors ``[M, count]``, float64 on the CPU.

    A dense ``eigh`` for small matrices; beyond :data:`DENSE_EIGEN_MAX` rows, Lanczos
    (``scipy.sparse.linalg.eigsh``) on the matrix stored sparse (an anchor meets few
    others), from a fixed start vector so that equal input gives equal output.
    """
    matrix = matrix.to(torch.float64).cpu()
    size = matrix.shape[0]
    if size <= DENSE_EIGEN_MAX or count >= size // 2:
        values, vectors = torch.linalg.eigh(matrix)
        return values.flip(0)[:count], vectors.flip(1)[:, :count]
    start = np.random.default_rng(0).standard_normal(size)
    values, vectors = eigsh(sp.csr_matrix(matrix.numpy()), k=count, which="LA", v0=start,
                            ncv=min(size, max(2 * count + 1, 64)), tol=1e-10)
    order = np.argsort(-values)
    return torch.from_numpy(values[order]), torch.from_numpy(vectors[:, order])


def _normalised_gram(rows: Sequence[AnchorRows], scales: Sequence[Tensor]) -> Tensor:
    r""":math:`\sum_i \mathbf{b}_i\mathbf{b}_i^\top` with :math:`\mathbf{b}_i` the
    :math:`i`-th row of :math:`[\mathbf{S}_v\mathbf{D}_v^{-1/2}]_v`, ``[M, M]`` float64 on
    the CPU, accumulated over blocks of rows on the graphs' device."""
    device = rows[0].anchors.device
    offsets, total = [], 0
    for view in rows:
        offsets.append(total)
        total += view.n_anchors
    gram = torch.zeros(total * total, dtype=torch.float64, device=device)
    n = rows[0].anchors.shape[0]
    for start in range(0, n, _BLOCK_ROWS):
        block = slice(start, start + _BLOCK_ROWS)
        columns = torch.cat([view.anchors[block].long() + offset
                             for view, offset in zip(rows, offsets)], dim=1)  # [b, Vk]
        values = torch.cat([view.weights[block].to(torch.float64) * scale[view.anchors[block]]
                            for view, scale in zip(rows, scales)], dim=1)
        keys = (columns[:, :, None] * total + columns[:, None, :]).reshape(-1)
        gram.index_add_(0, keys, (values[:, :, None] * values[:, None, :]).reshape(-1))
    return gram.view(total, total).cpu()


def _smoothness_weights(
    rows: Sequence[AnchorRows], scales: Sequence[Tensor], embedding: Tensor,
    shard: Shard = SINGLE_PROCESS,
) -> Tensor:
    """AMGL's :math:`w_v \\propto 1/(2\\sqrt{e_v})`, normalised to sum 1, ``[V]``."""
    energies = []
    total = float(shard.all_sum(embedding.double().pow(2).sum()))
    for view, scale in zip(rows, scales):
        smooth = (scale[:, None] * shard.all_sum(view.pool(embedding))).pow(2).sum()
        energies.append(total - float(smooth))
    energy = torch.tensor(energies, dtype=torch.float64).clamp_min(_SMOOTHNESS_FLOOR)
    w = 0.5 / energy.sqrt()
    return w / w.sum()
