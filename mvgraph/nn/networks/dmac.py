r"""The DMAC network (Wang, Zeng, Chen and Li, AAAI 2025): view encoders and decoders, the
anchor perturbation generator and one anchor cluster head per view, with the terms of
DMAC's losses."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mvgraph.graphs import anchor_graph
from mvgraph.losses import anchor_entropy, mutual_information
from mvgraph.nn.agcn import AnchorClusterHead
from mvgraph.nn.autoencoder import ViewAutoencoders
from mvgraph.nn.perturbation import AnchorPerturbation


class DMACNetwork(nn.Module):
    r"""View encoders and decoders (Linear–LeakyReLU–Linear–LeakyReLU both ways, as the
    reference code), the anchor perturbation generator
    (:class:`~mvgraph.nn.AnchorPerturbation`, ``None`` without perturbation) and one
    :class:`~mvgraph.nn.AnchorClusterHead` per view (``None`` without consistency or with a
    single view).

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

    def reconstruction_terms(self, views: list[Tensor]) -> dict[str, Tensor]:
        r"""The pretraining loss :math:`\sum_v \operatorname{MSE}(\operatorname{normalize}
        (\mathbf{X}^{(v)}), \hat{\mathbf{X}}^{(v)})`, every view decoded from the fused
        embedding."""
        _, fused = self.encode(views)
        loss = sum(
            F.mse_loss(rebuilt, F.normalize(view, dim=1))
            for rebuilt, view in zip(self.reconstruct(fused), views, strict=True)
        )
        return {"reconstruction": loss}

    def terms(
        self, views: list[Tensor], anchors: Tensor, k: int, *, alpha: float, beta: float
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
        graphs = [anchor_graph(z, anchors, k) for z in embeddings]
        terms: dict[str, Tensor] = {}
        if self.perturbation is not None:
            terms["al"] = sum(anchor_entropy(z, anchors) for z in embeddings)
        if self.heads is not None:
            clusters = [head(anchors, graph) for head, graph in zip(self.heads, graphs,
                                                                     strict=True)]
            information = sum(
                mutual_information(clusters[a], clusters[b])
                for a in range(len(clusters))
                for b in range(a + 1, len(clusters))
            )
            terms["cm"] = -alpha * information
        terms["sp"] = beta * sum(graph.structure_energy(fused) for graph in graphs)
        return terms
