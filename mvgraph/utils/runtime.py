"""Device selection, seeding, the global generators' state and deterministic runs."""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA when available, else CPU; anything else is passed to torch."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:i]'; got {device!r}") from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available")
    return resolved


def seed_everything(random_state: int | None) -> int:
    """Seed Python, NumPy and torch from ``random_state`` and return the seed used.

    ``None`` draws a fresh seed, so an unseeded run can still be reproduced from the
    returned value.
    """
    if random_state is None:
        random_state = int(np.random.SeedSequence().generate_state(1)[0] & 0x7FFFFFFF)
    if (not isinstance(random_state, (int, np.integer)) or isinstance(random_state, bool)
            or random_state < 0):
        raise ValueError(
            f"random_state must be a non-negative integer or None; got {random_state!r}"
        )
    seed = int(random_state)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return seed


def global_rng_state() -> dict[str, Any]:
    """The state of Python's, NumPy's and torch's global generators (CUDA ones included),
    as tensors and plain values that ``torch.load(..., weights_only=True)`` reads back."""
    kind, keys, position, has_gauss, cached = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else [],
    }


def set_global_rng_state(state: dict[str, Any]) -> None:
    """Restore the generators saved by :func:`global_rng_state`."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if state["cuda"]:
        torch.cuda.set_rng_state_all(state["cuda"])


@contextmanager
def deterministic_mode(enabled: bool = True) -> Iterator[None]:
    """Run the enclosed code reproducibly: one CPU thread (torch and faiss), torch's
    deterministic algorithms only, and cuBLAS in its deterministic workspace mode. What
    was set before is restored on exit; ``enabled=False`` changes nothing.

    A floating-point sum depends on how it is split across threads, and a deep fit
    amplifies the last bit into different labels; with one thread and deterministic
    kernels the same seed gives byte-identical results on the same machine and build.
    """
    if not enabled:
        yield
        return
    threads = torch.get_num_threads()
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    workspace = os.environ.get("CUBLAS_WORKSPACE_CONFIG")
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    faiss = sys.modules.get("faiss")
    faiss_threads = faiss.omp_get_max_threads() if faiss is not None else None
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if faiss is not None:
        faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(was_deterministic)
        if faiss is not None:
            faiss.omp_set_num_threads(faiss_threads)
        if workspace is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
