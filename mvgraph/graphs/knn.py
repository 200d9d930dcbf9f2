"""k-nearest-neighbour graph as a PyG edge list."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from mvgraph.graphs.neighbors import nearest_neighbors


def knn_graph(
    x: Tensor | np.ndarray,
    k: int,
    *,
    metric: str = "l2",
    loop: bool = False,
    backend: str = "auto",
    index: str = "flat",
) -> tuple[Tensor, Tensor]:
    r"""Directed graph linking every point to its :math:`k` nearest points.

    Follows :func:`torch_geometric.nn.knn_graph` with ``flow="source_to_target"``:
    ``edge_index[0]`` is the neighbour :math:`j`, ``edge_index[1]`` the centre :math:`i`, so
    messages flow from the neighbours into each centre. Edges are grouped by centre
    (:math:`k` consecutive edges each, nearest first).

    Args:
        x: points ``[n, d]``.
        k: neighbours per point; ``k < n`` unless ``loop=True`` (then ``k <= n``).
        metric: ``"l2"`` (squared euclidean) or ``"cosine"`` (:math:`1 - \cos`).
        loop: if ``True`` each point is a candidate neighbour of itself (it counts as one of
            the :math:`k`); otherwise it is excluded, robustly to duplicated points.
        backend: ``"auto"``, ``"faiss"`` or ``"torch"``, see
            :func:`~mvgraph.graphs.nearest_neighbors`.
        index: ``"flat"`` (exact), ``"hnsw"`` or ``"ivf"`` (approximate, for very large n).

    Returns:
        ``(edge_index [2, nk], distances [nk])``, without gradient.
    """
    distances, neighbors = nearest_neighbors(
        x, k, metric=metric, exclude_self=not loop, backend=backend, index=index
    )
    centres = torch.arange(neighbors.shape[0], device=neighbors.device).repeat_interleave(k)
    return torch.stack([neighbors.reshape(-1), centres]), distances.reshape(-1)
