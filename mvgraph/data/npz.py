"""Multi-view data as NumPy ``.npz``: arrays ``view_0 .. view_{V-1}``, optional ``labels``
and, for incomplete data, an optional ``presence`` mask ``[n, V]`` (0/1 or booleans)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from mvgraph.data.container import MultiViewData, as_multiview
from mvgraph.utils import atomic_write

_VIEW_KEY = re.compile(r"view_(\d+)")


def load_npz(path: str | os.PathLike) -> MultiViewData:
    """Load views ``view_0, view_1, ...`` and, if present, ``labels`` and ``presence``
    from an ``.npz`` file. A sample lacks a view where ``presence`` is 0 or where its row
    of that view is entirely NaN.

    Raises FileNotFoundError for a missing file and ValueError (one line) for a file
    that is not a readable ``.npz``, has no or non-contiguous ``view_*`` arrays, or
    fails the checks of :class:`MultiViewData`. The name is the file stem.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: '{path}'")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except Exception as error:  # zipfile, zlib and format errors all mean "unreadable"
        text = str(error).strip()
        reason = text.splitlines()[0] if text else type(error).__name__
        raise ValueError(f"could not read '{path}' as a .npz file: {reason}") from None
    numbers = sorted(int(match.group(1)) for key in arrays if (match := _VIEW_KEY.fullmatch(key)))
    if not numbers or numbers != list(range(len(numbers))):
        raise ValueError(
            f"no views found in '{path}': expected arrays 'view_0', 'view_1', ...; "
            f"found keys {sorted(arrays)}"
        )
    views = [arrays[f"view_{v}"] for v in numbers]
    return MultiViewData(views, arrays.get("labels"), name=path.stem,
                         presence=arrays.get("presence"))


def save_npz(data: MultiViewData | Any, path: str | os.PathLike) -> None:
    """Write ``data`` (a :class:`MultiViewData` or a list of views) to ``path`` atomically.

    The file is written beside ``path`` and renamed over it, so a reader never sees a
    partial file. Sparse views are stored densified; labels are stored with their
    original values (``label_values[labels]``), and the presence mask of incomplete data.
    """
    data = as_multiview(data)
    arrays: dict[str, np.ndarray] = {
        f"view_{v}": view.toarray() if sp.issparse(view) else view
        for v, view in enumerate(data.views)
    }
    if data.labels is not None:
        arrays["labels"] = data.label_values[data.labels]
    if data.presence is not None:
        arrays["presence"] = data.presence
    with atomic_write(path) as handle:
        np.savez(handle, **arrays)
