r"""Fusion of per-view representations by an MLP over their concatenation."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


class ConcatFusion(nn.Module):
    r"""Concatenate the views' representations and map them through an MLP (CONAN's fusion
    network :math:`f`).

    .. math::
        \mathbf{z} = f([\mathbf{h}^1; \dots; \mathbf{h}^V])

    with ``n_layers`` fully connected layers of width ``out_features``: every layer but the
    last is Linear–ReLU–BatchNorm (that order, as in the CONAN code), the last is a plain
    Linear.

    Args:
        in_features: width of every view's representation.
        out_features: width of the fused representation.
        n_layers: number of fully connected layers (CONAN: 2).

    Shapes:
        - **input:** list of :math:`(B, \text{in\_features}_v)`
        - **output:** :math:`(B, \text{out\_features})`
    """

    def __init__(self, in_features: Sequence[int], out_features: int, n_layers: int = 2) -> None:
        super().__init__()
        widths = [*in_features, out_features, n_layers]
        if not in_features or any(
            not isinstance(w, int) or isinstance(w, bool) or w < 1 for w in widths
        ):
            raise ValueError(
                "in_features, out_features and n_layers must be positive integers (at least "
                f"one view); got {list(in_features)}, {out_features!r}, {n_layers!r}"
            )
        self.in_features = list(in_features)
        layers: list[nn.Module] = []
        width = sum(self.in_features)
        for _ in range(n_layers - 1):
            layers += [nn.Linear(width, out_features), nn.ReLU(), nn.BatchNorm1d(out_features)]
            width = out_features
        layers.append(nn.Linear(width, out_features))
        self.layers = nn.Sequential(*layers)

    def forward(self, representations: Sequence[Tensor]) -> Tensor:
        if len(representations) != len(self.in_features):
            raise ValueError(
                f"expected {len(self.in_features)} representations; got {len(representations)}"
            )
        return self.layers(torch.cat(list(representations), dim=1))
