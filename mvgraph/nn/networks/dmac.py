r"""The DMAC network (Wang, Zeng, Chen and Li, AAAI 2025): view encoders and decoders, the
anchor perturbation generator and one anchor cluster head per view, with the terms of
DMAC's losses."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mvgraph.graphs import anchor_graph
from mvgraph.losses import anchor_entropy, mutual_information, reconstruction_loss
from mvgraph.nn.agcn import AnchorClusterHead
from mvgraph.nn.autoencoder import ViewAutoencoders
from mvgraph.nn.perturbation import AnchorPerturbation
from mvgraph.utils.presence import count_rows, rows_with


class DMACNetwork(nn.Module):
    r"""View encoders and decoders (Linear–LeakyReLU–Linear–LeakyReLU both ways, as the
    reference code), the anchor perturbation generator
    (:class:`~mvgraph.nn.AnchorPerturbation`, ``None`` without perturbation) and one
    :class:`~mvgraph.nn.AnchorClusterHead` per view (``None`` without consistency or with a
    single view).

    With missing views (a ``presence`` mask ``[B, V]`` beside views whose absent rows
    were imputed), view :math:`a`'s anchor graph, anchor entropy, structure term and
    reconstruction are over the samples that have it (a view no row of the batch has adds
    nothing).

    Args:
        dims: input dimension of every view.
        n_clusters: number of clusters :math:`c`.
        hidden_dim: encoder/decoder hidden width.
        embedding_dim: embedding width :math:`d`.
        agcn_hidden: hidden width of the anchor graph convolutions.
        perturbation: build the perturbation generator.
        consistency: build the anchor cluster heads.
    """

    def __init__(
        self,
        dims: Sequence[int],
        n_clusters: int,
        *,
        hidden_dim: int = 256,
        embedding_dim: int = 64,
        agcn_hidden: int = 16,
        perturbation: bool = True,
        consistency: bool = True,
    ) -> None:
        super().__init__()
        self.autoencoders = ViewAutoencoders(
            dims, embedding_dim, (hidden_dim,), act="leaky_relu", latent_activation=True,
            output_activation=True,
        )
        self.perturbation = AnchorPerturbation(embedding_dim) if perturbation else None
        self.heads = (
            nn.ModuleList(AnchorClusterHead(embedding_dim, agcn_hidden, n_clusters) for _ in dims)
            if consistency and len(dims) > 1
            else None
        )

    def encode(self, views: list[Tensor]) -> tuple[list[Tensor], Tensor]:
        r"""View embeddings :math:`\mathbf{Z}^{(a)}` ``[n, d]`` (rows of unit norm) and the
        fused :math:`\mathbf{Z} = \operatorname{normalize}(\text{mean}_a\,\mathbf{Z}^{(a)})`."""
        embeddings = [F.normalize(z, dim=1) for z in self.autoencoders.encode(views)]
        fused = F.normalize(torch.stack(embeddings).mean(0), dim=1)
        return embeddings, fused

    def embed(self, views: list[Tensor]) -> Tensor:
        r"""The fused embedding :math:`\mathbf{Z}` ``[n, d]``."""
        return self.encode(views)[1]

    def reconstruct(self, fused: Tensor) -> list[Tensor]:
        """Row-normalised reconstruction ``[n, d_v]`` of every view from the fused ``[n, d]``."""
        return [F.normalize(x, dim=1) for x in self.autoencoders.decode(fused)]

    def anchors(self, initial: Tensor) -> Tensor:
        r"""Anchors :math:`\mathbf{U}` ``[m, d]`` from the k-means anchors ``initial``:
        perturbed by the generator, or only row-normalised without it."""
        if self.perturbation is None:
            return F.normalize(initial, dim=1)
        return self.perturbation(initial)

    def reconstruction_terms(self, views: list[Tensor],
                             presence: Tensor | None = None) -> dict[str, Tensor]:
        r"""The pretraining loss :math:`\sum_v \operatorname{MSE}(\operatorname{normalize}
        (\mathbf{X}^{(v)}), \hat{\mathbf{X}}^{(v)})`, every view decoded from the fused
        embedding."""
        _, fused = self.encode(views)
        targets = [F.normalize(view, dim=1) for view in views]
        return {"reconstruction": reconstruction_loss(self.reconstruct(fused), targets,
                                                      presence=presence)}

    def terms(
        self, views: list[Tensor], anchors: Tensor, k: int, *, alpha: float, beta: float,
        presence: Tensor | None = None,
    ) -> dict[str, Tensor]:
        r"""The weighted terms of DMAC's joint loss (Eq. 16) on a batch of rows.

        Every view's anchor graph links the batch rows of :math:`\mathbf{Z}^{(a)}` to their
        ``k`` nearest anchors :math:`\mathbf{U}`, so a batch holding all rows (in any order)
        gives the full-batch loss.

        Returns:
            ``al`` = :math:`\sum_a \mathcal{L}_{AL}^{(a)}` (only with a perturbation
            generator), ``cm`` = :math:`-\alpha \sum_{a<b} I(\mathbf{F}^{(a)},
            \mathbf{F}^{(b)})` (only with anchor cluster heads) and ``sp`` =
            :math:`\beta \sum_a \sum_{ij} g^{(a)}_{ij} \lVert \mathbf{z}_i - \mathbf{z}_j
            \rVert^2`.
        """
        embeddings, fused = self.encode(views)
        # the views some row of the batch has, and those rows
        present = [(a, r) for a in range(len(views))
                   if count_rows(r := rows_with(presence, a), len(fused)) > 0]
        graphs = [anchor_graph(embeddings[a][r], anchors, k) for a, r in present]
        terms: dict[str, Tensor] = {}
        if self.perturbation is not None:
            terms["al"] = sum(anchor_entropy(embeddings[a][r], anchors) for a, r in present)
        if self.heads is not None:
            clusters = [self.heads[a](anchors, graph) for (a, _), graph in zip(present, graphs)]
            information = sum(
                (mutual_information(clusters[a], clusters[b])
                 for a in range(len(clusters))
                 for b in range(a + 1, len(clusters))),
                fused.new_zeros(()),
            )
            terms["cm"] = -alpha * information
        terms["sp"] = beta * sum(graph.structure_energy(fused[r])
                                 for graph, (_, r) in zip(graphs, present))
        return terms
