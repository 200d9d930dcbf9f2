r"""Two-dimensional maps of an embedding, on a stratified subsample when it is large.

``"pca"`` projects the centred rows on the two leading right singular vectors,
:math:`\mathbf{Y} = (\mathbf{Z} - \bar{\mathbf{z}})\,\mathbf{V}_{:, 1:2}`; ``"tsne"`` is
scikit-learn's t-SNE (PCA initialisation, perplexity :math:`\min(30, (n - 1)/3)`), for at
most :data:`TSNE_MAX_POINTS` rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mvgraph.utils.validation import check_int

PROJECTIONS = ("pca", "tsne")
TSNE_MAX_POINTS = 20_000


@dataclass(frozen=True)
class Projection:
    """A 2-D map of some rows of an embedding.

    Attributes:
        points: the map, ``[p, 2]``.
        index: the rows of the embedding that ``points`` show, ``[p]``, increasing.
        method: ``"pca"`` or ``"tsne"``.
        n_total: rows of the embedding; ``p < n_total`` when subsampled.
    """

    points: np.ndarray
    index: np.ndarray
    method: str
    n_total: int

    @property
    def note(self) -> str:
        """How the map was made, for a figure's title."""
        name = {"pca": "PCA", "tsne": "t-SNE"}[self.method]
        if len(self.index) < self.n_total:
            return (f"{name}, a stratified subsample of {len(self.index):,} of "
                    f"{self.n_total:,} points")
        return f"{name}, {self.n_total:,} points"


def stratified_subsample(
    groups: np.ndarray, size: int, random_state: int = 0
) -> np.ndarray:
    """Increasing row indices, ``size`` of them when ``len(groups) > size`` (else all),
    taking from every group in proportion to its size and at least one row of each.

    Shapes:
        - **groups:** :math:`(n,)` integer labels
        - **output:** :math:`(\\min(n, \\text{size}),)`
    """
    n = len(groups)
    if n <= size:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    values, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    if len(values) > size:
        raise ValueError(f"max_points must be at least the number of groups ({len(values)}) "
                         f"to keep one point of each; got {size}")
    quota = np.maximum(1, np.floor(counts * size / n).astype(np.int64))
    # hand the rows left by the rounding to the groups with the largest remainders
    remainder = counts * size / n - np.floor(counts * size / n)
    for group in np.argsort(-remainder, kind="stable")[: max(0, size - int(quota.sum()))]:
        quota[group] += 1
    while quota.sum() > size:  # the minimum of one row per group overshot
        quota[np.argmax(quota)] -= 1
    chosen = [rng.choice(np.flatnonzero(inverse == g), size=int(q), replace=False)
              for g, q in enumerate(quota)]
    return np.sort(np.concatenate(chosen))


def project_2d(
    embedding: np.ndarray,
    method: str = "pca",
    *,
    groups: np.ndarray | None = None,
    max_points: int = TSNE_MAX_POINTS,
    random_state: int = 0,
) -> Projection:
    """Map the rows of ``embedding`` to the plane.

    Beyond ``max_points`` rows a stratified subsample (:func:`stratified_subsample` of
    ``groups``, or a uniform one without groups) is mapped.

    Args:
        embedding: the rows, ``[n, e]`` with ``e >= 1``.
        method: ``"pca"`` or ``"tsne"``.
        groups: labels to stratify the subsample by, ``[n]``.
        max_points: the most rows mapped (at most :data:`TSNE_MAX_POINTS` for t-SNE).
        random_state: seed of the subsample and of t-SNE.
    """
    if method not in PROJECTIONS:
        raise ValueError(f"projection must be one of {', '.join(PROJECTIONS)}; got {method!r}")
    check_int("max_points", max_points, least=2)
    if method == "tsne" and max_points > TSNE_MAX_POINTS:
        raise ValueError(f"max_points must be at most {TSNE_MAX_POINTS:,} for t-SNE; "
                         f"got {max_points:,}")
    x = np.asarray(embedding, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError(f"embedding must be a 2-d array of at least two rows; got shape "
                         f"{list(x.shape)}")
    n = x.shape[0]
    if groups is None:
        groups = np.zeros(n, dtype=np.int64)
    elif len(groups) != n:
        raise ValueError(f"groups must have one label per row ({n}); got {len(groups)}")
    index = stratified_subsample(np.asarray(groups), max_points, random_state)
    x = x[index]
    if method == "pca":
        centred = x - x.mean(0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        points = centred @ vt[:2].T
        if points.shape[1] == 1:  # a one-dimensional embedding: its values on one axis
            points = np.hstack([points, np.zeros_like(points)])
    else:
        from sklearn.manifold import TSNE

        points = TSNE(2, init="pca", perplexity=min(30.0, (len(x) - 1) / 3),
                      random_state=random_state).fit_transform(x)
    return Projection(points=points, index=index, method=method, n_total=n)
