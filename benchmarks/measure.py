"""Measurement helpers shared by the benchmark scripts: wall time, peak resident memory,
one estimator's fit measured and scored, and a description of the machine.

Peak extra memory (CPU): before a run the process's peak RSS is reset to its current RSS
(``/proc/self/clear_refs`` = 5, after ``gc.collect()`` and glibc ``malloc_trim(0)`` so freed
heap pages do not hide new allocations); the value is ``VmHWM`` after the run minus ``VmRSS``
before it, i.e. the high-water growth of resident memory caused by the operation, its
outputs included. ``VmHWM`` itself is the process's peak. Both are ``None`` where the kernel
does not offer the reset.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import platform
import time
from collections.abc import Callable
from typing import Any

MEMORY_METHOD = "VmHWM after - VmRSS before, peak reset via /proc/self/clear_refs"


def measure(operation: Callable[[], Any], repeats: int = 1) -> tuple[dict, Any]:
    """Best wall time over ``repeats`` runs, the largest peak RSS growth and the largest
    process peak RSS among them (MiB), and the last run's result (the previous result is
    released before each run)."""
    best, extra, peak, result = float("inf"), None, None, None
    for _ in range(repeats):
        result = None
        before = reset_peak_rss()
        start = time.perf_counter()
        result = operation()
        seconds = time.perf_counter() - start
        after = status_mib("VmHWM")
        best = min(best, seconds)
        if before is not None and after is not None:
            extra = max(extra or 0.0, after - before)
            peak = max(peak or 0.0, after)
    return {"seconds": best, "peak_extra_mib": extra, "peak_rss_mib": peak,
            "repeats": repeats}, result


def reset_peak_rss() -> float | None:
    """Release freed heap pages, reset the peak RSS to the current RSS and return it (MiB)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return None
    return status_mib("VmRSS")


def status_mib(field: str) -> float | None:
    """A memory field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``, ...) in MiB."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def machine() -> dict:
    """Platform, processor, CPU count and physical memory (GiB)."""
    memory = None
    with contextlib.suppress(OSError, ValueError):
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "memory_gib": memory,
    }


def measure_fit(estimator: Any, data: Any, device: Any) -> dict:
    """Fit ``estimator`` on ``data`` (a labelled ``MultiViewData``): :func:`measure`'s time
    and memory, ACC and NMI, and on CUDA the growth of allocated GPU memory
    (``cuda_peak_extra_mib``)."""
    import torch

    import mvgraph

    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
    measured, _ = measure(lambda: estimator.fit(data.views))
    scores = mvgraph.evaluate(data.labels, estimator.labels_)
    row = {**measured, "acc": scores["acc"], "nmi": scores["nmi"]}
    if device.type == "cuda":
        row["cuda_peak_extra_mib"] = (torch.cuda.max_memory_allocated() - before) / 2**20
    return row


def format_mib(value: float | None) -> str:
    """A memory reading in whole MiB, or ``n/a`` where the kernel gave none."""
    return "n/a" if value is None else f"{value:.0f}"
