r"""Contrastive losses over cosine similarities: sample level and cluster level.

All three compare :math:`\ell_2`-normalised items by cosine similarity divided by a
temperature :math:`\tau` and score each item's positive against its negatives with a
softmax cross-entropy:

- :func:`info_nce`: one direction, anchors against candidates (CRRC Eq. 12);
- :func:`nt_xent`: both directions over the :math:`2B` items of two batches, each item's
  own similarity removed (SimCLR's NT-Xent; MFLVC's feature loss; RAV's relation rows;
  CONAN's contrastive fusion);
- :func:`cluster_contrastive`: :func:`nt_xent` over the columns of two soft assignments
  (MFLVC's label loss, RAV's cluster-level contrast);

plus :func:`marginal_entropy_gap`, the balance regulariser that goes with the cluster
level contrast, and :func:`view_aware_cluster_loss`, RAV's weighted sum of cluster level
contrasts over pairs of views.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from mvgraph.utils.presence import count_rows, rows_with
from mvgraph.utils.validation import check_matrix, check_number


def info_nce(anchors: Tensor, candidates: Tensor, temperature: float = 0.5) -> Tensor:
    r"""One-directional InfoNCE: anchor :math:`i` against candidate :math:`i` (positive) and
    every other candidate :math:`j \ne i` (negatives).

    .. math::
        \mathcal{L} = -\frac{1}{B}\sum_{i=1}^{B} \log
        \frac{\exp(\cos(\mathbf{a}_i, \mathbf{c}_i)/\tau)}
             {\sum_{j=1}^{B} \exp(\cos(\mathbf{a}_i, \mathbf{c}_j)/\tau)}

    The denominator includes the positive; anchors are not contrasted with each other.
    This is the cross-entropy of the :math:`B \times B` cosine matrix with targets
    :math:`0, \dots, B-1`.

    Args:
        anchors: batch of anchors.
        candidates: aligned batch of candidates (row :math:`i` is anchor :math:`i`'s
            positive).
        temperature: :math:`\tau > 0`.

    Shapes:
        - **anchors, candidates:** :math:`(B, d)`
        - **output:** :math:`()`
    """
    _check_pair(anchors, candidates, "anchors", "candidates", temperature)
    logits = F.normalize(anchors, dim=1) @ F.normalize(candidates, dim=1).T / temperature
    return F.cross_entropy(logits, torch.arange(logits.shape[0], device=logits.device))


def nt_xent(a: Tensor, b: Tensor, temperature: float = 0.5) -> Tensor:
    r"""Normalised temperature-scaled cross-entropy over two aligned batches (NT-Xent).

    The :math:`2B` items :math:`\mathbf{t} = [\mathbf{a}_1..\mathbf{a}_B,
    \mathbf{b}_1..\mathbf{b}_B]` each have one positive, the other batch's row of the same
    index, and :math:`2B-2` negatives, every other item except themselves:

    .. math::
        \mathcal{L} = -\frac{1}{2B}\sum_{i=1}^{2B} \log
        \frac{\exp(\cos(\mathbf{t}_i, \mathbf{t}_{p(i)})/\tau)}
             {\sum_{j \ne i} \exp(\cos(\mathbf{t}_i, \mathbf{t}_j)/\tau)},

    i.e. the sum over all :math:`2B` items minus the self term :math:`e^{1/\tau}` in the
    denominator. Symmetric in ``a`` and ``b``.

    Args:
        a: first batch.
        b: second batch, aligned with ``a``.
        temperature: :math:`\tau > 0`.

    Shapes:
        - **a, b:** :math:`(B, d)` with :math:`B \ge 1`
        - **output:** :math:`()`
    """
    _check_pair(a, b, "a", "b", temperature)
    batch = a.shape[0]
    items = F.normalize(torch.cat([a, b]), dim=1)
    logits = items @ items.T / temperature
    self_pairs = torch.eye(2 * batch, dtype=torch.bool, device=logits.device)
    logits = logits.masked_fill(self_pairs, float("-inf"))
    index = torch.arange(batch, device=logits.device)
    targets = torch.cat([index + batch, index])
    return F.cross_entropy(logits, targets)


def cluster_contrastive(q_a: Tensor, q_b: Tensor, temperature: float = 1.0) -> Tensor:
    r"""Cluster-level contrast of two soft assignments of the same batch.

    The columns :math:`\mathbf{q}^a_{:,j}` and :math:`\mathbf{q}^b_{:,j}` (each a
    :math:`B`-vector: how much every sample belongs to cluster :math:`j`) are the items:
    :func:`nt_xent` over the :math:`2K` columns, cluster :math:`j` of one view being the
    positive of cluster :math:`j` of the other.

    Shapes:
        - **q_a, q_b:** :math:`(B, K)`
        - **output:** :math:`()`
    """
    return nt_xent(q_a.T, q_b.T, temperature)


def marginal_entropy_gap(q: Tensor) -> Tensor:
    r"""How far the mean assignment is from uniform: :math:`\log K - H(\mathbf{r})`.

    .. math::
        \mathbf{r} = \frac{\mathbf{q}^\top\mathbf{1}}{\mathbf{1}^\top\mathbf{q}\mathbf{1}},
        \qquad
        \log K - H(\mathbf{r}) = \log K + \sum_{j=1}^{K} r_j \log r_j \;\ge 0

    Minimising it spreads the samples over the clusters (the entropy regulariser of
    MFLVC and RAV, up to the constant :math:`\log K`); 0 for a balanced assignment.

    Shapes:
        - **q:** :math:`(B, K)`, non-negative
        - **output:** :math:`()`
    """
    check_matrix("q", q, "[B, K]")
    r = q.sum(0)
    r = r / r.sum()
    return math.log(q.shape[1]) + torch.special.xlogy(r, r).sum()


def view_aware_cluster_loss(
    assignments: Sequence[Tensor],
    weights: Tensor,
    temperature: float = 0.5,
    presence: Tensor | None = None,
) -> Tensor:
    r"""The contrastive part of RAV's :math:`\mathcal{L}_Q`,
    :math:`\frac{1}{2}\sum_v\sum_{u\ne v}\bar w_{vu}\,\ell_c^{(v,u)}` with
    :math:`\bar w_{vu} = \frac{1}{2}(w^{(v,u)} + w^{(u,v)})`.

    :math:`\ell_c^{(v,u)}` (paper, Design 2) contrasts column :math:`j` of
    :math:`\mathbf{Q}^v` with the :math:`2K` columns of :math:`\mathbf{Q}^v` and
    :math:`\mathbf{Q}^u`, itself removed; :math:`\frac{1}{2}(\ell_c^{(v,u)} +
    \ell_c^{(u,v)})` is :func:`~mvgraph.losses.cluster_contrastive`, so the sum is
    :math:`\sum_{v<u}\bar w_{vu}\,\text{cluster\_contrastive}(\mathbf{Q}^v, \mathbf{Q}^u)`.
    With a ``presence`` mask, the pair :math:`(v, u)` is contrasted over the rows that have
    both views (a pair no row has adds nothing).

    Shapes:
        - **assignments:** :math:`V` tensors :math:`(B, K)`
        - **weights:** :math:`(V, V)`, :math:`w^{(v,u)}` in row :math:`v`
        - **presence:** :math:`(B, V)` booleans, or ``None`` when every row has every view
        - **output:** :math:`()`
    """
    count = len(assignments)
    if weights.shape != (count, count):
        raise ValueError(
            f"weights must be [V, V] = [{count}, {count}] for {count} views; "
            f"got {tuple(weights.shape)}"
        )
    pair_weights = 0.5 * (weights + weights.T)
    rows = {(v, u): rows_with(presence, v, u) for v in range(count) for u in range(v + 1, count)}
    return sum(
        (pair_weights[v, u] * cluster_contrastive(assignments[v][pair], assignments[u][pair],
                                                  temperature)
         for (v, u), pair in rows.items()
         if count_rows(pair, len(assignments[v])) > 0),
        assignments[0].new_zeros(()),
    )


def _check_pair(a: Tensor, b: Tensor, name_a: str, name_b: str, temperature: float) -> None:
    check_matrix(name_a, a, "[B, d]")
    check_matrix(name_b, b, "[B, d]")
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape [B, d]; got {tuple(a.shape)} "
            f"and {tuple(b.shape)}"
        )
    check_number("temperature", temperature, positive=True)
