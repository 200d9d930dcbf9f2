r"""The RAV network (ICLR 2026): one autoencoder per view and a linear cluster head shared
by the views, with the terms of RAV's loss."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mvgraph.losses import (
    marginal_entropy_gap,
    reconstruction_loss,
    relation_alignment,
    view_aware_cluster_loss,
)
from mvgraph.nn.autoencoder import ViewAutoencoders
from mvgraph.utils.presence import count_rows, rows_with


class RAVNetwork(nn.Module):
    r"""One autoencoder per view, :math:`\mathbf{Z}^v = f^v(\mathbf{X}^v)`, and a linear
    cluster head shared by the views, :math:`\mathbf{Q}^v = \operatorname{softmax}
    (\mathbf{Z}^v\mathbf{W} + \mathbf{b})` (``None`` without the cluster-level contrast).

    With missing views (a ``presence`` mask ``[B, V]`` beside views whose absent rows
    were imputed), every term of view :math:`v` (reconstruction, entropy, relation) runs
    over the samples that have it and the contrast of a pair of views over the samples
    that have both.

    Args:
        dims: input dimension of every view.
        n_clusters: number of clusters :math:`K`.
        latent_dim: width of every view's latent :math:`\mathbf{Z}^v` (MFLVC's 512).
        hidden_dims: hidden widths of the encoders (decoders mirrored).
        cluster_head: build the head.
    """

    def __init__(
        self,
        dims: Sequence[int],
        n_clusters: int,
        *,
        latent_dim: int = 512,
        hidden_dims: Sequence[int] = (500, 500, 2000),
        cluster_head: bool = True,
    ) -> None:
        super().__init__()
        self.autoencoders = ViewAutoencoders(dims, latent_dim, tuple(hidden_dims))
        self.head = nn.Linear(latent_dim, n_clusters) if cluster_head else None

    def encode(self, views: list[Tensor]) -> list[Tensor]:
        r"""Latents :math:`\mathbf{Z}^v` ``[n, latent_dim]`` of every view."""
        return self.autoencoders.encode(views)

    def assign(self, latents: list[Tensor]) -> list[Tensor]:
        r"""Soft assignments :math:`\mathbf{Q}^v` ``[n, K]`` (rows sum to 1) of every view."""
        return [torch.softmax(self.head(z), dim=1) for z in latents]

    def embed(self, views: list[Tensor]) -> Tensor:
        r"""The mean soft assignment :math:`\frac{1}{V}\sum_v \mathbf{Q}^v` ``[n, K]``;
        without the head the concatenated normalised latents ``[n, V·latent_dim]``."""
        latents = self.encode(views)
        if self.head is None:
            return torch.cat([F.normalize(z, dim=1) for z in latents], dim=1)
        return torch.stack(self.assign(latents)).mean(0)

    def reconstruction_terms(self, views: list[Tensor],
                             presence: Tensor | None = None) -> dict[str, Tensor]:
        r"""The pretraining loss, ``reconstruction`` = :math:`\mathcal{L}_{REC}`."""
        decoded = self.autoencoders.decode(self.encode(views))
        return {"reconstruction": reconstruction_loss(decoded, views, presence=presence)}

    def terms(
        self,
        views: list[Tensor],
        weights: Tensor,
        *,
        lambda1: float,
        lambda2: float | None,
        sigma: float = 1.0,
        tau_relation: float = 0.5,
        tau_cluster: float = 0.5,
        presence: Tensor | None = None,
    ) -> dict[str, Tensor]:
        r"""The weighted terms of RAV's loss on a batch.

        The relations and the view distances see the latents :math:`\ell_2`-normalised per
        row: raw latents of width 512 put almost every pair at :math:`\exp(-\lVert\cdot
        \rVert^2/\sigma) \approx 0`, unit rows keep :math:`\lVert\cdot\rVert^2 \in [0, 4]`.
        The cluster head sees the raw latents.

        Args:
            views: batch of every view ``[B, d_v]``.
            weights: view-aware weights ``[V, V]`` (:func:`~mvgraph.losses.view_weights`).
            lambda1: weight :math:`\lambda_1` of :math:`\mathcal{L}_Q` (ignored without
                head).
            lambda2: weight :math:`\lambda_2` of :math:`\mathcal{L}_S`; ``None`` leaves it
                out.
            sigma, tau_relation, tau_cluster: :math:`\sigma`, :math:`\tau_F`,
                :math:`\tau_L` (the paper's 1, 0.5, 0.5).
            presence: which row has which view ``[B, V]`` (``None``: all of them).

        Returns:
            ``reconstruction`` = :math:`\mathcal{L}_{REC}`; with a head, ``cluster`` =
            :math:`\lambda_1` × :func:`~mvgraph.losses.view_aware_cluster_loss` and
            ``entropy`` = :math:`\lambda_1 \sum_v (\log K + \sum_j r^v_j\log r^v_j)`;
            unless ``lambda2`` is ``None``, ``relation`` = :math:`\lambda_2\mathcal{L}_S`.
        """
        latents = self.encode(views)
        terms = {"reconstruction": reconstruction_loss(self.autoencoders.decode(latents), views,
                                                       presence=presence)}
        if self.head is not None:
            assignments = self.assign(latents)
            terms["cluster"] = lambda1 * view_aware_cluster_loss(assignments, weights,
                                                                 tau_cluster, presence)
            present = [q[rows] for v, q in enumerate(assignments)
                       if count_rows(rows := rows_with(presence, v), len(q)) > 0]
            terms["entropy"] = lambda1 * sum(marginal_entropy_gap(q) for q in present)
        if lambda2 is not None:
            unit = [F.normalize(z, dim=1) for z in latents]
            terms["relation"] = lambda2 * relation_alignment(unit, sigma, tau_relation,
                                                             presence)
        return terms
