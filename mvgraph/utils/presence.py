r"""Batches with absent views: which rows a loss term may use.

A presence mask :math:`\mathbf{P}` ``[n, V]`` (bool) marks with :math:`P_{iv}` that sample
:math:`i` has view :math:`v`; ``None`` means every sample has every view, and then the rows
are ``slice(None)``, which selects every row without copying or reordering, so a loss on
complete data computes exactly what it computed before masks existed.
"""

from __future__ import annotations

from torch import Tensor

Rows = Tensor | slice


def rows_with(presence: Tensor | None, *views: int) -> Rows:
    """The rows that have every view in ``views``: a boolean mask ``[n]``, or
    ``slice(None)`` (every row) when ``presence`` is ``None``."""
    if presence is None:
        return slice(None)
    mask = presence[:, views[0]]
    for v in views[1:]:
        mask = mask & presence[:, v]
    return mask


def count_rows(rows: Rows, n: int) -> int:
    """How many rows ``rows`` (from :func:`rows_with`) selects out of ``n``."""
    return n if isinstance(rows, slice) else int(rows.sum())
