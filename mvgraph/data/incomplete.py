r"""Incomplete multi-view data: samples that lack some of their views.

:func:`make_incomplete` draws the missing views as the incomplete multi-view clustering
literature does: a fraction ``missing_rate`` of the samples, drawn at random, become
incomplete, and each of them loses a random non-empty set of its views, keeping at least
one. With two views this is the protocol of COMPLETER (Lin et al., CVPR 2021) and of DCP
(TPAMI 2022), which shares its code: half the samples at rate 0.5, each with one of its
two views. With more views their code removes ``missing_rate / V``
of all sample-views instead, so their rates and ours differ there. The presence mask
records what is left, and the removed rows are set to 0 in copies of the views.

:func:`impute_from_neighbors` fills absent rows from the rows of the nearest samples that
have the view, found through the views the sample has: how the deep methods give every
sample a full set of inputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from mvgraph.data.container import MultiViewData, View, with_presence
from mvgraph.utils.validation import Real


def make_incomplete(
    data: MultiViewData, missing_rate: float, random_state: int | None = None
) -> MultiViewData:
    """``data`` with the views of ``round(missing_rate · n)`` random samples partly
    removed: each of them keeps a random non-empty proper subset of its views (its
    present views, when ``data`` is incomplete already).

    Args:
        data: the multi-view data (at least two views when ``missing_rate > 0``).
        missing_rate: the fraction of samples made incomplete, in ``[0, 1]``.
        random_state: seed of the draw.

    Returns:
        A :class:`~mvgraph.data.MultiViewData` sharing the views of ``data`` with a
        presence mask (``data`` itself when ``missing_rate`` is 0).
    """
    if not (Real(positive=False).accepts(missing_rate) and missing_rate <= 1):
        raise ValueError(f"missing_rate must be a number in [0, 1]; got {missing_rate!r}")
    if missing_rate == 0:
        return data
    if data.n_views < 2:
        raise ValueError(f"make_incomplete needs at least 2 views; got {data.n_views}")
    rng = np.random.default_rng(random_state)
    presence = (np.ones((data.n_samples, data.n_views), dtype=bool) if data.presence is None
                else data.presence.copy())
    chosen = rng.choice(data.n_samples, size=round(missing_rate * data.n_samples),
                        replace=False)
    for i in chosen:
        present = np.flatnonzero(presence[i])
        if present.size < 2:
            continue  # a sample with one view keeps it
        keep = rng.integers(1, present.size)  # 1 .. present - 1 views stay
        presence[i] = False
        presence[i, rng.choice(present, size=keep, replace=False)] = True
    return with_presence(data, presence)


def impute_from_neighbors(
    views: Sequence[View],
    presence: np.ndarray,
    donor_views: Sequence[View],
    donor_presence: np.ndarray,
    n_neighbors: int = 10,
) -> list[np.ndarray]:
    r"""Dense float32 copies of ``views`` in which every absent row is imputed from the
    donors' rows of that view, found through the sample's present views.

    For sample :math:`i` without view :math:`v`, each present view :math:`u` of :math:`i`
    gives the mean row of view :math:`v` over :math:`\mathcal{N}^u_k(i)`, the ``n_neighbors``
    donors nearest to :math:`\mathbf{x}^u_i` in view :math:`u` (squared euclidean, exact
    search) among the donors that have both :math:`u` and :math:`v`; the imputed row
    averages them over those views :math:`U_i`,

    .. math::
        \hat{\mathbf{x}}^v_i = \frac{1}{|U_i|}\sum_{u \in U_i}\frac{1}{k}
        \sum_{j \in \mathcal{N}^u_k(i)} \mathbf{x}^v_j .

    A sample none of whose views is shared with a donor of view :math:`v` gets the mean row
    of view :math:`v` over its donors (mean imputation). Present rows are copied as they
    are, and what the absent rows held is never read. Each ordered pair of views costs
    one exact k-nearest-neighbour search of the samples missing :math:`v` among the donors
    (:func:`~mvgraph.graphs.nearest_neighbors`).

    Args:
        views: one ``[n, d_v]`` array (dense or sparse) per view.
        presence: which sample has which view, ``[n, V]`` booleans.
        donor_views: the samples imputed from, ``[m, d_v]`` per view (the same views).
        donor_presence: which donor has which view, ``[m, V]`` booleans.
        n_neighbors: :math:`k` (fewer when fewer donors have both views).

    Returns:
        One dense ``[n, d_v]`` float32 array per view.
    """
    from mvgraph.graphs import nearest_neighbors

    dense = [_dense_rows(view, slice(None)) for view in views]
    donors_dense = [_dense_rows(view, slice(None)) for view in donor_views]
    for v in range(len(views)):
        missing = np.flatnonzero(~presence[:, v])
        if missing.size == 0:
            continue
        total = np.zeros((missing.size, dense[v].shape[1]), dtype=np.float64)
        counts = np.zeros(missing.size)
        for u in range(len(views)):
            queries = np.flatnonzero(presence[missing, u])
            donors = np.flatnonzero(donor_presence[:, u] & donor_presence[:, v])
            if u == v or queries.size == 0 or donors.size == 0:
                continue
            _, nearest = nearest_neighbors(dense[u][missing[queries]],
                                           min(n_neighbors, donors.size),
                                           donors_dense[u][donors])
            total[queries] += donors_dense[v][donors[np.asarray(nearest)]].mean(1)
            counts[queries] += 1
        alone = counts == 0
        if alone.any():
            total[alone] = donors_dense[v][donor_presence[:, v]].mean(0)
            counts[alone] = 1
        dense[v][missing] = total / counts[:, None]
    return dense


def _dense_rows(view: View, rows: np.ndarray | slice) -> np.ndarray:
    """The rows ``rows`` of a dense or sparse view as a dense float32 array (a copy)."""
    picked = view[rows]
    picked = picked.toarray() if sp.issparse(picked) else np.asarray(picked)
    return np.array(picked, dtype=np.float32)
