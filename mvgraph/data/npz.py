"""Multi-view data as NumPy ``.npz``: arrays ``view_0 .. view_{V-1}``, optional ``labels``
and, for incomplete data, an optional ``presence`` mask ``[n, V]`` (0/1 or booleans)."""

from __future__ import annotations

import math
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from mvgraph.data.container import MultiViewData, as_multiview, shard_bounds
from mvgraph.utils import atomic_write

_VIEW_KEY = re.compile(r"view_(\d+)")
# The .npy header versions read directly; other ones are read whole.
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


def load_npz(path: str | os.PathLike, part: tuple[int, int] | None = None) -> MultiViewData:
    """Load views ``view_0, view_1, ...`` and, if present, ``labels`` and ``presence``
    from an ``.npz`` file. A sample lacks a view where ``presence`` is 0 or where its row
    of that view is entirely NaN.

    ``part=(rank, world_size)`` loads the contiguous samples that process ``rank`` of a
    distributed run holds (:func:`~mvgraph.data.shard_bounds`) and reads no other row of
    an array stored uncompressed in row order, as :func:`save_npz` writes them.

    Raises FileNotFoundError for a missing file and ValueError (one line) for a file
    that is not a readable ``.npz``, has no or non-contiguous ``view_*`` arrays, or
    fails the checks of :class:`MultiViewData`. The name is the file stem.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: '{path}'")
    try:
        with zipfile.ZipFile(path) as archive:
            arrays = {name.removesuffix(".npy"): _read_rows(archive, name, part)
                      for name in archive.namelist() if name.endswith(".npy")}
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


def _read_rows(archive: zipfile.ZipFile, member: str,
               part: tuple[int, int] | None) -> np.ndarray:
    """The rows of ``part`` of one ``.npy`` member (all of them for ``None``), reading
    those rows only where the array is in C order."""
    with archive.open(member) as handle:
        header = _HEADER_READERS.get(np.lib.format.read_magic(handle))
        shape, fortran_order, dtype = header(handle) if header else ((), False, np.dtype("O"))
        if part is None or fortran_order or dtype.hasobject or not shape:
            handle.seek(0)
            array = np.lib.format.read_array(handle, allow_pickle=False)
            return array if part is None else array[slice(*shard_bounds(len(array), *part))]
        start, stop = shard_bounds(shape[0], *part)
        row_bytes = dtype.itemsize * math.prod(shape[1:])
        handle.seek(handle.tell() + start * row_bytes)
        data = handle.read((stop - start) * row_bytes)
        if len(data) != (stop - start) * row_bytes:
            raise ValueError(f"'{member}' ends before its row {stop}")
        return np.frombuffer(data, dtype=dtype).reshape(stop - start, *shape[1:]).copy()


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
