r"""The BMvC network (Li, Wang, Tang et al.): view autoencoders whose decoders read the joint
code, the fusion layer and one orthogonal clustering projection per view, with the terms of
BMvC's loss (Eq. 6)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from mvgraph.graphs import average_graphs, unit_diagonal_can
from mvgraph.losses import reconstruction_loss, vcr_loss
from mvgraph.nn.autoencoder import ViewAutoencoders
from mvgraph.nn.fusion import ViewFusion
from mvgraph.nn.orthogonal import OrthogonalProjection
from mvgraph.utils.presence import count_rows, rows_with


class BMvCNetwork(nn.Module):
    r"""View codes :math:`\mathbf{Z}^s` (D–192–128–64, ReLU after every layer), their fusion
    :math:`\mathbf{F}` (:class:`~mvgraph.nn.ViewFusion`), one decoder per view reading
    :math:`\mathbf{F}`, and one QR-orthonormal projection per view
    (:class:`~mvgraph.nn.OrthogonalProjection`) giving the indicators :math:`\mathbf{C}^s`.

    With missing views (a ``presence`` mask ``[B, V]`` beside views whose absent rows
    were imputed), view :math:`s`'s reconstruction and VCR term run over the samples that
    have it, against its graph over those samples.

    Args:
        dims: input dimension of every view.
        n_clusters: indicator columns :math:`c`.
        hidden: encoder hidden widths (the decoders use them reversed).
        latent_dim: width of each view code :math:`\mathbf{Z}^s`.
        embedding_dim: width of the joint code :math:`\mathbf{F}`.
        fusion: ``"concat"``, ``"average"`` or ``"weighted"``, see
            :class:`~mvgraph.nn.ViewFusion`.
        decoders: build the decoders (``False`` for the VCR-only ablation).
        projections: build the clustering projections (``False`` for reconstruction
            only).
    """

    def __init__(
        self,
        dims: Sequence[int],
        n_clusters: int,
        *,
        hidden: Sequence[int] = (192, 128),
        latent_dim: int = 64,
        embedding_dim: int = 96,
        fusion: str = "concat",
        decoders: bool = True,
        projections: bool = True,
    ) -> None:
        super().__init__()
        self.autoencoders = ViewAutoencoders(
            dims, latent_dim, tuple(hidden), latent_activation=True, decoder_in=embedding_dim
        )
        if not decoders:
            self.autoencoders.decoders = None
        self.fusion = ViewFusion(len(dims), latent_dim, embedding_dim, mode=fusion)
        self.projections = (
            nn.ModuleList(OrthogonalProjection(latent_dim, n_clusters) for _ in dims)
            if projections
            else None
        )

    def forward(self, views: list[Tensor]) -> tuple[list[Tensor], Tensor]:
        r"""View codes :math:`\mathbf{Z}^s` ``[B, latent_dim]`` and the joint code
        :math:`\mathbf{F}` ``[B, embedding_dim]``."""
        codes = self.autoencoders.encode(views)
        return codes, self.fusion(codes)

    def terms(
        self,
        views: list[Tensor],
        view_graphs: list[tuple[Tensor, Tensor]] | None,
        *,
        k: int,
        vcr_weight: float,
        cutoff: str = "kth",
        self_pairs: bool = False,
        presence: Tensor | None = None,
    ) -> dict[str, Tensor]:
        r"""The weighted terms of BMvC's loss (Eq. 6) on a batch of rows.

        Args:
            views: the batch of every view ``[B, d_s]``.
            view_graphs: the raw-view graphs :math:`\mathbf{G}^s` restricted to the batch
                rows that have view :math:`s` (unit diagonal), as edges in the positions of
                those rows, sorted as :func:`~mvgraph.graphs.average_graphs` needs (``None``
                without projections).
            k: neighbours of the CAN graph of :math:`\mathbf{F}`
                (:func:`~mvgraph.graphs.unit_diagonal_can`).
            vcr_weight: :math:`\lambda`.
            cutoff: CAN cutoff, see :func:`~mvgraph.graphs.adaptive_neighbor_weights`.
            self_pairs: count the self pairs in VCR's positive term, see
                :func:`~mvgraph.losses.vcr_loss`.
            presence: which row has which view ``[B, V]`` (``None``: all of them); the
                joint graph of view :math:`s`'s term is the CAN graph of :math:`\mathbf{F}`
                over the rows that have it (a view fewer than ``k + 2`` rows have adds
                nothing).

        Returns:
            ``reconstruction`` = :math:`\sum_s \operatorname{MSE}` (with decoders) and
            ``vcr`` = :math:`\lambda \sum_s \zeta(\mathbf{C}^s, \tfrac12(\mathbf{G}^s +
            \bar{\mathbf{G}}))` (with projections).
        """
        codes, joint = self(views)
        terms: dict[str, Tensor] = {}
        if self.autoencoders.decoders is not None:
            terms["reconstruction"] = reconstruction_loss(self.autoencoders.decode(joint), views,
                                                          presence=presence)
        if self.projections is not None:
            if view_graphs is None or len(view_graphs) != len(views):
                raise ValueError("view_graphs must hold one graph per view")
            # complete rows share one joint graph; otherwise each view has its own
            shared = unit_diagonal_can(joint, k, cutoff=cutoff) if presence is None else None
            regulariser = joint.new_zeros(())
            for s, (projection, code, graph) in enumerate(
                    zip(self.projections, codes, view_graphs, strict=True)):
                rows = rows_with(presence, s)
                b = count_rows(rows, joint.shape[0])
                if presence is not None and b < k + 2:
                    continue
                joint_graph = (shared if shared is not None
                               else unit_diagonal_can(joint[rows], k, cutoff=cutoff))
                regulariser = regulariser + vcr_loss(
                    projection(code[rows]), average_graphs(graph, joint_graph, b),
                    self_pairs=self_pairs)
            terms["vcr"] = vcr_weight * regulariser
        return terms
