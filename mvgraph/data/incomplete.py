r"""Incomplete multi-view data: samples that lack some of their views.

:func:`make_incomplete` draws the missing views as the incomplete multi-view clustering
literature does: a fraction ``missing_rate`` of the samples, drawn at random, become
incomplete, and each of them loses a random non-empty set of its views, keeping at least
one. With two views this is the protocol of COMPLETER (Lin et al., CVPR 2021) and of DCP
(TPAMI 2022), which shares its code: half the samples at rate 0.5, each with one of its
two views. With more views their code removes ``missing_rate / V``
of all sample-views instead, so their rates and ours differ there. The presence mask
records what is left, and the removed rows are set to 0 in copies of the views.
"""

from __future__ import annotations

import numpy as np

from mvgraph.data.container import MultiViewData, with_presence
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
