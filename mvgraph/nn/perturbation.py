r"""Learnable Gaussian perturbation of anchors (DMAC's perturbation generation network)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class AnchorPerturbation(nn.Module):
    r"""Moves anchors by a learned, reparameterised Gaussian perturbation.

    .. math::
        \boldsymbol{\mu} = \operatorname{PReLU}(\hat{\mathbf{U}}\mathbf{W}_\mu +
        \mathbf{b}_\mu), \quad
        \boldsymbol{\sigma} = \operatorname{ReLU}(\hat{\mathbf{U}}\mathbf{W}_\sigma +
        \mathbf{b}_\sigma), \quad
        \boldsymbol{\epsilon} \sim \mathcal{N}(\mathbf{0}, \mathbf{I}),

    .. math::
        \mathbf{U} = \operatorname{normalize}(\hat{\mathbf{U}} + \boldsymbol{\mu} +
        \boldsymbol{\sigma} \odot \boldsymbol{\epsilon})

    (DMAC Eqs. 3–6, with the row L2 normalisation of its reference code). The ReLU keeps
    :math:`\boldsymbol{\sigma} \ge 0`; :math:`\boldsymbol{\epsilon}` is drawn afresh from
    the global torch generator at every call, so gradients reach
    :math:`\mathbf{W}_\mu, \mathbf{W}_\sigma` and the PReLU slopes (one per channel, 0.25
    at start) through the reparameterisation. The initial anchors are treated as data.

    Args:
        channels: anchor dimension :math:`d`.

    Shapes:
        - **input:** initial anchors :math:`(m, d)`
        - **output:** perturbed anchors :math:`(m, d)`, rows of unit norm
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.mu = nn.Linear(channels, channels)
        self.mu_activation = nn.PReLU(channels, init=0.25)
        self.sigma = nn.Linear(channels, channels)

    def reset_parameters(self) -> None:
        self.mu.reset_parameters()
        self.sigma.reset_parameters()
        self.mu_activation.reset_parameters()

    def forward(self, anchors: Tensor) -> Tensor:
        if anchors.ndim != 2 or anchors.shape[1] != self.channels:
            raise ValueError(
                f"anchors must have shape [m, {self.channels}]; got {tuple(anchors.shape)}"
            )
        anchors = anchors.detach()
        mu = self.mu_activation(self.mu(anchors))
        sigma = F.relu(self.sigma(anchors))
        noise = torch.randn(anchors.shape, dtype=anchors.dtype, device=anchors.device)
        return F.normalize(anchors + mu + sigma * noise, dim=1)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.channels})"
