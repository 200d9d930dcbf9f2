"""Reading multi-view data from MATLAB ``.mat`` files, in the layouts used in the field.

Views are a cell (1×V or V×1) under ``X``, ``fea`` or ``data``, or separate variables
``X1, X2, ...``; labels sit under ``Y``, ``y``, ``gt``, ``truelabel``, ``label`` or
``labels``, possibly as a cell holding one copy per view. Views may be stored ``d × n``;
MATLAB v7.3 (HDF5) files are read with h5py. Incomplete data sets mark which sample has
which view with an ``n × V`` (or ``V × n``) 0/1 matrix under ``presence`` or ``mask``, or
a cell of such matrices under ``folds`` (one random draw of the missing views per entry,
as the files of incomplete multi-view clustering papers store them); rows of NaN also
mark a sample absent from a view (:class:`~mvgraph.data.MultiViewData`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import scipy.io
import scipy.sparse as sp

from mvgraph.data.container import MultiViewData
from mvgraph.data.npz import load_npz

VIEW_CELL_KEYS = ("X", "fea", "data")
LABEL_KEYS = ("Y", "y", "gt", "truelabel", "label", "labels")
PRESENCE_KEYS = ("presence", "mask", "folds")
_NUMBERED_VIEW = re.compile(r"X(\d+)")


def load_views(path: str | os.PathLike) -> MultiViewData:
    """Load a ``.mat`` (:func:`load_mat`) or ``.npz`` (:func:`~mvgraph.data.load_npz`) file."""
    suffix = Path(path).suffix.lower()
    if suffix == ".mat":
        return load_mat(path)
    if suffix == ".npz":
        return load_npz(path)
    raise ValueError(f"cannot load '{path}': expected a .mat or .npz file; got suffix {suffix!r}")


def load_mat(path: str | os.PathLike, *, name: str | None = None,
             fold: int = 0) -> MultiViewData:
    """Load the views, labels and presence mask of a MATLAB file (v4/v5/v7 or v7.3).

    Each view is put samples-first: a view whose first axis is not ``n`` but whose last
    is gets that axis moved to the front (``d × n`` is transposed); ``n`` is the number
    of labels, or without labels the size shared by all views. Square ``n × n`` views
    stay as stored. Sparse views stay sparse; labels may be 0- or 1-based (they are
    re-coded to ``0..k-1``); files without a label variable give ``labels=None``.

    Parameters
    ----------
    path : str or PathLike
        The ``.mat`` file.
    name : str, optional
        Name of the data set; the file stem by default.
    fold : int
        Which mask of a ``folds`` cell to use (0-based).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The file cannot be read as a MATLAB file, holds no known view layout, or its
        contents fail the checks of :class:`MultiViewData`.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: '{path}'")
    variables = _read_variables(path)
    labels = _find_labels(variables)
    views = _find_views(variables, path)
    n_samples = labels.size if labels is not None else _shared_size(views, path)
    views = [_samples_first(view, n_samples) for view in views]
    presence = _find_presence(variables, n_samples, len(views), fold)
    return MultiViewData(views, labels, name=name or path.stem, presence=presence)


def _read_variables(path: Path) -> dict[str, Any]:
    """The file's variables by name; every reader failure becomes one ValueError line."""
    try:
        if h5py.is_hdf5(path):
            return _read_hdf5(path)
        variables = scipy.io.loadmat(path)
    except Exception as error:  # the readers raise many types (struct, zlib, OSError, ...)
        text = str(error).strip()
        reason = text.splitlines()[0] if text else type(error).__name__
        raise ValueError(f"could not read '{path}' as a MATLAB .mat file: {reason}") from None
    return {key: value for key, value in variables.items() if not key.startswith("__")}


def _read_hdf5(path: Path) -> dict[str, Any]:
    """Variables of a v7.3 file, oriented as MATLAB shows them."""
    with h5py.File(path, "r") as file:
        return {key: _hdf5_value(file[key]) for key in file if not key.startswith("#")}


def _hdf5_value(node: h5py.Dataset | h5py.Group) -> Any:
    """A dataset (stored with axes reversed), a cell of references, or a sparse group.

    Other groups (structs, objects) are not views or labels and read as None.
    """
    if isinstance(node, h5py.Group):
        return _hdf5_sparse(node) if "MATLAB_sparse" in node.attrs else None
    if h5py.check_ref_dtype(node.dtype) is not None:
        references = node[()]
        cell = np.empty(references.shape, dtype=object)
        for index, reference in np.ndenumerate(references):
            cell[index] = _hdf5_value(node.file[reference])
        return cell.T
    return np.asarray(node[()]).T


