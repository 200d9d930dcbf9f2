"""Input validation shared across the package."""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np


def is_torch_tensor(value: object) -> bool:
    """Whether ``value`` is a ``torch.Tensor``, without importing torch: while torch has
    not been imported no tensor can exist, and the data layer stays light to import."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def as_label_vector(labels: Any, name: str) -> np.ndarray:
    """``labels`` as a 1-d integer array (``(n, 1)`` and ``(1, n)`` are raveled).

    Accepts numpy arrays, sequences and torch tensors; float input must be finite and
    integral. Raises ``ValueError`` naming ``name`` otherwise, or when empty.
    """
    if is_torch_tensor(labels):
        labels = labels.detach().cpu().numpy()
    array = np.asarray(labels)
    if array.ndim == 2 and 1 in array.shape:
        array = array.ravel()
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-d array of labels; got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must hold at least one label; got an empty array")
    if array.dtype.kind == "f":
        finite = np.isfinite(array)
        if not finite.all():
            raise ValueError(f"{name} must hold finite integer labels; got {array[~finite][0]}")
        integral = array == np.round(array)
        if not integral.all():
            raise ValueError(
                f"{name} must hold integer labels; got the non-integral value {array[~integral][0]}"
            )
        return array.astype(np.int64)
    if array.dtype.kind not in "biu":
        raise ValueError(f"{name} must hold integer labels; got dtype {array.dtype}")
    return array


def check_int(name: str, value: object, *, least: int) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is an integer ``>= least``."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < least:
        raise ValueError(f"{name} must be an integer >= {least}; got {value!r}")


def check_number(name: str, value: object, *, positive: bool) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is a finite number, ``> 0``
    when ``positive`` and ``>= 0`` otherwise."""
    ok = (
        isinstance(value, (int, float, np.floating, np.integer))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value > 0 if positive else value >= 0)
    )
    if not ok:
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}")
