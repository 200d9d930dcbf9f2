r"""Heads that sit on a representation: projection and prediction heads for contrastive or
siamese alignment, and clustering heads trained by DDC or DEC.

- :class:`ProjectionHead`: Linear–BN–ReLU–Linear(–BN): the SimCLR/SimSiam projector, or
  without the final BN the SimSiam predictor.
- :class:`DDCHead`: Linear–ReLU–BN to a hidden layer, then Linear–softmax to :math:`k`
  cluster probabilities; returns both (the DDC kernel is built on the hidden layer).
- :class:`DECHead`: learnable centroids and the Student-t soft assignment.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mvgraph.losses.dec import student_t_assignment
from mvgraph.utils.validation import check_number


def _check_widths(**widths: int) -> None:
    for name, value in widths.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")


class ProjectionHead(nn.Module):
    r"""Two-layer head with batch normalisation on the hidden layer and, optionally, on
    the output: SimCLR's and SimSiam's projector (``output_norm=True``) and SimSiam's
    bottleneck predictor (``output_norm=False``).

    .. math::
        \mathbf{p} = \operatorname{BN}_{\text{opt}}(\mathbf{W}_2\,
        \operatorname{ReLU}(\operatorname{BN}(\mathbf{W}_1\mathbf{x} + \mathbf{b}_1))
        + \mathbf{b}_2)

    Shapes:
        - **input:** :math:`(B, \text{in\_features})`, :math:`B \ge 2` in training mode
        - **output:** :math:`(B, \text{out\_features})`
    """

    def __init__(
        self, in_features: int, hidden_features: int, out_features: int, *,
        output_norm: bool = True,
    ) -> None:
        super().__init__()
        _check_widths(
            in_features=in_features, hidden_features=hidden_features, out_features=out_features
        )
        layers = [
            nn.Linear(in_features, hidden_features),
            nn.BatchNorm1d(hidden_features),
            nn.ReLU(),
            nn.Linear(hidden_features, out_features),
        ]
        if output_norm:
            layers.append(nn.BatchNorm1d(out_features))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


class DDCHead(nn.Module):
    r"""DDC clustering head (Kampffmeyer et al. 2019, as in the CONAN and DDC code).

    .. math::
        \mathbf{h} = \operatorname{BN}(\operatorname{ReLU}(\mathbf{W}_1\mathbf{z} +
        \mathbf{b}_1)), \qquad
        \mathbf{a} = \operatorname{softmax}((\mathbf{W}_2\mathbf{h} + \mathbf{b}_2) / T)

    Train it with :func:`~mvgraph.losses.ddc_loss` ``(a, h)``. The temperature
    :math:`T` (1 in DDC and CONAN) leaves the argmax unchanged; above 1 the logits must
    grow :math:`T` times larger for the same confidence, which slows the saturation of
    the assignments.

    Shapes:
        - **input:** :math:`(B, \text{in\_features})`
        - **output:** assignments :math:`(B, k)` (rows on the simplex) and the hidden
          layer :math:`(B, \text{hidden\_features})`
    """

    def __init__(self, in_features: int, hidden_features: int, n_clusters: int, *,
                 temperature: float = 1.0) -> None:
        super().__init__()
        _check_widths(
            in_features=in_features, hidden_features=hidden_features, n_clusters=n_clusters
        )
        check_number("temperature", temperature, positive=True)
        self.temperature = temperature
        self.hidden = nn.Sequential(
            nn.Linear(in_features, hidden_features),
            nn.ReLU(),
            nn.BatchNorm1d(hidden_features),
        )
        self.output = nn.Linear(hidden_features, n_clusters)

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        hidden = self.hidden(z)
        return torch.softmax(self.output(hidden) / self.temperature, dim=1), hidden


class DECHead(nn.Module):
    r"""DEC clustering head: :math:`k` learnable centroids :math:`\boldsymbol{\mu}_j` and
    the Student-t soft assignment :func:`~mvgraph.losses.student_t_assignment`.

    The centroids start Xavier-uniform; DEC initialises them by k-means on the embedding
    (:meth:`set_centroids`). Train with :func:`~mvgraph.losses.dec_loss`.

    Shapes:
        - **input:** :math:`(B, \text{in\_features})`
        - **output:** :math:`(B, k)`, rows on the simplex
    """

    def __init__(self, in_features: int, n_clusters: int, alpha: float = 1.0) -> None:
        super().__init__()
        _check_widths(in_features=in_features, n_clusters=n_clusters)
        self.alpha = alpha
        self.centroids = nn.Parameter(torch.empty(n_clusters, in_features))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.centroids)

    @torch.no_grad()
    def set_centroids(self, centroids: Tensor) -> None:
        """Overwrite the centroids with ``centroids`` ``[k, in_features]``."""
        if tuple(centroids.shape) != tuple(self.centroids.shape):
            raise ValueError(
                f"centroids must have shape {tuple(self.centroids.shape)}; "
                f"got {tuple(centroids.shape)}"
            )
        self.centroids.copy_(centroids)

    def forward(self, z: Tensor) -> Tensor:
        return student_t_assignment(z, self.centroids, self.alpha)

    def extra_repr(self) -> str:
        k, d = self.centroids.shape
        return f"in_features={d}, n_clusters={k}, alpha={self.alpha}"
