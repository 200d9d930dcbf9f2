r"""Distances between views' latent distributions and the view-aware weights they give.

The latents of view :math:`v` form an empirical distribution of :math:`m` points
:math:`\{\mathbf{z}^v_i\}`. Three distances between two such sets are offered:

- ``"paper"``: RAV's "Wasserstein distance" (RAV, Design 3), the mean pairwise
  :math:`\ell_1` distance

  .. math::
      \mathrm{WD}(\mathbf{Z}^v, \mathbf{Z}^u) = \frac{1}{m_v m_u}\sum_{i}\sum_{k}
      \lVert \mathbf{z}^v_i - \mathbf{z}^u_k \rVert_1 .

  It is the transport cost of the *independent* coupling, not of the optimal one, so it is
  not a Wasserstein distance: it is an upper bound of ``"emd"`` and is not 0 between a
  set and itself;
- ``"emd"``: the exact 1-Wasserstein distance with the same :math:`\ell_1` ground cost,
  :math:`\min_{\boldsymbol\pi}\sum_{ik}\pi_{ik}\lVert\mathbf{z}^v_i-\mathbf{z}^u_k\rVert_1`
  over couplings of the two uniform distributions (POT's ``ot.emd2`` on
  ``ot.dist(..., metric="cityblock")``);
- ``"sliced_wasserstein"``: the sliced 2-Wasserstein distance over random directions
  (POT's ``ot.sliced_wasserstein_distance``), a cheap approximation for large :math:`m`.

:func:`view_weights` turns a :math:`V \times V` distance matrix into RAV's weights
:math:`w^{(v,u)} = \operatorname{softmax}_{u \ne v}(-\mathrm{WD}(\mathbf{Z}^v,
\mathbf{Z}^u))`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import ot
import torch
from torch import Tensor

from mvgraph.utils.validation import check_same_width

VIEW_DISTANCES = ("paper", "sliced_wasserstein", "emd")


def mean_pairwise_distance(a: Tensor, b: Tensor) -> Tensor:
    r"""Mean :math:`\ell_1` distance over all pairs of rows,
    :math:`\frac{1}{m_a m_b}\sum_{i,k}\lVert\mathbf{a}_i - \mathbf{b}_k\rVert_1` (RAV's WD).

    Shapes:
        - **a:** :math:`(m_a, d)`, **b:** :math:`(m_b, d)`
        - **output:** :math:`()`
    """
    check_same_width("a", a, "b", b)
    return torch.cdist(a, b, p=1).mean()


def view_distance(
    a: Tensor,
    b: Tensor,
    method: str = "paper",
    *,
    n_projections: int = 50,
    seed: int | None = None,
) -> Tensor:
    r"""Distance between the empirical distributions of the rows of ``a`` and ``b``.

    Args:
        a: latents of one view.
        b: latents of another view (same width; the numbers of rows may differ).
        method: ``"paper"`` (mean pairwise :math:`\ell_1`), ``"emd"`` (exact
            :math:`W_1` with :math:`\ell_1` ground cost) or ``"sliced_wasserstein"``
            (sliced :math:`W_2`).
        n_projections: random directions of ``"sliced_wasserstein"``.
        seed: seed of those directions.

    Shapes:
        - **a:** :math:`(m_a, d)`, **b:** :math:`(m_b, d)`
        - **output:** :math:`()`, on the device and dtype of ``a``
    """
    if method not in VIEW_DISTANCES:
        raise ValueError(f"method must be one of {VIEW_DISTANCES}; got {method!r}")
    check_same_width("a", a, "b", b)
    if method == "paper":
        return mean_pairwise_distance(a, b)
    if method == "emd":
        uniform_a = torch.full((a.shape[0],), 1.0 / a.shape[0], dtype=a.dtype, device=a.device)
        uniform_b = torch.full((b.shape[0],), 1.0 / b.shape[0], dtype=a.dtype, device=a.device)
        return ot.emd2(uniform_a, uniform_b, ot.dist(a, b, metric="cityblock"))
    if isinstance(n_projections, bool) or not isinstance(n_projections, int) or n_projections < 1:
        raise ValueError(f"n_projections must be a positive integer; got {n_projections!r}")
    return ot.sliced_wasserstein_distance(a, b, n_projections=n_projections, seed=seed)


def view_distances(
    latents: Sequence[Tensor],
    method: str = "paper",
    *,
    n_projections: int = 50,
    seed: int | None = None,
) -> Tensor:
    r"""Symmetric matrix :math:`\mathbf{D}_{vu}` of :func:`view_distance` between every
    pair of views, zero on the diagonal (the diagonal is never used by
    :func:`view_weights`).

    Shapes:
        - **latents:** :math:`V` tensors :math:`(m_v, d)`
        - **output:** :math:`(V, V)`
    """
    if len(latents) == 0:
        raise ValueError("latents must hold at least one view")
    first = latents[0]
    count = len(latents)
    distances = torch.zeros(count, count, dtype=first.dtype, device=first.device)
    for v in range(count):
        for u in range(v + 1, count):
            value = view_distance(
                latents[v], latents[u], method, n_projections=n_projections, seed=seed
            )
            distances[v, u] = distances[u, v] = value
    return distances


def view_weights(distances: Tensor) -> Tensor:
    r"""View-aware weights (RAV, Design 3): every row a softmax of the negative distances
    to the *other* views,

    .. math::
        w^{(v,u)} = \frac{e^{-\mathrm{D}_{vu}}}{\sum_{u' \ne v} e^{-\mathrm{D}_{vu'}}},
        \qquad w^{(v,v)} = 0 .

    Rows sum to 1 and the closer view weighs more. With two views every weight is 1.
    The paper's sum runs over all :math:`u`; the view itself is left out here because the
    paper's WD of a view with itself is not 0 (it would act as a phantom competitor), and
    the paper reports that the weights change nothing on a two-view set, which holds only
    without it.

    Shapes:
        - **distances:** :math:`(V, V)` with :math:`V \ge 2`, finite
        - **output:** :math:`(V, V)`
    """
    if distances.ndim != 2 or distances.shape[0] != distances.shape[1] or distances.shape[0] < 2:
        raise ValueError(
            f"distances must be a square [V, V] matrix with V >= 2; got {tuple(distances.shape)}"
        )
    if not bool(torch.isfinite(distances).all()):
        raise ValueError("distances must be finite")
    self_pairs = torch.eye(distances.shape[0], dtype=torch.bool, device=distances.device)
    return torch.softmax((-distances).masked_fill(self_pairs, -math.inf), dim=1)
