r"""View-specific contrastive regularisation (VCR) between a sample graph and indicators.

BMvC (Li, Wang, Tang et al.) pulls together the clustering indicators of samples a graph
links and pushes apart those it does not, weighting every pair by the graph instead of
splitting pairs into hard positives and negatives (BMvC Eq. 11–12).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from mvgraph.graphs.pairs import pair_inner_products


def vcr_loss(
    indicators: Tensor,
    graph: Tensor | tuple[Tensor, Tensor],
    *,
    self_pairs: bool = False,
    eps: float = 1e-4,
) -> Tensor:
    r"""Graph-weighted contrastive loss on the cosine similarities of the rows of
    ``indicators`` (BMvC Eq. 12).

    With :math:`a_{ij} = \cos(\mathbf{c}_i, \mathbf{c}_j)` (Eq. 10) and graph weights
    :math:`\hat g_{ij} \in [0, 1]` over all :math:`B^2` ordered pairs:

    .. math::
        \zeta = \frac{\sum_{i \ne j} \big(\hat g_{ij}(1 - a_{ij})\big)^2}
                     {\sum_{i \ne j} \hat g_{ij} + \epsilon}
              + \frac{\sum_{i, j} \big((1 - \hat g_{ij})\, a_{ij}\big)^2}
                     {\sum_{i, j} (1 - \hat g_{ij}) + \epsilon}.

    The first (positive) term leaves out the self pairs :math:`i = j` unless
    ``self_pairs``; they add nothing to its numerator (:math:`a_{ii} = 1`) but
    :math:`\sum_i \hat g_{ii}` to its denominator. The BMvC reference code keeps them (its
    positive mask ends with diagonal 1), which with a graph of unit diagonal halves the
    positive term relative to ``self_pairs=False``. The self pairs of the second
    (negative) term are weighted by :math:`1 - \hat g_{ii}`, 0 for a graph of unit
    diagonal. :math:`\epsilon` is the reference code's ``1e-4``.

    The graph is dense, or sparse: the pairs absent from a sparse graph have weight 0.
    The sparse form never builds a :math:`B \times B` matrix: with unit rows
    :math:`\mathbf{u}_i` of the indicators, the negative numerator is
    :math:`\lVert \mathbf{U}^\top \mathbf{U} \rVert_F^2 + \sum_{(i,j) \in E} a_{ij}^2
    \hat g_{ij} (\hat g_{ij} - 2)`, since :math:`\sum_{i,j} a_{ij}^2 =
    \lVert \mathbf{U}^\top\mathbf{U}\rVert_F^2`; the cost is :math:`O(|E| c + B c^2)`.

    Differentiable in the indicators and the weights (BMvC lets the gradient flow into the
    graph built from the joint features).

    Args:
        indicators: clustering indicators :math:`\mathbf{C}`, one row per sample.
        graph: pair weights :math:`\hat{\mathbf{G}}`: a dense ``[B, B]`` tensor, or
            ``(edge_index [2, E], edge_weight [E])`` with every pair at most once
            (coalesced) or repeated with weight 0, node :math:`i` being row :math:`i` of
            ``indicators``.
        self_pairs: count the self pairs in the positive term.
        eps: added to both denominators.

    Shapes:
        - **indicators:** :math:`(B, c)`
        - **output:** :math:`()`
    """
    if indicators.ndim != 2 or indicators.shape[0] == 0:
        raise ValueError(
            f"indicators must have shape [B, c] with B >= 1; got {tuple(indicators.shape)}"
        )
    if eps < 0:
        raise ValueError(f"eps must be >= 0; got {eps}")
    b = indicators.shape[0]
    unit = F.normalize(indicators, dim=1)
    if isinstance(graph, Tensor):
        if graph.shape != (b, b):
            raise ValueError(
                f"graph must have shape [B, B] = {(b, b)} for {b} indicator rows; "
                f"got {tuple(graph.shape)}"
            )
        return _dense_vcr(unit, graph, self_pairs, eps)
    edge_index, edge_weight = graph
    if edge_index.ndim != 2 or edge_index.shape[0] != 2 or edge_weight.shape != (
        edge_index.shape[1],
    ):
        raise ValueError(
            "a sparse graph must be (edge_index [2, E], edge_weight [E]); got shapes "
            f"{tuple(edge_index.shape)} and {tuple(edge_weight.shape)}"
        )
    return _sparse_vcr(unit, edge_index, edge_weight, self_pairs, eps)


def _dense_vcr(unit: Tensor, graph: Tensor, self_pairs: bool, eps: float) -> Tensor:
    b = unit.shape[0]
    similarity = unit @ unit.T
    positive_weight = graph
    if not self_pairs:
        positive_weight = graph.masked_fill(
            torch.eye(b, dtype=torch.bool, device=graph.device), 0.0
        )
    negative_weight = 1.0 - graph
    positive = (positive_weight * (1.0 - similarity)).square().sum()
    negative = (negative_weight * similarity).square().sum()
    return positive / (positive_weight.sum() + eps) + negative / (negative_weight.sum() + eps)


def _sparse_vcr(
    unit: Tensor, edge_index: Tensor, weight: Tensor, self_pairs: bool, eps: float
) -> Tensor:
    b = unit.shape[0]
    first, second = edge_index
    similarity = pair_inner_products(unit, first, second)  # a_ij on the edges
    positive_weight = weight if self_pairs else weight.masked_fill(first == second, 0.0)
    positive = (positive_weight * (1.0 - similarity)).square().sum()
    negative = (unit.T @ unit).square().sum() + (
        similarity.square() * weight * (weight - 2.0)
    ).sum()
    total = weight.sum()
    return positive / (positive_weight.sum() + eps) + negative / (b * b - total + eps)
