r"""Cross-view recalibration of view representations (CRRC's recalibration head).

Every view's representation :math:`\mathbf{R}^v` is recalibrated with the complementary
information of the other views, :math:`\mathbf{G}_v = \sum_{k \ne v}
\alpha^{(k)}_v \mathbf{R}^k`, let through by a gate :math:`\mathbf{g}_v` and merged by a
fusion rule. Each of the three parts has a named choice, so the full head and its
ablations are one module:

- ``aggregation``: ``"attention"`` (weights from a query on a global representation,
  CRRC Eqs. 9–10) or ``"mean"`` (equal weights :math:`1/(m-1)`);
- ``gate``: ``"dynamic"`` (:math:`\sigma(\mathbf{W}_2\,\mathrm{ReLU}(\mathbf{W}_1
  [\mathbf{R}^v; \mathbf{G}_v] + \mathbf{b}_1) + \mathbf{b}_2)`, Eq. 7) or ``"none"``
  (:math:`\mathbf{g}_v = \mathbf{1}`);
- ``fusion``: ``"residual"`` (:math:`\hat{\mathbf{R}}^v = \mathbf{R}^v + \mathbf{g}_v
  \odot \mathbf{G}_v`, Eq. 11) or ``"concat"`` (:math:`\hat{\mathbf{R}}^v =
  \mathbf{W}_c[\mathbf{R}^v; \mathbf{g}_v \odot \mathbf{G}_v] + \mathbf{b}_c`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch_geometric.nn import MLP

AGGREGATIONS = ("attention", "mean")
GATES = ("dynamic", "none")
FUSIONS = ("residual", "concat")


class RecalibrationParts(NamedTuple):
    """The intermediate tensors of one recalibration, ``m`` views, batch ``B``, width ``d``.

    Attributes:
        weights: :math:`\\alpha`, ``[B, m, m]``; ``weights[i, v, k]`` is the weight of view
            ``k`` in recalibrating view ``v`` for sample ``i`` (0 on ``k == v``, rows sum
            to 1).
        complements: :math:`\\mathbf{G}_v`, ``[B, m, d]``.
        gates: :math:`\\mathbf{g}_v`, ``[B, m, d]`` in :math:`[0, 1]` (all ones without a
            gate).
        outputs: :math:`\\hat{\\mathbf{R}}^v`, ``[B, m, d]``.
    """

    weights: Tensor
    complements: Tensor
    gates: Tensor
    outputs: Tensor


class CrossViewRecalibration(nn.Module):
    r"""Recalibrates each view's representation with the other views' (CRRC §3.3–3.4).

    With ``aggregation="attention"`` the query is :math:`\mathbf{Q} = \mathbf{W}_q
    \mathbf{H}` (one bias-free :math:`d \times d` map shared by the views) and, per
    sample,

    .. math::
        \alpha^{(k)}_v = \frac{\exp(\langle \mathbf{R}^k, \mathbf{Q} \rangle / \sqrt{d})}
        {\sum_{j \ne v} \exp(\langle \mathbf{R}^j, \mathbf{Q} \rangle / \sqrt{d})},
        \qquad k \ne v .

    The paper calls it scaled dot-product attention but prints Eq. 9 without the
    :math:`\sqrt{d}`; the scale is applied here. Keys and values are the
    :math:`\mathbf{R}^k` themselves (no projections). With two views the weight of the
    single other view is 1 whatever the query, so ``"attention"`` and ``"mean"``
    coincide. The gate network (``gate_hidden`` wide) and the concatenation map are
    shared by all views, as Eq. 7 writes one :math:`\mathbf{W}_1, \mathbf{W}_2`.

    Args:
        channels: width :math:`d` of the global and view representations.
        n_views: number of views :math:`m \ge 2`.
        aggregation: ``"attention"`` or ``"mean"``.
        gate: ``"dynamic"`` or ``"none"``.
        fusion: ``"residual"`` or ``"concat"``.
        gate_hidden: hidden width :math:`h` of the gate network.

    Shapes:
        - **input:** global :math:`\mathbf{H}` :math:`(B, d)` (only read by
          ``"attention"``) and one :math:`\mathbf{R}^v` :math:`(B, d)` per view
        - **output:** one :math:`\hat{\mathbf{R}}^v` :math:`(B, d)` per view
    """

    def __init__(
        self,
        channels: int,
        n_views: int,
        *,
        aggregation: str = "attention",
        gate: str = "dynamic",
        fusion: str = "residual",
        gate_hidden: int = 128,
    ) -> None:
        super().__init__()
        for name, value in (("channels", channels), ("gate_hidden", gate_hidden)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        if not isinstance(n_views, int) or isinstance(n_views, bool) or n_views < 2:
            raise ValueError(
                f"n_views must be an integer >= 2 (a view is recalibrated by the others); "
                f"got {n_views!r}"
            )
        for name, value, choices in (
            ("aggregation", aggregation, AGGREGATIONS),
            ("gate", gate, GATES),
            ("fusion", fusion, FUSIONS),
        ):
            if value not in choices:
                raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
        self.channels = channels
        self.n_views = n_views
        self.aggregation = aggregation
        self.gate = gate
        self.fusion = fusion
        attention = aggregation == "attention"
        self.query = nn.Linear(channels, channels, bias=False) if attention else None
        self.gate_network = (
            MLP([2 * channels, gate_hidden, channels], act="relu", norm=None)
            if gate == "dynamic"
            else None
        )
        self.merge = nn.Linear(2 * channels, channels) if fusion == "concat" else None

    def reset_parameters(self) -> None:
        for part in (self.query, self.gate_network, self.merge):
            if part is not None:
                part.reset_parameters()

    def forward(self, global_rep: Tensor, view_reps: Sequence[Tensor]) -> list[Tensor]:
        """The recalibrated representation of every view."""
        return list(self.parts(global_rep, view_reps).outputs.unbind(1))

    def parts(self, global_rep: Tensor, view_reps: Sequence[Tensor]) -> RecalibrationParts:
        """Weights, complements, gates and outputs of the recalibration."""
        reps = self._stack(global_rep, view_reps)  # [B, m, d]
        batch, m, d = reps.shape
        others = ~torch.eye(m, dtype=torch.bool, device=reps.device)  # [v, k]
        if self.query is not None:
            scores = (reps @ self.query(global_rep).unsqueeze(-1)).squeeze(-1) / math.sqrt(d)
            scores = scores.unsqueeze(1).expand(batch, m, m).masked_fill(~others, float("-inf"))
            weights = torch.softmax(scores, dim=-1)
        else:
            weights = (others.to(reps.dtype) / (m - 1)).expand(batch, m, m)
        complements = weights @ reps
        if self.gate_network is not None:
            gates = torch.sigmoid(self.gate_network(torch.cat([reps, complements], dim=-1)))
        else:
            gates = torch.ones_like(complements)
        residual = gates * complements
        if self.merge is not None:
            outputs = self.merge(torch.cat([reps, residual], dim=-1))
        else:
            outputs = reps + residual
        return RecalibrationParts(weights, complements, gates, outputs)

    def _stack(self, global_rep: Tensor, view_reps: Sequence[Tensor]) -> Tensor:
        if len(view_reps) != self.n_views:
            raise ValueError(
                f"view_reps must hold one tensor per view ({self.n_views}); got {len(view_reps)}"
            )
        expected = (global_rep.shape[0], self.channels)
        for name, x in (("global_rep", global_rep), *(
            (f"view_reps[{v}]", r) for v, r in enumerate(view_reps)
        )):
            if x.ndim != 2 or tuple(x.shape) != expected:
                raise ValueError(
                    f"{name} must have shape [B, {self.channels}] with the batch of "
                    f"global_rep, {list(expected)}; got {list(x.shape)}"
                )
        return torch.stack(list(view_reps), dim=1)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.channels}, n_views={self.n_views}, "
            f"aggregation={self.aggregation!r}, gate={self.gate!r}, fusion={self.fusion!r})"
        )
