"""Small shared utilities: atomic file output, devices and seeds."""

from mvgraph.utils.io import atomic_save_json, atomic_save_npy, atomic_torch_save, atomic_write
from mvgraph.utils.runtime import resolve_device, seed_everything

__all__ = [
    "atomic_save_json",
    "atomic_save_npy",
    "atomic_torch_save",
    "atomic_write",
    "resolve_device",
    "seed_everything",
]
