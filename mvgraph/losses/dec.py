r"""Deep embedded clustering (DEC; Xie, Girshick and Farhadi, ICML 2016).

Embeddings are softly assigned to centroids by a Student-t kernel, the assignment is
sharpened into a target distribution, and the KL divergence from the target to the
assignment is minimised with the target held fixed (CONAN Eq. 8).
"""

from __future__ import annotations

import torch
from torch import Tensor

from mvgraph.utils.validation import check_matrix, check_number, check_same_width

_Q_FLOOR = 1e-12


def student_t_assignment(z: Tensor, centroids: Tensor, alpha: float = 1.0) -> Tensor:
    r"""Soft assignment of embeddings to centroids by a Student-t kernel.

    .. math::
        q_{ij} = \frac{(1 + \lVert \mathbf{z}_i - \boldsymbol{\mu}_j \rVert^2 / \alpha)
                       ^{-\frac{\alpha+1}{2}}}
                      {\sum_{l} (1 + \lVert \mathbf{z}_i - \boldsymbol{\mu}_l \rVert^2
                       / \alpha)^{-\frac{\alpha+1}{2}}}

    (:math:`\alpha` is the degrees of freedom, 1 in DEC and CONAN). Computed as a softmax of
    :math:`-\frac{\alpha+1}{2}\log(1 + d_{ij}/\alpha)`, which never divides by zero.

    Shapes:
        - **z:** :math:`(n, d)`
        - **centroids:** :math:`(k, d)`
        - **output:** :math:`(n, k)`, rows summing to 1
    """
    check_same_width("z", z, "centroids", centroids)
    check_number("alpha", alpha, positive=True)
    squared = (z[:, None, :] - centroids[None, :, :]).pow(2).sum(-1)
    return torch.softmax(-(alpha + 1.0) / 2.0 * torch.log1p(squared / alpha), dim=1)


def dec_target(q: Tensor) -> Tensor:
    r"""DEC's sharpened target distribution.

    .. math::
        p_{ij} = \frac{q_{ij}^2 / f_j}{\sum_{l} q_{il}^2 / f_l}, \qquad f_j = \sum_i q_{ij}

    Shapes:
        - **q:** :math:`(n, k)`, non-negative
        - **output:** :math:`(n, k)`, rows summing to 1
    """
    check_matrix("q", q, "[n, k]")
    weight = q.pow(2) / q.sum(0).clamp_min(_Q_FLOOR)
    return weight / weight.sum(1, keepdim=True).clamp_min(_Q_FLOOR)


def dec_loss(q: Tensor) -> Tensor:
    r"""KL divergence from the (detached) target :func:`dec_target` to ``q``, per row.

    .. math::
        \mathcal{L}_{DEC} = \frac{1}{n} \sum_{i}\sum_{j} p_{ij} \log\frac{p_{ij}}{q_{ij}}

    CONAN Eq. 8 sums over the rows; its reference code divides the sum by the batch size,
    as here, so the loss does not grow with the batch.

    Shapes:
        - **q:** :math:`(n, k)`, rows on the simplex
        - **output:** :math:`()`
    """
    target = dec_target(q).detach()
    kl = torch.special.xlogy(target, target) - target * q.clamp_min(_Q_FLOOR).log()
    return kl.sum() / q.shape[0]
