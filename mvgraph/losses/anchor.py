r"""Anchor-level losses: sample→anchor assignment entropy and cross-view mutual information.

Both come from DMAC (Wang et al., AAAI 2025): the entropy sharpens each sample's soft
assignment to the anchors, the mutual information aligns the cluster distributions that
different views give the same anchors.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mvgraph.utils.validation import check_matrix, check_same_width


def anchor_entropy(z: Tensor, anchors: Tensor) -> Tensor:
    r"""Mean row entropy of the Student-t (:math:`\nu = 1`) sample→anchor similarities.

    .. math::
        q_{ij} = \frac{(1 + \lVert \mathbf{z}_i - \mathbf{u}_j \rVert^2)^{-1}}
                      {\sum_l (1 + \lVert \mathbf{z}_i - \mathbf{u}_l \rVert^2)^{-1}},
        \qquad
        \mathcal{L}_{AL} = -\frac{1}{n} \sum_i \sum_j q_{ij} \log q_{ij}

    (DMAC Eqs. 7 and 9). Squared distances come from one GEMM,
    :math:`\lVert\mathbf{z}_i\rVert^2 - 2\mathbf{z}_i^\top\mathbf{u}_j +
    \lVert\mathbf{u}_j\rVert^2` clamped at 0, so memory is :math:`O(nm)`. With
    :math:`\ell_{ij} = \log(1 + \lVert \mathbf{z}_i - \mathbf{u}_j \rVert^2)` and
    :math:`w_{ij} = e^{-\ell_{ij}}` the row entropy is evaluated as
    :math:`\log \sum_j w_{ij} + \sum_j q_{ij} \ell_{ij}`, which needs no logarithm of
    :math:`q` (so no floor on it) and few passes over the :math:`n \times m` matrix. The
    value lies in :math:`[0, \log m]`, and equals :math:`\log m` when every sample is
    equidistant from all anchors (for example when embeddings and anchors have collapsed
    to one point).

    Args:
        z: sample embeddings.
        anchors: anchors in the same space.

    Shapes:
        - **z:** :math:`(n, d)`
        - **anchors:** :math:`(m, d)`
        - **output:** :math:`()`
    """
    check_same_width("z", z, "anchors", anchors)
    squared = (
        z.pow(2).sum(1, keepdim=True) - 2.0 * z @ anchors.T + anchors.pow(2).sum(1)
    ).clamp_min(0.0)
    log_kernel = torch.log1p(squared)
    kernel = torch.exp(-log_kernel)
    total = kernel.sum(1)
    return (total.log() + (kernel * log_kernel).sum(1) / total).mean()


def mutual_information(p_a: Tensor, p_b: Tensor, eps: float = 1e-10) -> Tensor:
    r"""Mutual information of two soft cluster assignments of the same items (IIC form).

    The rows of ``p_a`` and ``p_b`` are the cluster distributions two views give the same
    items (anchors, in DMAC). Their joint distribution over cluster pairs is estimated as
    in IIC (Ji, Henriques and Vedaldi, ICCV 2019):

    .. math::
        \mathbf{P} = \tfrac{1}{2}(\tilde{\mathbf{P}} + \tilde{\mathbf{P}}^\top), \quad
        \tilde{\mathbf{P}} = \frac{1}{m}\sum_i \mathbf{p}^{a}_i \mathbf{p}^{b\,\top}_i,
        \qquad
        I = \sum_{j,k} P_{jk} \left(\log P_{jk} - \log P_{j\cdot} - \log P_{\cdot k}\right),

    with the marginals taken before every entry is clamped at ``eps`` for the logarithms.
    :math:`I` is 0 for independent assignments and :math:`\log c` for identical, balanced,
    one-hot ones; maximise it (DMAC's :math:`\mathcal{L}_{CM}` is :math:`-I`).

    DMAC's Eq. 13 writes the mutual information of one pair of single distributions
    :math:`(\mathbf{F}^{(a)}_i, \mathbf{F}^{(b)}_i)`, which is ill-posed as written; the
    reference code takes the outer product :math:`\mathbf{F}^{(a)}_i
    \mathbf{F}^{(b)\top}_i` as the joint, whose marginals are the factors themselves, so
    its value is identically 0 and gives no gradient. This function is the IIC
    estimate, which pools the items into one :math:`c \times c` joint.

    Args:
        p_a: row-stochastic assignments of the first view.
        p_b: row-stochastic assignments of the second view.
        eps: floor of the joint and marginals inside the logarithms.

    Shapes:
        - **p_a, p_b:** :math:`(m, c)`
        - **output:** :math:`()`
    """
    check_matrix("p_a", p_a)
    check_matrix("p_b", p_b)
    if p_a.shape != p_b.shape:
        raise ValueError(
            f"p_a and p_b must have the same shape [m, c]; got {tuple(p_a.shape)} "
            f"and {tuple(p_b.shape)}"
        )
    joint = p_a.T @ p_b / p_a.shape[0]
    joint = 0.5 * (joint + joint.T)
    rows = joint.sum(1, keepdim=True).clamp_min(eps)
    cols = joint.sum(0, keepdim=True).clamp_min(eps)
    joint = joint.clamp_min(eps)
    return (joint * (joint.log() - rows.log() - cols.log())).sum()
