"""Reconstruction loss of multi-view autoencoders."""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor

REDUCTIONS = ("mean", "sum")


def reconstruction_loss(
    rebuilt: Sequence[Tensor], views: Sequence[Tensor], reduction: str = "mean"
) -> Tensor:
    r"""Sum over views of the squared reconstruction error, averaged over the samples.

    With ``reduction="mean"`` each view's error is also averaged over its features,
    :math:`\sum_v \frac{1}{n d_v}\lVert \hat{\mathbf{X}}^{(v)} - \mathbf{X}^{(v)}\rVert_F^2`
    (MFLVC's ``mse_loss``); with ``"sum"`` it is summed over them,
    :math:`\sum_v \frac{1}{n}\lVert \hat{\mathbf{X}}^{(v)} - \mathbf{X}^{(v)}\rVert_F^2`
    (the squared norm per sample, e.g. CRRC Eq. 2), which weighs a view by its width.

    Shapes:
        - **rebuilt, views:** one :math:`(n, d_v)` tensor per view
        - **output:** :math:`()`
    """
    if len(rebuilt) != len(views) or len(views) == 0:
        raise ValueError(
            f"rebuilt and views must hold the same positive number of tensors; got "
            f"{len(rebuilt)} and {len(views)}"
        )
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}; got {reduction!r}")
    for v, (x_hat, x) in enumerate(zip(rebuilt, views)):
        if x_hat.shape != x.shape:
            raise ValueError(
                f"rebuilt[{v}] must have the shape of views[{v}], {tuple(x.shape)}; "
                f"got {tuple(x_hat.shape)}"
            )
    if reduction == "sum":
        return sum(F.mse_loss(x_hat, x, reduction="sum") / x.shape[0]
                   for x_hat, x in zip(rebuilt, views))
    return sum(F.mse_loss(x_hat, x) for x_hat, x in zip(rebuilt, views))
