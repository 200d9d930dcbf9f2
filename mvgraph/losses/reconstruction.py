"""Reconstruction loss of multi-view autoencoders."""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor


def reconstruction_loss(rebuilt: Sequence[Tensor], views: Sequence[Tensor]) -> Tensor:
    r"""Sum over views of the mean squared error,
    :math:`\sum_v \frac{1}{n d_v}\lVert \hat{\mathbf{X}}^{(v)} - \mathbf{X}^{(v)}\rVert_F^2`.

    Shapes:
        - **rebuilt, views:** one :math:`(n, d_v)` tensor per view
        - **output:** :math:`()`
    """
    if len(rebuilt) != len(views) or len(views) == 0:
        raise ValueError(
            f"rebuilt and views must hold the same positive number of tensors; got "
            f"{len(rebuilt)} and {len(views)}"
        )
    for v, (x_hat, x) in enumerate(zip(rebuilt, views)):
        if x_hat.shape != x.shape:
            raise ValueError(
                f"rebuilt[{v}] must have the shape of views[{v}], {tuple(x.shape)}; "
                f"got {tuple(x_hat.shape)}"
            )
    return sum(F.mse_loss(x_hat, x) for x_hat, x in zip(rebuilt, views))
