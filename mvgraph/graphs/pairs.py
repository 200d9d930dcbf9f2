r"""Lookup of node pairs in an edge list.

Sparse graph code keeps asking where a pair :math:`(i, j)` sits in an edge list, if it is
there at all (is an edge mutual, which edges do two graphs share), and what the inner
product of its two rows is. Encoded as the key :math:`i n + j < n^2`, a pair is found by
:func:`find_pairs`; :func:`pair_inner_products` gives the products, many pairs at once,
and :func:`average_graphs` the edges of the mean of two graphs.
"""

from __future__ import annotations

import torch
from torch import Tensor

TABLE_FACTOR = 64
"""A dense table (of keys, or of all :math:`n^2` products) is used when its size is at most
this many times the number of pairs involved, so its memory stays linear in them."""


def find_pairs(
    keys: Tensor, queries: Tensor, num_keys: int, *, sorted_keys: bool = False
) -> Tensor:
    r"""Position of every query in ``keys``, or -1 where it is absent.

    Two exact strategies, chosen by cost: a table of ``num_keys`` slots filled with the
    positions (:math:`O(K + E + Q)`, used when :math:`K \le` ``TABLE_FACTOR``
    :math:`\cdot (E + Q)`), else a binary search of the sorted keys
    (:math:`O((E + Q) \log E)`, plus a sort of the keys unless ``sorted_keys``).

    Args:
        keys: distinct integer keys ``[E]`` in ``[0, num_keys)``.
        queries: integer keys ``[Q]`` in ``[0, num_keys)``.
        num_keys: :math:`K`, the size of the key space (:math:`n^2` for pairs of
            :math:`n` nodes).
        sorted_keys: ``keys`` are ascending (skips the sort of the search strategy).

    Returns:
        ``[Q]`` int64: ``p`` with ``keys[p] == queries[q]``, or -1.
    """
    device = keys.device
    if keys.numel() == 0:
        return torch.full_like(queries, -1, dtype=torch.long)
    if num_keys <= TABLE_FACTOR * (keys.numel() + queries.numel()):
        # int32 slots halve the table's memory traffic; positions are returned as int64
        slot = torch.int32 if keys.numel() <= torch.iinfo(torch.int32).max else torch.long
        table = torch.full((num_keys,), -1, dtype=slot, device=device)
        table[keys] = torch.arange(keys.numel(), dtype=slot, device=device)
        return table[queries].long()
    order = None
    if not sorted_keys:
        keys, order = torch.sort(keys)
    position = torch.searchsorted(keys, queries).clamp_max_(keys.numel() - 1)
    found = keys[position] == queries
    if order is not None:
        position = order[position]
    return torch.where(found, position, torch.full_like(position, -1))


def pair_inner_products(x: Tensor, first: Tensor, second: Tensor) -> Tensor:
    r"""Inner products :math:`\mathbf{x}_i^\top \mathbf{x}_j` of the row pairs
    ``(first[e], second[e])``, differentiable in ``x``.

    Read from the Gram matrix :math:`\mathbf{X}\mathbf{X}^\top` when its :math:`n^2`
    entries are at most ``TABLE_FACTOR`` times the :math:`E` pairs (one GEMM and one
    gather, much faster than :math:`2E` row gathers), else computed pair by pair in
    :math:`O(Ed)`.

    Shapes:
        - **x:** :math:`(n, d)`; **first**, **second:** :math:`(E,)`
        - **output:** :math:`(E,)`
    """
    n = x.shape[0]
    if n * n <= TABLE_FACTOR * first.numel():
        return (x @ x.T).reshape(-1).index_select(0, first * n + second)
    return (x.index_select(0, first) * x.index_select(0, second)).sum(1)


def average_graphs(
    fixed: tuple[Tensor, Tensor], joint: tuple[Tensor, Tensor], num_nodes: int
) -> tuple[Tensor, Tensor]:
    r"""The edges of :math:`\tfrac12(\mathbf{G}^s + \bar{\mathbf{G}})` (Eq. 9): those of
    :math:`\mathbf{G}^s`, then those of :math:`\bar{\mathbf{G}}`, the pairs both graphs
    hold being weighted once, on the first, and 0 on the second (a zero weight adds
    nothing to :func:`~mvgraph.losses.vcr_loss`).

    Args:
        fixed: coalesced edges of :math:`\mathbf{G}^s`, sorted by
            ``edge_index[0] * num_nodes + edge_index[1]`` (as
            :meth:`~mvgraph.graphs.GraphBlocks.block` returns them).
        joint: coalesced edges of :math:`\bar{\mathbf{G}}`, any order; differentiable.
        num_nodes: the batch size.
    """
    fixed_index, fixed_weight = fixed
    joint_index, joint_weight = joint
    fixed_keys = fixed_index[0] * num_nodes + fixed_index[1]
    joint_keys = joint_index[0] * num_nodes + joint_index[1]
    position = find_pairs(fixed_keys, joint_keys, num_nodes * num_nodes, sorted_keys=True)
    shared = position >= 0
    # a shared joint edge adds its weight to the fixed one (a dummy slot takes the others)
    slot = torch.where(shared, position, torch.full_like(position, fixed_keys.numel()))
    on_fixed = torch.zeros(
        fixed_keys.numel() + 1, dtype=joint_weight.dtype, device=joint_weight.device
    ).index_add(0, slot, joint_weight)[:-1]
    edge_index = torch.cat([fixed_index, joint_index], dim=1)
    edge_weight = torch.cat([0.5 * (fixed_weight + on_fixed), 0.5 * joint_weight * ~shared])
    return edge_index, edge_weight
