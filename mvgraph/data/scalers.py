r"""Per-view feature scaling, fitted on training views and reused on new samples.

Methods, for a view ``X`` of shape ``[n, d]``:

- ``minmax``: ``(X - min) / (max - min)`` per feature (training min/max), constant
  features map to 0;
- ``standard``: ``(X - mean) / std`` per feature (population std), zero-variance
  features are only centred;
- ``l2``: each row divided by its Euclidean norm, zero rows stay zero (no statistics);
- ``none``: only converted to float32;
- ``auto``: decided per view from the data. A *sparse* view (no negative entry, fewer
  than ``SPARSE_DENSITY`` = 10 % of its entries non-zero: word counts, term weights,
  links) gets ``l2``, any other view ``minmax``; then every scaled view is divided by
  its root-mean-square row norm on the training data,
  :math:`w_v = (\frac{1}{n}\sum_i \lVert x^v_i \rVert^2)^{-1/2}`, so that each view
  weighs the same in a concatenation whatever its dimension;
- ``sparse-l2``: the per-view choice of ``auto`` without its view weights (sparse views
  ``l2``, the others ``minmax``), for a method that weighs its views itself.

The ``auto`` rule was chosen on the tuning half of ``benchmarks/PROTOCOL.md`` with k-means
on the concatenation (``benchmarks/scaling_rule.py``, 5 seeds,
``benchmarks/results/scaling-rule-tuning.json``): mean ACC over the 11 sets 70.10, against
67.27 for row-L2 everywhere, 66.72 for the same rule without the view weights, 68.28 with
``standard`` for dense views, 69.28 with tf-idf before ``l2`` and 55.65 for ``minmax``
everywhere (NGs 96.24 against 21.20, Handwritten 96.80 against 80.65). With
:math:`0.025 < \text{density} < 0.14` on every tuning view, any threshold in that gap
decides the same; 10 % is the round number inside it.

Output is float32; ``minmax`` and ``standard`` densify sparse views (centring destroys
sparsity), ``l2`` and ``none`` keep them sparse (``csr_matrix`` float32). Dense views are
processed in row blocks, so a transform allocates its float32 output and bounded
temporaries only.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from mvgraph.data.container import View, check_view

if TYPE_CHECKING:
    import torch

    from mvgraph.distributed import Shard

SCALERS = ("auto", "sparse-l2", "minmax", "standard", "l2", "none")

# Fewer non-zero entries than this fraction (and none negative) make a view sparse.
SPARSE_DENSITY = 0.1

# Elements per row block (float64 temporaries of at most 32 MiB).
_BLOCK_ELEMENTS = 1 << 22


def _row_blocks(view: View) -> Iterator[tuple[slice, np.ndarray]]:
    """Consecutive row blocks of ``view`` as dense float64 arrays."""
    rows = max(1, _BLOCK_ELEMENTS // view.shape[1])
    for start in range(0, view.shape[0], rows):
        block = view[start:start + rows]
        block = block.toarray() if sp.issparse(block) else block
        yield slice(start, start + rows), block.astype(np.float64, copy=False)


def is_sparse_view(view: View | torch.Tensor, max_density: float = SPARSE_DENSITY,
                   shard: Shard | None = None) -> bool:
    """Whether ``view`` ``[n, d]`` looks like counts, term weights or links: no negative
    entry and fewer than ``max_density`` of its entries non-zero (over the rows of every
    rank of ``shard``). A tensor is counted where it lies (no copy to the host)."""
    torch = sys.modules.get("torch")  # a tensor exists only once torch is imported
    if torch is not None and isinstance(view, torch.Tensor):
        nonzero, lowest = int(torch.count_nonzero(view)), min(float(view.min()), 0.0)
    elif sp.issparse(view):
        nonzero, lowest = view.count_nonzero(), min(view.data.min(initial=0), 0)
    else:
        nonzero, lowest = np.count_nonzero(view), view.min()
    nonzero, rows = _reduced(np.array([nonzero, view.shape[0]]), shard)
    lowest = _reduced(lowest, shard, "min")
    return lowest >= 0 and nonzero < max_density * rows * view.shape[1]


def _minmax_statistics(view: View, shard: Shard | None) -> tuple[np.ndarray, np.ndarray]:
    """Centre ``min`` and scale ``1 / (max - min)`` (0 for constant features)."""
    if sp.issparse(view):
        low = view.min(axis=0).toarray().ravel()
        high = view.max(axis=0).toarray().ravel()
    else:
        low, high = view.min(axis=0), view.max(axis=0)
    low, high = _reduced(low, shard, "min"), _reduced(high, shard, "max")
    spread = high - low
    scale = np.divide(1.0, spread, out=np.zeros_like(spread), where=spread > 0)
    return low, scale


def _standard_statistics(view: View, shard: Shard | None) -> tuple[np.ndarray, np.ndarray]:
    """Centre ``mean`` and scale ``1 / std`` (1 for zero-variance features), two passes."""
    rows = _reduced(view.shape[0], shard)
    mean = np.zeros(view.shape[1])
    for _, block in _row_blocks(view):
        mean += block.sum(axis=0)
    mean = _reduced(mean, shard) / rows
    squares = np.zeros(view.shape[1])
    for _, block in _row_blocks(view):
        squares += np.square(block - mean).sum(axis=0)
    std = np.sqrt(_reduced(squares, shard) / rows)
    return mean, np.divide(1.0, std, out=np.ones_like(std), where=std > 0)


def _affine(view: View, center: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``(view - center) * scale`` as a new dense float32 array."""
    out = np.empty(view.shape, dtype=np.float32)
    for rows, block in _row_blocks(view):
        out[rows] = (block - center) * scale
    return out


