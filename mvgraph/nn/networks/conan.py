r"""The CONAN network (Ke et al., IEEE BigData 2021): view encoders, the fusion MLP, a
clustering head, and the projection (and SimSiam prediction) heads of its contrastive
fusion, with the terms of CONAN's loss (Eq. 9)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch_geometric.nn import MLP
from torch_geometric.nn.dense.linear import Linear as PyGLinear

from mvgraph.cluster import kmeans
from mvgraph.losses import (
    ddc_loss,
    dec_loss,
    nt_xent,
    reconstruction_loss,
    stop_gradient_cosine,
)
from mvgraph.nn.conv_encoder import ConvEncoder
from mvgraph.nn.fusion import ConcatFusion
from mvgraph.nn.heads import DDCHead, DECHead, ProjectionHead
from mvgraph.utils.presence import count_rows, rows_with

CONTRASTS = ("simclr", "simclr-reference", "simsiam", "none")
CLUSTERING_HEADS = ("ddc", "dec", "none")
# Rows per forward pass when the full data is embedded or assigned.
CHUNK_ROWS = 4096


class CONANNetwork(nn.Module):
    r"""View encoders :math:`\mathbf{h}^v = e_v(\mathbf{x}^v)`, the fusion
    :math:`\mathbf{z} = f([\mathbf{h}^1; \dots; \mathbf{h}^V])`
    (:class:`~mvgraph.nn.ConcatFusion`), the clustering head (``None`` for
    ``clustering_head="none"``), the projection head :math:`p` (``None`` without contrast)
    and the prediction head :math:`q` (SimSiam only). :meth:`add_decoders` adds one
    decoder per view, :math:`\hat{\mathbf{x}}^v = d_v(\mathbf{h}^v)`, for autoencoder
    pretraining of the encoders.

    Linear and convolution weights start Xavier-normal with gain √2 and biases at 0, as in
    the reference code.

    With missing views (a ``presence`` mask ``[B, V]`` beside views whose absent rows
    were imputed), the contrast of view :math:`v` runs over the samples that have it.

    Args:
        dims: input dimension of every view.
        n_clusters: number of clusters :math:`k`.
        hidden_dim: width of every :math:`\mathbf{h}^v` and of :math:`\mathbf{z}`.
        encoder_hidden: hidden widths of the fully connected encoders.
        cluster_hidden_dim: hidden width of the DDC head, output width of the projection.
        projection_dim: hidden width of the projection head.
        prediction_dim: hidden width of the prediction head.
        contrast: one of :data:`CONTRASTS`.
        clustering_head: one of :data:`CLUSTERING_HEADS`.
        dec_alpha: Student-t degrees of freedom of the DEC head.
        head_temperature: temperature of the DDC head's softmax
            (:class:`~mvgraph.nn.DDCHead`).
        image_shapes: per view ``None`` (fully connected encoder, ReLU after every layer) or
            ``(C, H, W)`` (:class:`~mvgraph.nn.ConvEncoder` on the reshaped rows).
    """

    def __init__(
        self,
        dims: Sequence[int],
        n_clusters: int,
        *,
        hidden_dim: int = 256,
        encoder_hidden: Sequence[int] = (512, 512),
        cluster_hidden_dim: int = 100,
        projection_dim: int = 256,
        prediction_dim: int = 128,
        contrast: str = "simclr",
        clustering_head: str = "ddc",
        dec_alpha: float = 1.0,
        head_temperature: float = 1.0,
        image_shapes: Sequence[tuple[int, int, int] | None] | None = None,
    ) -> None:
        super().__init__()
        shapes = list(image_shapes) if image_shapes is not None else [None] * len(dims)
        self.contrast = contrast
        self.clustering_head = clustering_head
        self.dims = list(dims)
        self.encoder_hidden = tuple(encoder_hidden)
        self.hidden_dim = hidden_dim
        self.encoders = nn.ModuleList(
            MLP([d, *encoder_hidden, hidden_dim], act="relu", norm=None, plain_last=False)
            if shape is None
            else ConvEncoder(shape, hidden_dim)
            for d, shape in zip(dims, shapes, strict=True)
        )
        self.fusion = ConcatFusion([hidden_dim] * len(dims), hidden_dim)
        self.head: DDCHead | DECHead | None = None
        if clustering_head == "ddc":
            self.head = DDCHead(hidden_dim, cluster_hidden_dim, n_clusters,
                                temperature=head_temperature)
        elif clustering_head == "dec":
            self.head = DECHead(hidden_dim, n_clusters, dec_alpha)
        self.projection = (
            ProjectionHead(hidden_dim, projection_dim, cluster_hidden_dim)
            if contrast != "none"
            else None
        )
        self.predictor = (
            ProjectionHead(
                cluster_hidden_dim, prediction_dim, cluster_hidden_dim, output_norm=False
            )
            if contrast == "simsiam"
            else None
        )
        self.decoders: nn.ModuleList | None = None
        self.apply(_xavier_init)

    def add_decoders(self) -> None:
        """Add one fully connected decoder per view,
        ``[hidden_dim, *reversed(encoder_hidden), d_v]`` (ReLU between layers, a linear
        output) whatever the encoder, initialised as the rest of the network; the other
        modules' weights are left as they are."""
        self.decoders = nn.ModuleList(
            MLP([self.hidden_dim, *reversed(self.encoder_hidden), d], act="relu", norm=None)
            for d in self.dims
        ).to(next(self.parameters()))  # the network's device and dtype
        self.decoders.apply(_xavier_init)

    def encode(self, views: Sequence[Tensor]) -> tuple[list[Tensor], Tensor]:
        r"""View representations :math:`\mathbf{h}^v` ``[n, hidden_dim]`` and the fused
        :math:`\mathbf{z}` ``[n, hidden_dim]``."""
        representations = [encoder(view) for encoder, view in zip(self.encoders, views,
                                                                   strict=True)]
        return representations, self.fusion(representations)

    def embed(self, views: Sequence[Tensor]) -> Tensor:
        r""":math:`\mathbf{z}` ``[n, hidden_dim]``, in blocks of :data:`CHUNK_ROWS` rows."""
        n = views[0].shape[0]
        return torch.cat([
            self.encode([view[start:start + CHUNK_ROWS] for view in views])[1]
            for start in range(0, n, CHUNK_ROWS)
        ])

    def assign(self, z: Tensor) -> Tensor:
        """Soft cluster assignment ``[n, k]`` of the clustering head."""
        if self.head is None:
            raise ValueError("this network has no clustering head (clustering_head='none')")
        if isinstance(self.head, DDCHead):
            return self.head(z)[0]
        return self.head(z)

    def predict(self, z: Tensor) -> Tensor:
        """Hard labels ``[n]`` of the clustering head, in eval mode, without gradient, in
        blocks of :data:`CHUNK_ROWS` rows."""
        self.eval()
        with torch.no_grad():
            return torch.cat([self.assign(z[start:start + CHUNK_ROWS]).argmax(1)
                              for start in range(0, z.shape[0], CHUNK_ROWS)])

    def init_dec_centroids(
        self, views: Sequence[Tensor], batch_size: int, *, n_init: int, random_state: int
    ) -> None:
        r"""DEC centroids = k-means (``n_init`` restarts) on :math:`\mathbf{z}` of the
        current network, computed in training mode batch by batch as the reference code."""
        n = views[0].shape[0]
        starts = list(range(0, n, batch_size))
        if len(starts) > 1 and n - starts[-1] == 1:
            starts.pop()  # batch norm cannot train on one row: fold it into the last batch
        self.train()
        with torch.no_grad():
            z = torch.cat([
                self.encode([view[start:end] for view in views])[1]
                for start, end in zip(starts, [*starts[1:], n])
            ])
        result = kmeans(z, self.head.centroids.shape[0], n_init=n_init,
                        random_state=random_state)
        self.head.set_centroids(torch.as_tensor(result.centroids, device=z.device))

    def reconstruction_terms(
        self, views: Sequence[Tensor], presence: Tensor | None = None
    ) -> dict[str, Tensor]:
        r"""``reconstruction`` = :math:`\sum_v \frac{1}{B}\lVert d_v(e_v(\mathbf{X}^v)) -
        \mathbf{X}^v\rVert_F^2` on a batch (:func:`~mvgraph.losses.reconstruction_loss`,
        summed over the features; with ``presence``, over the rows that have the view)."""
        if self.decoders is None:
            raise ValueError("this network has no decoders; call add_decoders first")
        rebuilt = [decoder(encoder(view)) for encoder, decoder, view
                   in zip(self.encoders, self.decoders, views, strict=True)]
        return {"reconstruction": reconstruction_loss(rebuilt, views, "sum", presence)}

    def head_start_terms(self, views: Sequence[Tensor], targets: Tensor) -> dict[str, Tensor]:
        r"""``head_start`` = the cross-entropy :math:`-\frac{1}{B}\sum_i \log a_{i,t_i}`
        of the clustering head's assignment :math:`\mathbf{a}_i` against target clusters
        :math:`t_i` ``[B]``, which starts the head from a given partition."""
        if self.head is None:
            raise ValueError("this network has no clustering head (clustering_head='none')")
        probabilities = self.assign(self.encode(views)[1])
        chosen = probabilities.gather(1, targets.view(-1, 1)).clamp_min(1e-12)
        return {"head_start": -chosen.log().mean()}

    def terms(
        self,
        views: Sequence[Tensor],
        *,
        contrast_weight: float = 0.01,
        temperature: float = 0.1,
        rel_sigma: float = 0.15,
        presence: Tensor | None = None,
    ) -> dict[str, Tensor]:
        r"""The weighted terms of CONAN's loss (Eq. 9) on a batch.

        The contrasts: ``"simclr"`` is Eq. 4, :math:`2\,`:func:`~mvgraph.losses.nt_xent`
        :math:`(p(\mathbf{z}), p(\mathbf{h}^v), \tau)` (the reference code sums the two
        directional means); ``"simclr-reference"`` is what the reference code computes:
        it joins :math:`p(\mathbf{z})` and :math:`p(\mathbf{h}^v)` along the features and
        splits along the batch, so its positives :math:`(\mathbf{q}_i, \mathbf{q}_{m+i})`,
        :math:`m = \lfloor B/2 \rfloor`, are two different samples; ``"simsiam"`` is
        Eq. 5, :math:`\frac12\mathcal{D}(p(\mathbf{z}), q(p(\mathbf{h}^v))) +
        \frac12\mathcal{D}(p(\mathbf{h}^v), q(p(\mathbf{z})))` with :math:`q` on the
        stop-gradient side, as the paper and its code (so :math:`q` stays at its
        initialisation). With a ``presence`` mask ``[B, V]`` view :math:`v`'s contrast
        runs over the rows that have it (a view fewer than two rows have adds nothing).

        Returns:
            ``ddc`` = :math:`\mathcal{L}_{DDC}` or ``dec`` = :math:`\mathcal{L}_{DEC}` (per
            the clustering head) and ``contrast`` = :math:`\lambda \sum_v
            \mathcal{L}_{contrast}` (unless the contrast is ``"none"``).
        """
        representations, z = self.encode(views)
        present = [(rows, h[rows]) for v, h in enumerate(representations)
                   if count_rows(rows := rows_with(presence, v), len(z)) > 1]
        terms: dict[str, Tensor] = {}
        if isinstance(self.head, DDCHead):
            assignments, hidden = self.head(z)
            terms["ddc"] = ddc_loss(assignments, hidden, rel_sigma)
        elif isinstance(self.head, DECHead):
            terms["dec"] = dec_loss(self.head(z))
        if self.projection is not None:
            projected = self.projection(z)
            contrast = z.new_zeros(())
            if self.contrast == "simclr":
                for rows, h in present:
                    contrast = contrast + 2.0 * nt_xent(projected[rows], self.projection(h),
                                                        temperature)
            elif self.contrast == "simclr-reference":
                for rows, h in present:
                    joined = torch.cat([projected[rows], self.projection(h)], dim=1)
                    half = joined.shape[0] // 2
                    contrast = contrast + 2.0 * nt_xent(
                        joined[:half], joined[half:2 * half], temperature
                    )
            else:
                predicted = self.predictor(projected)
                for rows, h in present:
                    projected_view = self.projection(h)
                    contrast = contrast + 0.5 * (
                        stop_gradient_cosine(projected[rows], self.predictor(projected_view))
                        + stop_gradient_cosine(projected_view, predicted[rows])
                    )
            terms["contrast"] = contrast_weight * contrast
        return terms


def _xavier_init(module: nn.Module) -> None:
    if isinstance(module, (nn.Linear, nn.Conv2d, PyGLinear)):
        nn.init.xavier_normal_(module.weight, gain=math.sqrt(2.0))
        if module.bias is not None:
            nn.init.zeros_(module.bias)
