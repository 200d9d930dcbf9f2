"""The validated multi-view container every estimator consumes.

A multi-view data set is ``V`` feature matrices over the same ``n`` samples,
``X_v`` of shape ``[n, d_v]``, plus optional ground-truth labels ``[n]`` and, for
incomplete data, a presence mask ``[n, V]`` saying which sample has which view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from mvgraph.utils.validation import as_label_vector, is_torch_tensor

View = np.ndarray | sp.csr_matrix

# Rows per block when scanning a dense view for NaN/inf (bounded temporaries).
_SCAN_ELEMENTS = 1 << 22


def shard_bounds(n_samples: int, rank: int, world_size: int) -> tuple[int, int]:
    """The contiguous rows ``[start, stop)`` of ``n_samples`` that process ``rank`` of
    ``world_size`` holds in a distributed run; shard sizes differ by at most one."""
    return n_samples * rank // world_size, n_samples * (rank + 1) // world_size


def check_view(view: Any, argument: str = "view") -> View:
    """One view as stored by :class:`MultiViewData`, without copying when it already fits.

    Dense input becomes a C-contiguous ``float64`` (float64 and wider input) or
    ``float32`` (anything else: float32, float16, integer, bool) array ``[n, d]``;
    inputs with more than two axes are flattened to ``[n, prod(rest)]``. Sparse input
    becomes a float64 ``scipy.sparse.csr_matrix``. Torch tensors are detached and moved
    to the CPU.
    ``argument`` names the view in error messages. Finiteness is not checked here.
    """
    if sp.issparse(view):
        if view.ndim != 2:
            raise ValueError(f"{argument} must be 2-d; got a sparse array of shape {view.shape}")
        return sp.csr_matrix(view, dtype=np.float64)
    if is_torch_tensor(view):
        view = view.detach().cpu()
        if view.is_floating_point() and view.itemsize < 4:  # float16, bfloat16
            view = view.float()
        view = view.numpy()
    array = np.asarray(view)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{argument} must hold real numbers; got dtype {array.dtype}")
    if array.ndim < 2:
        raise ValueError(
            f"{argument} must be 2-d (n_samples, n_features); got shape {array.shape}"
            + ("; reshape to (n, 1) for a single feature" if array.ndim == 1 else "")
        )
    dtype = np.float64 if array.dtype.kind == "f" and array.dtype.itemsize >= 8 else np.float32
    array = np.ascontiguousarray(array, dtype=dtype)
    return array.reshape(array.shape[0], -1) if array.ndim > 2 else array


def count_nonfinite(view: View) -> int:
    """Number of NaN/inf entries; one summation pass when there are none."""
    values = view.data if sp.issparse(view) else view
    with np.errstate(over="ignore"):  # an overflowing sum falls back to the exact count
        if np.isfinite(np.sum(values, dtype=np.float64)):
            return 0
    values = values.reshape(values.shape[0], -1)
    rows = max(1, _SCAN_ELEMENTS // max(1, values.shape[1]))
    return sum(
        int(np.count_nonzero(~np.isfinite(values[start:start + rows])))
        for start in range(0, values.shape[0], rows)
    )


def count_distinct_rows(views: Sequence[View], limit: int) -> int:
    """Number of distinct samples of ``views`` (a sample being its rows of all views
    together, compared exactly), counted up to ``limit``.

    One scan of row blocks that keeps the distinct rows found so far and stops at
    ``limit`` of them: the cost is that of ``limit`` comparisons per row at most, and one
    block when the data have ``limit`` distinct rows near the top.
    """
    n = views[0].shape[0]
    rows = max(1, _SCAN_ELEMENTS // max(1, sum(view.shape[1] for view in views)))
    found: list[np.ndarray] = []
    for start in range(0, n, rows):
        parts = [view[start:start + rows] for view in views]
        block = np.hstack([part.toarray() if sp.issparse(part) else part for part in parts])
        fresh = np.ones(block.shape[0], dtype=bool)
        for row in found:
            fresh &= (block != row).any(axis=1)
        while fresh.any():
            found.append(block[fresh.argmax()])
            if len(found) >= limit:
                return limit
            fresh &= (block != found[-1]).any(axis=1)
    return len(found)


def _check_views(views: Any) -> list[View]:
    if not isinstance(views, Sequence) or isinstance(views, (str, bytes)):
        raise TypeError(
            "views must be a non-empty sequence of 2-d arrays; "
            f"got {type(views).__name__} (wrap a single view in a list)"
        )
    if len(views) == 0:
        raise ValueError("views must be a non-empty sequence of 2-d arrays; got an empty sequence")
    checked = [check_view(view, f"views[{v}]") for v, view in enumerate(views)]
    counts = [view.shape[0] for view in checked]
    if len(set(counts)) > 1:
        raise ValueError(f"views must all have the same number of samples; got {counts}")
    if counts[0] < 1:
        raise ValueError("views must hold at least one sample; got 0 rows")
    for v, view in enumerate(checked):
        if view.shape[1] == 0:
            raise ValueError(f"views[{v}] has no columns (shape {view.shape})")
    return checked


def _absent_rows(view: View, v: int) -> np.ndarray | None:
    """The rows of a view that are entirely NaN (a sample without this view), or ``None``
    when the view is finite; ``ValueError`` for any other non-finite entry."""
    if not count_nonfinite(view):
        return None
    dense = view.toarray() if sp.issparse(view) else view
    absent = np.isnan(dense).all(axis=1)
    if bad := count_nonfinite(dense[~absent]):
        raise ValueError(f"views[{v}] contains {bad} NaN/inf values outside rows that are "
                         "entirely NaN (a row of NaN marks a sample without this view)")
    return absent


def _check_presence(presence: Any, views: list[View]) -> np.ndarray | None:
    """The presence mask ``[n, V]`` (bool) of ``views``: ``presence`` when given, and rows
    entirely NaN marked absent either way; ``None`` when every sample has every view."""
    n, count = views[0].shape[0], len(views)
    if presence is not None:
        mask = np.asarray(presence)
        if mask.shape != (n, count):
            raise ValueError(f"presence must have shape (n_samples, n_views) = ({n}, {count}); "
                             f"got {mask.shape}")
        if mask.dtype != bool and not np.isin(mask, (0, 1)).all():
            raise ValueError("presence must hold booleans (or 0/1): True where a sample has "
                             "the view")
        mask = mask.astype(bool)
    else:
        mask = np.ones((n, count), dtype=bool)
    for v, view in enumerate(views):
        absent = _absent_rows(view, v)
        if absent is not None:
            if presence is not None and (absent & mask[:, v]).any():
                first = int(np.flatnonzero(absent & mask[:, v])[0])
                raise ValueError(f"views[{v}] row {first} is entirely NaN but presence marks "
                                 "it present")
            mask[:, v] &= ~absent
    if (empty := ~mask.any(axis=1)).any():
        raise ValueError(f"sample {int(np.flatnonzero(empty)[0])} has no view "
                         f"({int(empty.sum())} such samples): every sample needs at least one")
    if (unused := ~mask.any(axis=0)).any():
        raise ValueError(f"views[{int(np.flatnonzero(unused)[0])}] has no sample: every view "
                         "needs at least one present row")
    return None if mask.all() else mask


def _blank_absent_rows(views: list[View], presence: np.ndarray | None) -> list[View]:
    """``views`` with their absent rows set to 0 (copies where a row changes), so that the
    arrays stay finite: what absent rows hold is never read as data, ``presence`` says
    which rows are absent."""
    if presence is None:
        return views
    blanked = []
    for v, view in enumerate(views):
        absent = ~presence[:, v]
        if sp.issparse(view):
            view = sp.csr_matrix(sp.diags((~absent).astype(view.dtype)) @ view)
            view.eliminate_zeros()
        elif absent.any() and (view[absent] != 0).any():
            view = view.copy()
            view[absent] = 0.0
        blanked.append(view)
    return blanked


def _check_labels(labels: Any, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels re-coded to ``0..k-1`` (int64) and the original value of each code."""
    array = as_label_vector(labels, "labels")
    if array.shape[0] != n_samples:
        raise ValueError(
            f"labels has {array.shape[0]} entries but views have {n_samples} samples"
        )
    values, codes = np.unique(array, return_inverse=True)
    return codes.astype(np.int64), values.astype(np.int64)


