"""Input validation shared across the package."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
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


class Rule:
    """What a hyper-parameter accepts: :meth:`accepts` says whether a value is valid and
    ``expected`` describes the valid values for the error message."""

    expected: str

    def accepts(self, value: object) -> bool:
        raise NotImplementedError

    def check(self, name: str, value: object) -> None:
        """Raise ``ValueError`` naming ``name``, what was expected and what came, unless
        ``value`` is valid."""
        if not self.accepts(value):
            raise ValueError(f"{name} must be {self.expected}; got {value!r}")


@dataclass(frozen=True)
class Integer(Rule):
    """An integer (not a bool) ``>= least``."""

    least: int

    @property
    def expected(self) -> str:
        return f"an integer >= {self.least}"

    def accepts(self, value: object) -> bool:
        return _is_integer(value) and value >= self.least


@dataclass(frozen=True)
class Real(Rule):
    """A finite number (not a bool), ``> 0`` when ``positive`` and ``>= 0`` otherwise."""

    positive: bool

    @property
    def expected(self) -> str:
        return f"a finite number {'> 0' if self.positive else '>= 0'}"

    def accepts(self, value: object) -> bool:
        if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(
            value, bool
        ):
            return False
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an integer beyond the float range
            return False
        return finite and (value > 0 if self.positive else value >= 0)


@dataclass(frozen=True)
class Options(Rule):
    """One of a fixed set of strings, or ``None`` where ``None`` is one of them."""

    values: tuple[str | None, ...]

    @property
    def expected(self) -> str:
        return "one of " + ", ".join(str(value) for value in self.values)

    def accepts(self, value: object) -> bool:
        return any(value is option or (isinstance(value, str) and value == option)
                   for option in self.values)


@dataclass(frozen=True)
class Flag(Rule):
    """``True`` or ``False``."""

    expected: str = "True or False"

    def accepts(self, value: object) -> bool:
        return isinstance(value, bool)


@dataclass(frozen=True)
class Widths(Rule):
    """Layer widths: a tuple or list of positive integers (possibly empty)."""

    expected: str = "a sequence of positive integers"

    def accepts(self, value: object) -> bool:
        return isinstance(value, (tuple, list)) and all(
            _is_integer(width) and width >= 1 for width in value
        )


@dataclass(frozen=True)
class Either(Rule):
    """A value at least one of ``rules`` accepts."""

    rules: tuple[Rule, ...]

    @property
    def expected(self) -> str:
        return " or ".join(rule.expected for rule in self.rules)

    def accepts(self, value: object) -> bool:
        return any(rule.accepts(value) for rule in self.rules)


def _is_integer(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_matrix(name: str, value: object, axes: str = "") -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is a torch tensor with two
    non-empty axes; ``axes`` (e.g. ``"[B, d]"``) names them in the message."""
    if not (is_torch_tensor(value) and value.ndim == 2 and min(value.shape) >= 1):
        shape = tuple(value.shape) if is_torch_tensor(value) else type(value).__name__
        raise ValueError(f"{name} must be a non-empty 2-d tensor{' ' + axes if axes else ''}; "
                         f"got {shape}")


def check_same_width(name_a: str, a: object, name_b: str, b: object) -> None:
    """:func:`check_matrix` for ``a`` and ``b``, then raise ``ValueError`` naming both unless
    their rows have the same width ``d`` (points and centres, two samples of points)."""
    check_matrix(name_a, a)
    check_matrix(name_b, b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"{name_a} and {name_b} must share their width d; got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")


def check_int(name: str, value: object, *, least: int) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is an integer ``>= least``."""
    Integer(least).check(name, value)


def check_number(name: str, value: object, *, positive: bool) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is a finite number, ``> 0``
    when ``positive`` and ``>= 0`` otherwise."""
    Real(positive).check(name, value)
