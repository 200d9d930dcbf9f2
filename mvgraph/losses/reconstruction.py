"""Reconstruction loss of multi-view autoencoders."""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor

from mvgraph.utils.presence import count_rows, rows_with

REDUCTIONS = ("mean", "sum")


def reconstruction_loss(
    rebuilt: Sequence[Tensor],
    views: Sequence[Tensor],
    reduction: str = "mean",
    presence: Tensor | None = None,
) -> Tensor:
    r"""Sum over views of the squared reconstruction error, averaged over the samples.

    With ``reduction="mean"`` each view's error is also averaged over its features,
    :math:`\sum_v \frac{1}{n d_v}\lVert \hat{\mathbf{X}}^{(v)} - \mathbf{X}^{(v)}\rVert_F^2`
    (MFLVC's ``mse_loss``); with ``"sum"`` it is summed over them,
    :math:`\sum_v \frac{1}{n}\lVert \hat{\mathbf{X}}^{(v)} - \mathbf{X}^{(v)}\rVert_F^2`
    (the squared norm per sample, e.g. CRRC Eq. 2), which weighs a view by its width.
    With a ``presence`` mask, view :math:`v`'s error is over the samples that have it
    (averaged over them; a view no sample of the batch has adds nothing): what the same
    loss gives on the present rows alone.

    Shapes:
        - **rebuilt, views:** one :math:`(n, d_v)` tensor per view
        - **presence:** :math:`(n, V)` booleans, or ``None`` when every sample has every view
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
    pairs = [(x_hat[rows], x[rows]) for v, (x_hat, x) in enumerate(zip(rebuilt, views))
             if count_rows(rows := rows_with(presence, v), x.shape[0]) > 0]
    if reduction == "sum":
        return sum(F.mse_loss(x_hat, x, reduction="sum") / x.shape[0] for x_hat, x in pairs)
    return sum(F.mse_loss(x_hat, x) for x_hat, x in pairs)
