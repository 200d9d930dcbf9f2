r"""Anchor spectral clustering: multi-view spectral clustering in linear time through
bipartite anchor graphs.

Per view :math:`v`: :math:`m` anchors :math:`\mathbf{U}_v` by k-means on a subsample
(:func:`~mvgraph.graphs.select_anchors`) and the CAN anchor graph :math:`\mathbf{S}_v`,
:math:`k` non-zeros a row (:func:`~mvgraph.graphs.anchor_graph`). The graphs are fused,
:math:`\mathbf{G} = \sum_v w_v \mathbf{S}_v\mathbf{D}_v^{-1}\mathbf{S}_v^\top`, and its
:math:`c` leading eigenvectors are found through the :math:`M \times M` side
(:func:`~mvgraph.graphs.anchor_spectral_embedding`, :math:`M = Vm`); rows are scaled to unit
norm (Ng, Jordan and Weiss) and clustered by k-means. Time is :math:`O(nmd)` for the
anchor search plus :math:`O(nV^2k^2 + nVkc)`, memory :math:`O(nVk + nc)` beside the data,
and the views are scaled one at a time. The construction is that of the anchor-graph
multi-view methods (LMVSC, Kang et al., AAAI 2020; SFMC, Li et al., TPAMI 2020): a bipartite
graph per view, fused, and a spectral embedding from the small side.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from mvgraph.cluster import kmeans
from mvgraph.data.scalers import ScaledViews
from mvgraph.graphs import AnchorRows, anchor_spectral_embedding, select_anchors
from mvgraph.graphs.spectral import VIEW_WEIGHTINGS
from mvgraph.models.base import MultiViewClusterer, parameter, views_to_tensors
from mvgraph.utils import resolve_device
from mvgraph.utils.validation import Integer, Options

# The anchors' k-means runs ANCHOR_ITERATIONS Lloyd iterations on at most
# ANCHOR_POINTS_PER_CENTROID points per anchor (anchors only need to cover the data), the
# embedding's on at most EMBEDDING_POINTS_PER_CENTROID points per cluster; every point is
# then assigned.
ANCHOR_POINTS_PER_CENTROID = 16
ANCHOR_ITERATIONS = 10
EMBEDDING_POINTS_PER_CENTROID = 1024


class AnchorSpectral(MultiViewClusterer):
    r"""Multi-view spectral clustering on fused bipartite anchor graphs (module docs).

    The defaults, :math:`m = 1000` anchors per view, :math:`k = 10` anchors per sample and
    the learned (``"smoothness"``) view weights, were chosen on the tuning half of
    ``benchmarks/PROTOCOL.md`` (seeds 0–1, ``anchor-spectral-screen.md`` and
    ``anchor-spectral-screen-weights.md`` in ``benchmarks/results``): mean ACC 72.4 over
    its 11 sets with 8 at or above the floor (whose mean is 70.1), against 72.6 and 7 for
    uniform weights with :math:`k = 15`, 71.6 and 7 with :math:`k = 10`, and 62.7–70.6
    with :math:`k \le 7`. Fewer anchors per sample keep thin manifolds apart (the rings of
    :func:`~mvgraph.data.make_multiview_manifolds` want :math:`k \le 7`); the real sets
    want the smoother graph.

    Samples with missing views (a presence mask) are taken as they are: each view's anchors
    and anchor graph come from the samples that have it, and a sample's rows of the fused
    graph sum over its present views only, so no view is filled in.

    It runs on several processes (``torchrun``), each holding a shard of the samples: the
    anchor degrees, :math:`\mathbf{K}` and the view energies are summed over them, and the
    anchors' and the embedding's k-means subsamples are drawn over all samples and
    gathered, so that with more samples than a subsample (16 per anchor, 1024 per cluster)
    every rank fits what one process fits on the whole data; with fewer, that k-means runs
    Lloyd iterations over all ranks from other seeds (``tests/distributed``).

    Parameters
    ----------
    n_anchors : int
        Anchors per view :math:`m` (at most :math:`n`).
    n_neighbors : int
        Anchors per sample :math:`k` (at most :math:`m - 1`).
    view_weights : str
        ``"uniform"`` or ``"smoothness"`` (AMGL's learned weights, see
        :func:`~mvgraph.graphs.anchor_spectral_embedding`).
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``; on CUDA the anchor search and the k-means
        run in torch.
    The shared parameters are those of :class:`~mvgraph.models.base.MultiViewClusterer`
    (``random_state`` seeds the anchors' and the embedding's k-means).

    Attributes
    ----------
    embedding_ : ndarray of shape (n, n_clusters)
        The row-normalised spectral embedding.
    cluster_centers_ : ndarray of shape (n_clusters, n_clusters)
        Its k-means centroids.
    anchors_ : list of Tensor
        The anchors of every view, ``[m, d_v]`` each.
    eigenvalues_ : ndarray of shape (n_clusters,)
        The leading eigenvalues of the fused graph.
    view_weights_ : ndarray of shape (V,)
        The weight :math:`w_v` of every view.

    Examples
    --------
    >>> from mvgraph.data import make_multiview_blobs
    >>> data = make_multiview_blobs(60, n_views=2, n_clusters=3, dims=8, random_state=0)
    >>> model = AnchorSpectral(3, n_anchors=20, n_neighbors=5, random_state=0).fit(data)
    >>> model.embedding_.shape, model.view_weights_.shape
    ((60, 3), (2,))
    """

    reads_one_view_at_a_time = True
    runs_distributed = True

    n_anchors: int = parameter(1000, Integer(2))
    n_neighbors: int = parameter(10, Integer(1))
    view_weights: str = parameter("smoothness", Options(VIEW_WEIGHTINGS))
    device: str = parameter("auto")

    def _fit(self, views: ScaledViews, labels: np.ndarray | None,
             presence: np.ndarray | None) -> None:
        self.device_ = resolve_device(self.device)
        seed = (int(np.random.default_rng().integers(2**31 - 1)) if self.random_state is None
                else int(self.random_state))
        seed = int(self.shard_.broadcast(torch.tensor(seed)))  # rank 0's draw
        self.anchors_, rows = [], []
        for v in range(len(views)):
            x, present = self._present_points(views[v], presence, v)  # scaled on reading
            m = min(self.n_anchors, self.shard_.total(x.shape[0]))
            if self.n_neighbors >= m:
                raise ValueError(f"n_neighbors must be less than the anchors of every view, "
                                 f"min(n_anchors, samples with the view) = {m} for view {v}; "
                                 f"got {self.n_neighbors}")
            anchors = select_anchors(x, m, random_state=seed + v, max_iter=ANCHOR_ITERATIONS,
                                     max_points_per_centroid=ANCHOR_POINTS_PER_CENTROID,
                                     shard=self.shard_)
            rows.append(self._graph(x, anchors, present, views.n_samples))
            self.anchors_.append(anchors)
            del x
        embedding, self.spectral_ = anchor_spectral_embedding(
            rows, self.n_clusters, weights=self.view_weights, shard=self.shard_)
        del rows
        embedding = _unit_rows(embedding)
        result = kmeans(embedding, self.n_clusters, n_init=self.n_init, random_state=seed,
                        max_points_per_centroid=EMBEDDING_POINTS_PER_CENTROID,
                        shard=self.shard_)
        self.labels_ = _numpy(result.labels)
        self.cluster_centers_ = _numpy(result.centroids)
        self.embedding_ = _numpy(embedding)
        self.eigenvalues_ = self.spectral_.eigenvalues.numpy()
        self.view_weights_ = self.spectral_.weights.numpy()
        self.history_: list[dict] = []

    def _embed(self, views: list, presence: np.ndarray | None) -> np.ndarray:
        rows = []
        for v, anchors in enumerate(self.anchors_):
            x, present = self._present_points(views[v], presence, v)
            rows.append(self._graph(x, anchors, present, views[v].shape[0]))
        return _numpy(_unit_rows(self.spectral_.transform(rows)))

    def _present_points(self, view: Any, presence: np.ndarray | None,
                        v: int) -> tuple[Tensor, Tensor | None]:
        """The rows of view ``v`` that samples have, as a tensor, and their indices
        (``None`` when every sample has the view)."""
        x = views_to_tensors([view], self.device_)[0]
        if presence is None or presence[:, v].all():
            return x, None
        present = torch.as_tensor(np.flatnonzero(presence[:, v]), device=x.device)
        return x[present], present

    def _graph(self, x: Tensor, anchors: Tensor, present: Tensor | None,
               n: int) -> AnchorRows:
        """The anchor graph of the samples that have the view, over all ``n`` samples."""
        graph = AnchorRows.from_points(x, anchors, self.n_neighbors)
        return graph if present is None else graph.scatter(present, n)

    def _memory_parts(self, n: int, dims: list[int]) -> dict[str, int]:
        """The anchor search of one block of :math:`2^{20}` rows (distances and indices of
        :math:`k + 1` anchors, the edge list), the :math:`V` graphs kept (int32 anchor and
        float32 weight per edge), the Gram matrix (float64, three copies during the
        eigendecomposition), the embedding with its normalised copy and k-means work
        arrays, and 150 MiB for the runtime's buffers."""
        k = self.n_neighbors
        block = min(n, 2**20)  # the rows of AnchorRows.from_points' blocks
        total = len(dims) * min(self.n_anchors, n)
        return {"anchor search": block * ((k + 1) * 12 + k * 24),
                "graphs": len(dims) * n * k * 8,
                "gram": 3 * 8 * total * total,
                "embedding": 3 * 4 * n * self.n_clusters,
                "runtime": 150 * 2**20}


def _unit_rows(x: Tensor) -> Tensor:
    """Rows scaled to unit Euclidean norm (zero rows stay zero)."""
    return x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)


def _numpy(x: Tensor | np.ndarray) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, Tensor) else np.asarray(x)
