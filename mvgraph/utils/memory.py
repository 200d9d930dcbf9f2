"""A fit's peak memory, estimated before it starts, and the guard that refuses a fit the
machine cannot hold.

:func:`check_memory` compares an estimate (named parts, in bytes) with the memory
available now (``MemAvailable`` of ``/proc/meminfo``) and with the limit of an enclosing
:func:`memory_limit`, and raises :class:`InsufficientMemoryError` naming the estimate,
what is available and the setting that lowers the largest part.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

UNITS = {"": 1, "B": 1, "K": 2**10, "KB": 10**3, "KIB": 2**10, "M": 2**20, "MB": 10**6,
         "MIB": 2**20, "G": 2**30, "GB": 10**9, "GIB": 2**30, "T": 2**40, "TB": 10**12,
         "TIB": 2**40}

_limit: ContextVar[int | None] = ContextVar("memory_limit", default=None)


class InsufficientMemoryError(MemoryError):
    """A fit's estimated peak memory exceeds what is available or allowed."""


def parse_memory(text: str | int) -> int:
    """Bytes of a size such as ``"1GB"`` (10⁹), ``"512MiB"`` (2²⁰ units), ``"2G"`` (2³⁰) or
    a plain number of bytes.

    Raises:
        ValueError: ``text`` is not such a size.
    """
    if isinstance(text, int) and not isinstance(text, bool) and text > 0:
        return text
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", str(text))
    unit = match.group(2).upper() if match else None
    if match is None or unit not in UNITS or float(match.group(1)) <= 0:
        raise ValueError(f"a memory size must be a positive number with an optional unit "
                         f"(B, KB, MB, GB, KiB, MiB, GiB, ...); got {text!r}")
    return int(float(match.group(1)) * UNITS[unit])


def format_memory(size: float) -> str:
    """``size`` bytes in the largest binary unit that keeps it >= 1, e.g. ``"1.5 GiB"``."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{int(size)} B"


def available_memory() -> int | None:
    """Memory the system can give this process now, in bytes: ``MemAvailable`` of
    ``/proc/meminfo`` (``None`` where there is none)."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


@contextmanager
def memory_limit(limit: str | int | None) -> Iterator[None]:
    """Within the block, fits refuse to start when their estimated peak exceeds ``limit``
    (a size for :func:`parse_memory`; ``None`` sets no limit beyond available memory)."""
    token = _limit.set(None if limit is None else parse_memory(limit))
    try:
        yield
    finally:
        _limit.reset(token)


def check_memory(parts: Mapping[str, int], what: str, lowered_by: Mapping[str, str]) -> None:
    """Refuse a fit whose estimated peak (the sum of ``parts``, bytes) exceeds the memory
    available now or the limit of an enclosing :func:`memory_limit`.

    Args:
        parts: the estimate, by part (``"data"``, ``"activations"``, ...).
        what: the fit, as the message names it.
        lowered_by: for a part, the setting that lowers it.

    Raises:
        InsufficientMemoryError: naming the estimate, its largest part, what is available
            and the setting that lowers that part.
    """
    total = sum(parts.values())
    available, limit = available_memory(), _limit.get()
    bounds = [(size, source) for size, source in ((available, "available"),
                                                  (limit, "allowed by the memory limit"))
              if size is not None]
    if not bounds:
        return
    bound, source = min(bounds)
    if total <= bound:
        return
    largest = max(parts, key=parts.__getitem__)
    hint = lowered_by.get(largest, "fewer samples")
    raise InsufficientMemoryError(
        f"{what} needs about {format_memory(total)} at its peak, more than the "
        f"{format_memory(bound)} {source}; the largest part is {largest} "
        f"({format_memory(parts[largest])}), which {hint} lowers"
    )

