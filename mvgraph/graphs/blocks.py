r"""Blocks of a sparse sample graph for minibatches.

A method that trains on minibatches but holds one graph over the whole data set needs,
for every batch of rows :math:`\mathcal{B}`, the block :math:`\mathbf{G}_{\mathcal{B}
\mathcal{B}}` restricted to the batch. :class:`GraphBlocks` stores the graph by rows (CSR)
once, so that each block costs :math:`O(\sum_{i \in \mathcal{B}} \deg i)` (plus a sort of
the block's edges), whatever the size of the graph: it never touches all edges.
"""

from __future__ import annotations

import torch
from torch import Tensor


class GraphBlocks:
    r"""A weighted graph on :math:`n` nodes, stored by rows, cut into batch blocks.

    Follows the PyG ``source_to_target`` convention of the graph operators: an edge
    ``(edge_index[0], edge_index[1]) = (j, i)`` with weight :math:`w` is the entry
    :math:`G_{ij} = w` (row :math:`i`, the centre; column :math:`j`, the neighbour).
    The edges must be coalesced (no pair twice), as :func:`~mvgraph.graphs.can_graph` and
    :func:`torch_geometric.utils.coalesce` return them.

    Args:
        edge_index: edges ``[2, E]`` (int64), nodes in ``0 .. num_nodes - 1``.
        edge_weight: weights ``[E]``.
        num_nodes: :math:`n`.
    """

    def __init__(self, edge_index: Tensor, edge_weight: Tensor, num_nodes: int) -> None:
        if edge_index.ndim != 2 or edge_index.shape[0] != 2:
            raise ValueError(f"edge_index must have shape [2, E]; got {tuple(edge_index.shape)}")
        if edge_weight.shape != (edge_index.shape[1],):
            raise ValueError(
                f"edge_weight must have shape [E] = [{edge_index.shape[1]}]; "
                f"got {tuple(edge_weight.shape)}"
            )
        if not isinstance(num_nodes, int) or isinstance(num_nodes, bool) or num_nodes < 1:
            raise ValueError(f"num_nodes must be a positive integer; got {num_nodes!r}")
        if edge_index.numel() and (edge_index.min() < 0 or edge_index.max() >= num_nodes):
            raise ValueError(f"edge_index must hold nodes in [0, {num_nodes}); it does not")
        centres = edge_index[1]
        order = torch.argsort(centres, stable=True)
        self.num_nodes = num_nodes
        self.columns = edge_index[0, order]
        self.weights = edge_weight[order]
        self.degree = torch.bincount(centres, minlength=num_nodes)
        self.row_start = torch.cumsum(self.degree, 0) - self.degree
        self._position = torch.full((num_nodes,), -1, dtype=torch.long, device=centres.device)

    def block(self, index: Tensor) -> tuple[Tensor, Tensor]:
        r"""The block :math:`\mathbf{G}_{\mathcal{B}\mathcal{B}}` as a graph on the batch:
        node :math:`a` is ``index[a]``.

        Args:
            index: distinct nodes ``[B]`` (int64).

        Returns:
            ``(edge_index [2, E_B], edge_weight [E_B])`` in batch positions, coalesced and
            sorted by ``edge_index[0] * B + edge_index[1]``.
        """
        if index.ndim != 1:
            raise ValueError(f"index must have shape [B]; got {tuple(index.shape)}")
        device = self.columns.device
        index = index.to(device)
        b = index.numel()
        local = torch.arange(b, device=device)
        position = self._position
        position[index] = local
        try:
            if bool((position[index] != local).any()):
                raise ValueError("index must hold distinct nodes")
            counts = self.degree[index]
            centres = torch.repeat_interleave(local, counts)
            before = torch.cumsum(counts, 0) - counts  # block edges of the earlier rows
            edges = torch.repeat_interleave(self.row_start[index] - before, counts)
            edges += torch.arange(edges.numel(), device=device)
            neighbours = position[self.columns[edges]]
        finally:
            position[index] = -1
        inside = neighbours >= 0
        neighbours, centres, edges = neighbours[inside], centres[inside], edges[inside]
        order = torch.argsort(neighbours * b + centres)
        edge_index = torch.stack([neighbours[order], centres[order]])
        return edge_index, self.weights[edges[order]]

    def __repr__(self) -> str:
        edges = self.weights.numel()
        return f"{self.__class__.__name__}(num_nodes={self.num_nodes}, edges={edges})"