def _check_view_names(view_names: Sequence[str] | None, n_views: int) -> list[str]:
    if view_names is None:
        return [f"view_{v}" for v in range(n_views)]
    names = list(view_names)
    if len(names) != n_views or not all(isinstance(name, str) for name in names):
        raise ValueError(f"view_names must be {n_views} strings, one per view; got {names!r}")
    return names


class MultiViewData:
    """``V`` views of the same ``n`` samples, with optional labels.

    Parameters
    ----------
    views : sequence of array-like
        ``V`` matrices ``[n, d_v]``: numpy arrays, scipy.sparse matrices/arrays or torch
        tensors. Dense views are stored C-contiguous as float64 (float64 input) or
        float32 (anything else); sparse views as float64 ``csr_matrix``. Input that
        already has that form is not copied. Views with more than two axes are
        flattened to ``[n, prod(rest)]``.
    labels : array-like of shape (n,), (n, 1) or (1, n), optional
        Integral class labels, re-coded to ``0..k-1``; the original values are kept
        in ``label_values`` (``label_values[labels]`` gives them back).
    name, view_names : str, optional
        Data-set name, and one name per view (default ``view_0, view_1, ...``).
    presence : array-like of shape (n, V), optional
        Incomplete data: ``True`` where sample ``i`` has view ``v``. A dense row that is
        entirely NaN also marks the sample absent from that view. Absent rows are stored
        as zeros and never read as data: every estimator and operator takes the mask.

    Attributes
    ----------
    presence : ndarray of shape (n, V) or None
        The presence mask, ``None`` when every sample has every view.

    Raises
    ------
    ValueError, TypeError
        One-line messages naming the argument at fault: different sample counts,
        no sample, empty views, NaN/inf outside an absent row, malformed labels, a
        presence mask of another shape, a sample with no view, a view with no sample.
    """

    def __init__(
        self,
        views: Sequence[Any],
        labels: Any | None = None,
        name: str | None = None,
        view_names: Sequence[str] | None = None,
        presence: Any | None = None,
    ) -> None:
        checked = _check_views(views)
        self.presence: np.ndarray | None = _check_presence(presence, checked)
        self.views: list[View] = _blank_absent_rows(checked, self.presence)
        self.labels: np.ndarray | None = None
        self.label_values: np.ndarray | None = None
        if labels is not None:
            self.labels, self.label_values = _check_labels(labels, self.n_samples)
        self.name = name
        self.view_names = _check_view_names(view_names, len(self.views))

    @property
    def n_samples(self) -> int:
        """Number of samples ``n``."""
        return int(self.views[0].shape[0])

    @property
    def n_views(self) -> int:
        """Number of views ``V``."""
        return len(self.views)

    @property
    def dims(self) -> list[int]:
        """Feature dimension ``d_v`` of each view."""
        return [int(view.shape[1]) for view in self.views]

    @property
    def is_complete(self) -> bool:
        """Whether every sample has every view."""
        return self.presence is None

    def present(self, v: int) -> np.ndarray:
        """The rows of view ``v`` that samples have, ``[n_v]`` (all rows when complete)."""
        if self.presence is None:
            return np.arange(self.n_samples)
        return np.flatnonzero(self.presence[:, v])

    @property
    def n_classes(self) -> int | None:
        """Number of distinct labels, or None without labels."""
        return None if self.label_values is None else int(self.label_values.size)

    def __len__(self) -> int:
        return self.n_samples

    def __repr__(self) -> str:
        return (
            f"MultiViewData(name={self.name!r}, n_samples={self.n_samples}, "
            f"dims={self.dims}, n_classes={self.n_classes}"
            + ("" if self.presence is None
               else f", present={self.presence.sum()}/{self.presence.size}") + ")"
        )

    def subset(self, indices: Any) -> MultiViewData:
        """The samples at ``indices`` (integer positions or a boolean mask of length n).

        Views are copied; labels are re-coded to ``0..k'-1`` over the classes present.
        """
        rows = np.asarray(indices)
        if rows.dtype == bool:
            if rows.shape != (self.n_samples,):
                raise ValueError(
                    f"indices as a mask must have shape ({self.n_samples},); got {rows.shape}"
                )
            rows = np.flatnonzero(rows)
        if rows.ndim != 1 or (rows.size and rows.dtype.kind not in "iu"):
            raise TypeError(f"indices must be a 1-d sequence of integers; got {rows!r}")
        if rows.size and not (-self.n_samples <= rows.min() and rows.max() < self.n_samples):
            raise ValueError(
                f"indices must lie in [-{self.n_samples}, {self.n_samples}); "
                f"got values from {rows.min()} to {rows.max()}"
            )
        labels = None if self.labels is None else self.label_values[self.labels[rows]]
        presence = None if self.presence is None else self.presence[rows]
        return MultiViewData(
            [view[rows] for view in self.views], labels, self.name, self.view_names, presence
        )

    def select_views(self, indices: Sequence[int]) -> MultiViewData:
        """The views at ``indices``, in that order (``[1, 2, 0]`` reorders); no copies."""
        chosen = [int(v) for v in indices]
        if not chosen or len(set(chosen)) != len(chosen):
            raise ValueError(f"view indices must be distinct and non-empty; got {chosen}")
        if not all(0 <= v < self.n_views for v in chosen):
            raise ValueError(f"view indices must lie in [0, {self.n_views}); got {chosen}")
        selected = _shallow_copy(self)
        selected.views = [self.views[v] for v in chosen]
        selected.view_names = [self.view_names[v] for v in chosen]
        if self.presence is not None:
            selected.presence = _check_presence(self.presence[:, chosen], selected.views)
        return selected


