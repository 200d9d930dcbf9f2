"""Dense Gaussian relation matrix of a batch of embeddings."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from mvgraph.graphs.neighbors import as_points


def gaussian_relation(z: Tensor, sigma: float = 1.0) -> Tensor:
    r"""Gaussian kernel between all pairs of rows of a batch.

    .. math::
        R_{ik} = \exp\left(-\frac{\lVert \mathbf{z}_i - \mathbf{z}_k \rVert^2}{\sigma}\right)

    The squared distances come from one GEMM on the rows centred by the batch mean (which
    leaves distances unchanged and limits cancellation),
    :math:`\lVert\mathbf{z}_i\rVert^2 - 2\mathbf{z}_i^\top\mathbf{z}_k +
    \lVert\mathbf{z}_k\rVert^2`, clamped at 0 against rounding, with an exact 0 on the
    diagonal so that :math:`R_{ii} = 1`. Differentiable with respect to ``z``.

    Args:
        z: batch of embeddings.
        sigma: bandwidth :math:`\sigma > 0`.

    Shapes:
        - **input:** :math:`(B, d)`
        - **output:** :math:`(B, B)`, symmetric, values in :math:`(0, 1]`
    """
    points = as_points(z, "z")
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)):
        raise TypeError(f"sigma must be a float; got {type(sigma).__name__}")
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a finite number > 0; got {sigma!r}")
    points = points - points.mean(0)  # translation-invariant; reduces cancellation
    sq = points.pow(2).sum(1)
    gram = points @ points.t()
    gram = 0.5 * (gram + gram.t())  # a matrix product need not round symmetrically
    distances = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2.0 * gram).clamp_min(0.0)
    diagonal = torch.eye(points.shape[0], dtype=torch.bool, device=points.device)
    return torch.exp(distances.masked_fill(diagonal, 0.0) / -sigma)