def _row_l2(view: View, weight: float = 1.0) -> View:
    """Rows divided by their Euclidean norm, times ``weight``; zero rows stay zero."""
    if sp.issparse(view):
        row_of_entry = np.repeat(np.arange(view.shape[0]), np.diff(view.indptr))
        norms = np.sqrt(np.bincount(row_of_entry, np.square(view.data), view.shape[0]))
        inverse = np.divide(weight, norms, out=np.zeros_like(norms), where=norms > 0)
        scaled = (view.data * inverse[row_of_entry]).astype(np.float32)
        return sp.csr_matrix((scaled, view.indices.copy(), view.indptr.copy()), shape=view.shape)
    out = np.empty(view.shape, dtype=np.float32)
    for rows, block in _row_blocks(view):
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))[:, None]
        out[rows] = np.divide(block * weight, norms, out=np.zeros_like(block), where=norms > 0)
    return out


class ViewScaler:
    """Scale each view; statistics come from the views given to ``fit`` (from the rows
    of every process, when ``fit`` is given a :class:`~mvgraph.distributed.Shard`).

    Parameters
    ----------
    method : {"auto", "sparse-l2", "minmax", "standard", "l2", "none"}
        See the module documentation.

    Attributes
    ----------
    dims_ : list of int
        Feature dimension of each view seen in ``fit``.
    view_methods_ : list of str
        The scaling applied to each view: ``method`` itself, or the per-view choice of
        ``auto`` and ``sparse-l2``.
    center_, scale_ : list of ndarray of shape (d_v,) or None
        Per-view statistics; the transform of an affine view is
        ``(X_v - center_[v]) * scale_[v]`` (the view weight folded in). None for views
        scaled by ``l2`` or ``none``.
    view_weights_ : list of float
        The factor every scaled view is multiplied by: 1, or the inverse root-mean-square
        row norm with ``auto``.
    """

    def __init__(self, method: str = "minmax") -> None:
        if method not in SCALERS:
            raise ValueError(f"method must be one of {', '.join(SCALERS)}; got {method!r}")
        self.method = method

    def __repr__(self) -> str:
        return f"ViewScaler(method={self.method!r})"

    def fit(self, views: Sequence[Any], shard: Shard | None = None) -> ViewScaler:
        """Learn the per-view choice and statistics of each training view ``[n, d_v]``;
        with a distributed ``shard``, the views are this process's rows and every
        statistic is reduced over the processes' rows."""
        checked = _check_views(views)
        self.dims_ = [view.shape[1] for view in checked]
        self.view_methods_ = [
            ("l2" if is_sparse_view(view, shard=shard) else "minmax")
            if self.method in ("auto", "sparse-l2") else self.method
            for view in checked
        ]
        statistics = {"minmax": _minmax_statistics, "standard": _standard_statistics}
        pairs = [statistics[method](view, shard) if method in statistics else (None, None)
                 for view, method in zip(checked, self.view_methods_)]
        self.center_ = [center for center, _ in pairs]
        self.scale_ = [scale for _, scale in pairs]
        self.view_weights_ = [1.0] * len(checked)
        if self.method == "auto":
            self.view_weights_ = [self._balancing_weight(view, v, shard)
                                  for v, view in enumerate(checked)]
            self.scale_ = [None if scale is None else scale * weight
                           for scale, weight in zip(self.scale_, self.view_weights_)]
        return self

    def transform(self, views: Sequence[Any]) -> list[View]:
        """Scaled float32 copies of ``views``, which must match the fitted views' dimensions.

        Dense float32 input is returned as is by ``none``.
        """
        scaled = self.transform_lazily(views)
        return [scaled[v] for v in range(len(scaled))]

    def transform_lazily(self, views: Sequence[Any]) -> ScaledViews:
        """The views of :meth:`transform`, each scaled when it is read and not kept: for a
        method that reads one view at a time, so that one scaled copy exists at once."""
        if not hasattr(self, "dims_"):
            raise ValueError("this ViewScaler is not fitted yet; call fit(views) first")
        checked = _check_views(views)
        dims = [view.shape[1] for view in checked]
        if dims != self.dims_:
            raise ValueError(
                f"views must match the {len(self.dims_)} views seen in fit with dims "
                f"{self.dims_}; got {len(dims)} views with dims {dims}"
            )
        return ScaledViews(self, checked)

    def fit_transform(self, views: Sequence[Any]) -> list[View]:
        """``fit(views).transform(views)``."""
        return self.fit(views).transform(views)

    def _balancing_weight(self, view: View, v: int, shard: Shard | None) -> float:
        """:math:`w_v` of ``auto``: the inverse root-mean-square row norm of the scaled view.
        Rows scaled to unit norm have it exactly, :math:`\\sqrt{n / n_{\\neq 0}}` over the
        non-zero rows (1 when there is none), with no rounding to perturb the view."""
        if self.view_methods_[v] == "l2":
            nonzero = (int(np.count_nonzero((view != 0).getnnz(axis=1))) if sp.issparse(view)
                       else sum(int(np.count_nonzero(np.any(block != 0, axis=1)))
                                for _, block in _row_blocks(view)))
            nonzero, rows = _reduced(np.array([nonzero, view.shape[0]]), shard)
            return float(np.sqrt(rows / nonzero)) if nonzero else 1.0
        return _inverse_rms_row_norm(self._scale(view, v), shard)

    def _scale(self, view: View, v: int) -> View:
        """View ``v`` scaled by its fitted method, weight and statistics."""
        method = self.view_methods_[v]
        if method == "l2":
            return _row_l2(view, self.view_weights_[v])
        if method == "none":
            return view.astype(np.float32, copy=False)
        return _affine(view, self.center_[v], self.scale_[v])