def _shallow_copy(data: MultiViewData) -> MultiViewData:
    """A new container sharing the (already validated) arrays of ``data``."""
    copy = MultiViewData.__new__(MultiViewData)
    copy.__dict__.update(data.__dict__)
    return copy


def with_presence(data: MultiViewData, presence: Any) -> MultiViewData:
    """``data`` with the presence mask ``presence`` ``[n, V]``, checked as
    :class:`MultiViewData` checks it (an all-present mask gives complete data). The views
    that lose rows are copied with those rows set to 0, so that what a sample lacks is
    gone from the arrays too; the others are shared."""
    data = _shallow_copy(data)
    data.presence = _check_presence(presence, data.views)
    data.views = _blank_absent_rows(data.views, data.presence)
    return data


def as_multiview(views_or_data: Any, labels: Any | None = None) -> MultiViewData:
    """``views_or_data`` as a :class:`MultiViewData`; a container is passed through.

    When ``labels`` are given they are attached (to a shallow copy, the views are shared)
    and take precedence over labels the container already has; their length must match.
    """
    if not isinstance(views_or_data, MultiViewData):
        return MultiViewData(views_or_data, labels)
    if labels is None:
        return views_or_data
    data = _shallow_copy(views_or_data)
    data.labels, data.label_values = _check_labels(labels, data.n_samples)
    return data
