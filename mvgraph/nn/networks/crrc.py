r"""The CRRC network: view autoencoders, the global MLP :math:`\Phi`, the view maps
:math:`\Psi^v` and the cross-view recalibration, with the terms of CRRC's loss (Eq. 13)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch_geometric.nn import MLP

from mvgraph.losses import info_nce, reconstruction_loss
from mvgraph.nn.autoencoder import ViewAutoencoders
from mvgraph.nn.recalibration import CrossViewRecalibration
from mvgraph.utils.presence import count_rows, rows_with

# The recalibration of each ablation row as (aggregation, gate, fusion); () for none, so that
# the contrast sees the plain R^v; None for no recalibration and no contrast. Rows of the
# paper's ablation (Tables 2 and 3), whose columns are RF (residual fusion), ACW
# (attention weighting), DGF (dynamic gating); a variant without RF fuses by
# concatenation (M5: "replaces RF with direct concatenation"), without ACW weights the
# other views equally, without DGF lets the whole complement through. "contrast-only" is
# not a row of the paper: it is the contrast of Eq. 12 with every module removed.
RECALIBRATIONS: dict[str, tuple[str, ...] | None] = {
    "full": ("attention", "dynamic", "residual"),  # CRRC: RF + ACW + DGF
    "reconstruction": None,  # M1: L_rec only
    "attention": ("attention", "none", "concat"),  # M2: ACW only
    "gating": ("mean", "dynamic", "concat"),  # M3: DGF only
    "residual": ("mean", "none", "residual"),  # M4: RF only
    "concat": ("attention", "dynamic", "concat"),  # M5: ACW + DGF, concatenation for RF
    "no-gate": ("attention", "none", "residual"),  # M6: RF + ACW
    "no-attention": ("mean", "dynamic", "residual"),  # M7: RF + DGF
    "contrast-only": (),  # L_rec + L_cm with R̂^v = R^v
}


class CRRCNetwork(nn.Module):
    r"""View autoencoders :math:`\mathbf{Z}^v = f^v(\mathbf{X}^v)` (Eq. 1), the global MLP
    :math:`\mathbf{H} = \Phi([\mathbf{Z}^1; \dots; \mathbf{Z}^m])` (Eq. 3), the view maps
    :math:`\mathbf{R}^v = \Psi^v(\mathbf{Z}^v)` (Eq. 4) and the recalibration head
    (:class:`~mvgraph.nn.CrossViewRecalibration`, ``None`` without recalibration);
    ``contrast`` says whether the row trains with the contrast of Eq. 12.

    With missing views (a ``presence`` mask ``[B, V]`` beside views whose absent rows
    were imputed), the reconstruction and each view's contrast run over the samples that
    have the view.

    Args:
        dims: input dimension of every view (at least two views).
        recalibration: a key of :data:`RECALIBRATIONS`.
        hidden: encoder hidden widths (decoders mirror them; paper Fc500–Fc500–Fc2000).
        latent_dim: width of each view's latent :math:`\mathbf{Z}^v`.
        fusion_hidden: hidden width of :math:`\Phi`.
        feature_dim: width :math:`d` of :math:`\mathbf{H}` and :math:`\mathbf{R}^v`.
        gate_hidden: hidden width of the gate network.
    """

    def __init__(
        self,
        dims: Sequence[int],
        *,
        recalibration: str = "full",
        hidden: Sequence[int] = (500, 500, 2000),
        latent_dim: int = 64,
        fusion_hidden: int = 256,
        feature_dim: int = 20,
        gate_hidden: int = 128,
    ) -> None:
        super().__init__()
        if len(dims) < 2:
            raise ValueError(f"CRRC needs at least two views; got {len(dims)}")
        if recalibration not in RECALIBRATIONS:
            raise ValueError(
                f"recalibration must be one of {', '.join(RECALIBRATIONS)}; "
                f"got {recalibration!r}"
            )
        self.autoencoders = ViewAutoencoders(dims, latent_dim, tuple(hidden))
        self.global_head = MLP(
            [len(dims) * latent_dim, fusion_hidden, feature_dim], act="relu", norm=None
        )
        self.view_heads = nn.ModuleList(nn.Linear(latent_dim, feature_dim) for _ in dims)
        spec = RECALIBRATIONS[recalibration]
        self.contrast = spec is not None
        self.recalibration = (
            None
            if not spec
            else CrossViewRecalibration(
                feature_dim,
                len(dims),
                aggregation=spec[0],
                gate=spec[1],
                fusion=spec[2],
                gate_hidden=gate_hidden,
            )
        )

    def global_representation(self, latents: list[Tensor]) -> Tensor:
        r""":math:`\mathbf{H} = \Phi([\mathbf{Z}^1; \dots; \mathbf{Z}^m])`, ``[n, d]``."""
        return self.global_head(torch.cat(latents, dim=1))

    def view_representations(self, latents: list[Tensor]) -> list[Tensor]:
        r""":math:`\mathbf{R}^v = \Psi^v(\mathbf{Z}^v)`, one ``[n, d]`` per view."""
        return [head(z) for head, z in zip(self.view_heads, latents, strict=True)]

    def embed(self, views: list[Tensor]) -> Tensor:
        r"""The clustering embedding :math:`\mathbf{H}` of a batch of views."""
        return self.global_representation(self.autoencoders.encode(views))

    def recalibration_summary(self, views: list[Tensor]) -> Tensor:
        r"""Per sample, the mean gate of every view over the channels and the recalibration
        weights :math:`\alpha^{(k)}_v`, ``[B, m + m·m]`` (needs a recalibration head)."""
        latents = self.autoencoders.encode(views)
        parts = self.recalibration.parts(
            self.global_representation(latents), self.view_representations(latents)
        )
        return torch.cat([parts.gates.mean(-1), parts.weights.flatten(1)], dim=1)

    def reconstruction_terms(self, views: list[Tensor], *, reduction: str = "sum",
                             presence: Tensor | None = None) -> dict[str, Tensor]:
        r"""The pretraining loss, ``reconstruction`` = :math:`\mathcal{L}_{rec} =
        \frac{1}{B}\sum_v \sum_i \lVert \mathbf{x}^v_i - \hat{\mathbf{x}}^v_i \rVert^2`
        (Eq. 2 over a batch; ``reduction="mean"`` also averages over the features, see
        :func:`~mvgraph.losses.reconstruction_loss`)."""
        rebuilt = self.autoencoders.decode(self.autoencoders.encode(views))
        return {"reconstruction": reconstruction_loss(rebuilt, views, reduction, presence)}

    def terms(
        self,
        views: list[Tensor],
        *,
        temperature: float,
        lambda_cm: float,
        targets: Sequence[str] = ("plain", "recalibrated"),
        reduction: str = "sum",
        presence: Tensor | None = None,
    ) -> dict[str, Tensor]:
        r"""The weighted terms of CRRC's joint loss (Eq. 13) on a batch of rows.

        Args:
            views: the batch of every view ``[B, d_v]``.
            temperature: :math:`\tau`.
            lambda_cm: :math:`\lambda`.
            targets: what :math:`\mathbf{H}` is contrasted with: ``"recalibrated"``
                (:math:`\hat{\mathbf{R}}^v`, Eq. 12 as printed) and/or ``"plain"``
                (:math:`\mathbf{R}^v`); the contrast of view :math:`v` is the mean of
                ``info_nce(H, T^v, temperature)`` over them.
            reduction: of :math:`\mathcal{L}_{rec}`, see :meth:`reconstruction_terms`.
            presence: which row has which view ``[B, V]`` (``None``: all of them); view
                :math:`v`'s contrast runs over the rows that have it.

        Returns:
            ``reconstruction`` = :math:`\mathcal{L}_{rec}` and, unless the row is
            reconstruction only, ``contrast`` = :math:`\lambda \sum_v \mathcal{L}_{cm}^v`.
            Without recalibration :math:`\hat{\mathbf{R}}^v = \mathbf{R}^v`.
        """
        latents = self.autoencoders.encode(views)
        rebuilt = self.autoencoders.decode(latents)
        terms = {"reconstruction": reconstruction_loss(rebuilt, views, reduction, presence)}
        if self.contrast:
            global_rep = self.global_representation(latents)
            plain = self.view_representations(latents)
            recalibrated = (
                plain if self.recalibration is None else self.recalibration(global_rep, plain)
            )
            chosen = {"plain": plain, "recalibrated": recalibrated}
            rows = [rows_with(presence, v) for v in range(len(views))]
            contrast = sum((info_nce(global_rep[rows[v]], rep[rows[v]], temperature)
                            for name in targets for v, rep in enumerate(chosen[name])
                            if count_rows(rows[v], len(global_rep)) > 1),
                           global_rep.new_zeros(())) / len(targets)
            terms["contrast"] = lambda_cm * contrast
        return terms
