"""Device selection and seeding."""

from __future__ import annotations

import random

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
    if not isinstance(random_state, (int, np.integer)) or random_state < 0:
        raise ValueError(
            f"random_state must be a non-negative integer or None; got {random_state!r}"
        )
    seed = int(random_state)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return seed
