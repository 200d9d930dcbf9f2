"""Atomic file output: write to a temporary file beside the target, then rename.

A reader never sees a half-written result or checkpoint: ``os.replace`` is atomic on
POSIX and Windows when source and target are on the same file system.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from mvgraph.utils.validation import is_torch_tensor


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file for writing; on success it replaces ``path`` atomically.

    The file gets the permissions of a plain ``open``: ``0o666`` less the process umask
    (a temporary file alone would be private to its owner)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        mode, dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            yield handle
            handle.flush()
            os.chmod(handle.fileno(), 0o666 & ~_umask())
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask (read by setting it and restoring it at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _save_with(path: str | os.PathLike, save: Callable[[IO], None]) -> None:
    with atomic_write(path, "wb") as handle:
        save(handle)


def atomic_save_json(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` as indented JSON."""
    text = json.dumps(obj, indent=2, sort_keys=False, default=_to_builtin) + "\n"
    _save_with(path, lambda handle: handle.write(text.encode()))


def atomic_save_npy(array: np.ndarray, path: str | os.PathLike) -> None:
    """Write ``array`` in NumPy's ``.npy`` format."""
    _save_with(path, lambda handle: np.save(handle, array))


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` that never leaves a truncated file behind."""
    import torch  # here, not at the top: the data layer imports this module without torch

    _save_with(path, lambda handle: torch.save(obj, handle))


def _to_builtin(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if is_torch_tensor(value):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write object of type {type(value).__name__} as JSON")
