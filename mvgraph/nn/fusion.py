r"""Fusion of per-view codes into one joint code: linear fusions (BMvC) and an MLP over
the concatenation (CONAN)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

FUSION_MODES = ("concat", "average", "weighted")


class ViewFusion(nn.Module):
    r"""Fuses :math:`V` view codes :math:`\mathbf{Z}^v \in \mathbb{R}^{B \times d}` into a joint
    code :math:`\mathbf{F} \in \mathbb{R}^{B \times e}` by a linear map (no activation).

    - ``"concat"``: :math:`\mathbf{F} = [\mathbf{Z}^1, \dots, \mathbf{Z}^V]\,\mathbf{W} +
      \mathbf{b}`, :math:`\mathbf{W} \in \mathbb{R}^{Vd \times e}`;
    - ``"average"``: :math:`\mathbf{F} = \big(\tfrac{1}{V}\sum_v \mathbf{Z}^v\big)\mathbf{W} +
      \mathbf{b}`, :math:`\mathbf{W} \in \mathbb{R}^{d \times e}`;
    - ``"weighted"``: sample-wise view weights
      :math:`\boldsymbol{\omega}_i = \operatorname{softmax}([\mathbf{z}^1_i, \dots,
      \mathbf{z}^V_i]\mathbf{W}_\omega + \mathbf{b}_\omega) \in \Delta^{V}`, then
      :math:`\mathbf{f}_i = \big(\sum_v \omega_{iv} \mathbf{z}^v_i\big)\mathbf{W} +
      \mathbf{b}`.

    These are BMvC's three fusion manners (Sec. 4.3.2: concatenation, the default, and
    average / sample-wise weighted addition), each followed by a linear layer as in its
    reference code.

    Args:
        n_views: number of views :math:`V`.
        in_features: width :math:`d` of every view code.
        out_features: joint width :math:`e`.
        mode: ``"concat"``, ``"average"`` or ``"weighted"``.

    Shapes:
        - **input:** :math:`V` tensors :math:`(B, d)`
        - **output:** :math:`(B, e)`
    """

    def __init__(self, n_views: int, in_features: int, out_features: int, *,
                 mode: str = "concat") -> None:
        super().__init__()
        if mode not in FUSION_MODES:
            raise ValueError(f"mode must be one of {FUSION_MODES}; got {mode!r}")
        for name, value in (("n_views", n_views), ("in_features", in_features),
                            ("out_features", out_features)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        self.n_views = n_views
        self.in_features = in_features
        self.out_features = out_features
        self.mode = mode
        width = n_views * in_features if mode == "concat" else in_features
        self.linear = nn.Linear(width, out_features)
        self.gate = nn.Linear(n_views * in_features, n_views) if mode == "weighted" else None

    def reset_parameters(self) -> None:
        self.linear.reset_parameters()
        if self.gate is not None:
            self.gate.reset_parameters()

    def forward(self, codes: Sequence[Tensor]) -> Tensor:
        if len(codes) != self.n_views:
            raise ValueError(
                f"codes must hold one tensor per view ({self.n_views}); got {len(codes)}"
            )
        for v, code in enumerate(codes):
            if code.ndim != 2 or code.shape[1] != self.in_features:
                raise ValueError(
                    f"codes[{v}] must have shape [B, {self.in_features}]; "
                    f"got {tuple(code.shape)}"
                )
        if self.mode == "average":
            return self.linear(torch.stack(list(codes)).mean(0))
        joint = torch.cat(list(codes), dim=1)
        if self.mode == "concat":
            return self.linear(joint)
        weights = torch.softmax(self.gate(joint), dim=1)  # [B, V]
        mixed = torch.einsum("bv,vbd->bd", weights, torch.stack(list(codes)))
        return self.linear(mixed)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(n_views={self.n_views}, {self.in_features}, "
                f"{self.out_features}, mode={self.mode!r})")


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
