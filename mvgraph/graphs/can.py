r"""Adaptive-neighbour (CAN) graphs: closed-form sparse weights over the nearest neighbours.

Clustering with Adaptive Neighbors (Nie, Wang and Huang, KDD 2014) gives each point :math:`i`
the weights that solve

.. math::
    \min_{\mathbf{p}_i^\top \mathbf{1} = 1,\, \mathbf{p}_i \ge 0}
    \sum_j d_{ij} p_{ij} + \gamma_i p_{ij}^2

with :math:`\gamma_i` chosen so that exactly :math:`k` weights are non-zero. With the
squared distances to the nearest neighbours sorted as
:math:`d_{i1} \le \dots \le d_{ik} \le d_{i,k+1}`, the solution is

.. math::
    p_{ij} = \frac{d_{i,k+1} - d_{ij}}{k\, d_{i,k+1} - \sum_{t=1}^{k} d_{it}}
    \quad (j \le k), \qquad p_{ij} = 0 \text{ otherwise},

so every row sums to one.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import Tensor
from torch_geometric.utils import add_self_loops, coalesce, remove_self_loops, to_undirected

from mvgraph.graphs.neighbors import (
    as_points,
    check_neighbor_count,
    resolve_backend,
    search_points,
)
from mvgraph.graphs.pairs import TABLE_FACTOR, find_pairs

CUTOFFS = ("k_plus_1", "kth")


def adaptive_neighbor_weights(distances: Tensor, k: int, *, cutoff: str = "k_plus_1") -> Tensor:
    r"""CAN weights of the :math:`k` nearest candidates from their sorted distances.

    .. math::
        p_{ij} = \frac{c_i - d_{ij}}{k\, c_i - \sum_{t=1}^{k} d_{it}}

    with the cutoff :math:`c_i = d_{i,k+1}` (``cutoff="k_plus_1"``, the paper) or
    :math:`c_i = d_{ik}` (``cutoff="kth"``, as in the BMvC reference code, which gives the
    :math:`k`-th neighbour weight 0). When the denominator is 0 (all distances up to the
    cutoff are equal) the weights are uniform, :math:`1/k`. Differentiable in ``distances``.

    Args:
        distances: ascending distances per row, shape ``[n, c]`` with ``c >= k + 1``
            (``c >= k`` for ``cutoff="kth"``).
        k: number of weighted neighbours.
        cutoff: ``"k_plus_1"`` or ``"kth"``.

    Returns:
        Weights ``[n, k]`` for the first :math:`k` columns; every row sums to 1.
    """
    if cutoff not in CUTOFFS:
        raise ValueError(f"cutoff must be one of {CUTOFFS}; got {cutoff!r}")
    needed = k + 1 if cutoff == "k_plus_1" else k
    if distances.ndim != 2 or distances.shape[1] < needed:
        raise ValueError(
            f"distances must have shape [n, >= {needed}] for k={k} and cutoff={cutoff!r}; "
            f"got shape {tuple(distances.shape)}"
        )
    nearest = distances[:, :k]
    gaps = (distances[:, needed - 1 : needed] - nearest).clamp_min(0.0)
    total = gaps.sum(1, keepdim=True)
    positive = total > 0
    weights = gaps / torch.where(positive, total, torch.ones_like(total))
    return torch.where(positive, weights, torch.full_like(weights, 1.0 / k))


def can_graph(
    x: Tensor | np.ndarray,
    k: int,
    *,
    symmetrize: bool = True,
    cutoff: str = "k_plus_1",
    backend: str = "auto",
) -> tuple[Tensor, Tensor]:
    r"""Sparse CAN graph of the rows of ``x`` over squared euclidean distances.

    Each point :math:`i` receives the weights :math:`p_{ij}` of
    :func:`adaptive_neighbor_weights` on its :math:`k` nearest other points (found by
    :func:`~mvgraph.graphs.nearest_neighbors`, self excluded; no gradient). Edges follow the
    PyG ``source_to_target`` convention: ``edge_index[0]`` is the neighbour :math:`j`,
    ``edge_index[1]`` the centre :math:`i`, so message passing computes
    :math:`\mathbf{P}\mathbf{X}`. All :math:`n k` edges are kept, including weight-0 ones.

    With ``symmetrize=True`` the result is :math:`(\mathbf{P} + \mathbf{P}^\top)/2`: both
    directions of every edge, duplicate pairs summed, coalesced (sorted by
    ``edge_index[0]``). Rows of :math:`\mathbf{P}` sum to 1 before symmetrisation.

    Args:
        x: points ``[n, d]``.
        k: neighbours per point; ``k <= n - 2`` for ``cutoff="k_plus_1"``, ``k <= n - 1``
            for ``cutoff="kth"``.
        symmetrize: return :math:`(\mathbf{P} + \mathbf{P}^\top)/2` instead of
            :math:`\mathbf{P}`.
        cutoff: ``"k_plus_1"`` or ``"kth"``, see :func:`adaptive_neighbor_weights`.
        backend: neighbour search backend, see :func:`~mvgraph.graphs.nearest_neighbors`.

    Returns:
        ``(edge_index [2, E], edge_weight [E])`` with :math:`E = nk` without symmetrisation;
        no gradient (:func:`can_weights` is the differentiable batch version).
    """
    points = as_points(x, "x")
    if cutoff not in CUTOFFS:
        raise ValueError(f"cutoff must be one of {CUTOFFS}; got {cutoff!r}")
    n = points.shape[0]
    searched = k + 1 if cutoff == "k_plus_1" else k
    check_neighbor_count(k, n - 1 - (searched - k), _limit_reason(cutoff, "n - 1"))
    backend = resolve_backend(backend, points.device)
    distances, neighbors = search_points(
        points,
        searched,
        None,
        metric="l2",
        exclude_self=True,
        backend=backend,
        index="flat",
        chunk_size=None,
    )
    weights = adaptive_neighbor_weights(distances, k, cutoff=cutoff)
    centres = torch.arange(n, device=neighbors.device).repeat_interleave(k)
    edge_index = torch.stack([neighbors[:, :k].reshape(-1), centres])
    edge_weight = weights.reshape(-1)
    if symmetrize:
        edge_index, edge_weight = to_undirected(edge_index, 0.5 * edge_weight, n, reduce="sum")
    return edge_index, edge_weight


def can_weights(
    x: Tensor,
    k: int,
    *,
    cutoff: str = "k_plus_1",
    self_loops: bool = False,
) -> Tensor:
    r"""Dense CAN weight matrix of a batch, differentiable with respect to ``x``.

    :math:`\mathbf{P} \in \mathbb{R}^{B \times B}` with :math:`P_{ij} = p_{ij}` of
    :func:`adaptive_neighbor_weights`, 0 outside the neighbours; the dense form of
    :func:`can_neighbors`, which documents the arguments.

    Shapes:
        - **input:** :math:`(B, d)`
        - **output:** :math:`(B, B)`, rows summing to 1
    """
    neighbors, weights = can_neighbors(x, k, cutoff=cutoff, self_loops=self_loops)
    b = neighbors.shape[0]
    dense = torch.zeros(b, b, dtype=weights.dtype, device=weights.device)
    return dense.scatter_(1, neighbors, weights)


def can_neighbors(
    x: Tensor,
    k: int,
    *,
    cutoff: str = "k_plus_1",
    self_loops: bool = False,
) -> tuple[Tensor, Tensor]:
    r"""CAN neighbours and weights of every row of a batch, differentiable in ``x``.

    Row :math:`i` gets its :math:`k` nearest rows :math:`j` and their weights
    :math:`p_{ij}` of :func:`adaptive_neighbor_weights` over the squared distances
    :math:`\lVert\mathbf{x}_i\rVert^2 - 2\mathbf{x}_i^\top\mathbf{x}_j +
    \lVert\mathbf{x}_j\rVert^2` of the rows centred by the batch mean (clamped at 0).
    Neighbours are selected from one :math:`B \times B` Gram matrix by ``topk`` without
    gradient; the gradient flows through the distance values of the selected pairs only.

    Args:
        x: batch ``[B, d]``.
        k: neighbours per row; at most the number of candidates minus one for
            ``cutoff="k_plus_1"`` (candidates: :math:`B - 1`, or :math:`B` with self loops).
        cutoff: ``"k_plus_1"`` or ``"kth"``.
        self_loops: if ``True`` each point is a candidate neighbour of itself (at distance
            0, so it is always selected); by default a row is never its own neighbour.

    Returns:
        ``(neighbors [B, k], weights [B, k])``: row indices into the batch, nearest first,
        and their weights (rows summing to 1).
    """
    points = as_points(x, "x")
    if cutoff not in CUTOFFS:
        raise ValueError(f"cutoff must be one of {CUTOFFS}; got {cutoff!r}")
    b = points.shape[0]
    searched = k + 1 if cutoff == "k_plus_1" else k
    candidates = b if self_loops else b - 1
    check_neighbor_count(
        k, candidates - (searched - k), _limit_reason(cutoff, "B" if self_loops else "B - 1")
    )
    with torch.no_grad():
        centred = points - points.mean(0)  # translation-invariant; reduces cancellation
        sq = centred.pow(2).sum(1)
        gram = centred @ centred.t()
        # ||x_j||^2 - 2 x_i.x_j ranks the candidates of row i like the distance does
        scores = torch.add(sq.unsqueeze(0), gram, alpha=-2.0)
        scores.fill_diagonal_(-float("inf") if self_loops else float("inf"))
        selected = scores.topk(searched, dim=1, largest=False, sorted=True).indices
        distances = (sq.unsqueeze(1) + sq[selected] - 2.0 * gram.gather(1, selected)).clamp_(0.0)
        rows = torch.arange(b, device=points.device).unsqueeze(1)
        distances.masked_fill_(selected == rows, 0.0)
    if points.requires_grad:
        distances = _PairSquaredDistances.apply(points, selected, distances)
    return selected[:, :k], adaptive_neighbor_weights(distances, k, cutoff=cutoff)


def unit_diagonal_can(x: Tensor, k: int, *, cutoff: str = "kth") -> tuple[Tensor, Tensor]:
    r"""Sparse symmetric CAN graph of a batch with unit diagonal,
    :math:`\tfrac12(\mathbf{P} + \mathbf{P}^\top) + \mathbf{I}` with :math:`\mathbf{P}`
    from :func:`~mvgraph.graphs.can_neighbors` (zero diagonal): the reference code's
    "diagonal set to 1, then symmetrise". Differentiable in ``x``.

    Returns:
        ``(edge_index [2, E], edge_weight [E])`` on the batch positions, every pair once:
        the :math:`Bk` selected pairs :math:`(i, j)`, the reverse :math:`(j, i)` of those
        :math:`j` did not select, and the :math:`B` self loops.
    """
    neighbors, weights = can_neighbors(x, k, cutoff=cutoff)
    b, width = neighbors.shape
    rows = torch.arange(b, device=neighbors.device)
    centres = rows.repeat_interleave(width)
    ends = neighbors.reshape(-1)
    weights = weights.reshape(-1)
    # does j select i as well? find the pair (j, i) among the selected pairs
    partner = find_pairs(centres * b + ends, ends * b + centres, b * b)
    mutual = partner >= 0
    back = weights.index_select(0, partner.clamp_min(0)) * mutual  # P_ji
    symmetric = 0.5 * (weights + back)
    single = ~mutual
    edge_index = torch.stack([
        torch.cat([ends, centres[single], rows]),
        torch.cat([centres, ends[single], rows]),
    ])
    ones = torch.ones(b, dtype=symmetric.dtype, device=symmetric.device)
    return edge_index, torch.cat([symmetric, symmetric[single], ones])


def unit_diagonal_can_graph(
    x: Tensor, k: int, *, cutoff: str = "kth"
) -> tuple[Tensor, Tensor]:
    r"""The graph of :func:`unit_diagonal_can` over all rows of ``x`` by neighbour search
    (:func:`~mvgraph.graphs.can_graph`, no gradient), coalesced."""
    n = x.shape[0]
    edge_index, edge_weight = can_graph(x, k, symmetrize=True, cutoff=cutoff)
    edge_index, edge_weight = remove_self_loops(edge_index, edge_weight)
    edge_index, edge_weight = add_self_loops(edge_index, edge_weight, fill_value=1.0, num_nodes=n)
    return coalesce(edge_index, edge_weight, n)


class _PairSquaredDistances(torch.autograd.Function):
    r""":math:`d_{ij} = \lVert\mathbf{x}_i - \mathbf{x}_j\rVert^2` for the pairs
    :math:`(i, \text{neighbors}[i, t])`, from precomputed values; the backward pass is two
    sparse products, :math:`O(Bsd)` (dense ones while :math:`B \le` ``TABLE_FACTOR``
    :math:`\cdot s`, where they are faster and no larger than :math:`O(Bs)`):
    :math:`\nabla_{\mathbf{x}} = 2\big(\operatorname{diag}(\mathbf{W}\mathbf{1} +
    \mathbf{W}^\top\mathbf{1})\,\mathbf{X} - \mathbf{W}\mathbf{X} -
    \mathbf{W}^\top\mathbf{X}\big)` with :math:`\mathbf{W}` the incoming gradients on
    the pairs."""

    @staticmethod
    def forward(ctx, points: Tensor, neighbors: Tensor, values: Tensor) -> Tensor:
        ctx.save_for_backward(points, neighbors)
        return values.clone()

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None]:
        points, neighbors = ctx.saved_tensors
        b, s = neighbors.shape
        columns = neighbors.reshape(-1)
        weights = grad.reshape(-1).to(points.dtype)
        degree = grad.sum(1).to(points.dtype).index_add(0, columns, weights)
        if b <= TABLE_FACTOR * s:  # W as a dense [B, B] matrix is within a constant of Bs
            dense = torch.zeros(b, b, dtype=points.dtype, device=points.device)
            dense.scatter_add_(1, neighbors, grad.to(points.dtype))
            spread = (dense + dense.T) @ points
            return 2.0 * (degree.unsqueeze(1) * points - spread), None, None
        rows = torch.arange(b, device=points.device).repeat_interleave(s)
        order = torch.argsort(columns, stable=True)
        by_column = torch.zeros(b + 1, dtype=torch.long, device=points.device)
        by_column[1:] = torch.cumsum(torch.bincount(columns, minlength=b), 0)
        with warnings.catch_warnings():  # CSR products are marked beta; they are exact
            warnings.simplefilter("ignore", UserWarning)
            forward = torch.sparse_csr_tensor(
                torch.arange(0, b * s + 1, s, device=points.device), columns, weights,
                (b, b), check_invariants=False,
            )
            backward = torch.sparse_csr_tensor(
                by_column, rows[order], weights[order], (b, b), check_invariants=False
            )
            spread = forward @ points + backward @ points
        return 2.0 * (degree.unsqueeze(1) * points - spread), None, None


def _limit_reason(cutoff: str, candidates: str) -> str:
    if cutoff == "k_plus_1":
        return f"cutoff='k_plus_1' needs k + 1 of the {candidates} candidate neighbours"
    return f"cutoff='kth' needs k of the {candidates} candidate neighbours"