class ScaledViews(Sequence):
    """Views scaled by a fitted :class:`ViewScaler` on each read (see
    :meth:`ViewScaler.transform_lazily`); ``n_samples`` is known without reading one."""

    def __init__(self, scaler: ViewScaler, views: list[View]) -> None:
        self._scaler, self._views = scaler, views
        self.n_samples = views[0].shape[0]

    def __len__(self) -> int:
        return len(self._views)

    def __getitem__(self, v: int) -> View:  # type: ignore[override]
        return self._scaler._scale(self._views[v], v)


def _inverse_rms_row_norm(view: View, shard: Shard | None) -> float:
    """:math:`(\\frac{1}{n}\\sum_i \\lVert x_i \\rVert^2)^{-1/2}`, or 1 for an all-zero view."""
    if sp.issparse(view):
        squares = np.square(view.data, dtype=np.float64).sum()
    else:
        squares = np.einsum("ij,ij->", view, view, dtype=np.float64)
    squares, rows = _reduced(np.array([squares, view.shape[0]]), shard)
    mean = float(squares / rows)
    return 1.0 / np.sqrt(mean) if mean > 0 else 1.0


def _reduced(values: Any, shard: Shard | None, operation: str = "sum") -> np.ndarray:
    """``values`` as float64, summed (or their ``"min"``, ``"max"``) over the processes of
    ``shard``; as they are in one process (``shard`` None or alone)."""
    values = np.array(values, dtype=np.float64)
    if shard is None or not shard.is_distributed:
        return values
    import torch  # loaded already wherever there is a process group

    return getattr(shard, f"all_{operation}")(torch.from_numpy(values)).numpy()


def _check_views(views: Sequence[Any]) -> list[View]:
    if not isinstance(views, Sequence) or isinstance(views, (str, bytes)):
        raise TypeError(f"views must be a sequence of 2-d arrays; got {type(views).__name__}")
    if not views:
        raise ValueError("views must be a non-empty sequence of 2-d arrays; got an empty one")
    checked = [check_view(view, f"views[{v}]") for v, view in enumerate(views)]
    for v, view in enumerate(checked):
        if 0 in view.shape:
            raise ValueError(f"views[{v}] is empty (shape {view.shape})")
    return checked
