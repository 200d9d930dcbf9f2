r"""Negative-free siamese alignment (SimSiam; Chen and He, CVPR 2021)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def stop_gradient_cosine(online: Tensor, target: Tensor) -> Tensor:
    r"""Negative mean cosine similarity to a target that receives no gradient.

    .. math::
        \mathcal{D}(\mathbf{p}, \mathbf{t}) = -\frac{1}{B} \sum_{i=1}^{B}
        \cos(\mathbf{p}_i, \operatorname{sg}(\mathbf{t}_i))

    :math:`\operatorname{sg}` is the stop-gradient: ``target`` is detached, so only
    ``online`` and what produced it are trained. SimSiam's symmetric loss is
    :math:`\frac12\mathcal{D}(\mathbf{p}_1, \mathbf{z}_2) + \frac12\mathcal{D}(\mathbf{p}_2,
    \mathbf{z}_1)`; CONAN's Eq. 5 uses it with its own choice of online and target outputs.

    Shapes:
        - **online, target:** :math:`(B, d)`
        - **output:** :math:`()`, in :math:`[-1, 1]`
    """
    if online.ndim != 2 or online.shape != target.shape or online.shape[0] < 1:
        raise ValueError(
            "online and target must be non-empty 2-d tensors of the same shape [B, d]; got "
            f"{tuple(online.shape)} and {tuple(target.shape)}"
        )
    return -F.cosine_similarity(online, target.detach(), dim=1).mean()