def _hdf5_sparse(group: h5py.Group) -> sp.csc_matrix:
    """MATLAB's compressed-column storage: ``jc`` column starts, ``ir`` rows, ``data``."""
    column_starts = group["jc"][()]
    shape = (int(group.attrs["MATLAB_sparse"]), column_starts.size - 1)
    if "data" not in group:  # an all-zero matrix stores no entries
        return sp.csc_matrix(shape)
    return sp.csc_matrix((group["data"][()], group["ir"][()], column_starts), shape=shape)


def _is_matrix(value: Any) -> bool:
    return sp.issparse(value) or (
        isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.ndim >= 2
    )


def _find_views(variables: dict[str, Any], path: Path) -> list[Any]:
    for key in VIEW_CELL_KEYS:
        value = variables.get(key)
        if isinstance(value, np.ndarray) and value.dtype == object:
            if value.size != max(value.shape, default=0):
                raise ValueError(
                    f"cell '{key}' in '{path}' must be 1×V or V×1; got shape {value.shape}"
                )
            return list(value.ravel())
        if _is_matrix(value):
            return [value]
    numbered = sorted(
        (int(match.group(1)), key)
        for key in variables
        if (match := _NUMBERED_VIEW.fullmatch(key)) and _is_matrix(variables[key])
    )
    if numbered:
        return [variables[key] for _, key in numbered]
    raise ValueError(
        f"no views found in '{path}': expected a cell under 'X', 'fea' or 'data', "
        f"or variables X1..Xv; found keys {sorted(variables)}"
    )


def _find_labels(variables: dict[str, Any]) -> np.ndarray | None:
    """The first label variable found; a cell (one copy per view) gives its first entry."""
    for key in LABEL_KEYS:
        labels = variables.get(key)
        if labels is None:
            continue
        while isinstance(labels, np.ndarray) and labels.dtype == object and labels.size:
            labels = labels.flat[0]
        return labels.toarray() if sp.issparse(labels) else np.asarray(labels)
    return None


def _find_presence(variables: dict[str, Any], n_samples: int, n_views: int,
                   fold: int) -> np.ndarray | None:
    """The presence mask ``[n, V]`` of the first presence variable found (entry ``fold``
    of a cell of masks), samples first; ``MultiViewData`` checks its shape and values."""
    for key in PRESENCE_KEYS:
        mask = variables.get(key)
        if mask is None:
            continue
        if isinstance(mask, np.ndarray) and mask.dtype == object:
            if not (isinstance(fold, int) and 0 <= fold < mask.size):
                raise ValueError(f"fold must be an integer in [0, {mask.size}) for the "
                                 f"{mask.size} masks of '{key}'; got {fold!r}")
            mask = mask.flat[fold]
        mask = mask.toarray() if sp.issparse(mask) else np.asarray(mask)
        if mask.shape == (n_views, n_samples) and n_views != n_samples:
            mask = mask.T
        return mask
    return None


def _shared_size(views: list[Any], path: Path) -> int:
    """Without labels: the one size found on the first or last axis of every view.

    When two sizes qualify (all views ``a × b``) the stored orientation is kept if every
    view agrees on its first axis; otherwise the layout is ambiguous.
    """
    shapes = [np.shape(view) for view in views]
    candidates = set.intersection(*({shape[0], shape[-1]} if shape else set() for shape in shapes))
    firsts = {shape[0] for shape in shapes}
    if len(candidates) == 1:
        return candidates.pop()
    if len(firsts) == 1 and firsts <= candidates:
        return firsts.pop()
    raise ValueError(
        f"cannot tell the number of samples in '{path}' without labels: view shapes "
        f"{shapes} share the sizes {sorted(candidates)}; store the views as n × d"
    )


def _samples_first(view: Any, n_samples: int) -> Any:
    """Move the sample axis to the front when only the last axis has ``n_samples``."""
    shape = np.shape(view)
    if len(shape) < 2 or shape[0] == n_samples or shape[-1] != n_samples:
        return view
    return view.T if sp.issparse(view) else np.moveaxis(view, -1, 0)
