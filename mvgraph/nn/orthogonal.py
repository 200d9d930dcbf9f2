r"""Linear projection whose output columns are made orthonormal by a QR decomposition."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class OrthogonalProjection(nn.Module):
    r"""Projects a batch linearly and orthonormalises the columns of the result.

    .. math::
        \mathbf{Y} = \mathbf{Z}\mathbf{W} + \mathbf{b}, \qquad
        \mathbf{Y} = \mathbf{Q}\mathbf{R} \;\text{(reduced QR)}, \qquad
        \text{output} = \mathbf{Q}, \quad \mathbf{Q}^\top\mathbf{Q} = \mathbf{I}

    BMvC's clustering projection layer (Sec. 3.2.1): the view-specific clustering
    indicators :math:`\mathbf{C}^s` are orthonormal over the batch. :math:`\mathbf{Q}`
    spans the column space of :math:`\mathbf{Y}`, so :math:`\mathbf{Q}\mathbf{Q}^\top`
    (and the cosine similarities of its rows) does not depend on the sign convention of
    the decomposition. Gradients flow through ``torch.linalg.qr``; the columns of
    :math:`\mathbf{Y}` must be linearly independent for them to be finite.

    Args:
        in_features: input width :math:`d`.
        out_features: number of indicator columns :math:`c`.
        bias: learn the offset :math:`\mathbf{b}` (the reference code does).

    Shapes:
        - **input:** :math:`(B, d)` with :math:`B \ge c`
        - **output:** :math:`(B, c)` with orthonormal columns
    """

    def __init__(self, in_features: int, out_features: int, *, bias: bool = True) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        self.in_features = in_features
        self.out_features = out_features
        self.linear = nn.Linear(in_features, out_features, bias=bias)

    def reset_parameters(self) -> None:
        self.linear.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"x must have shape [B, {self.in_features}]; got {tuple(x.shape)}")
        if x.shape[0] < self.out_features:
            raise ValueError(
                f"x must have at least out_features={self.out_features} rows for "
                f"{self.out_features} orthonormal columns; got {x.shape[0]}"
            )
        q, _ = torch.linalg.qr(self.linear(x), mode="reduced")
        return q

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_features}, {self.out_features})"
